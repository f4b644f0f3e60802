import Foundation
import Shared
import Synchronization

/// An event as the journal keeps it: which node produced it and its place in that node's sequence.
struct JournaledEvent: Sendable {
    /// '' on a single ocppd.
    var node: String
    var seq: Int64
    var event: GatewayEvent
}

/// Where events are kept, for a client that reconnects with `Last-Event-ID` and for the other nodes of a cluster.
protocol EventLog: Sendable {
    /// Queues `events` (already numbered, in order) to be written; `written` is called once they committed, or once
    /// writing them failed for good, in the order of the calls, never concurrently.
    func append(_ events: [JournaledEvent], written: @escaping @Sendable (_ committed: Bool) -> Void)
    /// The last number `node` gave an event, 0 when it has none.
    func lastSeq(node: String) async throws -> Int64
    /// The last number `node` gave an event before `date`, 0 when none.
    func lastSeq(node: String, before date: Date) async throws -> Int64
    /// `node`'s events after `seq`, in order, `limit` at most, only `cpId`'s when given.
    func events(node: String, after seq: Int64, cpId: String?, limit: Int) async throws -> [JournaledEvent]
    /// Nodes that have events kept.
    func nodes() async throws -> [String]
    /// Forgets `node`'s events older than `date`.
    func prune(node: String, before date: Date) async throws
}

/// The store's `events` table as an `EventLog`: events many stations publish at about the same time go into one
/// multi-row INSERT that joins the writer's group commit (as meter values do, `WriteCombiner`).
final class EventJournal<Connection: SQLDatabase>: EventLog {
    private struct Pending {
        var events: [JournaledEvent]
        var written: @Sendable (Bool) -> Void
    }

    private struct State {
        var pending: [Pending] = []
        var queued = false
    }

    private let state = Mutex(State())
    private let workers: DatabaseWorkers<Connection>
    /// Rows per INSERT statement: below the placeholder limits of both databases.
    static var rowsPerInsert: Int { 200 }

    init(workers: DatabaseWorkers<Connection>) {
        self.workers = workers
    }

    func append(_ events: [JournaledEvent], written: @escaping @Sendable (Bool) -> Void) {
        let submit = state.withLock { state in
            state.pending.append(Pending(events: events, written: written))
            defer { state.queued = true }
            return !state.queued
        }
        if submit { submitJob() }
    }

    private func submitJob() {
        let taken = Taken()
        workers.submitWrite(
            run: { [self] db in
                let pending = taken.pending ?? take(into: taken)
                try Self.insert(db, pending.flatMap(\.events))
                return { pending.forEach { $0.written(true) } }
            },
            fail: { [self] _ in
                (taken.pending ?? take(into: taken)).forEach { $0.written(false) }
            })
    }

    private func take(into taken: Taken) -> [Pending] {
        let pending = state.withLock { state in
            defer {
                state.pending = []
                state.queued = false
            }
            return state.pending
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
                var data: [UInt8] = []
                item.event.json.write(to: &data)
                parameters +=
                    [item.node, item.seq, item.event.cpId, item.event.type, item.event.at, String(decoding: data, as: UTF8.self)]
                    as [any SQLBindable]
            }
            try db.execute(
                "INSERT INTO events (node_id, seq, cp_id, type, at, data) VALUES "
                    + repeatElement("(?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", "),
                parameters)
        }
    }

    func lastSeq(node: String) async throws -> Int64 {
        try await read { db in try db.queryFirst("SELECT MAX(seq) FROM events WHERE node_id = ?", [node]) { $0.optionalInt64(0) } ?? nil }
            ?? 0
    }

    func lastSeq(node: String, before date: Date) async throws -> Int64 {
        try await read { db in
            try db.queryFirst("SELECT MAX(seq) FROM events WHERE node_id = ? AND at < ?", [node, date]) { $0.optionalInt64(0) } ?? nil
        } ?? 0
    }

    func events(node: String, after seq: Int64, cpId: String?, limit: Int) async throws -> [JournaledEvent] {
        try await read { db in
            let map = { (row: Connection.Row) throws -> JournaledEvent in
                let seq = try row.int64(0)
                let cpId = try row.string(1)
                let type = try row.string(2)
                let at = try row.date(3)
                var fields: JSONObject = [:]
                if case .object(let object)? = try? JSONParser.parse(try row.string(4)) {
                    fields = object
                    for member in ["type", "cpId", "at"] { fields[member] = nil }
                }
                return JournaledEvent(node: node, seq: seq, event: GatewayEvent(type: type, cpId: cpId, at: at, fields: fields))
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
        do {
            _ = try await workers.write { db in try db.execute("DELETE FROM events WHERE node_id = ? AND at < ?", [node, date]) }
        } catch {
            throw Self.storeError(error)
        }
    }

    private func read<T: Sendable>(_ job: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        do {
            return try await workers.read(inTransaction: false, job)
        } catch {
            throw Self.storeError(error)
        }
    }

    private static func storeError(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        return Connection.isConnectionLost(error) || Connection.isTransient(error)
            ? .unavailable(String(describing: error)) : .failed(String(describing: error))
    }

    /// The pending appends one job took; only the writer thread touches it once the job is queued.
    private final class Taken: @unchecked Sendable {
        var pending: [Pending]?
    }
}
