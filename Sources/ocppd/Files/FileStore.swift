import Foundation
import Shared

/// What an upload URL lets a charger send, once.
struct UploadGrant: Sendable, Equatable {
    var cpId: String
    var kind: StoredFile.Kind
    var requestId: Int?
}

/// The rows of Files/: kept files (the content is on the disk of the node in `node_id`) and one-time upload tokens.
protocol FileStore: Store {
    func createUploadToken(hash: String, _ grant: UploadGrant, at: Date, expiresAt: Date) async throws
    /// Takes the token for one upload: nil when it is unknown, used or expired. `releaseUploadToken` gives it back when
    /// the upload failed, so that the charger's retry finds it.
    func claimUploadToken(hash: String, at: Date) async throws -> UploadGrant?
    func releaseUploadToken(hash: String) async throws
    func addFile(_ file: StoredFile, node: String) async throws
    func file(_ id: String) async throws -> (file: StoredFile, node: String)?
    /// Newest first, filtered by station and kind when given.
    func files(cpId: String?, kind: StoredFile.Kind?, _ page: PageRequest) async throws -> Page<StoredFile>
    /// Removes the row; returns it as it was, nil when unknown.
    func deleteFile(_ id: String) async throws -> StoredFile?
    /// Every file's id to the node that holds it, for the check at start (files on disk and rows must agree).
    func fileNodes() async throws -> [String: String]
    /// Files found on `node`'s disk that their rows gave to another node name.
    func moveFiles(_ ids: [String], to node: String) async throws
    /// Forgets upload tokens that expired or were used before `before`.
    func pruneUploadTokens(before: Date) async throws
    /// The charger uploads (diagnostics, logs) `node` holds, oldest first: what retention may remove.
    func uploadsOldestFirst(node: String) async throws -> [StoredFile]
}

extension SQLStore {
    func createUploadToken(hash: String, _ grant: UploadGrant, at: Date, expiresAt: Date) async throws {
        try await write { db in
            try db.execute(
                "INSERT INTO upload_tokens (token_hash, cp_id, kind, request_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                [hash, grant.cpId, grant.kind.rawValue, grant.requestId, at, expiresAt])
        }
    }

    func claimUploadToken(hash: String, at: Date) async throws -> UploadGrant? {
        try await write { db in
            let claimed = try db.execute(
                "UPDATE upload_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?", [at, hash, at])
            guard claimed > 0 else { return nil }
            return try db.queryFirst("SELECT cp_id, kind, request_id FROM upload_tokens WHERE token_hash = ?", [hash]) { row in
                UploadGrant(
                    cpId: try row.string(0), kind: StoredFile.Kind(rawValue: try row.string(1)) ?? .diagnostics,
                    requestId: row.optionalInt(2))
            }
        }
    }

    func releaseUploadToken(hash: String) async throws {
        try await write { db in
            try db.execute("UPDATE upload_tokens SET used_at = NULL WHERE token_hash = ?", [hash])
        }
    }

    func addFile(_ file: StoredFile, node: String) async throws {
        try await write { db in
            try db.execute(
                """
                INSERT INTO files (id, kind, cp_id, request_id, name, size, sha256, node_id, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [file.id, file.kind.rawValue, file.cpId, file.requestId, file.name, file.size, file.sha256, node, file.createdAt])
        }
    }

    private static var fileColumns: String { "id, kind, cp_id, request_id, name, size, sha256, created_at, node_id" }

    private static func readFile(_ row: Connection.Row) throws -> (file: StoredFile, node: String) {
        let kind = try row.string(1)
        guard let parsed = StoredFile.Kind(rawValue: kind) else { throw StoreError.failed("file \(try row.string(0)) has kind '\(kind)'") }
        let file = StoredFile(
            id: try row.string(0), kind: parsed, cpId: row.optionalString(2), requestId: row.optionalInt(3), name: try row.string(4),
            size: try row.int64(5), sha256: try row.string(6), createdAt: try row.date(7))
        return (file, try row.string(8))
    }

    func file(_ id: String) async throws -> (file: StoredFile, node: String)? {
        try await read { db in try db.queryFirst("SELECT \(Self.fileColumns) FROM files WHERE id = ?", [id], Self.readFile) }
    }

    func files(cpId: String?, kind: StoredFile.Kind?, _ page: PageRequest) async throws -> Page<StoredFile> {
        try await read { db in
            let (filter, parameters) = Self.whereEqual(["cp_id": cpId, "kind": kind?.rawValue])
            let items = try db.query(
                "SELECT \(Self.fileColumns) FROM files \(filter) ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                parameters + .page(page), Self.readFile
            ).map(\.file)
            let total = try db.queryFirst("SELECT COUNT(*) FROM files \(filter)", parameters) { try $0.int(0) } ?? 0
            return Page(items: items, total: total)
        }
    }

    func deleteFile(_ id: String) async throws -> StoredFile? {
        try await write { db in
            guard let found = try db.queryFirst("SELECT \(Self.fileColumns) FROM files WHERE id = ?", [id], Self.readFile) else {
                return nil
            }
            try db.execute("DELETE FROM files WHERE id = ?", [id])
            return found.file
        }
    }

    func uploadsOldestFirst(node: String) async throws -> [StoredFile] {
        try await read(inTransaction: false) { db in
            try db.query(
                "SELECT \(Self.fileColumns) FROM files WHERE node_id = ? AND kind <> 'firmware' ORDER BY created_at, id", [node],
                Self.readFile
            ).map(\.file)
        }
    }

    func fileNodes() async throws -> [String: String] {
        try await read(inTransaction: false) { db in
            let rows = try db.query("SELECT id, node_id FROM files", []) { (try $0.string(0), try $0.string(1)) }
            return Dictionary(rows, uniquingKeysWith: { first, _ in first })
        }
    }

    func moveFiles(_ ids: [String], to node: String) async throws {
        try await write { db in
            for id in ids { try db.execute("UPDATE files SET node_id = ? WHERE id = ?", [node, id]) }
        }
    }

    func pruneUploadTokens(before: Date) async throws {
        try await write { db in
            try db.execute("DELETE FROM upload_tokens WHERE expires_at < ? OR used_at < ?", [before, before])
        }
    }
}

extension SQLiteStore: FileStore {}
extension MariaDBStore: FileStore {}
