import Foundation
import Logging
import Shared
import X509

/// The security extension's part of the central system: security events, log and signed-firmware statuses, and the
/// station certificates (CSRs checked, signed by the station CA or kept for an operator, chains sent with
/// CertificateSigned through `Commands`, the one path to a station).
struct StationSecurity: Sendable {
    let store: any Store
    let commands: Commands
    let events: EventBus
    /// nil: CSRs are kept pending for an operator's own PKI.
    let ca: StationCA?
    let storeRetry: StoreRetry
    let logger: Logger

    func register(on router: inout OCPPRouter) {
        router.on(SecurityEventNotification.self) { request, station in
            let event = SecurityEvent(
                cpId: station.id, type: request.type.value, timestamp: request.timestamp, techInfo: request.techInfo?.value,
                receivedAt: Date())
            try await storeRetry { try await store.recordSecurityEvent(event) }
            let critical = SecurityEventNotification.criticalTypes.contains(event.type)
            station.logger.log(
                level: critical ? .warning : .info, critical ? "critical security event" : "security event",
                metadata: ["eventType": "\(event.type)", "techInfo": "\(event.techInfo ?? "")"])
            await events.publish(
                "security.event", cpId: station.id,
                [
                    "eventType": .string(event.type), "timestamp": .string(OCPPDate.format(event.timestamp)),
                    "techInfo": event.techInfo.map { .string($0) } ?? .null, "critical": .bool(critical),
                ])
            return .init()
        }

        router.on(LogStatusNotification.self) { request, station in
            try await storeRetry {
                try await store.recordLogStatus(station.id, status: request.status.rawValue, requestId: request.requestId, at: Date())
            }
            await events.publish(
                "log.status", cpId: station.id,
                ["status": .string(request.status.rawValue), "requestId": request.requestId.map { .integer(Int64($0)) } ?? .null])
            return .init()
        }

        router.on(SignedFirmwareStatusNotification.self) { request, station in
            try await storeRetry {
                try await store.recordFirmwareStatus(station.id, status: request.status.rawValue, requestId: request.requestId, at: Date())
            }
            await events.publish(
                "firmware.status", cpId: station.id,
                ["status": .string(request.status.rawValue), "requestId": request.requestId.map { .integer(Int64($0)) } ?? .null])
            return .init()
        }

        router.onWithFollowUp(SignCertificate.self) { request, station in
            try await signCertificate(request.csr.value, station: station)
        }
    }

    /// Accepted or Rejected, and with a station CA, the CertificateSigned to send once Accepted is out. Every request is
    /// kept with what became of it.
    private func signCertificate(_ pem: String, station: StationContext) async throws -> (SignCertificate.Response, OCPPRouter.FollowUp?) {
        let now = Date()
        func keep(_ status: CertificateRequest.Status, _ reason: String?) async throws -> CertificateRequest {
            try await storeRetry {
                try await store.createCertificateRequest(cpId: station.id, csr: pem, status: status, reason: reason, at: now)
            }
        }
        func reject(_ reason: String) async throws -> (SignCertificate.Response, OCPPRouter.FollowUp?) {
            let request = try await keep(.rejected, reason)
            station.logger.notice("certificate signing request rejected", metadata: ["request": "\(request.id)", "reason": "\(reason)"])
            return (.init(status: .rejected), nil)
        }
        let csr: CertificateSigningRequest
        do {
            csr = try CSRCheck.parse(pem)
        } catch {
            return try await reject(error.description)
        }
        guard let ca else {
            let request = try await keep(.pending, nil)
            station.logger.notice(
                "certificate signing request kept for an operator to sign (no station CA configured)",
                metadata: ["request": "\(request.id)"])
            return (.init(status: .accepted), nil)
        }
        let serialNumber = try await storeRetry { try await store.station(station.id) }?.serialNumber
        var serialIsAnotherStation = false
        if let serialNumber, serialNumber != station.id, csr.subject.single(.RDNAttributeType.commonName) == serialNumber {
            serialIsAnotherStation = try await storeRetry { try await store.station(serialNumber) } != nil
        }
        let issued: (chain: String, certificate: Certificate)
        do {
            try CSRCheck.check(
                csr, identity: station.id, serialNumber: serialNumber, serialIsAnotherStation: serialIsAnotherStation,
                organization: ca.organization)
            issued = try ca.issue(for: csr, now: now)
        } catch let rejection as CSRCheck.Rejection {
            return try await reject(rejection.description)
        } catch {
            station.logger.error("the station CA could not sign a certificate", metadata: ["error": "\(error)"])
            return try await reject("the station CA could not sign it: \(error)")
        }
        let request = try await keep(.pending, nil)
        station.logger.info(
            "certificate signed by the station CA; sending it",
            metadata: ["request": "\(request.id)", "serial": "\(issued.certificate.serialHex)"])
        let id = station.id
        return (
            .init(status: .accepted),
            { await deliver(issued.chain, for: request.id, to: id) }
        )
    }

    /// Sends a chain with CertificateSigned and settles the request by the station's answer. A station that cannot be
    /// reached leaves the request pending, with the reason: it asks again, or an operator signs or rejects it.
    @discardableResult
    func deliver(_ chain: String, for requestId: Int, to cpId: String) async -> Result<JSONValue, any Error> {
        let outcome: Result<JSONValue, any Error>
        do {
            outcome = .success(try await commands.send(CertificateSigned.self, payload: ["certificateChain": .string(chain)], to: cpId))
        } catch {
            outcome = .failure(error)
        }
        let status: CertificateRequest.Status
        let reason: String?
        switch outcome {
        case .success(let answer) where answer["status"] == "Accepted":
            (status, reason) = (.signed, nil)
        case .success:
            (status, reason) = (.rejected, "the station answered CertificateSigned with Rejected")
        case .failure(let error):
            (status, reason) = (.pending, "CertificateSigned could not be delivered: \((error as? Problem)?.detail ?? "\(error)")")
        }
        do {
            _ = try await storeRetry { try await store.decideCertificateRequest(requestId, status, reason: reason, at: Date()) }
        } catch {
            logger.warning(
                "could not record what became of a certificate request", metadata: ["request": "\(requestId)", "error": "\(error)"])
        }
        if status != .signed {
            logger.warning("certificate not taken by the station", metadata: ["station": "\(cpId)", "reason": "\(reason ?? "")"])
        }
        return outcome
    }

    /// An operator's chain for a pending request (their own CA): its leaf must carry the request's key. Answers what the
    /// station answered to CertificateSigned.
    func sign(requestId: Int, chain: String) async throws -> JSONValue {
        guard let request = try await store.certificateRequest(requestId) else {
            throw Problem.notFound("unknown certificate request \(requestId)")
        }
        guard request.status == .pending else {
            throw Problem(status: .conflict, detail: "certificate request \(requestId) is \(request.status.rawValue), not pending")
        }
        guard let leaf = Certificate.leaf(ofChain: chain) else {
            throw Problem.badRequest("certificateChain holds no PEM certificate")
        }
        guard let csr = try? CSRCheck.parse(request.csr), csr.publicKey == leaf.publicKey else {
            throw Problem.badRequest("the chain's first certificate does not carry the key of certificate request \(requestId)")
        }
        return try await deliver(chain, for: requestId, to: request.cpId).get()
    }

    /// An operator's refusal of a pending request.
    func reject(requestId: Int) async throws -> CertificateRequest {
        do {
            guard
                let request = try await store.decideCertificateRequest(requestId, .rejected, reason: "rejected by an operator", at: Date())
            else { throw Problem.notFound("unknown certificate request \(requestId)") }
            return request
        } catch StoreError.conflict(let detail) {
            throw Problem(status: .conflict, detail: detail)
        }
    }
}
