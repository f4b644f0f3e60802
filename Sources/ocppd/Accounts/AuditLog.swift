import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Shared

/// What a route tells the audit log about its outcome beyond the HTTP status (a command: the charger's answer).
final class AuditNote: Sendable {
    /// Set by the route's handler, read by `AuditLog.record` once the route returned; the lock makes the hand-over safe
    /// whichever threads the two run on.
    private let text = Locked<String?>(nil)

    var result: String? {
        get { text.withLock { $0 } }
        set { text.withLock { $0 = newValue } }
    }
}

/// Keeps every write and command of the REST API in the store (PRODUCT.md §11): who (the token's name), what (method,
/// path, station, command, the body without its secrets), when, and the outcome (status; the charger's answer, or the
/// problem's detail). Kept before the answer goes out; a store that fails is logged and does not fail the request.
/// Each entry is also event `audit.entry` (for `ocppctl audit --follow` and webhooks).
struct AuditLog: Sendable {
    let store: any AccountStore
    let events: EventBus
    /// Bodies larger than this are refused by the routes too (413); they are not kept.
    let maxBodySize: Int
    let logger: Logger

    /// Routes whose body is a file, never read here.
    static let fileRoutes: Set<String> = ["POST /api/firmware"]

    func record(
        _ request: Request, context: APIRequestContext, caller: APICaller, route: String,
        next: (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        var request = request
        var body: String?
        if !Self.fileRoutes.contains("\(request.method.rawValue) \(route)") {
            do {
                let buffer = try await request.collectBody(upTo: maxBodySize)
                if buffer.readableBytes > 0 { body = Self.redacted(Array(buffer.readableBytesView)) }
            } catch {
                // Too large: the route refuses it the same way (413), which is kept below.
                LimitRefusals.bodySize.record("request refused: body too large", ["path": "\(request.uri.path)"])
                let problem = Problem(status: .contentTooLarge, detail: "request body larger than \(maxBodySize) bytes")
                await keep(request, context: context, caller: caller, route: route, body: nil, status: 413, result: problem.detail)
                throw problem
            }
        }
        let note = AuditNote()
        var context = context
        context.auditNote = note
        do {
            let response = try await next(request, context)
            await keep(
                request, context: context, caller: caller, route: route, body: body, status: Int(response.status.code),
                result: note.result)
            return response
        } catch {
            let problem = Problem(error, request: request, context: context)
            await keep(
                request, context: context, caller: caller, route: route, body: body, status: Int(problem.status.code),
                result: problem.detail)
            throw problem
        }
    }

    private func keep(
        _ request: Request, context: APIRequestContext, caller: APICaller, route: String, body: String?, status: Int, result: String?
    ) async {
        // Cut to the columns' sizes (a longer station id or command is refused by the route anyway, and still kept here).
        let cpId = context.parameters.get("cpId").map { String(($0.removingPercentEncoding ?? String($0)).prefix(48)) }
        let command = route.hasPrefix("/api/admin/") ? context.parameters.get("command").map { String($0.prefix(64)) } : nil
        var path = request.uri.path
        if let query = request.uri.query, !query.isEmpty { path += "?" + query }
        var entry = AuditEntry(
            id: 0, at: Date(), token: caller.name, method: request.method.rawValue, path: path, cpId: cpId, command: command, body: body,
            status: status, result: result)
        do {
            entry.id = try await store.addAudit(entry)
        } catch {
            logger.error(
                "an audit entry could not be kept",
                metadata: ["token": "\(caller.name)", "method": "\(entry.method)", "path": "\(path)", "error": "\(error)"])
            return
        }
        guard case .object(var fields)? = try? JSONCoding.jsonValue(entry) else { return }
        fields["cpId"] = nil
        fields["at"] = nil
        await events.publish(GatewayEvent(type: "audit.entry", cpId: cpId ?? "", at: entry.at, fields: fields))
    }

    // MARK: - Secrets

    /// Members whose values are secrets, by their lowercased name.
    static let secretNames: Set<String> = ["authorizationkey", "secret", "password", "token", "privatekey"]

    /// The body as JSON text with every secret replaced by "***": members named as secrets (at any depth), and the value
    /// of a ChangeConfiguration of AuthorizationKey. A body that is not JSON is kept as its size only.
    static func redacted(_ bytes: [UInt8]) -> String {
        guard let json = try? JSONParser.parse(bytes) else { return "(\(bytes.count) bytes, not JSON)" }
        var out: [UInt8] = []
        redact(json).write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var copy: JSONObject = [:]
            let authorizationKey = object["key"]?.stringValue?.lowercased() == "authorizationkey"
            for member in object.members {
                let name = member.key.lowercased()
                if secretNames.contains(name) || name.hasSuffix("secret") || name.hasSuffix("password")
                    || (authorizationKey && name == "value")
                {
                    copy[member.key] = member.value == .null ? .null : "***"
                } else {
                    copy[member.key] = redact(member.value)
                }
            }
            return .object(copy)
        case .array(let items):
            return .array(items.map(redact))
        default:
            return value
        }
    }
}
