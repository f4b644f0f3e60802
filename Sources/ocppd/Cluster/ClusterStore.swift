import Foundation
import Shared

/// A node's row: what the others know of it.
struct NodeRow: Sendable, Equatable {
    var id: String
    var url: String
    var startedAt: Date
    var lastSeenAt: Date
    /// Set when the node shut down cleanly; cleared when it starts again.
    var stoppedAt: Date?
    /// Stations whose ownership row names the node.
    var stations: Int
}

/// Who holds a station's connection.
struct Ownership: Sendable, Equatable {
    var cpId: String
    /// nil: on no node.
    var nodeId: String?
    var epoch: Int64
    /// The security profile the station's connection on that node satisfied (nil: not recorded).
    var securityProfile: Int? = nil
}

/// The rows through which the nodes of a cluster know of each other (Galera is the only shared engine).
protocol ClusterStore: Store {
    /// Creates or renews `node`'s row: it is alive as of `at`.
    func renewNode(_ id: String, url: String, startedAt: Date, at: Date) async throws
    func markNodeStopped(_ id: String, at: Date) async throws
    func nodes() async throws -> [NodeRow]
    /// Makes `node` the owner of `cpId` with an epoch greater than any before, noting the security profile its
    /// connection satisfied; returns that epoch.
    func takeOwnership(_ cpId: String, node: String, securityProfile: Int?, at: Date) async throws -> Int64
    /// Clears `cpId`'s owner if it is still `node` at `epoch` (a station that went to another node since stays there);
    /// false when it was not.
    func releaseOwnership(_ cpId: String, node: String, epoch: Int64, at: Date) async throws -> Bool
    /// Clears every ownership of `node` (a node starting holds no station yet).
    func releaseAll(node: String, at: Date) async throws
    /// Takes `cpId` away from whichever node holds it, raising the epoch: that node closes its socket (station removed).
    func revokeOwnership(_ cpId: String, at: Date) async throws
    /// Ownership rows changed at or after `since`.
    func ownershipChanges(since: Date) async throws -> [Ownership]
    /// Owners of stations, all of them (`cpId` nil) or one.
    func owners(_ cpId: String?) async throws -> [Ownership]
}

extension SQLStore {
    func renewNode(_ id: String, url: String, startedAt: Date, at: Date) async throws {
        try await write { db in
            let updated = try db.execute(
                "UPDATE cluster_nodes SET url = ?, started_at = ?, last_seen_at = ?, stopped_at = NULL WHERE id = ?",
                [url, startedAt, at, id])
            if updated == 0 {
                try db.execute(
                    "INSERT INTO cluster_nodes (id, url, started_at, last_seen_at) VALUES (?, ?, ?, ?)", [id, url, startedAt, at])
            }
        }
    }

    func markNodeStopped(_ id: String, at: Date) async throws {
        try await write { db in try db.execute("UPDATE cluster_nodes SET stopped_at = ? WHERE id = ?", [at, id]) }
    }

    func nodes() async throws -> [NodeRow] {
        try await read(inTransaction: false) { db in
            try db.query(
                """
                SELECT n.id, n.url, n.started_at, n.last_seen_at, n.stopped_at,
                    (SELECT COUNT(*) FROM station_owners o WHERE o.node_id = n.id)
                FROM cluster_nodes n ORDER BY n.id
                """
            ) { row in
                NodeRow(
                    id: try row.string(0), url: try row.string(1), startedAt: try row.date(2), lastSeenAt: try row.date(3),
                    stoppedAt: row.optionalDate(4), stations: try row.int(5))
            }
        }
    }

    func takeOwnership(_ cpId: String, node: String, securityProfile: Int?, at: Date) async throws -> Int64 {
        try await write { db in
            let updated = try db.execute(
                "UPDATE station_owners SET node_id = ?, epoch = epoch + 1, security_profile = ?, updated_at = ? WHERE cp_id = ?",
                [node, securityProfile, at, cpId])
            if updated == 0 {
                // Two nodes inserting the first row at once: one of them fails (a conflict, or 1213 on Galera) and retries.
                try db.execute(
                    "INSERT INTO station_owners (cp_id, node_id, epoch, security_profile, updated_at) VALUES (?, ?, 1, ?, ?)",
                    [cpId, node, securityProfile, at])
                return 1
            }
            return try db.queryFirst("SELECT epoch FROM station_owners WHERE cp_id = ?", [cpId]) { try $0.int64(0) } ?? 1
        }
    }

    func releaseOwnership(_ cpId: String, node: String, epoch: Int64, at: Date) async throws -> Bool {
        try await write { db in
            try db.execute(
                "UPDATE station_owners SET node_id = NULL, updated_at = ? WHERE cp_id = ? AND node_id = ? AND epoch = ?",
                [at, cpId, node, epoch]) > 0
        }
    }

    func releaseAll(node: String, at: Date) async throws {
        try await write { db in
            try db.execute("UPDATE station_owners SET node_id = NULL, updated_at = ? WHERE node_id = ?", [at, node])
        }
    }

    func revokeOwnership(_ cpId: String, at: Date) async throws {
        try await write { db in
            try db.execute(
                "UPDATE station_owners SET node_id = NULL, epoch = epoch + 1, updated_at = ? WHERE cp_id = ? AND node_id IS NOT NULL",
                [at, cpId])
        }
    }

    func ownershipChanges(since: Date) async throws -> [Ownership] {
        try await read(inTransaction: false) { db in
            try db.query(
                "SELECT cp_id, node_id, epoch, security_profile FROM station_owners WHERE updated_at >= ?", [since], Self.readOwnership)
        }
    }

    func owners(_ cpId: String?) async throws -> [Ownership] {
        try await read(inTransaction: false) { db in
            if let cpId {
                return try db.query(
                    "SELECT cp_id, node_id, epoch, security_profile FROM station_owners WHERE cp_id = ?", [cpId], Self.readOwnership)
            }
            return try db.query(
                "SELECT cp_id, node_id, epoch, security_profile FROM station_owners WHERE node_id IS NOT NULL", Self.readOwnership)
        }
    }

    /// A row of `SELECT cp_id, node_id, epoch, security_profile FROM station_owners`.
    static func readOwnership(_ row: Connection.Row) throws -> Ownership {
        Ownership(cpId: try row.string(0), nodeId: row.optionalString(1), epoch: try row.int64(2), securityProfile: row.optionalInt(3))
    }
}

extension SQLiteStore: ClusterStore {}
extension MariaDBStore: ClusterStore {}
