import Foundation
import Shared

extension SQLStore {
    static var stationColumns: String {
        """
        id, registration_status, vendor, model, serial_number, charge_box_serial_number, firmware_version, iccid, imsi, \
        meter_type, meter_serial_number, description, security_profile, auth_key_hash IS NOT NULL, last_heartbeat_at, \
        last_boot_at, firmware_status, diagnostics_status, created_at, local_list_version, firmware_request_id, log_status, \
        log_request_id, site_id
        """
    }

    static func readStation(_ row: Connection.Row) throws -> Station {
        let status = try row.string(1)
        guard let registrationStatus = RegistrationStatus(rawValue: status) else {
            throw StoreError.failed("station \(try row.string(0)) has an unknown registration status '\(status)'")
        }
        var station = Station(
            id: try row.string(0), registrationStatus: registrationStatus, vendor: row.optionalString(2), model: row.optionalString(3),
            serialNumber: row.optionalString(4), chargeBoxSerialNumber: row.optionalString(5), firmwareVersion: row.optionalString(6),
            iccid: row.optionalString(7), imsi: row.optionalString(8), meterType: row.optionalString(9),
            meterSerialNumber: row.optionalString(10), description: row.optionalString(11), securityProfile: try row.int(12),
            hasAuthorizationKey: try row.bool(13), lastHeartbeatAt: row.optionalDate(14), lastBootAt: row.optionalDate(15),
            firmwareStatus: row.optionalString(16), diagnosticsStatus: row.optionalString(17), createdAt: try row.date(18)
        )
        station.localListVersion = row.optionalInt(19)
        station.firmwareRequestId = row.optionalInt(20)
        station.logStatus = row.optionalString(21)
        station.logRequestId = row.optionalInt(22)
        station.siteId = row.optionalString(23)
        return station
    }

    static var connectorColumns: String { "connector_id, status, error_code, info, vendor_id, vendor_error_code" }

    /// Reads `connectorColumns` followed by the time column.
    static func readConnector(_ row: Connection.Row) throws -> Connector {
        Connector(
            connectorId: try row.int(0), status: try row.string(1), errorCode: try row.string(2), info: row.optionalString(3),
            vendorId: row.optionalString(4), vendorErrorCode: row.optionalString(5), updatedAt: try row.date(6)
        )
    }

    /// Current connectors with their availability: the cp_id, then `connectorColumns`, the time, and the availability.
    static var currentConnectorColumns: String {
        """
        c.cp_id, c.connector_id, c.status, c.error_code, c.info, c.vendor_id, c.vendor_error_code, c.updated_at, \
        a.requested, a.status, a.updated_at
        """
    }
    static var currentConnectorJoin: String {
        "LEFT JOIN connector_availability a ON a.cp_id = c.cp_id AND a.connector_id = c.connector_id"
    }

    static func readCurrentConnector(_ row: Connection.Row) throws -> (String, Connector) {
        var connector = Connector(
            connectorId: try row.int(1), status: try row.string(2), errorCode: try row.string(3), info: row.optionalString(4),
            vendorId: row.optionalString(5), vendorErrorCode: row.optionalString(6), updatedAt: try row.date(7))
        if let requested = row.optionalString(8) {
            connector.availability = ConnectorAvailability(requested: requested, status: try row.string(9), at: try row.date(10))
        }
        return (try row.string(0), connector)
    }

    static func fetchStation(_ db: Connection, _ id: String) throws -> Station? {
        guard var station = try db.queryFirst("SELECT \(stationColumns) FROM stations WHERE id = ?", [id], readStation) else {
            return nil
        }
        station.connectors = try db.query(
            "SELECT \(currentConnectorColumns) FROM connectors c \(currentConnectorJoin) WHERE c.cp_id = ? ORDER BY c.connector_id", [id],
            readCurrentConnector
        ).map(\.1)
        return station
    }

    func station(_ id: String) async throws -> Station? {
        try await read { db in try Self.fetchStation(db, id) }
    }

    func stations(_ page: PageRequest) async throws -> Page<Station> {
        try await read { db in
            var stations = try db.query(
                "SELECT \(Self.stationColumns) FROM stations ORDER BY id LIMIT ? OFFSET ?", .page(page), Self.readStation)
            let total = try db.queryFirst("SELECT COUNT(*) FROM stations") { try $0.int(0) } ?? 0
            guard !stations.isEmpty else { return Page(items: [], total: total) }
            // One query for the connectors of the whole page, joined to the same page of stations.
            let connectors = try db.query(
                """
                SELECT \(Self.currentConnectorColumns)
                FROM connectors c JOIN (SELECT id FROM stations ORDER BY id LIMIT ? OFFSET ?) p ON p.id = c.cp_id \(Self.currentConnectorJoin)
                ORDER BY c.cp_id, c.connector_id
                """,
                .page(page), Self.readCurrentConnector)
            let byStation = Dictionary(grouping: connectors, by: \.0)
            for index in stations.indices {
                stations[index].connectors = byStation[stations[index].id]?.map(\.1) ?? []
            }
            return Page(items: stations, total: total)
        }
    }

    func stationAccess(_ id: String) async throws -> StationAccess? {
        try await read(inTransaction: false) { db in
            try db.queryFirst("SELECT security_profile, auth_key_hash, pending_security_profile FROM stations WHERE id = ?", [id]) {
                row in
                StationAccess(securityProfile: try row.int(0), keyHash: row.optionalString(1), pendingSecurityProfile: row.optionalInt(2))
            }
        }
    }

    func putStation(_ id: String, _ update: StationUpdate) async throws -> (station: Station, created: Bool) {
        let result = try await write { db -> StationPut in
            let now = Date()
            let exists = try db.queryFirst("SELECT 1 FROM stations WHERE id = ?", [id]) { _ in true } ?? false
            if !exists {
                try db.execute(
                    "INSERT INTO stations (id, registration_status, security_profile, created_at) VALUES (?, ?, ?, ?)",
                    [id, (update.registrationStatus ?? .accepted).rawValue, update.securityProfile ?? 0, now])
            }
            if exists, let status = update.registrationStatus {
                try db.execute("UPDATE stations SET registration_status = ? WHERE id = ?", [status.rawValue, id])
            }
            if exists, let profile = update.securityProfile {
                // The operator's word: a migration ocppd was waiting for is over either way.
                try db.execute("UPDATE stations SET security_profile = ?, pending_security_profile = NULL WHERE id = ?", [profile, id])
            }
            if let hash = update.authorizationKeyHash {
                try db.execute("UPDATE stations SET auth_key_hash = ? WHERE id = ?", [hash, id])
            }
            if let description = update.description {
                try db.execute("UPDATE stations SET description = ? WHERE id = ?", [description, id])
            }
            if let siteId = update.siteId {
                try db.execute("UPDATE stations SET site_id = ? WHERE id = ?", [siteId, id])
            }
            guard let station = try Self.fetchStation(db, id) else {
                throw StoreError.failed("station \(id) vanished while it was written")
            }
            return StationPut(station: station, created: !exists)
        }
        return (result.station, result.created)
    }

    func deleteStation(_ id: String) async throws -> Station? {
        try await write { db in
            guard let station = try Self.fetchStation(db, id) else { return nil }
            try db.execute("DELETE FROM connectors WHERE cp_id = ?", [id])
            try db.execute("DELETE FROM connector_status_history WHERE cp_id = ?", [id])
            for table in ["station_configuration", "connector_availability", "local_list_entries", "charging_profiles"] {
                try db.execute("DELETE FROM \(table) WHERE cp_id = ?", [id])
            }
            try db.execute("DELETE FROM stations WHERE id = ?", [id])
            return station
        }
    }

    func registerStation(_ id: String, status: RegistrationStatus, at: Date) async throws -> Bool {
        do {
            return try await write { db in
                guard try db.queryFirst("SELECT 1 FROM stations WHERE id = ?", [id], { try $0.int(0) }) == nil else { return false }
                try db.execute(
                    "INSERT INTO stations (id, registration_status, security_profile, created_at) VALUES (?, ?, 0, ?)",
                    [id, status.rawValue, at])
                return true
            }
        } catch StoreError.conflict {
            return false  // another ocppd on the same database registered it meanwhile
        }
    }

    func recordBoot(_ id: String, _ info: BootInfo, newStationStatus: RegistrationStatus, at: Date) async throws
        -> RegistrationStatus
    {
        try await write { db in
            let known = try db.queryFirst("SELECT registration_status FROM stations WHERE id = ?", [id]) { try $0.string(0) }
            let status: RegistrationStatus
            if let known {
                guard let knownStatus = RegistrationStatus(rawValue: known) else {
                    throw StoreError.failed("station \(id) has an unknown registration status '\(known)'")
                }
                status = knownStatus
            } else {
                status = newStationStatus
                try db.execute(
                    "INSERT INTO stations (id, registration_status, security_profile, created_at) VALUES (?, ?, 0, ?)",
                    [id, status.rawValue, at])
            }
            try db.execute(
                """
                UPDATE stations SET registration_status = ?, vendor = ?, model = ?, serial_number = ?, charge_box_serial_number = ?,
                    firmware_version = ?, iccid = ?, imsi = ?, meter_type = ?, meter_serial_number = ?, last_boot_at = ?
                WHERE id = ?
                """,
                [
                    status.rawValue, info.vendor, info.model, info.serialNumber, info.chargeBoxSerialNumber, info.firmwareVersion,
                    info.iccid, info.imsi, info.meterType, info.meterSerialNumber, at, id,
                ])
            return status
        }
    }

    // Heartbeats and firmware/diagnostics reports of a station without a row change nothing: only a boot, a connection
    // the policy lets in or an operator creates stations, so a removed station is not brought back by its own chatter.

    func recordHeartbeats(_ heartbeats: [(id: String, at: Date)]) async throws {
        guard !heartbeats.isEmpty else { return }
        try await write { db in
            for row in heartbeats {
                try db.execute("UPDATE stations SET last_heartbeat_at = ? WHERE id = ?", [row.at, row.id])
            }
        }
    }

    func recordFirmwareStatus(_ id: String, status: String, requestId: Int?, at: Date) async throws {
        try await write { db in
            try db.execute(
                "UPDATE stations SET firmware_status = ?, firmware_request_id = ?, firmware_status_at = ? WHERE id = ?",
                [status, requestId, at, id])
        }
    }

    func recordLogStatus(_ id: String, status: String, requestId: Int?, at: Date) async throws {
        try await write { db in
            try db.execute(
                "UPDATE stations SET log_status = ?, log_request_id = ?, log_status_at = ? WHERE id = ?", [status, requestId, at, id])
        }
    }

    func recordDiagnosticsStatus(_ id: String, status: String, at: Date) async throws {
        try await write { db in
            try db.execute("UPDATE stations SET diagnostics_status = ?, diagnostics_status_at = ? WHERE id = ?", [status, at, id])
        }
    }

    func recordStatus(_ id: String, _ report: Connector) async throws -> StatusOutcome {
        try await write(station: id) { db in
            let fields: [any SQLBindable] = [
                report.status, report.errorCode, report.info, report.vendorId, report.vendorErrorCode, report.updatedAt,
            ]
            try db.execute(
                """
                INSERT INTO connector_status_history (cp_id, connector_id, status, error_code, info, vendor_id, vendor_error_code,
                    timestamp, received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [id, report.connectorId] + fields + [Date()])
            let current = try db.queryFirst(
                "SELECT updated_at FROM connectors WHERE cp_id = ? AND connector_id = ?", [id, report.connectorId]
            ) { try $0.int64(0) }
            guard let current else {
                try db.execute(
                    """
                    INSERT INTO connectors (cp_id, connector_id, status, error_code, info, vendor_id, vendor_error_code, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [id, report.connectorId] + fields)
                return StatusOutcome(current: true, closedStale: try Self.closeSessionsOfAnAvailableConnector(db, id, report))
            }
            // Replayed notifications arrive late: only one at least as new as the current status replaces it.
            guard StoredTime.milliseconds(report.updatedAt) >= current else { return StatusOutcome(current: false) }
            try db.execute(
                """
                UPDATE connectors SET status = ?, error_code = ?, info = ?, vendor_id = ?, vendor_error_code = ?, updated_at = ?
                WHERE cp_id = ? AND connector_id = ?
                """,
                fields + [id, report.connectorId])
            return StatusOutcome(current: true, closedStale: try Self.closeSessionsOfAnAvailableConnector(db, id, report))
        }
    }

    /// Available means no transaction on the connector (OCPP 1.6 §4.9): a session still open there that started before
    /// is one the charger lost (a power cut) and will never stop, and it must not block its tag with ConcurrentTx.
    /// Closed as stale, as a newer start on the connector closes one; a StopTransaction that comes after all still
    /// records its real end.
    private static func closeSessionsOfAnAvailableConnector(_ db: Connection, _ id: String, _ report: Connector) throws -> [Int] {
        guard report.connectorId > 0, report.status == ChargePointStatus.available.rawValue else { return [] }
        let filter = "cp_id = ? AND connector_id = ? AND active = 1 AND started_at <= ?"
        let parameters: [any SQLBindable] = [id, report.connectorId, report.updatedAt]
        let stale = try db.query("SELECT transaction_id FROM sessions WHERE \(filter) ORDER BY transaction_id", parameters) {
            try $0.int(0)
        }
        guard !stale.isEmpty else { return [] }
        try db.execute(
            "UPDATE sessions SET active = 0, stale = 1, stopped_at = ?, stop_reason = ? WHERE \(filter)",
            [report.updatedAt, staleStopReason] + parameters)
        try endTxProfiles(db, id, connectorId: report.connectorId)
        return stale
    }

    func statusHistory(_ id: String, connectorId: Int?, _ page: PageRequest) async throws -> Page<Connector> {
        try await read { db in
            let filter = connectorId == nil ? "cp_id = ?" : "cp_id = ? AND connector_id = ?"
            let parameters: [any SQLBindable] = connectorId.map { [id, $0] } ?? [id]
            let items = try db.query(
                """
                SELECT \(Self.connectorColumns), timestamp FROM connector_status_history WHERE \(filter)
                ORDER BY timestamp DESC, id DESC LIMIT ? OFFSET ?
                """,
                parameters + .page(page), Self.readConnector)
            let total = try db.queryFirst("SELECT COUNT(*) FROM connector_status_history WHERE \(filter)", parameters) { try $0.int(0) }
            return Page(items: items, total: total ?? 0)
        }
    }

    func recordDataTransfer(_ id: String, vendorId: String, messageId: String?, data: String?, at: Date) async throws {
        try await write { db in
            try db.execute(
                "INSERT INTO data_transfers (cp_id, vendor_id, message_id, data, received_at) VALUES (?, ?, ?, ?, ?)",
                [id, vendorId, messageId, data, at])
        }
    }
}

/// The result of `putStation`, Sendable so it can leave the writer thread.
struct StationPut: Sendable {
    var station: Station
    var created: Bool
}
