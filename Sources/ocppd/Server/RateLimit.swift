import Logging
import Metrics
import Shared

/// A token bucket: `burst` at once, then `perSecond` on average. A rate of 0 means no limit.
struct RateLimit: Sendable, Equatable {
    var perSecond: Double
    var burst: Double

    static let unlimited = RateLimit(perSecond: 0, burst: 0)

    var isUnlimited: Bool { perSecond <= 0 }
}

/// The state of one bucket.
struct TokenBucket: Sendable {
    private(set) var tokens: Double
    private var updated: ContinuousClock.Instant

    init(_ limit: RateLimit, now: ContinuousClock.Instant = .now) {
        tokens = limit.burst
        updated = now
    }

    /// Takes a token; nil when there was one, else how long until there is.
    mutating func take(_ limit: RateLimit, now: ContinuousClock.Instant = .now) -> Duration? {
        if let wait = wait(limit, now: now) { return wait }
        if !limit.isUnlimited { tokens -= 1 }
        return nil
    }

    /// How long until a token is there, without taking one (nil: there is one). At most a day: a rate that slow
    /// is refused by the configuration anyway.
    mutating func wait(_ limit: RateLimit, now: ContinuousClock.Instant = .now) -> Duration? {
        guard !limit.isUnlimited else { return nil }
        refill(limit, now: now)
        guard tokens < 1 else { return nil }
        return .milliseconds(Int64(min(86_400_000, ((1 - tokens) / limit.perSecond * 1000).rounded(.up))))
    }

    /// Gives back a token taken for something that turned out not to count.
    mutating func refund(_ limit: RateLimit) {
        tokens = min(limit.burst, tokens + 1)
    }

    func isFull(_ limit: RateLimit, now: ContinuousClock.Instant) -> Bool {
        var copy = self
        copy.refill(limit, now: now)
        return copy.tokens >= limit.burst
    }

    private mutating func refill(_ limit: RateLimit, now: ContinuousClock.Instant) {
        let elapsed = now - updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(limit.burst, tokens + seconds * limit.perSecond)
        updated = now
    }
}

/// One bucket for everyone (the REST API's requests).
final class RateLimiter: Sendable {
    let limit: RateLimit
    let refusals: LimitRefusals
    /// Shared by every REST request's task: the refill and the take are one step under the lock.
    private let bucket: Locked<TokenBucket>

    /// `name` labels the refusals in `ocppd_limit_refusals_total`.
    init(_ name: String, limit: RateLimit) {
        self.limit = limit
        refusals = LimitRefusals(name)
        bucket = Locked(TokenBucket(limit))
    }

    /// Takes a token; nil when allowed, else the time to wait.
    func take() -> Duration? {
        bucket.withLock { $0.take(limit) }
    }
}

/// Buckets by key (a source address, a station identity), bounded in number: past `maxKeys`, buckets that are full
/// again (nobody used them lately) are dropped, and if that is not enough the fullest half: the most limited keys
/// stay limited.
final class KeyedRateLimiter: Sendable {
    let limit: RateLimit
    let refusals: LimitRefusals
    /// Every key's bucket, under one lock: tasks take, refund and prune in whole steps. `now` is read before the lock:
    /// a bucket refilled with an earlier `now` than its last loses tokens only until its next refill.
    private let buckets = Locked<[String: TokenBucket]>([:])
    private let maxKeys: Int

    /// `name` labels the refusals in `ocppd_limit_refusals_total`.
    init(_ name: String, limit: RateLimit, maxKeys: Int = 10_000) {
        self.limit = limit
        self.maxKeys = maxKeys
        refusals = LimitRefusals(name)
    }

    /// Takes a token of `key`'s bucket; nil when allowed, else the time to wait.
    func take(_ key: String) -> Duration? {
        guard !limit.isUnlimited else { return nil }
        let now = ContinuousClock.now
        return buckets.withLock { buckets in
            if buckets[key] == nil, buckets.count >= maxKeys {
                buckets = buckets.filter { !$0.value.isFull(limit, now: now) }
                if buckets.count >= maxKeys {
                    // Many keys at once (many addresses): memory stays bounded, the fullest half starts afresh.
                    let kept = buckets.sorted { $0.value.tokens < $1.value.tokens }.prefix(maxKeys / 2)
                    buckets = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
                }
            }
            return buckets[key, default: TokenBucket(limit, now: now)].take(limit, now: now)
        }
    }

    /// Gives back a token of `key` taken for something that turned out not to count.
    func refund(_ key: String) {
        guard !limit.isUnlimited else { return }
        buckets.withLock { buckets in buckets[key]?.refund(limit) }
    }

    /// Keys with a bucket now.
    var keyCount: Int { buckets.withLock { $0.count } }

    /// Whether `key` has a bucket now.
    func tracks(_ key: String) -> Bool { buckets.withLock { $0[key] != nil } }
}

extension LimitRefusals {
    static let stationCalls = LimitRefusals("station_calls")
    static let messageSize = LimitRefusals("message_size")
    static let queuedCommands = LimitRefusals("queued_commands")
    static let eventSubscribers = LimitRefusals("event_subscribers")
    static let bodySize = LimitRefusals("body_size")
    static let uploadSize = LimitRefusals("upload_size")
    /// CALLs over a station's rate that it waited to send are not refused but answered later (`CentralSystem.pace`).
    static let stationCallsDelayed = LimitRefusals("station_calls", metric: "ocppd_limit_delays_total")
}

/// Where one limit's refusals go: `ocppd_limit_refusals_total{limit=NAME}` (or another metric), every one, and the log,
/// at most one line a second per limit (saying how many were not logged since), so that a flood does not flood the log
/// as well.
final class LimitRefusals: Sendable {
    static let logInterval = Duration.seconds(1)

    let name: String
    private let counter: Counter
    private let logger = Logger(label: "ocppd")
    /// When a refusal was last logged, and how many were not since: every refusing task tests and updates both in one
    /// step under the lock, so at most one line a second goes out.
    private let logged = Locked<(at: ContinuousClock.Instant?, unlogged: Int)>((nil, 0))

    init(_ name: String, metric: String = "ocppd_limit_refusals_total") {
        self.name = name
        counter = Counter(label: metric, dimensions: [("limit", name)])
    }

    /// Counts a refusal and logs it, unless a refusal of this limit was logged less than a second ago.
    func record(_ message: @autoclosure () -> Logger.Message, _ metadata: @autoclosure () -> Logger.Metadata = [:]) {
        counter.increment()
        let now = ContinuousClock.now
        let unlogged: Int? = logged.withLock { logged in
            if let at = logged.at, now - at < Self.logInterval {
                logged.unlogged += 1
                return nil
            }
            defer { logged = (now, 0) }
            return logged.unlogged
        }
        guard let unlogged else { return }
        var metadata = metadata()
        metadata["limit"] = "\(name)"
        if unlogged > 0 { metadata["unlogged"] = "\(unlogged)" }
        logger.notice(message(), metadata: metadata)
    }
}

extension Duration {
    /// Whole seconds, at least 1: the value of a Retry-After header.
    var retryAfterSeconds: Int {
        max(1, Int(timeInterval.rounded(.up)))
    }

    /// Seconds, as Date arithmetic takes them.
    var timeInterval: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
