import Foundation

// The members of a payload read straight from the parsed JSON (`OCPPPayload.init(plainJSON:)`), each as
// `JSONValueDecoder` reads it when it is plainly valid; false for anything else, and the payload then goes through the
// decoder, which accepts or refuses it and names what it refuses. A payload's `init(plainJSON:)` walks its object's
// members once (`readPlainly`): the parser has kept the last value of a name given twice (the one the decoder reads),
// and names the schema lacks are passed over (as the decoder passes them over).

extension JSONValue {
    /// Walks an object's members, `read` taking each by name; false for anything but an object, and as soon as `read`
    /// finds a member it cannot take plainly.
    public func readPlainly(_ read: (_ name: String, _ value: JSONValue) -> Bool) -> Bool {
        guard case .object(let object) = self else { return false }
        for (name, value) in object.members where !read(name, value) { return false }
        return true
    }

    /// An `Int` written as an integer literal.
    public func plain(into field: inout Int?) -> Bool {
        guard case .integer(let value) = self, let int = Int(exactly: value) else { return false }
        field = int
        return true
    }

    public func plain(into field: inout String?) -> Bool {
        guard case .string(let text) = self else { return false }
        field = text
        return true
    }

    /// An RFC 3339 date-time string.
    public func plain(into field: inout Date?) -> Bool {
        guard case .string(let text) = self, let date = OCPPDate.parse(text) else { return false }
        field = date
        return true
    }

    /// A CiString within its length.
    public func plain<L>(into field: inout CiString<L>?) -> Bool {
        guard case .string(let text) = self, let string = CiString<L>(text) else { return false }
        field = string
        return true
    }

    /// One of the enumeration's values.
    public func plain<E: OCPPEnum>(into field: inout E?) -> Bool {
        guard case .string(let text) = self, let value = E(rawValue: text) else { return false }
        field = value
        return true
    }

    /// An array whose every element `element` reads.
    public func plain<T>(into field: inout [T]?, each element: (JSONValue) -> T?) -> Bool {
        guard case .array(let elements) = self else { return false }
        var values: [T] = []
        values.reserveCapacity(elements.count)
        for json in elements {
            guard let value = element(json) else { return false }
            values.append(value)
        }
        field = values
        return true
    }

    // An optional member as `decodeIfPresent` reads it: null leaves it absent, anything else is read as above.

    public func plainOptional(into field: inout Int?) -> Bool { isNull ? absent(&field) : plain(into: &field) }
    public func plainOptional<L>(into field: inout CiString<L>?) -> Bool { isNull ? absent(&field) : plain(into: &field) }
    public func plainOptional<E: OCPPEnum>(into field: inout E?) -> Bool { isNull ? absent(&field) : plain(into: &field) }
    public func plainOptional<T>(into field: inout [T]?, each element: (JSONValue) -> T?) -> Bool {
        isNull ? absent(&field) : plain(into: &field, each: element)
    }

    private var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    private func absent<T>(_ field: inout T?) -> Bool {
        field = nil
        return true
    }
}

/// Writes JSON as `JSONCoding.encode` does, a member at a time (`OCPPPayload.writePlainJSON`): the caller gives the
/// members in the encoder's order (keys in byte order) and leaves nil ones out.
public struct PlainJSONWriter {
    public private(set) var bytes: [UInt8] = []
    private var afterValue = false

    public init() {
        bytes.reserveCapacity(96)
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        afterValue = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        afterValue = true
    }

    /// A member's name: a literal that needs no escaping.
    public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(contentsOf: "\":".utf8)
        afterValue = false
    }

    public mutating func string(_ value: String) {
        separate()
        JSONValue.writeString(value, to: &bytes)
        afterValue = true
    }

    public mutating func integer(_ value: Int) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
        afterValue = true
    }

    public mutating func date(_ value: Date) {
        string(OCPPDate.format(value))
    }

    private mutating func separate() {
        if afterValue { bytes.append(UInt8(ascii: ",")) }
    }
}
