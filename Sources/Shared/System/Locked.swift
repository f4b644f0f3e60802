import Synchronization

#if OCPP_TSAN
    @usableFromInline @_silgen_name("__tsan_acquire")
    func tsanAcquire(_ address: UnsafeRawPointer)
    @usableFromInline @_silgen_name("__tsan_release")
    func tsanRelease(_ address: UnsafeRawPointer)
#endif

/// A value behind a lock: Synchronization's `Mutex`, which ocppd and ocppctl use for every lock. On Linux that Mutex
/// waits on a futex inside the standard library, which ThreadSanitizer does not see, so it reported the accesses of
/// every critical section as races. Built for ThreadSanitizer (scripts/test passes `-DOCPP_TSAN`), each critical
/// section tells it that it acquires and releases the lock; other builds are the plain Mutex (inlined, stored in
/// place: no cost, no extra allocation).
public struct Locked<Value>: ~Copyable, Sendable {
    @usableFromInline let mutex: Mutex<Value>

    @inlinable
    public init(_ value: sending Value) {
        mutex = Mutex(value)
    }

    /// Runs `body` with the value, the lock held.
    @inlinable
    public borrowing func withLock<Result, E: Error>(_ body: (inout sending Value) throws(E) -> sending Result) throws(E) -> sending Result
    {
        #if OCPP_TSAN
            // The mutex's own address (it never moves: it is stored in place, and noncopyable), taken without an access to
            // the value, which ThreadSanitizer would count before the acquire.
            let address = withUnsafePointer(to: mutex) { UnsafeRawPointer($0) }
        #endif
        return try mutex.withLock { (value: inout sending Value) throws(E) -> sending Result in
            #if OCPP_TSAN
                tsanAcquire(address)
                defer { tsanRelease(address) }
            #endif
            return try body(&value)
        }
    }
}
