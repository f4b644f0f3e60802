/// UnlockConnector: the central system asks a charge point to release a connector's cable.
public enum UnlockConnector: OCPPAction {
    public static let name = "UnlockConnector"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.core

    public struct Request: OCPPRequest {
        public typealias Action = UnlockConnector
        public var connectorId: Int

        public init(connectorId: Int) { self.connectorId = connectorId }

        public func validate() throws {
            try checkConnectorId(connectorId, allowsZero: false)
        }
    }

    public struct Response: OCPPPayload {
        public var status: UnlockStatus

        public init(status: UnlockStatus) { self.status = status }
    }
}

/// A charge point's answer to UnlockConnector.
public enum UnlockStatus: String, OCPPEnum {
    case unlocked = "Unlocked"
    case unlockFailed = "UnlockFailed"
    case notSupported = "NotSupported"
}
