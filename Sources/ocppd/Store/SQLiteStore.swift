import Foundation
import Shared

/// The embedded store: one SQLite file in WAL mode, written by one group-committing thread and read by two more.
public final class SQLiteStore: Store {
    let path: String
    let workers: DatabaseWorkers<SQLiteConnection>

    /// Opens nothing yet: the worker threads open their connections at first use, so `migrate()` reports a bad path.
    public init(path: String) {
        self.path = path
        workers = DatabaseWorkers(
            name: "sqlite", readers: 2,
            makeWriter: { try SQLiteStore.openConnection(path, reader: false) },
            makeReader: { try SQLiteStore.openConnection(path, reader: true) }
        )
    }

    private static func openConnection(_ path: String, reader: Bool) throws -> SQLiteConnection {
        let connection = try SQLiteConnection(path: path)
        // WAL lets the readers run beside the writer; FULL syncs the log at every commit, so a write that was
        // acknowledged survives a crash or power loss. WAL is recorded in the file: setting it again is a no-op.
        try connection.exec("PRAGMA journal_mode = WAL")
        try connection.exec("PRAGMA synchronous = FULL")
        if reader {
            try connection.exec("PRAGMA query_only = 1")
        }
        return connection
    }

    /// Group-commit counters: how many write jobs went into how many commits.
    var writeStatistics: WriteStatistics { workers.writeStatistics }

    @discardableResult
    func write<T: Sendable>(_ job: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        do {
            return try await workers.write(job)
        } catch {
            throw Self.storeError(error)
        }
    }

    @discardableResult
    func read<T: Sendable>(_ job: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        do {
            return try await workers.read(job)
        } catch {
            throw Self.storeError(error)
        }
    }

    static func storeError(_ error: any Error) -> StoreError {
        switch error {
        case let error as StoreError:
            return error
        case let error as SQLiteError where error.isConstraintViolation:
            return .conflict(error.message)
        case let error as SQLiteError where error.isUnavailable:
            return .unavailable(error.description)
        case DatabaseWorkerError.closed:
            return .unavailable("the store is closed")
        default:
            return .failed(String(describing: error))
        }
    }

    public func migrate() async throws {
        try await write { db in
            try db.exec(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL)")
            let current = (try db.queryFirst("SELECT MAX(version) FROM schema_version") { $0.optionalInt(0) } ?? nil) ?? 0
            let known = SQLiteSchema.latestVersion
            guard current <= known else {
                throw StoreError.failed(
                    "the database \(self.path) has schema version \(current), newer than this ocppd knows (\(known)): "
                        + "run a newer ocppd or use another database")
            }
            for migration in SQLiteSchema.migrations where migration.version > current {
                for statement in migration.statements {
                    try db.exec(statement)
                }
                try db.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", [migration.version, Date()])
            }
        }
    }

    public func ping() async -> Bool {
        (try? await read { db in try db.queryFirst("SELECT 1") { try $0.int(0) } }) == 1
    }

    public func close() async {
        await workers.close()
    }
}

extension Array where Element == any SQLiteBindable {
    /// LIMIT and OFFSET parameters; negative values mean none and everything.
    static func page(_ page: PageRequest) -> [any SQLiteBindable] {
        [Swift.max(0, page.limit), Swift.max(0, page.offset)]
    }
}
