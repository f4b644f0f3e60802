/// SetChargingProfile: the central system installs a charging profile on a connector, or with connectorId 0 on the
/// whole charge point.
public enum SetChargingProfile: OCPPAction {
    public static let name = "SetChargingProfile"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.smartCharging

    public struct Request: OCPPRequest {
        public typealias Action = SetChargingProfile
        public var connectorId: Int
        public var csChargingProfiles: ChargingProfile

        public init(connectorId: Int, csChargingProfiles: ChargingProfile) {
            self.connectorId = connectorId
            self.csChargingProfiles = csChargingProfiles
        }

        public func validate() throws {
            try checkConnectorId(connectorId, allowsZero: true)
            try csChargingProfiles.validate(at: "csChargingProfiles")
        }
    }

    public struct Response: OCPPPayload {
        public var status: ChargingProfileStatus

        public init(status: ChargingProfileStatus) { self.status = status }
    }
}

/// A charge point's answer to SetChargingProfile.
public enum ChargingProfileStatus: String, OCPPEnum {
    case accepted = "Accepted"
    case rejected = "Rejected"
    case notSupported = "NotSupported"
}
