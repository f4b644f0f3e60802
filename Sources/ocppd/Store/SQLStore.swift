import Foundation
import Shared

/// A store whose logic is SQL run on `DatabaseWorkers`: every `Store` operation is implemented once, in the extensions
/// of this protocol (SQLStore+*.swift), and the backends add only opening, migrating and error mapping.
protocol SQLStore: Store {
    associatedtype Connection: SQLDatabase
    var workers: DatabaseWorkers<Connection> { get }
    /// MeterValues of many stations written together (see `WriteCombiner`).
    var meterValueWriter: WriteCombiner<KeyedMeterValue, Connection> { get }
    /// The backend's errors as the store reports them: constraint violations are conflicts, outages unavailable.
    static func storeError(_ error: any Error) -> StoreError
    /// Where this backend's SQL differs (DDL, and an INSERT that skips rows a unique index already holds).
    static var dialect: SQLDialect { get }
}

extension SQLStore {
    /// Group-commit counters: how many write jobs went into how many commits.
    var writeStatistics: WriteStatistics { workers.writeStatistics }

    /// `WHERE a = ? AND b = ?` of the columns given a value (in the order given), with those values; "" when none is.
    static func whereEqual(_ columns: KeyValuePairs<String, String?>) -> (String, [any SQLBindable]) {
        let given = columns.compactMap { column, value in value.map { (column, $0) } }
        guard !given.isEmpty else { return ("", []) }
        return ("WHERE " + given.map { "\($0.0) = ?" }.joined(separator: " AND "), given.map(\.1))
    }

    /// A write of station `cpId`'s, when given: with several writers, one station's writes go to the same one, in order.
    @discardableResult
    func write<T: Sendable>(station cpId: String? = nil, _ job: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        do {
            return try await workers.write(shard: cpId.map(workers.shard(of:)) ?? 0, job)
        } catch {
            throw Self.storeError(error)
        }
    }

    @discardableResult
    func read<T: Sendable>(inTransaction: Bool = true, _ job: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        do {
            return try await workers.read(inTransaction: inTransaction, job)
        } catch {
            throw Self.storeError(error)
        }
    }

    func ping() async -> Bool {
        (try? await read { db in try db.queryFirst("SELECT 1") { try $0.int(0) } }) == 1
    }

    func close() async {
        await workers.close()
    }

    /// The refusal to touch a database that a newer ocppd migrated, whose schema this one cannot know.
    static func newerSchemaError(_ database: String, version: Int) -> StoreError {
        .failed(
            "the database \(database) has schema version \(version), newer than this ocppd knows (\(Schema.latestVersion)): "
                + "run a newer ocppd or use another database")
    }
}
