import Shared

/// Rows that many callers write at about the same time, written by one job: every caller that arrives before the job
/// runs joins it, so a group commit holds one multi-row INSERT instead of one per caller. To MariaDB that is one round
/// trip instead of dozens. Each caller still returns only after the commit, with its own outcome: when the rows fail
/// together, the batch runs again and each caller's rows are tried alone, so one station's bad row fails only that
/// station's write.
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

    /// Guards the waiting entries and `queued`: callers append from any task, the job takes them on the writer thread.
    /// The append and the test of `queued` are one step, so exactly one job is queued for any waiting entries.
    private let state = Locked(State())
    private let workers: DatabaseWorkers<Connection>
    private let insert: @Sendable (Connection, [Item]) throws -> Void

    /// `insert` writes rows; when it throws, what it wrote is rolled back (with the batch, or to a savepoint).
    init(workers: DatabaseWorkers<Connection>, insert: @escaping @Sendable (Connection, [Item]) throws -> Void) {
        self.workers = workers
        self.insert = insert
    }

    /// Callers whose rows wait for the next job (for tests that must know they all arrived).
    var waitingCallers: Int { state.withLock { $0.entries.count } }

    /// Returns once `items` are committed, together with whatever other callers wrote meanwhile.
    func write(_ items: [Item]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let submit = state.withLock { state in
                state.entries.append(Entry(items: items, continuation: continuation))
                defer { state.queued = true }
                return !state.queued
            }
            if submit {
                submitJob()
            }
        }
    }

    private func submitJob() {
        // The job takes the entries when it first runs and keeps them: a batch that is run again (a transient failure,
        // or another job's) must write the same rows.
        let taken = TakenEntries()
        workers.submitWrite(
            run: { [self] db, isolated in
                try write(taken.entries ?? takeEntries(into: taken), db, careful: isolated)
            },
            fail: { [self] error in
                for entry in taken.entries ?? takeEntries(into: taken) {
                    entry.continuation.resume(throwing: error)
                }
            })
    }

    private func takeEntries(into taken: TakenEntries) -> [Entry] {
        let entries = state.withLock { state in
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
