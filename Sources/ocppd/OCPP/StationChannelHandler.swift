import Logging
import NIOCore
import NIOWebSocket
import Shared

/// What a station's WebSocket needs of the rest of ocppd once its handshake was accepted.
struct StationServices: Sendable {
    let registry: ConnectionRegistry
    let centralSystem: CentralSystem
    let maxMessageSize: Int
    let maxQueuedCalls: Int
    let callLimit: RateLimit
    let open: OpenStations
    let logger: Logger
    /// In a cluster: where this node records the stations it holds.
    var cluster: Cluster? = nil
}

/// Station connections whose handler has not finished yet (the message in hand, leaving the registry): shutdown waits
/// for them before it closes the store, so that nothing a station was answered is left unwritten.
final class OpenStations: Sendable {
    private struct State {
        var count = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Open connections and shutdown's waiters: handlers open on their event loops and finish in their end tasks,
    /// `drained` waits from the gateway's task. Both change in one lock, so each waiter is resumed once, at 0.
    private let state = Locked(State())

    func opened() {
        state.withLock { $0.count += 1 }
    }

    func finished() {
        let waiters = state.withLock { state in
            state.count -= 1
            defer { if state.count == 0 { state.waiters = [] } }
            return state.count == 0 ? state.waiters : []
        }
        waiters.forEach { $0.resume() }
    }

    /// Returns once no station connection is open.
    func drained() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state in
                if state.count > 0 { state.waiters.append(continuation) }
                return state.count == 0
            }
            if now { continuation.resume() }
        }
    }
}

/// A station's WebSocket after the upgrade, in the channel pipeline: joins fragmented messages, answers pings, and
/// hands each message to the central system, one at a time and in order, each in a short-lived task. No task lives
/// as long as the connection: with thousands of idle stations, a task per station (and the async stacks it keeps)
/// was most of ocppd's memory.
///
/// Backpressure both ways: while a message is being handled the next ones wait here, and past a few of them the
/// handler stops reading the socket; while the socket takes no more data (a station that sends but does not read its
/// answers) no next message is handled.
final class StationChannelHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// Complete messages waiting beyond which the socket is no longer read.
    static let maxWaitingMessages = 4

    private let services: StationServices
    private let connection: StationConnection
    private let logger: Logger
    private var fragments: [UInt8] = []
    private var inMessage = false
    private var waiting = CircularBuffer<[UInt8]>(initialCapacity: 1)
    /// Registration first, then each message: what runs for this connection now; the next waits for it.
    private var running: Task<Void, Never>?
    private var readingPaused = false
    /// The station broke the protocol or the channel closed: no frame is read any more.
    private var done = false
    /// The connection's end was handled (`end()`).
    private var ended = false

    init(identity: String, remoteAddress: String, securityProfile: Int, channel: any Channel, services: StationServices) {
        self.services = services
        self.logger = services.logger.station(identity)
        connection = StationConnection(
            id: identity, remoteAddress: remoteAddress, channel: channel, maxQueuedCalls: services.maxQueuedCalls,
            callLimit: services.callLimit, securityProfile: securityProfile)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        services.open.opened()
        let connection = connection
        let services = services
        let logger = logger
        run(context) {
            await services.registry.register(connection)
            // In a cluster the station is this node's before any of its messages is answered, or it is sent away.
            if let cluster = services.cluster, !(await cluster.acquire(connection)) {
                await connection.close(code: .goingAway, reason: "this node cannot take the station now; reconnect")
                return
            }
            await services.centralSystem.connected(connection)
            logger.info("station connected", metadata: ["remote": "\(connection.remoteAddress)"])
        }
        // Closed while it was being upgraded: no channelInactive will come to this handler.
        if !context.channel.isActive { end() }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard !done else {
            // The station's answer to the close we sent after it broke the protocol: nothing more to wait for.
            if frame.opcode == .connectionClose { connection.abort() }
            return
        }
        connection.markAlive()
        switch frame.opcode {
        case .text, .binary, .continuation:
            if frame.opcode == .continuation {
                guard inMessage else { return protocolViolation(.protocolError, "unexpected continuation frame") }
            } else {
                fragments = []
            }
            guard fragments.count + frame.data.readableBytes <= services.maxMessageSize else {
                LimitRefusals.messageSize.record(
                    "message over the size limit: closing", ["station": "\(connection.id)", "bytes": "\(services.maxMessageSize)"])
                return protocolViolation(.messageTooLarge, "message larger than \(services.maxMessageSize) bytes")
            }
            let start = fragments.count
            fragments.append(contentsOf: frame.data.readableBytesView)
            if let key = frame.maskKey { fragments.unmaskWebSocketPayload(from: start, with: key) }
            inMessage = !frame.fin
            if frame.fin {
                // The buffer goes with the message: an idle station holds no copy.
                waiting.append(fragments)
                fragments = []
                handleNext(context)
                pauseReading(context, waiting.count >= Self.maxWaitingMessages)
            }
        case .ping:
            connection.pong(frame.unmaskedData)
        case .connectionClose:
            // The station's answer to our close, or its own: the WebSocket is over once ours is sent. What it sent before
            // is handled first, in order: a station that answers a command and closes at once (one reconnecting on a new
            // security profile does) must not have the command fail for want of the answer it sent.
            done = true
            let queued = Array(waiting)
            waiting.removeAll()
            let previous = running
            let connection = connection
            let centralSystem = services.centralSystem
            let logger = logger
            running = Task {
                await previous?.value
                for message in queued { await centralSystem.handleMessage(message, from: connection, logger: logger) }
                await connection.close(code: .normalClosure)
                connection.abort()
            }
        default:
            break
        }
    }

    /// The server is shutting down: the station is told so (1001) and closes.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            close(.goingAway, "central system shutting down")
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        handleNext(context)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        end()
        context.fireChannelInactive()
    }

    /// The connection is over: after the task in hand, it leaves the registry. Once only.
    private func end() {
        guard !ended else { return }
        ended = true
        done = true
        waiting.removeAll()
        let previous = running
        let connection = connection
        let services = services
        let logger = logger
        running = Task {
            await previous?.value
            await connection.connectionEnded()
            await services.centralSystem.saveHeartbeats(of: [connection])  // replaced connections too: nothing saves them later
            // A station another node took since is not disconnected: its new node said it connected.
            if await services.registry.unregister(connection), await services.cluster?.release(connection) ?? true {
                await services.centralSystem.disconnected(connection)
            }
            logger.info("station disconnected")
            services.open.finished()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? NIOWebSocketError, error == .invalidFrameLength {
            // One frame over the size: NIO's decoder refused it and answered 1009.
            LimitRefusals.messageSize.record(
                "frame over the size limit: closing", ["station": "\(connection.id)", "bytes": "\(services.maxMessageSize)"])
        }
        logger.debug("websocket error: closing", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    /// Starts the next waiting message unless one is running or the socket takes no more data. A message is parsed
    /// here; what is answered at once (`CentralSystem.prepare`) needs no task, and the next one follows.
    private func handleNext(_ context: ChannelHandlerContext) {
        let connection = connection
        let centralSystem = services.centralSystem
        let logger = logger
        while !done, running == nil, context.channel.isWritable, let message = waiting.popFirst() {
            let pipelined = !waiting.isEmpty  // the station did not wait for this one's answer
            guard let frame = centralSystem.prepare(message, from: connection, logger: logger, pipelined: pipelined) else { continue }
            run(context) { await centralSystem.handle(frame, from: connection, logger: logger, pipelined: pipelined) }
        }
        pauseReading(context, waiting.count >= Self.maxWaitingMessages)
    }

    /// The current task ended: the next message, if the connection is still open.
    private func finished(_ context: ChannelHandlerContext) {
        guard !done else { return }
        running = nil
        handleNext(context)
    }

    /// Runs `work` as the connection's current task; when it ends, back on the event loop, the next message starts.
    private func run(_ context: ChannelHandlerContext, _ work: @escaping @Sendable () async -> Void) {
        let loop = context.eventLoop
        let handler = NIOLoopBound(self, eventLoop: loop)
        let bound = NIOLoopBound(context, eventLoop: loop)
        running = Task {
            await work()
            loop.execute { handler.value.finished(bound.value) }
        }
    }

    private func pauseReading(_ context: ChannelHandlerContext, _ pause: Bool) {
        guard pause != readingPaused else { return }
        readingPaused = pause
        try? context.channel.syncOptions?.setOption(.autoRead, value: !pause)
        if !pause { context.read() }
    }

    private func protocolViolation(_ code: WebSocketErrorCode, _ reason: String) {
        if code == .protocolError { logger.notice("\(reason): closing") }
        done = true
        waiting.removeAll()
        close(code, reason)
    }

    private func close(_ code: WebSocketErrorCode, _ reason: String) {
        let connection = connection
        Task { await connection.close(code: code, reason: reason) }
    }
}

extension [UInt8] {
    /// Unmasks a frame's payload, the bytes from `start` on (RFC 6455 section 5.3: each XORed with the frame's key, byte
    /// `i` with key byte `i % 4`), eight bytes at a time. NIO's `unmaskedData` goes a byte at a time: 7,000 instructions
    /// of a MeterValues.
    mutating func unmaskWebSocketPayload(from start: Int, with key: WebSocketMaskingKey) {
        var word: UInt64 = 0
        for index in 0..<8 { word |= UInt64(key[index % 4]) << (8 * index) }
        let pattern = word.littleEndian  // key[0], key[1] ... in memory order, as the payload's bytes are
        withUnsafeMutableBytes { bytes in
            var index = start
            while index + 8 <= bytes.count {
                let masked = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                bytes.storeBytes(of: masked ^ pattern, toByteOffset: index, as: UInt64.self)
                index += 8
            }
            while index < bytes.count {
                bytes[index] ^= key[(index - start) % 4]
                index += 1
            }
        }
    }
}
