/// LogStatusNotification: a charge point reports the progress of a GetLog upload.
public enum LogStatusNotification: OCPPAction {
    public static let name = "LogStatusNotification"
    public static let sender = OCPPSender.chargePoint
    public static let profile = FeatureProfile.security

    public struct Request: OCPPRequest {
        public typealias Action = LogStatusNotification
        public var status: UploadLogStatus
        /// The requestId of the GetLog this is about; absent when triggered while idle.
        public var requestId: Int?

        public init(status: UploadLogStatus, requestId: Int? = nil) {
            self.status = status
            self.requestId = requestId
        }
    }

    public struct Response: OCPPPayload {
        public init() {}
    }
}

/// The states of a log upload.
public enum UploadLogStatus: String, OCPPEnum {
    case badMessage = "BadMessage"
    case idle = "Idle"
    case notSupportedOperation = "NotSupportedOperation"
    case permissionDenied = "PermissionDenied"
    case uploaded = "Uploaded"
    case uploadFailure = "UploadFailure"
    case uploading = "Uploading"
}
