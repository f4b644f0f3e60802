import Foundation

/// GetCompositeSchedule: the central system asks for the schedule a connector will follow, all profiles combined.
public enum GetCompositeSchedule: OCPPAction {
    public static let name = "GetCompositeSchedule"
    public static let sender = OCPPSender.centralSystem
    public static let profile = FeatureProfile.smartCharging

    public struct Request: OCPPRequest {
        public typealias Action = GetCompositeSchedule
        /// 0 asks for the whole charge point's expected consumption.
        public var connectorId: Int
        /// Seconds from now.
        public var duration: Int
        public var chargingRateUnit: ChargingRateUnitType?

        public init(connectorId: Int, duration: Int, chargingRateUnit: ChargingRateUnitType? = nil) {
            self.connectorId = connectorId
            self.duration = duration
            self.chargingRateUnit = chargingRateUnit
        }

        public func validate() throws {
            try checkConnectorId(connectorId, allowsZero: true)
        }
    }

    public struct Response: OCPPPayload {
        public var status: GetCompositeScheduleStatus
        public var connectorId: Int?
        /// When the schedule's periods start counting.
        public var scheduleStart: Date?
        public var chargingSchedule: ChargingSchedule?

        public init(
            status: GetCompositeScheduleStatus, connectorId: Int? = nil, scheduleStart: Date? = nil,
            chargingSchedule: ChargingSchedule? = nil
        ) {
            self.status = status
            self.connectorId = connectorId
            self.scheduleStart = scheduleStart
            self.chargingSchedule = chargingSchedule
        }

        public func validate() throws {
            try chargingSchedule?.validate(at: "chargingSchedule")
        }
    }
}

/// A charge point's answer to GetCompositeSchedule.
public enum GetCompositeScheduleStatus: String, OCPPEnum {
    case accepted = "Accepted"
    case rejected = "Rejected"
}
