import Foundation
import Shared

extension SQLStore {
    static var sessionColumns: String {
        """
        transaction_id, cp_id, connector_id, id_tag, id_tag_status, stop_id_tag, meter_start, meter_stop, started_at, \
        stopped_at, stop_reason, reservation_id, active
        """
    }

    static var staleStopReason: String { Session.staleStopReason }

    static func readSession(_ row: Connection.Row) throws -> Session {
        let meterStart = try row.int(6)
        let meterStop = row.optionalInt(7)
        return Session(
            transactionId: try row.int(0), cpId: try row.string(1), connectorId: try row.int(2), idTag: try row.string(3),
            idTagStatus: try row.string(4), stopIdTag: row.optionalString(5), meterStart: meterStart, meterStop: meterStop,
            energyWh: meterStop.flatMap { Session.energyWh(meterStart: meterStart, meterStop: $0) }, startedAt: try row.date(8),
            stoppedAt: row.optionalDate(9),
            stopReason: row.optionalString(10), reservationId: row.optionalInt(11), active: try row.bool(12)
        )
    }

    /// Sessions as read, with the energy of active ones so far taken from their latest energy register value.
    static func withLiveEnergy(_ db: Connection, _ sessions: [Session]) throws -> [Session] {
        try sessions.map { session in
            guard session.active else { return session }
            var session = session
            let latest = try db.queryFirst(
                """
                SELECT value, unit FROM meter_values
                WHERE transaction_id = ? AND cp_id = ? AND measurand = 'Energy.Active.Import.Register' AND phase IS NULL
                ORDER BY timestamp DESC, id DESC LIMIT 1
                """,
                [session.transactionId, session.cpId]
            ) { row in (try row.string(0), row.optionalString(1)) }
            if let (text, unit) = latest, let value = Double(text) {
                session.energyWh = Session.energyWh(meterStart: session.meterStart, register: unit == "kWh" ? value * 1000 : value)
            }
            session.lastMeterValueAt =
                try db.queryFirst(
                    "SELECT MAX(timestamp) FROM meter_values WHERE transaction_id = ? AND cp_id = ?", [session.transactionId, session.cpId]
                ) { $0.optionalDate(0) } ?? nil
            guard session.lastMeterValueAt != nil else { return session }
            // The power of its latest report: the value without a phase, or else its phases summed.
            let samples = try db.query(
                """
                SELECT value, unit, phase FROM meter_values
                WHERE transaction_id = ? AND cp_id = ? AND measurand = 'Power.Active.Import' AND timestamp = (
                    SELECT MAX(timestamp) FROM meter_values
                    WHERE transaction_id = ? AND cp_id = ? AND measurand = 'Power.Active.Import')
                """,
                [session.transactionId, session.cpId, session.transactionId, session.cpId]
            ) { row in
                (watts: Double(try row.string(0)).map { row.optionalString(1) == "kW" ? $0 * 1000 : $0 }, phase: row.optionalString(2))
            }
            let whole = samples.first { $0.phase == nil }?.watts
            let phases = samples.filter { $0.phase.map { $0 != "N" } ?? false }.compactMap(\.watts)
            session.lastPowerW = whole ?? (phases.isEmpty ? nil : phases.reduce(0, +))
            return session
        }
    }

    static func fetchSession(_ db: Connection, _ transactionId: Int) throws -> Session? {
        guard
            let session = try db.queryFirst("SELECT \(sessionColumns) FROM sessions WHERE transaction_id = ?", [transactionId], readSession)
        else { return nil }
        return try withLiveEnergy(db, [session]).first
    }

    /// The rows the next INSERT takes of `remaining`: 128 at most, else a multiple of 16, else the rest. At most two
    /// statements (one round trip each to MariaDB) for up to 128 rows, and few distinct statements in the connection's
    /// cache (23).
    static func meterValueRowsPerInsert(of remaining: Int) -> Int {
        remaining >= 128 ? 128 : remaining >= 16 ? remaining - remaining % 16 : remaining
    }

    /// Stores sampled values; one that is the same as one already stored for its station (the same `sampleKey`: a
    /// message sent again after its answer was lost, or a value repeated in a message) is skipped.
    static func insertMeterValues(_ db: Connection, _ values: [KeyedMeterValue]) throws {
        let now = Date()
        var start = values.startIndex
        while start < values.endIndex {
            let remaining = values.endIndex - start
            let rows = meterValueRowsPerInsert(of: remaining)
            let chunk = values[start..<start + rows]
            start = chunk.endIndex
            var parameters: [any SQLBindable] = []
            parameters.reserveCapacity(chunk.count * 13)
            for keyed in chunk {
                let value = keyed.record
                let row: [any SQLBindable] = [
                    value.cpId, value.transactionId, value.connectorId, value.timestamp, value.measurand, value.value, value.unit,
                    value.context, value.phase, value.location, value.format, now, keyed.key,
                ]
                parameters += row
            }
            try db.execute(Self.dialect.meterValueInserts.text(rows: chunk.count), parameters)
        }
    }

    /// A tag's card and its active sessions, in one statement: card rows have no transaction id (rfid_cards_id_tag),
    /// session rows no card (sessions_by_tag). The last column says which (`TagStateReader`).
    static var tagStateQuery: String {
        """
        SELECT \(cardColumns), NULL, NULL, NULL, NULL, NULL, 0 FROM rfid_cards WHERE id_tag = ?
        UNION ALL
        SELECT NULL, NULL, NULL, NULL, NULL, NULL, transaction_id, cp_id, connector_id, started_at, 1, 1 FROM sessions
        WHERE id_tag = ? AND active = 1
        """
    }

    /// What a StartTransaction must know, in one statement: the tag's state (`tagStateQuery`), then of its connector the
    /// identical earlier starts (sessions_by_connector, kind 2) and the active sessions (sessions_active_by_connector,
    /// kind 3).
    static var startQuery: String {
        """
        \(tagStateQuery)
        UNION ALL
        SELECT NULL, NULL, NULL, NULL, NULL, NULL, transaction_id, NULL, NULL, started_at, active, 2 FROM sessions
        WHERE cp_id = ? AND connector_id = ? AND started_at = ? AND id_tag = ? AND meter_start = ?
        UNION ALL
        SELECT NULL, NULL, NULL, NULL, NULL, NULL, transaction_id, NULL, NULL, started_at, active, 3 FROM sessions
        WHERE cp_id = ? AND connector_id = ? AND active = 1
        """
    }

    func tagState(_ idTag: String) async throws -> TagState {
        try await read(inTransaction: false) { db in
            var reader = TagStateReader<Self>()
            _ = try db.query(Self.tagStateQuery, [idTag, idTag]) { row in _ = try reader.take(row) }
            return reader.state
        }
    }

    func startTransaction(
        _ start: TransactionStart, authorize: @escaping @Sendable (TagState) -> IdTagInfo
    ) async throws -> (StartOutcome, tag: TagState, info: IdTagInfo) {
        try await write(station: start.cpId) { db in
            let connector: [any SQLBindable] = [start.cpId, start.connectorId]
            // One query for what the start must know: its tag's state, an identical earlier start on its connector, and
            // the connector's active sessions. The tag is judged in the same transaction as the session is stored.
            var tag = TagStateReader<Self>()
            var rows: [(id: Int, startedAt: Int64, active: Bool, identical: Bool)] = []
            _ = try db.query(
                Self.startQuery,
                [start.idTag, start.idTag] + connector + [start.timestamp, start.idTag, start.meterStart] + connector
            ) { row in
                guard try !tag.take(row) else { return }
                rows.append((try row.int(6), try row.int64(9), try row.bool(10), try row.int(11) == 2))
            }
            let info = authorize(tag.state)
            // Chargers resend a start they got no answer to: the same start gets the same transaction.
            if let existing = rows.filter(\.identical).map(\.id).min() {
                return (StartOutcome(transactionId: existing, duplicate: true, closedStale: []), tag.state, info)
            }
            let now = Date()
            // A connector has at most one active session, the newest started. A start older than the active one (a
            // late replay) is stored already closed; a newer one closes whatever the charger never stopped.
            let startedAt = StoredTime.milliseconds(start.timestamp)
            let newerStart = rows.filter { $0.active && $0.startedAt > startedAt }.map(\.startedAt).max()
            var closedStale: [Int] = []
            if newerStart == nil {
                closedStale = rows.filter(\.active).map(\.id).sorted()
            }
            if !closedStale.isEmpty {
                try db.execute(
                    """
                    UPDATE sessions SET active = 0, stale = 1, stopped_at = ?, stop_reason = ?
                    WHERE cp_id = ? AND connector_id = ? AND active = 1
                    """,
                    [start.timestamp, Self.staleStopReason] + connector)
                // Their TxProfiles ended with them (a TxProfile is only ever set during its transaction).
                try Self.endTxProfiles(db, start.cpId, connectorId: start.connectorId)
            }
            try db.execute(
                """
                INSERT INTO sessions (cp_id, connector_id, id_tag, id_tag_status, meter_start, started_at, reservation_id, active,
                    stale, stopped_at, stop_reason, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                connector + [
                    start.idTag, info.status.rawValue, start.meterStart, start.timestamp, start.reservationId, newerStart == nil,
                    newerStart != nil, newerStart.map(SQLValue.integer) ?? .null, newerStart == nil ? nil : Self.staleStopReason,
                    now,
                ])
            let transactionId = Int(db.lastInsertRowID)
            if let reservationId = start.reservationId {
                try db.execute(
                    "UPDATE reservations SET status = 'Used', updated_at = ? WHERE reservation_id = ? AND cp_id = ?",
                    [now, reservationId, start.cpId])
            }
            return (StartOutcome(transactionId: transactionId, duplicate: false, closedStale: closedStale), tag.state, info)
        }
    }

    /// A TxProfile lasts as long as the transaction on its connector (OCPP 1.6, 3.13.2): when that ends, the station
    /// drops it, and so does the record of what the station holds.
    static func endTxProfiles(_ db: Connection, _ cpId: String, connectorId: Int) throws {
        try db.execute(
            "DELETE FROM charging_profiles WHERE cp_id = ? AND connector_id = ? AND purpose = 'TxProfile'", [cpId, connectorId])
    }

    func stopTransaction(_ stop: TransactionStop) async throws -> StopOutcome {
        try await write(station: stop.cpId) { db in
            // With whether its connector has a TxProfile to end: most have none, and a DELETE of nothing is still a round
            // trip. A read of the transaction's snapshot: every write of this node goes through this writer, so it misses
            // only a TxProfile another node's writer stored in the same instant (a station changing nodes meanwhile).
            let session =
                stop.transactionId > 0
                ? try db.queryFirst(
                    """
                    SELECT \(Self.sessionColumns), stale, EXISTS (SELECT 1 FROM charging_profiles p WHERE p.cp_id = sessions.cp_id
                        AND p.connector_id = sessions.connector_id AND p.purpose = 'TxProfile')
                    FROM sessions WHERE transaction_id = ? AND cp_id = ?
                    """,
                    [stop.transactionId, stop.cpId]
                ) { row in (try Self.readSession(row), try row.bool(13), try row.bool(14)) }
                : nil
            // transactionData belongs to the stopped session: its connector is the session's.
            let values = stop.meterValues.map { value in
                var value = value
                value.transactionId = value.transactionId ?? stop.transactionId
                if let session, value.connectorId == 0 {
                    value.connectorId = session.0.connectorId
                }
                return value
            }
            try Self.insertMeterValues(db, values.map(KeyedMeterValue.init))
            guard let (current, stale, txProfile) = session else {
                try db.execute(
                    """
                    INSERT INTO orphan_stops (cp_id, transaction_id, id_tag, meter_stop, timestamp, reason, received_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                    [stop.cpId, stop.transactionId, stop.idTag, stop.meterStop, stop.timestamp, stop.reason, Date()])
                return .unknownTransaction
            }
            // A session closed as stale never got its real end: a stop that arrives after all still records it.
            guard current.active || (stale && current.meterStop == nil) else {
                return .alreadyStopped(current)
            }
            try db.execute(
                """
                UPDATE sessions SET active = 0, stale = 0, meter_stop = ?, stopped_at = ?, stop_reason = ?, stop_id_tag = ?
                WHERE transaction_id = ?
                """,
                [stop.meterStop, stop.timestamp, stop.reason, stop.idTag, stop.transactionId])
            if current.active && txProfile {
                try Self.endTxProfiles(db, stop.cpId, connectorId: current.connectorId)
            }
            // The session as it now reads, without reading it again.
            var stopped = current
            stopped.active = false
            stopped.meterStop = stop.meterStop
            stopped.energyWh = Session.energyWh(meterStart: current.meterStart, meterStop: stop.meterStop)
            stopped.stoppedAt = StoredTime.date(StoredTime.milliseconds(stop.timestamp))
            stopped.stopReason = stop.reason
            stopped.stopIdTag = stop.idTag
            return .stopped(stopped)
        }
    }

    func recordMeterValues(_ values: [MeterValueRecord]) async throws {
        guard !values.isEmpty else { return }
        do {
            try await meterValueWriter.write(values.map(KeyedMeterValue.init), shard: workers.shard(of: values[0].cpId))
        } catch {
            throw Self.storeError(error)
        }
    }

    func session(_ transactionId: Int) async throws -> Session? {
        try await read { db in try Self.fetchSession(db, transactionId) }
    }

    func sessions(_ filter: SessionFilter, _ page: PageRequest) async throws -> Page<Session> {
        try await read { db in
            let (whereClause, parameters) = Self.sessionConditions(filter)
            let items = try db.query(
                """
                SELECT \(Self.sessionColumns) FROM sessions \(whereClause)
                ORDER BY started_at DESC, transaction_id DESC LIMIT ? OFFSET ?
                """,
                parameters + .page(page), Self.readSession)
            let total = try db.queryFirst("SELECT COUNT(*) FROM sessions \(whereClause)", parameters) { try $0.int(0) } ?? 0
            return Page(items: try Self.withLiveEnergy(db, items), total: total)
        }
    }

    func sessions(_ filter: SessionFilter, after: Session?, limit: Int) async throws -> [Session] {
        try await read { db in
            var (whereClause, parameters) = Self.sessionConditions(filter)
            if let after {
                // The next page after the last row read (started_at DESC, transaction_id DESC): sessions that start
                // meanwhile neither shift nor repeat rows.
                whereClause += (whereClause.isEmpty ? "WHERE " : " AND ") + "(started_at < ? OR (started_at = ? AND transaction_id < ?))"
                parameters += [after.startedAt, after.startedAt, after.transactionId]
            }
            let items = try db.query(
                "SELECT \(Self.sessionColumns) FROM sessions \(whereClause) ORDER BY started_at DESC, transaction_id DESC LIMIT ?",
                parameters + [limit], Self.readSession)
            return try Self.withLiveEnergy(db, items)
        }
    }

    /// The WHERE clause of a session filter, and its parameters.
    private static func sessionConditions(_ filter: SessionFilter) -> (String, [any SQLBindable]) {
        var conditions: [String] = []
        var parameters: [any SQLBindable] = []
        if let cpId = filter.cpId {
            conditions.append("cp_id = ?")
            parameters.append(cpId)
        }
        if let idTag = filter.idTag {
            conditions.append("id_tag = ?")
            parameters.append(idTag)
        }
        if let active = filter.active {
            conditions.append("active = ?")
            parameters.append(active)
        }
        if let since = filter.since {
            conditions.append("started_at >= ?")
            parameters.append(since)
        }
        if let until = filter.until {
            conditions.append("started_at < ?")
            parameters.append(until)
        }
        // Only fixed fragments are joined here; every value is a bound parameter.
        return (conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "), parameters)
    }

    func meterValues(transactionId: Int, _ page: PageRequest) async throws -> Page<MeterValueRecord> {
        try await read { db in
            let items = try db.query(
                """
                SELECT timestamp, cp_id, transaction_id, connector_id, measurand, value, unit, context, phase, location, format
                FROM meter_values WHERE transaction_id = ? ORDER BY timestamp, id LIMIT ? OFFSET ?
                """,
                [transactionId] + .page(page)
            ) { row in
                MeterValueRecord(
                    timestamp: try row.date(0), cpId: try row.string(1), transactionId: row.optionalInt(2), connectorId: try row.int(3),
                    measurand: try row.string(4), value: try row.string(5), unit: row.optionalString(6), context: row.optionalString(7),
                    phase: row.optionalString(8), location: row.optionalString(9), format: row.optionalString(10))
            }
            let total = try db.queryFirst("SELECT COUNT(*) FROM meter_values WHERE transaction_id = ?", [transactionId]) { try $0.int(0) }
            return Page(items: items, total: total ?? 0)
        }
    }
}

/// Reads the rows of `tagStateQuery`: the card, and the newest of the tag's active sessions. The newest is picked
/// here: an ORDER BY made SQLite walk every active session in start order (sessions_active) instead of looking up
/// the tag's few.
struct TagStateReader<Backend: SQLStore> {
    var card: RfidCard?
    var active: (charge: ActiveCharge, startedAt: Int64)?

    var state: TagState { TagState(card: card, active: active?.charge) }

    /// Takes a row of kind 0 or 1 (the last column); false for any other.
    mutating func take(_ row: Backend.Connection.Row) throws -> Bool {
        switch try row.int(11) {
        case 0:
            card = try Backend.readCard(row)
        case 1:
            let charge = ActiveCharge(transactionId: try row.int(6), cpId: try row.string(7), connectorId: try row.int(8))
            let startedAt = try row.int64(9)
            if let newest = active, (newest.startedAt, newest.charge.transactionId) > (startedAt, charge.transactionId) {
                return true
            }
            active = (charge, startedAt)
        default:
            return false
        }
        return true
    }
}
