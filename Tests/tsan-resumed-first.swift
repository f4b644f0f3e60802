// Checks Tests/tsan-suppressions.txt's `race:Scc6resume` (scripts/test runs it under ThreadSanitizer, with and without
// the suppressions): a continuation resumed from another thread before its task reaches the await. The runtime orders
// the two by an atomic ThreadSanitizer does not see, so without the suppression the task's read of the result is
// reported against the resumer's store; with it, nothing is.
import Foundation

func resumedFirst(_ i: Int) async -> Int {
    await withUnsafeContinuation { (continuation: UnsafeContinuation<Int, Never>) in
        Thread { continuation.resume(returning: i + 1) }.start()
        usleep(2000)  // the resume comes before the await
    }
}

var total = 0
for i in 0..<10 { total += await resumedFirst(i) }
precondition(total == 55)
