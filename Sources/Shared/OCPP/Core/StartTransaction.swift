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
            guard case .object(let object) = json else { return nil }
            var connectorId: Int?
            var idTag: IdToken?
            var meterStart: Int?
            var reservationId: Int?
            var timestamp: Date?
            for (key, value) in object.members {
                switch key {
                case "connectorId":
                    guard let id = value.plainInt else { return nil }
                    connectorId = id
                case "idTag":
                    guard let tag: IdToken = value.plainCiString() else { return nil }
                    idTag = tag
                case "meterStart":
                    guard let meter = value.plainInt else { return nil }
                    meterStart = meter
                case "reservationId":
                    guard value.plainOptional(into: &reservationId) else { return nil }
                case "timestamp":
                    guard let date = value.plainDate else { return nil }
                    timestamp = date
                default: continue
                }
            }
            guard let connectorId, let idTag, let meterStart, let timestamp else { return nil }
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
    }
}
