import Foundation

/// The sampled values a charge point measured at one moment.
public struct MeterValue: Codable, Sendable, Equatable {
    public var timestamp: Date
    public var sampledValue: [SampledValue]

    public init(timestamp: Date, sampledValue: [SampledValue]) {
        self.timestamp = timestamp
        self.sampledValue = sampledValue
    }
}

/// One measured value with what, where and how it was measured.
public struct SampledValue: Codable, Sendable, Equatable {
    /// A number as text, or signed data when `format` is SignedData.
    public var value: String
    /// Absent means Sample.Periodic.
    public var context: ReadingContext?
    /// Absent means Raw.
    public var format: ValueFormat?
    /// Absent means Energy.Active.Import.Register; kept absent so a record shows what the charger sent.
    public var measurand: Measurand?
    public var phase: Phase?
    /// Absent means Outlet.
    public var location: Location?
    /// Absent means Wh.
    public var unit: UnitOfMeasure?

    public init(
        value: String, context: ReadingContext? = nil, format: ValueFormat? = nil, measurand: Measurand? = nil, phase: Phase? = nil,
        location: Location? = nil, unit: UnitOfMeasure? = nil
    ) {
        self.value = value
        self.context = context
        self.format = format
        self.measurand = measurand
        self.phase = phase
        self.location = location
        self.unit = unit
    }
}
