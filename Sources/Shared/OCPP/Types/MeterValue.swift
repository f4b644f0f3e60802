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

// Read from plain JSON (`OCPPPayload.init(plainJSON:)`, PlainJSON.swift): a MeterValues is most of what a charging
// session sends, and a StopTransaction's transactionData is meter values too.

extension MeterValue {
    public init?(plainJSON json: JSONValue) {
        var timestamp: Date?
        var sampledValue: [SampledValue]?
        let plain = json.readPlainly { name, value in
            switch name {
            case "timestamp": value.plain(into: &timestamp)
            case "sampledValue": value.plain(into: &sampledValue, each: SampledValue.init(plainJSON:))
            default: true
            }
        }
        guard plain, let timestamp, let sampledValue else { return nil }
        self.init(timestamp: timestamp, sampledValue: sampledValue)
    }
}

extension SampledValue {
    public init?(plainJSON json: JSONValue) {
        var value: String?
        var sample = SampledValue(value: "")
        let plain = json.readPlainly { name, member in
            switch name {
            case "value": member.plain(into: &value)
            case "context": member.plainOptional(into: &sample.context)
            case "format": member.plainOptional(into: &sample.format)
            case "measurand": member.plainOptional(into: &sample.measurand)
            case "phase": member.plainOptional(into: &sample.phase)
            case "location": member.plainOptional(into: &sample.location)
            case "unit": member.plainOptional(into: &sample.unit)
            default: true
            }
        }
        guard plain, let value else { return nil }
        sample.value = value
        self = sample
    }
}
