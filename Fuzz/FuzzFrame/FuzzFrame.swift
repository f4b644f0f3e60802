import Foundation
import FuzzSupport
import Logging
import Shared

@testable import ocppd

// A WebSocket message from a charger, through what ocppd does with it before a handler runs: OCPPFrame.parse and the
// answer to a message that is not a frame (CentralSystem.answer(to:)); for a CALL, whether ocppd's own central system
// (its router, as Gateway builds it, the security extension's handlers included) has a handler for the action, then that
// action's decoder and validation (OCPPRouter.request, the first step of every handler) or the refusal of an action
// without one (OCPPRouter.unhandled, as dispatch answers it); for a CALLRESULT every action's response decoder (a
// command's answer is decoded so). Properties: a frame that parses is written back to the same frame; a refused CALL's
// CALLERROR (its code is an OCPPErrorCode, so a code of OCPP-J 1.6 section 4.2.3) reads back as a CALLERROR with the
// CALL's id; a decoded payload survives being encoded and decoded again unchanged; only a handled action is decoded; a
// payload read plainly (`init(plainJSON:)`, the session's messages) is what the decoder makes of it.
// That each message gets exactly one answer on the wire is the integration tests' (tests/integration/test_fuzz_server.py).

/// ocppd's central system; the target asks its router which actions have handlers and never runs one.
private let centralSystem: CentralSystem = {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ocppd-fuzz-\(getpid())").path
    let store = SQLiteStore(path: directory + "/ocppd.sqlite")
    let registry = ConnectionRegistry()
    let events = EventBus()
    let logger = Logger(label: "fuzz")
    let commands = Commands(store: store, registry: registry, events: events, timeout: .seconds(1), logger: logger)
    let security = StationSecurity(store: store, commands: commands, events: events, ca: nil, storeRetry: StoreRetry(), logger: logger)
    return CentralSystem(
        store: store, registry: registry, events: events, policy: .accept, heartbeatInterval: 60, logger: logger, security: security)
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrame(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(data, size) { bytes in
        let frame: OCPPFrame
        do throws(OCPPFrame.ParseError) {
            frame = try OCPPFrame.parse(bytes)
        } catch {
            if let answer = CentralSystem.answer(to: error) { expectCallError(answer, id: error.messageId ?? "-1") }
            return
        }
        expect((try? OCPPFrame.parse(frame.bytes)) == frame, "\(frame) written and read again is not the same frame")
        switch frame {
        case .call(let id, let action, let payload):
            guard centralSystem.handles(action) else {
                expectCallError(.callError(id: id, OCPPRouter.unhandled(action)), id: id)
                return
            }
            guard let known = OCPPActions.named(action), known.sender != .centralSystem else {
                fatalError("property violated: ocppd handles \(action), which no charge point may send")
            }
            tryRequest(known, id: id, payload: payload)
        case .callResult(_, let payload):
            for action in OCPPActions.all { tryResponse(action, payload: payload) }
        case .callError:
            break
        }
    }
}

/// The answer to a refused CALL, as the charger reads it: a CALLERROR with the CALL's id.
func expectCallError(_ reply: OCPPFrame, id: String) {
    guard case .callError(let repliedId, _, _, _)? = try? OCPPFrame.parse(reply.bytes) else {
        fatalError("property violated: the CALLERROR for a refused CALL does not read back as a CALLERROR: \(reply)")
    }
    expect(repliedId == id, "the CALLERROR carries id \(repliedId), not the CALL's \(id)")
}

func tryRequest<A: OCPPAction>(_ action: A.Type, id: String, payload: JSONValue) {
    if let plain = A.Request(plainJSON: payload) {
        // Compared as encoded: a CiString's == ignores case, the text it carries must not change.
        let decoded = try? JSONValueDecoder.decode(A.Request.self, from: payload)
        expect(
            decoded == plain && decoded.flatMap { try? JSONCoding.encode($0) } == (try? JSONCoding.encode(plain)),
            "the plain reading of a \(A.name) took what the decoder does not, or read it otherwise: \(payload.jsonText)")
    }
    switch OCPPRouter.request(A.self, from: payload) {
    case .success(let request): expectRoundTrip(request)
    case .failure(let error): expectCallError(.callError(id: id, error), id: id)
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
