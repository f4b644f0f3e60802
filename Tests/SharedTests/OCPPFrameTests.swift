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

    /// Thousands of random and mutated frames: parsing and decoding never trap and always give a
    /// frame or an error with a CALLERROR code.
    @Test func survivesRandomAndMutatedFrames() {
        var rng = SplitMix64(seed: 0x0CC9_0016)
        let seeds = [
            #"[2,"1","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]"#,
            #"[2,"2","StartTransaction",{"connectorId":1,"idTag":"T","meterStart":0,"timestamp":"2024-01-01T00:00:00Z"}]"#,
            #"[2,"3","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"2024-01-01T00:00:00Z","sampledValue":[{"value":"1"}]}]}]"#,
            #"[3,"4",{"status":"Accepted"}]"#,
            #"[4,"5","NotSupported","",{}]"#,
        ].map { Array($0.utf8) }
        let alphabet = Array(#"[]{}",:0123456789-.eE truefalsnul\"#.utf8) + [0x00, 0xFF, 0xC3, 0x80]
        var outcomes = 0
        for i in 0..<20_000 {
            var bytes: [UInt8]
            if i % 4 == 0 {
                bytes = (0..<Int(rng.next() % 64)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            } else {
                bytes = seeds[Int(rng.next() % UInt64(seeds.count))]
                for _ in 0...(rng.next() % 4) {
                    guard !bytes.isEmpty else { break }
                    let at = Int(rng.next() % UInt64(bytes.count))
                    switch rng.next() % 3 {
                    case 0: bytes[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                    case 1: bytes.remove(at: at)
                    default: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                    }
                }
            }
            do {
                let frame = try OCPPFrame.parse(bytes)
                if case .call(_, let action, let payload) = frame, let type = OCPPActions.named(action) {
                    _ = decodeRequest(type, payload)
                }
                outcomes += 1
            } catch {
                #expect(!error.error.description.isEmpty)
                outcomes += 1
            }
        }
        #expect(outcomes == 20_000)
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
