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
        let texts = [measurand, phase, location, context, unit, value]
        let length = 3 * 9 + texts.reduce(0) { $0 + 5 + ($1?.utf8.count ?? 0) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { buffer in
            var key = KeyBytes(buffer)
            key.integer(Int64(connectorId))
            key.integer(transactionId.map(Int64.init))
            key.integer(StoredTime.milliseconds(timestamp))
            for text in texts { key.text(text) }
            var hasher = SHA256()
            // Through raw buffers, in one piece: the generic `hash(data:)` and a digest's `prefix` ran unspecialized
            // here, with a metadata lookup at every step, and an update per field cost as much again.
            hasher.update(bufferPointer: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: buffer[..<key.count])))
            return hasher.finalize().withUnsafeBytes { Hex.string(UnsafeRawBufferPointer(rebasing: $0.prefix(16))) }
        }
    }
}

/// Writes a key's fields into a buffer the caller sized for them.
private struct KeyBytes {
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        self.buffer = buffer
    }

    /// 0 when absent, else 1 and the value's 8 bytes, little-endian.
    mutating func integer(_ value: Int64?) {
        guard let value else { return byte(0) }
        byte(1)
        withUnsafeBytes(of: value.littleEndian) { raw($0) }
    }

    /// 0 when absent, else 2, the length of its UTF-8 in 4 bytes, little-endian, and the UTF-8.
    mutating func text(_ value: String?) {
        guard var value else { return byte(0) }
        byte(2)
        withUnsafeBytes(of: UInt32(value.utf8.count).littleEndian) { raw($0) }
        value.withUTF8 { raw(UnsafeRawBufferPointer($0)) }
    }

    private mutating func byte(_ value: UInt8) {
        buffer[count] = value
        count += 1
    }

    private mutating func raw(_ bytes: UnsafeRawBufferPointer) {
        UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[count..<count + bytes.count])).copyMemory(from: bytes)
        count += bytes.count
    }
}

/// A sampled value with its key, made where the message is handled: hashing on the store's one writer thread would hold
/// every station's commit up.
struct KeyedMeterValue: Sendable {
    let record: MeterValueRecord
    let key: String

    init(_ record: MeterValueRecord) {
        self.record = record
        key = record.sampleKey
    }
}
