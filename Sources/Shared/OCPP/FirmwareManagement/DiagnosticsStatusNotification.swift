/// DiagnosticsStatusNotification: a charge point reports the progress of a diagnostics upload.
public enum DiagnosticsStatusNotification: OCPPAction {
    public static let name = "DiagnosticsStatusNotification"
    public static let sender = OCPPSender.chargePoint
    public static let profile = FeatureProfile.firmwareManagement

    public struct Request: OCPPRequest {
        public typealias Action = DiagnosticsStatusNotification
        public var status: DiagnosticsStatus

        public init(status: DiagnosticsStatus) { self.status = status }
    }

    public struct Response: OCPPPayload {
        public init() {}
    }
}

/// The state of a diagnostics upload; Idle answers a trigger when no upload is running.
public enum DiagnosticsStatus: String, OCPPEnum {
    case idle = "Idle"
    case uploaded = "Uploaded"
    case uploadFailed = "UploadFailed"
    case uploading = "Uploading"
}
