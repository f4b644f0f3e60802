/// ChangeConfiguration: the central system sets one configuration key of a charge point.
public enum ChangeConfiguration: OCPPAction {
    public static let name = "ChangeConfiguration"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.core

    public struct Request: OCPPRequest {
        public typealias Action = ChangeConfiguration
        public var key: CiString50
        public var value: CiString500

        public init(key: CiString50, value: CiString500) {
            self.key = key
            self.value = value
        }
    }

    public struct Response: OCPPPayload {
        public var status: ConfigurationStatus

        public init(status: ConfigurationStatus) { self.status = status }
    }
}

/// A charge point's answer to ChangeConfiguration.
public enum ConfigurationStatus: String, OCPPEnum {
    case accepted = "Accepted"
    case rejected = "Rejected"
    case rebootRequired = "RebootRequired"
    case notSupported = "NotSupported"
}
