import Foundation
import Testing

@testable import Shared

@Suite struct OCPPFrameTests {
    @Test func readsTheThreeMessageTypes() throws {
        #expect(
            try OCPPFrame.parse(Array(#"[2,"1","Heartbeat",{}]"#.utf8)) == .call(id: "1", action: "Heartbeat", payload: .object([:])))
        #expect(try OCPPFrame.parse(Array(#"[3,"1",{"a":1}]"#.utf8)) == .callResult(id: "1", payload: ["a": 1]))
        #expect(
            try OCPPFrame.parse(Array(#"[4,"1","NotSupported","no",{}]"#.utf8))
                == .callError(id: "1", code: "NotSupported", description: "no", details: .object([:])))
    }

    @Test(arguments: [
        (#"not json"#, nil as String?, OCPPErrorCode.formationViolation),
        (#"{"a":1}"#, nil, .formationViolation),
        (#"[]"#, nil, .formationViolation),
        (#"["2","1","Heartbeat",{}]"#, nil, .formationViolation),
        (#"[2,1,"Heartbeat",{}]"#, nil, .formationViolation),
        (#"[2,"1"]"#, "1", .formationViolation),
        (#"[2,"1","Heartbeat"]"#, "1", .formationViolation),
        (#"[2,"1","Heartbeat",[]]"#, "1", .formationViolation),
        (#"[2,"1",7,{}]"#, "1", .formationViolation),
        (#"[7,"1","Heartbeat",{}]"#, "1", .protocolError),
        (#"[2,"0123456789012345678901234567890123456789","Heartbeat",{}]"#, nil, .formationViolation),
    ])
    func answersMalformedFramesWithTheSpecsError(_ text: String, _ id: String?, _ code: OCPPErrorCode) {
        do {
            _ = try OCPPFrame.parse(Array(text.utf8))
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.messageId == id)
            #expect(error.error.code == code)
            #expect(error.wasCall)
        }
    }

    @Test func doesNotAnswerABrokenCallResult() {
        do {
            _ = try OCPPFrame.parse(Array(#"[3,"1"]"#.utf8))
            Issue.record("accepted")
        } catch {
            #expect(!error.wasCall)
        }
    }

    @Test func writesFramesThatReadBack() throws {
        let frames: [OCPPFrame] = [
            .call(id: "a\"b", action: "Reset", payload: ["type": "Soft"]),
            .callResult(id: "x", payload: ["currentTime": "2024-01-01T00:00:00Z"]),
            .callError(id: "y", code: "InternalError", description: "line\nbreak", details: ["k": [1, 2]]),
        ]
        for frame in frames {
            #expect(try OCPPFrame.parse(frame.bytes) == frame)
        }
    }

    @Test func mapsPayloadDecodingErrorsToCallErrorCodes() throws {
        func error(_ payload: String) throws -> OCPPError {
            do {
                _ = try BootNotification.Request.decode(from: JSONParser.parse(payload))
            } catch {
                return OCPPError(payloadError: error)
            }
            throw OCPPError(.genericError, "decoded")
        }
        let missing = try error(#"{"chargePointVendor":"V"}"#)
        #expect(missing.code == .occurenceConstraintViolation)
        #expect(missing.description.contains("chargePointModel"))
        #expect(missing.details["field"] == "chargePointModel")
        #expect(try error(#"{"chargePointVendor":"V","chargePointModel":5}"#).code == .typeConstraintViolation)
        #expect(try error(#"{"chargePointVendor":"V","chargePointModel":null}"#).code == .occurenceConstraintViolation)
        let long = try error(#"{"chargePointVendor":"V","chargePointModel":"123456789012345678901"}"#)
        #expect(long.code == .propertyConstraintViolation)
        #expect(long.description.contains("chargePointModel"))
    }

    /// Random and mutated frames through the parser and every action's payload validation. Properties: nothing
    /// traps; a frame that parses writes bytes that parse back to the same frame; every refusal carries a CALLERROR
    /// code and a description. 20,000 inputs in the test suite; longer runs (any seed):
    ///
    ///     OCPP_FUZZ_ITERATIONS=5000000 OCPP_FUZZ_SEED=7 swift test -c release --filter survivesRandomAndMutatedFrames
    @Test func survivesRandomAndMutatedFrames() {
        let environment = ProcessInfo.processInfo.environment
        let iterations = environment["OCPP_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 20_000
        let seed = environment["OCPP_FUZZ_SEED"].flatMap(UInt64.init) ?? 0x0CC9_0016
        var rng = SplitMix64(seed: seed)
        let seeds =
            [
                #"[2,"1","BootNotification",{"chargePointVendor":"V","chargePointModel":"M","firmwareVersion":"1.0"}]"#,
                #"[2,"2","StartTransaction",{"connectorId":1,"idTag":"T","meterStart":0,"timestamp":"2024-01-01T00:00:00Z"}]"#,
                #"[2,"3","MeterValues",{"connectorId":1,"transactionId":5,"meterValue":[{"timestamp":"2024-01-01T00:00:00.123+02:00","sampledValue":[{"value":"1","measurand":"Energy.Active.Import.Register","unit":"kWh"}]}]}]"#,
                #"[2,"4","StopTransaction",{"transactionId":5,"meterStop":10,"timestamp":"2024-01-01T01:00:00Z","reason":"Local","transactionData":[]}]"#,
                #"[2,"5","StatusNotification",{"connectorId":0,"errorCode":"NoError","status":"Available"}]"#,
                #"[2,"6","Authorize",{"idTag":"ABC"}]"#,
                #"[2,"7","DataTransfer",{"vendorId":"V","messageId":"m","data":"{\"a\":[1,2]}"}]"#,
                #"[2,"8","Heartbeat",{}]"#,
                #"[2,"9","FirmwareStatusNotification",{"status":"Installed"}]"#,
                #"[3,"10",{"status":"Accepted","currentTime":"2024-01-01T00:00:00Z","interval":60}]"#,
                #"[4,"11","NotSupported","",{}]"#,
            ].map { Array($0.utf8) } + OCPPActions.all.map { Array(#"[2,"a","\#($0.name)",{}]"#.utf8) }
        // Single bytes and whole tokens that parsers get wrong: escapes, surrogates, huge and odd numbers, nesting.
        let tokens =
            (Array(#"[]{}",:0123456789-.eE truefalsnul\"#.utf8) + [0x00, 0x7F, 0xFF, 0xC3, 0x80]).map { [$0] }
            + [
                #"\u0000"#, #"\ud800"#, #"\udc00\ud800"#, "1e999", "-1e-999", "9223372036854775808", "-9223372036854775809",
                "18446744073709551616", "-0", "0.0000000000000000000001", "null", "\u{1F50C}", String(repeating: "[", count: 600),
                String(repeating: "{\"a\":", count: 300), String(repeating: "9", count: 400),
            ].map { Array($0.utf8) }
        func random(_ bound: Int) -> Int { Int(rng.next() % UInt64(bound)) }
        for iteration in 0..<iterations {
            var bytes: [UInt8]
            if iteration % 5 == 0 {
                bytes = (0..<random(12)).flatMap { _ in tokens[random(tokens.count)] }
            } else {
                bytes = seeds[random(seeds.count)]
                for _ in 0...random(4) {
                    let at = bytes.isEmpty ? 0 : random(bytes.count)
                    switch random(5) {
                    case 0 where !bytes.isEmpty: bytes[at] = tokens[random(tokens.count)].first ?? 0
                    case 1 where !bytes.isEmpty: bytes.remove(at: at)
                    case 2: bytes.insert(contentsOf: tokens[random(tokens.count)], at: at)
                    case 3 where !bytes.isEmpty: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + random(16))], at: at)
                    default: bytes.removeLast(min(bytes.count, random(8)))
                    }
                }
            }
            let input = "seed \(seed), input \(iteration): \(String(decoding: bytes, as: UTF8.self).prefix(300))"
            do {
                let frame = try OCPPFrame.parse(bytes)
                #expect(try OCPPFrame.parse(frame.bytes) == frame, "\(input)")
                if case .call(_, let action, let payload) = frame, let type = OCPPActions.named(action),
                    let refusal = decodeRequest(type, payload)
                {
                    #expect(!refusal.description.isEmpty, "\(input)")
                }
            } catch {
                #expect(!error.error.description.isEmpty, "\(input)")
            }
        }
    }

    private func decodeRequest<A: OCPPAction>(_ type: A.Type, _ payload: JSONValue) -> OCPPError? {
        do {
            _ = try A.Request.decode(from: payload)
            return nil
        } catch {
            return OCPPError(payloadError: error)
        }
    }
}

/// A small deterministic generator, so a failing fuzz case can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
