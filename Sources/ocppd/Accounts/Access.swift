import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Shared

/// Who sent a REST request: a named token, or the configured (or generated) one, `api-token`.
struct APICaller: Sendable, Equatable {
    var name: String
    var role: Role
    var expiresAt: Date?

    /// The name under which the configured or generated token acts (and which no named token may take).
    static let defaultName = "api-token"
}

/// The request context of the REST API: Hummingbird's, and who sent the request (set once the token is checked).
struct APIRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var caller: APICaller?
    /// Set on writes: where a route tells the audit log its outcome.
    var auditNote: AuditNote?

    init(source: Source) {
        coreContext = .init(source: source)
    }
}

/// Tells who a bearer token is: the configured one (in memory, constant time), or a named token of the store (by the
/// SHA-256 of the secret, read at every request, so that a token removed through any node of a cluster stops at once).
struct APIAccess: Sendable {
    let defaultToken: APIToken
    let store: (any AccountStore)?

    enum Outcome: Sendable, Equatable {
        case caller(APICaller)
        case unknown
        case expired(name: String, at: Date)
    }

    func caller(presenting presented: [UInt8], now: Date = Date()) async throws -> Outcome {
        if defaultToken.matches(presented) { return .caller(APICaller(name: APICaller.defaultName, role: .admin)) }
        guard let store, let token = try await store.token(hash: Self.hash(presented)) else { return .unknown }
        if let expiresAt = token.expiresAt, expiresAt <= now { return .expired(name: token.name, at: expiresAt) }
        return .caller(APICaller(name: token.name, role: token.role, expiresAt: token.expiresAt))
    }

    static func hash(_ secret: [UInt8]) -> String { Hex.string(Array(SHA256.hash(data: secret))) }
}

/// The role each REST route needs (PRODUCT.md §11): every GET (and the event stream) `viewer`; the charge point
/// commands, RFID block and activate and firmware uploads `technician`; every other write `admin`. A route that is not
/// named here needs `admin`.
enum RoutePermissions {
    static let technicianRoutes: Set<String> = [
        "POST /api/admin/{cpId}/{command}", "POST /api/rfid/{tagId}/block", "POST /api/rfid/{tagId}/activate", "POST /api/firmware",
    ]

    static func required(method: HTTPRequest.Method, route: String) -> Role {
        if method == .get || method == .head { return .viewer }
        return technicianRoutes.contains("\(method.rawValue) \(route)") ? .technician : .admin
    }

    /// A route as Hummingbird names it (`/api/stations/:cpId`) as the OpenAPI document does (`/api/stations/{cpId}`).
    static func pattern(_ endpointPath: String) -> String {
        "/"
            + endpointPath.split(separator: "/").map { segment in
                segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
            }.joined(separator: "/")
    }
}

/// Every /api request passes here: `Authorization: Bearer TOKEN` is required (401 without a valid token: unknown,
/// expired), the rate limit applies (429), the token's role must allow the route (403 naming the role needed), and
/// every write and command, refused or not, goes into the audit log.
struct APIGate: RouterMiddleware {
    typealias Context = APIRequestContext
    let access: APIAccess
    /// Requests per second with a valid token.
    let limiter: RateLimiter
    /// nil only in tests that need none.
    let audit: AuditLog?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let caller = try await authenticate(request)
        if let wait = limiter.take() {
            limiter.refusals.record("REST request refused: over the rate limit")
            throw Problem(
                status: .tooManyRequests,
                detail: "more than \(limiter.limit.perSecond) requests per second: retry in \(wait.retryAfterSeconds) s",
                headers: [.retryAfter: "\(wait.retryAfterSeconds)"])
        }
        var context = context
        context.caller = caller
        let route = RoutePermissions.pattern(context.endpointPath ?? request.uri.path)
        let needed = RoutePermissions.required(method: request.method, route: route)
        func allowed(_ request: Request, _ context: Context) async throws -> Response {
            guard caller.role >= needed else {
                throw Problem(
                    status: .forbidden,
                    detail:
                        "\(request.method) \(request.uri.path) needs the \(needed.rawValue) role: the token '\(caller.name)' is \(caller.role.rawValue)",
                    extra: ["role": .string(needed.rawValue)])
            }
            return try await next(request, context)
        }
        guard let audit, needed > .viewer else { return try await allowed(request, context) }
        return try await audit.record(request, context: context, caller: caller, route: route, next: allowed)
    }

    private func authenticate(_ request: Request) async throws -> APICaller {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw Problem(
                status: .unauthorized, detail: "missing bearer token: send Authorization: Bearer TOKEN (see ocppd's data directory)",
                headers: [.wwwAuthenticate: "Bearer"])
        }
        let presented = Array(header.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces).utf8)
        switch try await access.caller(presenting: presented) {
        case .caller(let caller): return caller
        case .unknown:
            throw Problem(
                status: .unauthorized, detail: "invalid bearer token", headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""])
        case .expired(let name, let at):
            throw Problem(
                status: .unauthorized, detail: "the token '\(name)' expired at \(OCPPDate.format(at))",
                headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""])
        }
    }
}
