import Foundation

/// UpdateFirmware: the central system asks a charge point to download and install firmware from `location`.
public enum UpdateFirmware: OCPPAction {
    public static let name = "UpdateFirmware"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.firmwareManagement

    public struct Request: OCPPRequest {
        public typealias Action = UpdateFirmware
        /// The URI of the firmware.
        public var location: String
        public var retries: Int?
        /// When to start the download, at the earliest.
        public var retrieveDate: Date
        /// Seconds between retries.
        public var retryInterval: Int?

        public init(location: String, retries: Int? = nil, retrieveDate: Date, retryInterval: Int? = nil) {
            self.location = location
            self.retries = retries
            self.retrieveDate = retrieveDate
            self.retryInterval = retryInterval
        }

        public func validate() throws {
            try checkAbsoluteURI(location, field: "location")
        }
    }

    /// The charge point reports progress with FirmwareStatusNotification instead.
    public struct Response: OCPPPayload {
        public init() {}
    }
}
