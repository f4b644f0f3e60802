/// GetLocalListVersion: the central system asks for the version of a charge point's local authorization list.
public enum GetLocalListVersion: OCPPAction {
    public static let name = "GetLocalListVersion"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.localAuthListManagement

    public struct Request: OCPPRequest {
        public typealias Action = GetLocalListVersion

        public init() {}
    }

    public struct Response: OCPPPayload {
        /// 0 for an empty list, -1 when the charge point does not support local lists.
        public var listVersion: Int

        public init(listVersion: Int) { self.listVersion = listVersion }
    }
}
