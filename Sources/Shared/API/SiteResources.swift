import Foundation

/// A site: stations sharing one grid connection, whose limit ocppd shares among their sessions (PRODUCT.md §10).
public struct Site: Codable, Sendable, Equatable {
    public enum Unit: String, Codable, Sendable, CaseIterable {
        case amperes = "A"
        case watts = "W"
    }

    public var siteId: String
    /// The grid connection's limit: amperes per phase, or watts.
    public var limit: Double
    public var unit: Unit
    /// 1 or 3.
    public var phases: Int
    public var voltage: Double
    /// No session gets less than this (in the site's unit); those that would wait at 0.
    public var minPerConnector: Double
    /// The limit of each station's fallback profile (TxDefaultProfile): what a charger takes when ocppd is away.
    public var fallbackLimit: Double
    public var description: String?
    /// Its stations' ids.
    public var stations: [String]
    /// Each session's limit in force, newest allocation first by arrival.
    public var allocations: [SiteConnectorAllocation]
    /// The sum of the limits in force.
    public var allocated: Double
    /// In a cluster, the node that computes the site's shares now; nil on a single ocppd (or while no node does).
    public var node: String?

    public init(
        siteId: String, limit: Double, unit: Unit, phases: Int, voltage: Double, minPerConnector: Double, fallbackLimit: Double,
        description: String?, stations: [String], allocations: [SiteConnectorAllocation], allocated: Double, node: String? = nil
    ) {
        self.siteId = siteId
        self.limit = limit
        self.unit = unit
        self.phases = phases
        self.voltage = voltage
        self.minPerConnector = minPerConnector
        self.fallbackLimit = fallbackLimit
        self.description = description
        self.stations = stations
        self.allocations = allocations
        self.allocated = allocated
        self.node = node
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(siteId, forKey: .siteId)
        try container.encode(limit, forKey: .limit)
        try container.encode(unit, forKey: .unit)
        try container.encode(phases, forKey: .phases)
        try container.encode(voltage, forKey: .voltage)
        try container.encode(minPerConnector, forKey: .minPerConnector)
        try container.encode(fallbackLimit, forKey: .fallbackLimit)
        try container.encode(description, forKey: .description)
        try container.encode(stations, forKey: .stations)
        try container.encode(allocations, forKey: .allocations)
        try container.encode(allocated, forKey: .allocated)
        try container.encode(node, forKey: .node)
    }
}

/// One session's share of a site: the limit its charger accepted (in force), and what it was last measured to draw.
public struct SiteConnectorAllocation: Codable, Sendable, Equatable {
    public var cpId: String
    public var connectorId: Int
    public var transactionId: Int
    public var limit: Double
    /// Current.Import (the highest phase) of an A site, Power.Active.Import of a W site; nil until reported.
    public var measured: Double?

    public init(cpId: String, connectorId: Int, transactionId: Int, limit: Double, measured: Double?) {
        self.cpId = cpId
        self.connectorId = connectorId
        self.transactionId = transactionId
        self.limit = limit
        self.measured = measured
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cpId, forKey: .cpId)
        try container.encode(connectorId, forKey: .connectorId)
        try container.encode(transactionId, forKey: .transactionId)
        try container.encode(limit, forKey: .limit)
        try container.encode(measured, forKey: .measured)
    }
}
