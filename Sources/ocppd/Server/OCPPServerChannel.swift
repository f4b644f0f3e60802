import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOSSL
import NIOWebSocket

/// The answer to a WebSocket handshake on the OCPP path.
enum HandshakeDecision: Sendable {
    /// `remoteAddress`: the station's (behind a trusted proxy, the one the proxy names); `securityProfile`: the profile
    /// its credentials satisfied (0 to 3).
    case accept(identity: String, subprotocol: String?, remoteAddress: String, securityProfile: Int)
    /// Refused with an HTTP status (401 with `WWW-Authenticate`, 404, 400 …) and a one-line reason.
    case refuse(HTTPResponse.Status, headers: HTTPFields, reason: String)
}

/// Decides handshakes and runs accepted station connections.
protocol StationEndpoint: Sendable {
    /// Decides whether `request`, which came from `peer` over `direct`, may open an OCPP WebSocket.
    func handshake(_ request: HTTPRequest, peer: String, direct: StationTransport) async -> HandshakeDecision
    /// The handler that runs an accepted station's WebSocket in its channel's pipeline, until it closes.
    func stationHandler(identity: String, remoteAddress: String, securityProfile: Int, channel: any Channel) -> any ChannelHandler
}

/// HTTP/1.1 child channel that serves the REST API through Hummingbird's responder and upgrades
/// OCPP WebSockets itself, so that a refused handshake can answer 401 or 404 as OCPP requires
/// (HummingbirdWebSocket answers every refusal with a bare 400).
struct OCPPServerChannel: ServerChildChannel, HTTPChannelHandler {
    enum Negotiated: Sendable {
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, HTTPResponse.Status, HTTPFields, String)
        /// A station's WebSocket, run by the handler in its pipeline: no task of its own waits on it.
        case station
    }

    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let channel: any Channel
    }

    let responder: HTTPChannelHandler.Responder
    let endpoint: any StationEndpoint
    let maxFrameSize: Int
    /// An HTTP connection that sends nothing for this long while its request is read (a stalled upload) or between
    /// requests is closed; one waiting for its answer (a command, an event stream) is not.
    let idleTimeout: Duration
    /// The listener's TLS (wss:// and https://); nil for plain ws:// and http://.
    let tls: TLSSettings?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let secure = tls != nil
            if let tls {
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.context))
            }
            // Each connection keeps its last receive buffer. OCPP messages are mostly a few hundred bytes, so start at
            // 256 bytes rather than NIO's 2 KiB (it still grows for larger reads): ~1.75 KiB less per station.
            try channel.syncOptions?.setOption(
                .recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 65536))
            let peer = channel.remoteAddress?.ipAddress ?? "unknown"
            // The handshake's decision: written by `shouldUpgrade`'s task off the event loop, read on the event loop
            // by the upgrade or not-upgrading handler, which NIO calls only after that task completed the promise.
            // The lock makes the write visible there.
            let decision = NIOLockedValueBox<HandshakeDecision?>(nil)
            let endpoint = self.endpoint
            let tls = self.tls
            let upgrader = NIOTypedWebSocketServerUpgrader<Negotiated>(
                maxFrameSize: maxFrameSize,
                enableAutomaticErrorHandling: true,
                shouldUpgrade: { channel, head in
                    let direct = tls?.transport(of: channel) ?? .plain
                    let promise = channel.eventLoop.makePromise(of: HTTPHeaders?.self)
                    promise.completeWithTask {
                        let result: HandshakeDecision
                        do {
                            let request = try HTTPRequest(head, secure: secure, splitCookie: false)
                            result = await endpoint.handshake(request, peer: peer, direct: direct)
                        } catch {
                            result = .refuse(.badRequest, headers: [:], reason: "malformed handshake request")
                        }
                        decision.withLockedValue { $0 = result }
                        guard case .accept(_, let subprotocol, _, _) = result else { return nil }
                        var headers = HTTPHeaders()
                        if let subprotocol { headers.add(name: "Sec-WebSocket-Protocol", value: subprotocol) }
                        return headers
                    }
                    return promise.futureResult
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard case .accept(let identity, _, let remoteAddress, let profile) = decision.withLockedValue({ $0 }) else {
                            preconditionFailure("upgraded without an accepted handshake")
                        }
                        try channel.pipeline.syncOperations.addHandler(
                            endpoint.stationHandler(
                                identity: identity, remoteAddress: remoteAddress, securityProfile: profile, channel: channel))
                        return Negotiated.station
                    }
                }
            )
            let upgradeConfiguration = NIOTypedHTTPServerUpgradeConfiguration<Negotiated>(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: secure))
                        try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: idleTimeout, logger: logger))
                        let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true)
                        )
                        if case .refuse(let status, let headers, let reason) = decision.withLockedValue({ $0 }) {
                            return Negotiated.refused(asyncChannel, status, headers, reason)
                        }
                        return Negotiated.http(asyncChannel)
                    }
                }
            )
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Negotiated>(upgradeConfiguration: upgradeConfiguration)
            configuration.enablePipelining = false
            configuration.enableErrorHandling = false
            configuration.enableResponseHeaderValidation = false
            let negotiated = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            return Value(negotiated: negotiated, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .refused(let http, let status, let headers, let reason):
                await refuse(http, status: status, headers: headers, reason: reason, logger: logger)
            case .station:
                break
            }
        } catch {
            logger.debug("connection ended before its first request", metadata: ["error": "\(error)"])
        }
    }

    /// Answers a refused handshake with its status and a problem+json body, then closes.
    private func refuse(
        _ channel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, status: HTTPResponse.Status, headers: HTTPFields,
        reason: String, logger: Logger
    ) async {
        do {
            try await channel.executeThenClose { _, outbound in
                let body = ByteBuffer(bytes: Problem(status: status, detail: reason).jsonBytes)
                var fields = headers
                fields[.contentType] = "application/problem+json"
                fields[.contentLength] = "\(body.readableBytes)"
                fields[.connection] = "close"
                try await outbound.write(contentsOf: [.head(HTTPResponse(status: status, headerFields: fields)), .body(body), .end(nil)])
            }
        } catch {
            logger.trace("could not write the refusal", metadata: ["error": "\(error)"])
        }
    }
}
