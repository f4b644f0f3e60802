import Foundation

/// GetLog: the central system asks a charge point to upload its diagnostics or security log.
public enum GetLog: OCPPAction {
    public static let name = "GetLog"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.security

    public struct Request: OCPPRequest {
        public typealias Action = GetLog
        public var log: LogParameters
        public var logType: LogType
        /// Chosen by the central system; the charge point's LogStatusNotifications carry it.
        public var requestId: Int
        public var retries: Int?
        /// Seconds between retries.
        public var retryInterval: Int?

        public init(log: LogParameters, logType: LogType, requestId: Int, retries: Int? = nil, retryInterval: Int? = nil) {
            self.log = log
            self.logType = logType
            self.requestId = requestId
            self.retries = retries
            self.retryInterval = retryInterval
        }
    }

    public struct Response: OCPPPayload {
        public var status: LogStatus
        /// The name of the file the charge point uploads; absent when there is none.
        public var filename: CiString255?

        public init(status: LogStatus, filename: CiString255? = nil) {
            self.status = status
            self.filename = filename
        }
    }
}

/// Where a log goes and which part of it.
public struct LogParameters: Codable, Sendable, Equatable {
    /// The URL the charge point uploads the log to.
    public var remoteLocation: CiString<Length512>
    public var oldestTimestamp: Date?
    public var latestTimestamp: Date?

    public init(remoteLocation: CiString<Length512>, oldestTimestamp: Date? = nil, latestTimestamp: Date? = nil) {
        self.remoteLocation = remoteLocation
        self.oldestTimestamp = oldestTimestamp
        self.latestTimestamp = latestTimestamp
    }
}

public enum LogType: String, OCPPEnum {
    case diagnosticsLog = "DiagnosticsLog"
    case securityLog = "SecurityLog"
}

public enum LogStatus: String, OCPPEnum {
    case accepted = "Accepted"
    case rejected = "Rejected"
    case acceptedCanceled = "AcceptedCanceled"
}
