/// SignedFirmwareStatusNotification: a charge point reports the progress of a SignedUpdateFirmware.
public enum SignedFirmwareStatusNotification: OCPPAction {
    public static let name = "SignedFirmwareStatusNotification"
    public static let sender = OCPPSender.chargePoint
    public static let profile = FeatureProfile.security

    public struct Request: OCPPRequest {
        public typealias Action = SignedFirmwareStatusNotification
        public var status: SignedFirmwareStatus
        /// The requestId of the SignedUpdateFirmware this is about; absent when triggered while idle.
        public var requestId: Int?

        public init(status: SignedFirmwareStatus, requestId: Int? = nil) {
            self.status = status
            self.requestId = requestId
        }
    }

    public struct Response: OCPPPayload {
        public init() {}
    }
}

/// The states of a signed firmware update.
public enum SignedFirmwareStatus: String, OCPPEnum {
    case downloaded = "Downloaded"
    case downloadFailed = "DownloadFailed"
    case downloading = "Downloading"
    case downloadScheduled = "DownloadScheduled"
    case downloadPaused = "DownloadPaused"
    case idle = "Idle"
    case installationFailed = "InstallationFailed"
    case installing = "Installing"
    case installed = "Installed"
    case installRebooting = "InstallRebooting"
    case installScheduled = "InstallScheduled"
    case installVerificationFailed = "InstallVerificationFailed"
    case invalidSignature = "InvalidSignature"
    case signatureVerified = "SignatureVerified"
}
