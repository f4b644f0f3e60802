import Crypto

/// Bytes as hex text, and random secrets as hex: API tokens, key salts, upload tokens, file ids, fingerprints.
enum Hex {
    static func string(_ bytes: some Sequence<UInt8>, uppercase: Bool = false) -> String {
        bytes.map { String(format: uppercase ? "%02X" : "%02x", $0) }.joined()
    }

    /// `count` bytes from the system's cryptographic generator.
    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    static func random(bytes count: Int) -> String { string(randomBytes(count)) }

    static func sha256(_ bytes: some Sequence<UInt8>) -> String { string(SHA256.hash(data: Array(bytes))) }
}
