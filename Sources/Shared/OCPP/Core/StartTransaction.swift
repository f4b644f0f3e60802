import Foundation

/// StartTransaction: a charge point reports that charging started, and gets a transaction id.
public enum StartTransaction: OCPPAction {
    public static let name = "StartTransaction"
    public static let sender = OCPPSender.chargePoint
    public static let profile = FeatureProfile.core

    public struct Request: OCPPRequest {
        public typealias Action = StartTransaction
        public var connectorId: Int
        public var idTag: IdToken
        /// Meter reading in Wh at the start.
        public var meterStart: Int
        /// Set when the transaction uses a reservation, which it thereby ends.
        public var reservationId: Int?
        public var timestamp: Date

        public init(connectorId: Int, idTag: IdToken, meterStart: Int, reservationId: Int? = nil, timestamp: Date) {
            self.connectorId = connectorId
            self.idTag = idTag
            self.meterStart = meterStart
            self.reservationId = reservationId
            self.timestamp = timestamp
        }

        public init?(plainJSON json: JSONValue) {
            var connectorId: Int?
            var idTag: IdToken?
            var meterStart: Int?
            var reservationId: Int?
            var timestamp: Date?
            let plain = json.readPlainly { name, value in
                switch name {
                case "connectorId": value.plain(into: &connectorId)
                case "idTag": value.plain(into: &idTag)
                case "meterStart": value.plain(into: &meterStart)
                case "reservationId": value.plainOptional(into: &reservationId)
                case "timestamp": value.plain(into: &timestamp)
                default: true
                }
            }
            guard plain, let connectorId, let idTag, let meterStart, let timestamp else { return nil }
            self.init(connectorId: connectorId, idTag: idTag, meterStart: meterStart, reservationId: reservationId, timestamp: timestamp)
        }

        /// The specification wants a connector (1 or more), but a charger that says 0 still had a session: refusing
        /// its start could lose it. A negative id is refused.
        public func validate() throws {
            try checkConnectorId(connectorId, allowsZero: true)
        }
    }

    public struct Response: OCPPPayload {
        public var idTagInfo: IdTagInfo
        public var transactionId: Int

        public init(idTagInfo: IdTagInfo, transactionId: Int) {
            self.idTagInfo = idTagInfo
            self.transactionId = transactionId
        }

        public func writePlainJSON(_ writer: inout PlainJSONWriter) -> Bool {
            writer.beginObject()
            writer.key("idTagInfo")
            idTagInfo.writePlainJSON(&writer)
            writer.key("transactionId")
            writer.integer(transactionId)
            writer.endObject()
            return true
        }
    }
}
