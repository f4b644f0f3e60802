/// Reset: the central system asks a charge point to reboot.
public enum Reset: OCPPAction {
    public static let name = "Reset"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.core

    public struct Request: OCPPRequest {
        public typealias Action = Reset
        public var type: ResetType

        public init(type: ResetType) { self.type = type }
    }

    public struct Response: OCPPPayload {
        public var status: ResetStatus

        public init(status: ResetStatus) { self.status = status }
    }
}

/// Soft restarts the software; Hard restarts the hardware too.
public enum ResetType: String, OCPPEnum {
    case hard = "Hard"
    case soft = "Soft"
}

/// A charge point's answer to Reset.
public enum ResetStatus: String, OCPPEnum {
    case accepted = "Accepted"
    case rejected = "Rejected"
}
