import Foundation
import Hummingbird
import Shared

/// `POST /api/tokens`.
struct TokenBody: Decodable {
    var name: String
    var role: Role
    /// RFC 3339; none: the token does not expire.
    var expiresAt: String?

    static let maxNameLength = 64

    /// A name: letters, digits, '.', '_' and '-', starting with a letter or digit.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= maxNameLength else { return false }
        func allowed(_ scalar: Unicode.Scalar) -> Bool {
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "._-".unicodeScalars.contains(scalar))
        }
        return first.isASCII && CharacterSet.alphanumerics.contains(first) && name.unicodeScalars.allSatisfy(allowed)
    }
}

extension APIRoutes {
    func addAccountRoutes(to api: RouterGroup<APIRequestContext>) {
        guard let store = store as? any AccountStore else { return }
        /// A named token with a role; the secret is in this answer only (201). 409 when the name is taken.
        api.post("tokens") { request, context in
            let body = try await API.body(TokenBody.self, from: request, maxSize: configuration.maxBodySize)
            guard TokenBody.isValidName(body.name) else {
                throw Problem(
                    status: .badRequest,
                    detail:
                        "invalid field 'name': 1 to \(TokenBody.maxNameLength) letters, digits, '.', '_' or '-', first a letter or digit",
                    extra: ["field": "name"])
            }
            let now = Date()
            var expiresAt: Date?
            if let text = body.expiresAt {
                guard let date = OCPPDate.parse(text) else {
                    throw Problem(
                        status: .badRequest, detail: "invalid field 'expiresAt': an RFC 3339 date-time such as 2027-01-01T00:00:00Z",
                        extra: ["field": "expiresAt"])
                }
                guard date > now else {
                    throw Problem(status: .badRequest, detail: "invalid field 'expiresAt': in the past", extra: ["field": "expiresAt"])
                }
                expiresAt = date
            }
            guard body.name != APICaller.defaultName else {
                throw Problem(status: .conflict, detail: "'\(APICaller.defaultName)' is the configured token's name")
            }
            let secret = APIToken.generate()
            let token = StoredToken(
                name: body.name, role: body.role, hash: APIAccess.hash(Array(secret.utf8)), createdAt: now, expiresAt: expiresAt)
            guard try await store.createToken(token) else {
                throw Problem(status: .conflict, detail: "a token named '\(body.name)' exists: remove it first, or choose another name")
            }
            context.logger.notice(
                "API token created", metadata: ["name": "\(token.name)", "role": "\(token.role)", "by": "\(context.caller?.name ?? "?")"])
            var info = token.info
            info.token = secret
            return try API.json(info, status: .created)
        }
        /// Every named token, by name, without secrets (the configured one is not listed).
        api.get("tokens") { request, _ in
            try API.list(API.page(try await store.tokens().map(\.info), try API.pageRequest(request)))
        }
        /// Removes a token: it stops at once, through every node, and its open event streams end.
        api.delete("tokens/:name") { _, context in
            let name = try API.pathParameter(context, "name")
            guard name != APICaller.defaultName else {
                throw Problem(
                    status: .conflict,
                    detail: "the configured token cannot be removed: rotate it (POST /api/token/rotate) or change the configuration")
            }
            let token = try await store.deleteToken(name).orNotFound("no token named '\(name)'")
            context.logger.notice("API token removed", metadata: ["name": "\(name)", "by": "\(context.caller?.name ?? "?")"])
            await events.publish("token.revoked", cpId: "", ["name": .string(name)])
            return try API.json(token.info)
        }
        /// The token of this request: its name, role and expiry.
        api.get("token") { _, context in
            guard let caller = context.caller else { throw Problem(status: .unauthorized, detail: "no token") }
            return API.jsonValue([
                "name": .string(caller.name), "role": .string(caller.role.rawValue),
                "expiresAt": caller.expiresAt.map { .string(OCPPDate.format($0)) } ?? .null,
            ])
        }
        /// The audit log, newest first; `?token=&cpId=&since=&until=` narrow it.
        api.get("audit") { request, _ in
            let filter = AuditFilter(
                token: request.uri.queryParameters["token"].map(String.init),
                cpId: request.uri.queryParameters["cpId"].map(String.init),
                since: try API.dateQuery(request, "since"), until: try API.dateQuery(request, "until"))
            return try API.list(try await store.audit(filter, try API.pageRequest(request)))
        }
    }
}
