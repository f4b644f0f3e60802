import Foundation

/// What an API token may do (PRODUCT.md §11): each role can do everything the one before it can.
public enum Role: String, Codable, Sendable, CaseIterable, Comparable {
    /// Every GET and the event stream.
    case viewer
    /// Also the charge point commands, RFID block and activate, and firmware uploads.
    case technician
    /// Everything: stations, tags, sites, tokens and webhooks.
    case admin

    private var rank: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}

/// A named API token as the REST API shows it: its secret only in the answer that created it.
public struct APITokenInfo: Codable, Sendable, Equatable {
    public var name: String
    public var role: Role
    /// The secret: only in the answer to POST /api/tokens, never again.
    public var token: String?
    public var expiresAt: Date?
    public var createdAt: Date

    public init(name: String, role: Role, token: String? = nil, expiresAt: Date?, createdAt: Date) {
        self.name = name
        self.role = role
        self.token = token
        self.expiresAt = expiresAt
        self.createdAt = createdAt
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(role, forKey: .role)
        if let token { try container.encode(token, forKey: .token) }
        try container.encode(expiresAt, forKey: .expiresAt)
        try container.encode(createdAt, forKey: .createdAt)
    }
}

/// One write or command in the audit log: who (the token's name), what, when, and how it ended.
public struct AuditEntry: Codable, Sendable, Equatable {
    public var id: Int
    public var at: Date
    /// The name of the token that sent it (`api-token` for the configured or generated one).
    public var token: String
    public var method: String
    public var path: String
    /// The station it was about, when it was about one.
    public var cpId: String?
    /// The charge point command (`reset`, `remote-start-transaction` ...) of POST /api/admin/{cpId}/{command}.
    public var command: String?
    /// The request's body as JSON text, secrets replaced by "***"; nil without a body.
    public var body: String?
    /// The HTTP status of the answer.
    public var status: Int
    /// For a command, the charger's answer as JSON text; for a refused or failed request, the problem's detail.
    public var result: String?

    public init(
        id: Int, at: Date, token: String, method: String, path: String, cpId: String?, command: String?, body: String?, status: Int,
        result: String?
    ) {
        self.id = id
        self.at = at
        self.token = token
        self.method = method
        self.path = path
        self.cpId = cpId
        self.command = command
        self.body = body
        self.status = status
        self.result = result
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(at, forKey: .at)
        try container.encode(token, forKey: .token)
        try container.encode(method, forKey: .method)
        try container.encode(path, forKey: .path)
        try container.encode(cpId, forKey: .cpId)
        try container.encode(command, forKey: .command)
        try container.encode(body, forKey: .body)
        try container.encode(status, forKey: .status)
        try container.encode(result, forKey: .result)
    }
}

/// A webhook: where ocppd POSTs the events of the types it names (never its secret).
public struct Webhook: Codable, Sendable, Equatable {
    public var id: Int
    public var url: String
    /// Event types (`transaction.started` ...); `*` for every type.
    public var events: [String]
    /// Only these stations' events; nil: every station's (and events of no station).
    public var cpIds: [String]?
    /// False once it failed for a day (event `webhook.disabled`): nothing more is sent.
    public var enabled: Bool
    public var createdAt: Date
    /// Since when every attempt failed; nil while deliveries succeed.
    public var failingSince: Date?
    /// In a cluster, the node that delivers it now.
    public var node: String?

    public init(
        id: Int, url: String, events: [String], cpIds: [String]?, enabled: Bool, createdAt: Date, failingSince: Date?, node: String?
    ) {
        self.id = id
        self.url = url
        self.events = events
        self.cpIds = cpIds
        self.enabled = enabled
        self.createdAt = createdAt
        self.failingSince = failingSince
        self.node = node
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(url, forKey: .url)
        try container.encode(events, forKey: .events)
        try container.encode(cpIds, forKey: .cpIds)
        try container.encode(enabled, forKey: .enabled)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(failingSince, forKey: .failingSince)
        try container.encode(node, forKey: .node)
    }
}

/// One attempt to deliver an event to a webhook.
public struct WebhookDelivery: Codable, Sendable, Equatable {
    public var id: Int
    /// The event's id (`X-OCPPD-Event-Id`): the same for every attempt of one event.
    public var eventId: String
    public var eventType: String
    /// 1 for the first attempt of the event.
    public var attempt: Int
    public var at: Date
    /// The receiver's HTTP status; nil when there was no answer.
    public var status: Int?
    /// Why it failed (no answer, a refused address, a status that is not 2xx); nil on success.
    public var error: String?
    public var durationMs: Int

    public init(
        id: Int, eventId: String, eventType: String, attempt: Int, at: Date, status: Int?, error: String?, durationMs: Int
    ) {
        self.id = id
        self.eventId = eventId
        self.eventType = eventType
        self.attempt = attempt
        self.at = at
        self.status = status
        self.error = error
        self.durationMs = durationMs
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(eventId, forKey: .eventId)
        try container.encode(eventType, forKey: .eventType)
        try container.encode(attempt, forKey: .attempt)
        try container.encode(at, forKey: .at)
        try container.encode(status, forKey: .status)
        try container.encode(error, forKey: .error)
        try container.encode(durationMs, forKey: .durationMs)
    }
}
