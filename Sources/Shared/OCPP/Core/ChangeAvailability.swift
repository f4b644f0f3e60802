/// ChangeAvailability: the central system makes a connector, or with connectorId 0 the whole charge point,
/// operative or inoperative.
public enum ChangeAvailability: OCPPAction {
    public static let name = "ChangeAvailability"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.core

    public struct Request: OCPPRequest {
        public typealias Action = ChangeAvailability
        public var connectorId: Int
        public var type: AvailabilityType

        public init(connectorId: Int, type: AvailabilityType) {
            self.connectorId = connectorId
            self.type = type
        }

        public func validate() throws {
            try checkConnectorId(connectorId, allowsZero: true)
        }
    }

    public struct Response: OCPPPayload {
        public var status: AvailabilityStatus

        public init(status: AvailabilityStatus) { self.status = status }
    }
}

/// A charge point's answer to ChangeAvailability; Scheduled means after the running transaction ends.
public enum AvailabilityStatus: String, OCPPEnum {
    case accepted = "Accepted"
    case rejected = "Rejected"
    case scheduled = "Scheduled"
}
