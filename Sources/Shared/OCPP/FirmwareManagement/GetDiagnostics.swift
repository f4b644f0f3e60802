import Foundation

/// GetDiagnostics: the central system asks a charge point to upload a diagnostics file to `location`.
public enum GetDiagnostics: OCPPAction {
    public static let name = "GetDiagnostics"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.firmwareManagement

    public struct Request: OCPPRequest {
        public typealias Action = GetDiagnostics
        /// The directory URI the file is uploaded to.
        public var location: String
        public var retries: Int?
        /// Seconds between retries.
        public var retryInterval: Int?
        /// Oldest log entry wanted.
        public var startTime: Date?
        /// Newest log entry wanted.
        public var stopTime: Date?

        public init(location: String, retries: Int? = nil, retryInterval: Int? = nil, startTime: Date? = nil, stopTime: Date? = nil) {
            self.location = location
            self.retries = retries
            self.retryInterval = retryInterval
            self.startTime = startTime
            self.stopTime = stopTime
        }

        public func validate() throws {
            try checkAbsoluteURI(location, field: "location")
        }
    }

    public struct Response: OCPPPayload {
        /// Absent when the charge point has no diagnostics to upload.
        public var fileName: CiString255?

        public init(fileName: CiString255? = nil) { self.fileName = fileName }
    }
}
