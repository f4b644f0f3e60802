import Hummingbird
import Logging
import Prometheus
import Shared

/// The REST API: /api/* behind the bearer token, and the unauthenticated health and metrics routes.
struct APIRoutes: Sendable {
    let store: any Store
    let registry: ConnectionRegistry
    let centralSystem: CentralSystem
    let commands: Commands
    let security: StationSecurity
    let events: EventBus
    let configuration: Configuration
    let metrics: PrometheusCollectorRegistry
    let apiToken: APIToken
    /// REST requests with the token, one budget for every listener.
    let apiRequests: RateLimiter
    /// Set when this ocppd is a node of a cluster.
    var cluster: Cluster? = nil
    /// Files: charger uploads and kept files (nil only in tests that need none).
    var uploads: Uploads? = nil
    /// Site load management (nil only in tests that need none).
    var sites: SiteManager? = nil
    /// Webhook delivery (nil only in tests that need none).
    var webhooks: WebhookDispatcher? = nil

    func buildRouter() -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: MetricsMiddleware())
        addSystemRoutes(to: router)
        let accounts = store as? any AccountStore
        let api = router.group("api").add(
            middleware: APIGate(
                access: APIAccess(defaultToken: apiToken, store: accounts), limiter: apiRequests,
                audit: accounts.map {
                    AuditLog(store: $0, events: events, maxBodySize: configuration.maxBodySize, logger: Logger(label: "ocppd"))
                }))
        /// The OpenAPI 3.1 document of this API.
        api.get("openapi.json") { _, _ in API.jsonValue(OpenAPIDocument.document) }
        /// A new bearer token, in force at once (the one of this request stops working) and saved in the data
        /// directory; 409 when the token is configured (only the configuration changes it).
        api.post("token/rotate") { _, _ in
            guard let token = try apiToken.rotate() else {
                throw Problem(
                    status: .conflict,
                    detail: "the API token is configured (--api-token, OCPPD_API_TOKEN or the config file): change it there")
            }
            return API.jsonValue(["token": .string(token)])
        }
        addStationRoutes(to: api)
        addSessionRoutes(to: api)
        addRfidRoutes(to: api)
        addCommandRoutes(to: api)
        addSecurityRoutes(to: api)
        addFileRoutes(to: api)
        addSiteRoutes(to: api)
        addAccountRoutes(to: api)
        addWebhookRoutes(to: api)
        addEventRoutes(to: api)
        addClusterRoutes(to: api)
        addInternalRoutes(to: router)
        addUploadRoutes(to: router)
        return router
    }

    func addSystemRoutes(to router: Router<APIRequestContext>) {
        /// Liveness: the process answers.
        router.get("healthz") { _, _ in
            API.jsonValue(["status": "ok"])
        }

        /// Readiness: the store answers and, on a Galera node, that node is synced and in the Primary component.
        router.get("readyz") { _, _ in
            // Galera first: a node outside the Primary component refuses every query, the ping's too, and says why here.
            if let galera = await (store as? MariaDBStore)?.galeraStatus(), let refusal = galera.refusal {
                throw Problem(status: .serviceUnavailable, detail: refusal, headers: [.retryAfter: "5"])
            }
            guard await store.ping() else {
                throw Problem(status: .serviceUnavailable, detail: "the database does not answer", headers: [.retryAfter: "5"])
            }
            if let cluster, !cluster.isServing {
                throw Problem(
                    status: .serviceUnavailable, detail: "this node cannot write to the cluster's database: it takes no stations",
                    headers: [.retryAfter: "5"])
            }
            var answer: JSONObject = ["status": "ready", "connectedStations": .integer(Int64(await registry.count))]
            if let cluster { answer["node"] = .string(cluster.nodeId) }
            return API.jsonValue(.object(answer))
        }

        /// Prometheus metrics.
        router.get("metrics") { _, _ in
            var buffer: [UInt8] = []
            metrics.emit(into: &buffer)
            if let sqlStore = store as? any SQLStore {
                buffer += Self.storeMetrics(sqlStore.writeStatistics).utf8
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }

    /// The group-commit counters live in the store's worker threads, which should not touch the metrics system on every
    /// commit: they are read when scraped. jobs_total / commits_total is the mean group-commit batch size.
    static func storeMetrics(_ statistics: WriteStatistics) -> String {
        """
        # HELP ocppd_store_commits_total Write transactions committed by the store.
        # TYPE ocppd_store_commits_total counter
        ocppd_store_commits_total \(statistics.commits)
        # HELP ocppd_store_jobs_total Write jobs committed by the store (several per commit under load: group commit).
        # TYPE ocppd_store_jobs_total counter
        ocppd_store_jobs_total \(statistics.jobs)

        """
    }
}
