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
        guard case .object(let object) = json else { return nil }
        var timestamp: Date?
        var sampledValue: [SampledValue]?
        for (key, value) in object.members {
            switch key {
            case "timestamp":
                guard let date = value.plainDate else { return nil }
                timestamp = date
            case "sampledValue":
                guard let samples = value.plainArray(SampledValue.init(plainJSON:)) else { return nil }
                sampledValue = samples
            default: continue
            }
        }
        guard let timestamp, let sampledValue else { return nil }
        self.init(timestamp: timestamp, sampledValue: sampledValue)
    }
}

extension SampledValue {
    public init?(plainJSON json: JSONValue) {
        guard case .object(let object) = json else { return nil }
        var value: String?
        var sample = SampledValue(value: "")
        for (key, member) in object.members {
            switch key {
            case "value":
                guard case .string(let text) = member else { return nil }
                value = text
            case "context": guard member.plainOptional(into: &sample.context) else { return nil }
            case "format": guard member.plainOptional(into: &sample.format) else { return nil }
            case "measurand": guard member.plainOptional(into: &sample.measurand) else { return nil }
            case "phase": guard member.plainOptional(into: &sample.phase) else { return nil }
            case "location": guard member.plainOptional(into: &sample.location) else { return nil }
            case "unit": guard member.plainOptional(into: &sample.unit) else { return nil }
            default: continue
            }
        }
        guard let value else { return nil }
        sample.value = value
        self = sample
    }
}
