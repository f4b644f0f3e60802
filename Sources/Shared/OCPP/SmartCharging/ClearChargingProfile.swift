/// ClearChargingProfile: the central system removes the charging profiles that match all the given criteria
/// (all profiles when none is given).
public enum ClearChargingProfile: OCPPAction {
    public static let name = "ClearChargingProfile"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.smartCharging

    public struct Request: OCPPRequest {
        public typealias Action = ClearChargingProfile
        /// The chargingProfileId of the profile to clear.
        public var id: Int?
        public var connectorId: Int?
        public var chargingProfilePurpose: ChargingProfilePurposeType?
        public var stackLevel: Int?

        public init(
            id: Int? = nil, connectorId: Int? = nil, chargingProfilePurpose: ChargingProfilePurposeType? = nil, stackLevel: Int? = nil
        ) {
            self.id = id
            self.connectorId = connectorId
            self.chargingProfilePurpose = chargingProfilePurpose
            self.stackLevel = stackLevel
        }
    }

    public struct Response: OCPPPayload {
        public var status: ClearChargingProfileStatus

        public init(status: ClearChargingProfileStatus) { self.status = status }
    }
}

/// A charge point's answer to ClearChargingProfile; Unknown when no profile matched.
public enum ClearChargingProfileStatus: String, OCPPEnum {
    case accepted = "Accepted"
    case unknown = "Unknown"
}
