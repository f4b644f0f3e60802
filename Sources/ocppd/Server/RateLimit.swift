import Metrics
import Synchronization

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

    /// How long until a token is there, without taking one (nil: there is one).
    mutating func wait(_ limit: RateLimit, now: ContinuousClock.Instant = .now) -> Duration? {
        guard !limit.isUnlimited else { return nil }
        refill(limit, now: now)
        return tokens >= 1 ? nil : .milliseconds(Int64(((1 - tokens) / limit.perSecond * 1000).rounded(.up)))
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

/// Buckets by key (a source address, a station identity, a token), bounded in number: past `maxKeys`, buckets that
/// are full again (nobody used them lately) are dropped, and if that is not enough the fullest half.
final class KeyedRateLimiter: Sendable {
    let limit: RateLimit
    private let buckets = Mutex<[String: TokenBucket]>([:])
    private let maxKeys: Int
    private let refusals: Counter

    /// `name` labels the refusals in `ocppd_limit_refusals_total`.
    init(_ name: String, limit: RateLimit, maxKeys: Int = 10_000) {
        self.limit = limit
        self.maxKeys = maxKeys
        refusals = Counter(label: "ocppd_limit_refusals_total", dimensions: [("limit", name)])
    }

    /// Takes a token of `key`'s bucket; nil when allowed, else the time to wait (counted as a refusal).
    func take(_ key: String) -> Duration? {
        guard !limit.isUnlimited else { return nil }
        let now = ContinuousClock.now
        let wait = buckets.withLock { buckets in
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
        if wait != nil { refusals.increment() }
        return wait
    }

    /// Keys with a bucket now.
    var keyCount: Int { buckets.withLock { $0.count } }

    /// How long `key` must wait before its next token, without taking one (counted as a refusal when it must).
    func wait(_ key: String) -> Duration? {
        guard !limit.isUnlimited else { return nil }
        let now = ContinuousClock.now
        let wait = buckets.withLock { buckets in buckets[key]?.wait(limit, now: now) }
        if wait != nil { refusals.increment() }
        return wait
    }
}

extension Duration {
    /// Whole seconds, at least 1: the value of a Retry-After header.
    var retryAfterSeconds: Int {
        max(1, Int((Double(components.seconds) + Double(components.attoseconds) / 1e18).rounded(.up)))
    }
}
