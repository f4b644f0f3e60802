import Foundation
import Hummingbird
import Logging
import Shared
import Testing

@testable import ocppd

@Suite struct OpenAPIDocumentTests {
    /// The document names exactly the routes the router serves, method by method; a cluster node's internal routes are
    /// served but never documented.
    @Test(arguments: [false, true]) func describesExactlyTheRoutesTheRouterServes(cluster: Bool) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ocppd-openapi-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = SQLiteStore(path: directory + "/ocppd.sqlite")
        let registry = ConnectionRegistry()
        let events = EventBus()
        let node =
            cluster
            ? Cluster(
                settings: ClusterSettings(nodeId: "n1", nodeURL: "http://127.0.0.1:1", secret: "0123456789abcdef"), store: store,
                registry: registry, retry: StoreRetry(), logger: Logger(label: "test")) : nil
        let commands = Commands(store: store, registry: registry, events: events, timeout: .seconds(1), logger: Logger(label: "test"))
        let routes = APIRoutes(
            store: store, registry: registry,
            centralSystem: CentralSystem(store: store, registry: registry, events: events, policy: .accept, heartbeatInterval: 60),
            commands: commands,
            security: StationSecurity(
                store: store, commands: commands, events: events, ca: nil, storeRetry: StoreRetry(), logger: Logger(label: "test")),
            events: events, configuration: Configuration(dataDirectory: directory), metrics: Gateway.metrics,
            apiToken: APIToken(source: .configured, token: "t"), apiRequests: RateLimiter("api_requests", limit: .unlimited),
            cluster: node,
            uploads: Uploads(
                settings: FileSettings(directory: directory + "/files"), store: store, events: events, node: "",
                logger: Logger(label: "test")))
        let router = routes.buildRouter()

        let served = Set(
            router.routes.map { route -> String in
                let path =
                    "/"
                    + route.path.description.split(separator: "/").map { segment in
                        segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
                    }.joined(separator: "/")
                return "\(route.method.rawValue.lowercased()) \(path)"
            })
        guard case .object(let paths) = OpenAPIDocument.document["paths"] else {
            Issue.record("no paths")
            return
        }
        var documented = Set<String>()
        for path in paths.members {
            for operation in path.value.objectValue?.keys ?? [] {
                documented.insert("\(operation) \(path.key)")
            }
        }
        let internalRoutes = served.filter { $0.contains(" /internal/") }
        let clusterRoutes: Set = [
            "post /internal/v1/stations/{cpId}/call/{action}", "get /internal/v1/files/{id}", "head /internal/v1/files/{id}",
            "delete /internal/v1/files/{id}",
        ]
        #expect(internalRoutes == (cluster ? clusterRoutes : []))
        #expect(served.subtracting(internalRoutes).subtracting(documented).isEmpty, "served but not documented")
        #expect(documented.subtracting(served).isEmpty, "documented but not served")
        #expect(served.count > 15)
        #expect(OpenAPIDocument.document["openapi"] == "3.1.0")
        await node?.client.shutdown()
        await store.close()
    }
}
