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
            guard case .object(let object) = json else { return nil }
            var connectorId: Int?
            var transactionId: Int?
            var meterValue: [MeterValue]?
            for (key, value) in object.members {
                switch key {
                case "connectorId":
                    guard let id = value.plainInt else { return nil }
                    connectorId = id
                case "transactionId":
                    guard value.plainOptional(into: &transactionId) else { return nil }
                case "meterValue":
                    guard let values = value.plainArray(MeterValue.init(plainJSON:)) else { return nil }
                    meterValue = values
                default: continue
                }
            }
            guard let connectorId, let meterValue else { return nil }
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
    }
}
