import Foundation
import Shared
import Testing

@testable import ocppd

@Suite struct ClusterSettingsTests {
    private func resolve(
        nodeId: String? = "n1", url: String? = "http://10.0.0.11:3000/", secret: String? = "0123456789abcdef", file: String? = nil,
        mariaDB: Bool = true
    ) throws -> ClusterSettings? {
        try ClusterSettings.resolve(nodeId: nodeId, nodeURL: url, secret: secret, secretFile: file, onMariaDB: mariaDB)
    }

    @Test func withoutANodeIdNothingChangesAndClusterSettingsAloneAreAnError() throws {
        #expect(try resolve(nodeId: nil, url: nil, secret: nil) == nil)
        #expect(throws: ConfigurationError.self) { try resolve(nodeId: nil) }
    }

    @Test func clusterModeNeedsMariaDBAURLAndASecretOfSixteenCharacters() throws {
        let settings = try #require(try resolve())
        #expect(settings.nodeURL == "http://10.0.0.11:3000" && settings.nodeId == "n1")
        for bad in [
            { try resolve(mariaDB: false) }, { try resolve(url: nil) }, { try resolve(url: "ftp://x") }, { try resolve(secret: "short") },
            { try resolve(secret: nil) }, { try resolve(nodeId: "has space") }, { try resolve(nodeId: "a:b") },
            { try resolve(file: "/nonexistent") },
        ] as [() throws -> ClusterSettings?] {
            #expect(throws: ConfigurationError.self) { try bad() }
        }
        do {
            _ = try resolve(mariaDB: false)
        } catch let error as ConfigurationError {
            #expect(error.description.contains("MariaDB"))
        }
    }

    @Test func theSecretComesFromAFileTrimmedAndIsNeverInTheDescription() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)").path
        try "  a-secret-from-a-file-0123\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let settings = try #require(try resolve(secret: nil, file: path))
        #expect(settings.secret == "a-secret-from-a-file-0123")
        #expect(!"\(settings)".contains("secret-from"))
    }
}

@Suite struct EventCursorTests {
    @Test func aSingleNodesIdIsItsNumberAndAClustersNamesEachNode() throws {
        #expect(EventCursor(positions: ["": 42]).description == "42")
        #expect(EventCursor(positions: ["b": 17, "a": 42]).description == "a:42,b:17")
        #expect(try #require(EventCursor(lastEventId: "42")).positions == ["": 42])
        #expect(try #require(EventCursor(lastEventId: "a:42,b:17")).positions == ["a": 42, "b": 17])
        for text in ["a:42,b:17", "42", "n-1.x_y:0"] {
            #expect(try #require(EventCursor(lastEventId: text)).description == text)
        }
    }

    @Test func anIdOcppdCouldNotHaveSentIsNone() {
        for text in ["", "x", "-1", "a:", "a:-3", "a:1,a:2", "a b:1", "a:1,,b:2", "a:1;b:2"] {
            #expect(EventCursor(lastEventId: text) == nil, "\(text)")
        }
    }

    @Test func aCursorAdvancesPerNodeAndKnowsWhatCameBefore() {
        var cursor = EventCursor(positions: ["a": 5])
        #expect(!cursor.isBefore(EventPosition(node: "a", seq: 5)))
        #expect(cursor.isBefore(EventPosition(node: "a", seq: 6)) && cursor.isBefore(EventPosition(node: "b", seq: 1)))
        cursor.advance(to: EventPosition(node: "b", seq: 3))
        cursor.advance(to: EventPosition(node: "a", seq: 4))
        #expect(cursor.positions == ["a": 5, "b": 3])
    }
}

@Suite("Cluster rows")
struct ClusterStoreTests {
    private func clusterStore(_ store: any Store) throws -> any ClusterStore {
        try #require(store as? any ClusterStore)
    }

    @Test("ownership epochs only grow, and a stale release changes nothing", arguments: StoreBackend.all)
    func ownershipEpochs(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let cluster = try clusterStore(store)
            let first = try await cluster.takeOwnership("CP1", node: "a", securityProfile: nil, at: time(0))
            let second = try await cluster.takeOwnership("CP1", node: "b", securityProfile: nil, at: time(1))
            #expect(second > first)
            // a's socket closes after b took the station: a's release must not clear b's ownership.
            #expect(try await !cluster.releaseOwnership("CP1", node: "a", epoch: first, at: time(2)))
            #expect(try await cluster.owners("CP1") == [Ownership(cpId: "CP1", nodeId: "b", epoch: second)])
            #expect(try await cluster.releaseOwnership("CP1", node: "b", epoch: second, at: time(3)))
            #expect(try await cluster.owners("CP1") == [Ownership(cpId: "CP1", nodeId: nil, epoch: second)])
            #expect(try await cluster.owners(nil).isEmpty)
            let third = try await cluster.takeOwnership("CP1", node: "a", securityProfile: nil, at: time(4))
            try await cluster.revokeOwnership("CP1", at: time(5))
            let revoked = try #require(try await cluster.owners("CP1").first)
            #expect(revoked.nodeId == nil && revoked.epoch > third)
            #expect(try await cluster.ownershipChanges(since: time(5)).map(\.cpId) == ["CP1"])
            #expect(try await cluster.ownershipChanges(since: time(6)).isEmpty)
        }
    }

    @Test("nodes are rows with the stations they hold", arguments: StoreBackend.all)
    func nodeRows(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let cluster = try clusterStore(store)
            try await cluster.renewNode("a", url: "http://a:3000", startedAt: time(0), at: time(1))
            try await cluster.renewNode("b", url: "http://b:3000", startedAt: time(0), at: time(1))
            try await cluster.renewNode("a", url: "http://a:3000", startedAt: time(0), at: time(3))
            for id in ["CP1", "CP2"] { _ = try await cluster.takeOwnership(id, node: "a", securityProfile: nil, at: time(3)) }
            _ = try await cluster.takeOwnership("CP3", node: "b", securityProfile: nil, at: time(3))
            try await cluster.markNodeStopped("b", at: time(4))
            try await cluster.releaseAll(node: "b", at: time(4))
            let nodes = try await cluster.nodes()
            #expect(nodes.map(\.id) == ["a", "b"])
            #expect(nodes[0].lastSeenAt == time(3) && nodes[0].stations == 2 && nodes[0].stoppedAt == nil)
            #expect(nodes[1].stations == 0 && nodes[1].stoppedAt == time(4))
            // Starting again clears the stop.
            try await cluster.renewNode("b", url: "http://b:3001", startedAt: time(5), at: time(5))
            #expect(
                try await cluster.nodes()[1] == NodeRow(id: "b", url: "http://b:3001", startedAt: time(5), lastSeenAt: time(5), stations: 0)
            )
        }
    }
}

@Suite("Event journal")
struct EventJournalTests {
    private func journal(_ store: any Store) throws -> any EventLog {
        let store = try #require(store as? any SQLStore)
        return makeJournal(store)
    }

    private func makeJournal<S: SQLStore>(_ store: S) -> any EventLog { EventJournal(store: store) }

    @Test("events are kept in each node's order and read back after a number", arguments: StoreBackend.all)
    func keptInOrder(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let log = try journal(store)
            let bus = EventBus(node: "a", journal: log, lastSeq: try await log.lastSeq(node: "a"))
            let subscription = await bus.subscribe(cpId: nil)
            #expect(subscription.start.positions == ["a": 0])
            for i in 1...250 {
                await bus.publish(
                    GatewayEvent(type: "connector.status", cpId: "CP\(i % 3)", at: time(i), fields: ["n": .integer(Int64(i))]))
            }
            var delivered: [Int64] = []
            for await item in subscription.items {
                guard case .event(_, let position?) = item else { continue }
                delivered.append(position.seq)
                if delivered.count == 250 { break }
            }
            #expect(delivered == Array(1...250))
            #expect(try await log.lastSeq(node: "a") == 250)
            #expect(try await log.lastSeq(node: "a", before: time(11)) == 10)
            let after = try await log.events(node: "a", after: 240, cpId: nil, limit: 100)
            #expect(after.map(\.seq) == Array(241...250))
            #expect(after.first?.event.fields["n"] == .integer(241) && after.first?.event.type == "connector.status")
            #expect(try await log.events(node: "a", after: 0, cpId: "CP1", limit: 3).map(\.seq) == [1, 4, 7])
            #expect(try await log.nodes() == ["a"])
            try await log.prune(node: "a", before: time(101))
            #expect(try await log.events(node: "a", after: 0, cpId: nil, limit: 1).first?.seq == 101)
            // A node that starts again goes on from its last number.
            let again = EventBus(node: "a", journal: log, lastSeq: try await log.lastSeq(node: "a"))
            #expect(await again.delivered.positions == ["a": 250])
            await bus.stop()
            await again.stop()
        }
    }

    @Test("webhooks read every node's events merged by time, each node's in its order, up to what a full page allows")
    func webhookMerge() async throws {
        try await withStore(.sqlite) { store, _ in
            let log = try journal(store)
            let a = EventBus(node: "a", journal: log, lastSeq: 0)
            let b = EventBus(node: "b", journal: log, lastSeq: 0)
            // a at 1, 3, 5 ...; b at 2, 4, 6 ...; and a's last one stamped before its previous (a clock stepped back).
            for i in 1...6 {
                await a.publish(GatewayEvent(type: "t", cpId: "CP", at: time(2 * i - 1), fields: [:]))
                await b.publish(GatewayEvent(type: "t", cpId: "CP", at: time(2 * i), fields: [:]))
            }
            await a.publish(GatewayEvent(type: "t", cpId: "CP", at: time(0), fields: [:]))
            var waited = 0
            while try await log.lastSeq(node: "a") + log.lastSeq(node: "b") < 13, waited < 500 {
                try await Task.sleep(for: .milliseconds(10))
                waited += 1
            }
            func labels(_ events: [JournaledEvent]) -> [String] { events.map { "\($0.node)\($0.seq)" } }
            let all = try await WebhookDispatcher.next(after: EventCursor(), in: log, nodes: ["a", "b"])
            #expect(labels(all) == ["a1", "b1", "a2", "b2", "a3", "b3", "a4", "b4", "a5", "b5", "a6", "a7", "b6"])
            let later = try await WebhookDispatcher.next(after: EventCursor(positions: ["a": 5, "b": 2]), in: log, nodes: ["a"])
            #expect(labels(later) == ["b3", "b4", "b5", "a6", "a7", "b6"])
            // Pages of 2: a's full page ends at 3 s, so nothing later than that goes yet (a's next page could be earlier).
            let paged = try await WebhookDispatcher.next(after: EventCursor(), in: log, nodes: ["a", "b"], pageSize: 2)
            #expect(labels(paged) == ["a1", "b1", "a2"])
            await a.stop()
            await b.stop()
        }
    }
}
