import Foundation

/// Encodes `Encodable` values to a `JSONValue` with what Foundation's `JSONEncoder` wrote for ocppd before
/// (`.sortedKeys`, `.withoutEscapingSlashes`, dates as `OCPPDate.format`): keys in byte order, `nil` optionals left
/// out by `encodeIfPresent`, `Data` in Base64, URLs as their absolute string, integral numbers up to 2^53 without a
/// fraction. Every answer to a station and every REST body is encoded so; Foundation's encoder was a third of a
/// Heartbeat's instructions. Where it differs (none of ocppd's models has these): negative zero is written `0`,
/// integers beyond 64 bits and non-finite numbers are refused, `Decimal` is encoded by its own `Encodable`.
public enum JSONValueEncoder {
    public static func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        let node = try Node.encoding(value, codingPath: [])
        if case .empty = node.kind {
            throw EncodingError.invalidValue(
                value, .init(codingPath: [], debugDescription: "Top-level \(T.self) did not encode any values."))
        }
        return node.json
    }
}

/// A value being built: containers are references, so that a container handed out keeps filling its place.
private final class Node {
    enum Kind {
        case empty, scalar, keyed, unkeyed
    }

    var kind: Kind
    var value: JSONValue = .null
    /// An object's members as encoded; a key encoded again replaces its value.
    var members: [(key: String, node: Node)] = []
    /// Where each key is in `members`, once there are many (a large dictionary), so that encoding stays linear.
    private var positions: [String: Int]?
    var elements: [Node] = []

    init(_ kind: Kind = .empty) {
        self.kind = kind
    }

    convenience init(_ value: JSONValue) {
        self.init(Kind.scalar)
        self.value = value
    }

    var json: JSONValue {
        switch kind {
        case .empty: .object(JSONObject())
        case .scalar: value
        case .keyed:
            .object(
                JSONObject(
                    members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { (key: $0.key, value: $0.node.json) }))
        case .unkeyed: .array(elements.map(\.json))
        }
    }

    func set(_ key: String, _ node: Node) {
        if let index = position(of: key) {
            members[index].node = node
        } else {
            members.append((key: key, node: node))
            positions?[key] = members.count - 1
        }
    }

    func member(_ key: String) -> Node? {
        position(of: key).map { members[$0].node }
    }

    private func position(of key: String) -> Int? {
        if positions == nil, members.count >= 16 {
            positions = Dictionary(members.enumerated().map { ($0.element.key, $0.offset) }, uniquingKeysWith: { $1 })
        }
        if let positions { return positions[key] }
        return members.firstIndex { $0.key == key }
    }

    /// The member `key` as a container of `kind`: the one already there (Foundation merges into it), or a new one.
    func container(_ key: String, _ kind: Kind) -> Node {
        if let existing = member(key), existing.kind == kind { return existing }
        let child = Node(kind)
        set(key, child)
        return child
    }

    func set(_ value: JSONValue) {
        become(.scalar)
        self.value = value
    }

    /// What `other` holds, as this node's own.
    func take(_ other: Node) {
        kind = other.kind
        value = other.value
        members = other.members
        positions = nil
        elements = other.elements
    }

    func become(_ kind: Kind) {
        guard self.kind != kind else { return }
        self.kind = kind
        members = []
        positions = nil
        elements = []
    }

    static func encoding<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws -> Node {
        // Type identity, not `as?` casts: a cast is a runtime call for every value encoded.
        if T.self == String.self { return Node(.string(unsafeBitCast(value, to: String.self))) }
        if T.self == Int.self { return Node(.integer(Int64(unsafeBitCast(value, to: Int.self)))) }
        if T.self == Date.self { return Node(.string(OCPPDate.format(unsafeBitCast(value, to: Date.self)))) }
        if T.self == Double.self { return Node(try number(unsafeBitCast(value, to: Double.self), codingPath)) }
        if T.self == Data.self { return Node(.string(unsafeBitCast(value, to: Data.self).base64EncodedString())) }
        if T.self == URL.self { return Node(.string(unsafeBitCast(value, to: URL.self).absoluteString)) }
        let node = Node()
        try value.encode(to: NodeEncoder(node: node, codingPath: codingPath))
        return node
    }

    /// Integral values up to 2^53 without a fraction (`16`, not `16.0`), as Foundation writes them.
    static func number(_ value: Double, _ codingPath: [any CodingKey]) throws -> JSONValue {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "\(value) is not a JSON number"))
        }
        if value == value.rounded(), abs(value) <= 9_007_199_254_740_992 {
            return .integer(Int64(value))
        }
        return .number(value)
    }

    /// Float's own shortest text (0.1, not 0.10000000149011612), as Foundation writes it; unlike Foundation, integral
    /// values beyond 2^24 are written in full (10000000000, not 1e+10). ocppd's models have no Float.
    static func number(_ value: Float, _ codingPath: [any CodingKey]) throws -> JSONValue {
        try number(value.isFinite ? Double(value.description) ?? Double(value) : Double(value), codingPath)
    }

    static func integer<I: BinaryInteger>(_ value: I, _ codingPath: [any CodingKey]) throws -> JSONValue {
        guard let exact = Int64(exactly: value) else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "\(value) is beyond 64-bit integers"))
        }
        return .integer(exact)
    }
}

private struct NodeEncoder: Encoder {
    let node: Node
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.become(.keyed)
        return KeyedEncodingContainer(KeyedContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.become(.unkeyed)
        return UnkeyedContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueContainer(node: node, codingPath: codingPath)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: Node
    let codingPath: [any CodingKey]

    private func put(_ value: JSONValue, _ key: Key) {
        node.set(key.stringValue, Node(value))
    }

    mutating func encodeNil(forKey key: Key) throws { put(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { put(try Node.number(value, codingPath + [key]), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { put(try Node.number(value, codingPath + [key]), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { try put(Node.integer(value, codingPath + [key]), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try put(Node.integer(value, codingPath + [key]), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try put(Node.integer(value, codingPath + [key]), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try put(Node.integer(value, codingPath + [key]), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try put(Node.integer(value, codingPath + [key]), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try put(Node.integer(value, codingPath + [key]), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try put(Node.integer(value, codingPath + [key]), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try put(Node.integer(value, codingPath + [key]), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try put(Node.integer(value, codingPath + [key]), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try put(Node.integer(value, codingPath + [key]), key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        node.set(key.stringValue, try Node.encoding(value, codingPath: codingPath + [key]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        let child = node.container(key.stringValue, .keyed)
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = node.container(key.stringValue, .unkeyed)
        return UnkeyedContainer(node: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { superEncoder(at: IndexKey(super: ())) }

    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(at: key) }

    private func superEncoder(at key: any CodingKey) -> any Encoder {
        let child = Node()
        node.set(key.stringValue, child)
        return NodeEncoder(node: child, codingPath: codingPath + [key])
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let node: Node
    let codingPath: [any CodingKey]
    var count: Int { node.elements.count }

    private var nextKey: any CodingKey { IndexKey(index: count) }

    private func append(_ child: Node) {
        node.elements.append(child)
    }

    mutating func encodeNil() throws { append(Node(.null)) }
    mutating func encode(_ value: Bool) throws { append(Node(.bool(value))) }
    mutating func encode(_ value: String) throws { append(Node(.string(value))) }
    mutating func encode(_ value: Double) throws { append(Node(try Node.number(value, codingPath + [nextKey]))) }
    mutating func encode(_ value: Float) throws { append(Node(try Node.number(value, codingPath + [nextKey]))) }
    mutating func encode(_ value: Int) throws { append(Node(try Node.integer(value, codingPath + [nextKey]))) }
    mutating func encode(_ value: Int8) throws { append(Node(try Node.integer(value, codingPath + [nextKey]))) }
    mutating func encode(_ value: Int16) throws { append(Node(try Node.integer(value, codingPath + [nextKey]))) }
    mutating func encode(_ value: Int32) throws { append(Node(try Node.integer(value, codingPath + [nextKey]))) }
    mutating func encode(_ value: Int64) throws { append(Node(try Node.integer(value, codingPath + [nextKey]))) }
    mutating func encode(_ value: UInt) throws { append(Node(try Node.integer(value, codingPath + [nextKey]))) }
    mutating func encode(_ value: UInt8) throws { append(Node(try Node.integer(value, codingPath + [nextKey]))) }
    mutating func encode(_ value: UInt16) throws { append(Node(try Node.integer(value, codingPath + [nextKey]))) }
    mutating func encode(_ value: UInt32) throws { append(Node(try Node.integer(value, codingPath + [nextKey]))) }
    mutating func encode(_ value: UInt64) throws { append(Node(try Node.integer(value, codingPath + [nextKey]))) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        append(try Node.encoding(value, codingPath: codingPath + [nextKey]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = Node(Node.Kind.keyed)
        let path = codingPath + [nextKey]
        append(child)
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = Node(Node.Kind.unkeyed)
        let path = codingPath + [nextKey]
        append(child)
        return UnkeyedContainer(node: child, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let child = Node()
        let path = codingPath + [nextKey]
        append(child)
        return NodeEncoder(node: child, codingPath: path)
    }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let node: Node
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.set(.null) }
    mutating func encode(_ value: Bool) throws { node.set(.bool(value)) }
    mutating func encode(_ value: String) throws { node.set(.string(value)) }
    mutating func encode(_ value: Double) throws { node.set(try Node.number(value, codingPath)) }
    mutating func encode(_ value: Float) throws { node.set(try Node.number(value, codingPath)) }
    mutating func encode(_ value: Int) throws { node.set(try Node.integer(value, codingPath)) }
    mutating func encode(_ value: Int8) throws { node.set(try Node.integer(value, codingPath)) }
    mutating func encode(_ value: Int16) throws { node.set(try Node.integer(value, codingPath)) }
    mutating func encode(_ value: Int32) throws { node.set(try Node.integer(value, codingPath)) }
    mutating func encode(_ value: Int64) throws { node.set(try Node.integer(value, codingPath)) }
    mutating func encode(_ value: UInt) throws { node.set(try Node.integer(value, codingPath)) }
    mutating func encode(_ value: UInt8) throws { node.set(try Node.integer(value, codingPath)) }
    mutating func encode(_ value: UInt16) throws { node.set(try Node.integer(value, codingPath)) }
    mutating func encode(_ value: UInt32) throws { node.set(try Node.integer(value, codingPath)) }
    mutating func encode(_ value: UInt64) throws { node.set(try Node.integer(value, codingPath)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        node.take(try Node.encoding(value, codingPath: codingPath))
    }
}

/// An array element's key, or `super` (a super encoder's key without one of its own).
private struct IndexKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(index: Int) {
        stringValue = "Index \(index)"
        intValue = index
    }
    init(super: Void) { stringValue = "super" }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.init(index: intValue) }
}
