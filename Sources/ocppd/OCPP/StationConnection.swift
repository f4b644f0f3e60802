import Foundation
import Logging
import NIOCore
import NIOWebSocket
import Shared
import Synchronization

/// One station's live WebSocket: writes frames, tracks liveness, and (for commands) the one
/// outstanding CALL the central system may have with it.
actor StationConnection {
    nonisolated let id: String
    nonisolated let remoteAddress: String
    nonisolated let connectedAt: ContinuousClock.Instant
    /// The security profile the handshake's credentials satisfied (0 to 3).
    nonisolated let securityProfile: Int
    private let channel: any Channel
    // Atomics, not actor state: they are touched for every message, and an actor hop each time costs more than the work.
    /// Set by the actor (`close`, `connectionEnded`), never cleared; read by `send` and `ping` on the event loop and in
    /// tasks. Relaxed: it publishes no other data, and a send that misses it writes one frame to a closing channel.
    private let closingFlag = Atomic<Bool>(false)
    /// Set when a ping went out (`ping`, from the registry's loop, an exchange: test and set are one step); cleared by
    /// any frame from the station, on the event loop. Relaxed: a lone flag.
    private let awaitingPong = Atomic<Bool>(false)
    /// The last Heartbeat (milliseconds since 1970, 0 for none), and whether the store has it yet. Written by the
    /// station's message handling (one message at a time), before `heartbeatUnsaved` is set with release.
    private let lastHeartbeatMillis = Atomic<Int64>(0)
    /// Set with release after `lastHeartbeatMillis` is written, taken with acquire by `saveHeartbeats` before it reads
    /// it, so a taken flag brings its Heartbeat. A Heartbeat between the two is saved twice, never lost.
    private let heartbeatUnsaved = Atomic<Bool>(false)

    // Outbound CALLs (see StationConnection+Outbound.swift): at most one outstanding, the rest wait in order.
    let maxQueuedCalls: Int
    var outstanding: OutstandingCall?
    var callInProgress = false
    var waitingCalls: [CheckedContinuation<Void, Never>] = []
    var nextMessageNumber = 0

    /// The station's CALLs per second (`Configuration.callsPerSecond`).
    nonisolated let callLimit: RateLimit
    /// Taken on the event loop (`CentralSystem.prepare`) and in the message's task (`handle`, `pace`), without an actor
    /// hop: the refill and the take are one step under the lock.
    private let callBucket: Locked<TokenBucket>

    init(
        id: String, remoteAddress: String, channel: any Channel, maxQueuedCalls: Int = 16, callLimit: RateLimit = .unlimited,
        securityProfile: Int = 0
    ) {
        self.id = id
        self.securityProfile = securityProfile
        self.callLimit = callLimit
        self.callBucket = Locked(TokenBucket(callLimit))
        self.maxQueuedCalls = maxQueuedCalls
        self.remoteAddress = remoteAddress
        self.channel = channel
        self.connectedAt = .now
    }

    nonisolated var closing: Bool { closingFlag.load(ordering: .relaxed) }

    /// Counts a CALL from the station; nil while it keeps to its rate, else how long until it may send the next.
    nonisolated func takeCall() -> Duration? {
        callBucket.withLock { $0.take(callLimit) }
    }

    func markClosing() {
        closingFlag.store(true, ordering: .relaxed)
    }

    /// Sends one OCPP frame as a text message, straight into the channel. What a station is sent is bounded: one
    /// answer per message it sent (and `StationChannelHandler` handles no next message while the socket takes no more
    /// data), one CALL of the central system at a time, and pings only while the socket takes data.
    nonisolated func send(_ bytes: [UInt8]) {
        guard !closing else { return }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: buffer), promise: nil)
    }

    nonisolated func send(_ frame: OCPPFrame) {
        send(frame.bytes)
    }

    /// Any frame from the station proves it is alive.
    nonisolated func markAlive() {
        awaitingPong.store(false, ordering: .relaxed)
    }

    /// Sends a ping; returns false when the previous one got no answer (the connection is half-open). Never waits:
    /// a station whose socket takes no more data gets no new ping queued, and is closed at the next one unless a frame
    /// from it arrives meanwhile.
    nonisolated func ping() -> Bool {
        guard !closing else { return false }
        if awaitingPong.exchange(true, ordering: .relaxed) { return false }
        if channel.isWritable {
            var data = channel.allocator.buffer(capacity: 8)
            data.writeString("ocppd")
            channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .ping, data: data), promise: nil)
        }
        return true
    }

    nonisolated func pong(_ data: ByteBuffer) {
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .pong, data: data), promise: nil)
    }

    /// Starts the closing handshake; the channel is closed for good shortly after even if the station never answers.
    func close(code: WebSocketErrorCode, reason: String = "") async {
        guard !closing else { return }
        markClosing()
        failCalls()
        var data = channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        data.write(webSocketErrorCode: code)
        data.writeString(reason)
        try? await channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)).get()
        let channel = self.channel
        channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
    }

    /// Notes a Heartbeat. Heartbeats reach the store in batches (`takeUnsavedHeartbeat`), not one write each.
    nonisolated func heartbeat(at date: Date) {
        lastHeartbeatMillis.store(Int64((date.timeIntervalSince1970 * 1000).rounded()), ordering: .relaxed)
        heartbeatUnsaved.store(true, ordering: .releasing)
    }

    /// The last Heartbeat on this connection, saved or not.
    nonisolated var lastHeartbeat: Date? {
        let millis = lastHeartbeatMillis.load(ordering: .relaxed)
        return millis == 0 ? nil : Date(timeIntervalSince1970: Double(millis) / 1000)
    }

    /// The last Heartbeat if the store does not have it yet; it counts as saved from now on.
    nonisolated func takeUnsavedHeartbeat() -> Date? {
        heartbeatUnsaved.exchange(false, ordering: .acquiring) ? lastHeartbeat : nil
    }

    /// Marks a taken Heartbeat unsaved again (its write failed), unless a newer one came meanwhile.
    nonisolated func keepUnsavedHeartbeat() {
        heartbeatUnsaved.store(true, ordering: .releasing)
    }

    /// Ends the connection at once, without a closing handshake (a peer that broke the protocol).
    nonisolated func abort() {
        channel.close(promise: nil)
    }
}
