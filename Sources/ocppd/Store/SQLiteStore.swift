import Foundation
import Shared

/// The embedded store: one SQLite file in WAL mode, written by one group-committing thread and read by two more.
final class SQLiteStore: SQLStore {
    let path: String
    let workers: DatabaseWorkers<SQLiteConnection>
    let meterValueWriter: WriteCombiner<KeyedMeterValue, SQLiteConnection>

    /// Opens nothing yet: the worker threads open their connections at first use, so `migrate()` reports a bad path.
    init(path: String) {
        self.path = path
        workers = DatabaseWorkers(
            name: "sqlite", readers: 2,
            makeWriter: { try SQLiteStore.openConnection(path, reader: false) },
            makeReader: { try SQLiteStore.openConnection(path, reader: true) }
        )
        meterValueWriter = WriteCombiner(workers: workers, insert: Self.insertMeterValues)
    }

    /// The most of the database file a reader maps (its pages count as resident memory only once read, and can be dropped by the kernel).
    static let readerMapSize = 256 << 20
    /// The log is copied back into the database once it holds this many pages (64 MiB), not SQLite's default 1,000:
    /// under a steady stream of MeterValues every commit rewrites a few hundred index pages, and a checkpoint every few
    /// commits copied and synced the same pages again and again (the writer's largest cost).
    static let walCheckpointPages = 16384

    private static func openConnection(_ path: String, reader: Bool) throws -> SQLiteConnection {
        let connection = try SQLiteConnection(path: path)
        // WAL lets the readers run beside the writer; FULL syncs the log at every commit, so a write that was
        // acknowledged survives a crash or power loss. WAL is recorded in the file: setting it again is a no-op.
        try connection.exec("PRAGMA journal_mode = WAL")
        try connection.exec("PRAGMA synchronous = FULL")
        if reader {
            try connection.exec("PRAGMA query_only = 1")
            // A reader's page cache is dropped whenever the writer commits, which is all the time under load: reading
            // the file through a mapping makes reloading pages a lookup instead of a read(2) and a copy each.
            try connection.exec("PRAGMA mmap_size = \(readerMapSize)")
        } else {
            try connection.exec("PRAGMA wal_autocheckpoint = \(walCheckpointPages)")
        }
        return connection
    }

    static let dialect = SQLDialect.sqlite

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

    /// SQLite's DDL is transactional, so the migrations run as one write job: all of them or none.
    func migrate() async throws {
        try await write { db in
            try db.exec(SQLDialect.sqlite.schemaVersionTable)
            let current = (try db.queryFirst("SELECT MAX(version) FROM schema_version") { $0.optionalInt(0) } ?? nil) ?? 0
            guard current <= Schema.latestVersion else { throw Self.newerSchemaError(self.path, version: current) }
            for migration in Schema.migrations where migration.version > current {
                for statement in migration.statements {
                    try db.exec(SQLDialect.sqlite.ddl(statement))
                }
                try db.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", [migration.version, Date()])
            }
        }
    }
}
