/// ClearCache: the central system asks a charge point to empty its authorization cache.
public enum ClearCache: OCPPAction {
    public static let name = "ClearCache"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.core

    public struct Request: OCPPRequest {
        public typealias Action = ClearCache

        public init() {}
    }

    public struct Response: OCPPPayload {
        public var status: ClearCacheStatus

        public init(status: ClearCacheStatus) { self.status = status }
    }
}

/// A charge point's answer to ClearCache.
public enum ClearCacheStatus: String, OCPPEnum {
    case accepted = "Accepted"
    case rejected = "Rejected"
}
