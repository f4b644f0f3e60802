import Foundation
import Logging
import Shared
import Synchronization

/// This node's part in a cluster of ocppd on one database: its row, which it renews, the stations it holds, which it
/// records as it accepts them, and what it learns of the others from their rows. There is no other channel between
/// nodes than the store and the forwarded commands (`NodeClient`): Galera is the only shared engine.
final class Cluster: Sendable {
    let settings: ClusterSettings
    let store: any ClusterStore
    let registry: ConnectionRegistry
    let client: NodeClient
    let retry: StoreRetry
    let logger: Logger
    let startedAt = Date()

    /// How often a node renews its row.
    static let renewInterval = Duration.seconds(2)
    /// A node whose row was not renewed for this long is dead (a Galera node that left the cluster blocks commits for
    /// about 5 s before the others carry on; a shorter limit would call every node dead then).
    static let deadAfter: TimeInterval = 8
    /// How often ownership rows are read for stations another node took.
    static let ownershipPollInterval = Duration.seconds(1)
    /// How far back each ownership poll looks: changes are read again for a while, so that one written with a clock a
    /// little behind ours, or committed late, is still seen.
    static let ownershipLookBack: TimeInterval = 10
    /// A node whose database has not answered for this long sends its stations away (the others will call it dead).
    static let sendAwayAfter = Duration.seconds(5)

    private struct Held {
        var connection: ObjectIdentifier
        var epoch: Int64
    }

    /// The ownership epoch of each station connected here, once recorded. Changed by the connections' tasks (`acquire`,
    /// `release`) and the loop (`closeStale`), each test-and-change one step under the lock; entries are matched by
    /// connection, so an older connection never removes a newer one's.
    private let held = Locked<[String: Held]>([:])
    /// The nodes as last read, for liveness without a read per request. Replaced whole by the loop and `nodes()`, read
    /// by requests; the lock guards the swap.
    private let knownNodes = Locked<[NodeRow]>([])
    /// The loop's task: set by `start`, taken and cancelled by `stop`; the lock makes the hand-over between them safe.
    private let loop = Locked<Task<Void, Never>?>(nil)
    /// False while the Galera node is outside the Primary component or the database does not answer: this node's
    /// stations were sent away and new ones are not taken, so that they reconnect, through the load balancer, to a node
    /// that can write. Changed only by the loop (an exchange, so each change is logged once); read relaxed by
    /// `acquire`, handshakes and /readyz: a station registered before a change to false is closed by `closeAll`.
    private let serving = Atomic<Bool>(true)

    /// `trustedChainFile`: this node's TLS certificate chain, whose certificates it trusts in the other nodes' too.
    init(
        settings: ClusterSettings, store: any ClusterStore, registry: ConnectionRegistry, retry: StoreRetry, logger: Logger,
        trustedChainFile: String? = nil, callTimeout: Duration = .seconds(30)
    ) {
        self.settings = settings
        self.store = store
        self.registry = registry
        self.retry = retry
        self.logger = logger
        // A forwarded command's answer may take two call timeouts (one command waiting ahead of it); a file whose bytes
        // stop coming for longer than that is given up.
        client = NodeClient(secret: settings.secret, trustingChainFile: trustedChainFile, readTimeout: callTimeout * 2 + .seconds(30))
    }

    var nodeId: String { settings.nodeId }

    /// Whether this node takes stations: false while its Galera node is outside the Primary component or its database
    /// does not answer.
    var isServing: Bool { serving.load(ordering: .relaxed) }

    /// Joins: this node holds no station yet (rows left by a crash of it are cleared) and says it is alive.
    func start() async throws {
        try await store.releaseAll(node: nodeId, at: Date())
        try await store.renewNode(nodeId, url: settings.nodeURL, startedAt: startedAt, at: Date())
        knownNodes.withLock { $0 = [] }
        await refreshNodes()
        logger.info("cluster node started", metadata: ["node": "\(nodeId)", "url": "\(settings.nodeURL)"])
        let task = Task { [self] in await run() }
        loop.withLock { $0 = task }
    }

    /// Leaves cleanly: the others see at once that this node holds nothing and is stopped.
    func stop() async {
        loop.withLock { $0 }?.cancel()
        do {
            try await store.releaseAll(node: nodeId, at: Date())
            try await store.markNodeStopped(nodeId, at: Date())
        } catch {
            logger.warning("could not mark this node stopped; the others will see it dead", metadata: ["error": "\(error)"])
        }
        await client.shutdown()
    }

    private func run() async {
        var lastRenewal = ContinuousClock.now
        var lastPoll = Date().addingTimeInterval(-Self.ownershipLookBack)
        while !Task.isCancelled {
            do { try await Task.sleep(for: Self.ownershipPollInterval) } catch { return }
            if ContinuousClock.now - lastRenewal >= Self.renewInterval - .milliseconds(100) {
                do {
                    try await store.renewNode(nodeId, url: settings.nodeURL, startedAt: startedAt, at: Date())
                    lastRenewal = .now
                    await setServing(true, reason: "the store answers again")
                } catch {
                    logger.warning("could not renew this node's row", metadata: ["error": "\(error)"])
                    if ContinuousClock.now - lastRenewal > Self.sendAwayAfter {
                        await setServing(false, reason: "this node's database has not answered for \(Self.sendAwayAfter)")
                    }
                }
            }
            await checkGalera()
            await refreshNodes()
            let pollStarted = Date()
            do {
                let changes = try await store.ownershipChanges(since: lastPoll.addingTimeInterval(-Self.ownershipLookBack))
                await closeStale(changes)
                lastPoll = pollStarted
            } catch {
                logger.warning("could not read station ownership", metadata: ["error": "\(error)"])
            }
        }
    }

    /// A Galera node that lost the Primary component cannot commit: its stations' messages would only fail. It closes
    /// their sockets so that they reconnect to the majority (its /readyz says 503, so the load balancer sends them there).
    private func checkGalera() async {
        guard let mariaDB = store as? MariaDBStore, let status = await mariaDB.galeraStatus() else { return }
        await setServing(status.refusal == nil, reason: status.refusal ?? "the Galera node is in the Primary component again")
    }

    /// A node that cannot write sends its stations away, so that they reconnect through the load balancer to a node
    /// that can, and takes none until it can again.
    private func setServing(_ value: Bool, reason: String) async {
        guard serving.exchange(value, ordering: .relaxed) != value else { return }
        guard !value else {
            logger.notice("\(reason): taking stations")
            return
        }
        let count = await registry.count
        logger.error("\(reason): closing the connections of this node's stations", metadata: ["stations": "\(count)"])
        await registry.closeAll(code: .goingAway, reason: "this node cannot reach the cluster's database")
    }

    private func refreshNodes() async {
        do {
            let nodes = try await store.nodes()
            knownNodes.withLock { $0 = nodes }
        } catch {
            logger.warning("could not read the cluster's nodes", metadata: ["error": "\(error)"])
        }
    }

    /// Closes the local sockets of stations another node took since (or that an operator removed): the station is there
    /// now, or gone.
    func closeStale(_ changes: [Ownership]) async {
        // A newer epoch naming this node is this node's own newer connection of the station, being recorded.
        let stale = held.withLock { held in
            changes.compactMap { change -> (Ownership, ObjectIdentifier)? in
                guard let mine = held[change.cpId], change.epoch > mine.epoch, change.nodeId != nodeId else { return nil }
                return (change, mine.connection)
            }
        }
        for (change, mine) in stale {
            guard let connection = await registry.connection(change.cpId), ObjectIdentifier(connection) == mine else { continue }
            let owner = change.nodeId.map { "node \($0)" } ?? "no node"
            logger.notice(
                "station is held elsewhere now: closing its stale connection here",
                metadata: ["station": "\(change.cpId)", "owner": "\(owner)", "epoch": "\(change.epoch)"])
            held.withLock { held in
                if held[change.cpId]?.connection == mine { held[change.cpId] = nil }
            }
            await connection.close(code: .normalClosure, reason: "the station is connected to another node")
        }
    }

    // MARK: Stations of this node

    /// Records that this node holds `connection`'s station, before any of its messages is answered. False when it could
    /// not be recorded: the connection must then be closed, or the cluster would not find the station.
    func acquire(_ connection: StationConnection) async -> Bool {
        guard serving.load(ordering: .relaxed) else {
            logger.notice(
                "not taking a station: this node cannot write to the cluster's database", metadata: ["station": "\(connection.id)"])
            return false
        }
        do {
            let epoch = try await retry { [store, nodeId] in
                do {
                    return try await store.takeOwnership(
                        connection.id, node: nodeId, securityProfile: connection.securityProfile, at: Date())
                } catch StoreError.conflict {
                    // Another node inserted the station's first row at the same moment: the row exists now.
                    return try await store.takeOwnership(
                        connection.id, node: nodeId, securityProfile: connection.securityProfile, at: Date())
                }
            }
            held.withLock { $0[connection.id] = Held(connection: ObjectIdentifier(connection), epoch: epoch) }
            return true
        } catch {
            logger.error(
                "could not record that this node holds the station: closing its connection",
                metadata: ["station": "\(connection.id)", "error": "\(error)"])
            return false
        }
    }

    /// The station left this node (it was the registry's current connection). False when this node did not hold it
    /// (any more): another node took it, or it was never recorded here; its leaving is then no news.
    func release(_ connection: StationConnection) async -> Bool {
        let mine = held.withLock { held -> Held? in
            guard let mine = held[connection.id], mine.connection == ObjectIdentifier(connection) else { return nil }
            held[connection.id] = nil
            return mine
        }
        guard let mine else { return false }
        do {
            // No row changed: another node took the station before this one heard its socket close.
            return try await store.releaseOwnership(connection.id, node: nodeId, epoch: mine.epoch, at: Date())
        } catch {
            logger.warning(
                "could not record that the station left this node; the next node to take it overrides",
                metadata: ["station": "\(connection.id)", "error": "\(error)"])
            return true
        }
    }

    // MARK: The cluster's view

    /// Returns once `node`'s row, as read every second, says it is dead; or when cancelled.
    func waitUntilDead(_ node: String) async {
        while !Task.isCancelled {
            if isDead(node) { return }
            do { try await Task.sleep(for: .seconds(1)) } catch { return }
        }
    }

    /// Whether `node` is known as dead, or not known at all (its row was never written, or removed).
    func isDead(_ node: String) -> Bool {
        guard let row = knownNodes.withLock({ $0.first { $0.id == node } }) else { return true }
        return !isAlive(row)
    }

    /// The ids of the nodes as last read (every 1 s), alive or not.
    var knownNodeIds: [String] {
        knownNodes.withLock { $0.map(\.id) }
    }

    /// Whether `node` renewed its row recently and did not stop.
    func isAlive(_ node: NodeRow, now: Date = Date()) -> Bool {
        node.id == nodeId || (node.stoppedAt == nil && now.timeIntervalSince(node.lastSeenAt) < Self.deadAfter)
    }

    /// The nodes as the store has them now.
    func nodes() async throws -> [NodeRow] {
        let nodes = try await store.nodes()
        knownNodes.withLock { $0 = nodes }
        return nodes
    }

    /// Which node holds each connected station, cluster-wide, read now: stations of dead nodes are not connected; this
    /// node's own stations are the ones its registry has.
    func connectedStations(_ cpId: String? = nil) async throws -> [String: StationHolder] {
        let owners = try await store.owners(cpId)
        let alive = Set(try await nodes().filter { isAlive($0) }.map(\.id))
        let local = await registry.byId
        var result: [String: StationHolder] = [:]
        for owner in owners {
            guard let node = owner.nodeId, node != nodeId, alive.contains(node) else { continue }
            result[owner.cpId] = StationHolder(node: node, securityProfile: owner.securityProfile)
        }
        for (id, connection) in local where cpId == nil || cpId == id {
            result[id] = StationHolder(node: nodeId, securityProfile: connection.securityProfile)
        }
        return result
    }

    /// Where a station is connected: the node, and the security profile its connection satisfied.
    struct StationHolder: Sendable, Equatable {
        var node: String
        var securityProfile: Int?
    }

    /// The live node other than this one that holds `cpId`, with its URL; nil when no live node does.
    func remoteOwner(of cpId: String) async throws -> NodeRow? {
        guard let owner = try await store.owners(cpId).first, let node = owner.nodeId, node != nodeId else { return nil }
        return try await liveNode(node)
    }

    /// Node `id` with its URL, while it is alive; nil when it is gone or unknown.
    func liveNode(_ id: String) async throws -> NodeRow? {
        try await nodes().first { $0.id == id && isAlive($0) }
    }
}
