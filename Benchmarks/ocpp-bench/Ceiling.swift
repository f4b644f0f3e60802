import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Shared

/// The ceiling: an OCPP endpoint on the same NIO WebSocket stack as ocppd that answers every CALL at
/// once with a valid payload and stores nothing. ocppd's figures are reported as a share of its figures.
struct Ceiling: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer every CALL at once and store nothing: the ceiling to measure a central system against.",
        discussion: "Prints 'listening on PORT' once ready; runs until killed. Accepts any path and identity."
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port).")
    var port = 0
    @Option(help: "Event loop threads (default: one per core).")
    var threads = System.coreCount

    func run() async throws {
        FileDescriptorLimit.raiseToHard()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let upgrader = NIOWebSocketServerUpgrader(
                    maxFrameSize: WebSocketClient.maxFrameSize,
                    shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(["Sec-WebSocket-Protocol": "ocpp1.6"]) },
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(CeilingHandler()) }
                    })
                return channel.pipeline.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
            }
            .bind(host: host, port: port).get()
        print("listening on \(channel.localAddress?.port ?? 0)")
        fflush(nil)
        try await channel.closeFuture.get()
    }
}

/// Answers each CALL of one connection with a canned valid answer.
final class CeilingHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var transactions = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            guard case .call(let id, let action, _) = try? OCPPFrame.parse(frame.unmaskedData.readableBytesView) else { return }
            let text = "[3,\"\(id)\",\(answer(action))]"
            var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
            buffer.writeString(text)
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: buffer)), promise: nil)
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: frame.unmaskedData)), promise: nil)
            context.close(promise: nil)
        default:
            break
        }
    }

    private func answer(_ action: String) -> String {
        switch action {
        case "BootNotification":
            return #"{"status":"Accepted","currentTime":"\#(OCPPDate.format(Date()))","interval":300}"#
        case "Heartbeat":
            return #"{"currentTime":"\#(OCPPDate.format(Date()))"}"#
        case "Authorize":
            return #"{"idTagInfo":{"status":"Accepted"}}"#
        case "StartTransaction":
            transactions += 1
            return #"{"idTagInfo":{"status":"Accepted"},"transactionId":\#(transactions)}"#
        case "DataTransfer":
            return #"{"status":"Accepted"}"#
        default:
            return "{}"
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
