import Foundation

/// One connector of a site's station.
struct ConnectorKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    var cpId: String
    var connectorId: Int

    static func < (a: ConnectorKey, b: ConnectorKey) -> Bool {
        (a.cpId, a.connectorId) < (b.cpId, b.connectorId)
    }

    var description: String { "\(cpId)/\(connectorId)" }
}

/// A session running on a site, as the allocation sees it.
struct SiteSession: Sendable, Equatable {
    enum State: Sendable, Equatable {
        /// Charging, or able to (Charging, SuspendedEVSE: a car waiting at a 0 limit is suspended by its charger).
        case active
        /// The car takes nothing for now (SuspendedEV): it keeps the minimum, to resume when it wants.
        case idle
        /// The session is ending (Finishing): it needs nothing.
        case finishing
    }

    var key: ConnectorKey
    var transactionId: Int
    /// When the session started: who waits longest is admitted first.
    var startedAt: Date
    var state: State = .active
    /// At most this much, because the car has drawn clearly less than its share for a while (`DemandCap`); nil: no cap.
    var cap: Double? = nil
}

/// How a site's capacity is shared among its sessions, and in which order the new limits go out: pure functions, no I/O.
enum SiteAllocation {
    /// The limit of each session, in the site's unit and in steps of 0.1, summing to at most `limit`. Sessions are
    /// admitted in the order they started while each can have `minimum`; the others wait at 0. The admitted share the
    /// limit evenly, except that a session with a cap (or an idle one, capped at the minimum) takes no more than its
    /// cap and leaves the rest to the others.
    static func allocate(limit: Double, minimum: Double, sessions: [SiteSession]) -> [ConnectorKey: Double] {
        var result: [ConnectorKey: Double] = [:]
        let ordered = sessions.sorted { ($0.startedAt, $0.key) < ($1.startedAt, $1.key) }
        var admitted: [(key: ConnectorKey, cap: Double)] = []
        var reserved = 0.0
        for session in ordered {
            guard session.state != .finishing, minimum > 0 ? reserved + minimum <= limit + 1e-9 : true else {
                result[session.key] = 0
                continue
            }
            reserved += minimum
            let cap = session.state == .idle ? minimum : max(minimum, session.cap ?? .infinity)
            admitted.append((session.key, cap))
        }
        // Water-filling: the smallest caps first, each below an even share of what is left taking its cap; the rest
        // share what remains in equal parts.
        var remaining = max(0, limit)
        var left = admitted.count
        var equalShare: Double?
        for entry in admitted.sorted(by: { ($0.cap, $0.key) < ($1.cap, $1.key) }) {
            if equalShare == nil, entry.cap < remaining / Double(left) {
                let granted = roundedDown(entry.cap)
                result[entry.key] = granted
                remaining -= granted
                left -= 1
            } else {
                if equalShare == nil { equalShare = roundedDown(remaining / Double(left)) }
                result[entry.key] = equalShare
            }
        }
        return result
    }

    /// Down to a step of 0.1, never above `value` (floating point included).
    static func roundedDown(_ value: Double) -> Double {
        guard value.isFinite, value > 0 else { return 0 }
        // A tenth that floating point puts a hair below (33333.4 / 2) is still that tenth.
        var steps = (value * 10 + 1e-6).rounded(.down)
        while steps / 10 > value + 1e-9 { steps -= 1 }
        return steps / 10
    }

    /// The limits to send first: every session whose new limit is lower than the one in force (for a session ocppd
    /// has not limited yet, its station's fallback). Sent and accepted before any raise, they only ever lower the sum.
    static func decreases(inForce: [ConnectorKey: Double], target: [ConnectorKey: Double]) -> [ConnectorKey: Double] {
        target.filter { key, limit in inForce[key].map { limit < $0 } ?? false }
    }

    /// The raises that fit once the decreases are done: what is in force (a refused or unanswered decrease keeps its
    /// old limit) plus each raise stays within `limit`. Raises are granted in `order` (who waits longest first), and a
    /// raise that does not fit whole is granted as far as it fits.
    static func raises(
        limit: Double, inForce: [ConnectorKey: Double], target: [ConnectorKey: Double], order: [ConnectorKey]
    ) -> [ConnectorKey: Double] {
        var headroom = limit - inForce.values.reduce(0, +)
        var granted: [ConnectorKey: Double] = [:]
        for key in order {
            guard let wanted = target[key] else { continue }
            let current = inForce[key] ?? 0
            guard wanted > current else { continue }
            let raise = roundedDown(min(wanted, current + max(0, headroom)))
            guard raise > current else { continue }
            granted[key] = raise
            headroom -= raise - current
        }
        return granted
    }
}

/// When a car draws clearly less than its share for a while, it is capped near what it draws so that the others get
/// the rest; once it draws close to its cap again, the cap is lifted.
enum DemandCap {
    /// Drawing under this part of the allocation counts as clearly less.
    static let lowRatio = 0.8
    /// How long it must last.
    static let after: TimeInterval = 60
    /// The cap leaves this much room above the draw (so that the draw stays clearly less: no flapping).
    static let headroom = 1.5

    /// The time since which `measured` has been clearly less than `allocated`: kept, started now, or ended (nil).
    static func lowSince(_ previous: Date?, measured: Double?, allocated: Double?, now: Date) -> Date? {
        guard let measured, let allocated, allocated > 0, measured < allocated * lowRatio else { return nil }
        return previous ?? now
    }

    /// The cap of a session whose draw has been low since `lowSince`; nil while it is not (or not for long enough).
    static func cap(measured: Double?, lowSince: Date?, now: Date, minimum: Double) -> Double? {
        guard let measured, let lowSince, now.timeIntervalSince(lowSince) >= after else { return nil }
        return max(minimum, SiteAllocation.roundedDown(measured * headroom))
    }
}
