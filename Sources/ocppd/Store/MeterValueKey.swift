import Crypto
import Foundation
import Shared

extension MeterValueRecord {
    /// What makes a sampled value the same as another of its station: connector, transaction, timestamp (to the
    /// millisecond, as stored), measurand, phase, location, context, unit and value, each written with its length (or
    /// as absent), hashed with SHA-256, cut to 16 bytes and written in hex. The store keeps one row per station and
    /// key (a unique index), so a value a charger sends again after a lost answer is not stored twice. `format` is left out: the
    /// same reading sent as Raw or SignedData is still the same reading.
    var sampleKey: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(96)
        func integer(_ value: Int64?) {
            guard let value else { return bytes.append(0) }
            bytes.append(1)
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        func text(_ value: String?) {
            guard let value else { return bytes.append(0) }
            let utf8 = value.utf8
            bytes.append(2)
            withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: utf8)
        }
        integer(Int64(connectorId))
        integer(transactionId.map(Int64.init))
        integer(StoredTime.milliseconds(timestamp))
        text(measurand)
        text(phase)
        text(location)
        text(context)
        text(unit)
        text(value)
        return Hex.string(SHA256.hash(data: bytes).prefix(16))
    }
}
