#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Every WebSocket is a file descriptor: the usual soft limit of 1,024 would refuse the 1,000th station, so
/// servers (and the benchmark tools) raise their soft limit to the hard one, what the operator allows.
public enum FileDescriptorLimit {
    /// Raises the soft limit to the hard limit; returns the limit in force afterwards (nil if it cannot be read).
    @discardableResult
    public static func raiseToHard() -> UInt64? {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return UInt64(limit.rlim_cur)
    }

    #if os(Linux)
        private static let resource = Int32(RLIMIT_NOFILE.rawValue)
    #else
        private static let resource = RLIMIT_NOFILE
    #endif
}
