import Logging
import Metrics
import Shared
import Synchronization

/// Whether the store answers, so that an operator sees in the log when it went away and when it came back: one line
/// each, however many stations wait meanwhile, and `ocppd_store_outages_total` counts the outages. Told by the callers'
/// retries (`StoreRetry`) and by the MariaDB writer, which can wait on a restarting server in its own loop without any
/// caller hearing an error. Only a call begun after the store went away says it is back (one begun before may still
/// finish on a connection that was open).
final class StoreHealth: Sendable {
    /// How long a charge point's message waits for the store: said in the log line, so the operator knows how long a
    /// station has before it hears InternalError.
    let retryWindow: Duration
    /// Mirrors `since != nil`, written only inside `since`'s lock, so that an answered call needs no lock while the
    /// store is up. Read relaxed, as a hint: a stale false skips one `answered` (a later call ends the outage).
    private let down = Atomic<Bool>(false)
    /// When the outage began; nil while the store answers. Callers' tasks and the MariaDB writer thread report at once:
    /// the test and the change are one step under the lock, so only one of them starts or ends an outage and logs it.
    private let since = Locked<ContinuousClock.Instant?>(nil)
    /// Added to only by the caller that started an outage. Relaxed: a counter that orders no other data.
    private let outageCount = Atomic<Int>(0)
    private let counter = Counter(label: "ocppd_store_outages_total")
    private let logger = Logger(label: "ocppd")

    init(retryWindow: Duration) {
        self.retryWindow = retryWindow
    }

    /// Outages begun since this process started.
    var outages: Int { outageCount.load(ordering: .relaxed) }
    /// Between an outage's start and the first call that answered after it.
    var isUnavailable: Bool { down.load(ordering: .relaxed) }

    func unavailable(_ reason: String) {
        let wentDown = since.withLock { since in
            guard since == nil else { return false }
            since = .now
            down.store(true, ordering: .relaxed)
            return true
        }
        guard wentDown else { return }
        outageCount.add(1, ordering: .relaxed)
        counter.increment()
        logger.notice(
            "store unavailable: each call is retried for up to \(retryWindow) before the station hears InternalError",
            metadata: ["error": "\(reason)"])
    }

    func answered(callBegan: ContinuousClock.Instant) {
        guard down.load(ordering: .relaxed) else { return }
        let cameBack = since.withLock { since in
            guard let wentDown = since, callBegan > wentDown else { return false }
            since = nil
            down.store(false, ordering: .relaxed)
            return true
        }
        guard cameBack else { return }
        logger.notice("store answers again")
    }
}
