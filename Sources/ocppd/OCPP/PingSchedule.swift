import NIOCore

/// When each station gets its next ping: every `interval`, counted from when it connected, as if each had its own
/// timer (so pings stay spread out as connections were), without a sleeping task per station. All share one
/// interval, so deadlines come in the order stations were added or last pinged: a FIFO queue, no heap.
struct PingSchedule<Item> {
    let interval: Duration
    private var queue = CircularBuffer<(deadline: ContinuousClock.Instant, item: Item)>()

    init(interval: Duration) {
        self.interval = interval
    }

    mutating func add(_ item: Item, now: ContinuousClock.Instant) {
        queue.append((now + interval, item))
    }

    /// When the next item is due; nil when there are none.
    var nextDeadline: ContinuousClock.Instant? { queue.first?.deadline }

    /// The items due at `now`, in order; each is scheduled again one interval after its deadline (or after `now`, if
    /// the schedule fell that far behind), unless `keep` says it is gone.
    mutating func takeDue(now: ContinuousClock.Instant, keep: (Item) -> Bool) -> [Item] {
        var due: [Item] = []
        while let first = queue.first, first.deadline <= now {
            queue.removeFirst()
            guard keep(first.item) else { continue }
            due.append(first.item)
            let next = first.deadline + interval
            queue.append((next > now ? next : now + interval, first.item))
        }
        return due
    }
}
