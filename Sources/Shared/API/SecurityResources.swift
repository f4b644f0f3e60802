import Foundation

/// A security event a station reported (SecurityEventNotification), as the REST API shows it.
public struct SecurityEvent: Codable, Sendable, Equatable {
    public var cpId: String
    /// The station's event type (`TamperDetectionActivated`, ...).
    public var type: String
    /// When it happened, by the station's clock.
    public var timestamp: Date
    public var techInfo: String?
    public var receivedAt: Date

    public init(cpId: String, type: String, timestamp: Date, techInfo: String?, receivedAt: Date) {
        self.cpId = cpId
        self.type = type
        self.timestamp = timestamp
        self.techInfo = techInfo
        self.receivedAt = receivedAt
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cpId, forKey: .cpId)
        try container.encode(type, forKey: .type)
        try container.encode(timestamp, forKey: .timestamp)
        try container.encode(techInfo, forKey: .techInfo)
        try container.encode(receivedAt, forKey: .receivedAt)
    }
}

/// A certificate signing request a station sent (SignCertificate) and what became of it.
public struct CertificateRequest: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        /// Waiting for an operator to sign it with their own CA (no station CA configured), or for the station to take
        /// the chain ocppd sent.
        case pending
        /// The station accepted the certificate chain.
        case signed
        /// Refused: by ocppd's checks (`reason` says which), by an operator, or by the station.
        case rejected
    }

    public var id: Int
    public var cpId: String
    /// The PEM request as the station sent it.
    public var csr: String
    public var status: Status
    public var reason: String?
    public var receivedAt: Date
    public var decidedAt: Date?

    public init(id: Int, cpId: String, csr: String, status: Status, reason: String?, receivedAt: Date, decidedAt: Date?) {
        self.id = id
        self.cpId = cpId
        self.csr = csr
        self.status = status
        self.reason = reason
        self.receivedAt = receivedAt
        self.decidedAt = decidedAt
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(cpId, forKey: .cpId)
        try container.encode(csr, forKey: .csr)
        try container.encode(status, forKey: .status)
        try container.encode(reason, forKey: .reason)
        try container.encode(receivedAt, forKey: .receivedAt)
        try container.encode(decidedAt, forKey: .decidedAt)
    }
}

/// The client certificate a station was issued last (through SignCertificate and CertificateSigned).
public struct StationCertificate: Codable, Sendable, Equatable {
    /// Upper-case hex, without leading zeros.
    public var serialNumber: String
    public var notAfter: Date

    public init(serialNumber: String, notAfter: Date) {
        self.serialNumber = serialNumber
        self.notAfter = notAfter
    }
}
