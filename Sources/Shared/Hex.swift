import Foundation

/// Bytes as hex text, and random secrets as hex: API tokens, key salts, upload tokens, file ids, fingerprints, digests.
public enum Hex {
    public static func string(_ bytes: some Sequence<UInt8>, uppercase: Bool = false) -> String {
        Array(bytes).withUnsafeBytes { string($0, uppercase: uppercase) }
    }

    /// Two digits per byte from a table, written into the string's own storage: String(format:) per byte cost
    /// thousands of instructions each, and generic code over a sequence as many again (a meter value's key is written
    /// in hex on every insert).
    public static func string(_ bytes: UnsafeRawBufferPointer, uppercase: Bool = false) -> String {
        let digits = uppercase ? upperDigits : lowerDigits
        return String(unsafeUninitializedCapacity: bytes.count * 2) { text in
            for (index, byte) in bytes.enumerated() {
                text[2 * index] = digits[Int(byte >> 4)]
                text[2 * index + 1] = digits[Int(byte & 0x0f)]
            }
            return bytes.count * 2
        }
    }

    private static let lowerDigits = Array("0123456789abcdef".utf8)
    private static let upperDigits = Array("0123456789ABCDEF".utf8)

    /// `count` bytes from the system's cryptographic generator.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    public static func random(bytes count: Int) -> String { string(randomBytes(count)) }

    /// The bytes of hex text; nil when it is not an even number of hex digits.
    public static func bytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
