import ArgumentParser
import Foundation
import Shared

/// Security events of stations (SecurityEventNotification), listed or followed live.
struct SecurityEvents: APICommand {
    static let configuration = CommandConfiguration(
        commandName: "security-events",
        abstract: "Security events of one station or all, newest first; --follow prints new ones as they come.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Station id (default: every station).", completion: Completion.stations) var station: String?
    @Flag(help: "After the list, print new events until interrupted (JSON lines with -o json).") var follow = false
    @OptionGroup var page: PageOptions

    func execute(_ client: APIClient) async throws {
        let path = station.map { "/api/stations/\(APIClient.segment($0))/security-events" } ?? "/api/security-events"
        let response = try await client.get(path, query: page.query)
        if global.output == .json, !follow { return Output.raw(response) }
        if global.output != .json {
            let events = try response.decode([SecurityEvent].self)
            Output.table(["AT", "STATION", "TYPE", "TECH INFO"], events.map(Self.row))
            page.footer(shown: events.count, total: response.totalCount)
            Output.flush()  // before the live lines, which are written unbuffered
        }
        guard follow else { return }
        for try await event in client.events(cpId: station) where event.type == "security.event" {
            if global.output == .json {
                FileHandle.standardOutput.write(Data((event.data + "\n").utf8))
                continue
            }
            guard let data = try? JSONParser.parse(Array(event.data.utf8)), let type = data["eventType"]?.stringValue else { continue }
            let line = Self.row(
                SecurityEvent(
                    cpId: data["cpId"]?.stringValue ?? "?", type: type,
                    timestamp: data["timestamp"]?.stringValue.flatMap(OCPPDate.parse) ?? Date(), techInfo: data["techInfo"]?.stringValue,
                    receivedAt: Date()))
            // Written straight to the file descriptor: a pipe sees each event at once.
            FileHandle.standardOutput.write(Data((line.map { Output.paint($0.text, $0.color) }.joined(separator: "  ") + "\n").utf8))
        }
        throw CtlError(.unreachable, "the server closed the event stream")
    }

    /// Critical events (the white paper's list) in red.
    static func row(_ event: SecurityEvent) -> [Cell] {
        [
            Cell(Output.time(event.timestamp)), Cell(event.cpId, .bold),
            Cell(event.type, SecurityEventNotification.criticalTypes.contains(event.type) ? .red : nil), Cell(optional: event.techInfo),
        ]
    }
}

/// Certificate signing requests of stations, for operators who sign with their own CA.
struct CertificateRequests: CommandGroup {
    static let configuration = CommandConfiguration(
        commandName: "certificate-requests", abstract: "Certificate signing requests of stations (SignCertificate).",
        subcommands: [List.self, Sign.self, Reject.self])

    struct List: APICommand {
        static let configuration = CommandConfiguration(abstract: "List requests, newest first: pending, signed, rejected.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this station's.", completion: Completion.stations) var station: String?
        @Option(help: "Only pending, signed or rejected ones.") var status: String?
        @OptionGroup var page: PageOptions

        func execute(_ client: APIClient) async throws {
            let response = try await client.get(
                "/api/certificate-requests", query: page.query + [("cpId", station), ("status", status)])
            if global.output == .json { return Output.raw(response) }
            let requests = try response.decode([CertificateRequest].self)
            Output.table(
                ["ID", "STATION", "STATUS", "RECEIVED", "REASON"],
                requests.map { request in
                    [
                        Cell("\(request.id)", .bold), Cell(request.cpId),
                        Cell(request.status.rawValue, request.status == .signed ? .green : request.status == .rejected ? .red : .yellow),
                        Cell(Output.time(request.receivedAt)), Cell(optional: request.reason),
                    ]
                })
            page.footer(shown: requests.count, total: response.totalCount)
        }
    }

    struct Sign: APICommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a station the certificate chain your CA signed for a pending request (PEM: the leaf first, then the CA).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Request id.") var id: Int
        @Argument(help: "PEM file of the chain ('-': standard input).", completion: .file()) var chain: String

        func execute(_ client: APIClient) async throws {
            // Not pending any more is the request's state, not an offline station (the 409 of a command).
            let request = try await client.get("/api/certificate-requests/\(id)").decode(CertificateRequest.self)
            guard request.status == .pending else {
                throw CtlError(.failure, "certificate request \(id) is \(request.status.rawValue), not pending")
            }
            let text: String
            do {
                text =
                    chain == "-"
                    ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                    : try String(contentsOfFile: chain, encoding: .utf8)
            } catch {
                throw CtlError(.localFile, "cannot read \(chain): \(error.localizedDescription)")
            }
            let response = try await client.send(
                .POST, "/api/certificate-requests/\(id)/sign", body: ["certificateChain": .string(text)], command: true)
            if global.output == .json { return Output.raw(response) }
            let status = try response.json()["status"]?.stringValue ?? "?"
            print("request \(id): CertificateSigned \(Output.paint(status, Output.color(forStatus: status)))")
            if status != "Accepted" { throw CtlError(.refused, "the station answered CertificateSigned with \(status)") }
        }
    }

    struct Reject: APICommand {
        static let configuration = CommandConfiguration(abstract: "Reject a pending request (the station may send another).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Request id.") var id: Int

        func execute(_ client: APIClient) async throws {
            let response = try await client.send(.POST, "/api/certificate-requests/\(id)/reject")
            if global.output == .json { return Output.raw(response) }
            print("request \(id): rejected")
        }
    }
}

extension Stations {
    struct RenewCertificate: APICommand {
        static let configuration = CommandConfiguration(
            commandName: "renew-certificate",
            abstract: "Make a station renew its client certificate (ExtendedTriggerMessage SignChargePointCertificate) and wait for it.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Station id.", completion: Completion.stations) var station: String
        @Option(help: "Seconds to wait for the new certificate.") var wait = 120

        func execute(_ client: APIClient) async throws {
            let certificate = try await CertificateRenewal(client: client, station: station, wait: wait).run(Output.progress)
            print("\(station): new certificate \(certificate.serialNumber), valid until \(Output.time(certificate.notAfter))")
        }
    }

    struct SetProfile: APICommand {
        static let configuration = CommandConfiguration(
            commandName: "set-profile",
            abstract: "Move a station to security profile 2 or 3 by the white paper's steps, reporting each.",
            discussion: """
                Profile 2: sets an authorization key first when the station has none (ChangeConfiguration AuthorizationKey, \
                then ocppd). Profile 3: has the station obtain a certificate first when it has none (as renew-certificate). \
                With --root-ca, installs that CentralSystemRootCertificate first. Then ChangeConfiguration SecurityProfile, \
                waits for the station to reconnect on the new profile, and only then raises the profile ocppd requires. A \
                station that does not come back stays accepted on its old profile.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Station id.", completion: Completion.stations) var station: String
        @Argument(help: "The new profile: 2 or 3.") var profile: Int
        @Option(help: "PEM CA certificate to install as CentralSystemRootCertificate first.", completion: .file()) var rootCa: String?
        @Option(help: "Seconds to wait for each step the station takes (a certificate, the reconnection).") var wait = 120

        func validate() throws {
            guard profile == 2 || profile == 3 else { throw ValidationError("the profile is 2 or 3") }
        }

        func execute(_ client: APIClient) async throws {
            let path = "/api/stations/\(APIClient.segment(station))"
            let current = try await client.get(path).decode(Station.self)
            guard profile > current.securityProfile else {
                if profile == current.securityProfile { return print("\(station): already on security profile \(profile)") }
                throw CtlError(.usage, "\(station) is on profile \(current.securityProfile): a station is never moved to a lower one")
            }
            func step(_ text: String) { Output.progress("\(station): \(text)") }
            if let rootCa {
                let pem: String
                do { pem = try String(contentsOfFile: rootCa, encoding: .utf8) } catch {
                    throw CtlError(.localFile, "cannot read \(rootCa): \(error.localizedDescription)")
                }
                try await expectAccepted(
                    client, "install-certificate", ["certificateType": "CentralSystemRootCertificate", "certificate": .string(pem)])
                step("CentralSystemRootCertificate installed")
            }
            if profile == 2, !current.hasAuthorizationKey {
                let key = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
                try await expectAccepted(client, "change-configuration", ["key": "AuthorizationKey", "value": .string(key)])
                try await client.send(.PUT, path, body: ["authorizationKey": .string(key)])
                step("authorization key set on the station and in ocppd (stored hashed)")
            }
            if profile == 3, current.certificate == nil {
                let certificate = try await CertificateRenewal(client: client, station: station, wait: wait).run(step)
                step("certificate \(certificate.serialNumber) issued")
            }
            try await expectAccepted(client, "change-configuration", ["key": "SecurityProfile", "value": .string("\(profile)")])
            step("SecurityProfile \(profile) accepted; waiting for the station to reconnect on it")
            let back = try await poll(seconds: wait) {
                let now = try await client.get(path).decode(Station.self)
                return (now.connectedSecurityProfile ?? -1) >= profile ? now : nil
            }
            guard back != nil else {
                throw CtlError(
                    .timeout,
                    "\(station) did not reconnect on profile \(profile) within \(wait) s; ocppd still accepts it on profile "
                        + "\(current.securityProfile) (nothing else changed): check the station, then run set-profile again")
            }
            try await client.send(.PUT, path, body: ["securityProfile": .integer(Int64(profile))])
            step("reconnected on profile \(profile); ocppd now requires it")
        }

        private func expectAccepted(_ client: APIClient, _ command: String, _ body: JSONObject) async throws {
            let answer = try await client.command(station, command, .object(body)).json()
            let status = answer["status"]?.stringValue ?? "?"
            guard status == "Accepted" || (command == "change-configuration" && status == "RebootRequired") else {
                throw CtlError(.refused, "\(station) answered \(command) with \(status); nothing further was changed")
            }
        }
    }
}

/// ExtendedTriggerMessage SignChargePointCertificate, then the wait for the certificate the station takes: its CSR is
/// signed by ocppd's station CA, or waits for an operator (the command says which request to sign).
struct CertificateRenewal {
    let client: APIClient
    let station: String
    let wait: Int

    func run(_ report: (String) -> Void) async throws -> StationCertificate {
        let path = "/api/stations/\(APIClient.segment(station))"
        let before = try await client.get(path).decode(Station.self).certificate
        let requestsQuery: [(String, String?)] = [("cpId", station), ("limit", "1")]
        let lastRequest =
            try await client.get("/api/certificate-requests", query: requestsQuery).decode([CertificateRequest].self).first?.id ?? 0
        let answer = try await client.command(station, "extended-trigger-message", ["requestedMessage": "SignChargePointCertificate"])
            .json()
        let status = answer["status"]?.stringValue ?? "?"
        guard status == "Accepted" else {
            throw CtlError(.refused, "\(station) answered ExtendedTriggerMessage SignChargePointCertificate with \(status)")
        }
        report("asked to renew its certificate; waiting for its CSR")
        var toldPending = false
        let started = ContinuousClock.now
        let certificate = try await poll(seconds: wait) { () -> StationCertificate? in
            if let now = try await client.get(path).decode(Station.self).certificate, now != before { return now }
            guard
                let request = try await client.get("/api/certificate-requests", query: requestsQuery).decode([CertificateRequest].self)
                    .first,
                request.id > lastRequest
            else { return nil }
            if request.status == .rejected {
                throw CtlError(
                    .refused, "certificate request \(request.id) of \(station) was rejected: \(request.reason ?? "no reason given")")
            }
            // A station CA signs at once: a request still pending a few seconds on waits for an operator.
            if request.status == .pending, !toldPending, ContinuousClock.now - started > .seconds(3) {
                toldPending = true
                report("certificate request \(request.id) is pending: sign it (ocppctl certificate-requests sign \(request.id) CHAIN.pem)")
            }
            return nil
        }
        guard let certificate else {
            throw CtlError(.timeout, "\(station) has no new certificate after \(wait) s")
        }
        return certificate
    }
}

/// `check` every second until it answers, or nil after `seconds`.
func poll<T>(seconds: Int, _ check: () async throws -> T?) async throws -> T? {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while true {
        if let value = try await check() { return value }
        guard ContinuousClock.now < deadline else { return nil }
        try await Task.sleep(for: .seconds(1))
    }
}
