import Foundation

/// CPU time and memory of a process, from /proc (Linux).
struct ProcessSample: Sendable {
    /// User plus system CPU seconds since the process started.
    var cpuSeconds: Double
    /// Resident set size now, and its peak since the process started (VmRSS, VmHWM).
    var rssBytes: Int
    var peakRSSBytes: Int
    var taken: ContinuousClock.Instant

    static func of(pid: Int32) -> ProcessSample? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let afterName = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after "(comm)": state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: afterName)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ProcessSample(
            cpuSeconds: (user + system) / ticks, rssBytes: kibibytes("VmRSS:", in: status) * 1024,
            peakRSSBytes: kibibytes("VmHWM:", in: status) * 1024, taken: .now)
    }

    static var current: ProcessSample? { of(pid: getpid()) }

    private static func kibibytes(_ key: String, in status: String) -> Int {
        for line in status.split(separator: "\n") where line.hasPrefix(key) {
            return Int(line.dropFirst(key.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? 0
        }
        return 0
    }

    /// CPU cores used on average between two samples.
    func cores(since earlier: ProcessSample) -> Double {
        let wall = (taken - earlier.taken).seconds
        return wall > 0 ? (cpuSeconds - earlier.cpuSeconds) / wall : 0
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
