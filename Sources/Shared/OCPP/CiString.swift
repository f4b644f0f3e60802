/// The maximum length of a CiString type.
public protocol CiStringLength: Sendable {
    static var maxLength: Int { get }
}

public enum Length20: CiStringLength { public static let maxLength = 20 }
public enum Length25: CiStringLength { public static let maxLength = 25 }
public enum Length50: CiStringLength { public static let maxLength = 50 }
public enum Length255: CiStringLength { public static let maxLength = 255 }
public enum Length500: CiStringLength { public static let maxLength = 500 }
// The lengths of the security extension's strings (white paper "Improved security for OCPP 1.6-J").
public enum Length40: CiStringLength { public static let maxLength = 40 }
public enum Length128: CiStringLength { public static let maxLength = 128 }
public enum Length512: CiStringLength { public static let maxLength = 512 }
public enum Length800: CiStringLength { public static let maxLength = 800 }
public enum Length5500: CiStringLength { public static let maxLength = 5500 }
public enum Length10000: CiStringLength { public static let maxLength = 10000 }

/// OCPP's case-insensitive string with a maximum length, checked when decoded.
/// Comparison is case-insensitive as the specification defines; the text is kept as sent.
public struct CiString<L: CiStringLength>: Codable, Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let value: String

    /// Nil when `value` is longer than the maximum.
    public init?(_ value: String) {
        guard value.unicodeScalars.count <= L.maxLength else { return nil }
        self.value = value
    }

    public init(stringLiteral value: String) {
        precondition(value.unicodeScalars.count <= L.maxLength, "CiString literal too long")
        self.value = value
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let string = CiString(text) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "string of \(text.unicodeScalars.count) characters exceeds the maximum length of \(L.maxLength)"
                )
            )
        }
        self = string
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    public var description: String { value }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.value.lowercased() == rhs.value.lowercased()
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(value.lowercased())
    }
}

public typealias CiString20 = CiString<Length20>
public typealias CiString25 = CiString<Length25>
public typealias CiString50 = CiString<Length50>
public typealias CiString255 = CiString<Length255>
public typealias CiString500 = CiString<Length500>
/// A PEM certificate, CSR or chain of the security extension: the schemas bound them by length only.
public typealias PEMText5500 = CiString<Length5500>
public typealias PEMText10000 = CiString<Length10000>

/// IdToken: the identifier of an RFID card or other authorization, CiString20.
public typealias IdToken = CiString20

/// An OCPP enumeration: decoding an unknown value names the allowed ones.
public protocol OCPPEnum: RawRepresentable, Codable, Sendable, Hashable, CaseIterable where RawValue == String {}

extension OCPPEnum {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: text) else {
            let allowed = Self.allCases.map(\.rawValue).joined(separator: ", ")
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not one of: \(allowed)")
            )
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
