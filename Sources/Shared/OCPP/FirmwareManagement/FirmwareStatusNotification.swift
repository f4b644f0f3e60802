/// FirmwareStatusNotification: a charge point reports the progress of a firmware update.
public enum FirmwareStatusNotification: OCPPAction {
    public static let name = "FirmwareStatusNotification"
    public static let sender = OCPPSender.chargePoint
    public static let profile = FeatureProfile.firmwareManagement

    public struct Request: OCPPRequest {
        public typealias Action = FirmwareStatusNotification
        public var status: FirmwareStatus

        public init(status: FirmwareStatus) { self.status = status }
    }

    public struct Response: OCPPPayload {
        public init() {}
    }
}

/// The state of a firmware update; Idle answers a trigger when no update is running.
public enum FirmwareStatus: String, OCPPEnum {
    case downloaded = "Downloaded"
    case downloadFailed = "DownloadFailed"
    case downloading = "Downloading"
    case idle = "Idle"
    case installationFailed = "InstallationFailed"
    case installing = "Installing"
    case installed = "Installed"
}
