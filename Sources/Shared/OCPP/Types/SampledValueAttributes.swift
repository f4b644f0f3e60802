/// Why a meter value was sampled.
public enum ReadingContext: String, OCPPEnum {
    case interruptionBegin = "Interruption.Begin"
    case interruptionEnd = "Interruption.End"
    case sampleClock = "Sample.Clock"
    case samplePeriodic = "Sample.Periodic"
    case transactionBegin = "Transaction.Begin"
    case transactionEnd = "Transaction.End"
    case trigger = "Trigger"
    case other = "Other"
}

/// Whether a sampled value is a plain number or signed data.
public enum ValueFormat: String, OCPPEnum {
    case raw = "Raw"
    case signedData = "SignedData"
}

/// The quantity a sampled value measures.
public enum Measurand: String, OCPPEnum {
    case energyActiveExportRegister = "Energy.Active.Export.Register"
    case energyActiveImportRegister = "Energy.Active.Import.Register"
    case energyReactiveExportRegister = "Energy.Reactive.Export.Register"
    case energyReactiveImportRegister = "Energy.Reactive.Import.Register"
    case energyActiveExportInterval = "Energy.Active.Export.Interval"
    case energyActiveImportInterval = "Energy.Active.Import.Interval"
    case energyReactiveExportInterval = "Energy.Reactive.Export.Interval"
    case energyReactiveImportInterval = "Energy.Reactive.Import.Interval"
    case powerActiveExport = "Power.Active.Export"
    case powerActiveImport = "Power.Active.Import"
    case powerOffered = "Power.Offered"
    case powerReactiveExport = "Power.Reactive.Export"
    case powerReactiveImport = "Power.Reactive.Import"
    case powerFactor = "Power.Factor"
    case currentImport = "Current.Import"
    case currentExport = "Current.Export"
    case currentOffered = "Current.Offered"
    case voltage = "Voltage"
    case frequency = "Frequency"
    case temperature = "Temperature"
    case soc = "SoC"
    case rpm = "RPM"
}

/// The phase or phases a sampled value was measured on.
public enum Phase: String, OCPPEnum {
    case l1 = "L1"
    case l2 = "L2"
    case l3 = "L3"
    case n = "N"
    case l1N = "L1-N"
    case l2N = "L2-N"
    case l3N = "L3-N"
    case l1L2 = "L1-L2"
    case l2L3 = "L2-L3"
    case l3L1 = "L3-L1"
}

/// Where a sampled value was measured.
public enum Location: String, OCPPEnum {
    case cable = "Cable"
    case ev = "EV"
    case inlet = "Inlet"
    case outlet = "Outlet"
    case body = "Body"
}

/// The unit of a sampled value.
public enum UnitOfMeasure: String, OCPPEnum {
    case wh = "Wh"
    case kWh = "kWh"
    case varh = "varh"
    case kvarh = "kvarh"
    case w = "W"
    case kW = "kW"
    case va = "VA"
    case kVA = "kVA"
    case `var` = "var"
    case kvar = "kvar"
    case a = "A"
    case v = "V"
    case k = "K"
    /// The schema's misspelling; chargers built to the schema send it.
    case celcius = "Celcius"
    /// Added by the OCPP 1.6 errata, which tells central systems to accept both spellings.
    case celsius = "Celsius"
    case fahrenheit = "Fahrenheit"
    case percent = "Percent"
    /// Added by the OCPP 1.6 errata (v4.0) as the unit of Frequency.
    case hertz = "Hertz"
}
