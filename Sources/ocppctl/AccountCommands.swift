import ArgumentParser
import Foundation
import Shared

/// Named API tokens with roles (PRODUCT.md §11).
struct Tokens: CommandGroup {
    static let configuration = CommandConfiguration(
        abstract: "Named API tokens with roles: viewer (reads), technician (also commands), admin (everything).",
        subcommands: [Add.self, List.self, Rm.self])

    struct Add: APICommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a named token; prints its secret, which is shown this once only.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Its name: letters, digits, '.', '_', '-' (shown in the audit log).") var name: String
        @Option(help: "viewer, technician or admin.") var role: Role
        @Option(help: "When it stops working, e.g. 2027-01-01T00:00:00Z (default: never).") var expiresAt: String?

        func execute(_ client: APIClient) async throws {
            var body: JSONObject = ["name": .string(name), "role": .string(role.rawValue)]
            if let expiresAt { body["expiresAt"] = .string(expiresAt) }
            let response = try await client.send(.POST, "/api/tokens", body: .object(body))
            if global.output == .json { return Output.raw(response) }
            let token = try response.decode(APITokenInfo.self)
            print(token.token ?? "")
            Output.flush()
            FileHandle.standardError.write(
                Data("ocppctl: token '\(token.name)' (\(token.role.rawValue)) created; its secret above is shown this once only\n".utf8))
        }
    }

    struct List: APICommand {
        static let configuration = CommandConfiguration(abstract: "Every named token: its role and expiry (never a secret).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var page: PageOptions

        func execute(_ client: APIClient) async throws {
            let response = try await client.get("/api/tokens", query: page.query)
            if global.output == .json { return Output.raw(response) }
            let tokens = try response.decode([APITokenInfo].self)
            let now = Date()
            Output.table(
                ["NAME", "ROLE", "EXPIRES", "CREATED"],
                tokens.map { token in
                    [
                        Cell(token.name, .bold), Cell(token.role.rawValue),
                        token.expiresAt.map { Cell(Output.time($0), $0 <= now ? .red : nil) } ?? Cell("never"),
                        Cell(Output.time(token.createdAt)),
                    ]
                })
            page.footer(shown: tokens.count, total: response.totalCount)
        }
    }

    struct Rm: APICommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a named token: it stops working at once, on every node, and its event streams end.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The token's name.") var name: String

        func execute(_ client: APIClient) async throws {
            let response = try await client.send(.DELETE, "/api/tokens/\(APIClient.segment(name))")
            if global.output == .json { return Output.raw(response) }
            print("token \(name) removed")
        }
    }
}

extension Role: ExpressibleByArgument {}

/// The audit log: who sent which write or command, and how it ended.
struct Audit: APICommand {
    static let configuration = CommandConfiguration(
        abstract: "The audit log, newest first: every write and command, by token; --follow prints new entries as they come.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("by"), help: "Only the entries of this token (its name).") var token: String?
    @Option(name: .customLong("station"), help: "Only entries about this station.", completion: Completion.stations) var station: String?
    @Option(help: "From this time on (RFC 3339, e.g. 2026-12-01T00:00:00Z).") var since: String?
    @Option(help: "Up to this time (RFC 3339).") var until: String?
    @Flag(help: "After the list, print new entries until interrupted (JSON lines with -o json).") var follow = false
    @OptionGroup var page: PageOptions

    func execute(_ client: APIClient) async throws {
        let query = [("token", token), ("cpId", station), ("since", since), ("until", until)] + page.query
        let response = try await client.get("/api/audit", query: query)
        if global.output == .json, !follow { return Output.raw(response) }
        if global.output != .json {
            let entries = try response.decode([AuditEntry].self)
            Output.table(["AT", "TOKEN", "METHOD", "PATH", "STATUS", "RESULT"], entries.map(Self.row))
            page.footer(shown: entries.count, total: response.totalCount)
            Output.flush()  // before the live lines, which are written unbuffered
        }
        guard follow else { return }
        for try await event in client.events(cpId: station) where event.type == "audit.entry" {
            guard let data = try? JSONParser.parse(Array(event.data.utf8)),
                let entry = try? JSONValueDecoder.decode(AuditEntry.self, from: data),
                token.map({ $0 == entry.token }) ?? true
            else { continue }
            // Written straight to the file descriptor: a pipe sees each entry at once.
            let line = global.output == .json ? event.data : Self.row(entry).map { Output.paint($0.text, $0.color) }.joined(separator: "  ")
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        throw CtlError(.unreachable, "the server closed the event stream")
    }

    static func row(_ entry: AuditEntry) -> [Cell] {
        let failed = !(200..<300).contains(entry.status)
        return [
            Cell(Output.time(entry.at)), Cell(entry.token, .bold), Cell(entry.method), Cell(entry.path),
            Cell("\(entry.status)", failed ? .red : .green),
            Cell(optional: entry.result.map { $0.count > 60 ? String($0.prefix(59)) + "…" : $0 }),
        ]
    }
}

/// Webhooks: events POSTed to other systems (billing, ticketing), signed, retried, in order.
struct Webhooks: CommandGroup {
    static let configuration = CommandConfiguration(
        abstract: "Webhooks: events POSTed to other systems, signed with a secret, retried until delivered.",
        subcommands: [Add.self, List.self, Rm.self, Test.self, Deliveries.self])

    struct Add: APICommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a webhook; matching events from now on are POSTed to URL.",
            discussion: """
                Each event is the event stream's data plus "id", with headers X-OCPPD-Event-Id, X-OCPPD-Timestamp and \\
                X-OCPPD-Signature: sha256=HEX, the HMAC-SHA256 of TIMESTAMP.BODY with the secret. Without --secret, a \\
                random one is made and printed.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "http:// or https:// URL of the receiver.") var url: String
        @Option(name: .customLong("event"), help: "An event type to send (repeat it), or * for every type.") var events: [String] = []
        @Option(
            name: .customLong("station"), help: "Only this station's events (repeat it; default: every station).",
            completion: Completion.stations)
        var stations: [String] = []
        @Option(help: "The signing secret (default: a random one, printed).") var secret: String?

        func execute(_ client: APIClient) async throws {
            guard !events.isEmpty else { throw CtlError(.usage, "name the events to send with --event TYPE (or --event '*')") }
            let secret = secret ?? Hex.random(bytes: 32)
            var body: JSONObject = [
                "url": .string(url), "events": .array(events.map { .string($0) }), "secret": .string(secret),
            ]
            if !stations.isEmpty { body["cpIds"] = .array(stations.map { .string($0) }) }
            let response = try await client.send(.POST, "/api/webhooks", body: .object(body))
            if global.output == .json { return Output.raw(response) }
            let webhook = try response.decode(Webhook.self)
            print("webhook \(webhook.id) created: \(webhook.url)")
            if self.secret == nil { print("secret: \(secret)") }
        }
    }

    struct List: APICommand {
        static let configuration = CommandConfiguration(abstract: "Every webhook: its URL, events, stations and state.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var page: PageOptions

        func execute(_ client: APIClient) async throws {
            let response = try await client.get("/api/webhooks", query: page.query)
            if global.output == .json { return Output.raw(response) }
            let webhooks = try response.decode([Webhook].self)
            Output.table(
                ["ID", "URL", "EVENTS", "STATIONS", "STATE"],
                webhooks.map { webhook in
                    let state: Cell =
                        !webhook.enabled
                        ? Cell("disabled", .red)
                        : webhook.failingSince.map { Cell("failing since \(Output.time($0))", .yellow) } ?? Cell("ok", .green)
                    return [
                        Cell("\(webhook.id)", .bold), Cell(webhook.url), Cell(webhook.events.joined(separator: ",")),
                        Cell(webhook.cpIds?.joined(separator: ",") ?? "all"), state,
                    ]
                })
            page.footer(shown: webhooks.count, total: response.totalCount)
        }
    }

    struct Rm: APICommand {
        static let configuration = CommandConfiguration(abstract: "Remove a webhook: nothing more is sent to it.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Webhook id.") var id: Int

        func execute(_ client: APIClient) async throws {
            let response = try await client.send(.DELETE, "/api/webhooks/\(id)")
            if global.output == .json { return Output.raw(response) }
            print("webhook \(id) removed")
        }
    }

    struct Test: APICommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a webhook.test event now and say how the receiver answered (exit 1 when it did not take it).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Webhook id.") var id: Int

        func execute(_ client: APIClient) async throws {
            // The receiver may take up to 10 s: as long as a command may.
            let response = try await client.send(.POST, "/api/webhooks/\(id)/test", command: true)
            let delivery = try response.decode(WebhookDelivery.self)
            if global.output == .json { Output.raw(response) } else { print(Deliveries.describe(delivery)) }
            if let error = delivery.error { throw CtlError(.failure, "the receiver did not take the test event: \(error)") }
        }
    }

    struct Deliveries: APICommand {
        static let configuration = CommandConfiguration(abstract: "A webhook's last delivery attempts, newest first.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Webhook id.") var id: Int
        @OptionGroup var page: PageOptions

        func execute(_ client: APIClient) async throws {
            let response = try await client.get("/api/webhooks/\(id)/deliveries", query: page.query)
            if global.output == .json { return Output.raw(response) }
            let deliveries = try response.decode([WebhookDelivery].self)
            Output.table(
                ["AT", "EVENT", "TYPE", "ATTEMPT", "STATUS", "MS", "ERROR"],
                deliveries.map { delivery in
                    [
                        Cell(Output.time(delivery.at)), Cell(delivery.eventId), Cell(delivery.eventType), Cell("\(delivery.attempt)"),
                        Cell(delivery.status.map(String.init) ?? "-", delivery.error == nil ? .green : .red),
                        Cell("\(delivery.durationMs)"),
                        Cell(optional: delivery.error),
                    ]
                })
            page.footer(shown: deliveries.count, total: response.totalCount)
        }

        static func describe(_ delivery: WebhookDelivery) -> String {
            let answer = delivery.status.map { "answered \($0)" } ?? "no answer"
            return "event \(delivery.eventId): \(answer) in \(delivery.durationMs) ms" + (delivery.error.map { " (\($0))" } ?? "")
        }
    }
}
