import Logging
import Metrics
import NIOWebSocket

/// The stations connected right now, by identity. A second connection with an identity replaces the first.
actor ConnectionRegistry {
    private var connections: [String: StationConnection] = [:] {
        didSet { connectedGauge.record(connections.count) }
    }
    private let connectedGauge = Gauge(label: "ocppd_connected_stations")

    /// Registers `connection` and closes the one it replaces, if any.
    func register(_ connection: StationConnection) async {
        let previous = connections.updateValue(connection, forKey: connection.id)
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

    /// Pings every connection; one that did not answer the previous ping is half-open and is closed. Run every ping
    /// interval, this finds a silent station within two intervals, with one timer for all stations rather than a
    /// sleeping task in each.
    func pingAll(logger: Logger) async {
        for connection in connections.values where await !connection.ping() {
            logger.notice("station did not answer ping: closing the half-open connection", metadata: ["station": "\(connection.id)"])
            connection.abort()
        }
    }

    func closeAll(code: WebSocketErrorCode, reason: String) async {
        for connection in connections.values {
            await connection.close(code: code, reason: reason)
        }
    }
}
