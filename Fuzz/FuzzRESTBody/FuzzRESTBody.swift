import FuzzSupport
import NIOCore
import Shared

@testable import ocppd

// The body of a REST request, through the decoder of each route that reads one (API.decodeBody, as the routes call
// it) and what the route checks next where that is pure: a site's settings; a command's payload as Commands.send checks
// it before anything is allocated or sent (nulls removed, stand-ins for what ocppd fills in, the OCPP schema exactly).
// The first byte picks the route. Properties: no input traps, and every refusal is a Problem (the routes' 400s are
// built by these functions, which throw nothing else); a command payload that passes decodes to a request that
// survives a round trip; a site's settings that pass are within the documented bounds.

private let commands = OCPPActions.commands.sorted { $0.key < $1.key }.map(\.value)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESTBody(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(data, size) { bytes in
        let (route, rest) = split(bytes, cases: 7)
        switch route {
        case 0: decode(CreateCardBody.self, rest)
        case 1: decode(StationBody.self, rest, emptyIsObject: true)
        case 2: decode(WebhookBody.self, rest)
        case 3: decode(SignBody.self, rest)
        case 4: decode(TokenBody.self, rest)
        case 5:
            if let site = decode(SiteBody.self, rest) {
                do {
                    let settings = try site.settings("site-1")
                    expect(settings.limit > 0 && settings.limit <= SiteBody.maxLimit, "a site limit of \(settings.limit) passed")
                } catch let problem as Problem {
                    expect(problem.status == .badRequest, "a site body got \(problem.status), not 400")
                } catch {
                    fatalError("property violated: a site body raised \(error), not a Problem")
                }
            }
        default:
            let (index, payload) = split(Array(rest), cases: commands.count)
            command(commands[index], payload)
        }
    }
}

@discardableResult
func decode<T: Decodable>(_ type: T.Type, _ bytes: ArraySlice<UInt8>, emptyIsObject: Bool = false) -> T? {
    try? API.decodeBody(type, from: ByteBuffer(bytes: bytes), emptyIsObject: emptyIsObject)
}

/// POST /api/admin/{cpId}/{command}: the body must be an object the action's schema accepts exactly.
func command<A: OCPPAction>(_ action: A.Type, _ bytes: ArraySlice<UInt8>) {
    guard let body = try? API.jsonObject(ByteBuffer(bytes: bytes)) ?? .object([:]),
        let checked = try? Commands.check(A.self, body.removingNullMembers()).checked
    else { return }
    guard let request = try? A.Request.decodeExactly(from: checked), let encoded = try? JSONCoding.jsonValue(request) else {
        fatalError("property violated: a \(A.name) payload passed the check but does not decode")
    }
    expect((try? A.Request.decodeExactly(from: encoded)) == request, "a \(A.name) request changed on a round trip")
}

@_cdecl("FuzzRESTBody_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzRESTBody)
}
