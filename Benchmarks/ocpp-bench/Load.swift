import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import Shared

extension Mix: ExpressibleByArgument {}

struct Load: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate charge points over WebSockets and measure the central system.",
        discussion: """
            Each station connects to URL/<id> (subprotocol ocpp1.6), boots, and then keeps exactly one CALL \
            outstanding. Every answer is checked by the OCPP schema and for what a charge point needs (Accepted, \
            a transactionId). Modes: saturation (default: the next CALL as soon as the previous is answered), \
            --interval (each station sends every T seconds), --storm (all stations drop at once and come back). \
            Exit status 1 when any station failed, did not boot, or any CALL got an error.
            """
    )

    @Option(help: "The central system's OCPP endpoint; station ids are appended.")
    var url = "ws://127.0.0.1:8180/ocpp"
    @Option(help: "Number of simulated stations.")
    var stations = 100
    @Option(help: "Workload: heartbeat, meter (MeterValues), or session (Authorize, Start, 10 MeterValues, Stop).")
    var mix = Mix.heartbeat
    @Option(help: "Seconds measured (after all stations booted and the warm-up).")
    var duration = 10.0
    @Option(help: "Seconds of load before measuring.")
    var warmup = 2.0
    @Option(help: "Fixed rate: each station sends one CALL every this many seconds (0: as fast as answered).")
    var interval = 0.0
    @Flag(help: "Reconnect storm: every station runs a short script, all drop at once (TCP reset), reconnect, boot, finish.")
    var storm = false
    @Option(help: "Station ids are PREFIX-000001 …; RFID tags PREFIX-T000001 … (register them for a session mix).")
    var idPrefix = "LG"
    @Option(help: "Event loop threads of the load generator (default: one per core).")
    var threads = System.coreCount
    @Option(help: "Connection attempts in flight at once.")
    var connectConcurrency = 1000
    @Option(help: "Local addresses to connect from, comma-separated, used in turn (more than ~28,000 stations need several).")
    var sourceAddresses = ""
    @Option(help: "Seconds a CALL may wait for its answer.")
    var callTimeout = 30
    @Option(help: "Seconds all stations may take to connect and boot.")
    var bootTimeout = 120.0
    @Option(help: "PID of the central system, to report its CPU use and resident memory.")
    var pid: Int32?
    @Flag(help: "Print the report as one JSON object.")
    var json = false

    func validate() throws {
        guard stations > 0 else { throw ValidationError("--stations must be positive") }
        guard duration > 0, warmup >= 0, interval >= 0 else {
            throw ValidationError("--duration, --warmup and --interval must be positive")
        }
        guard !(storm && interval > 0) else { throw ValidationError("--storm and --interval are separate modes") }
        guard threads > 0, connectConcurrency > 0 else { throw ValidationError("--threads and --connect-concurrency must be positive") }
        _ = try Endpoint(url)
    }

    func run() async throws {
        FileDescriptorLimit.raiseToHard()
        let endpoint = try Endpoint(url)
        let sources = try sourceAddresses.split(separator: ",").map { try SocketAddress(ipAddress: String($0), port: 0) }
        let generator = try await LoadGenerator(options: self, endpoint: endpoint, sources: sources)
        let report = await generator.run()
        try await generator.shutdown()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.text)
        }
        if !report.succeeded { throw ExitCode(1) }
    }

}

/// `ws://host:port/path`.
struct Endpoint: Sendable {
    var host: String
    var port: Int
    var path: String

    init(_ url: String) throws {
        guard let components = URLComponents(string: url), components.scheme == "ws", let host = components.host else {
            throw ValidationError("--url must be ws://HOST:PORT/PATH")
        }
        self.host = host
        self.port = components.port ?? 80
        self.path = components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path
    }
}

/// A station as the coordinator sees it: where it lives and how to reach it there.
struct StationRef: Sendable {
    var index: Int
    var id: String
    var loop: any EventLoop
    var station: NIOLoopBound<SimulatedStation>
}

/// Runs one load: connects every station, drives the phases of the chosen mode, and collects the
/// counters of every event loop into a report.
final class LoadGenerator: Sendable {
    let options: Load
    let endpoint: Endpoint
    let sources: [SocketAddress]
    let group: MultiThreadedEventLoopGroup
    let loops: [(loop: any EventLoop, state: NIOLoopBound<LoopState>)]
    let stations: [StationRef]
    let sweeps: [RepeatedTask]

    init(options: Load, endpoint: Endpoint, sources: [SocketAddress]) async throws {
        self.options = options
        self.endpoint = endpoint
        self.sources = sources
        group = MultiThreadedEventLoopGroup(numberOfThreads: options.threads)
        var loops: [(loop: any EventLoop, state: NIOLoopBound<LoopState>)] = []
        for loop in group.makeIterator() {
            loops.append((loop, try await loop.submit { NIOLoopBound(LoopState(), eventLoop: loop) }.get()))
        }
        self.loops = loops
        let mix = options.mix
        let prefix = options.idPrefix
        let total = options.stations
        var stations: [StationRef] = []
        let loopCount = loops.count
        for (number, entry) in loops.enumerated() {
            let loop = entry.loop
            let state = entry.state
            stations += try await loop.submit {
                stride(from: number, to: total, by: loopCount).map { index in
                    let id = String(format: "%@-%06d", prefix, index + 1)
                    let station = SimulatedStation(
                        index: index, id: id, idTag: String(format: "%@-T%06d", prefix, index + 1), mix: mix, state: state.value)
                    state.value.stations.append(station)
                    return StationRef(index: index, id: id, loop: loop, station: NIOLoopBound(station, eventLoop: loop))
                }
            }.get()
        }
        self.stations = stations.sorted { $0.index < $1.index }
        let limit = TimeAmount.seconds(Int64(options.callTimeout))
        sweeps = loops.map { entry in
            let state = entry.state
            return entry.loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
                let now = NIODeadline.now()
                for station in state.value.stations { station.checkTimeout(now: now, limit: limit) }
            }
        }
    }

    func shutdown() async throws {
        try await group.shutdownGracefully()
    }

    func run() async -> LoadReport {
        var report = LoadReport(options: options)
        let before = options.pid.flatMap { ProcessSample.of(pid: $0) }
        let started = NIODeadline.now()
        await connect(stations)
        let allBooted = await wait(timeout: options.bootTimeout) { $0.booted + $0.failed >= self.options.stations }
        let booting = await totals()
        report.connected = booting.connected
        report.booted = booting.booted
        report.bootSeconds = (booting.lastBoot - started).secondsDouble
        if !allBooted { report.note("not every station booted within \(options.bootTimeout) s") }
        report.serverAfterBoot = options.pid.flatMap { ProcessSample.of(pid: $0) }.map { ServerUsage($0, since: before) }

        let window: (start: ProcessSample?, end: ProcessSample?, seconds: Double)
        if options.storm {
            window = await runStorm(&report)
        } else {
            window = await runLoad()
        }
        await onEveryLoop { state in state.stopping = true }
        await onEveryStation { $0.drop() }  // a reset: no socket of the run lingers in TIME_WAIT
        _ = await wait(timeout: 10) { $0.connected == 0 }
        for sweep in sweeps { sweep.cancel() }

        report.finish(await totals(), seconds: window.seconds)
        if let end = window.end {
            report.server = ServerUsage(end, since: window.start)
        }
        report.loadGenerator = ProcessSample.current.map { ServerUsage($0, since: nil) }
        return report
    }

    /// Saturation or fixed rate: warm up, then count what is answered during the measured window.
    private func runLoad() async -> (start: ProcessSample?, end: ProcessSample?, seconds: Double) {
        if options.interval > 0 {
            let interval = TimeAmount.nanoseconds(Int64(options.interval * 1e9))
            let count = Int64(options.stations)
            await onEveryStation { station in
                // Ticks spread evenly over the interval, so the central system sees a steady rate.
                station.startFixedRate(interval: interval, offset: .nanoseconds(interval.nanoseconds * Int64(station.index) / count))
            }
        } else {
            await onEveryStation { station in
                station.activity = .saturate
                station.sendNext()
            }
        }
        try? await Task.sleep(for: .seconds(options.warmup))
        let start = options.pid.flatMap { ProcessSample.of(pid: $0) }
        let clock = ContinuousClock.now
        await onEveryLoop { $0.measuring = true }
        try? await Task.sleep(for: .seconds(options.duration))
        await onEveryLoop { $0.measuring = false }
        let seconds = (ContinuousClock.now - clock).seconds
        return (start, options.pid.flatMap { ProcessSample.of(pid: $0) }, seconds)
    }

    /// Reconnect storm: a script before the drop, a reset of every connection at once, reconnection
    /// and boot of all, the rest of the script. Measures how long until every station was back.
    private func runStorm(_ report: inout LoadReport) async -> (start: ProcessSample?, end: ProcessSample?, seconds: Double) {
        let before: [Step]
        let after: [Step]
        switch options.mix {
        case .heartbeat: (before, after) = ([.heartbeat], [.heartbeat])
        case .meter: (before, after) = ([.meter], [.meter])
        case .session: (before, after) = ([.authorize, .start, .meter], [.meter, .stop])
        }
        let start = options.pid.flatMap { ProcessSample.of(pid: $0) }
        let clock = ContinuousClock.now
        await onEveryLoop { $0.measuring = true }
        await runScript(before, report: &report)

        await onEveryStation { $0.drop() }
        _ = await wait(timeout: 30) { $0.connected == 0 }
        await onEveryLoop { state in state.booted = 0 }
        let dropped = NIODeadline.now()
        let count = options.stations
        await connect(stations)
        if !(await wait(timeout: options.bootTimeout) { $0.booted + $0.failed >= count }) {
            report.note("not every station came back within \(options.bootTimeout) s")
        }
        let totals = await totals()
        report.storm = StormReport(stations: count, back: totals.booted, backSeconds: (totals.lastBoot - dropped).secondsDouble)

        await runScript(after, report: &report)
        await onEveryLoop { $0.measuring = false }
        return (start, options.pid.flatMap { ProcessSample.of(pid: $0) }, (ContinuousClock.now - clock).seconds)
    }

    private func runScript(_ steps: [Step], report: inout LoadReport) async {
        await onEveryLoop { $0.scriptsDone = 0 }
        await onEveryStation { $0.runScript(steps) }
        let count = options.stations
        if !(await wait(timeout: Double(options.callTimeout) * Double(steps.count)) { $0.scriptsDone + $0.failed >= count }) {
            report.note("not every station finished \(steps.map(\.rawValue).joined(separator: ", "))")
        }
    }

    // MARK: connections

    private func connect(_ stations: [StationRef]) async {
        let limit = options.connectConcurrency
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for station in stations {
                if running >= limit {
                    await group.next()
                    running -= 1
                }
                group.addTask { await self.connect(station) }
                running += 1
            }
        }
    }

    private func connect(_ ref: StationRef) async {
        let endpoint = self.endpoint
        var bootstrap = ClientBootstrap(group: ref.loop)
            .connectTimeout(.seconds(10))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
        if !sources.isEmpty {
            bootstrap = bootstrap.bind(to: sources[ref.index % sources.count])
        }
        let failure: String?
        do {
            let upgraded = try await bootstrap.connect(host: endpoint.host, port: endpoint.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try WebSocketClient.configure(channel, endpoint: endpoint, path: "\(endpoint.path)/\(ref.id)") { channel in
                        try channel.pipeline.syncOperations.addHandler(StationChannelHandler(station: ref.station.value))
                    }
                }
            }.get()
            failure = upgraded ? nil : "WebSocket handshake refused"
            if upgraded { ref.loop.execute { ref.station.value.boot() } }
        } catch {
            failure = "connect failed: \(error)"
        }
        if let failure {
            ref.loop.execute { ref.station.value.fail(failure) }
        }
    }

    // MARK: the loops' counters

    private func onEveryLoop(_ body: @escaping @Sendable (LoopState) -> Void) async {
        for entry in loops {
            let state = entry.state
            try? await entry.loop.submit { body(state.value) }.get()
        }
    }

    private func onEveryStation(_ body: @escaping @Sendable (SimulatedStation) -> Void) async {
        await onEveryLoop { state in
            for station in state.stations { body(station) }
        }
    }

    /// The counters of every loop added up; the latencies (long to join) only when asked for.
    private func totals(withLatencies: Bool = true) async -> LoopSnapshot {
        var total = LoopSnapshot()
        for entry in loops {
            let state = entry.state
            guard let snapshot = try? await entry.loop.submit({ state.value.snapshot(withLatencies: withLatencies) }).get() else {
                continue
            }
            total.completed += snapshot.completed
            total.latencies += snapshot.latencies
            total.errors.merge(snapshot.errors, uniquingKeysWith: +)
            total.connected += snapshot.connected
            total.booted += snapshot.booted
            total.lastBoot = max(total.lastBoot, snapshot.lastBoot)
            total.scriptsDone += snapshot.scriptsDone
            total.centralSystemCalls += snapshot.centralSystemCalls
            total.failed += snapshot.failed
        }
        return total
    }

    /// Polls the loops' counters until `condition` holds; false on timeout.
    private func wait(timeout: Double, until condition: @escaping @Sendable (LoopSnapshot) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        while ContinuousClock.now < deadline {
            let counts = await totals(withLatencies: false)
            if condition(counts) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }
}

extension TimeAmount {
    var secondsDouble: Double { Double(nanoseconds) / 1e9 }
}
