import Logging
import Metrics
import NIOWebSocket

/// The stations connected right now, by identity. A second connection with an identity replaces the first.
actor ConnectionRegistry {
    private var connections: [String: StationConnection] = [:] {
        didSet { connectedGauge.record(connections.count) }
    }
    private let connectedGauge = Gauge(label: "ocppd_connected_stations")
    private var pings: PingSchedule<StationConnection>

    init(pingInterval: Duration = .seconds(60)) {
        pings = PingSchedule(interval: pingInterval)
    }

    /// Registers `connection` and closes the one it replaces, if any.
    func register(_ connection: StationConnection) async {
        let previous = connections.updateValue(connection, forKey: connection.id)
        pings.add(connection, now: .now)
        if let previous, previous !== connection {
            await previous.close(code: .normalClosure, reason: "replaced by a new connection")
        }
    }

    /// Removes `connection` unless a newer one has replaced it already. Returns whether it was current.
    @discardableResult
    func unregister(_ connection: StationConnection) -> Bool {
        guard connections[connection.id] === connection else { return false }
        connections[connection.id] = nil
        return true
    }

    func connection(_ id: String) -> StationConnection? {
        connections[id]
    }

    func isConnected(_ id: String) -> Bool {
        connections[id] != nil
    }

    var byId: [String: StationConnection] {
        connections
    }

    var count: Int { connections.count }

    /// Pings each connection every ping interval, counted from when it connected; one that did not answer its previous
    /// ping is half-open and is closed, so a silent station is found within two intervals. One loop for all stations
    /// (a sleeping task per station costs memory), waking when the next ping is due. Runs until cancelled.
    func keepAlive(logger: Logger) async {
        while true {
            let wake = pings.nextDeadline.map { min($0, .now + .seconds(1)) } ?? .now + .seconds(1)
            do { try await Task.sleep(until: wake) } catch { return }
            let due = pings.takeDue(now: .now) { [connections] in connections[$0.id] === $0 }
            for connection in due where !connection.ping() {
                logger.notice("station did not answer ping: closing the half-open connection", metadata: ["station": "\(connection.id)"])
                connection.abort()
            }
        }
    }

    func closeAll(code: WebSocketErrorCode, reason: String) async {
        for connection in connections.values {
            await connection.close(code: code, reason: reason)
        }
    }
}
