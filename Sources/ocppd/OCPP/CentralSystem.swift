import Foundation
import Logging
import Metrics
import Shared

/// The central system's answers to what charge points send: registration, authorization,
/// transactions, status and meter values. Every answer to a transaction message is sent only
/// after its data is committed.
final class CentralSystem: Sendable {
    let store: any Store
    let registry: ConnectionRegistry
    let unknownStations = SightingList(capacity: 200)
    let unknownTags = SightingList(capacity: 200)
    let removedStations = RemovedStations(capacity: 1000)
    let policy: UnknownStationPolicy
    let heartbeatInterval: Int
    let events: EventBus
    let logger: Logger
    /// This node's id in a cluster (not the journal's name for a single ocppd's events).
    let clusterNode: String?
    private let router: OCPPRouter
    private let messagesIn = Counter(label: "ocppd_ocpp_messages_received_total")
    private let callErrors = Counter(label: "ocppd_ocpp_callerrors_sent_total")

    init(
        store: any Store, registry: ConnectionRegistry, events: EventBus, policy: UnknownStationPolicy, heartbeatInterval: Int,
        storeRetry: StoreRetry = StoreRetry(), logger: Logger = Logger(label: "ocppd"), clusterNode: String? = nil,
        security: StationSecurity? = nil, dataTransferVendors: DataTransferVendors = DataTransferVendors()
    ) {
        self.clusterNode = clusterNode
        self.store = store
        self.logger = logger
        self.events = events
        self.registry = registry
        self.policy = policy
        self.heartbeatInterval = heartbeatInterval
        var router = OCPPRouter()
        Self.registerHandlers(
            &router, store: store, events: events, policy: policy, heartbeatInterval: heartbeatInterval, unknownTags: unknownTags,
            storeRetry: storeRetry, dataTransferVendors: dataTransferVendors)
        security?.register(on: &router)
        self.router = router
    }

    func sawUnknownStation(_ id: String, remoteAddress: String) async {
        await unknownStations.saw(id, at: remoteAddress)
    }

    /// A station the policy lets in unannounced is registered as it connects (Accepted, or Pending under `pending`),
    /// so that operators see it, and can send it TriggerMessage(BootNotification), before it boots. Not awaited by the
    /// handshake: its BootNotification creates the station anyway if this has not committed yet. Not for a station an
    /// operator just removed, which reconnects by itself: only its next boot (or an operator) brings it back, as before.
    func registerUnknownStation(_ id: String) {
        guard !removedStations.contains(id) else { return }
        let status: RegistrationStatus = policy == .pending ? .pending : .accepted
        let store = store
        let logger = logger
        Task {
            do {
                if try await store.registerStation(id, status: status, at: Date()) {
                    logger.info("station registered on connecting", metadata: ["station": "\(id)", "status": "\(status.rawValue)"])
                }
            } catch {
                logger.warning(
                    "could not register a connecting station; its BootNotification will",
                    metadata: ["station": "\(id)", "error": "\(error)"])
            }
        }
    }

    /// In a cluster, the events name the node the station connected to or left.
    func connected(_ connection: StationConnection) async {
        var fields: JSONObject = ["remoteAddress": .string(connection.remoteAddress)]
        if let clusterNode { fields["node"] = .string(clusterNode) }
        await events.publish("station.connected", cpId: connection.id, fields)
    }

    func disconnected(_ connection: StationConnection) async {
        await events.publish("station.disconnected", cpId: connection.id, clusterNode.map { ["node": .string($0)] } ?? [:])
    }

    /// Saves the Heartbeats the store does not have yet, of every connected station, in one write.
    /// Runs every few seconds (`Gateway`) and at shutdown.
    func saveHeartbeats() async {
        await saveHeartbeats(of: Array(await registry.byId.values))
    }

    /// Saves the unsaved Heartbeats of `connections` in one write; a connection that ends calls this for itself
    /// before it leaves the registry, so that the store is never behind what REST showed.
    func saveHeartbeats(of connections: [StationConnection]) async {
        let unsaved = connections.compactMap { connection in connection.takeUnsavedHeartbeat().map { (connection, $0) } }
        guard !unsaved.isEmpty else { return }
        do {
            try await store.recordHeartbeats(unsaved.map { (id: $0.0.id, at: $0.1) })
        } catch {
            // Kept for the next round: a last-heartbeat time is worth a retry, not an error to a station.
            for (connection, _) in unsaved { connection.keepUnsavedHeartbeat() }
            logger.warning(
                "could not save heartbeats; retrying with the next batch", metadata: ["stations": "\(unsaved.count)", "error": "\(error)"])
        }
    }

    /// Handles one WebSocket message of a station: a CALL is answered, a CALLRESULT or CALLERROR
    /// goes to the command waiting for it; anything malformed gets a CALLERROR and changes nothing. `pipelined`: the
    /// station sent more before this was answered (see `pace`).
    func handleMessage(_ bytes: [UInt8], from connection: StationConnection, logger: Logger, pipelined: Bool = false) async {
        if let frame = prepare(bytes, from: connection, logger: logger, pipelined: pipelined) {
            await handle(frame, from: connection, logger: logger, pipelined: pipelined)
        }
    }

    /// The first part of `handleMessage`, on the caller's thread (the connection's event loop): parses the message,
    /// answers a malformed one, and answers at once a CALL with an immediate handler that applies (a Heartbeat nobody
    /// follows) when the station keeps to its rate. Nil when nothing is left to do; else the frame for `handle`.
    func prepare(_ bytes: [UInt8], from connection: StationConnection, logger: Logger, pipelined: Bool) -> OCPPFrame? {
        messagesIn.increment()
        if logger.logLevel <= .debug {
            logger.debug("ocpp in", metadata: ["frame": "\(String(decoding: bytes, as: UTF8.self))"])
        }
        let frame: OCPPFrame
        do {
            frame = try OCPPFrame.parse(bytes)
        } catch {
            logger.notice("malformed frame", metadata: ["error": "\(error.error.description)"])
            if let answer = Self.answer(to: error) { reply(answer, to: connection, logger: logger) }
            return nil
        }
        guard !pipelined, case .call(let id, let action, let payload) = frame, let immediate = router.immediateHandler(for: action),
            connection.takeCall() == nil
        else { return frame }
        answer(
            id, action, immediate(payload, StationContext(id: connection.id, connection: connection, logger: logger)), connection, logger)
        return nil
    }

    /// The answer to a message that is not a frame: a CALLERROR when it was a CALL (with its id, or "-1"), else none.
    static func answer(to error: OCPPFrame.ParseError) -> OCPPFrame? {
        error.wasCall ? .callError(id: error.messageId ?? "-1", error.error) : nil
    }

    /// Whether a CALL of `action` goes to a handler of this central system's router.
    func handles(_ action: String) -> Bool {
        router.handles(action)
    }

    /// The rest of `handleMessage`, in the message's task.
    func handle(_ frame: OCPPFrame, from connection: StationConnection, logger: Logger, pipelined: Bool) async {
        switch frame {
        case .call(let id, _, _) where pipelined && connection.takeCall() != nil:
            LimitRefusals.stationCalls.record(
                "CALL over the station's rate limit refused",
                ["station": "\(connection.id)", "perSecond": "\(connection.callLimit.perSecond)"])
            reply(
                .callError(
                    id: id,
                    OCPPError(
                        .genericError, "rate limit: more than \(connection.callLimit.perSecond) CALLs per second; send it again later")
                ), to: connection, logger: logger)
        case .call(let id, let action, let payload):
            if !pipelined { await pace(connection) }
            let context = StationContext(id: connection.id, connection: connection, logger: logger)
            let (result, followUp) = await router.dispatch(action: action, payload: payload, station: context)
            answer(id, action, result, connection, logger)
            if let followUp { Task { await followUp() } }
        case .callResult(let id, let payload):
            if await !connection.resolve(messageId: id, with: .success(payload)) {
                logger.notice("late or unexpected CALLRESULT dropped", metadata: ["messageId": "\(id)"])
            }
        case .callError(let id, let code, let description, let details):
            let failure = CallFailure.callError(code: code, description: description, details: details)
            if await !connection.resolve(messageId: id, with: .failure(failure)) {
                logger.notice("late or unexpected CALLERROR dropped", metadata: ["messageId": "\(id)"])
            }
        }
    }

    /// A station that waits for each answer before it sends again, as OCPP-J asks, is slowed down to its CALL rate,
    /// never refused: a charger replaying its queue after an outage sends exactly so, and one that got a CALLERROR
    /// may give a message up. Messages are handled one at a time per station and its socket is not read meanwhile,
    /// so the wait holds up that station alone. Only a station that sends on without waiting (a flood) is refused
    /// what it sends over the rate.
    private func pace(_ connection: StationConnection) async {
        while let wait = connection.takeCall(), !Task.isCancelled {
            LimitRefusals.stationCallsDelayed.record(
                "CALL over the station's rate: answered later",
                ["station": "\(connection.id)", "perSecond": "\(connection.callLimit.perSecond)"])
            try? await Task.sleep(for: wait)
        }
    }

    /// The CALLRESULT or CALLERROR of the CALL `id`.
    private func answer(
        _ id: String, _ action: String, _ result: Result<[UInt8], OCPPError>, _ connection: StationConnection, _ logger: Logger
    ) {
        switch result {
        case .success(let payloadBytes):
            var out: [UInt8] = []
            out.reserveCapacity(payloadBytes.count + id.utf8.count + 8)
            out.append(contentsOf: "[3,".utf8)
            JSONValue.writeString(id, to: &out)
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: payloadBytes)
            out.append(UInt8(ascii: "]"))
            reply(out, to: connection, logger: logger)
        case .failure(let error):
            logger.notice(
                "CALL refused", metadata: ["action": "\(action)", "code": "\(error.code.rawValue)", "reason": "\(error.description)"])
            reply(.callError(id: id, error), to: connection, logger: logger)
        }
    }

    private func reply(_ frame: OCPPFrame, to connection: StationConnection, logger: Logger) {
        if case .callError = frame { callErrors.increment() }
        reply(frame.bytes, to: connection, logger: logger)
    }

    private func reply(_ bytes: [UInt8], to connection: StationConnection, logger: Logger) {
        if logger.logLevel <= .debug {
            logger.debug("ocpp out", metadata: ["frame": "\(String(decoding: bytes, as: UTF8.self))"])
        }
        connection.send(bytes)
    }
}

/// Stations an operator removed lately, the oldest forgotten first beyond `capacity`.
final class RemovedStations: Sendable {
    let capacity: Int
    /// The removed ids, oldest first: REST tasks add and remove, connecting stations' handshakes test; each call is one
    /// step under the lock.
    private let ids = Locked<[String]>([])

    init(capacity: Int) {
        self.capacity = capacity
    }

    func add(_ id: String) {
        ids.withLock { ids in
            ids.removeAll { $0 == id }
            ids.append(id)
            if ids.count > capacity { ids.removeFirst(ids.count - capacity) }
        }
    }

    func remove(_ id: String) {
        ids.withLock { $0.removeAll { $0 == id } }
    }

    func contains(_ id: String) -> Bool {
        ids.withLock { $0.contains(id) }
    }
}

/// A bounded list of recently seen unknown stations or tags, most recent first.
actor SightingList {
    private var entries: [String: UnknownSighting] = [:]
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    func saw(_ id: String, at place: String) {
        let now = Date()
        if var entry = entries[id] {
            entry.lastSeenAt = now
            entry.count += 1
            entry.seenAt = place
            entries[id] = entry
            return
        }
        if entries.count >= capacity, let oldest = entries.values.min(by: { $0.lastSeenAt < $1.lastSeenAt }) {
            entries[oldest.id] = nil
        }
        entries[id] = UnknownSighting(id: id, firstSeenAt: now, lastSeenAt: now, count: 1, seenAt: place)
    }

    func forget(_ id: String) {
        entries[id] = nil
    }

    var all: [UnknownSighting] {
        entries.values.sorted { ($0.lastSeenAt, $0.id) > ($1.lastSeenAt, $1.id) }
    }
}
