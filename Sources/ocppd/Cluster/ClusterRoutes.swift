import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Shared

/// The cluster's routes: `GET /api/cluster/nodes` for operators, and the internal routes through which one node asks
/// another to act on a station it holds. Internal routes exist only in cluster mode, take only the cluster secret (not
/// the API token) and are not in the OpenAPI document.
enum ClusterRoutes {
    static let internalPrefix = "internal/v1"

    /// Where a node sends a command for a station another node holds.
    static func filePath(_ id: String) -> String { "/\(internalPrefix)/files/\(id)" }

    static func callPath(station: String, action: String) -> String {
        let id = station.addingPercentEncoding(withAllowedCharacters: .urlPathSegmentAllowed) ?? station
        return "/\(internalPrefix)/stations/\(id)/call/\(action)"
    }
}

extension CharacterSet {
    /// What may stand unescaped in one path segment: RFC 3986's unreserved characters.
    fileprivate static let urlPathSegmentAllowed = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}

/// A cluster node as `GET /api/cluster/nodes` shows it.
struct ClusterNodeResource: Encodable {
    var id: String
    var url: String
    var alive: Bool
    var stations: Int
    var lastSeenAt: Date
    var startedAt: Date
}

/// Lets through only requests that carry the cluster secret, compared in constant time; everything else is 401 and says
/// nothing about the secret.
struct ClusterSecretMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Digests are compared, so that the time taken says nothing of the secret, not even its length.
    private let secretDigest: [UInt8]

    init(secret: String) {
        secretDigest = Array(SHA256.hash(data: Array(secret.utf8)))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let presented = request.headers[HTTPField.Name(ClusterSettings.secretHeader)!].map { Array($0.utf8) } ?? []
        guard constantTimeEqual(Array(SHA256.hash(data: presented)), secretDigest) else {
            throw Problem(status: .unauthorized, detail: "internal cluster route: the cluster secret is missing or wrong")
        }
        return try await next(request, context)
    }
}

extension APIRoutes {
    func addClusterRoutes(to api: RouterGroup<APIRequestContext>) {
        /// The nodes of the cluster, alive or not, with the stations each holds; empty on a single ocppd.
        api.get("cluster/nodes") { request, _ in
            let page = try API.pageRequest(request)
            guard let cluster else { return try API.list(API.page([ClusterNodeResource](), page)) }
            let now = Date()
            let nodes = try await cluster.nodes().map { node in
                ClusterNodeResource(
                    id: node.id, url: node.url, alive: cluster.isAlive(node, now: now), stations: node.stations,
                    lastSeenAt: node.lastSeenAt, startedAt: node.startedAt)
            }
            return try API.list(API.page(nodes, page))
        }
    }

    func addInternalRoutes(to router: Router<APIRequestContext>) {
        guard let cluster else { return }
        let internalRoutes = router.group(RouterPath(ClusterRoutes.internalPrefix)).add(
            middleware: ClusterSecretMiddleware(secret: cluster.settings.secret))
        /// A command for a station this node holds, sent by another node: answered exactly as `POST /api/admin/…` here
        /// would, but never forwarded again (a station that left this node meanwhile is 409).
        /// A file this node keeps, for another node that was asked for it (GET or HEAD, one `Range`); never forwarded
        /// again.
        internalRoutes.on("files/:id", method: .get) { request, context in try await internalFile(request, context) }
        internalRoutes.on("files/:id", method: .head) { request, context in try await internalFile(request, context) }
        internalRoutes.on("files/:id", method: .delete) { request, context in try await internalFile(request, context) }
        internalRoutes.post("stations/:cpId/call/:action") { request, context in
            let id = try API.pathParameter(context, "cpId")
            let name = try API.pathParameter(context, "action")
            guard let action = OCPPActions.named(name), OCPPActions.commands.values.contains(where: { $0 == action }) else {
                throw Problem.notFound("unknown command action '\(name)'")
            }
            let body = try await API.jsonObjectBody(request, maxSize: configuration.maxBodySize)
            return API.jsonValue(try await commands.send(action, payload: body, to: id, forwarded: true))
        }
    }
}
