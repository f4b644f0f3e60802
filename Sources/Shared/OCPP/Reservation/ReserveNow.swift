import Foundation

/// ReserveNow: the central system reserves a connector, or with connectorId 0 any connector, for an idTag.
public enum ReserveNow: OCPPAction {
    public static let name = "ReserveNow"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.reservation

    public struct Request: OCPPRequest {
        public typealias Action = ReserveNow
        public var connectorId: Int
        /// When the reservation ends.
        public var expiryDate: Date
        public var idTag: IdToken
        /// Any tag with this parent may use the reservation too.
        public var parentIdTag: IdToken?
        /// Reusing the id of an existing reservation replaces that reservation.
        public var reservationId: Int

        public init(connectorId: Int, expiryDate: Date, idTag: IdToken, parentIdTag: IdToken? = nil, reservationId: Int) {
            self.connectorId = connectorId
            self.expiryDate = expiryDate
            self.idTag = idTag
            self.parentIdTag = parentIdTag
            self.reservationId = reservationId
        }

        public func validate() throws {
            try checkConnectorId(connectorId, allowsZero: true)
        }
    }

    public struct Response: OCPPPayload {
        public var status: ReservationStatus

        public init(status: ReservationStatus) { self.status = status }
    }
}

/// A charge point's answer to ReserveNow.
public enum ReservationStatus: String, OCPPEnum {
    case accepted = "Accepted"
    case faulted = "Faulted"
    case occupied = "Occupied"
    case rejected = "Rejected"
    case unavailable = "Unavailable"
}
