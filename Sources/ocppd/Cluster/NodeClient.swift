import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// Calls another node's internal routes (`ClusterRoutes`), with the cluster secret. HTTPS when the node URL says so,
/// verified against the system's trusted certificates and those of this node's own certificate chain file (so a
/// cluster whose nodes' certificates come from an internal CA needs only that CA at the end of each chain file).
final class NodeClient: Sendable {
    /// What the other node answered.
    struct Answer: Sendable {
        var status: Int
        var retryAfter: String?
        var body: ByteBuffer
    }

    private let client: HTTPClient
    private let secret: String
    /// Largest answer read from a node (a CALLRESULT is at most a frame, GetConfiguration's a few hundred KiB).
    static let maxAnswerSize = 16 << 20

    init(secret: String, trustingChainFile chainFile: String? = nil, readTimeout: Duration = .seconds(90)) {
        self.secret = secret
        var configuration = HTTPClient.Configuration()
        if let chainFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.file(chainFile)]
            configuration.tlsConfiguration = tls
        }
        configuration.timeout = .init(connect: .seconds(2), read: .milliseconds(readTimeout.milliseconds))
        // A node that is going away must not be asked again on a kept-alive connection it already closed.
        configuration.connectionPool = .init(idleTimeout: .seconds(30))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// POSTs `body` to `url` and returns the answer, whatever its status; throws when the node could not be reached or
    /// went away before it answered, or did not answer within `timeout`.
    func post(_ url: String, json body: [UInt8], timeout: Duration) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: ClusterSettings.secretHeader, value: secret)
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .milliseconds(timeout.milliseconds))
        let bytes = try await response.body.collect(upTo: Self.maxAnswerSize)
        return Answer(
            status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"), body: bytes)
    }

    /// Asks another node for a file it keeps (`method` GET or HEAD, `range` passed on; DELETE removes it) and returns its
    /// answer as soon as the head is in (within `timeout`): the body streams on for as long as the file takes, each read
    /// within the client's read timeout.
    func file(_ url: String, method: HTTPMethod, range: String?, timeout: Duration) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: ClusterSettings.secretHeader, value: secret)
        if let range { request.headers.add(name: "Range", value: range) }
        return try await client.execute(request, timeout: .milliseconds(timeout.milliseconds))
    }

    func shutdown() async {
        try? await client.shutdown()
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
