import Foundation
import HTTPTypes
import Hummingbird
import Shared

/// JSON answers and request reading shared by the routes.
enum API {
    static let maxLimit = 1000

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: try JSONCoding.encode(value))))
    }

    static func jsonValue(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var out: [UInt8] = []
        value.write(to: &out)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: out)))
    }

    /// A bare JSON array with the total in `X-Total-Count`.
    static func list<T: Encodable>(_ page: Page<T>) throws -> Response {
        try json(page.items, headers: [HTTPField.Name("X-Total-Count")!: "\(page.total)"])
    }

    /// Pages an in-memory list.
    static func page<T>(_ items: [T], _ request: PageRequest) -> Page<T> {
        let start = min(request.offset, items.count)
        let end = min(start + request.limit, items.count)
        return Page(items: Array(items[start..<end]), total: items.count)
    }

    /// 2^53 - 1, the largest integer every JSON client keeps exactly (the OpenAPI document says so too).
    static let maxOffset = 9_007_199_254_740_991

    static func pageRequest(_ request: Request) throws -> PageRequest {
        var page = PageRequest()
        if let limit = try intQuery(request, "limit", in: 1...maxLimit) { page.limit = limit }
        if let offset = try intQuery(request, "offset", in: 0...maxOffset) { page.offset = offset }
        return page
    }

    static func boolQuery(_ request: Request, _ name: String) throws -> Bool? {
        guard let text = request.uri.queryParameters[Substring(name)] else { return nil }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw Problem.badRequest("invalid query parameter '\(name)': true or false")
        }
    }

    static func intQuery(_ request: Request, _ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = request.uri.queryParameters[Substring(name)] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw Problem.badRequest("invalid query parameter '\(name)': an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// A query parameter that takes one of an enumeration's values; 400 naming them otherwise.
    static func enumQuery<T: RawRepresentable & CaseIterable>(_ request: Request, _ name: String) throws -> T? where T.RawValue == String {
        guard let text = request.uri.queryParameters[Substring(name)] else { return nil }
        guard let value = T(rawValue: String(text)) else {
            throw Problem.badRequest("invalid query parameter '\(name)': \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    static func dateQuery(_ request: Request, _ name: String) throws -> Date? {
        guard let text = request.uri.queryParameters[Substring(name)] else { return nil }
        guard let date = OCPPDate.parse(String(text)) else {
            throw Problem.badRequest("invalid query parameter '\(name)': an RFC 3339 date-time such as 2024-05-01T00:00:00Z")
        }
        return date
    }

    /// Reads and strictly decodes a JSON body; errors are 400s naming the field. With `emptyIsObject` (every field
    /// optional), no body at all reads as `{}`.
    static func body<T: Decodable>(_ type: T.Type, from request: Request, maxSize: Int, emptyIsObject: Bool = false) async throws -> T {
        try decodeBody(type, from: try await collect(request, maxSize: maxSize), emptyIsObject: emptyIsObject)
    }

    /// What `body` does with the bytes it read: a value, or the 400 problem that says what is wrong with them.
    static func decodeBody<T: Decodable>(_ type: T.Type, from bytes: ByteBuffer, emptyIsObject: Bool = false) throws(Problem) -> T {
        let json = emptyIsObject ? try jsonObject(bytes) ?? .object([:]) : try jsonObject(bytes)
        guard let json else { throw Problem.badRequest("a JSON body is required") }
        do {
            return try JSONValueDecoder.decode(type, from: json)
        } catch {
            throw Problem.invalidBody(error)
        }
    }

    /// A path parameter, percent-decoded (station ids may hold spaces and other escaped characters).
    static func pathParameter(_ context: some RequestContext, _ name: String) throws -> String {
        let raw = try context.parameters.require(name)
        guard let decoded = raw.removingPercentEncoding else {
            throw Problem.badRequest("invalid path parameter '\(name)': bad percent-encoding")
        }
        return decoded
    }

    /// A station id from the path, refused (400) when no charge point could have it as its identity.
    static func stationId(_ context: some RequestContext, _ name: String = "cpId") throws -> String {
        let id = try pathParameter(context, name)
        guard OCPPEndpoint.isValidIdentity(id) else {
            throw Problem.badRequest("invalid station id: up to \(OCPPEndpoint.maxIdentityLength) printable characters, no '/'")
        }
        return id
    }

    /// A command body: a JSON object, or nothing (taken as `{}`).
    static func jsonObjectBody(_ request: Request, maxSize: Int) async throws -> JSONValue {
        try jsonObject(try await collect(request, maxSize: maxSize)) ?? .object([:])
    }

    /// The whole body; a 413 problem beyond `maxSize` bytes.
    private static func collect(_ request: Request, maxSize: Int) async throws(Problem) -> ByteBuffer {
        var request = request
        do {
            return try await request.collectBody(upTo: maxSize)
        } catch {
            LimitRefusals.bodySize.record("request refused: body too large", ["path": "\(request.uri.path)"])
            throw Problem(status: .contentTooLarge, detail: "request body larger than \(maxSize) bytes")
        }
    }

    /// The body as a JSON object, nil when empty; not JSON or not an object are problems.
    static func jsonObject(_ buffer: ByteBuffer) throws(Problem) -> JSONValue? {
        guard buffer.readableBytes > 0 else { return nil }
        let json: JSONValue
        do {
            json = try JSONParser.parse(buffer.readableBytesView)
        } catch {
            throw Problem.invalidBody(error)
        }
        guard case .object = json else { throw Problem.badRequest("the body must be a JSON object") }
        return json
    }

    static func intParameter(_ context: some RequestContext, _ name: String) throws -> Int {
        let text = try context.parameters.require(name)
        guard let value = Int(text) else { throw Problem.badRequest("invalid path parameter '\(name)': an integer") }
        return value
    }
}

extension Optional {
    /// Unwraps or throws 404 with `detail`.
    func orNotFound(_ detail: @autoclosure () -> String) throws -> Wrapped {
        guard let self else { throw Problem.notFound(detail()) }
        return self
    }
}
