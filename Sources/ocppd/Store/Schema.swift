/// A numbered schema change; versions only ever grow and a released migration is never edited.
struct Migration: Sendable {
    var version: Int
    var statements: [String]
}

/// The schema of both backends, written in SQLite's spelling and rewritten for MariaDB by `SQLDialect`: times are
/// BIGINT milliseconds (UTC), booleans INTEGER 0/1, text VARCHAR(n). There are no foreign keys: sessions, meter values
/// and stops are kept for stations that were removed or never known, and meter values may name unknown transactions.
enum Schema {
    static let migrations: [Migration] = [
        Migration(
            version: 1,
            statements: [
                """
                CREATE TABLE stations (
                    id VARCHAR(48) NOT NULL PRIMARY KEY,
                    registration_status VARCHAR(16) NOT NULL,
                    vendor VARCHAR(20),
                    model VARCHAR(20),
                    serial_number VARCHAR(25),
                    charge_box_serial_number VARCHAR(25),
                    firmware_version VARCHAR(50),
                    iccid VARCHAR(20),
                    imsi VARCHAR(20),
                    meter_type VARCHAR(25),
                    meter_serial_number VARCHAR(25),
                    description TEXT,
                    security_profile INTEGER NOT NULL DEFAULT 0,
                    auth_key_hash VARCHAR(255),
                    last_heartbeat_at BIGINT,
                    last_boot_at BIGINT,
                    firmware_status VARCHAR(32),
                    firmware_status_at BIGINT,
                    diagnostics_status VARCHAR(32),
                    diagnostics_status_at BIGINT,
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE connectors (
                    cp_id VARCHAR(48) NOT NULL,
                    connector_id INTEGER NOT NULL,
                    status VARCHAR(32) NOT NULL,
                    error_code VARCHAR(32) NOT NULL,
                    info VARCHAR(50),
                    vendor_id VARCHAR(255),
                    vendor_error_code VARCHAR(50),
                    updated_at BIGINT NOT NULL,
                    PRIMARY KEY (cp_id, connector_id)
                )
                """,
                """
                CREATE TABLE connector_status_history (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    cp_id VARCHAR(48) NOT NULL,
                    connector_id INTEGER NOT NULL,
                    status VARCHAR(32) NOT NULL,
                    error_code VARCHAR(32) NOT NULL,
                    info VARCHAR(50),
                    vendor_id VARCHAR(255),
                    vendor_error_code VARCHAR(50),
                    timestamp BIGINT NOT NULL,
                    received_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX connector_status_history_by_connector ON connector_status_history (cp_id, connector_id, timestamp)",
                "CREATE INDEX connector_status_history_by_station ON connector_status_history (cp_id, timestamp)",
                """
                CREATE TABLE rfid_cards (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    id_tag VARCHAR(20) NOT NULL COLLATE NOCASE,
                    status VARCHAR(16) NOT NULL,
                    expiry_date BIGINT,
                    parent_id_tag VARCHAR(20),
                    description TEXT,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE UNIQUE INDEX rfid_cards_id_tag ON rfid_cards (id_tag)",
                // `stale`: closed because a newer StartTransaction arrived on the connector (stop_reason 'StaleSession');
                // a StopTransaction that arrives later for it still records its real meter_stop and reason.
                """
                CREATE TABLE sessions (
                    transaction_id INTEGER PRIMARY KEY AUTOINCREMENT,
                    cp_id VARCHAR(48) NOT NULL,
                    connector_id INTEGER NOT NULL,
                    id_tag VARCHAR(20) NOT NULL COLLATE NOCASE,
                    id_tag_status VARCHAR(16) NOT NULL,
                    stop_id_tag VARCHAR(20),
                    meter_start BIGINT NOT NULL,
                    meter_stop BIGINT,
                    started_at BIGINT NOT NULL,
                    stopped_at BIGINT,
                    stop_reason VARCHAR(32),
                    reservation_id INTEGER,
                    active INTEGER NOT NULL,
                    stale INTEGER NOT NULL DEFAULT 0,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX sessions_by_connector ON sessions (cp_id, connector_id, started_at)",
                "CREATE INDEX sessions_by_station ON sessions (cp_id, started_at, transaction_id)",
                "CREATE INDEX sessions_by_tag ON sessions (id_tag, active)",
                "CREATE INDEX sessions_by_start ON sessions (started_at, transaction_id)",
                "CREATE INDEX sessions_active ON sessions (active, started_at, transaction_id)",
                """
                CREATE TABLE meter_values (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    cp_id VARCHAR(48) NOT NULL,
                    transaction_id INTEGER,
                    connector_id INTEGER NOT NULL,
                    timestamp BIGINT NOT NULL,
                    measurand VARCHAR(64) NOT NULL,
                    value VARCHAR(64) NOT NULL,
                    unit VARCHAR(16),
                    context VARCHAR(32),
                    phase VARCHAR(8),
                    location VARCHAR(8),
                    format VARCHAR(16),
                    received_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX meter_values_by_transaction ON meter_values (transaction_id, timestamp)",
                "CREATE INDEX meter_values_by_connector ON meter_values (cp_id, connector_id, timestamp)",
                """
                CREATE TABLE orphan_stops (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    cp_id VARCHAR(48) NOT NULL,
                    transaction_id INTEGER NOT NULL,
                    id_tag VARCHAR(20),
                    meter_stop BIGINT NOT NULL,
                    timestamp BIGINT NOT NULL,
                    reason VARCHAR(32),
                    received_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX orphan_stops_by_station ON orphan_stops (cp_id, timestamp)",
                """
                CREATE TABLE reservations (
                    reservation_id INTEGER PRIMARY KEY AUTOINCREMENT,
                    cp_id VARCHAR(48) NOT NULL,
                    connector_id INTEGER NOT NULL,
                    id_tag VARCHAR(20) NOT NULL COLLATE NOCASE,
                    parent_id_tag VARCHAR(20),
                    expiry_date BIGINT NOT NULL,
                    status VARCHAR(16) NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX reservations_by_station ON reservations (cp_id, connector_id, status)",
                "CREATE INDEX reservations_by_creation ON reservations (created_at, reservation_id)",
                """
                CREATE TABLE data_transfers (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    cp_id VARCHAR(48) NOT NULL,
                    vendor_id VARCHAR(255) NOT NULL,
                    message_id VARCHAR(50),
                    data TEXT,
                    received_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX data_transfers_by_station ON data_transfers (cp_id, received_at)",
            ]
        ),
        // What central-system commands changed, and the log of the commands themselves.
        Migration(
            version: 2,
            statements: [
                "ALTER TABLE stations ADD COLUMN local_list_version INTEGER",
                "ALTER TABLE stations ADD COLUMN configuration_read_at BIGINT",
                // `known` 0: a key the station answered as unknownKey. `config_key`, as KEY is reserved in MariaDB.
                """
                CREATE TABLE station_configuration (
                    cp_id VARCHAR(48) NOT NULL,
                    config_key VARCHAR(50) NOT NULL COLLATE NOCASE,
                    value VARCHAR(500),
                    readonly INTEGER NOT NULL,
                    known INTEGER NOT NULL,
                    updated_at BIGINT NOT NULL,
                    PRIMARY KEY (cp_id, config_key)
                )
                """,
                """
                CREATE TABLE connector_availability (
                    cp_id VARCHAR(48) NOT NULL,
                    connector_id INTEGER NOT NULL,
                    requested VARCHAR(16) NOT NULL,
                    status VARCHAR(16) NOT NULL,
                    updated_at BIGINT NOT NULL,
                    PRIMARY KEY (cp_id, connector_id)
                )
                """,
                """
                CREATE TABLE local_list_entries (
                    cp_id VARCHAR(48) NOT NULL,
                    id_tag VARCHAR(20) NOT NULL COLLATE NOCASE,
                    status VARCHAR(16) NOT NULL,
                    expiry_date BIGINT,
                    parent_id_tag VARCHAR(20),
                    PRIMARY KEY (cp_id, id_tag)
                )
                """,
                """
                CREATE TABLE charging_profiles (
                    cp_id VARCHAR(48) NOT NULL,
                    charging_profile_id INTEGER NOT NULL,
                    connector_id INTEGER NOT NULL,
                    stack_level INTEGER NOT NULL,
                    purpose VARCHAR(32) NOT NULL,
                    profile TEXT NOT NULL,
                    set_at BIGINT NOT NULL,
                    PRIMARY KEY (cp_id, charging_profile_id)
                )
                """,
                """
                CREATE TABLE commands (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    cp_id VARCHAR(48) NOT NULL,
                    action VARCHAR(32) NOT NULL,
                    request TEXT NOT NULL,
                    response TEXT,
                    error TEXT,
                    sent_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX commands_by_station ON commands (cp_id, action, id)",
            ]
        ),
        // Every StartTransaction looks up the connector's active sessions: without this index SQLite walked all active
        // sessions (sessions_active) to find them. No query reads meter values by connector, and that index cost every
        // commit of MeterValues a page per station written.
        Migration(
            version: 3,
            statements: [
                "CREATE INDEX sessions_active_by_connector ON sessions (cp_id, connector_id, active)",
                "DROP INDEX meter_values_by_connector ON meter_values",
            ]
        ),
        Migration(
            version: 4,
            statements: [
                // The last batch each writer committed, so that a writer whose COMMIT answer was lost can learn whether
                // it committed (DatabaseWorkers); one row per writer, that is per ocppd start.
                """
                CREATE TABLE write_batches (
                    writer VARCHAR(36) NOT NULL PRIMARY KEY,
                    batch BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """
            ]
        ),
        // The event journal (every node's events, for Last-Event-ID replay and for the other nodes of a cluster to tail)
        // and the cluster's nodes and station ownership (Cluster/). The journal is one b-tree in its key's order (SQLite's
        // WITHOUT ROWID; InnoDB's clustered primary key), written once per event: no index by time, found by its numbers.
        Migration(
            version: 5,
            statements: [
                // `node_id`: the cluster node, or a single ocppd's HOST-PORT on MariaDB, '' on SQLite; `seq` counts each
                // node's events in the order they committed.
                """
                CREATE TABLE events (
                    node_id VARCHAR(64) NOT NULL,
                    seq BIGINT NOT NULL,
                    cp_id VARCHAR(48) NOT NULL,
                    type VARCHAR(48) NOT NULL,
                    at BIGINT NOT NULL,
                    data TEXT NOT NULL,
                    PRIMARY KEY (node_id, seq)
                ) WITHOUT ROWID
                """,
                """
                CREATE TABLE cluster_nodes (
                    id VARCHAR(64) NOT NULL PRIMARY KEY,
                    url VARCHAR(255) NOT NULL,
                    started_at BIGINT NOT NULL,
                    last_seen_at BIGINT NOT NULL,
                    stopped_at BIGINT
                )
                """,
                // `node_id` null: on no node. `epoch` grows with every change of owner, so that a node's late release of
                // a station another node took since changes nothing.
                """
                CREATE TABLE station_owners (
                    cp_id VARCHAR(48) NOT NULL PRIMARY KEY,
                    node_id VARCHAR(64),
                    epoch BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX station_owners_by_update ON station_owners (updated_at)",
            ]
        ),
        // The security extension (Security/): security events, certificate signing requests, the certificates a station
        // was issued (found by their SHA-256 at a profile 3 handshake), log and signed-firmware statuses with their
        // request ids, and the request ids ocppd allocates for GetLog and SignedUpdateFirmware. In a cluster, the
        // security profile each station's connection satisfied.
        Migration(
            version: 6,
            statements: [
                """
                CREATE TABLE security_events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    cp_id VARCHAR(48) NOT NULL,
                    event_type VARCHAR(50) NOT NULL,
                    event_time BIGINT NOT NULL,
                    tech_info VARCHAR(255),
                    received_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX security_events_by_station ON security_events (cp_id, event_time)",
                "CREATE INDEX security_events_by_time ON security_events (event_time)",
                """
                CREATE TABLE certificate_requests (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    cp_id VARCHAR(48) NOT NULL,
                    csr TEXT NOT NULL,
                    status VARCHAR(16) NOT NULL,
                    reason TEXT,
                    received_at BIGINT NOT NULL,
                    decided_at BIGINT
                )
                """,
                "CREATE INDEX certificate_requests_by_station ON certificate_requests (cp_id, id)",
                """
                CREATE TABLE station_certificates (
                    fingerprint VARCHAR(64) NOT NULL PRIMARY KEY,
                    cp_id VARCHAR(48) NOT NULL,
                    serial_number VARCHAR(64) NOT NULL,
                    not_after BIGINT NOT NULL,
                    issued_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX station_certificates_by_station ON station_certificates (cp_id, issued_at)",
                """
                CREATE TABLE request_ids (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    cp_id VARCHAR(48) NOT NULL,
                    action VARCHAR(48) NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                "ALTER TABLE stations ADD COLUMN firmware_request_id INTEGER",
                "ALTER TABLE stations ADD COLUMN log_status VARCHAR(32)",
                "ALTER TABLE stations ADD COLUMN log_status_at BIGINT",
                "ALTER TABLE stations ADD COLUMN log_request_id INTEGER",
                "ALTER TABLE station_owners ADD COLUMN security_profile INTEGER",
            ]
        ),
        // Files (Files/): what chargers upload (diagnostics, logs) and operators store for them (firmware), the file
        // itself on the disk of `node_id` (a cluster node's id; a single ocppd's name in its files directory's `.node`);
        // and the one-time upload URLs handed to chargers,
        // kept as the SHA-256 of their token.
        Migration(
            version: 7,
            statements: [
                """
                CREATE TABLE files (
                    id VARCHAR(32) NOT NULL PRIMARY KEY,
                    kind VARCHAR(16) NOT NULL,
                    cp_id VARCHAR(48),
                    request_id INTEGER,
                    name VARCHAR(255) NOT NULL,
                    size BIGINT NOT NULL,
                    sha256 VARCHAR(64) NOT NULL,
                    node_id VARCHAR(64) NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX files_by_time ON files (created_at)",
                """
                CREATE TABLE upload_tokens (
                    token_hash VARCHAR(64) NOT NULL PRIMARY KEY,
                    cp_id VARCHAR(48) NOT NULL,
                    kind VARCHAR(16) NOT NULL,
                    request_id INTEGER,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    used_at BIGINT
                )
                """,
            ]
        ),
        // Sites (Sites/): the grid connections whose limit ocppd shares; which station is on which; the limit each
        // session's charger accepted (what is in force, kept so that a restart lowers before it raises); and in a
        // cluster, which node computes each site's allocation (a lease).
        Migration(
            version: 8,
            statements: [
                """
                CREATE TABLE sites (
                    site_id VARCHAR(64) NOT NULL PRIMARY KEY,
                    limit_value DOUBLE NOT NULL,
                    unit VARCHAR(2) NOT NULL,
                    phases INTEGER NOT NULL,
                    voltage DOUBLE NOT NULL,
                    min_per_connector DOUBLE,
                    fallback_limit DOUBLE,
                    description VARCHAR(255),
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                "ALTER TABLE stations ADD COLUMN site_id VARCHAR(64)",
                """
                CREATE TABLE site_limits (
                    cp_id VARCHAR(48) NOT NULL,
                    connector_id INTEGER NOT NULL,
                    transaction_id INTEGER NOT NULL,
                    site_id VARCHAR(64) NOT NULL,
                    limit_value DOUBLE NOT NULL,
                    measured DOUBLE,
                    accepted_at BIGINT NOT NULL,
                    PRIMARY KEY (cp_id, connector_id)
                )
                """,
                """
                CREATE TABLE site_leases (
                    site_id VARCHAR(64) NOT NULL PRIMARY KEY,
                    node_id VARCHAR(64) NOT NULL,
                    expires_at BIGINT NOT NULL
                )
                """,
            ]
        ),
        // A site's stations are read at every computation of its shares.
        Migration(version: 9, statements: ["CREATE INDEX stations_by_site ON stations (site_id)"]),
        // A station that left its site while out of reach keeps ocppd's fallback profile until its next connection, which
        // clears it: when it left, until then.
        Migration(
            version: 10,
            statements: [
                "ALTER TABLE stations ADD COLUMN site_clear_due BIGINT",
                "CREATE INDEX stations_by_site_clear_due ON stations (site_clear_due)",
            ]),
        // Operator accounts (Accounts/): named tokens with roles (the secret only as its SHA-256), and the audit log of
        // every write and command.
        Migration(
            version: 11,
            statements: [
                """
                CREATE TABLE api_tokens (
                    name VARCHAR(64) NOT NULL PRIMARY KEY,
                    role VARCHAR(16) NOT NULL,
                    token_hash VARCHAR(64) NOT NULL,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT
                )
                """,
                "CREATE UNIQUE INDEX api_tokens_by_hash ON api_tokens (token_hash)",
                """
                CREATE TABLE audit_log (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at BIGINT NOT NULL,
                    token_name VARCHAR(64) NOT NULL,
                    method VARCHAR(8) NOT NULL,
                    path TEXT NOT NULL,
                    cp_id VARCHAR(48),
                    command VARCHAR(64),
                    body TEXT,
                    status INTEGER NOT NULL,
                    result TEXT
                )
                """,
                "CREATE INDEX audit_by_time ON audit_log (at)",
                "CREATE INDEX audit_by_token ON audit_log (token_name, at)",
                "CREATE INDEX audit_by_station ON audit_log (cp_id, at)",
            ]),
        // Webhooks (Accounts/): where events are POSTed, how far each was delivered (a position in the event journal,
        // which is the outbox), which node delivers it (a lease), and the last attempts.
        Migration(
            version: 12,
            statements: [
                """
                CREATE TABLE webhooks (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    url TEXT NOT NULL,
                    events TEXT NOT NULL,
                    cp_ids TEXT,
                    secret TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    enabled INTEGER NOT NULL,
                    failing_since BIGINT,
                    delivered TEXT NOT NULL,
                    lease_node VARCHAR(64),
                    lease_until BIGINT
                )
                """,
                """
                CREATE TABLE webhook_deliveries (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    webhook_id INTEGER NOT NULL,
                    event_id VARCHAR(200) NOT NULL,
                    event_type VARCHAR(64) NOT NULL,
                    attempt INTEGER NOT NULL,
                    at BIGINT NOT NULL,
                    status INTEGER,
                    error TEXT,
                    duration_ms INTEGER NOT NULL
                )
                """,
                "CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id)",
            ]),
        // A sampled value is stored once however often a charger sends it (MeterValueRecord.sampleKey, which holds the
        // connector and the time; NULL keys do not collide, so the rows stored before this have none until
        // `keyStoredMeterValues` gives them theirs and removes the copies). The unique index is led by time: a commit's
        // new entries, from many stations at about the same time, land together at its end, as in
        // meter_values_by_transaction. Led by station (this migration's first index, meter_values_by_sample), every
        // commit rewrote a page per station it held, as migration 3 found: the session mix lost a quarter of its rate.
        // maintenance_progress: how far such a job has come (resumable after a restart) and which ocppd runs it (a
        // lease, so that the nodes of a cluster do not work through the same rows); it ends at the last row stored
        // before this migration, every later row having its key from the start. Each statement can run twice (a
        // MariaDB migration cut off half way runs again): the row is made from a derived table, which has no row
        // when the guard fails.
        Migration(
            version: 13,
            statements: [
                "ALTER TABLE meter_values ADD COLUMN sample_key VARCHAR(32)",
                "CREATE UNIQUE INDEX meter_values_by_time_sample ON meter_values (timestamp, cp_id, sample_key)",
                """
                CREATE TABLE maintenance_progress (
                    name VARCHAR(64) NOT NULL PRIMARY KEY,
                    position BIGINT NOT NULL,
                    end_position BIGINT NOT NULL,
                    lease_owner VARCHAR(64),
                    lease_until BIGINT
                )
                """,
                """
                INSERT INTO maintenance_progress (name, position, end_position)
                SELECT 'meter_value_keys', 0, newest.id FROM (SELECT COALESCE(MAX(id), 0) AS id FROM meter_values) newest
                WHERE NOT EXISTS (SELECT 1 FROM maintenance_progress WHERE name = 'meter_value_keys')
                """,
            ]),
        // The security profile a station accepted by ChangeConfiguration SecurityProfile: required of it once it has
        // connected on that profile (OCPP 1.6 security white paper; the OCA test tool's TC_083).
        Migration(version: 14, statements: ["ALTER TABLE stations ADD COLUMN pending_security_profile INTEGER"]),
        // A database that took migration 13 in its first form has the station-led index: the time-led one replaces it
        // (made first, so that a value is never unguarded). Where 13 made the time-led one, both statements do nothing.
        Migration(
            version: 15,
            statements: [
                "CREATE UNIQUE INDEX IF NOT EXISTS meter_values_by_time_sample ON meter_values (timestamp, cp_id, sample_key)",
                "DROP INDEX IF EXISTS meter_values_by_sample ON meter_values",
            ]),
    ]

    static var latestVersion: Int { migrations.map(\.version).max() ?? 0 }
}

/// Where the two databases spell the schema differently. Only DDL is rewritten; every query is the same text on both.
enum SQLDialect: Sendable {
    case sqlite
    case mariaDB

    /// Case-insensitive but accent-sensitive, and without PAD SPACE, like SQLite's NOCASE for the ASCII tags OCPP
    /// uses: 'abc' matches 'ABC' but neither 'abc ' nor 'äbc'. Needs MariaDB 10.10 or later.
    static let mariaDBNoCaseCollation = "utf8mb4_uca1400_nopad_as_ci"
    /// Binary like SQLite's default, so station ids compare exactly; NO PAD, so 'CP1 ' is not 'CP1'.
    static let mariaDBTableOptions = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin"

    /// The bookkeeping table of `Migration` versions.
    var schemaVersionTable: String {
        let table = "schema_version (version INTEGER NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL)"
        switch self {
        case .sqlite: return "CREATE TABLE IF NOT EXISTS \(table)"
        case .mariaDB: return ddl("CREATE TABLE \(table)")
        }
    }

    /// What ends an INSERT whose rows may repeat one a unique index already holds: those rows are skipped, and only
    /// those (MariaDB's INSERT IGNORE would also turn other errors, such as a value too long, into warnings).
    var skippingDuplicateRows: String {
        switch self {
        case .sqlite: return "ON CONFLICT DO NOTHING"
        case .mariaDB: return "ON DUPLICATE KEY UPDATE id = id"
        }
    }

    /// Meter values' INSERTs: a row that repeats one already stored is skipped (`skippingDuplicateRows`).
    var meterValueInserts: RowInserts {
        switch self {
        case .sqlite: return Self.sqliteMeterValueInserts
        case .mariaDB: return Self.mariaDBMeterValueInserts
        }
    }

    private static let sqliteMeterValueInserts = meterValueInserts(.sqlite)
    private static let mariaDBMeterValueInserts = meterValueInserts(.mariaDB)

    private static func meterValueInserts(_ dialect: SQLDialect) -> RowInserts {
        RowInserts(
            """
            INSERT INTO meter_values (cp_id, transaction_id, connector_id, timestamp, measurand, value, unit, context, phase,
                location, format, received_at, sample_key)
            """,
            row: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", tail: dialect.skippingDuplicateRows)
    }

    /// `statement` of `Schema` as this database takes it. For MariaDB every statement also becomes idempotent
    /// (IF NOT EXISTS), because its DDL commits at once: a migration cut off half way is simply run again.
    func ddl(_ statement: String) -> String {
        switch self {
        case .sqlite:
            // Written as MariaDB wants it; SQLite's index names are per database, not per table.
            return statement.replacingOccurrences(
                of: #"^DROP INDEX (IF EXISTS )?(\w+) ON \w+$"#, with: "DROP INDEX $1$2", options: .regularExpression)
        case .mariaDB:
            // Every CREATE and DROP below gets its guard; one written in the statement already is not doubled.
            var text = statement.replacingOccurrences(of: " IF NOT EXISTS ", with: " ").replacingOccurrences(of: " IF EXISTS ", with: " ")
            let rewrites = [
                ("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY"),
                ("COLLATE NOCASE", "COLLATE \(Self.mariaDBNoCaseCollation)"),
                ("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS "),
                ("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS "),
                ("CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX IF NOT EXISTS "),
                ("ADD COLUMN ", "ADD COLUMN IF NOT EXISTS "),
                ("DROP INDEX ", "DROP INDEX IF EXISTS "),
            ]
            for (sqlite, mariaDB) in rewrites {
                text = text.replacingOccurrences(of: sqlite, with: mariaDB)
            }
            // SQLite's TEXT has no limit; MariaDB's stops at 64 KiB, less than a large configuration or local list.
            text = text.replacingOccurrences(of: #"\bTEXT\b"#, with: "MEDIUMTEXT", options: .regularExpression)
            if text.hasPrefix("CREATE TABLE") {
                // InnoDB tables are clustered by their primary key anyway.
                if text.hasSuffix(" WITHOUT ROWID") { text.removeLast(" WITHOUT ROWID".count) }
                text += " \(Self.mariaDBTableOptions)"
            }
            return text
        }
    }
}
