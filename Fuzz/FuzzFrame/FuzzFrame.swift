import FuzzSupport
import Shared

@testable import ocppd

// A WebSocket message from a charger, through what ocppd does with it before a handler runs: OCPPFrame.parse, then
// for a CALL the action's decoder and validation (OCPPRouter.request, as the router calls it) or the refusal of an
// action no handler takes; for a CALLRESULT every action's response decoder (a command's answer is decoded so).
// Properties: a frame that parses is written back to the same frame; a refused CALL gets exactly one CALLERROR, with a
// code of OCPP-J 1.6 section 4.2.3 and the CALL's id, that a charger can read back; a decoded payload survives being
// encoded and decoded again unchanged.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrame(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(data, size) { bytes in
        let frame: OCPPFrame
        do throws(OCPPFrame.ParseError) {
            frame = try OCPPFrame.parse(bytes)
        } catch {
            if error.wasCall { expectOneCallError(.callError(id: error.messageId ?? "-1", error.error), id: error.messageId ?? "-1") }
            return
        }
        expect((try? OCPPFrame.parse(frame.bytes)) == frame, "\(frame) written and read again is not the same frame")
        switch frame {
        case .call(let id, let action, let payload):
            guard let known = OCPPActions.named(action), known.sender != .centralSystem else {
                expectOneCallError(.callError(id: id, OCPPRouter.unhandled(action)), id: id)
                return
            }
            tryRequest(known, id: id, payload: payload)
        case .callResult(_, let payload):
            for action in OCPPActions.all { tryResponse(action, payload: payload) }
        case .callError:
            break
        }
    }
}

/// The answer to a refused CALL, as the charger reads it: one frame, a CALLERROR with the CALL's id and a spec code.
func expectOneCallError(_ reply: OCPPFrame, id: String) {
    guard case .callError(let repliedId, let code, _, _)? = try? OCPPFrame.parse(reply.bytes) else {
        fatalError("property violated: the CALLERROR for a refused CALL does not read back as one CALLERROR: \(reply)")
    }
    expect(repliedId == id, "the CALLERROR carries id \(repliedId), not the CALL's \(id)")
    expect(OCPPErrorCode(rawValue: code) != nil, "'\(code)' is not an OCPP-J error code")
}

func tryRequest<A: OCPPAction>(_ action: A.Type, id: String, payload: JSONValue) {
    switch OCPPRouter.request(A.self, from: payload) {
    case .success(let request): expectRoundTrip(request)
    case .failure(let error): expectOneCallError(.callError(id: id, error), id: id)
    }
}

func tryResponse<A: OCPPAction>(_ action: A.Type, payload: JSONValue) {
    if let response = try? A.Response.decode(from: payload) { expectRoundTrip(response) }
}

/// A payload ocppd accepted, encoded and decoded again, is the same payload.
func expectRoundTrip<P: OCPPPayload>(_ payload: P) {
    guard let bytes = try? JSONCoding.encode(payload) else {
        fatalError("property violated: an accepted \(P.self) cannot be encoded: \(payload)")
    }
    do {
        let again = try P.decode(from: try JSONParser.parse(bytes))
        expect(again == payload, "\(P.self) encoded and decoded again changed: \(payload) -> \(again)")
    } catch {
        fatalError("property violated: an accepted \(P.self) encoded as \(String(decoding: bytes, as: UTF8.self)) is refused: \(error)")
    }
}

@_cdecl("FuzzFrame_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzFrame)
}
