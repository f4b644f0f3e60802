import Foundation

// The members of a payload read straight from the parsed JSON (`OCPPPayload.init(plainJSON:)`), each as
// `JSONValueDecoder` reads it when it is plainly valid, and nil (or false) for anything else: the payload then goes
// through the decoder, which accepts or refuses it and names what it refuses. A payload's `init(plainJSON:)` walks its
// object's members once: the parser has kept the last value of a name given twice (the one the decoder reads), and
// names the schema lacks are passed over (as the decoder passes them over).

extension JSONValue {
    /// An `Int` written as an integer literal.
    public var plainInt: Int? {
        guard case .integer(let value) = self else { return nil }
        return Int(exactly: value)
    }

    /// An RFC 3339 date-time string.
    public var plainDate: Date? {
        guard case .string(let text) = self else { return nil }
        return OCPPDate.parse(text)
    }

    /// An array whose every element `element` reads.
    public func plainArray<T>(_ element: (JSONValue) -> T?) -> [T]? {
        guard case .array(let elements) = self else { return nil }
        var values: [T] = []
        values.reserveCapacity(elements.count)
        for json in elements {
            guard let value = element(json) else { return nil }
            values.append(value)
        }
        return values
    }

    /// A CiString within its length.
    public func plainCiString<L>() -> CiString<L>? {
        guard case .string(let text) = self else { return nil }
        return CiString(text)
    }

    /// An optional enum member as `decodeIfPresent` reads it: null leaves it absent, a known value sets it; false for
    /// anything else.
    public func plainOptional<E: OCPPEnum>(into field: inout E?) -> Bool {
        switch self {
        case .null:
            field = nil
            return true
        case .string(let text):
            guard let value = E(rawValue: text) else { return false }
            field = value
            return true
        default:
            return false
        }
    }

    /// An optional `Int` member as `decodeIfPresent` reads it; false for anything but null and an integer literal.
    public func plainOptional(into field: inout Int?) -> Bool {
        if case .null = self {
            field = nil
            return true
        }
        guard let value = plainInt else { return false }
        field = value
        return true
    }

    /// An optional CiString member as `decodeIfPresent` reads it; false for anything but null and a short enough string.
    public func plainOptional<L>(into field: inout CiString<L>?) -> Bool {
        if case .null = self {
            field = nil
            return true
        }
        guard let value: CiString<L> = plainCiString() else { return false }
        field = value
        return true
    }
}
