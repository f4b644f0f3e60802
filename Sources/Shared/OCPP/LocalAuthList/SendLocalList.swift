/// SendLocalList: the central system replaces or updates a charge point's local authorization list.
public enum SendLocalList: OCPPAction {
    public static let name = "SendLocalList"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.localAuthListManagement

    public struct Request: OCPPRequest {
        public typealias Action = SendLocalList
        /// The version the list has after this update.
        public var listVersion: Int
        /// With a Full update, absent or empty clears the list.
        public var localAuthorizationList: [AuthorizationData]?
        public var updateType: UpdateType

        public init(listVersion: Int, localAuthorizationList: [AuthorizationData]? = nil, updateType: UpdateType) {
            self.listVersion = listVersion
            self.localAuthorizationList = localAuthorizationList
            self.updateType = updateType
        }
    }

    public struct Response: OCPPPayload {
        public var status: UpdateStatus

        public init(status: UpdateStatus) { self.status = status }
    }
}

/// Whether SendLocalList replaces the whole list or changes some entries.
public enum UpdateType: String, OCPPEnum {
    case differential = "Differential"
    case full = "Full"
}

/// A charge point's answer to SendLocalList.
public enum UpdateStatus: String, OCPPEnum {
    case accepted = "Accepted"
    case failed = "Failed"
    case notSupported = "NotSupported"
    case versionMismatch = "VersionMismatch"
}
