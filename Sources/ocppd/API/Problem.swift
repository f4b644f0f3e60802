import HTTPTypes
import Hummingbird
import Shared

/// An RFC 9457 problem: every error the REST API answers is one, as `application/problem+json`.
struct Problem: Error, HTTPResponseError, Sendable {
    var status: HTTPResponse.Status
    var detail: String
    var headers: HTTPFields = [:]
    /// Extra members, e.g. the charge point's CALLERROR code.
    var extra: JSONObject = [:]

    init(status: HTTPResponse.Status, detail: String, headers: HTTPFields = [:], extra: JSONObject = [:]) {
        self.status = status
        self.detail = detail
        self.headers = headers
        self.extra = extra
    }

    static func badRequest(_ detail: String) -> Problem { Problem(status: .badRequest, detail: detail) }
    static func notFound(_ detail: String) -> Problem { Problem(status: .notFound, detail: detail) }

    /// A 400 naming the field a body or payload got wrong.
    static func invalidBody(_ error: any Error) -> Problem {
        if let error = error as? DecodingError {
            let field = error.fieldPath
            var problem = Problem.badRequest(field.isEmpty ? "invalid body: \(error.reason)" : "invalid field '\(field)': \(error.reason)")
            if !field.isEmpty { problem.extra["field"] = .string(field) }
            return problem
        }
        if let error = error as? JSONParseError {
            return .badRequest("the body is not valid JSON: \(error)")
        }
        return .badRequest("invalid body: \(error)")
    }

    var jsonBytes: [UInt8] {
        var object: JSONObject = [
            "type": "about:blank",
            "title": .string(status.reasonPhrase),
            "status": .integer(Int64(status.code)),
            "detail": .string(detail),
        ]
        for member in extra.members { object[member.key] = member.value }
        var out: [UInt8] = []
        JSONValue.object(object).write(to: &out)
        return out
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: jsonBytes)))
    }
}

/// Turns every error, including the router's own 404 and 405, into a problem+json answer, and
/// keeps internal error text out of answers (it is logged instead).
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            throw Problem(error, request: request, context: context)
        }
    }
}

extension Problem {
    /// The problem an error answers as.
    init(_ error: any Error, request: Request, context: some RequestContext) {
        switch error {
        case let problem as Problem:
            self = problem
        case let error as StoreError:
            switch error {
            case .unavailable:
                context.logger.error("store unavailable", metadata: ["error": "\(error)"])
                self.init(status: .serviceUnavailable, detail: "the database is unavailable; retry later", headers: [.retryAfter: "5"])
            case .conflict(let detail): self.init(status: .conflict, detail: detail)
            case .notFound(let detail): self = .notFound(detail)
            case .failed:
                context.logger.error("store failure", metadata: ["error": "\(error)"])
                self.init(status: .internalServerError, detail: "internal error; see the ocppd log")
            }
        case let error as HTTPError where error.status == .notFound:
            // A path that exists with other methods: 405 and the ones it has.
            let allowed = OpenAPIDocument.methods(forPath: request.uri.path)
            guard allowed.isEmpty else {
                self.init(
                    status: .methodNotAllowed, detail: "\(request.method) is not allowed on \(request.uri.path)",
                    headers: [.allow: allowed.joined(separator: ", ")])
                return
            }
            self.init(status: .notFound, detail: "no such route: \(request.method) \(request.uri.path)")
        case let error as HTTPError:
            let detail: String =
                switch error.status {
                case .methodNotAllowed: "\(request.method) is not allowed on \(request.uri.path)"
                case .contentTooLarge: "request body too large"
                default: error.body ?? error.status.reasonPhrase
                }
            self.init(status: error.status, detail: detail, headers: error.headers)
        case let error as HTTPResponseError:
            self.init(status: error.status, detail: error.status.reasonPhrase)
        default:
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            self.init(status: .internalServerError, detail: "internal error; see the ocppd log")
        }
    }
}
