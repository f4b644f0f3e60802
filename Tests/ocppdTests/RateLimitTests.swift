import Testing

@testable import ocppd

@Suite struct RateLimitTests {
    @Test func aBucketGivesItsBurstThenRefillsAtItsRate() {
        let limit = RateLimit(perSecond: 2, burst: 3)
        let start = ContinuousClock.now
        var bucket = TokenBucket(limit, now: start)
        #expect((0..<3).allSatisfy { _ in bucket.take(limit, now: start) == nil })
        let wait = bucket.take(limit, now: start)
        #expect(wait == .milliseconds(500))
        #expect(bucket.take(limit, now: start + .milliseconds(499)) != nil)
        #expect(bucket.take(limit, now: start + .milliseconds(1000)) == nil)
        // Never more than the burst, however long it was idle.
        let later = start + .seconds(3600)
        #expect((0..<3).allSatisfy { _ in bucket.take(limit, now: later) == nil })
        #expect(bucket.take(limit, now: later) != nil)
    }

    @Test func unlimitedNeverRefuses() {
        var bucket = TokenBucket(.unlimited)
        #expect((0..<10_000).allSatisfy { _ in bucket.take(.unlimited) == nil })
        #expect(Duration.milliseconds(1).retryAfterSeconds == 1 && Duration.milliseconds(2001).retryAfterSeconds == 3)
    }

    @Test func aVerySlowRateWaitsAtMostADayInsteadOfOverflowing() {
        let limit = RateLimit(perSecond: 1e-20, burst: 1)
        var bucket = TokenBucket(limit)
        #expect(bucket.take(limit) == nil)
        #expect(bucket.take(limit) == .seconds(86_400))
    }

    @Test func keysAreLimitedApartAndTheirNumberIsBounded() {
        let limiter = KeyedRateLimiter("test", limit: RateLimit(perSecond: 0.001, burst: 2), maxKeys: 100)
        #expect(limiter.take("a") == nil && limiter.take("a") == nil && limiter.take("a") != nil && limiter.take("b") == nil)
        // A token taken for something that did not count comes back.
        limiter.refund("a")
        #expect(limiter.take("a") == nil && limiter.take("a") != nil)
        // Past the bound, the map is pruned: full buckets first, then the fullest half, so memory stays bounded
        // however many keys come, and the most limited key ("a", empty; the others have one token left) stays.
        for n in 0..<500 {
            _ = limiter.take("k\(n)")
        }
        #expect(limiter.keyCount <= 100)
        #expect(limiter.tracks("a") && limiter.take("a") != nil)
    }
}
