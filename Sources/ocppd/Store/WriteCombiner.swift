import Shared

/// Rows that many callers write at about the same time, written by one job: every caller that arrives before the job
/// runs joins it, so a group commit holds one multi-row INSERT instead of one per caller. To MariaDB that is one round
/// trip instead of dozens. Each caller still returns only after the commit, with its own outcome: when the rows fail
/// together, the batch runs again and each caller's rows are tried alone, so one station's bad row fails only that
/// station's write. With several writers each has its own rows waiting (`write(_:shard:)`), written by its own job.
final class WriteCombiner<Item: Sendable, Connection: DatabaseConnection>: Sendable {
    private struct Entry: Sendable {
        let items: [Item]
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var entries: [Entry] = []
        /// A job is in the write queue and has not yet taken the entries.
        var queued = false
    }

    /// The rows waiting for one writer. The lock guards the entries and `queued`: callers append from any task, the job
    /// takes them on the writer thread. The append and the test of `queued` are one step, so exactly one job is queued
    /// for any waiting entries.
    private final class Shard: Sendable {
        let state = Locked(State())
    }

    /// One per writer.
    private let shards: [Shard]
    private let workers: DatabaseWorkers<Connection>
    private let insert: @Sendable (Connection, [Item]) throws -> Void

    /// `insert` writes rows; when it throws, what it wrote is rolled back (with the batch, or to a savepoint).
    init(workers: DatabaseWorkers<Connection>, insert: @escaping @Sendable (Connection, [Item]) throws -> Void) {
        self.workers = workers
        self.insert = insert
        shards = (0..<workers.writers).map { _ in Shard() }
    }

    /// Callers whose rows wait for the next job (for tests that must know they all arrived).
    var waitingCallers: Int { shards.map { $0.state.withLock { $0.entries.count } }.reduce(0, +) }

    /// Returns once `items` are committed by the writer of `shard`, together with whatever other callers of that shard
    /// wrote meanwhile.
    func write(_ items: [Item], shard: Int = 0) async throws {
        let queue = shards[shard % shards.count]
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let submit = queue.state.withLock { state in
                state.entries.append(Entry(items: items, continuation: continuation))
                defer { state.queued = true }
                return !state.queued
            }
            if submit {
                submitJob(queue, shard: shard)
            }
        }
    }

    private func submitJob(_ queue: Shard, shard: Int) {
        // The job takes the entries when it first runs and keeps them: a batch that is run again (a transient failure,
        // or another job's) must write the same rows.
        let taken = TakenEntries()
        workers.submitWrite(
            shard: shard,
            run: { [self] db, isolated in
                try write(taken.entries ?? Self.takeEntries(queue, into: taken), db, careful: isolated)
            },
            fail: { error in
                for entry in taken.entries ?? Self.takeEntries(queue, into: taken) {
                    entry.continuation.resume(throwing: error)
                }
            })
    }

    private static func takeEntries(_ queue: Shard, into taken: TakenEntries) -> [Entry] {
        let entries = queue.state.withLock { state in
            defer {
                state.entries = []
                state.queued = false
            }
            return state.entries
        }
        taken.entries = entries
        return entries
    }

    private func write(_ entries: [Entry], _ db: Connection, careful: Bool) throws -> @Sendable () -> Void {
        // Rows almost never fail: they are written without a savepoint of their own (two round trips to MariaDB). When
        // they do fail, so does the job: the writer rolls the batch back and runs it again, each job in a savepoint
        // (`isolated`), and then the rows take the careful path below, where a bad caller's rows fail only that caller.
        guard careful else {
            try insert(db, entries.flatMap { $0.items })
            return { entries.forEach { $0.continuation.resume() } }
        }
        try db.savepoint("combined")
        do {
            try insert(db, entries.flatMap { $0.items })
            try db.releaseSavepoint("combined")
            return { entries.forEach { $0.continuation.resume() } }
        } catch {
            guard db.isInTransaction, !Connection.isTransient(error) else { throw error }
            try db.rollbackToSavepoint("combined")
            try db.releaseSavepoint("combined")
        }
        var outcomes: [Result<Void, any Error>] = []
        for entry in entries {
            try db.savepoint("alone")
            do {
                try insert(db, entry.items)
                try db.releaseSavepoint("alone")
                outcomes.append(.success(()))
            } catch {
                guard db.isInTransaction, !Connection.isTransient(error) else { throw error }
                try db.rollbackToSavepoint("alone")
                try db.releaseSavepoint("alone")
                outcomes.append(.failure(error))
            }
        }
        let results = outcomes
        return { zip(entries, results).forEach { $0.continuation.resume(with: $1) } }
    }

    /// The entries one job took. @unchecked: only the writer thread touches it once the job is queued, and the queue's
    /// NSCondition orders the hand-over (`fail` without a run happens only when the queue refused the job, on the
    /// submitting thread, before any other thread saw it).
    private final class TakenEntries: @unchecked Sendable {
        var entries: [Entry]?
    }
}
