import Foundation
import Shared

/// A site as stored: its defaults not yet resolved (they depend on its unit and its stations).
struct SiteSettings: Sendable, Equatable {
    var siteId: String
    var limit: Double
    var unit: Site.Unit
    var phases: Int = 3
    var voltage: Double = 230
    var minPerConnector: Double?
    var fallbackLimit: Double?
    var description: String?

    /// The minimum of a session: as set, or 6 A (6 A at the site's voltage on its phases for a W site).
    var minimum: Double {
        minPerConnector ?? (unit == .amperes ? 6 : 6 * voltage * Double(phases))
    }

    /// The limit of each station's fallback profile: as set, or the site's limit shared by all its connectors.
    func fallback(connectors: Int) -> Double {
        fallbackLimit ?? SiteAllocation.roundedDown(limit / Double(max(1, connectors)))
    }
}

/// A session on a site's station, with the status of its connector.
struct SiteSessionRow: Sendable, Equatable {
    var key: ConnectorKey
    var transactionId: Int
    var startedAt: Date
    var connectorStatus: String?
}

/// A limit a charger accepted for a session: what is in force, kept so that ocppd knows it after a restart.
struct SiteLimitRow: Sendable, Equatable {
    var key: ConnectorKey
    var transactionId: Int
    var siteId: String
    var limit: Double
    var measured: Double?
    var acceptedAt: Date
}

/// The rows of Sites/.
protocol SiteStore: Store {
    /// Creates or replaces a site's settings; true when it is new.
    func putSite(_ site: SiteSettings, at: Date) async throws -> Bool
    func site(_ siteId: String) async throws -> SiteSettings?
    func sites() async throws -> [SiteSettings]
    /// Removes the site; its stations leave it and its limits are forgotten. Nil when unknown.
    func deleteSite(_ siteId: String) async throws -> SiteSettings?
    /// A site's stations with their number of connectors (those that reported one, 1 at least).
    func siteStations(_ siteId: String) async throws -> [(cpId: String, connectors: Int)]
    /// Every station that is on a site, to its site.
    func stationSites() async throws -> [String: String]
    /// The stations that left a site while out of reach: ocppd's fallback is cleared at their next connection.
    func stationsWithClearDue() async throws -> Set<String>
    /// Marks (a date) or unmarks (nil) a station whose fallback is to be cleared at its next connection.
    func setClearDue(_ cpId: String, since: Date?) async throws
    /// Unmarks the station; true when it was marked (in a cluster, the one node that clears it).
    func takeClearDue(_ cpId: String) async throws -> Bool
    /// The sessions running on these stations, with their connector's status.
    func activeSessions(cpIds: [String]) async throws -> [SiteSessionRow]
    func siteLimits(_ siteId: String) async throws -> [SiteLimitRow]
    /// Keeps the limit a charger accepted (replacing the connector's previous one).
    func setSiteLimit(_ row: SiteLimitRow) async throws
    /// What the connector's session was last measured to draw.
    func setSiteMeasured(_ key: ConnectorKey, _ measured: Double) async throws
    /// Forgets the limits of a site's connectors not in `keep` (sessions that ended, stations that left).
    func removeSiteLimits(_ siteId: String, keeping keep: Set<ConnectorKey>) async throws
    /// Renews `node`'s leases and takes those that expired (their node is gone) until `until`; returns the sites it holds.
    func renewSiteLeases(node: String, until: Date, now: Date) async throws -> Set<String>
    /// The node whose lease on the site runs at `now`.
    func siteLeaseHolder(_ siteId: String, now: Date) async throws -> String?
    /// Takes or renews the lease on computing a site's allocation for `node` until `until`; false while another node
    /// holds an unexpired one.
    func leaseSite(_ siteId: String, node: String, until: Date, now: Date) async throws -> Bool
}

extension SQLStore {
    private static var siteColumns: String { "site_id, limit_value, unit, phases, voltage, min_per_connector, fallback_limit, description" }

    private static func readSite(_ row: Connection.Row) throws -> SiteSettings {
        let unit = try row.string(2)
        guard let parsed = Site.Unit(rawValue: unit) else { throw StoreError.failed("site has an unknown unit '\(unit)'") }
        return SiteSettings(
            siteId: try row.string(0), limit: try row.double(1), unit: parsed, phases: try row.int(3), voltage: try row.double(4),
            minPerConnector: row.optionalDouble(5), fallbackLimit: row.optionalDouble(6), description: row.optionalString(7))
    }

    func putSite(_ site: SiteSettings, at: Date) async throws -> Bool {
        try await write { db in
            let values: [any SQLBindable] = [
                site.limit, site.unit.rawValue, site.phases, site.voltage, site.minPerConnector, site.fallbackLimit, site.description,
                at, site.siteId,
            ]
            let changed = try db.execute(
                """
                UPDATE sites SET limit_value = ?, unit = ?, phases = ?, voltage = ?, min_per_connector = ?, fallback_limit = ?,
                description = ?, updated_at = ? WHERE site_id = ?
                """, values)
            guard changed == 0 else { return false }
            try db.execute(
                """
                INSERT INTO sites (limit_value, unit, phases, voltage, min_per_connector, fallback_limit, description, updated_at,
                site_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, values + [at])
            return true
        }
    }

    func site(_ siteId: String) async throws -> SiteSettings? {
        try await read { db in
            try db.queryFirst("SELECT \(Self.siteColumns) FROM sites WHERE site_id = ?", [siteId], Self.readSite)
        }
    }

    func sites() async throws -> [SiteSettings] {
        try await read { db in try db.query("SELECT \(Self.siteColumns) FROM sites ORDER BY site_id", [], Self.readSite) }
    }

    func deleteSite(_ siteId: String) async throws -> SiteSettings? {
        try await write { db in
            guard let site = try db.queryFirst("SELECT \(Self.siteColumns) FROM sites WHERE site_id = ?", [siteId], Self.readSite) else {
                return nil
            }
            try db.execute("UPDATE stations SET site_id = NULL WHERE site_id = ?", [siteId])
            for table in ["site_limits", "site_leases", "sites"] {
                try db.execute("DELETE FROM \(table) WHERE site_id = ?", [siteId])
            }
            return site
        }
    }

    func siteStations(_ siteId: String) async throws -> [(cpId: String, connectors: Int)] {
        try await read { db in
            try db.query(
                """
                SELECT s.id, (SELECT COUNT(*) FROM connectors c WHERE c.cp_id = s.id AND c.connector_id > 0)
                FROM stations s WHERE s.site_id = ? ORDER BY s.id
                """, [siteId]
            ) { row in (try row.string(0), max(1, try row.int(1))) }
        }
    }

    func stationSites() async throws -> [String: String] {
        try await read { db in
            let pairs = try db.query("SELECT id, site_id FROM stations WHERE site_id IS NOT NULL", []) { row in
                (try row.string(0), try row.string(1))
            }
            return Dictionary(pairs, uniquingKeysWith: { first, _ in first })
        }
    }

    func stationsWithClearDue() async throws -> Set<String> {
        try await read { db in Set(try db.query("SELECT id FROM stations WHERE site_clear_due IS NOT NULL", []) { try $0.string(0) }) }
    }

    func setClearDue(_ cpId: String, since: Date?) async throws {
        try await write { db in _ = try db.execute("UPDATE stations SET site_clear_due = ? WHERE id = ?", [since, cpId]) }
    }

    func takeClearDue(_ cpId: String) async throws -> Bool {
        try await write { db in
            try db.execute("UPDATE stations SET site_clear_due = NULL WHERE id = ? AND site_clear_due IS NOT NULL", [cpId]) == 1
        }
    }

    func activeSessions(cpIds: [String]) async throws -> [SiteSessionRow] {
        guard !cpIds.isEmpty else { return [] }
        return try await read { db in
            let marks = Array(repeating: "?", count: cpIds.count).joined(separator: ", ")
            return try db.query(
                """
                SELECT s.cp_id, s.connector_id, s.transaction_id, s.started_at, c.status FROM sessions s
                LEFT JOIN connectors c ON c.cp_id = s.cp_id AND c.connector_id = s.connector_id
                WHERE s.active = 1 AND s.cp_id IN (\(marks)) ORDER BY s.started_at, s.transaction_id
                """, cpIds
            ) { row in
                SiteSessionRow(
                    key: ConnectorKey(cpId: try row.string(0), connectorId: try row.int(1)), transactionId: try row.int(2),
                    startedAt: try row.date(3), connectorStatus: row.optionalString(4))
            }
        }
    }

    func siteLimits(_ siteId: String) async throws -> [SiteLimitRow] {
        try await read { db in
            try db.query(
                """
                SELECT cp_id, connector_id, transaction_id, site_id, limit_value, measured, accepted_at FROM site_limits
                WHERE site_id = ? ORDER BY cp_id, connector_id
                """, [siteId]
            ) { row in
                SiteLimitRow(
                    key: ConnectorKey(cpId: try row.string(0), connectorId: try row.int(1)), transactionId: try row.int(2),
                    siteId: try row.string(3), limit: try row.double(4), measured: row.optionalDouble(5), acceptedAt: try row.date(6))
            }
        }
    }

    func setSiteLimit(_ row: SiteLimitRow) async throws {
        try await write { db in
            let values: [any SQLBindable] = [
                row.transactionId, row.siteId, row.limit, row.measured, row.acceptedAt, row.key.cpId, row.key.connectorId,
            ]
            let changed = try db.execute(
                """
                UPDATE site_limits SET transaction_id = ?, site_id = ?, limit_value = ?, measured = ?, accepted_at = ?
                WHERE cp_id = ? AND connector_id = ?
                """, values)
            if changed == 0 {
                try db.execute(
                    """
                    INSERT INTO site_limits (transaction_id, site_id, limit_value, measured, accepted_at, cp_id, connector_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, values)
            }
        }
    }

    func setSiteMeasured(_ key: ConnectorKey, _ measured: Double) async throws {
        try await write { db in
            try db.execute(
                "UPDATE site_limits SET measured = ? WHERE cp_id = ? AND connector_id = ?", [measured, key.cpId, key.connectorId])
        }
    }

    func removeSiteLimits(_ siteId: String, keeping keep: Set<ConnectorKey>) async throws {
        let rows = try await siteLimits(siteId)
        let gone = rows.filter { !keep.contains($0.key) }
        guard !gone.isEmpty else { return }
        try await write { db in
            for row in gone {
                try db.execute(
                    "DELETE FROM site_limits WHERE cp_id = ? AND connector_id = ? AND site_id = ?",
                    [row.key.cpId, row.key.connectorId, siteId])
            }
        }
    }

    func renewSiteLeases(node: String, until: Date, now: Date) async throws -> Set<String> {
        try await write { db in
            try db.execute(
                "UPDATE site_leases SET node_id = ?, expires_at = ? WHERE node_id = ? OR expires_at < ?", [node, until, node, now])
            return Set(try db.query("SELECT site_id FROM site_leases WHERE node_id = ?", [node]) { try $0.string(0) })
        }
    }

    func siteLeaseHolder(_ siteId: String, now: Date) async throws -> String? {
        try await read { db in
            try db.queryFirst("SELECT node_id FROM site_leases WHERE site_id = ? AND expires_at >= ?", [siteId, now]) { try $0.string(0) }
        }
    }

    func leaseSite(_ siteId: String, node: String, until: Date, now: Date) async throws -> Bool {
        do {
            return try await write { db in
                let renewed = try db.execute(
                    "UPDATE site_leases SET node_id = ?, expires_at = ? WHERE site_id = ? AND (node_id = ? OR expires_at < ?)",
                    [node, until, siteId, node, now])
                if renewed > 0 { return true }
                guard try db.queryFirst("SELECT 1 FROM site_leases WHERE site_id = ?", [siteId], { try $0.int(0) }) == nil else {
                    return false
                }
                try db.execute("INSERT INTO site_leases (site_id, node_id, expires_at) VALUES (?, ?, ?)", [siteId, node, until])
                return true
            }
        } catch StoreError.conflict {
            return false  // another node took it at the same moment
        }
    }
}

extension SQLiteStore: SiteStore {}
extension MariaDBStore: SiteStore {}
