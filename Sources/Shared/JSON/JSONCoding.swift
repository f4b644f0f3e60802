import Foundation

/// The JSON conventions of OCPP payloads and of the REST API: RFC 3339 UTC times with milliseconds.
public enum JSONCoding {
    /// Encodes `value` to compact JSON bytes (`JSONValueEncoder`).
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        try JSONValueEncoder.encode(value).write(to: &out)
        return out
    }

    /// Encodes `value` to a `JSONValue`.
    public static func jsonValue<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONValueEncoder.encode(value)
    }

    /// Parses and decodes `T` strictly (see `JSONValueDecoder`).
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: some Sequence<UInt8>) throws -> T {
        try JSONValueDecoder.decode(type, from: JSONParser.parse(bytes))
    }
}
