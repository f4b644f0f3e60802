import Foundation

/// A charging profile: limits over time that a charge point applies to a connector or transaction.
public struct ChargingProfile: Codable, Sendable, Equatable {
    public var chargingProfileId: Int
    /// Only with purpose TxProfile: the transaction the profile applies to.
    public var transactionId: Int?
    public var stackLevel: Int
    public var chargingProfilePurpose: ChargingProfilePurposeType
    public var chargingProfileKind: ChargingProfileKindType
    /// Only with kind Recurring.
    public var recurrencyKind: RecurrencyKindType?
    public var validFrom: Date?
    public var validTo: Date?
    public var chargingSchedule: ChargingSchedule

    public init(
        chargingProfileId: Int, transactionId: Int? = nil, stackLevel: Int, chargingProfilePurpose: ChargingProfilePurposeType,
        chargingProfileKind: ChargingProfileKindType, recurrencyKind: RecurrencyKindType? = nil, validFrom: Date? = nil,
        validTo: Date? = nil, chargingSchedule: ChargingSchedule
    ) {
        self.chargingProfileId = chargingProfileId
        self.transactionId = transactionId
        self.stackLevel = stackLevel
        self.chargingProfilePurpose = chargingProfilePurpose
        self.chargingProfileKind = chargingProfileKind
        self.recurrencyKind = recurrencyKind
        self.validFrom = validFrom
        self.validTo = validTo
        self.chargingSchedule = chargingSchedule
    }

    /// Checks the schema's number constraints; `path` is where the profile sits in its payload.
    public func validate(at path: String) throws {
        try chargingSchedule.validate(at: "\(path).chargingSchedule")
    }
}

/// The limits of a charging profile, period by period.
public struct ChargingSchedule: Codable, Sendable, Equatable {
    /// In seconds; absent means the last period lasts until the profile ends.
    public var duration: Int?
    public var startSchedule: Date?
    public var chargingRateUnit: ChargingRateUnitType
    public var chargingSchedulePeriod: [ChargingSchedulePeriod]
    public var minChargingRate: Double?

    public init(
        duration: Int? = nil, startSchedule: Date? = nil, chargingRateUnit: ChargingRateUnitType,
        chargingSchedulePeriod: [ChargingSchedulePeriod], minChargingRate: Double? = nil
    ) {
        self.duration = duration
        self.startSchedule = startSchedule
        self.chargingRateUnit = chargingRateUnit
        self.chargingSchedulePeriod = chargingSchedulePeriod
        self.minChargingRate = minChargingRate
    }

    /// Checks the schema's `multipleOf 0.1` on rates; `path` is where the schedule sits in its payload.
    public func validate(at path: String) throws {
        if let minChargingRate, !isMultipleOfTenth(minChargingRate) {
            throw constraintViolation("\(path).minChargingRate", "\(minChargingRate) is not a multiple of 0.1")
        }
        for (index, period) in chargingSchedulePeriod.enumerated() where !isMultipleOfTenth(period.limit) {
            throw constraintViolation("\(path).chargingSchedulePeriod[\(index)].limit", "\(period.limit) is not a multiple of 0.1")
        }
    }
}

/// One period of a charging schedule: from `startPeriod` seconds after the schedule's start, at most `limit`.
public struct ChargingSchedulePeriod: Codable, Sendable, Equatable {
    /// Seconds from the start of the schedule.
    public var startPeriod: Int
    /// In the schedule's chargingRateUnit (A or W), a multiple of 0.1.
    public var limit: Double
    /// Absent means 3.
    public var numberPhases: Int?

    public init(startPeriod: Int, limit: Double, numberPhases: Int? = nil) {
        self.startPeriod = startPeriod
        self.limit = limit
        self.numberPhases = numberPhases
    }
}

/// Tolerates binary rounding: 0.3 * 10 is 3.0000000000000004 in a Double, yet 0.3 is a multiple of 0.1.
private func isMultipleOfTenth(_ value: Double) -> Bool {
    guard value.isFinite else { return false }
    let tenths = value * 10
    return abs(tenths - tenths.rounded()) <= 1e-9 * max(1, abs(tenths))
}

/// What a charging profile is for, which decides how profiles combine.
public enum ChargingProfilePurposeType: String, OCPPEnum {
    case chargePointMaxProfile = "ChargePointMaxProfile"
    case txDefaultProfile = "TxDefaultProfile"
    case txProfile = "TxProfile"
}

/// How a charging profile's schedule is anchored in time.
public enum ChargingProfileKindType: String, OCPPEnum {
    case absolute = "Absolute"
    case recurring = "Recurring"
    case relative = "Relative"
}

/// How often a Recurring charging profile repeats.
public enum RecurrencyKindType: String, OCPPEnum {
    case daily = "Daily"
    case weekly = "Weekly"
}

/// The unit of a charging schedule's limits: amperes or watts.
public enum ChargingRateUnitType: String, OCPPEnum {
    case a = "A"
    case w = "W"
}
