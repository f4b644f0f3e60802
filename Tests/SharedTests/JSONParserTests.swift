import Foundation
import Testing

@testable import Shared

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValueAndKeepsMemberOrder() throws {
        let value = try JSONParser.parse(#"{"b":1,"a":[true,false,null,-2.5e3,"x\u00e9\n\ud83d\ude00"],"c":{}}"#)
        guard case .object(let object) = value else {
            Issue.record("not an object")
            return
        }
        #expect(object.keys == ["b", "a", "c"])
        #expect(object["b"] == .integer(1))
        #expect(object["a"] == .array([.bool(true), .bool(false), .null, .number(-2500), .string("xé\n😀")]))
        #expect(object["c"] == .object([:]))
    }

    /// A parsed tree holds no room beyond its members: hostile input of many small objects must not take several times
    /// the memory of its tree (an object's or array's storage is made once, of its exact size).
    @Test func objectsAndArraysAreStoredAtTheirSize() throws {
        let text = "[" + Array(repeating: #"{"a":[0]}"#, count: 500).joined(separator: ",") + #",{"b":1,"c":[1,2,3],"d":{}}]"#
        guard case .array(let elements) = try JSONParser.parse(text) else { throw JSONParseError(message: "not an array", offset: 0) }
        #expect(elements.count == 501 && elements.capacity < 503)
        for element in elements {
            guard case .object(let object) = element else { continue }
            #expect(object.members.capacity <= object.members.count + 1, "\(object.keys)")
            for case .array(let inner) in object.members.map(\.value) { #expect(inner.capacity <= inner.count + 1) }
        }
        #expect(try JSONParser.parse(text).jsonText == text)
    }

    /// Found by the fuzz test: with a name given twice, readers disagreed on its value and an object was not even equal
    /// to itself. The last value wins, as in JavaScript, in small and large objects alike.
    @Test func aNameGivenTwiceKeepsItsLastValue() throws {
        let small = try JSONParser.parse(#"{"reason":"Other","a":1,"reason":"Local"}"#)
        #expect(small.objectValue?.keys == ["reason", "a"] && small["reason"] == "Local")
        let reparsed = try JSONParser.parse(small.jsonText)
        #expect(small == small && reparsed == small)
        let members = (0..<20).map { #""k\#($0)":\#($0)"# }.joined(separator: ",")
        let large = try JSONParser.parse(#"{\#(members),"k3":"again","k19":null}"#)
        #expect(large.objectValue?.count == 20 && large["k3"] == "again" && large["k19"] == .null && large["k4"] == 4)
        #expect(large == large)
    }

    @Test func roundTripsThroughTheWriter() throws {
        let text = #"[2,"id-1","BootNotification",{"chargePointVendor":"V \"q\"","n":1.5,"i":-3,"z":[]}]"#
        let value = try JSONParser.parse(text)
        #expect(try JSONParser.parse(value.jsonText) == value)
        #expect(value.jsonText == text)
    }

    @Test(arguments: [
        "", " ", "[", "]", "{", "{\"a\"}", "{\"a\":}", "[1,]", "[,1]", "01", "1.", ".5", "-", "+1", "tru", "nul", "\"abc",
        "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "[1] x", "{\"a\":1,}", "\"\u{01}\"", "1e", "NaN", "[1e999]",
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0xFE, 0x22]) }
        // After ASCII (which takes a path without validation), in the middle, and cut short.
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array("\"abc".utf8) + [0xC3, 0x22]) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array("\"ab".utf8) + [0x80] + Array("cd\"".utf8)) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array("\"a\\n".utf8) + [0xFF, 0x22]) }
    }

    @Test(arguments: ["", "CP-001", "Energy.Active.Import.Register", "Zürich", "充电桩", "a😀b", "tab\tand\\n"])
    func readsStringsAsTheyWereSent(_ text: String) throws {
        let json = try JSONValueEncoder.encode(text)
        var bytes: [UInt8] = []
        json.write(to: &bytes)
        #expect(try JSONParser.parse(bytes) == .string(text))
    }

    @Test func boundsNestingDepth() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let fine = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        #expect(throws: Never.self) { try JSONParser.parse(fine) }
    }

    @Test func keepsLargeIntegersExact() throws {
        #expect(try JSONParser.parse("9007199254740993") == .integer(9_007_199_254_740_993))
        #expect(try JSONParser.parse("-9223372036854775808") == .integer(Int64.min))
        // Beyond Int64 an integer literal becomes a double.
        #expect(try JSONParser.parse("9223372036854775808") == .number(9_223_372_036_854_775_808))
    }
}

@Suite struct OCPPDateTests {
    @Test(arguments: [
        ("2024-05-01T12:00:00Z", 1_714_564_800.0),
        ("2024-05-01T12:00:00.250Z", 1_714_564_800.25),
        ("2024-05-01T14:00:00+02:00", 1_714_564_800.0),
        ("2024-05-01T07:30:00-04:30", 1_714_564_800.0),
        ("2024-02-29T00:00:00Z", 1_709_164_800.0),
        ("1970-01-01T00:00:00.000000001Z", 0.000000001),
    ])
    func parsesRFC3339InAnyOffset(_ text: String, _ seconds: Double) throws {
        let date = try #require(OCPPDate.parse(text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.0005)
    }

    @Test(arguments: [
        "2024-05-01", "2024-05-01T12:00:00", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2024-05-01T24:00:00Z",
        "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00+2:00", "2024-05-01T12:00:00Zjunk", "x024-05-01T12:00:00Z",
    ])
    func rejectsInvalidDates(_ text: String) {
        #expect(OCPPDate.parse(text) == nil)
    }

    @Test func formatsUTCWithMilliseconds() {
        #expect(OCPPDate.format(Date(timeIntervalSince1970: 1_714_564_800.25)) == "2024-05-01T12:00:00.250Z")
        #expect(OCPPDate.format(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59.000Z")
        let now = Date()
        let roundTrip = OCPPDate.parse(OCPPDate.format(now))!
        #expect(abs(roundTrip.timeIntervalSince(now)) < 0.001)
    }
}
