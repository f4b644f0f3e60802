import ArgumentParser
import Foundation
import Shared

/// Charging sessions and their meter values.
struct Sessions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Charging sessions.", subcommands: [List.self, Show.self, Export.self], defaultSubcommand: List.self)

    struct List: APICommand {
        static let configuration = CommandConfiguration(abstract: "List sessions, newest first.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var filter: SessionFilterOptions
        @OptionGroup var page: PageOptions

        func execute(_ client: APIClient) async throws {
            let query = page.query + filter.query
            let response = try await client.get("/api/sessions", query: query)
            if global.output == .json { return Output.raw(response) }
            let sessions = try response.decode([Session].self)
            Output.table(
                ["ID", "STATION", "CONN", "TAG", "STATE", "ENERGY", "STARTED", "STOPPED", "REASON"],
                sessions.map { session in
                    [
                        Cell("\(session.transactionId)", .bold), Cell(session.cpId), Cell(session.connectorId), Cell(session.idTag),
                        session.active ? Cell("active", .yellow) : Cell("stopped"), Cell(Sessions.energy(session.energyWh)),
                        Cell(Output.time(session.startedAt)), Cell(session.stoppedAt.map { Output.time($0) } ?? "-"),
                        Cell(optional: session.stopReason),
                    ]
                })
            page.footer(shown: sessions.count, total: response.totalCount)
        }
    }

    struct Show: APICommand {
        static let configuration = CommandConfiguration(abstract: "Show one session with its meter values.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Transaction id.") var transactionId: Int

        func execute(_ client: APIClient) async throws {
            let sessionResponse = try await client.get("/api/sessions/\(transactionId)")
            let valuesResponse = try await client.get("/api/sessions/\(transactionId)/meter-values", query: [("limit", "1000")])
            if global.output == .json {
                var object = try sessionResponse.json().objectValue ?? [:]
                object["meterValues"] = try valuesResponse.json()
                return print(JSONValue.object(object).jsonText)
            }
            let session = try sessionResponse.decode(Session.self)
            Output.fields([
                ("Transaction", Cell("\(session.transactionId)", .bold)), ("Station", Cell(session.cpId)),
                ("Connector", Cell(session.connectorId)), ("Tag", Cell("\(session.idTag) (\(session.idTagStatus))")),
                ("State", session.active ? Cell("active", .yellow) : Cell("stopped")), ("Energy", Cell(Sessions.energy(session.energyWh))),
                ("Meter", Cell("\(session.meterStart) → \(session.meterStop.map(String.init) ?? "…") Wh")),
                ("Started", Cell(Output.time(session.startedAt))), ("Stopped", Cell(session.stoppedAt.map { Output.time($0) } ?? "-")),
                ("Stop reason", Cell(optional: session.stopReason)),
            ])
            let values = try valuesResponse.decode([MeterValueRecord].self)
            print("")
            Output.table(
                ["TIME", "MEASURAND", "VALUE", "UNIT", "PHASE", "CONTEXT"],
                values.map {
                    [
                        Cell(Output.time($0.timestamp)), Cell($0.measurand), Cell($0.value), Cell(optional: $0.unit),
                        Cell(optional: $0.phase), Cell(optional: $0.context),
                    ]
                })
        }
    }

    struct Export: APICommand {
        static let configuration = CommandConfiguration(
            abstract: "Every session the filters take, newest first, as CSV (RFC 4180, a header row): for accounting.",
            discussion: "The columns are the JSON fields of a session; times are UTC (RFC 3339), energy in Wh, power in W.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var filter: SessionFilterOptions
        @Option(name: .customShort("O"), help: "The file to write (written whole or not at all); - for standard output.")
        var output: String = "-"

        func execute(_ client: APIClient) async throws {
            let query = filter.query + [("format", "csv")]
            var sink: FileSink?
            var rows = -1  // the header row is not a session
            var lastShown = ContinuousClock.now
            let live = isatty(STDERR_FILENO) == 1
            func show(_ text: String, final: Bool = false) {
                FileHandle.standardError.write(Data(((live ? "\r" : "") + text + (final || !live ? "\n" : "")).utf8))
            }
            do {
                try await client.download("/api/sessions", query: query) { headers in
                    guard headers.first(name: "Content-Type")?.hasPrefix("text/csv") == true else {
                        throw CtlError(.failure, "the server did not answer with CSV (an ocppd older than this ocppctl?)")
                    }
                    sink = try FileSink(output)
                } into: { chunk in
                    rows += chunk.readableBytesView.count { $0 == UInt8(ascii: "\n") }
                    try sink?.write(chunk)
                    if live, ContinuousClock.now - lastShown > .milliseconds(200) {
                        lastShown = .now
                        show("exporting sessions: \(max(0, rows)) so far")
                    }
                }
                try sink?.commit()
            } catch {
                sink?.discard()
                throw error
            }
            show("exported \(max(0, rows)) session\(rows == 1 ? "" : "s")\(output == "-" ? "" : " to \(output)")", final: true)
        }
    }

    static func energy(_ wh: Int?) -> String {
        guard let wh else { return "-" }
        return wh >= 1000 ? String(format: "%.2f kWh", Double(wh) / 1000) : "\(wh) Wh"
    }
}

/// Reservations.
struct Reservations: APICommand {
    static let configuration = CommandConfiguration(abstract: "List reservations.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var page: PageOptions

    func execute(_ client: APIClient) async throws {
        let response = try await client.get("/api/reservations", query: page.query)
        if global.output == .json { return Output.raw(response) }
        let reservations = try response.decode([Reservation].self)
        Output.table(
            ["ID", "STATION", "CONN", "TAG", "STATUS", "EXPIRES"],
            reservations.map {
                [
                    Cell("\($0.reservationId)", .bold), Cell($0.cpId), Cell($0.connectorId), Cell($0.idTag), .status($0.status),
                    Cell(Output.time($0.expiryDate)),
                ]
            })
        page.footer(shown: reservations.count, total: response.totalCount)
    }
}

/// RFID cards.
struct Rfid: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "RFID cards.", subcommands: [List.self, Show.self, Add.self, Block.self, Activate.self, Delete.self, Unknown.self],
        defaultSubcommand: List.self)

    struct List: APICommand {
        static let configuration = CommandConfiguration(abstract: "List RFID cards.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var page: PageOptions

        func execute(_ client: APIClient) async throws {
            let response = try await client.get("/api/rfid", query: page.query)
            if global.output == .json { return Output.raw(response) }
            let cards = try response.decode([RfidCard].self)
            Output.table(["TAG", "STATUS", "EXPIRES", "PARENT", "DESCRIPTION"], cards.map(Rfid.row))
            page.footer(shown: cards.count, total: response.totalCount)
        }
    }

    struct Show: APICommand {
        static let configuration = CommandConfiguration(abstract: "Show one RFID card.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The idTag.", completion: Completion.tags) var tag: String

        func execute(_ client: APIClient) async throws {
            try Rfid.show(try await client.get("/api/rfid/\(APIClient.segment(tag))"), global: global)
        }
    }

    struct Add: APICommand {
        static let configuration = CommandConfiguration(abstract: "Add an RFID card (Accepted).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The idTag (up to 20 characters).") var tag: String
        @Option(help: "Expiry date (RFC 3339).") var expires: String?
        @Option(help: "Parent idTag (a group).") var parent: String?
        @Option(help: "Free text.") var description: String?

        func execute(_ client: APIClient) async throws {
            var body: JSONObject = ["idTag": .string(tag)]
            if let expires { body["expiryDate"] = .string(expires) }
            if let parent { body["parentIdTag"] = .string(parent) }
            if let description { body["description"] = .string(description) }
            try Rfid.show(try await client.send(.POST, "/api/rfid", body: .object(body)), global: global)
        }
    }

    struct Block: APICommand {
        static let configuration = CommandConfiguration(abstract: "Block a card: Authorize answers Blocked.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The idTag.", completion: Completion.tags) var tag: String

        func execute(_ client: APIClient) async throws {
            try Rfid.show(try await client.send(.POST, "/api/rfid/\(APIClient.segment(tag))/block"), global: global)
        }
    }

    struct Activate: APICommand {
        static let configuration = CommandConfiguration(abstract: "Activate a blocked card.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The idTag.", completion: Completion.tags) var tag: String

        func execute(_ client: APIClient) async throws {
            try Rfid.show(try await client.send(.POST, "/api/rfid/\(APIClient.segment(tag))/activate"), global: global)
        }
    }

    struct Delete: APICommand {
        static let configuration = CommandConfiguration(abstract: "Delete a card.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The idTag.", completion: Completion.tags) var tag: String

        func execute(_ client: APIClient) async throws {
            let response = try await client.send(.DELETE, "/api/rfid/\(APIClient.segment(tag))")
            if global.output == .json { return Output.raw(response) }
            print("\(tag): deleted")
        }
    }

    struct Unknown: APICommand {
        static let configuration = CommandConfiguration(abstract: "Tags presented at stations that no card matches.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var page: PageOptions

        func execute(_ client: APIClient) async throws {
            try await printSightings(client.get("/api/rfid/unknown", query: page.query), global: global, what: "TAG")
        }
    }

    static func row(_ card: RfidCard) -> [Cell] {
        [
            Cell(card.idTag, .bold), .status(card.status.rawValue), Cell(card.expiryDate.map { Output.time($0) } ?? "-"),
            Cell(optional: card.parentIdTag), Cell(optional: card.description),
        ]
    }

    static func show(_ response: APIResponse, global: GlobalOptions) throws {
        if global.output == .json { return Output.raw(response) }
        Output.table(["TAG", "STATUS", "EXPIRES", "PARENT", "DESCRIPTION"], [row(try response.decode(RfidCard.self))])
    }
}

/// The filters of the session list, the same for `sessions list` and `sessions export`.
struct SessionFilterOptions: ParsableArguments {
    @Option(name: [.customLong("station")], help: "Only this station's.", completion: Completion.stations) var station: String?
    @Option(help: "Only this tag's.", completion: Completion.tags) var tag: String?
    @Flag(help: "Only active sessions.") var active = false
    @Option(help: "Started at or after (RFC 3339).") var since: String?
    @Option(help: "Started before (RFC 3339).") var until: String?

    /// As GET /api/sessions takes them.
    var query: [(String, String?)] {
        [("cpId", station), ("idTag", tag), ("active", active ? "true" : nil), ("since", since), ("until", until)]
    }
}
