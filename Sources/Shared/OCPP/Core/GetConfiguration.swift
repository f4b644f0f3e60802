/// GetConfiguration: the central system reads configuration keys of a charge point (all of them when `key` is absent).
public enum GetConfiguration: OCPPAction {
    public static let name = "GetConfiguration"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.core

    public struct Request: OCPPRequest {
        public typealias Action = GetConfiguration
        public var key: [CiString50]?

        public init(key: [CiString50]? = nil) { self.key = key }
    }

    public struct Response: OCPPPayload {
        public var configurationKey: [KeyValue]?
        /// Requested keys the charge point does not know.
        public var unknownKey: [CiString50]?

        public init(configurationKey: [KeyValue]? = nil, unknownKey: [CiString50]? = nil) {
            self.configurationKey = configurationKey
            self.unknownKey = unknownKey
        }
    }
}
