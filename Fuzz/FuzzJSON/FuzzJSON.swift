import FuzzSupport
import Shared

// The JSON parser that reads every frame a charger sends and every REST body. Properties: any input is a value or a
// JSONParseError (no trap, no other error); a value is written back as JSON that parses to the same value and is
// written the same way again (the writer's text is canonical); a depth limit refuses exactly the values nested deeper.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(data, size) { bytes in
        let limit = 1 + Int(bytes.first ?? 0) % 8
        let shallow = try? JSONParser.parse(bytes, maxDepth: limit)
        if let shallow { expect(shallow.depth <= limit, "a value nested \(shallow.depth) deep passed a limit of \(limit)") }
        let value: JSONValue
        do throws(JSONParseError) {
            value = try JSONParser.parse(bytes)
        } catch {
            expect(error.offset >= 0 && error.offset <= bytes.count, "an error offset \(error.offset) outside the input")
            return
        }
        expect(shallow == nil || shallow == value, "the depth limit changed a value it let through")
        expect(shallow != nil || value.depth > limit, "a value nested \(value.depth) deep was refused under a limit of \(limit)")
        let text = value.jsonText
        guard let again = try? JSONParser.parse(text) else {
            fatalError("property violated: ocppd wrote JSON it cannot read: \(text)")
        }
        expect(again == value, "written and read again, \(value) came back as \(again)")
        expect(again.jsonText == text, "a value is not written the same way twice")
    }
}

extension JSONValue {
    /// Levels of arrays and objects.
    var depth: Int {
        switch self {
        case .array(let elements): 1 + (elements.map(\.depth).max() ?? 0)
        case .object(let object): 1 + (object.members.map(\.value.depth).max() ?? 0)
        default: 0
        }
    }
}

@_cdecl("FuzzJSON_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzJSON)
}
