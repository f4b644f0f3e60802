import Foundation
import Logging

/// Keeps the journal small and, in a cluster, brings the events the other nodes kept to this node's subscribers: each
/// node's new events are read in their order, a few times a second.
struct EventTail: Sendable {
    let bus: EventBus
    let log: any EventLog
    /// In a cluster: the nodes whose events to read, and whether a node is alive (a live node prunes its own events,
    /// any node those of the dead). nil on a single ocppd.
    let cluster: Cluster?
    let logger: Logger
    /// The last event of a node that everything else waiting on the journal (webhooks) has had: later ones are kept,
    /// for up to `longestHold`.
    var hold: (@Sendable (_ node: String) async -> Int64?)? = nil
    /// Events a webhook still waits for are kept this long at most (longer than it retries before it is disabled).
    var longestHold: TimeInterval = 25 * 3600

    /// How often the other nodes' events are read.
    static let interval = Duration.milliseconds(100)
    /// Events read per query.
    static let pageSize = 500
    /// How long events are kept for clients that reconnect: the promise is an hour.
    static let retention: TimeInterval = 90 * 60
    static let pruneInterval = Duration.seconds(60)

    /// Runs until cancelled.
    func run() async {
        let started = Date()
        var cursors: [String: Int64] = [:]
        var failing: Set<String> = []
        var lastPrune = ContinuousClock.now - Self.pruneInterval
        while !Task.isCancelled {
            do { try await Task.sleep(for: cluster == nil ? Self.pruneInterval : Self.interval) } catch { return }
            if ContinuousClock.now - lastPrune >= Self.pruneInterval {
                lastPrune = .now
                do {
                    for node in try await log.nodes() where node == bus.node || cluster?.isDead(node) ?? true {
                        var upTo = try await log.lastSeq(node: node, before: Date().addingTimeInterval(-Self.retention))
                        if let held = await hold?(node), held < upTo {
                            upTo = max(held, try await log.lastSeq(node: node, before: Date().addingTimeInterval(-longestHold)))
                        }
                        try await log.prune(node: node, upTo: upTo)
                    }
                } catch {
                    logger.warning("could not prune the event journal", metadata: ["error": "\(error)"])
                }
            }
            guard let cluster else { continue }
            for node in cluster.knownNodeIds where node != bus.node {
                do {
                    try await follow(node, from: &cursors, startedAt: started)
                    if failing.remove(node) != nil { logger.notice("reading another node's events again", metadata: ["node": "\(node)"]) }
                } catch {
                    // Once per outage, not ten times a second.
                    if failing.insert(node).inserted {
                        logger.warning(
                            "could not read another node's events; trying again", metadata: ["node": "\(node)", "error": "\(error)"])
                    }
                }
            }
        }
    }

    private func follow(_ node: String, from cursors: inout [String: Int64], startedAt: Date) async throws {
        if cursors[node] == nil {
            // Events kept before this node started are history (replayed on request), not live.
            let seq = try await log.lastSeq(node: node, before: startedAt)
            await bus.skipRemote(node: node, upTo: seq)
            cursors[node] = seq
        }
        while let after = cursors[node] {
            let events = try await log.events(node: node, after: after, cpId: nil, limit: Self.pageSize)
            guard let last = events.last else { return }
            await bus.deliverRemote(events)
            cursors[node] = last.seq
            if events.count < Self.pageSize { return }
        }
    }
}
