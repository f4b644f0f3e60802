import Foundation
import Testing

@testable import ocppd

/// Counts the attempts of an operation from the retry loop's task.
private actor Attempts {
    var count = 0

    func next() -> Int {
        count += 1
        return count
    }
}

@Suite struct StoreRetryTests {
    // Tests run in parallel on a busy machine: the windows leave room for sleeps that oversleep.
    private let fast = StoreRetry(window: .milliseconds(300), firstDelay: .milliseconds(5), maxDelay: .milliseconds(20))
    private let patient = StoreRetry(window: .seconds(30), firstDelay: .milliseconds(5), maxDelay: .milliseconds(20))

    @Test func anUnavailableStoreIsTriedAgainUntilItAnswers() async throws {
        let attempts = Attempts()
        let value = try await patient {
            if await attempts.next() < 4 { throw StoreError.unavailable("restarting") }
            return 42
        }
        #expect(value == 42)
        #expect(await attempts.count == 4)
    }

    @Test func aStoreThatStaysDownFailsOnlyOnceTheWindowIsOver() async throws {
        let attempts = Attempts()
        let began = ContinuousClock.now
        await #expect(throws: StoreError.unavailable("down")) {
            _ = try await fast { () async throws -> Int in
                _ = await attempts.next()
                throw StoreError.unavailable("down")
            }
        }
        #expect(ContinuousClock.now - began >= .milliseconds(300))
        // Far above the 0.3 s window: only a retry that never ends fails it, however loaded the machine (ThreadSanitizer).
        #expect(ContinuousClock.now - began < .seconds(20))
        // The first attempt, and the last one at the deadline.
        #expect(await attempts.count >= 2)
    }

    @Test func anAnswerOfTheStoreIsNotRetried() async throws {
        let attempts = Attempts()
        await #expect(throws: StoreError.conflict("exists")) {
            _ = try await fast { () async throws -> Int in
                _ = await attempts.next()
                throw StoreError.conflict("exists")
            }
        }
        #expect(await attempts.count == 1)
    }

    @Test func theWindowIsConfigurable() throws {
        let configuration = try OCPPD.parse(["--data-dir", "/tmp/x", "--store-retry-window", "2.5"]).resolve(environment: [:])
        #expect(configuration.storeRetryWindow == .milliseconds(2500))
        let fromEnvironment = try OCPPD.parse(["--data-dir", "/tmp/x"]).resolve(environment: ["OCPPD_STORE_RETRY_WINDOW": "0"])
        #expect(fromEnvironment.storeRetryWindow == .zero)
        #expect(throws: (any Error).self) {
            try OCPPD.parse(["--data-dir", "/tmp/x", "--store-retry-window", "-1"]).resolve(environment: [:])
        }
    }
}
