import Foundation
import Shared

/// An event as the journal keeps it: which node produced it and its place in that node's sequence.
struct JournaledEvent: Sendable {
    /// '' on a single ocppd on SQLite.
    var node: String
    var seq: Int64
    var event: GatewayEvent
    /// The event's `data` object as JSON text, made once by the node that produced it (not on the writer's thread).
    var data: String

    init(node: String, seq: Int64, event: GatewayEvent, data: String? = nil) {
        self.node = node
        self.seq = seq
        self.event = event
        self.data = data ?? event.jsonText
    }
}

/// Where events are kept, for a client that reconnects with `Last-Event-ID` and for the other nodes of a cluster.
protocol EventLog: Sendable {
    /// Queues `events` (already numbered, in order) to be written; `written` is called once they committed, or once
    /// writing them failed for good (the store closed, or too many waited while it was down), in the order of the calls,
    /// never concurrently. While the database is unavailable they wait and are tried again.
    /// In two steps, for a caller that orders its appends under a lock of its own: `enqueue` there (it only queues), then,
    /// when it says so, `submitQueued` after that lock (it wakes the writer).
    func enqueue(_ events: [JournaledEvent], written: @escaping @Sendable (_ committed: Bool) -> Void) -> Bool
    func submitQueued()
    /// The last number `node` gave an event, 0 when it has none.
    func lastSeq(node: String) async throws -> Int64
    /// The last number `node` gave an event before `date`, 0 when none.
    func lastSeq(node: String, before date: Date) async throws -> Int64
    /// `node`'s events after `seq`, in order, `limit` at most, only `cpId`'s when given.
    func events(node: String, after seq: Int64, cpId: String?, limit: Int) async throws -> [JournaledEvent]
    /// Nodes that have events kept.
    func nodes() async throws -> [String]
    /// Forgets `node`'s events older than `date`, but its newest (so that its numbers never start over), a few thousand
    /// at a time so that no commit of other writes waits long behind it.
    func prune(node: String, before date: Date) async throws
    /// Forgets `node`'s events up to `seq` (never its newest), as `prune(node:before:)` does.
    func prune(node: String, upTo seq: Int64) async throws
}

/// The store's `events` table as an `EventLog`: events many stations publish at about the same time go into one
/// multi-row INSERT that joins the writer's group commit (as meter values do, `WriteCombiner`).
final class EventJournal<Store: SQLStore>: EventLog {
    typealias Connection = Store.Connection

    /// Guards the waiting appends and `queued`: `enqueue` (inside the bus's sequence lock), the writer thread's `take`
    /// and `giveBack`, and the retry on a global queue. At most one job is queued, so jobs take appends in order.
    private let state = Locked(JournalQueue())
    private let store: Store
    /// Rows per INSERT statement: below the placeholder limits of both databases.
    static var rowsPerInsert: Int { 200 }
    /// Appends kept waiting while the database is down; beyond, the oldest are given up (delivered live only).
    static var maxWaiting: Int { 100_000 }
    /// Pause before events whose write failed are tried again.
    static var retryDelay: Double { 0.5 }

    init(store: Store) {
        self.store = store
    }

    func enqueue(_ events: [JournaledEvent], written: @escaping @Sendable (Bool) -> Void) -> Bool {
        state.withLock { state in
            state.pending.append(JournalAppend(events: events, written: written))
            defer { state.queued = true }
            return !state.queued
        }
    }

    func submitQueued() {
        let taken = JournalTaken()
        store.workers.submitWrite(
            run: { [self] db, _ in
                let pending = taken.pending ?? take(into: taken)
                try Self.insert(db, pending.flatMap(\.events))
                return { pending.forEach { $0.written(true) } }
            },
            fail: { [self] error in
                giveBack(taken.pending ?? take(into: taken), after: error)
            })
    }

    /// A write that failed: its events are written first once the database answers again (jobs fail in the order they
    /// took their events, so the order holds), unless the store is closed.
    private func giveBack(_ pending: [JournalAppend], after error: any Error) {
        if case DatabaseWorkerError.closed? = error as? DatabaseWorkerError {
            return pending.forEach { $0.written(false) }
        }
        let dropped = state.withLock { state -> [JournalAppend] in
            state.retrying += pending
            let excess = state.retrying.count + state.pending.count - Self.maxWaiting
            guard excess > 0 else { return [] }
            defer { state.retrying.removeFirst(min(excess, state.retrying.count)) }
            return Array(state.retrying.prefix(excess))
        }
        dropped.forEach { $0.written(false) }
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.retryDelay) { [self] in
            let submit = state.withLock { state in
                guard !state.queued, !(state.retrying.isEmpty && state.pending.isEmpty) else { return false }
                state.queued = true
                return true
            }
            if submit { submitQueued() }
        }
    }

    private func take(into taken: JournalTaken) -> [JournalAppend] {
        let pending = state.withLock { state in
            defer {
                state.retrying = []
                state.pending = []
                state.queued = false
            }
            return state.retrying + state.pending
        }
        taken.pending = pending
        return pending
    }

    private static func insert(_ db: Connection, _ events: [JournaledEvent]) throws {
        var start = events.startIndex
        while start < events.endIndex {
            let chunk = events[start..<min(start + rowsPerInsert, events.endIndex)]
            start = chunk.endIndex
            var parameters: [any SQLBindable] = []
            parameters.reserveCapacity(chunk.count * 6)
            for item in chunk {
                parameters += [item.node, item.seq, item.event.cpId, item.event.type, item.event.at, item.data] as [any SQLBindable]
            }
            try db.execute(eventInserts.text(rows: chunk.count), parameters)
        }
    }

    func lastSeq(node: String) async throws -> Int64 {
        try await read { db in try db.queryFirst("SELECT MAX(seq) FROM events WHERE node_id = ?", [node]) { $0.optionalInt64(0) } ?? nil }
            ?? 0
    }

    /// Found by halving the node's numbers (a few lookups by key, no index by time): a node numbers its events as time
    /// goes, so their times grow with their numbers, near enough for pruning and for where a tail starts.
    func lastSeq(node: String, before date: Date) async throws -> Int64 {
        var low: Int64 = 0
        var high = try await lastSeq(node: node)
        while low < high {
            let middle = low + (high - low + 1) / 2
            let row = try await read { db in
                try db.queryFirst("SELECT seq, at FROM events WHERE node_id = ? AND seq >= ? ORDER BY seq LIMIT 1", [node, middle]) {
                    (try $0.int64(0), try $0.date(1))
                }
            }
            guard let (seq, at) = row, at < date else {
                high = middle - 1
                continue
            }
            low = min(seq, high)
        }
        return low
    }

    func events(node: String, after seq: Int64, cpId: String?, limit: Int) async throws -> [JournaledEvent] {
        try await read { db in
            let map = { (row: Connection.Row) throws -> JournaledEvent in
                let seq = try row.int64(0)
                let cpId = try row.string(1)
                let type = try row.string(2)
                let at = try row.date(3)
                let data = try row.string(4)
                var fields: JSONObject = [:]
                if case .object(let object)? = try? JSONParser.parse(data) {
                    fields = object
                    for member in ["type", "cpId", "at"] { fields[member] = nil }
                }
                return JournaledEvent(
                    node: node, seq: seq, event: GatewayEvent(type: type, cpId: cpId, at: at, fields: fields), data: data)
            }
            if let cpId {
                return try db.query(
                    "SELECT seq, cp_id, type, at, data FROM events WHERE node_id = ? AND seq > ? AND cp_id = ? ORDER BY seq LIMIT ?",
                    [node, seq, cpId, limit], map)
            }
            return try db.query(
                "SELECT seq, cp_id, type, at, data FROM events WHERE node_id = ? AND seq > ? ORDER BY seq LIMIT ?", [node, seq, limit], map)
        }
    }

    func nodes() async throws -> [String] {
        try await read { db in try db.query("SELECT DISTINCT node_id FROM events") { try $0.string(0) } }
    }

    func prune(node: String, before date: Date) async throws {
        try await prune(node: node, upTo: try await lastSeq(node: node, before: date))
    }

    func prune(node: String, upTo seq: Int64) async throws {
        var upTo = min(seq, try await lastSeq(node: node) - 1)
        // From the top down, in chunks, each its own write.
        while upTo > 0 {
            let from = max(0, upTo - Self.pruneChunk)
            try await store.write { [upTo] db in
                try db.execute("DELETE FROM events WHERE node_id = ? AND seq > ? AND seq <= ?", [node, from, upTo])
            }
            let older = try await read { db in
                try db.queryFirst("SELECT MAX(seq) FROM events WHERE node_id = ? AND seq <= ?", [node, from]) { $0.optionalInt64(0) }
            }
            guard let older = older ?? nil else { return }
            upTo = older
        }
    }

    /// Events deleted per write when pruning.
    static var pruneChunk: Int64 { 5000 }

    /// One statement each: no read transaction needed.
    private func read<T: Sendable>(_ job: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await store.read(inTransaction: false, job)
    }
}

// The journal's queue, outside the generic class: nested there, these types would be generic too, and every array of
// them made and walked at run time through generic metadata (~16,000 instructions per journaled event, callgrind).

/// One `enqueue`'s events and what to call once they are written (or given up).
private struct JournalAppend {
    var events: [JournaledEvent]
    var written: @Sendable (Bool) -> Void
}

/// The pending appends one job took. @unchecked: only the writer thread touches it once the job is queued, and the
/// queue's NSCondition orders the hand-over (`fail` without a run happens only when the queue refused the job, on the
/// submitting thread, before any other thread saw it).
private final class JournalTaken: @unchecked Sendable {
    var pending: [JournalAppend]?
}

private struct JournalQueue {
    /// Appends a failed write gave back, to be written first, in their order.
    var retrying: [JournalAppend] = []
    var pending: [JournalAppend] = []
    var queued = false
}

private let eventInserts = RowInserts("INSERT INTO events (node_id, seq, cp_id, type, at, data)", row: "(?, ?, ?, ?, ?, ?)")
