import Foundation
import Testing

@testable import Shared

/// Foundation's encoder as ocppd configured it before `JSONValueEncoder`: the reference its output is held to.
func foundationEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
    encoder.dateEncodingStrategy = .custom { date, encoder in
        var container = encoder.singleValueContainer()
        try container.encode(OCPPDate.format(date))
    }
    return encoder
}

private struct Odd: Encodable {
    enum Kind: String, Encodable { case one = "One", two }
    struct Inner: Encodable, Hashable {
        var a: Int
        var b: String?
    }

    var text = "quote \" backslash \\ slash / newline \n tab \t control \u{1} \u{8} \u{c} \u{1f} del \u{7f} é \u{2028} 🙂"
    var idTag = "lower"
    var IdTag = "upper"
    var id_tag = "underscore"
    var missing: String? = nil
    var doubles: [Double] = [
        7400, 0.1, 1e20, 1e-7, 123_456_789_012_345_678, 1e15, 1e16, 2.5e-5, 16, 0.30000000000000004, -3.5, 9_007_199_254_740_992,
    ]
    var floats: [Float] = [0.1, 16, 16_777_216, 3.3, -2.5e-5]
    var integers: [Int64] = [0, -1, Int64.max, Int64.min]
    var small: [UInt8] = [0, 255]
    var flags = [true, false]
    var date = Date(timeIntervalSince1970: 1_714_564_800.123)
    var data = Data([0, 1, 2, 250, 251, 252])
    var url = URL(string: "https://example.com/a/b?c=d&e=f")!
    var kinds: [Kind] = [.one, .two]
    var nested: [[Inner]] = [[Inner(a: 1, b: nil), Inner(a: 2, b: "x")], []]
    var dictionary: [String: Int] = ["b": 1, "B": 2, "a": 3, "aa": 4, "Z": 5, "_x": 6, "a1": 7, "a10": 8, "a2": 9]
    var json: JSONValue = .object(["z": .integer(1), "a": .array([.null, .bool(true), .number(1.5), .string("s")])])
    var empty: [String: String] = [:]

    enum CodingKeys: String, CodingKey {
        case text, idTag, IdTag, id_tag, missing, doubles, floats, integers, small, flags, date, data, url, kinds, nested, dictionary
        case json, empty, explicitNull
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(text, forKey: .text)
        try container.encode(idTag, forKey: .idTag)
        try container.encode(IdTag, forKey: .IdTag)
        try container.encode(id_tag, forKey: .id_tag)
        try container.encodeIfPresent(missing, forKey: .missing)
        try container.encodeNil(forKey: .explicitNull)
        try container.encode(doubles, forKey: .doubles)
        try container.encode(floats, forKey: .floats)
        try container.encode(integers, forKey: .integers)
        try container.encode(small, forKey: .small)
        try container.encode(flags, forKey: .flags)
        try container.encode(date, forKey: .date)
        try container.encode(data, forKey: .data)
        try container.encode(url, forKey: .url)
        try container.encode(kinds, forKey: .kinds)
        try container.encode(nested, forKey: .nested)
        try container.encode(dictionary, forKey: .dictionary)
        try container.encode(json, forKey: .json)
        try container.encode(empty, forKey: .empty)
    }
}

@Suite struct JSONValueEncoderTests {
    private func same<T: Encodable>(_ value: T) throws {
        let ours = String(decoding: try JSONCoding.encode(value), as: UTF8.self)
        let foundation = String(decoding: try foundationEncoder().encode(value), as: UTF8.self)
        #expect(ours == foundation)
    }

    @Test func writesWhatFoundationWrote() throws {
        try same(Odd())
        try same([Odd(), Odd()])
        try same(["top": [1, 2]])
        try same("a string alone")
        let started = Date(timeIntervalSince1970: 1_714_564_800.5)
        try same([
            Session(
                transactionId: 7, cpId: "CP-1", connectorId: 1, idTag: "TAG", idTagStatus: "Accepted", meterStart: 10, startedAt: started,
                active: true, lastPowerW: 7400.5, lastMeterValueAt: started),
            Session(
                transactionId: 8, cpId: "CP-2", connectorId: 2, idTag: "T", idTagStatus: "Blocked", stopIdTag: "T2", meterStart: 0,
                meterStop: 11_000, energyWh: 11_000, startedAt: started, stoppedAt: started.addingTimeInterval(3600),
                stopReason: "Local", reservationId: 3, active: false),
        ])
    }

    @Test func refusesWhatJSONCannotCarry() {
        #expect(throws: EncodingError.self) { try JSONCoding.encode([Double.nan]) }
        #expect(throws: EncodingError.self) { try JSONCoding.encode(["x": Double.infinity]) }
        #expect(throws: EncodingError.self) { try JSONCoding.encode([UInt64.max]) }
    }

    @Test func nestedContainersOfOneKeyMergeAsFoundationsDo() throws {
        struct Merged: Encodable {
            enum Key: String, CodingKey { case box, list }
            enum Inner: String, CodingKey { case a, b }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Key.self)
                var first = container.nestedContainer(keyedBy: Inner.self, forKey: .box)
                try first.encode(1, forKey: .a)
                var second = container.nestedContainer(keyedBy: Inner.self, forKey: .box)
                try second.encode(2, forKey: .b)
                var list = container.nestedUnkeyedContainer(forKey: .list)
                try list.encode("x")
                var more = container.nestedUnkeyedContainer(forKey: .list)
                try more.encode("y")
            }
        }
        try same(Merged())
        // A large dictionary (its keys are looked up by index past 16 members): same text, each key once.
        try same(Dictionary(uniqueKeysWithValues: (0..<500).map { ("key-\($0)", $0) }))
    }

    @Test func aTopLevelValueThatEncodesNothingIsRefused() {
        struct Nothing: Encodable {
            func encode(to encoder: any Encoder) throws {}
        }
        #expect(throws: EncodingError.self) { try JSONCoding.encode(Nothing()) }
        #expect(throws: EncodingError.self) { try foundationEncoder().encode(Nothing()) }
    }

    @Test func aKeyEncodedTwiceKeepsTheLastValue() throws {
        struct Twice: Encodable {
            enum Key: String, CodingKey { case a }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Key.self)
                try container.encode(1, forKey: .a)
                try container.encode(2, forKey: .a)
            }
        }
        #expect(String(decoding: try JSONCoding.encode(Twice()), as: UTF8.self) == #"{"a":2}"#)
    }

    @Test func datesAreFormattedInPlaceAsBefore() throws {
        // The fast path (years 0-9999) against the text of each field, over a spread of times.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let millis = Int64.random(in: -62_135_596_800_000...253_402_300_799_999, using: &generator)
            let date = Date(timeIntervalSince1970: Double(millis) / 1000)
            let text = OCPPDate.format(date)
            #expect(text.utf8.count == 24)
            #expect(OCPPDate.parse(text).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } == millis, "\(text)")
        }
        #expect(OCPPDate.format(Date(timeIntervalSince1970: 253_402_300_799.999)) == "9999-12-31T23:59:59.999Z")
        #expect(OCPPDate.format(Date(timeIntervalSince1970: -62_135_596_800)) == "0001-01-01T00:00:00.000Z")
        #expect(OCPPDate.format(Date(timeIntervalSince1970: 253_402_300_800)) == "10000-01-01T00:00:00.000Z")
    }
}
