import Foundation
import Shared

/// What the live view knows, built from one REST load and then kept current by the event stream.
struct TopModel {
    /// One station as shown.
    struct StationState {
        var station: Station
        /// The newest time anything was heard from the station.
        var lastSeen: Date?
        var recentEvents: [String] = []
    }

    /// An active session on a connector.
    struct SessionState {
        var transactionId: Int
        var idTag: String
        var meterStart: Int
        var energyWh: Int?
        var powerW: Double?
    }

    /// One line of the table: a connector, or a station without connectors.
    struct Row: Equatable {
        var cpId: String
        var connectorId: Int?
        var status: String
        var errorCode: String
        var connected: Bool
        /// In a cluster, the node that holds the station.
        var node: String? = nil
        var tag: String?
        var transactionId: Int?
        var energyWh: Int?
        var powerW: Double?
        var lastSeen: Date?
    }

    enum Sort: String, CaseIterable {
        case station, status, energy, seen

        var next: Sort {
            let all = Sort.allCases
            return all[(all.firstIndex(of: self)! + 1) % all.count]
        }
    }

    enum ServerState: Equatable {
        case connecting
        case live
        case lost(String)
    }

    private(set) var stations: [String: StationState] = [:]
    /// Sites by id: their limits, and each session's share as the last `site.allocation` told it.
    private(set) var sites: [String: Site] = [:]
    /// Active sessions by "cpId#connectorId".
    private(set) var sessions: [String: SessionState] = [:]
    var server = ServerState.connecting
    /// The server is a node of a cluster: the view shows each station's node.
    private(set) var cluster = false

    static func key(_ cpId: String, _ connectorId: Int) -> String { "\(cpId)#\(connectorId)" }

    /// A site's new shares; a site not loaded yet (made after the view started) is shown by its shares alone.
    private mutating func applyAllocation(_ data: JSONValue) -> Bool {
        guard let siteId = data["siteId"]?.stringValue, let allocations = data["allocations"],
            let shares = try? JSONValueDecoder.decode([SiteConnectorAllocation].self, from: allocations)
        else { return false }
        var site =
            sites[siteId]
            ?? Site(
                siteId: siteId, limit: 0, unit: .amperes, phases: 3, voltage: 230, minPerConnector: 0, fallbackLimit: 0, description: nil,
                stations: [], allocations: [], allocated: 0)
        site.allocations = shares
        site.allocated = shares.reduce(0) { $0 + $1.limit }
        sites[siteId] = site
        return true
    }

    /// A site as read again after it changed (nil: removed). The shares the events told stay: they are newer than the
    /// read's, which shows the limits the chargers accepted.
    mutating func replaceSite(_ siteId: String, with site: Site?) {
        guard var site else {
            sites[siteId] = nil
            return
        }
        if let current = sites[siteId] {
            site.allocations = current.allocations
            site.allocated = current.allocated
        }
        sites[siteId] = site
    }

    /// Replaces everything with a fresh load (at start and after a reconnect).
    /// `cluster`: the server is a node of a cluster, whose rows name each station's node.
    mutating func load(stations: [Station], activeSessions: [Session], sites: [Site] = [], cluster: Bool = false) {
        self.cluster = cluster
        self.sites = Dictionary(sites.map { ($0.siteId, $0) }, uniquingKeysWith: { first, _ in first })
        self.stations = Dictionary(
            stations.map { ($0.id, StationState(station: $0, lastSeen: $0.lastHeartbeatAt ?? $0.lastBootAt)) },
            uniquingKeysWith: { first, _ in first })
        sessions = [:]
        for session in activeSessions where session.active {
            sessions[Self.key(session.cpId, session.connectorId)] = SessionState(
                transactionId: session.transactionId, idTag: session.idTag, meterStart: session.meterStart,
                energyWh: session.energyWh, powerW: session.lastPowerW)
        }
    }

    /// Applies one live event; returns whether anything visible changed.
    @discardableResult
    mutating func apply(type: String, data: JSONValue) -> Bool {
        if type == "site.allocation" { return applyAllocation(data) }
        guard let cpId = data["cpId"]?.stringValue else { return false }
        let at = data["at"]?.stringValue.flatMap(OCPPDate.parse) ?? Date()
        var state =
            stations[cpId]
            ?? StationState(station: Station(id: cpId, registrationStatus: .accepted, createdAt: at), lastSeen: nil)
        state.lastSeen = max(state.lastSeen ?? at, at)
        let connectorId = data["connectorId"].flatMap(Self.int)
        switch type {
        case "station.connected":
            state.station.connected = true
            state.station.node = data["node"]?.stringValue
        case "station.disconnected":
            state.station.connected = false
            state.station.node = nil
        case "station.booted":
            state.station.connected = true
            state.station.vendor = data["vendor"]?.stringValue ?? state.station.vendor
            state.station.model = data["model"]?.stringValue ?? state.station.model
            if let status = data["registrationStatus"]?.stringValue, let registration = RegistrationStatus(rawValue: status) {
                state.station.registrationStatus = registration
            }
        case "connector.status":
            guard let connectorId, let status = data["status"]?.stringValue else { break }
            let connector = Connector(
                connectorId: connectorId, status: status, errorCode: data["errorCode"]?.stringValue ?? "NoError", updatedAt: at)
            if let index = state.station.connectors.firstIndex(where: { $0.connectorId == connectorId }) {
                state.station.connectors[index] = connector
            } else {
                state.station.connectors.append(connector)
                state.station.connectors.sort { $0.connectorId < $1.connectorId }
            }
        case "transaction.started":
            guard let connectorId, let transactionId = data["transactionId"].flatMap(Self.int) else { break }
            sessions[Self.key(cpId, connectorId)] = SessionState(
                transactionId: transactionId, idTag: data["idTag"]?.stringValue ?? "?",
                meterStart: data["meterStart"].flatMap(Self.int) ?? 0, energyWh: 0, powerW: nil)
        case "transaction.stopped":
            if let connectorId { sessions[Self.key(cpId, connectorId)] = nil }
        case "meter.values":
            guard let connectorId, var session = sessions[Self.key(cpId, connectorId)] else { break }
            if case .array(let values) = data["values"] ?? .null {
                for value in values {
                    guard let number = value["value"]?.stringValue.flatMap(Double.init) else { continue }
                    let kilo = value["unit"]?.stringValue?.hasPrefix("k") == true ? 1000.0 : 1.0
                    switch value["measurand"]?.stringValue {
                    case "Energy.Active.Import.Register":
                        session.energyWh = Session.energyWh(meterStart: session.meterStart, register: number * kilo) ?? 0
                    case "Power.Active.Import":
                        session.powerW = number * kilo
                    default: continue
                    }
                }
            }
            sessions[Self.key(cpId, connectorId)] = session
        default:
            break
        }
        if type == "station.heartbeat" {
            state.station.lastHeartbeatAt = at
        } else {
            // A security event says which (TamperDetectionActivated, ...) and what the station added; a data transfer
            // names its vendor and message, and what the charger was answered.
            let summary = [
                type, connectorId.map { "connector \($0)" }, data["vendorId"]?.stringValue, data["messageId"]?.stringValue,
                data["status"]?.stringValue, data["eventType"]?.stringValue, data["techInfo"]?.stringValue.map { "(\($0))" },
            ].compactMap { $0 }.joined(separator: " ")
            state.recentEvents.append("\(Self.clock(at)) \(summary)")
        }
        if state.recentEvents.count > 20 { state.recentEvents.removeFirst(state.recentEvents.count - 20) }
        stations[cpId] = state
        return true
    }

    private static func int(_ value: JSONValue) -> Int? {
        if case .integer(let i) = value { return Int(i) }
        return nil
    }

    static func clock(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: date)
    }

    func station(_ id: String) -> StationState? { stations[id] }

    func session(_ cpId: String, _ connectorId: Int) -> SessionState? { sessions[Self.key(cpId, connectorId)] }

    /// The table's rows, filtered (case-insensitive, on station id, status, error and tag) and sorted.
    func rows(filter: String, sort: Sort) -> [Row] {
        var rows: [Row] = []
        for state in stations.values {
            let station = state.station
            let connectors = station.connectors.filter { $0.connectorId > 0 }
            if connectors.isEmpty {
                let own = station.connectors.first { $0.connectorId == 0 }
                rows.append(
                    Row(
                        cpId: station.id, connectorId: nil, status: own?.status ?? "-", errorCode: own?.errorCode ?? "-",
                        connected: station.connected, node: station.node, lastSeen: state.lastSeen))
            }
            for connector in connectors {
                let session = sessions[Self.key(station.id, connector.connectorId)]
                rows.append(
                    Row(
                        cpId: station.id, connectorId: connector.connectorId, status: connector.status, errorCode: connector.errorCode,
                        connected: station.connected, node: station.node, tag: session?.idTag, transactionId: session?.transactionId,
                        energyWh: session?.energyWh, powerW: session?.powerW, lastSeen: state.lastSeen))
            }
        }
        if !filter.isEmpty {
            let needle = filter.lowercased()
            rows = rows.filter { row in
                [row.cpId, row.status, row.errorCode, row.tag ?? ""].contains { $0.lowercased().contains(needle) }
            }
        }
        func byStation(_ a: Row, _ b: Row) -> Bool { (a.cpId, a.connectorId ?? 0) < (b.cpId, b.connectorId ?? 0) }
        switch sort {
        case .station: rows.sort(by: byStation)
        case .status: rows.sort { $0.status == $1.status ? byStation($0, $1) : $0.status < $1.status }
        case .energy:
            rows.sort { ($0.energyWh ?? -1) == ($1.energyWh ?? -1) ? byStation($0, $1) : ($0.energyWh ?? -1) > ($1.energyWh ?? -1) }
        case .seen:
            rows.sort {
                ($0.lastSeen ?? .distantPast) == ($1.lastSeen ?? .distantPast)
                    ? byStation($0, $1) : ($0.lastSeen ?? .distantPast) > ($1.lastSeen ?? .distantPast)
            }
        }
        return rows
    }

    /// Totals for the header.
    var totals: (stations: Int, connected: Int, charging: Int, faulted: Int) {
        let all = stations.values
        let connectors = all.flatMap { $0.station.connectors.filter { $0.connectorId > 0 } }
        return (
            all.count, all.filter(\.station.connected).count, connectors.filter { $0.status == "Charging" }.count,
            connectors.filter { $0.status == "Faulted" }.count
        )
    }
}
