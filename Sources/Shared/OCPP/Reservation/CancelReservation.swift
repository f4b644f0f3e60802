/// CancelReservation: the central system cancels a reservation on a charge point.
public enum CancelReservation: OCPPAction {
    public static let name = "CancelReservation"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.reservation

    public struct Request: OCPPRequest {
        public typealias Action = CancelReservation
        public var reservationId: Int

        public init(reservationId: Int) { self.reservationId = reservationId }
    }

    public struct Response: OCPPPayload {
        public var status: CancelReservationStatus

        public init(status: CancelReservationStatus) { self.status = status }
    }
}

/// A charge point's answer to CancelReservation; Rejected when it has no such reservation.
public enum CancelReservationStatus: String, OCPPEnum {
    case accepted = "Accepted"
    case rejected = "Rejected"
}
