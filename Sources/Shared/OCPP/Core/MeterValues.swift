/// MeterValues: a charge point reports measurements of a connector, during a transaction or outside one.
public enum MeterValues: OCPPAction {
    public static let name = "MeterValues"
    public static let sender = OCPPSender.chargePoint
    public static let profile = FeatureProfile.core

    public struct Request: OCPPRequest {
        public typealias Action = MeterValues
        public var connectorId: Int
        public var transactionId: Int?
        public var meterValue: [MeterValue]

        public init(connectorId: Int, transactionId: Int? = nil, meterValue: [MeterValue]) {
            self.connectorId = connectorId
            self.transactionId = transactionId
            self.meterValue = meterValue
        }

        public init?(plainJSON json: JSONValue) {
            var connectorId: Int?
            var transactionId: Int?
            var meterValue: [MeterValue]?
            let plain = json.readPlainly { name, value in
                switch name {
                case "connectorId": value.plain(into: &connectorId)
                case "transactionId": value.plainOptional(into: &transactionId)
                case "meterValue": value.plain(into: &meterValue, each: MeterValue.init(plainJSON:))
                default: true
                }
            }
            guard plain, let connectorId, let meterValue else { return nil }
            self.init(connectorId: connectorId, transactionId: transactionId, meterValue: meterValue)
        }

        /// The schema's `minItems: 1` on both arrays.
        public func validate() throws {
            try checkConnectorId(connectorId, allowsZero: true)
            if meterValue.isEmpty {
                throw constraintViolation("meterValue", "must hold at least one meter value")
            }
            for (index, value) in meterValue.enumerated() where value.sampledValue.isEmpty {
                throw constraintViolation("meterValue[\(index)].sampledValue", "must hold at least one sampled value")
            }
        }
    }

    public struct Response: OCPPPayload {
        public init() {}

        public func writePlainJSON(_ writer: inout PlainJSONWriter) -> Bool {
            writer.beginObject()
            writer.endObject()
            return true
        }
    }
}
