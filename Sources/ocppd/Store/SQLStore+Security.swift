import Foundation
import Shared

extension SQLStore {
    func allocateRequestId(_ id: String, action: String) async throws -> Int {
        try await write { db in
            try db.execute("INSERT INTO request_ids (cp_id, action, created_at) VALUES (?, ?, ?)", [id, action, Date()])
            return Int(db.lastInsertRowID)
        }
    }

    func recordSecurityEvent(_ event: SecurityEvent) async throws {
        try await write { db in
            try db.execute(
                "INSERT INTO security_events (cp_id, event_type, event_time, tech_info, received_at) VALUES (?, ?, ?, ?, ?)",
                [event.cpId, event.type, event.timestamp, event.techInfo, event.receivedAt])
        }
    }

    func securityEvents(cpId: String?, _ page: PageRequest) async throws -> Page<SecurityEvent> {
        try await read { db in
            let (filter, parameters) = Self.whereEqual(["cp_id": cpId])
            let items = try db.query(
                """
                SELECT cp_id, event_type, event_time, tech_info, received_at FROM security_events \(filter)
                ORDER BY event_time DESC, id DESC LIMIT ? OFFSET ?
                """,
                parameters + .page(page)
            ) { row in
                SecurityEvent(
                    cpId: try row.string(0), type: try row.string(1), timestamp: try row.date(2), techInfo: row.optionalString(3),
                    receivedAt: try row.date(4))
            }
            let total = try db.queryFirst("SELECT COUNT(*) FROM security_events \(filter)", parameters) { try $0.int(0) } ?? 0
            return Page(items: items, total: total)
        }
    }

    private static var certificateRequestColumns: String { "id, cp_id, csr, status, reason, received_at, decided_at" }

    private static func readCertificateRequest(_ row: Connection.Row) throws -> CertificateRequest {
        let text = try row.string(3)
        guard let status = CertificateRequest.Status(rawValue: text) else {
            throw StoreError.failed("certificate request \(try row.int(0)) has an unknown status '\(text)'")
        }
        return CertificateRequest(
            id: try row.int(0), cpId: try row.string(1), csr: try row.string(2), status: status, reason: row.optionalString(4),
            receivedAt: try row.date(5), decidedAt: row.optionalDate(6))
    }

    private static func fetchCertificateRequest(_ db: Connection, _ id: Int) throws -> CertificateRequest? {
        try db.queryFirst(
            "SELECT \(certificateRequestColumns) FROM certificate_requests WHERE id = ?", [id], readCertificateRequest)
    }

    func createCertificateRequest(cpId: String, csr: String, status: CertificateRequest.Status, reason: String?, at: Date)
        async throws -> CertificateRequest
    {
        try await write { db in
            try db.execute(
                "INSERT INTO certificate_requests (cp_id, csr, status, reason, received_at, decided_at) VALUES (?, ?, ?, ?, ?, ?)",
                [cpId, csr, status.rawValue, reason, at, status == .pending ? nil : at])
            guard let request = try Self.fetchCertificateRequest(db, Int(db.lastInsertRowID)) else {
                throw StoreError.failed("certificate request vanished while it was created")
            }
            return request
        }
    }

    func certificateRequest(_ id: Int) async throws -> CertificateRequest? {
        try await read { db in try Self.fetchCertificateRequest(db, id) }
    }

    func certificateRequests(cpId: String?, status: CertificateRequest.Status?, _ page: PageRequest) async throws
        -> Page<CertificateRequest>
    {
        try await read { db in
            let (filter, parameters) = Self.whereEqual(["cp_id": cpId, "status": status?.rawValue])
            let items = try db.query(
                "SELECT \(Self.certificateRequestColumns) FROM certificate_requests \(filter) ORDER BY id DESC LIMIT ? OFFSET ?",
                parameters + .page(page), Self.readCertificateRequest)
            let total = try db.queryFirst("SELECT COUNT(*) FROM certificate_requests \(filter)", parameters) { try $0.int(0) } ?? 0
            return Page(items: items, total: total)
        }
    }

    func decideCertificateRequest(_ id: Int, _ status: CertificateRequest.Status, reason: String?, at: Date) async throws
        -> CertificateRequest?
    {
        try await write { db in
            let changed = try db.execute(
                "UPDATE certificate_requests SET status = ?, reason = ?, decided_at = ? WHERE id = ? AND status = 'pending'",
                [status.rawValue, reason, status == .pending ? nil : at, id])
            guard let request = try Self.fetchCertificateRequest(db, id) else { return nil }
            // MariaDB counts a row written with the values it had as unchanged: a pending request noted again is no conflict.
            if changed == 0, request.status != .pending {
                throw StoreError.conflict("certificate request \(id) is \(request.status.rawValue), not pending")
            }
            return request
        }
    }

    func bindCertificate(_ certificate: BoundCertificate) async throws {
        try await write { db in
            // The same certificate sent again (a repeated CertificateSigned) stays bound to the station it was issued to.
            let known = try db.queryFirst("SELECT cp_id FROM station_certificates WHERE fingerprint = ?", [certificate.fingerprint]) {
                try $0.string(0)
            }
            if let known {
                guard known == certificate.cpId else {
                    throw StoreError.conflict("this certificate is bound to station '\(known)'")
                }
                return
            }
            try db.execute(
                "INSERT INTO station_certificates (fingerprint, cp_id, serial_number, not_after, issued_at) VALUES (?, ?, ?, ?, ?)",
                [certificate.fingerprint, certificate.cpId, certificate.serialNumber, certificate.notAfter, certificate.issuedAt])
        }
    }

    func certificateHolder(fingerprint: String) async throws -> String? {
        try await read(inTransaction: false) { db in
            try db.queryFirst("SELECT cp_id FROM station_certificates WHERE fingerprint = ?", [fingerprint]) { try $0.string(0) }
        }
    }

    /// The certificate bound to the station last.
    static func lastCertificate(_ db: Connection, _ id: String) throws -> StationCertificate? {
        try db.queryFirst(
            "SELECT serial_number, not_after FROM station_certificates WHERE cp_id = ? ORDER BY issued_at DESC LIMIT 1", [id]
        ) { row in
            StationCertificate(serialNumber: try row.string(0), notAfter: try row.date(1))
        }
    }
}
