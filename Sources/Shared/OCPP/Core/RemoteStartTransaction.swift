/// RemoteStartTransaction: the central system asks a charge point to start charging for an idTag.
public enum RemoteStartTransaction: OCPPAction {
    public static let name = "RemoteStartTransaction"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.core

    public struct Request: OCPPRequest {
        public typealias Action = RemoteStartTransaction
        /// Absent lets the charge point choose the connector.
        public var connectorId: Int?
        public var idTag: IdToken
        /// Must have purpose TxProfile.
        public var chargingProfile: ChargingProfile?

        public init(connectorId: Int? = nil, idTag: IdToken, chargingProfile: ChargingProfile? = nil) {
            self.connectorId = connectorId
            self.idTag = idTag
            self.chargingProfile = chargingProfile
        }

        public func validate() throws {
            try checkConnectorId(connectorId, allowsZero: false)
            try chargingProfile?.validate(at: "chargingProfile")
        }
    }

    public struct Response: OCPPPayload {
        public var status: RemoteStartStopStatus

        public init(status: RemoteStartStopStatus) { self.status = status }
    }
}
