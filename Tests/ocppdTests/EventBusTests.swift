import Foundation
import Shared
import Testing

@testable import ocppd

@Suite struct EventBusTests {
    private func next(_ subscription: EventBus.Subscription) async -> String? {
        var iterator = subscription.items.makeAsyncIterator()
        guard case .event(let event, _) = await iterator.next() else { return nil }
        return event.type
    }

    @Test func heartbeatsGoOnlyToSubscribersThatAskForThem() async {
        let bus = EventBus(bufferSize: 8)
        let plain = await bus.subscribe(cpId: nil)
        let withHeartbeats = await bus.subscribe(cpId: nil, heartbeats: true)
        await bus.publish(GatewayEvent(type: "station.heartbeat", cpId: "CP1", at: Date(), fields: [:]))
        await bus.publish(GatewayEvent(type: "connector.status", cpId: "CP1", at: Date(), fields: [:]))
        #expect(await next(plain) == "connector.status")
        #expect(await next(withHeartbeats) == "station.heartbeat")
    }

    @Test func heartbeatsAreBuiltOnlyWhenSomeoneAskedAndOtherEventsAlwaysSinceTheyAreKept() async {
        let bus = EventBus(bufferSize: 8)
        var built = 0
        func fields() -> JSONObject {
            built += 1
            return ["connectorId": 1]
        }
        await bus.publish("station.heartbeat", cpId: "CP1", fields())
        #expect(built == 0 && bus.wants("connector.status") && !bus.wants("station.heartbeat"))
        await bus.publish("connector.status", cpId: "CP1", fields())
        #expect(built == 1)

        let plain = await bus.subscribe(cpId: nil)
        #expect(plain.start.positions == ["": 1])
        await bus.publish("station.heartbeat", cpId: "CP1", fields())
        await bus.publish("connector.status", cpId: "CP1", fields())
        #expect(built == 2)
        #expect(await next(plain) == "connector.status")

        let withHeartbeats = await bus.subscribe(cpId: nil, heartbeats: true)
        #expect(bus.wants("station.heartbeat"))
        await bus.unsubscribe(withHeartbeats)
        await bus.unsubscribe(plain)
        #expect(!bus.wants("station.heartbeat"))
    }

    @Test func aSubscriberThatFallsBehindIsDroppedAndMarkedLagged() async {
        let bus = EventBus(bufferSize: 2)
        let slow = await bus.subscribe(cpId: nil)
        for i in 0..<5 { await bus.publish(GatewayEvent(type: "e\(i)", cpId: "CP1", at: Date(), fields: [:])) }
        #expect(slow.lagged)
        #expect(await bus.subscriberCount == 0)
        var received: [String] = []
        for await item in slow.items { if case .event(let event, _) = item { received.append(event.type) } }
        #expect(received == ["e0", "e1"])
    }

    private func eventually(_ condition: () async -> Bool) async throws -> Bool {
        for _ in 0..<500 {
            if await condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    @Test func aSubscriptionNobodyHoldsAnyMoreIsForgotten() async throws {
        // As when a client leaves before its event-stream response was sent: nothing reads or unsubscribes.
        let bus = EventBus()
        var subscription: EventBus.Subscription? = await bus.subscribe(cpId: "CP-NOBODY-WATCHES")
        #expect(await bus.subscriberCount == 1 && subscription != nil)
        subscription = nil
        #expect(try await eventually { await bus.subscriberCount == 0 })
    }

    @Test func onlyClientsCountAgainstTheSubscriberLimit() async throws {
        let bus = EventBus()
        let own = await bus.subscribe(cpId: nil)  // ocppd's own, as site load management
        let client = await bus.subscribe(cpId: nil, heartbeats: false, limit: 1)
        #expect(client != nil, "ocppd's own subscriber took the one client's place")
        #expect(await bus.subscribe(cpId: nil, heartbeats: false, limit: 1) == nil)
        await bus.unsubscribe(own)
    }

    @Test func aStalledSubscriberIsDroppedByKeepAlivesToo() async throws {
        let bus = EventBus(bufferSize: 2)
        let stalled = await bus.subscribe(cpId: "CP-QUIET")
        await bus.startKeepAlive(every: .milliseconds(5))
        #expect(try await eventually { await bus.subscriberCount == 0 })
        #expect(stalled.lagged)
        await bus.stop()
    }

    @Test func aLimitOfZeroMeansNoLimit() async {
        let bus = EventBus()
        var held: [EventBus.Subscription] = []
        for _ in 0..<3 { if let s = await bus.subscribe(cpId: nil, heartbeats: false, limit: 0) { held.append(s) } }
        #expect(held.count == 3)
        #expect(await bus.subscribe(cpId: nil, heartbeats: false, limit: 3) == nil)
    }
}
