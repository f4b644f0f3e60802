import Logging
import NIOCore
import NIOWebSocket
import Shared

/// One station's live WebSocket: writes frames, tracks liveness, and (for commands) the one
/// outstanding CALL the central system may have with it.
actor StationConnection {
    nonisolated let id: String
    nonisolated let remoteAddress: String
    nonisolated let connectedAt: ContinuousClock.Instant
    private let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>
    private let channel: any Channel
    var closing = false
    /// Set when a ping went out; cleared by any frame from the station.
    private var awaitingPong = false

    // Outbound CALLs (see StationConnection+Outbound.swift): at most one outstanding, the rest wait in order.
    let maxQueuedCalls: Int
    var outstanding: OutstandingCall?
    var callInProgress = false
    var waitingCalls: [CheckedContinuation<Void, Never>] = []
    var nextMessageNumber = 0

    init(
        id: String, remoteAddress: String, channel: any Channel, outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>,
        maxQueuedCalls: Int = 16
    ) {
        self.id = id
        self.maxQueuedCalls = maxQueuedCalls
        self.remoteAddress = remoteAddress
        self.channel = channel
        self.outbound = outbound
        self.connectedAt = .now
    }

    /// Sends one OCPP frame as a text message.
    func send(_ bytes: [UInt8]) async throws {
        guard !closing else { return }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try await outbound.write(WebSocketFrame(fin: true, opcode: .text, data: buffer))
    }

    func send(_ frame: OCPPFrame) async throws {
        try await send(frame.bytes)
    }

    /// Any frame from the station proves it is alive.
    func markAlive() {
        awaitingPong = false
    }

    /// Sends a ping; returns false when the previous one got no answer (the connection is half-open).
    func ping() async -> Bool {
        guard !closing else { return false }
        if awaitingPong { return false }
        awaitingPong = true
        var data = channel.allocator.buffer(capacity: 8)
        data.writeString("ocppd")
        try? await outbound.write(WebSocketFrame(fin: true, opcode: .ping, data: data))
        return true
    }

    func pong(_ data: ByteBuffer) async {
        try? await outbound.write(WebSocketFrame(fin: true, opcode: .pong, data: data))
    }

    /// Starts the closing handshake; the channel is closed for good shortly after even if the station never answers.
    func close(code: WebSocketErrorCode, reason: String = "") async {
        guard !closing else { return }
        closing = true
        failCalls()
        var data = channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        data.write(webSocketErrorCode: code)
        data.writeString(reason)
        try? await outbound.write(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))
        let channel = self.channel
        channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
    }

    /// Ends the connection at once, without a closing handshake (a peer that broke the protocol).
    nonisolated func abort() {
        channel.close(promise: nil)
    }
}
