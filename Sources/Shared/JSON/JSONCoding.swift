import Foundation

/// The JSON conventions of OCPP payloads and of the REST API: RFC 3339 UTC times with milliseconds.
public enum JSONCoding {
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(OCPPDate.format(date))
        }
        return encoder
    }

    /// Encodes `value` to compact JSON bytes.
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        Array(try makeEncoder().encode(value))
    }

    /// Encodes `value` to a `JSONValue`.
    public static func jsonValue<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONParser.parse(encode(value))
    }

    /// Parses and decodes `T` strictly (see `JSONValueDecoder`).
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: some Sequence<UInt8>) throws -> T {
        try JSONValueDecoder.decode(type, from: JSONParser.parse(bytes))
    }
}
