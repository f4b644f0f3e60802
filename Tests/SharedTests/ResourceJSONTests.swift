import Foundation
import Testing

@testable import Shared

@Suite struct ResourceJSONTests {
    /// meter.values events build a value's JSON directly; it must be what the REST API's encoding gives.
    @Test(arguments: [
        MeterValueRecord(
            timestamp: Date(timeIntervalSince1970: 1_714_564_800.123), cpId: "CP \\\"1\"", transactionId: 7, connectorId: 2,
            measurand: "Energy.Active.Import.Register", value: "12.5", unit: "kWh", context: "Sample.Periodic", phase: "L1",
            location: "Outlet", format: "Raw"),
        MeterValueRecord(
            timestamp: Date(timeIntervalSince1970: 0), cpId: "CP2", transactionId: nil, connectorId: 0, measurand: "Power", value: "0"),
    ])
    func aMeterValuesJSONIsItsEncoding(_ record: MeterValueRecord) throws {
        let encoded = try JSONCoding.jsonValue(record)
        #expect(record.jsonValue == encoded)
    }
}
