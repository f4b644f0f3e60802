import Foundation
import Shared

/// A named API token as stored: its secret only as a SHA-256 digest.
struct StoredToken: Sendable, Equatable {
    var name: String
    var role: Role
    /// SHA-256 of the secret, hex.
    var hash: String
    var createdAt: Date
    var expiresAt: Date?

    var info: APITokenInfo { APITokenInfo(name: name, role: role, expiresAt: expiresAt, createdAt: createdAt) }
}

/// What GET /api/audit narrows the log to.
struct AuditFilter: Sendable, Equatable {
    var token: String?
    var cpId: String?
    var since: Date?
    var until: Date?
}

/// The rows of Accounts/: named tokens and the audit log.
protocol AccountStore: Store {
    /// Keeps a new token; false when a token of that name exists.
    func createToken(_ token: StoredToken) async throws -> Bool
    /// Every named token, by name.
    func tokens() async throws -> [StoredToken]
    /// The token whose secret has this digest.
    func token(hash: String) async throws -> StoredToken?
    /// Removes the token; nil when there is none of that name.
    func deleteToken(_ name: String) async throws -> StoredToken?
    /// Keeps an entry; returns its id.
    func addAudit(_ entry: AuditEntry) async throws -> Int
    /// Newest first.
    func audit(_ filter: AuditFilter, _ page: PageRequest) async throws -> Page<AuditEntry>
    /// Removes the entries older than `before`; returns how many.
    func pruneAudit(before: Date) async throws -> Int
}

extension SQLStore {
    private static var tokenColumns: String { "name, role, token_hash, created_at, expires_at" }

    private static func readToken(_ row: Connection.Row) throws -> StoredToken {
        let text = try row.string(1)
        guard let role = Role(rawValue: text) else { throw StoreError.failed("token '\(try row.string(0))' has an unknown role '\(text)'") }
        return StoredToken(
            name: try row.string(0), role: role, hash: try row.string(2), createdAt: try row.date(3), expiresAt: row.optionalDate(4))
    }

    func createToken(_ token: StoredToken) async throws -> Bool {
        try await write { db in
            guard try db.queryFirst("SELECT 1 FROM api_tokens WHERE name = ?", [token.name], { try $0.int(0) }) == nil else { return false }
            try db.execute(
                "INSERT INTO api_tokens (\(Self.tokenColumns)) VALUES (?, ?, ?, ?, ?)",
                [token.name, token.role.rawValue, token.hash, token.createdAt, token.expiresAt])
            return true
        }
    }

    func tokens() async throws -> [StoredToken] {
        try await read { db in try db.query("SELECT \(Self.tokenColumns) FROM api_tokens ORDER BY name", [], Self.readToken) }
    }

    func token(hash: String) async throws -> StoredToken? {
        try await read(inTransaction: false) { db in
            try db.queryFirst("SELECT \(Self.tokenColumns) FROM api_tokens WHERE token_hash = ?", [hash], Self.readToken)
        }
    }

    func deleteToken(_ name: String) async throws -> StoredToken? {
        try await write { db in
            guard let token = try db.queryFirst("SELECT \(Self.tokenColumns) FROM api_tokens WHERE name = ?", [name], Self.readToken)
            else { return nil }
            try db.execute("DELETE FROM api_tokens WHERE name = ?", [name])
            return token
        }
    }

    func addAudit(_ entry: AuditEntry) async throws -> Int {
        try await write { db in
            _ = try db.execute(
                """
                INSERT INTO audit_log (at, token_name, method, path, cp_id, command, body, status, result)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    entry.at, entry.token, entry.method, entry.path, entry.cpId, entry.command, entry.body, entry.status,
                    entry.result,
                ])
            return Int(db.lastInsertRowID)
        }
    }

    func audit(_ filter: AuditFilter, _ page: PageRequest) async throws -> Page<AuditEntry> {
        try await read { db in
            var (conditions, parameters) = Self.whereEqual(["token_name": filter.token, "cp_id": filter.cpId])
            for (condition, date) in [("at >= ?", filter.since), ("at <= ?", filter.until)] {
                guard let date else { continue }
                conditions += (conditions.isEmpty ? "WHERE " : " AND ") + condition
                parameters.append(date)
            }
            let items = try db.query(
                """
                SELECT id, at, token_name, method, path, cp_id, command, body, status, result FROM audit_log \(conditions)
                ORDER BY at DESC, id DESC LIMIT ? OFFSET ?
                """,
                parameters + .page(page)
            ) { row in
                AuditEntry(
                    id: try row.int(0), at: try row.date(1), token: try row.string(2), method: try row.string(3),
                    path: try row.string(4), cpId: row.optionalString(5), command: row.optionalString(6), body: row.optionalString(7),
                    status: try row.int(8), result: row.optionalString(9))
            }
            let total = try db.queryFirst("SELECT COUNT(*) FROM audit_log \(conditions)", parameters) { try $0.int(0) } ?? 0
            return Page(items: items, total: total)
        }
    }

    func pruneAudit(before: Date) async throws -> Int {
        try await write { db in try db.execute("DELETE FROM audit_log WHERE at < ?", [before]) }
    }
}

extension SQLiteStore: AccountStore {}
extension MariaDBStore: AccountStore {}
