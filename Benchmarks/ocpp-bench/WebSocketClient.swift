import NIOCore
import NIOHTTP1
import NIOWebSocket

enum WebSocketClient {
    static let maxFrameSize = 1 << 20

    /// Sets up the HTTP upgrade to a WebSocket speaking ocpp1.6 on `path`; `upgraded` adds the
    /// handlers of the WebSocket. The future tells whether the server accepted the upgrade.
    static func configure(
        _ channel: any Channel, endpoint: Endpoint, path: String,
        upgraded: @escaping @Sendable (any Channel) throws -> Void
    ) throws -> EventLoopFuture<Bool> {
        let upgrader = NIOTypedWebSocketClientUpgrader<Bool>(maxFrameSize: maxFrameSize) { channel, _ in
            channel.eventLoop.makeCompletedFuture {
                try upgraded(channel)
                return true
            }
        }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(endpoint.host):\(endpoint.port)")
        headers.add(name: "Sec-WebSocket-Protocol", value: "ocpp1.6")
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        let configuration = NIOTypedHTTPClientUpgradeConfiguration<Bool>(
            upgradeRequestHead: head, upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in
                channel.close(promise: nil)
                return channel.eventLoop.makeSucceededFuture(false)
            })
        return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
            configuration: .init(upgradeConfiguration: configuration))
    }
}
