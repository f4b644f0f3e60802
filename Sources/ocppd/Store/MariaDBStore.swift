import Foundation
import Shared

/// The production store: MariaDB (InnoDB) through libmariadb, with group-committing writer connections (each station's
/// writes on one of them) and reader connections, each on a worker thread of its own. Connections open at first use
/// and reopen by themselves after the server went away, so ocppd rides out a database restart.
final class MariaDBStore: SQLStore {
    let url: MariaDBURL
    let workers: DatabaseWorkers<MariaDBConnection>
    let meterValueWriter: WriteCombiner<KeyedMeterValue, MariaDBConnection>
    /// Connections when neither the configuration nor the URL's `connection_limit` says.
    static let defaultConnections = 5

    /// How `connections` are used: half of them (up to 4, at least 1) writers, the rest readers. One writer's round
    /// trips, one after another, held the session mix's rate while MariaDB and ocppd had cores to spare: writers side by
    /// side commit their stations' writes at the same time. Each station's writes go to one writer, in order.
    /// In a cluster, one writer: on Galera every commit is a write set that every node certifies and applies, and
    /// writers side by side made more and smaller ones (cluster-3 did 12-18% less with two writers per node).
    static func split(connections: Int, cluster: Bool = false) -> (writers: Int, readers: Int) {
        let connections = max(2, connections)
        let writers = cluster ? 1 : min(4, connections / 2)
        return (writers, connections - writers)
    }

    /// `connections` (writers and readers, see `split`) wins over the URL's `connection_limit`. `lostCommitCheck.health`
    /// hears of outages that only the writers see; `commitFault` is for tests.
    init(
        url: MariaDBURL, connections: Int? = nil,
        lostCommitCheck: DatabaseWorkers<MariaDBConnection>.LostCommitCheck = .init(), commitFault: CommitFault? = nil,
        cluster: Bool = false
    ) {
        let url = cluster && !url.socketTimeoutGiven ? Self.clusterTimeouts(url) : url
        self.url = url
        let (writers, readers) = Self.split(
            connections: connections ?? url.connectionLimit ?? Self.defaultConnections, cluster: cluster)
        workers = DatabaseWorkers(
            // Across a network a COMMIT's answer can be lost after the server committed: the writer marks its batches.
            name: "mariadb", writers: writers, readers: readers, lostCommitCheck: lostCommitCheck,
            makeWriter: {
                try commitFault?.refuseConnection()
                let connection = try MariaDBConnection(url: url)
                connection.commitFault = commitFault
                // A lock wait must end as one (1205, retried) before the read timeout calls the connection lost.
                if cluster { try? connection.exec("SET SESSION innodb_lock_wait_timeout = \(max(1, url.socketTimeout - 2))") }
                return connection
            },
            makeReader: {
                let connection = try MariaDBConnection(url: url)
                // A node reads what another wrote a moment ago (a station it took, a card just added): on Galera a read
                // then waits until this node applied what the cluster committed before it; elsewhere the setting means
                // nothing (and a server without it may refuse it).
                if cluster { try? connection.exec("SET SESSION wsrep_sync_wait = 1") }
                return connection
            }
        )
        meterValueWriter = WriteCombiner(workers: workers, insert: Self.insertMeterValues)
    }

    /// A Galera node has been seen to leave a connection whose transaction another node's write aborted without any
    /// answer (MDEV-20172's kind): in a cluster a connection silent for 10 s counts as lost (the writer then reconnects
    /// and learns whether its batch committed), unless the URL says otherwise.
    private static func clusterTimeouts(_ url: MariaDBURL) -> MariaDBURL {
        var url = url
        url.socketTimeout = 10
        return url
    }

    static let dialect = SQLDialect.mariaDB

    static func storeError(_ error: any Error) -> StoreError {
        switch error {
        case let error as StoreError:
            return error
        case let error as MariaDBError where error.isConstraintViolation:
            return .conflict(error.message)
        case let error as MariaDBError where error.isUnavailable:
            return .unavailable(error.description)
        case DatabaseWorkerError.closed:
            return .unavailable("the store is closed")
        case DatabaseWorkerError.commitOutcomeUnknown:
            return .failed("the connection to the database was lost during COMMIT and it could not say whether it committed")
        default:
            return .failed(String(describing: error))
        }
    }

    /// MariaDB commits every DDL statement at once, so the migrations cannot share the writer's transactions: they run on
    /// a connection of their own, outside any transaction, and each statement is idempotent (see `SQLDialect.ddl`).
    func migrate() async throws {
        let url = url
        do {
            try await Self.onOwnThread(name: "mariadb-migrate") { try Self.migrate(url) }
        } catch {
            throw Self.storeError(error)
        }
    }

    private static func migrate(_ url: MariaDBURL) throws {
        let db = try MariaDBConnection(url: url)
        defer { db.close() }
        // Two ocppd starting at once on one database take turns; the server frees the lock with the connection.
        let lock = String("ocppd-migrate:\(url.database)".prefix(64))
        let locked = try db.queryFirst("SELECT GET_LOCK(?, ?)", [lock, 60]) { $0.optionalInt(0) } ?? nil
        guard locked == 1 else {
            throw StoreError.unavailable("another ocppd has been migrating \(url) for a minute")
        }
        try db.exec(SQLDialect.mariaDB.schemaVersionTable)
        let current = (try db.queryFirst("SELECT MAX(version) FROM schema_version") { $0.optionalInt(0) } ?? nil) ?? 0
        guard current <= Schema.latestVersion else { throw newerSchemaError(url.description, version: current) }
        for migration in Schema.migrations where migration.version > current {
            for statement in migration.statements {
                try db.exec(SQLDialect.mariaDB.ddl(statement))
            }
            // IGNORE: on Galera the lock is per database node, so another ocppd may have recorded it meanwhile.
            try db.execute("INSERT IGNORE INTO schema_version (version, applied_at) VALUES (?, ?)", [migration.version, Date()])
        }
        // The commit marks of writers gone for a day (earlier runs of ocppd), here, outside any writer's transaction.
        try db.execute("DELETE FROM write_batches WHERE updated_at < ?", [Date().addingTimeInterval(-86_400)])
    }

    /// Runs blocking `body` on a thread of its own, so it never holds a thread of the cooperative pool.
    private static func onOwnThread<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let thread = Thread {
                Thread.current.name = name
                continuation.resume(with: Result { try body() })
            }
            thread.start()
        }
    }
}

/// For tests: the next COMMITs of a store's writer lose their answer, as when the network fails at that moment: after
/// the server committed (`afterCommit`), or before COMMIT reached it (`beforeCommit`), so that what the writer does then
/// can be checked against a real server.
final class CommitFault: Sendable {
    enum When: Sendable, Equatable {
        case afterCommit
        case beforeCommit
    }

    /// Answers to lose, in order: queued by a test's task, taken by the writer thread at each COMMIT; the lock makes
    /// each take one step.
    private let pending = Locked<[When]>([])
    /// Connection attempts still to refuse: set by a test's task, counted down by the writer thread as it connects;
    /// the test and the decrement are one step under the lock.
    private let refusals = Locked(0)

    init() {}

    /// The writer's next `count` connection attempts fail as if the server were down (it restarting after the
    /// lost answer); 0 ends the refusals.
    func refuseNextConnections(_ count: Int) {
        refusals.withLock { $0 = count }
    }

    func refuseConnection() throws {
        let refuse = refusals.withLock { refusals in
            defer { refusals = max(0, refusals - 1) }
            return refusals > 0
        }
        if refuse { throw MariaDBError(code: 2003, message: "Can't connect to server (CommitFault)", sql: nil) }
    }

    func loseNextAnswers(_ count: Int = 1, _ when: When = .afterCommit) {
        pending.withLock { $0 += Array(repeating: when, count: count) }
    }

    /// Whether this COMMIT's answer is to be lost, and when.
    func take() -> When? {
        pending.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }
}
