import Foundation

/// Decodes `Decodable` types from a parsed `JSONValue`, strictly: no number-to-string or
/// string-to-number coercion, integers must be integral, and `Date` must be an RFC 3339 date-time.
/// Errors are `DecodingError`s whose coding path names the offending field.
public struct JSONValueDecoder: Decoder {
    public let value: JSONValue
    /// The path is put together only when asked for (errors, nested containers): a field's decoder keeps its
    /// container's path and its own key, so that decoding a field allocates no path.
    private let basePath: [any CodingKey]
    private let lastKey: (any CodingKey)?
    public var codingPath: [any CodingKey] { lastKey.map { basePath + [$0] } ?? basePath }
    public var userInfo: [CodingUserInfoKey: Any] { [:] }

    public init(value: JSONValue, codingPath: [any CodingKey] = []) {
        self.value = value
        self.basePath = codingPath
        self.lastKey = nil
    }

    init(value: JSONValue, in basePath: [any CodingKey], at key: any CodingKey) {
        self.value = value
        self.basePath = basePath
        self.lastKey = key
    }

    /// Decodes `type` from `value`.
    public static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try JSONValueDecoder(value: value).decodeValue(type)
    }

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        // The common leaves by type identity, without `T(from:)` and its single-value container.
        if T.self == String.self {
            guard case .string(let text) = value else { throw mismatch(type, expected: "a string") }
            return unsafeBitCast(text, to: T.self)
        }
        if T.self == Int.self { return unsafeBitCast(try SingleValueContainer(decoder: self).integer(Int.self), to: T.self) }
        if T.self == Double.self { return unsafeBitCast(try SingleValueContainer(decoder: self).decode(Double.self), to: T.self) }
        if type == Date.self {
            guard case .string(let text) = value else { throw mismatch(type, expected: "a date-time string") }
            guard let date = OCPPDate.parse(text) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: codingPath, debugDescription: "'\(text)' is not an RFC 3339 date-time")
                )
            }
            return date as! T
        }
        return try T(from: self)
    }

    func mismatch(_ type: Any.Type, expected: String) -> DecodingError {
        DecodingError.typeMismatch(
            type,
            .init(codingPath: codingPath, debugDescription: "expected \(expected), found \(value.typeName)")
        )
    }

    public func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else { throw mismatch([String: Any].self, expected: "an object") }
        return KeyedDecodingContainer(KeyedContainer<Key>(object: object, codingPath: codingPath))
    }

    public func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw mismatch([Any].self, expected: "an array") }
        return UnkeyedContainer(elements: elements, codingPath: codingPath)
    }

    public func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueContainer(decoder: self)
    }

    struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let object: JSONObject
        let codingPath: [any CodingKey]

        var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool { object[key.stringValue] != nil }

        func decoder(for key: Key) throws -> JSONValueDecoder {
            guard let value = object[key.stringValue] else {
                throw DecodingError.keyNotFound(
                    key,
                    .init(codingPath: codingPath, debugDescription: "required field '\(key.stringValue)' is missing")
                )
            }
            return JSONValueDecoder(value: value, in: codingPath, at: key)
        }

        func decodeNil(forKey key: Key) throws -> Bool {
            guard let value = object[key.stringValue] else { return true }
            if case .null = value { return true }
            return false
        }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            let decoder = try decoder(for: key)
            if case .null = decoder.value {
                throw DecodingError.valueNotFound(
                    type,
                    .init(codingPath: decoder.codingPath, debugDescription: "required field '\(key.stringValue)' is null")
                )
            }
            return try decoder.decodeValue(type)
        }

        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
            guard let value = object[key.stringValue] else { return nil }
            if case .null = value { return nil }
            return try JSONValueDecoder(value: value, in: codingPath, at: key).decodeValue(type)
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
            -> KeyedDecodingContainer<NestedKey>
        {
            try decoder(for: key).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try decoder(for: key).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder {
            JSONValueDecoder(value: .object(object), codingPath: codingPath)
        }

        func superDecoder(forKey key: Key) throws -> any Decoder {
            try decoder(for: key)
        }
    }

    struct UnkeyedContainer: UnkeyedDecodingContainer {
        let elements: [JSONValue]
        let codingPath: [any CodingKey]
        var currentIndex = 0

        init(elements: [JSONValue], codingPath: [any CodingKey]) {
            self.elements = elements
            self.codingPath = codingPath
        }

        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }

        mutating func nextDecoder() throws -> JSONValueDecoder {
            let key = AnyCodingKey(intValue: currentIndex)!
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(
                    JSONValue.self,
                    .init(codingPath: codingPath + [key], debugDescription: "array has too few elements")
                )
            }
            defer { currentIndex += 1 }
            return JSONValueDecoder(value: elements[currentIndex], in: codingPath, at: key)
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, case .null = elements[currentIndex] else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try nextDecoder().decodeValue(type)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            try nextDecoder().container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            try nextDecoder().unkeyedContainer()
        }

        mutating func superDecoder() throws -> any Decoder {
            try nextDecoder()
        }
    }

    struct SingleValueContainer: SingleValueDecodingContainer {
        let decoder: JSONValueDecoder
        var codingPath: [any CodingKey] { decoder.codingPath }

        func decodeNil() -> Bool {
            if case .null = decoder.value { return true }
            return false
        }

        func decode(_ type: Bool.Type) throws -> Bool {
            guard case .bool(let b) = decoder.value else { throw decoder.mismatch(type, expected: "a boolean") }
            return b
        }

        func decode(_ type: String.Type) throws -> String {
            guard case .string(let s) = decoder.value else { throw decoder.mismatch(type, expected: "a string") }
            return s
        }

        func decode(_ type: Double.Type) throws -> Double {
            switch decoder.value {
            case .integer(let i): return Double(i)
            case .number(let d): return d
            default: throw decoder.mismatch(type, expected: "a number")
            }
        }

        func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

        func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
            let result: I?
            switch decoder.value {
            case .integer(let i): result = I(exactly: i)
            case .number(let d): result = d.rounded() == d ? I(exactly: d) : nil
            default: throw decoder.mismatch(type, expected: "an integer")
            }
            guard let result else {
                if case .number(let d) = decoder.value, d.rounded() != d {
                    throw decoder.mismatch(type, expected: "an integer")
                }
                throw DecodingError.dataCorrupted(
                    .init(codingPath: codingPath, debugDescription: "\(decoder.value.jsonText) is out of range for \(type)")
                )
            }
            return result
        }

        func decode(_ type: Int.Type) throws -> Int { try integer(type) }
        func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
        func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
        func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
        func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
        func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try decoder.decodeValue(type)
        }
    }
}

extension DecodingError {
    /// The dotted JSON path of the field the error is about, e.g. `meterValue[0].sampledValue[1].value`.
    public var fieldPath: String {
        let context: Context
        var path: [any CodingKey]
        switch self {
        case .keyNotFound(let key, let c):
            context = c
            path = c.codingPath + [key]
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            context = c
            path = c.codingPath
        @unknown default:
            return ""
        }
        _ = context
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                if !text.isEmpty { text += "." }
                text += key.stringValue
            }
        }
        return text
    }

    /// The human reason, without Swift type names.
    public var reason: String {
        switch self {
        case .keyNotFound(_, let c), .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            return c.debugDescription
        @unknown default:
            return "\(self)"
        }
    }
}
