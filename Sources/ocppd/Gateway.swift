import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle
import Shared

/// Wires the store, the OCPP endpoint and the REST API together and runs them until SIGTERM or SIGINT.
struct Gateway {
    let configuration: Configuration
    let logger: Logger

    /// One registry per process: swift-metrics can be bootstrapped only once.
    static let metrics: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// How often the Heartbeats of connected stations are saved (in one write); REST shows them at once anyway.
    static let heartbeatSaveInterval = Duration.seconds(5)

    func run() async throws {
        if let limit = FileDescriptorLimit.raiseToHard() {
            logger.info("file descriptor limit raised to the hard limit", metadata: ["limit": "\(limit)"])
        }
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        let token = try APIToken.resolve(configuration: configuration, logger: logger)
        let store = try makeStore()
        try await store.migrate()

        let registry = ConnectionRegistry(pingInterval: configuration.pingInterval)
        let events = EventBus()
        await events.startKeepAlive(every: configuration.sseKeepAlive)
        let centralSystem = CentralSystem(
            store: store, registry: registry, events: events, policy: configuration.unknownStations,
            heartbeatInterval: configuration.heartbeatInterval, storeRetry: StoreRetry(window: configuration.storeRetryWindow),
            logger: logger)
        let logger = self.logger
        let periodic = [
            Self.every(Self.heartbeatSaveInterval) { await centralSystem.saveHeartbeats() },
            Task { await registry.keepAlive(logger: logger) },
        ]
        let commands = Commands(store: store, registry: registry, events: events, timeout: configuration.callTimeout, logger: logger)
        let openStations = OpenStations()
        let endpoint = OCPPEndpoint(
            pathPrefix: configuration.ocppPath, policy: configuration.unknownStations, maxMessageSize: configuration.maxFrameSize,
            maxQueuedCalls: configuration.maxQueuedCommands, store: store, registry: registry,
            centralSystem: centralSystem, openStations: openStations, logger: logger)
        let routes = APIRoutes(
            store: store, registry: registry, centralSystem: centralSystem, commands: commands, events: events,
            configuration: configuration, metrics: Self.metrics, apiToken: token)
        let maxFrameSize = configuration.maxFrameSize
        let app = Application(
            router: routes.buildRouter(),
            server: HTTPServerBuilder { responder in
                OCPPServerChannel(responder: responder, endpoint: endpoint, maxFrameSize: maxFrameSize)
            },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil, backlog: 4096),
            onServerRunning: { channel in
                logger.info(
                    "ocppd listening",
                    metadata: [
                        "address": "\(channel.localAddress?.description ?? "?")",
                        "ocpp": "ws://HOST:\(channel.localAddress?.port ?? 0)\(configuration.ocppPath)/{chargePointId}",
                    ])
            },
            logger: logger
        )
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        var failure: (any Error)?
        do { try await group.run() } catch { failure = error }
        // The server closed every station's WebSocket; each finishes the message in hand before the store closes.
        await openStations.drained()
        for task in periodic { task.cancel() }
        await centralSystem.saveHeartbeats()
        await events.stop()
        await store.close()
        if let failure { throw failure }
        logger.info("ocppd stopped")
    }

    /// Runs `body` every `interval` until cancelled.
    private static func every(_ interval: Duration, _ body: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                await body()
            }
        }
    }

    private func makeStore() throws -> any Store {
        if let url = configuration.mariaDB {
            let readers = (configuration.databasePoolSize ?? url.connectionLimit ?? MariaDBStore.defaultReaders + 1) - 1
            logger.info("store: MariaDB", metadata: ["url": "\(url)", "connections": "\(max(1, readers) + 1)"])
            return MariaDBStore(url: url, readers: readers)
        }
        guard let path = configuration.sqlitePath else {
            throw ConfigurationError(
                description: "unsupported database URL: \(configuration.databaseURL ?? ""): use sqlite:///path or mysql://…")
        }
        logger.info("store: SQLite", metadata: ["path": "\(path)"])
        return SQLiteStore(path: path)
    }
}

/// The REST API's bearer token: configured, or generated once into the data directory (mode 0600).
enum APIToken {
    static func resolve(configuration: Configuration, logger: Logger) throws -> String {
        if let token = configuration.apiToken, !token.isEmpty { return token }
        let path = configuration.dataDirectory + "/api-token"
        if let existing = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
            !existing.isEmpty
        {
            logger.info("API token read from file", metadata: ["path": "\(path)"])
            return existing
        }
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let created = FileManager.default.createFile(
            atPath: path, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600])
        guard created else { throw ConfigurationError(description: "cannot write the API token to \(path)") }
        logger.notice("generated an API token", metadata: ["path": "\(path)"])
        return token
    }
}
