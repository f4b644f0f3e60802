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
    /// How often the token file is looked at for a token rotated by `ocppd token rotate`.
    static let tokenCheckInterval = Duration.seconds(2)

    func run() async throws {
        // First: a metric made before the metrics system is bootstrapped counts nowhere (the central system's
        // message counters did, until the limit tests looked for theirs).
        _ = Self.metrics
        if let limit = FileDescriptorLimit.raiseToHard() {
            logger.info("file descriptor limit raised to the hard limit", metadata: ["limit": "\(limit)"])
        }
        // Before anything starts: a certificate that cannot be read stops ocppd at once, with the reason.
        let tls = try configuration.tls.map { files in
            do {
                return try TLSSettings(files: files)
            } catch {
                throw ConfigurationError(description: "TLS: \(error)")
            }
        }
        let proxies: TrustedProxies
        do {
            proxies = try TrustedProxies(
                networks: configuration.trustedProxies, certificateHeader: configuration.forwardedCertificateHeader,
                clientCA: configuration.clientCA, logger: logger)
        } catch {
            throw ConfigurationError(description: "client CA: \(error)")
        }
        if !proxies.networks.isEmpty {
            logger.info("trusting forwarded headers", metadata: ["proxies": "\(proxies.networks.map(\.description))"])
        }
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        let token = try APIToken.resolve(configuration: configuration, logger: logger)
        let storeRetry = StoreRetry(window: configuration.storeRetryWindow)
        let store = try makeStore(health: storeRetry.health)
        try await store.migrate()
        let registry = ConnectionRegistry(pingInterval: configuration.pingInterval)
        let cluster = try await startCluster(store: store, registry: registry, retry: storeRetry)

        let journal = try Self.journal(of: store)
        let node = configuration.cluster?.nodeId ?? journalNode()
        let events = EventBus(node: node, journal: journal, lastSeq: try await journal.lastSeq(node: node))
        await events.startKeepAlive(every: configuration.sseKeepAlive)
        let uploads = try await startFiles(store: store, events: events)
        let commands = Commands(
            store: store, registry: registry, events: events, timeout: configuration.callTimeout, logger: logger, cluster: cluster,
            uploads: uploads)
        let security = StationSecurity(
            store: store, commands: commands, events: events, ca: try stationCA(), storeRetry: storeRetry, logger: logger)
        let centralSystem = CentralSystem(
            store: store, registry: registry, events: events, policy: configuration.unknownStations,
            heartbeatInterval: configuration.heartbeatInterval, storeRetry: storeRetry,
            logger: logger, clusterNode: configuration.cluster?.nodeId, security: security,
            dataTransferVendors: configuration.dataTransferVendors)
        let logger = self.logger
        let sites = await startSites(store: store, events: events, commands: commands, registry: registry, cluster: cluster)
        let webhooks = await startWebhooks(store: store, journal: journal, events: events, node: node)
        let periodic = [
            Self.every(Self.heartbeatSaveInterval) { await centralSystem.saveHeartbeats() },
            // `ocppd token rotate` writes the token file; the running ocppd takes it from there.
            Self.every(Self.tokenCheckInterval) { token.reload() },
            Task { await registry.keepAlive(logger: logger) },
            Task {
                await EventTail(
                    bus: events, log: journal, cluster: cluster, logger: logger, hold: { node in await webhooks?.needed(node: node) },
                    longestHold: max(25 * 3600, TimeInterval(configuration.webhookGiveUpAfter + 3600))
                ).run()
            },
            Self.every(.seconds(3600), immediately: true) { [configuration] in
                await Self.pruneAudit(store: store, days: configuration.auditRetentionDays, logger: logger)
            },
            Task { await Self.keyStoredMeterValues(store: store, owner: node.isEmpty ? "ocppd" : node, logger: logger) },
        ]
        let openStations = OpenStations()
        let endpoint = OCPPEndpoint(
            pathPrefix: configuration.ocppPath, policy: configuration.unknownStations, maxMessageSize: configuration.maxFrameSize,
            maxQueuedCalls: configuration.maxQueuedCommands, store: store, registry: registry,
            centralSystem: centralSystem, openStations: openStations, proxies: proxies, callLimit: configuration.callsPerSecond,
            handshakes: KeyedRateLimiter("handshakes", limit: configuration.handshakesPerSecond),
            authFailures: KeyedRateLimiter("auth_failures", limit: configuration.authFailures), logger: logger, cluster: cluster)
        let routes = APIRoutes(
            store: store, registry: registry, centralSystem: centralSystem, commands: commands, security: security, events: events,
            configuration: configuration, metrics: Self.metrics, apiToken: token,
            apiRequests: RateLimiter("api_requests", limit: configuration.apiRequestsPerSecond), cluster: cluster, uploads: uploads,
            sites: sites, webhooks: webhooks)
        let maxFrameSize = configuration.maxFrameSize
        let idleTimeout = configuration.httpIdleTimeout
        func listener(port: Int, tls: TLSSettings?) -> some Service {
            let scheme = tls == nil ? "ws" : "wss"
            return Application(
                router: routes.buildRouter(),
                server: HTTPServerBuilder { responder in
                    OCPPServerChannel(
                        responder: responder, endpoint: endpoint, maxFrameSize: maxFrameSize, idleTimeout: idleTimeout, tls: tls)
                },
                configuration: .init(address: .hostname(configuration.host, port: port), serverName: nil, backlog: 4096),
                onServerRunning: { channel in
                    logger.info(
                        "ocppd listening",
                        metadata: [
                            "address": "\(channel.localAddress?.description ?? "?")",
                            "ocpp": "\(scheme)://HOST:\(channel.localAddress?.port ?? 0)\(configuration.ocppPath)/{chargePointId}",
                        ])
                },
                logger: logger
            )
        }
        var services: [any Service] = [listener(port: configuration.port, tls: tls)]
        if let plainPort = configuration.plainPort {
            services.append(listener(port: plainPort, tls: nil))
        }
        let reloader = HangupReloader(tls: tls, proxies: proxies, token: token, logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        var failure: (any Error)?
        do { try await group.run() } catch { failure = error }
        // The server closed every station's WebSocket; each finishes the message in hand before the store closes.
        await openStations.drained()
        reloader.stop()
        for task in periodic { task.cancel() }
        await sites?.stop()
        await webhooks?.stop()
        await centralSystem.saveHeartbeats()
        await cluster?.stop()
        await events.stop()
        await store.close()
        if let failure { throw failure }
        logger.info("ocppd stopped")
    }

    /// Runs `body` every `interval` (and at once, when `immediately`) until cancelled.
    private static func every(
        _ interval: Duration, immediately: Bool = false, _ body: @escaping @Sendable () async -> Void
    ) -> Task<Void, Never> {
        Task {
            if immediately { await body() }
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                await body()
            }
        }
    }

    /// Removes the audit entries older than the retention (every node of a cluster does; the same rows go).
    private static func pruneAudit(store: any Store, days: Int, logger: Logger) async {
        guard let store = store as? any AccountStore else { return }
        do {
            let removed = try await store.pruneAudit(before: Date().addingTimeInterval(-Double(days) * 86_400))
            if removed > 0 { logger.info("old audit entries removed", metadata: ["count": "\(removed)", "days": "\(days)"]) }
        } catch {
            logger.warning("the audit log could not be pruned", metadata: ["error": "\(error)"])
        }
    }

    /// Gives the meter values stored before sample keys existed theirs, removing the copies a charger's resent messages
    /// left (schema 13), a few hundred rows per write job, and then as long again for the live writes; logs how far it
    /// came; an unavailable store is tried again. In a cluster one node holds the job (a lease) and the others wait.
    /// Nothing to do (a new database, or the job done) ends it at once, silently.
    static func keyStoredMeterValues(store: any Store, owner: String, logger: Logger, batchSize: Int = 250) async {
        var keyed = 0
        var removed = 0
        var lastLog = ContinuousClock.now
        while !Task.isCancelled {
            do {
                let started = ContinuousClock.now
                let step = try await store.keyStoredMeterValues(batchSize: batchSize, owner: owner, leaseSeconds: 60)
                if step.busy {
                    try await Task.sleep(for: .seconds(30))
                    continue
                }
                keyed += step.keyed
                removed += step.removed
                let metadata: Logger.Metadata = [
                    "keyed": "\(keyed)", "duplicatesRemoved": "\(removed)", "position": "\(step.position)", "end": "\(step.end)",
                ]
                if step.done {
                    if keyed + removed > 0 {
                        logger.notice("stored meter values keyed: every sampled value is kept once", metadata: metadata)
                    }
                    return
                }
                if ContinuousClock.now - lastLog > .seconds(10) {
                    logger.info("keying stored meter values", metadata: metadata)
                    lastLog = .now
                }
                // The writer is as long free for the live writes as the batch took of it.
                try await Task.sleep(for: max(.milliseconds(20), ContinuousClock.now - started))
            } catch is CancellationError {
                return
            } catch {
                logger.warning("keying stored meter values failed; trying again in 10 s", metadata: ["error": "\(error)"])
                do { try await Task.sleep(for: .seconds(10)) } catch { return }
            }
        }
    }

    /// The name under which a single ocppd keeps its events: none on SQLite, its own file; on MariaDB, which several
    /// ocppd may share without being a cluster, its host and port, so that their events never collide.
    private func journalNode() -> String {
        guard configuration.mariaDB != nil else { return "" }
        let host = ProcessInfo.processInfo.hostName.prefix(40).map { ClusterSettings.isValidNodeId(String($0)) ? $0 : "-" }
        return String(host) + "-\(configuration.port)"
    }

    /// The store's event journal.
    private static func journal(of store: any Store) throws -> any EventLog {
        guard let store = store as? any SQLStore else { throw ConfigurationError(description: "this store keeps no events") }
        return journal(ofSQL: store)
    }

    private static func journal<S: SQLStore>(ofSQL store: S) -> any EventLog {
        EventJournal(store: store)
    }

    /// Kept files: the directory made and checked against the store before anything is uploaded.
    private func startFiles(store: any Store, events: EventBus) async throws -> Uploads? {
        guard let store = store as? any FileStore else { return nil }
        var settings = configuration.files
        if settings.directory.isEmpty { settings.directory = configuration.dataDirectory + "/files" }
        let (node, known) = try Uploads.prepareDirectory(settings.directory, nodeId: configuration.cluster?.nodeId)
        let uploads = Uploads(settings: settings, store: store, events: events, node: node, logger: logger)
        try await uploads.reconcile(directoryKnown: known)
        await uploads.enforceRetention()
        return uploads
    }

    /// Webhooks: delivered from the event journal by one node at a time.
    private func startWebhooks(store: any Store, journal: any EventLog, events: EventBus, node: String) async -> WebhookDispatcher? {
        guard let store = store as? any WebhookStore else { return nil }
        var settings = WebhookDispatcher.Settings()
        settings.allowPrivate = configuration.webhookAllowPrivate
        settings.disableAfter = .seconds(configuration.webhookGiveUpAfter)
        let webhooks = WebhookDispatcher(store: store, journal: journal, events: events, node: node, settings: settings, logger: logger)
        await webhooks.start()
        return webhooks
    }

    /// Site load management: follows the events from now on, its TxProfiles sent like any command.
    private func startSites(
        store: any Store, events: EventBus, commands: Commands, registry: ConnectionRegistry, cluster: Cluster?
    ) async -> SiteManager? {
        guard let store = store as? any SiteStore else { return nil }
        let sites = SiteManager(
            store: store, events: events, node: configuration.cluster?.nodeId, logger: logger,
            send: { action, cpId, payload in try await commands.send(action, payload: payload, to: cpId) },
            connected: { cpIds in
                let local = Set(await registry.byId.keys)
                let remote = Set(try await cluster?.connectedStations().keys.map { $0 } ?? [])
                return Set(cpIds).intersection(local.union(remote))
            })
        await sites.start()
        return sites
    }

    /// The station CA, read before anything starts: a file that cannot be used stops ocppd with the reason.
    private func stationCA() throws -> StationCA? {
        guard let files = configuration.stationCA else { return nil }
        do {
            let ca = try StationCA(
                certificateFile: files.certificate, keyFile: files.key, organization: configuration.stationCertOrganization,
                days: configuration.stationCertDays)
            logger.info(
                "station CA: CSRs of SignCertificate are signed",
                metadata: ["ca": "\(ca.certificate.subject)", "days": "\(ca.days)", "organization": "\(ca.organization ?? "any")"])
            return ca
        } catch {
            throw ConfigurationError(description: "station CA: \(error)")
        }
    }

    /// In cluster mode: this node's part in the cluster, its row written and its loop started.
    private func startCluster(store: any Store, registry: ConnectionRegistry, retry: StoreRetry) async throws -> Cluster? {
        guard let settings = configuration.cluster else { return nil }
        guard let store = store as? any ClusterStore else {
            throw ConfigurationError(description: "cluster mode needs MariaDB")
        }
        let cluster = Cluster(
            settings: settings, store: store, registry: registry, retry: retry, logger: logger,
            trustedChainFile: configuration.tls?.certificate, callTimeout: configuration.callTimeout)
        do {
            try await cluster.start()
        } catch {
            await cluster.client.shutdown()  // an HTTP client must be shut down before it goes
            throw error
        }
        return cluster
    }

    private func makeStore(health: StoreHealth) throws -> any Store {
        if let url = configuration.mariaDB {
            // A lost COMMIT answer is settled well within the callers' own retry window, which it would otherwise outlast.
            let check = DatabaseWorkers<MariaDBConnection>.LostCommitCheck(
                window: min(.seconds(10), configuration.storeRetryWindow * 2 / 3), health: health)
            let store = MariaDBStore(
                url: url, connections: configuration.databasePoolSize, lostCommitCheck: check, cluster: configuration.cluster != nil)
            let (writers, readers) = (store.workers.writers, store.workers.readers)
            logger.info(
                "store: MariaDB", metadata: ["url": "\(url)", "connections": "\(writers + readers)", "writers": "\(writers)"])
            return store
        }
        guard let path = configuration.sqlitePath else {
            throw ConfigurationError(
                description: "unsupported database URL: \(configuration.databaseURL ?? ""): use sqlite:///path or mysql://…")
        }
        logger.info("store: SQLite", metadata: ["path": "\(path)"])
        return SQLiteStore(path: path)
    }
}

/// On SIGHUP: rereads the TLS certificate, key and client CA (a renewed certificate needs no restart; connections
/// that are open keep theirs; a bad file is logged and the certificate in use stays) and the generated API token.
final class HangupReloader {
    private let source: any DispatchSourceSignal

    init(tls: TLSSettings?, proxies: TrustedProxies, token: APIToken, logger: Logger) {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler {
            token.reload()
            do {
                try proxies.reload()
            } catch {
                logger.error("client CA reload failed for forwarded certificates: the CA in use stays", metadata: ["error": "\(error)"])
            }
            guard let tls else { return }
            do {
                try tls.reload()
                logger.notice("TLS certificate reloaded", metadata: ["certificate": "\(tls.files.certificate)"])
            } catch {
                logger.error("TLS reload failed: the certificate in use stays", metadata: ["error": "\(error)"])
            }
        }
        source.resume()
        self.source = source
    }

    func stop() {
        source.cancel()
    }
}
