import Foundation

/// What the worker threads need of a database connection; the SQLite and MariaDB connections provide it.
protocol DatabaseConnection: AnyObject, SendableMetatype {
    /// Starts a transaction that will write (SQLite: BEGIN IMMEDIATE; MariaDB: START TRANSACTION).
    func beginWrite() throws
    func beginRead() throws
    func commit() throws
    /// Rolls back the open transaction, if any; never fails.
    func rollback()
    func savepoint(_ name: String) throws
    func releaseSavepoint(_ name: String) throws
    func rollbackToSavepoint(_ name: String) throws
    /// False once the database rolled the whole transaction back on its own (deadlock, I/O error).
    var isInTransaction: Bool { get }
    func close()
    /// A failure worth retrying the whole transaction for: busy, locked, deadlock, lost connection.
    static func isTransient(_ error: any Error) -> Bool
    /// The connection cannot be used any more and must be reopened.
    static func isConnectionLost(_ error: any Error) -> Bool
    /// Starts a write transaction (`beginWrite`) whose first write marks that it holds batch `batch` of writer `writer`
    /// (`lastCommittedBatch` reads it back). First, so that the mark's row is locked while the transaction is open.
    func beginWrite(markingBatch batch: Int64, of writer: String) throws
    /// The last batch of `writer` that committed; nil when none did.
    func lastCommittedBatch(writer: String) throws -> Int64?
}

/// Why the workers did not run a job.
enum DatabaseWorkerError: Error, Equatable {
    case closed
    /// The connection was lost while COMMIT ran and the database could not say in time whether it committed. Not a
    /// failure to retry: running the batch again could store it twice.
    case commitOutcomeUnknown
}

/// Group-commit counters, for tests and metrics.
struct WriteStatistics: Sendable, Equatable {
    /// Transactions committed.
    var commits = 0
    /// Write jobs in those transactions.
    var jobs = 0
    /// Batches run again job by job, each in a savepoint, because one of their jobs failed.
    var isolatedReruns = 0
}

/// One unit of work. `run` may be called more than once (a transient failure retries the whole batch);
/// it returns what to do once the work is durable, so no caller hears of a write before its COMMIT.
private struct DatabaseJob<Connection>: Sendable {
    /// Its Bool is true when the job runs in a savepoint of its own, because a job of its batch failed (`runBatch`).
    let run: @Sendable (Connection, Bool) throws -> @Sendable () -> Void
    let fail: @Sendable (any Error) -> Void
    /// Readers only: run inside a read transaction (one snapshot for several statements).
    var inTransaction = true
}

/// Jobs waiting for a thread, guarded by one condition: the only lock of the store. @unchecked: every stored var is
/// read and written only with `condition` locked, by callers on any task and by the worker threads; jobs are Sendable.
private final class JobQueue<Connection>: @unchecked Sendable {
    /// Guards `jobs`, `closed`, `liveThreads`, `exitWaiters` and `statistics`; idle workers wait on it. Jobs are failed
    /// and continuations resumed only after it is unlocked.
    private let condition = NSCondition()
    private var jobs: [DatabaseJob<Connection>] = []
    private var closed = false
    private var liveThreads = 0
    private var exitWaiters: [CheckedContinuation<Void, Never>] = []
    private var statistics = WriteStatistics()

    func enqueue(_ job: DatabaseJob<Connection>) {
        condition.lock()
        guard !closed else {
            condition.unlock()
            job.fail(DatabaseWorkerError.closed)
            return
        }
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Blocks until there is work; nil once closed and drained, so queued writes still finish at shutdown.
    func takeAll() -> [DatabaseJob<Connection>]? {
        condition.lock()
        defer { condition.unlock() }
        while jobs.isEmpty && !closed {
            condition.wait()
        }
        guard !jobs.isEmpty else { return nil }
        let batch = jobs
        jobs.removeAll(keepingCapacity: true)
        return batch
    }

    func takeOne() -> DatabaseJob<Connection>? {
        condition.lock()
        defer { condition.unlock() }
        while jobs.isEmpty && !closed {
            condition.wait()
        }
        guard !jobs.isEmpty else { return nil }
        return jobs.removeFirst()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    func threadStarted() {
        condition.lock()
        liveThreads += 1
        condition.unlock()
    }

    func threadExited() {
        condition.lock()
        liveThreads -= 1
        let waiters = liveThreads == 0 ? exitWaiters : []
        if liveThreads == 0 {
            exitWaiters.removeAll()
        }
        condition.unlock()
        for waiter in waiters {
            waiter.resume()
        }
    }

    func waitForThreads() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if liveThreads == 0 {
                condition.unlock()
                continuation.resume()
            } else {
                exitWaiters.append(continuation)
                condition.unlock()
            }
        }
    }

    func recordCommit(jobs count: Int, isolated: Bool) {
        condition.lock()
        statistics.commits += 1
        statistics.jobs += count
        statistics.isolatedReruns += isolated ? 1 : 0
        condition.unlock()
    }

    var writeStatistics: WriteStatistics {
        condition.lock()
        defer { condition.unlock() }
        return statistics
    }

    /// Jobs waiting for a thread (for tests that must know they all arrived).
    var waitingJobs: Int {
        condition.lock()
        defer { condition.unlock() }
        return jobs.count
    }
}

/// Dedicated threads that own the database connections, so blocking database calls never run on NIO event loops or
/// the cooperative pool: writers that each commit every write job queued for them in one transaction (group commit),
/// and readers that run read jobs concurrently. With several writers, a job goes to the writer of its shard: the
/// jobs of one shard (one station's, see `shard(of:)`) commit in the order they were queued.
final class DatabaseWorkers<Connection: DatabaseConnection>: Sendable {
    private let writeQueues: [JobQueue<Connection>]
    private let readQueue = JobQueue<Connection>()
    /// How often a read is tried when the database reports a transient failure.
    static var attempts: Int { 4 }
    /// How often a batch is: a conflict (an InnoDB deadlock, or on Galera another node's write to the same row winning
    /// certification) can repeat while two nodes keep writing one row, and ten tries with jittered backoff (~1.5 s at
    /// most) see it through where four did not.
    static var writeAttempts: Int { 10 }

    /// For a database across a network, where a COMMIT can take effect while its answer is lost: each group commit
    /// also writes its batch number (`beginWrite(markingBatch:of:)`, in the `write_batches` table), so that after a lost answer the writer
    /// learns whether the batch committed instead of running it twice.
    struct LostCommitCheck: Sendable {
        /// How long the writer keeps asking before it gives up and fails the batch's callers (who cannot know either);
        /// shorter than the callers' own retry window (15 s by default).
        var window: Duration = .seconds(10)
        /// Hears of the database being unreachable meanwhile: the batch's callers only wait, no caller hears an error.
        var health: StoreHealth?
    }

    /// Connections are opened on their own thread at first use and reopened after a lost connection.
    init(
        name: String, writers: Int = 1, readers: Int, lostCommitCheck: LostCommitCheck? = nil,
        makeWriter: @escaping @Sendable () throws -> Connection, makeReader: @escaping @Sendable () throws -> Connection
    ) {
        writeQueues = (0..<max(1, writers)).map { _ in JobQueue<Connection>() }
        self.readers = max(1, readers)
        let readQueue = readQueue
        for (index, writeQueue) in writeQueues.enumerated() {
            writeQueue.threadStarted()
            // Linux keeps 15 bytes of a thread's name (top -H, perf): "mariadb-writer1", "mariadb-reader0".
            let number = writeQueues.count == 1 ? "" : "\(index)"
            Self.start(name: "\(name)-writer\(number)") { Self.writerLoop(writeQueue, lostCommitCheck, makeWriter) }
        }
        for index in 0..<self.readers {
            readQueue.threadStarted()
            Self.start(name: "\(name)-reader\(index)") { Self.readerLoop(readQueue, makeReader) }
        }
    }

    deinit {
        writeQueues.forEach { $0.close() }
        readQueue.close()
    }

    /// How many writers commit side by side.
    var writers: Int { writeQueues.count }
    /// How many readers read side by side.
    let readers: Int

    /// The shard of `key` (a station's id): always the same for the same key, spread evenly over the writers.
    func shard(of key: String) -> Int {
        guard writeQueues.count > 1 else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in key.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return Int(hash % UInt64(writeQueues.count))
    }

    /// Runs `job` in the next transaction of `shard`'s writer; returns only after that transaction committed.
    /// A job that throws is rolled back alone (its savepoint) and only its caller gets the error. After a transient
    /// failure the whole batch runs again in a new transaction, so a job must touch nothing but the connection.
    func write<T: Sendable>(shard: Int = 0, _ job: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            submitWrite(
                shard: shard,
                run: { connection, _ in
                    let value = try job(connection)
                    return { continuation.resume(returning: value) }
                },
                fail: { continuation.resume(throwing: $0) })
        }
    }

    /// Queues a write job that hears of its own outcome: `run` returns what to do once its transaction committed (it may
    /// run more than once, see `write`; its Bool says whether it runs in a savepoint of its own, after a job of its batch
    /// failed), and `fail` is called instead when the job's work was not committed.
    func submitWrite(
        shard: Int = 0, run: @escaping @Sendable (Connection, Bool) throws -> @Sendable () -> Void,
        fail: @escaping @Sendable (any Error) -> Void
    ) {
        writeQueues[shard % writeQueues.count].enqueue(DatabaseJob(run: run, fail: fail))
    }

    /// Runs `job` on a reader connection, in a read transaction so its queries see one snapshot. A job of one statement
    /// needs none (`inTransaction: false`): a statement sees one snapshot anyway, and to MariaDB the transaction's
    /// START and COMMIT would be two more round trips.
    func read<T: Sendable>(inTransaction: Bool = true, _ job: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            readQueue.enqueue(
                DatabaseJob(
                    run: { connection, _ in
                        let value = try job(connection)
                        return { continuation.resume(returning: value) }
                    },
                    fail: { continuation.resume(throwing: $0) },
                    inTransaction: inTransaction
                )
            )
        }
    }

    /// Finishes the queued jobs, closes the connections and waits for the threads to end; later jobs fail with `.closed`.
    func close() async {
        writeQueues.forEach { $0.close() }
        readQueue.close()
        for writeQueue in writeQueues {
            await writeQueue.waitForThreads()
        }
        await readQueue.waitForThreads()
    }

    /// Summed over the writers.
    var writeStatistics: WriteStatistics {
        writeQueues.map(\.writeStatistics).reduce(into: WriteStatistics()) { sum, one in
            sum.commits += one.commits
            sum.jobs += one.jobs
            sum.isolatedReruns += one.isolatedReruns
        }
    }

    /// Write jobs waiting for a writer (for tests that must know they all arrived).
    var waitingWrites: Int { writeQueues.map(\.waitingJobs).reduce(0, +) }

    private static var workerKey: String { "ocppd.database-worker" }

    /// The name of the database worker thread running the caller, nil on any other thread.
    static var currentWorkerName: String? { Thread.current.threadDictionary[workerKey] as? String }

    private static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        // Named from inside: on Linux a name set before start() comes out garbled.
        let thread = Thread {
            Thread.current.name = name
            // The name is for debuggers; this marker is what `currentWorkerName` trusts, since Foundation
            // on Linux does not always read a thread's name back as it was set.
            Thread.current.threadDictionary[workerKey] = name
            body()
        }
        thread.start()
    }

    private enum BatchOutcome {
        case committed([@Sendable () -> Void])
        /// A job failed on its own in a batch run without savepoints: the batch was rolled back, to be run isolated.
        case jobFailed
        case failed(any Error)
        /// The connection was lost while COMMIT ran: the batch may or may not have committed (`learnIfCommitted`).
        case commitAnswerLost([@Sendable () -> Void], any Error)
    }

    private static func writerLoop(
        _ queue: JobQueue<Connection>, _ lostCommitCheck: LostCommitCheck?, _ makeConnection: @Sendable () throws -> Connection
    ) {
        var connection: Connection?
        let writer = UUID().uuidString
        var batchNumber: Int64 = 0
        while let batch = queue.takeAll() {
            var attempt = 1
            var isolated = false
            while true {
                batchNumber += 1
                let marker = lostCommitCheck.map { _ in (writer: writer, batch: batchNumber) }
                var outcome = runBatch(batch, isolated: isolated, marker: marker, &connection, makeConnection)
                if case .commitAnswerLost(let completions, let error) = outcome, let check = lostCommitCheck {
                    switch learnIfCommitted(writer: writer, batch: batchNumber, check, &connection, makeConnection) {
                    case true?: outcome = .committed(completions)
                    case false?: outcome = .failed(error)
                    // Not retried (neither transient nor a lost connection): its callers hear it as it is.
                    case nil: outcome = .failed(DatabaseWorkerError.commitOutcomeUnknown)
                    }
                }
                switch outcome {
                case .committed(let completions):
                    queue.recordCommit(jobs: batch.count, isolated: isolated)
                    for complete in completions {
                        complete()
                    }
                case .jobFailed:
                    isolated = true
                    continue
                case .failed(let error), .commitAnswerLost(_, let error):  // the latter is resolved above
                    if retry(after: error, attempt: &attempt, of: writeAttempts, connection: &connection) {
                        continue
                    }
                    for job in batch {
                        job.fail(error)
                    }
                }
                break
            }
        }
        connection?.close()
        queue.threadExited()
    }

    /// Runs a batch in one transaction. Jobs almost never fail, so a batch first runs without savepoints (each costs
    /// MariaDB two round trips per job); when a job does fail, the batch is rolled back and run again `isolated`: each
    /// job in a savepoint, so a failing one is undone alone and only its caller hears of it.
    private static func runBatch(
        _ batch: [DatabaseJob<Connection>], isolated: Bool, marker: (writer: String, batch: Int64)?, _ connection: inout Connection?,
        _ makeConnection: @Sendable () throws -> Connection
    ) -> BatchOutcome {
        var open: Connection?
        do {
            let db = try connection ?? makeConnection()
            connection = db
            open = db
            if let marker {
                try db.beginWrite(markingBatch: marker.batch, of: marker.writer)
            } else {
                try db.beginWrite()
            }
            var completions: [@Sendable () -> Void] = []
            completions.reserveCapacity(batch.count)
            for job in batch {
                guard isolated else {
                    do {
                        completions.append(try job.run(db, false))
                    } catch {
                        guard db.isInTransaction, !Connection.isTransient(error) else { throw error }
                        db.rollback()
                        return .jobFailed
                    }
                    continue
                }
                try db.savepoint("job")
                do {
                    completions.append(try job.run(db, true))
                    try db.releaseSavepoint("job")
                } catch {
                    // When the database dropped the whole transaction, the earlier jobs' work is gone too: redo the batch.
                    guard db.isInTransaction, !Connection.isTransient(error) else { throw error }
                    try db.rollbackToSavepoint("job")
                    try db.releaseSavepoint("job")
                    completions.append { job.fail(error) }
                }
            }
            do {
                try db.commit()
            } catch let error where marker != nil && Connection.isConnectionLost(error) {
                return .commitAnswerLost(completions, error)
            }
            return .committed(completions)
        } catch {
            open?.rollback()
            return .failed(error)
        }
    }

    /// After a lost COMMIT answer: reconnects and reads whether `batch` committed. nil when the database cannot say
    /// within the check's window.
    private static func learnIfCommitted(
        writer: String, batch: Int64, _ check: LostCommitCheck, _ connection: inout Connection?,
        _ makeConnection: @Sendable () throws -> Connection
    ) -> Bool? {
        connection?.close()
        connection = nil
        let deadline = ContinuousClock.now + check.window
        var delay = 0.01
        while true {
            let began = ContinuousClock.now
            do {
                let db = try makeConnection()
                connection = db
                let committed = try db.lastCommittedBatch(writer: writer) == batch
                check.health?.answered(callBegan: began)
                return committed
            } catch {
                connection?.close()
                connection = nil
                // The database restarting while COMMIT ran: the batch's callers wait here and hear nothing, so the
                // outage is told from here.
                if Connection.isConnectionLost(error) { check.health?.unavailable(String(describing: error)) }
                guard ContinuousClock.now < deadline else { return nil }
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 1)
            }
        }
    }

    private static func readerLoop(_ queue: JobQueue<Connection>, _ makeConnection: @Sendable () throws -> Connection) {
        var connection: Connection?
        while let job = queue.takeOne() {
            var attempt = 1
            while true {
                var open: Connection?
                do {
                    let db = try connection ?? makeConnection()
                    connection = db
                    open = db
                    if job.inTransaction { try db.beginRead() }
                    let complete = try job.run(db, false)
                    if job.inTransaction { try db.commit() }
                    complete()
                } catch {
                    open?.rollback()
                    if retry(after: error, attempt: &attempt, of: attempts, connection: &connection) {
                        continue
                    }
                    job.fail(error)
                }
                break
            }
        }
        connection?.close()
        queue.threadExited()
    }

    /// Decides whether to try again after `error`, dropping a lost connection and backing off a little.
    private static func retry(after error: any Error, attempt: inout Int, of attempts: Int, connection: inout Connection?) -> Bool {
        if Connection.isConnectionLost(error) {
            connection?.close()
            connection = nil
        }
        guard attempt < attempts, Connection.isTransient(error) || Connection.isConnectionLost(error) else { return false }
        // Jittered, so that two writers that conflicted do not meet again at the same moment.
        Thread.sleep(forTimeInterval: min(0.2, 0.01 * Double(1 << attempt)) * Double.random(in: 0.5..<1.5))
        attempt += 1
        return true
    }
}
