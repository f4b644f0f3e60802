import Foundation
import Shared

extension SQLStore {
    /// One step of keying the meter values stored before schema 13 (see `Schema`, migration 13): up to `batchSize` of
    /// them, in id order, get their `sampleKey`, and each that repeats a value already kept for its station (the
    /// first stored stays) is removed, all in one transaction with the position reached, so that a restart goes on
    /// where this stopped. Rows stored since that migration carry their key already and are not read. One ocppd of a
    /// cluster does it: `owner` takes a lease of `leaseSeconds` with each step (the others are told `busy`), so that
    /// the nodes do not work through the same rows and fail each other's commits.
    func keyStoredMeterValues(batchSize: Int, owner: String, leaseSeconds: Int) async throws -> MeterValueKeying {
        try await write { db in
            let now = Date()
            let progress = try db.queryFirst(
                "SELECT position, end_position, lease_owner, lease_until FROM maintenance_progress WHERE name = 'meter_value_keys'"
            ) { (try $0.int64(0), try $0.int64(1), $0.optionalString(2), $0.optionalDate(3)) }
            guard let (position, end, leaseOwner, leaseUntil) = progress, position < end else {
                return MeterValueKeying(keyed: 0, removed: 0, position: progress?.0 ?? 0, end: progress?.1 ?? 0)
            }
            if let leaseOwner, leaseOwner != owner, let leaseUntil, leaseUntil > now {
                return MeterValueKeying(keyed: 0, removed: 0, position: position, end: end, busy: true)
            }
            try db.execute(
                "UPDATE maintenance_progress SET lease_owner = ?, lease_until = ? WHERE name = 'meter_value_keys'",
                [owner, now.addingTimeInterval(TimeInterval(leaseSeconds))])
            let rows = try db.query(
                """
                SELECT id, cp_id, transaction_id, connector_id, timestamp, measurand, value, unit, context, phase, location
                FROM meter_values WHERE id > ? AND id <= ? AND sample_key IS NULL ORDER BY id LIMIT ?
                """,
                [position, end, batchSize]
            ) { row in
                let record = MeterValueRecord(
                    timestamp: try row.date(4), cpId: try row.string(1), transactionId: row.optionalInt(2), connectorId: try row.int(3),
                    measurand: try row.string(5), value: try row.string(6), unit: row.optionalString(7), context: row.optionalString(8),
                    phase: row.optionalString(9), location: row.optionalString(10))
                return (id: try row.int64(0), record: record, key: record.sampleKey)
            }
            // In id order, the first of equal values stays: one that has its key already (kept by an earlier batch or
            // stored again since the migration, or keyed just now in this transaction) is found by the unique index.
            var removed = 0
            for row in rows {
                let value = row.record
                let known = try db.queryFirst(
                    "SELECT 1 FROM meter_values WHERE timestamp = ? AND cp_id = ? AND sample_key = ?",
                    [value.timestamp, value.cpId, row.key]
                ) { _ in true }
                if known == nil {
                    try db.execute("UPDATE meter_values SET sample_key = ? WHERE id = ?", [row.key, row.id])
                } else {
                    try db.execute("DELETE FROM meter_values WHERE id = ?", [row.id])
                    removed += 1
                }
            }
            let reached = rows.count < batchSize ? end : rows[rows.count - 1].id
            try db.execute("UPDATE maintenance_progress SET position = ? WHERE name = 'meter_value_keys'", [reached])
            return MeterValueKeying(keyed: rows.count - removed, removed: removed, position: reached, end: end)
        }
    }
}
