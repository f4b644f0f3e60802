import Foundation

/// A file ocppd keeps: a charger's diagnostics or log upload, or a firmware image for chargers to fetch.
public struct StoredFile: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case diagnostics, log, firmware
    }

    /// Unguessable (128 random bits, hex).
    public var id: String
    public var kind: Kind
    /// The station that uploaded it; nil for firmware.
    public var cpId: String?
    /// The requestId of the GetLog it answers, when there was one.
    public var requestId: Int?
    public var name: String
    public var size: Int64
    /// Hex of the SHA-256 of the content.
    public var sha256: String
    public var createdAt: Date

    public init(
        id: String, kind: Kind, cpId: String?, requestId: Int? = nil, name: String, size: Int64, sha256: String, createdAt: Date
    ) {
        self.id = id
        self.kind = kind
        self.cpId = cpId
        self.requestId = requestId
        self.name = name
        self.size = size
        self.sha256 = sha256
        self.createdAt = createdAt
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(kind, forKey: .kind)
        try container.encode(cpId, forKey: .cpId)
        try container.encode(requestId, forKey: .requestId)
        try container.encode(name, forKey: .name)
        try container.encode(size, forKey: .size)
        try container.encode(sha256, forKey: .sha256)
        try container.encode(createdAt, forKey: .createdAt)
    }
}
