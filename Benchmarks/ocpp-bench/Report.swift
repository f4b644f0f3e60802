import Foundation

/// What one load run measured; `--json` prints it as is.
struct LoadReport: Codable {
    struct Latency: Codable {
        var p50: Double
        var p99: Double
        var p999: Double
        var max: Double
    }

    var url: String
    var mode: String
    var mix: String
    var stations: Int
    var connected = 0
    var booted = 0
    /// From the first connection attempt until the last station's BootNotification was accepted.
    var bootSeconds = 0.0
    var measuredSeconds = 0.0
    /// CALLs answered (and checked) in the measured window.
    var calls = 0
    var callsPerSecond = 0.0
    var latencyMs: Latency?
    var errors: [String: Int] = [:]
    var failedStations = 0
    var centralSystemCalls = 0
    var storm: StormReport?
    /// The central system (`--pid`) over the measured window, with its peak memory since it started.
    var server: ServerUsage?
    var serverAfterBoot: ServerUsage?
    var loadGenerator: ServerUsage?
    var notes: [String] = []

    init(options: Load) {
        url = options.url
        mode = options.storm ? "storm" : options.interval > 0 ? "fixed-rate" : "saturation"
        mix = options.mix.rawValue
        stations = options.stations
    }

    var succeeded: Bool {
        errors.isEmpty && notes.isEmpty && booted == stations && (storm.map { $0.back == stations } ?? true)
    }

    mutating func note(_ text: String) {
        notes.append(text)
    }

    mutating func finish(_ totals: LoopSnapshot, seconds: Double) {
        measuredSeconds = seconds
        calls = totals.completed
        callsPerSecond = seconds > 0 ? Double(calls) / seconds : 0
        errors = totals.errors
        failedStations = totals.failed
        centralSystemCalls = totals.centralSystemCalls
        var sorted = totals.latencies
        sorted.sort()
        if !sorted.isEmpty {
            func percentile(_ p: Double) -> Double {
                Double(sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]) / 1000
            }
            latencyMs = Latency(p50: percentile(0.5), p99: percentile(0.99), p999: percentile(0.999), max: Double(sorted.last!) / 1000)
        }
    }

    var text: String {
        var lines = ["\(mode), \(mix) mix, \(stations) stations → \(url)"]
        lines.append(String(format: "  booted %d of %d (connected %d) in %.3f s", booted, stations, connected, bootSeconds))
        if let storm {
            lines.append(
                String(format: "  storm: %d of %d back and booted %.3f s after the drop", storm.back, storm.stations, storm.backSeconds))
        }
        lines.append(String(format: "  %d CALLs answered in %.2f s: %.0f/s", calls, measuredSeconds, callsPerSecond))
        if let latencyMs {
            lines.append(
                String(
                    format: "  latency ms: p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f", latencyMs.p50, latencyMs.p99, latencyMs.p999,
                    latencyMs.max))
        }
        if let server {
            lines.append(
                String(
                    format: "  server: %.2f cores, RSS %.1f MiB, peak RSS %.1f MiB", server.cpuCores ?? 0, server.rssMiB, server.peakRSSMiB)
            )
        }
        if let loadGenerator {
            lines.append(String(format: "  load generator: peak RSS %.1f MiB", loadGenerator.peakRSSMiB))
        }
        lines.append(errors.isEmpty ? "  no errors" : "  errors (\(failedStations) stations failed):")
        for (kind, count) in errors.sorted(by: { $0.value > $1.value }) {
            lines.append("    \(count) × \(kind)")
        }
        lines += notes.map { "  note: \($0)" }
        return lines.joined(separator: "\n")
    }
}

struct StormReport: Codable {
    var stations: Int
    var back: Int
    /// From the moment every connection was reset until the last station's BootNotification was accepted again.
    var backSeconds: Double
}

struct ServerUsage: Codable {
    /// Average CPU cores used between the two samples (nil without an earlier sample).
    var cpuCores: Double?
    var rssMiB: Double
    var peakRSSMiB: Double

    init(_ sample: ProcessSample, since earlier: ProcessSample?) {
        cpuCores = earlier.map { sample.cores(since: $0) }
        rssMiB = Double(sample.rssBytes) / 1_048_576
        peakRSSMiB = Double(sample.peakRSSBytes) / 1_048_576
    }
}
