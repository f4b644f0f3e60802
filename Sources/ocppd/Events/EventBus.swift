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

    /// The event's `data` object: type, cpId and at first, then its fields.
    var json: JSONValue {
        var object: JSONObject = ["type": .string(type), "cpId": .string(cpId), "at": .string(OCPPDate.format(at))]
        for member in fields.members { object[member.key] = member.value }
        return .object(object)
    }
}

/// Fans events out to subscribers. Each subscriber has a bounded buffer: one that falls behind is
/// dropped (it sees `lagged` and its stream ends) so that a slow consumer never slows the gateway.
actor EventBus {
    enum Item: Sendable {
        case event(GatewayEvent)
        case keepAlive
    }

    /// A subscriber's view: its items, and whether it was dropped for falling behind. The bus does not keep it:
    /// once nobody holds it (its stream ended, or its response was never sent because the client left first), its
    /// stream is cancelled and the bus forgets the subscriber.
    final class Subscription: Sendable {
        let items: AsyncStream<Item>
        let id: Int
        fileprivate let laggedFlag: LaggedFlag

        fileprivate init(id: Int, items: AsyncStream<Item>, lagged: LaggedFlag) {
            self.id = id
            self.items = items
            laggedFlag = lagged
        }

        var lagged: Bool { laggedFlag.value.load(ordering: .acquiring) }
    }

    fileprivate final class LaggedFlag: Sendable {
        let value = Atomic<Bool>(false)
    }

    private struct Subscriber {
        let cpId: String?
        let heartbeats: Bool
        let continuation: AsyncStream<Item>.Continuation
        let lagged: LaggedFlag
    }

    let bufferSize: Int
    private var subscribers: [Int: Subscriber] = [:] {
        didSet {
            listening.store(subscribers.count, ordering: .relaxed)
            listeningToHeartbeats.store(subscribers.values.count(where: \.heartbeats), ordering: .relaxed)
        }
    }
    // Read without a hop to the actor by every handler, to build no event nobody listens to.
    private let listening = Atomic<Int>(0)
    private let listeningToHeartbeats = Atomic<Int>(0)
    private var nextId = 0
    private var keepAliveTask: Task<Void, Never>?

    init(bufferSize: Int = 1024) {
        self.bufferSize = bufferSize
    }

    var subscriberCount: Int { subscribers.count }

    /// Whether any subscriber would get an event of `type`.
    nonisolated func wants(_ type: String) -> Bool {
        Self.optInTypes.contains(type) ? listeningToHeartbeats.load(ordering: .relaxed) > 0 : listening.load(ordering: .relaxed) > 0
    }

    /// Publishes an event of `type` about station `cpId`, now, if any subscriber would get it: the fields are built
    /// and the hop to the bus is made only then. Most of the time nobody listens.
    nonisolated func publish(_ type: String, cpId: String, _ fields: @autoclosure () -> JSONObject = [:]) async {
        guard wants(type) else { return }
        await publish(GatewayEvent(type: type, cpId: cpId, at: Date(), fields: fields()))
    }

    /// Events only subscribers that ask for them get: heartbeats are many and most consumers
    /// (and the documented stream) do without them.
    static let optInTypes: Set<String> = ["station.heartbeat"]

    /// `subscribe(cpId:heartbeats:)`, or nil when `limit` subscribers are there already (0: no limit).
    func subscribe(cpId: String?, heartbeats: Bool, limit: Int) -> Subscription? {
        limit == 0 || subscribers.count < limit ? subscribe(cpId: cpId, heartbeats: heartbeats) : nil
    }

    /// Subscribes to every event, or to one station's; `heartbeats` adds `station.heartbeat` events.
    func subscribe(cpId: String?, heartbeats: Bool = false) -> Subscription {
        nextId += 1
        let (stream, continuation) = AsyncStream.makeStream(of: Item.self, bufferingPolicy: .bufferingOldest(bufferSize))
        let lagged = LaggedFlag()
        let subscription = Subscription(id: nextId, items: stream, lagged: lagged)
        let id = nextId
        continuation.onTermination = { [weak self] _ in
            Task { await self?.remove(id) }
        }
        subscribers[id] = Subscriber(cpId: cpId, heartbeats: heartbeats, continuation: continuation, lagged: lagged)
        return subscription
    }

    func unsubscribe(_ subscription: Subscription) {
        subscribers[subscription.id]?.continuation.finish()
        subscribers[subscription.id] = nil
    }

    private func remove(_ id: Int) {
        subscribers[id] = nil
    }

    func publish(_ event: GatewayEvent) {
        let optIn = Self.optInTypes.contains(event.type)
        for (id, subscriber) in subscribers
        where (subscriber.cpId == nil || subscriber.cpId == event.cpId) && (!optIn || subscriber.heartbeats) {
            deliver(.event(event), to: id, subscriber)
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
        for (id, subscriber) in subscribers { deliver(.keepAlive, to: id, subscriber) }
    }

    /// Ends every stream (shutdown).
    func stop() {
        keepAliveTask?.cancel()
        for subscriber in subscribers.values { subscriber.continuation.finish() }
        subscribers.removeAll()
    }
}
