import NIOCore
import NIOPosix
import NIOWebSocket
import Shared

/// What a booted station does next.
enum Activity {
    case idle
    /// The next CALL as soon as the previous one is answered.
    case saturate
    /// A CALL at each tick of the station's timer.
    case fixedRate
    /// These CALLs one after the other, then idle.
    case script([Step])
}

/// The counters of one event loop's stations. Touched only on that loop, so no locks.
final class LoopState {
    var stations: [SimulatedStation] = []
    var measuring = false
    var stopping = false
    /// CALLs answered while measuring, and their latencies in microseconds.
    var completed = 0
    var latencies: [UInt32] = []
    var errors: [String: Int] = [:]
    var connected = 0
    var booted = 0
    var lastBoot = NIODeadline.uptimeNanoseconds(0)
    var scriptsDone = 0
    var centralSystemCalls = 0
    /// Stations that gave up after an error.
    var failed = 0

    func count(_ error: String) {
        errors[error, default: 0] += 1
    }

    func snapshot(withLatencies: Bool) -> LoopSnapshot {
        LoopSnapshot(
            completed: completed, latencies: withLatencies ? latencies : [], errors: errors, connected: connected, booted: booted,
            lastBoot: lastBoot,
            scriptsDone: scriptsDone, centralSystemCalls: centralSystemCalls, failed: failed)
    }
}

struct LoopSnapshot: Sendable {
    var completed = 0
    var latencies: [UInt32] = []
    var errors: [String: Int] = [:]
    var connected = 0
    var booted = 0
    var lastBoot = NIODeadline.uptimeNanoseconds(0)
    var scriptsDone = 0
    var centralSystemCalls = 0
    var failed = 0
}

/// One simulated charge point: boots, then keeps at most one CALL outstanding (the OCPP rule),
/// checks every answer, and answers the central system's CALLs. Lives on one event loop.
final class SimulatedStation {
    let index: Int
    let mix: Mix
    let state: LoopState
    var facts: ChargePointFacts
    var activity = Activity.idle
    private(set) var booted = false
    private(set) var failed = false
    private var context: ChannelHandlerContext?
    private var outstanding: (id: String, step: Step, sentAt: NIODeadline)?
    private var messageNumber = 0
    private var cycle = 0
    private var expectingClose = false
    private var timer: RepeatedTask?

    init(index: Int, id: String, idTag: String, mix: Mix, state: LoopState) {
        self.index = index
        self.mix = mix
        self.state = state
        self.facts = ChargePointFacts(id: id, idTag: idTag, meterWh: 0, transactionId: nil)
    }

    // MARK: connection

    func attached(_ context: ChannelHandlerContext) {
        self.context = context
        expectingClose = false
        booted = false
        state.connected += 1
    }

    /// The first CALL once the upgrade is complete (writes from `handlerAdded` would meet the HTTP handlers still in the pipeline).
    func boot() {
        send(.boot)
    }

    func detached() {
        guard context != nil else { return }
        context = nil
        state.connected -= 1
        timer?.cancel()
        timer = nil
        if !expectingClose && !state.stopping && !failed {
            fail(outstanding == nil ? "connection closed by the central system" : "connection closed with a CALL unanswered")
        }
        outstanding = nil
    }

    /// Drops the connection as a network failure would: a TCP reset, no closing handshake.
    func drop() {
        guard let context else { return }
        expectingClose = true
        // Synchronous on the channel's own loop, so the reset applies to the close below.
        _ = (context.channel as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0))
        context.close(promise: nil)
    }

    // MARK: sending

    func sendNext() {
        guard booted, !failed, !state.stopping, outstanding == nil else { return }
        switch mix {
        case .heartbeat:
            send(.heartbeat)
        case .meter:
            send(.meter)
        case .session:
            let steps = 2 + Mix.meterValuesPerSession + 1
            let position = cycle % steps
            cycle += 1
            send(position == 0 ? .authorize : position == 1 ? .start : position == steps - 1 ? .stop : .meter)
        }
    }

    /// A CALL every `interval`, the first after `offset` (stations spread their ticks over the interval).
    func startFixedRate(interval: TimeAmount, offset: TimeAmount) {
        guard let context, booted, !failed else { return }
        activity = .fixedRate
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleRepeatedTask(initialDelay: offset, delay: interval) { _ in
            bound.value.tick()
        }
    }

    private func tick() {
        guard booted, !failed, !state.stopping else { return }
        guard outstanding == nil else {
            state.count("previous CALL still unanswered at the next tick")
            return
        }
        sendNext()
    }

    func runScript(_ steps: [Step]) {
        guard booted, !failed, let first = steps.first else { return }
        activity = .script(Array(steps.dropFirst()))
        send(first)
    }

    private func send(_ step: Step) {
        guard let context else { return }
        if step == .meter || step == .stop || step == .start { facts.meterWh += 10 }
        messageNumber += 1
        let id = String(messageNumber)
        outstanding = (id, step, .now())
        write(Messages.call(step, messageId: id, facts: facts), context: context)
    }

    private func write(_ text: String, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: buffer)
        context.writeAndFlush(NIOAny(frame), promise: nil)
    }

    // MARK: receiving

    func received(_ bytes: ByteBufferView) {
        let frame: OCPPFrame
        do {
            frame = try OCPPFrame.parse(bytes)
        } catch {
            fail("malformed frame from the central system")
            return
        }
        switch frame {
        case .call(let id, let action, _):
            state.centralSystemCalls += 1
            guard let context else { return }
            if let answer = Messages.answer(toCentralSystemAction: action) {
                write("[3,\"\(id)\",\(answer)]", context: context)
            } else {
                write("[4,\"\(id)\",\"NotImplemented\",\"\",{}]", context: context)
            }
        case .callResult(let id, let payload):
            guard let call = outstanding, call.id == id else {
                fail("answer to a CALL that was not outstanding")
                return
            }
            outstanding = nil
            let latency = NIODeadline.now() - call.sentAt
            do {
                if let transactionId = try Messages.check(call.step, payload) {
                    facts.transactionId = transactionId
                }
            } catch {
                fail(error.kind)
                return
            }
            completed(call.step, latency: latency)
        case .callError(let id, let code, _, _):
            let step = outstanding?.id == id ? outstanding?.step.rawValue ?? "?" : "a CALL not outstanding"
            outstanding = nil
            fail("CALLERROR \(code) to \(step)")
        }
    }

    private func completed(_ step: Step, latency: TimeAmount) {
        if state.measuring {
            state.completed += 1
            state.latencies.append(UInt32(clamping: latency.nanoseconds / 1000))
        }
        switch step {
        case .boot:
            booted = true
            state.booted += 1
            state.lastBoot = .now()
        case .stop:
            facts.transactionId = nil
        default:
            break
        }
        switch activity {
        case .saturate:
            sendNext()
        case .script(let steps):
            if let next = steps.first {
                activity = .script(Array(steps.dropFirst()))
                send(next)
            } else {
                activity = .idle
                state.scriptsDone += 1
            }
        case .idle, .fixedRate:
            break
        }
    }

    /// Timeouts are checked by the loop's sweep (`LoadGenerator`), not by a timer per CALL.
    func checkTimeout(now: NIODeadline, limit: TimeAmount) {
        if let call = outstanding, now - call.sentAt > limit {
            outstanding = nil
            fail("no answer to \(call.step.rawValue) within \(limit.nanoseconds / 1_000_000_000) s")
        }
    }

    func connectionError(_ error: any Error) {
        guard !expectingClose, !state.stopping, !failed else { return }
        fail("connection error: \(error)")
    }

    func fail(_ kind: String) {
        state.count(kind)
        if !failed { state.failed += 1 }
        failed = true
        timer?.cancel()
        timer = nil
    }
}

/// Joins the WebSocket frames of a station's connection into messages and hands them to the station.
final class StationChannelHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let station: SimulatedStation
    private var message: ByteBuffer?

    init(station: SimulatedStation) {
        self.station = station
    }

    func handlerAdded(context: ChannelHandlerContext) {
        station.attached(context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        station.detached()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            if frame.fin {
                station.received(frame.unmaskedData.readableBytesView)
            } else {
                message = frame.unmaskedData
            }
        case .continuation:
            guard message != nil else { return }
            var data = frame.unmaskedData
            message!.writeBuffer(&data)
            if frame.fin, let whole = message {
                message = nil
                station.received(whole.readableBytesView)
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            let reply = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
            context.close(promise: nil)
        default:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        station.connectionError(error)
        context.close(promise: nil)
    }
}
