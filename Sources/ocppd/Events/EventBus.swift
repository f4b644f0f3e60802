import Foundation
import Shared
import Synchronization

/// One live event of GET /api/events.
struct GatewayEvent: Sendable {
    var type: String
    var cpId: String
    var at: Date
    /// What the event is about (connectorId, status, transactionId, meter values …).
    var fields: JSONObject

    /// `json` as text, as the journal keeps it.
    var jsonText: String {
        var bytes: [UInt8] = []
        json.write(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The event's `data` object: type, cpId and at first, then its fields. An event of no station (a site's, an
    /// operator's firmware) has `cpId` "" here and null in its data.
    var json: JSONValue {
        var object: JSONObject = ["type": .string(type), "cpId": cpId.isEmpty ? .null : .string(cpId), "at": .string(OCPPDate.format(at))]
        for member in fields.members { object[member.key] = member.value }
        return .object(object)
    }
}

/// Where an event stands in the journal: the node that produced it and its number there.
struct EventPosition: Sendable, Equatable {
    var node: String
    var seq: Int64
}

/// Numbers every event (but the opt-in heartbeats), has the journal keep it, and fans it out to subscribers once it is
/// kept, in each node's order, with the events other nodes of a cluster kept (`EventTail`). Each subscriber has a
/// bounded buffer: one that falls behind is dropped (it sees `lagged` and its stream ends) so that a slow consumer never
/// slows the gateway; it reconnects with the id of the last event it got and misses nothing.
actor EventBus {
    enum Item: Sendable {
        /// `position` nil: an event the journal does not keep (heartbeats).
        case event(GatewayEvent, position: EventPosition?)
        case keepAlive
    }

    /// A subscriber's view: its items, and whether it was dropped for falling behind. The bus does not keep it:
    /// once nobody holds it (its stream ended, or its response was never sent because the client left first), its
    /// stream is cancelled and the bus forgets the subscriber.
    final class Subscription: Sendable {
        let items: AsyncStream<Item>
        let id: Int
        /// How far every node's events had been delivered when it subscribed: its items start after this.
        let start: EventCursor
        fileprivate let laggedFlag: LaggedFlag

        fileprivate init(id: Int, items: AsyncStream<Item>, start: EventCursor, lagged: LaggedFlag) {
            self.id = id
            self.items = items
            self.start = start
            laggedFlag = lagged
        }

        var lagged: Bool { laggedFlag.value.load(ordering: .acquiring) }
    }

    fileprivate final class LaggedFlag: Sendable {
        /// Set with release by the actor just before it finishes the subscriber's stream; read with acquire by the
        /// client's task once the stream ended, so it sees the flag with the end.
        let value = Atomic<Bool>(false)
    }

    private struct Subscriber {
        let cpId: String?
        let heartbeats: Bool
        /// A client of GET /api/events (counted against --max-event-subscribers), not ocppd itself.
        let client: Bool
        /// The client's token: its stream ends when the token is removed (event `token.revoked`, from any node) or
        /// expires.
        let token: String?
        let expiresAt: Date?
        let continuation: AsyncStream<Item>.Continuation
        let lagged: LaggedFlag
    }

    let bufferSize: Int
    /// This node's id in the journal ('' on a single ocppd).
    nonisolated let node: String
    nonisolated let journal: (any EventLog)?
    /// The number of this node's last event, and the journal's queue, in one lock: events are kept in number order.
    /// `publish` runs off the actor, on any task; the journal's own lock is taken inside this one, never around it.
    private nonisolated let sequence: Locked<Int64>
    /// Kept events reach the bus in order through here (the journal hears of commits on the writer's thread).
    private nonisolated let kept: AsyncStream<Delivery>.Continuation

    private enum Delivery {
        case kept([JournaledEvent])
        /// A heartbeat, which rides the journal's queue unwritten so as to reach subscribers in its place.
        case unkept(GatewayEvent)
    }
    /// The last event delivered of each node.
    private var heads = EventCursor()
    private var subscribers: [Int: Subscriber] = [:] {
        didSet { listeningToHeartbeats.store(subscribers.values.count(where: \.heartbeats), ordering: .relaxed) }
    }
    /// Read without a hop to the actor by every Heartbeat, to build no heartbeat event nobody listens to. Written only
    /// by the actor (`subscribers`' didSet). Relaxed: a stale count builds one heartbeat nobody gets, or misses one.
    private let listeningToHeartbeats = Atomic<Int>(0)
    private var nextId = 0
    private var keepAliveTask: Task<Void, Never>?

    /// `journal` nil: events are numbered and delivered at once, and kept nowhere (tests). `lastSeq`: the number of
    /// `node`'s last event in the journal.
    init(bufferSize: Int = 1024, node: String = "", journal: (any EventLog)? = nil, lastSeq: Int64 = 0) {
        self.bufferSize = bufferSize
        self.node = node
        self.journal = journal
        sequence = Locked(lastSeq)
        heads.positions[node] = lastSeq
        let (stream, continuation) = AsyncStream.makeStream(of: Delivery.self)
        kept = continuation
        Task { await self.deliverKept(stream) }
    }

    private func deliverKept(_ stream: AsyncStream<Delivery>) async {
        for await delivery in stream {
            switch delivery {
            case .kept(let events): deliver(events)
            case .unkept(let event): deliverUnkept(event)
            }
        }
    }

    var subscriberCount: Int { subscribers.count }

    /// Whether any subscriber would get an event of `type` now: always true but for the opt-in heartbeats, since every
    /// other event is kept for clients that reconnect.
    nonisolated func wants(_ type: String) -> Bool {
        Self.optInTypes.contains(type) ? listeningToHeartbeats.load(ordering: .relaxed) > 0 : true
    }

    /// Publishes an event of `type` about station `cpId`, now. A heartbeat is built only if a subscriber asked for them.
    nonisolated func publish(_ type: String, cpId: String, _ fields: @autoclosure () -> JSONObject = [:]) async {
        guard wants(type) else { return }
        await publish(GatewayEvent(type: type, cpId: cpId, at: Date(), fields: fields()))
    }

    /// Numbers `event` and has the journal keep it; subscribers get it once it is kept (or once keeping it failed: live
    /// subscribers lose nothing when the database does). Heartbeats are not kept nor numbered, but wait their turn.
    nonisolated func publish(_ event: GatewayEvent) async {
        let unkept = Self.optInTypes.contains(event.type)
        guard let journal else {
            if unkept { return await deliverUnkept(event) }
            let seq = sequence.withLock { seq in
                seq += 1
                return seq
            }
            await deliver([JournaledEvent(node: node, seq: seq, event: event)])
            return
        }
        let kept = kept
        // The JSON is made before the lock that every station's events take.
        let data = unkept ? "" : event.jsonText
        // Numbered and queued in one lock, so that the journal keeps them in number order; the writer is woken after it.
        let submit = sequence.withLock { seq in
            if unkept {
                return journal.enqueue([]) { _ in kept.yield(.unkept(event)) }
            }
            seq += 1
            let item = JournaledEvent(node: node, seq: seq, event: event, data: data)
            return journal.enqueue([item]) { _ in kept.yield(.kept([item])) }
        }
        if submit { journal.submitQueued() }
    }

    /// Events other nodes kept, in each node's order (`EventTail`).
    func deliverRemote(_ events: [JournaledEvent]) {
        deliver(events)
    }

    /// Another node's events up to `seq` are not live any more (they were kept before this node looked): subscribers
    /// start after them.
    func skipRemote(node: String, upTo seq: Int64) {
        heads.advance(to: EventPosition(node: node, seq: seq))
    }

    /// Events only subscribers that ask for them get: heartbeats are many and most consumers
    /// (and the documented stream) do without them.
    static let optInTypes: Set<String> = ["station.heartbeat"]

    /// The last event delivered of each node.
    var delivered: EventCursor { heads }

    /// A client's `subscribe(cpId:heartbeats:)`, or nil when `limit` clients are there already (0: no limit). ocppd's own
    /// subscribers (site load management) do not count.
    func subscribe(cpId: String?, heartbeats: Bool, limit: Int, token: String? = nil, expiresAt: Date? = nil) -> Subscription? {
        guard limit == 0 || subscribers.values.count(where: \.client) < limit else { return nil }
        return subscribe(cpId: cpId, heartbeats: heartbeats, client: true, token: token, expiresAt: expiresAt)
    }

    /// Subscribes to every event, or to one station's; `heartbeats` adds `station.heartbeat` events.
    func subscribe(
        cpId: String?, heartbeats: Bool = false, client: Bool = false, token: String? = nil, expiresAt: Date? = nil
    ) -> Subscription {
        nextId += 1
        let (stream, continuation) = AsyncStream.makeStream(of: Item.self, bufferingPolicy: .bufferingOldest(bufferSize))
        let lagged = LaggedFlag()
        let subscription = Subscription(id: nextId, items: stream, start: heads, lagged: lagged)
        let id = nextId
        continuation.onTermination = { [weak self] _ in
            Task { await self?.remove(id) }
        }
        subscribers[id] = Subscriber(
            cpId: cpId, heartbeats: heartbeats, client: client, token: token, expiresAt: expiresAt, continuation: continuation,
            lagged: lagged)
        return subscription
    }

    func unsubscribe(_ subscription: Subscription) {
        subscribers[subscription.id]?.continuation.finish()
        subscribers[subscription.id] = nil
    }

    private func remove(_ id: Int) {
        subscribers[id] = nil
    }

    private func deliver(_ events: [JournaledEvent]) {
        for item in events {
            // Each node's events come in order; one delivered already (a tail read twice) is not sent again.
            let position = EventPosition(node: item.node, seq: item.seq)
            guard heads.isBefore(position) else { continue }
            heads.advance(to: position)
            for (id, subscriber) in subscribers where subscriber.cpId == nil || subscriber.cpId == item.event.cpId {
                deliver(.event(item.event, position: position), to: id, subscriber)
            }
            if item.event.type == "token.revoked", case .string(let name)? = item.event.fields["name"] {
                end { $0.token == name }
            }
        }
    }

    /// Ends the streams of the subscribers that `matching` picks (a removed or expired token's).
    private func end(where matching: (Subscriber) -> Bool) {
        for (id, subscriber) in subscribers where matching(subscriber) {
            subscriber.continuation.finish()
            subscribers[id] = nil
        }
    }

    private func deliverUnkept(_ event: GatewayEvent) {
        for (id, subscriber) in subscribers where subscriber.heartbeats && (subscriber.cpId == nil || subscriber.cpId == event.cpId) {
            deliver(.event(event, position: nil), to: id, subscriber)
        }
    }

    /// A subscriber whose buffer is full fell behind: it is dropped and its stream ends.
    private func deliver(_ item: Item, to id: Int, _ subscriber: Subscriber) {
        if case .dropped = subscriber.continuation.yield(item) {
            subscriber.lagged.value.store(true, ordering: .releasing)
            subscriber.continuation.finish()
            subscribers[id] = nil
        }
    }

    /// Sends a keep-alive to every subscriber every `interval` until `stop()`.
    func startKeepAlive(every interval: Duration) {
        keepAliveTask?.cancel()
        keepAliveTask = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                await self?.keepAlive()
            }
        }
    }

    private func keepAlive() {
        let now = Date()
        end { $0.expiresAt.map { $0 <= now } ?? false }
        for (id, subscriber) in subscribers { deliver(.keepAlive, to: id, subscriber) }
    }

    /// Ends every stream (shutdown).
    func stop() {
        keepAliveTask?.cancel()
        kept.finish()
        for subscriber in subscribers.values { subscriber.continuation.finish() }
        subscribers.removeAll()
    }
}
