import Foundation
import Shared

extension SQLStore {
    // Rows of one key are replaced by DELETE then INSERT in the same transaction rather than by an upsert, whose
    // syntax differs between SQLite (ON CONFLICT) and MariaDB (ON DUPLICATE KEY UPDATE), so one text serves both.

    static func jsonText(_ value: JSONValue) -> String {
        var bytes: [UInt8] = []
        value.write(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func jsonValue(_ text: String?) throws -> JSONValue? {
        guard let text else { return nil }
        do {
            return try JSONParser.parse(text)
        } catch {
            throw StoreError.failed("stored JSON cannot be read: \(error)")
        }
    }

    static var commandColumns: String { "cp_id, action, request, response, error, sent_at" }

    static func readCommand(_ row: Connection.Row) throws -> CommandRecord {
        CommandRecord(
            cpId: try row.string(0), action: try row.string(1), request: try jsonValue(try row.string(2)) ?? .null,
            response: try jsonValue(row.optionalString(3)), error: row.optionalString(4), at: try row.date(5))
    }

    static func lastCommand(_ db: Connection, _ id: String, action: String) throws -> CommandRecord? {
        try db.queryFirst(
            "SELECT \(commandColumns) FROM commands WHERE cp_id = ? AND action = ? ORDER BY id DESC LIMIT 1", [id, action], readCommand)
    }

    func stationDetail(_ id: String) async throws -> Station? {
        try await read { db in
            guard var station = try Self.fetchStation(db, id) else { return nil }
            let keys = try db.query(
                "SELECT config_key, value, readonly, known FROM station_configuration WHERE cp_id = ? ORDER BY config_key", [id]
            ) { row in
                (ConfigurationEntry(key: try row.string(0), value: row.optionalString(1), readonly: try row.bool(2)), try row.bool(3))
            }
            station.configuration = keys.filter(\.1).map(\.0)
            station.unknownConfigurationKeys = keys.filter { !$0.1 }.map(\.0.key)
            station.configurationReadAt =
                try db.queryFirst("SELECT configuration_read_at FROM stations WHERE id = ?", [id]) { $0.optionalDate(0) } ?? nil
            station.chargingProfiles = try db.query(
                """
                SELECT connector_id, charging_profile_id, stack_level, purpose, profile, set_at FROM charging_profiles
                WHERE cp_id = ? ORDER BY connector_id, purpose, stack_level, charging_profile_id
                """,
                [id]
            ) { row in
                StoredChargingProfile(
                    connectorId: try row.int(0), chargingProfileId: try row.int(1), stackLevel: try row.int(2),
                    chargingProfilePurpose: try row.string(3), profile: try Self.jsonValue(try row.string(4)) ?? .null,
                    setAt: try row.date(5))
            }
            station.localList = try db.query(
                "SELECT id_tag, status, expiry_date, parent_id_tag FROM local_list_entries WHERE cp_id = ? ORDER BY id_tag", [id]
            ) { row in
                LocalListEntry(
                    idTag: try row.string(0), status: try row.string(1), expiryDate: row.optionalDate(2), parentIdTag: row.optionalString(3)
                )
            }
            station.lastFirmwareUpdate = try Self.lastCommand(db, id, action: UpdateFirmware.name)
            station.lastDiagnosticsRequest = try Self.lastCommand(db, id, action: GetDiagnostics.name)
            station.certificate = try Self.lastCertificate(db, id)
            return station
        }
    }

    func recordCommand(_ record: CommandRecord) async throws {
        try await write { db in
            try db.execute(
                "INSERT INTO commands (cp_id, action, request, response, error, sent_at) VALUES (?, ?, ?, ?, ?, ?)",
                [record.cpId, record.action, Self.jsonText(record.request), record.response.map(Self.jsonText), record.error, record.at])
        }
    }

    func commands(cpId: String?, _ page: PageRequest) async throws -> Page<CommandRecord> {
        try await read { db in
            let (filter, parameters) = Self.whereEqual(["cp_id": cpId])
            let items = try db.query(
                "SELECT \(Self.commandColumns) FROM commands \(filter) ORDER BY id DESC LIMIT ? OFFSET ?", parameters + .page(page),
                Self.readCommand)
            let total = try db.queryFirst("SELECT COUNT(*) FROM commands \(filter)", parameters) { try $0.int(0) } ?? 0
            return Page(items: items, total: total)
        }
    }

    func recordConfiguration(_ id: String, _ entries: [ConfigurationEntry], unknownKeys: [String], complete: Bool, at: Date)
        async throws
    {
        try await write { db in
            if complete {
                try db.execute("DELETE FROM station_configuration WHERE cp_id = ?", [id])
            }
            let rows = entries.map { ($0.key, $0.value, $0.readonly, true) } + unknownKeys.map { ($0, nil as String?, false, false) }
            for (key, value, readonly, known) in rows {
                try db.execute("DELETE FROM station_configuration WHERE cp_id = ? AND config_key = ?", [id, key])
                try db.execute(
                    "INSERT INTO station_configuration (cp_id, config_key, value, readonly, known, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                    [id, key, value, readonly, known, at])
            }
            try db.execute("UPDATE stations SET configuration_read_at = ? WHERE id = ?", [at, id])
        }
    }

    func changeConfiguration(_ id: String, key: String, value: String, at: Date) async throws {
        try await write { db in
            let changed = try db.execute(
                "UPDATE station_configuration SET value = ?, known = 1, updated_at = ? WHERE cp_id = ? AND config_key = ?",
                [value, at, id, key])
            if changed == 0 {
                try db.execute(
                    "INSERT INTO station_configuration (cp_id, config_key, value, readonly, known, updated_at) VALUES (?, ?, ?, 0, 1, ?)",
                    [id, key, value, at])
            }
            // The white paper's profile migration: the station comes back on the new profile after a reset. A profile
            // no higher than the one required ends a migration that was pending.
            if key.lowercased() == "securityprofile", let profile = Int(value), (1...3).contains(profile) {
                try db.execute(
                    "UPDATE stations SET pending_security_profile = CASE WHEN security_profile < ? THEN ? ELSE NULL END WHERE id = ?",
                    [profile, profile, id])
            }
        }
    }

    func raiseSecurityProfile(_ id: String, to profile: Int) async throws -> Bool {
        try await write { db in
            try db.execute(
                "UPDATE stations SET security_profile = ?, pending_security_profile = NULL WHERE id = ? AND pending_security_profile = ?",
                [profile, id, profile]) > 0
        }
    }

    func recordAvailability(_ id: String, connectorId: Int, _ availability: ConnectorAvailability) async throws {
        try await write { db in
            let values: [any SQLBindable] = [availability.requested, availability.status, availability.at]
            if connectorId == 0 {
                // The whole station changes: every connector it has reported takes the same availability.
                try db.execute("DELETE FROM connector_availability WHERE cp_id = ?", [id])
                try db.execute(
                    """
                    INSERT INTO connector_availability (cp_id, connector_id, requested, status, updated_at)
                    SELECT cp_id, connector_id, ?, ?, ? FROM connectors WHERE cp_id = ? AND connector_id <> 0
                    """,
                    values + [id])
            } else {
                try db.execute("DELETE FROM connector_availability WHERE cp_id = ? AND connector_id = ?", [id, connectorId])
            }
            try db.execute(
                "INSERT INTO connector_availability (cp_id, connector_id, requested, status, updated_at) VALUES (?, ?, ?, ?, ?)",
                [id, connectorId] + values)
        }
    }

    func recordLocalList(_ id: String, version: Int, _ change: LocalListChange) async throws {
        try await write { db in
            let known = try db.queryFirst("SELECT local_list_version FROM stations WHERE id = ?", [id]) { $0.optionalInt(0) } ?? nil
            try db.execute("UPDATE stations SET local_list_version = ? WHERE id = ?", [version, id])
            let entries: [LocalListEntry]
            switch change {
            case .versionOnly where version <= 0 || version != known:
                // 0: the station's list is empty; -1: it has none; another version than the one sent: its entries are
                // not the ones sent (a reset, another central system), and which they are is not known.
                try db.execute("DELETE FROM local_list_entries WHERE cp_id = ?", [id])
                return
            case .versionOnly:
                return
            case .full(let all):
                try db.execute("DELETE FROM local_list_entries WHERE cp_id = ?", [id])
                entries = all
            case .differential(let changed):
                entries = changed
            }
            for entry in entries {
                try db.execute("DELETE FROM local_list_entries WHERE cp_id = ? AND id_tag = ?", [id, entry.idTag])
                guard let status = entry.status else { continue }
                try db.execute(
                    "INSERT INTO local_list_entries (cp_id, id_tag, status, expiry_date, parent_id_tag) VALUES (?, ?, ?, ?, ?)",
                    [id, entry.idTag, status, entry.expiryDate, entry.parentIdTag])
            }
        }
    }

    func setChargingProfile(_ id: String, _ profile: StoredChargingProfile) async throws {
        try await write { db in
            try db.execute(
                """
                DELETE FROM charging_profiles
                WHERE cp_id = ? AND (charging_profile_id = ? OR (connector_id = ? AND purpose = ? AND stack_level = ?))
                """,
                [id, profile.chargingProfileId, profile.connectorId, profile.chargingProfilePurpose, profile.stackLevel])
            try db.execute(
                """
                INSERT INTO charging_profiles (cp_id, charging_profile_id, connector_id, stack_level, purpose, profile, set_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    id, profile.chargingProfileId, profile.connectorId, profile.stackLevel, profile.chargingProfilePurpose,
                    Self.jsonText(profile.profile), profile.setAt,
                ])
        }
    }

    func clearChargingProfiles(_ id: String, _ filter: ChargingProfileFilter) async throws -> Int {
        try await write { db in
            var conditions = ["cp_id = ?"]
            var parameters: [any SQLBindable] = [id]
            if let profileId = filter.id {
                conditions.append("charging_profile_id = ?")
                parameters.append(profileId)
            } else {
                if let connectorId = filter.connectorId {
                    conditions.append("connector_id = ?")
                    parameters.append(connectorId)
                }
                if let purpose = filter.purpose {
                    conditions.append("purpose = ?")
                    parameters.append(purpose)
                }
                if let stackLevel = filter.stackLevel {
                    conditions.append("stack_level = ?")
                    parameters.append(stackLevel)
                }
            }
            return try db.execute("DELETE FROM charging_profiles WHERE \(conditions.joined(separator: " AND "))", parameters)
        }
    }
}
