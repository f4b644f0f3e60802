import Foundation

/// SecurityEventNotification: a charge point reports a security event (white paper, use case A04).
public enum SecurityEventNotification: OCPPAction {
    public static let name = "SecurityEventNotification"
    public static let sender = OCPPSender.chargePoint
    public static let profile = FeatureProfile.security

    public struct Request: OCPPRequest {
        public typealias Action = SecurityEventNotification
        /// The white paper's event type (`TamperDetectionActivated`, ...), or a vendor's own.
        public var type: CiString50
        public var timestamp: Date
        public var techInfo: CiString255?

        public init(type: CiString50, timestamp: Date, techInfo: CiString255? = nil) {
            self.type = type
            self.timestamp = timestamp
            self.techInfo = techInfo
        }
    }

    public struct Response: OCPPPayload {
        public init() {}
    }

    /// The events the white paper's list (appendix 1) marks critical: a charge point sends them even when they happen
    /// offline, and an operator should look at each.
    public static let criticalTypes: Set<String> = [
        "FirmwareUpdated", "SettingSystemTime", "StartupOfTheDevice", "ResetOrReboot", "SecurityLogWasCleared", "MemoryExhaustion",
        "TamperDetectionActivated",
    ]
}
