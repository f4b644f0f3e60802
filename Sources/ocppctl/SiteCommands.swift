import ArgumentParser
import Foundation
import Shared

/// Sites: stations sharing one grid connection, whose limit ocppd shares among their sessions.
struct Sites: CommandGroup {
    static let configuration = CommandConfiguration(
        abstract: "Sites: a grid connection's limit shared among the sessions of its stations.",
        subcommands: [List.self, Show.self, Set.self, Rm.self])

    struct List: APICommand {
        static let configuration = CommandConfiguration(abstract: "Every site: its limit, what is allocated, its stations.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var page: PageOptions

        func execute(_ client: APIClient) async throws {
            let response = try await client.get("/api/sites", query: page.query)
            if global.output == .json { return Output.raw(response) }
            let sites = try response.decode([Site].self)
            Output.table(
                ["SITE", "LIMIT", "ALLOCATED", "SESSIONS", "STATIONS", "DESCRIPTION"],
                sites.map { site in
                    [
                        Cell(site.siteId, .bold), Cell(Sites.amount(site.limit, site.unit)), Cell(Sites.amount(site.allocated, site.unit)),
                        Cell("\(site.allocations.count)"), Cell(site.stations.joined(separator: " ")), Cell(optional: site.description),
                    ]
                })
            page.footer(shown: sites.count, total: response.totalCount)
        }
    }

    struct Show: APICommand {
        static let configuration = CommandConfiguration(abstract: "One site: its settings and each session's limit and draw.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Site id.") var site: String

        func execute(_ client: APIClient) async throws {
            let response = try await client.get("/api/sites/\(APIClient.segment(site))")
            if global.output == .json { return Output.raw(response) }
            Sites.printDetail(try response.decode(Site.self))
        }
    }

    struct Set: APICommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or change a site (stations join it with 'stations set ID --site SITE').",
            discussion: """
                Sets the whole site, as PUT /api/sites/SITE does: an option left out takes its default (3 phases, 230 V, \
                6 A per session, the limit shared by all connectors as fallback, no description), also on a site that \
                had it set. 'sites show SITE' first shows what to repeat.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Site id.") var site: String
        @Option(help: "The grid connection's limit: amperes per phase, or watts.") var limit: Double
        @Option(help: "A or W.") var unit: Site.Unit
        @Option(help: "1 or 3 (default 3).") var phases: Int?
        @Option(help: "Volts (default 230).") var voltage: Double?
        @Option(help: "No session gets less; those that would wait (default 6 A, or its power).") var minPerConnector: Double?
        @Option(help: "Each station's limit while ocppd is away (default: the limit shared by all connectors).") var fallbackLimit: Double?
        @Option(help: "Free text.") var description: String?

        func execute(_ client: APIClient) async throws {
            var body: JSONObject = ["limit": .number(limit), "unit": .string(unit.rawValue)]
            if let phases { body["phases"] = .integer(Int64(phases)) }
            if let voltage { body["voltage"] = .number(voltage) }
            if let minPerConnector { body["minPerConnector"] = .number(minPerConnector) }
            if let fallbackLimit { body["fallbackLimit"] = .number(fallbackLimit) }
            if let description { body["description"] = .string(description) }
            let response = try await client.send(.PUT, "/api/sites/\(APIClient.segment(site))", body: .object(body))
            if global.output == .json { return Output.raw(response) }
            Sites.printDetail(try response.decode(Site.self))
        }
    }

    struct Rm: APICommand {
        static let configuration = CommandConfiguration(abstract: "Remove a site; its stations leave it.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Site id.") var site: String

        func execute(_ client: APIClient) async throws {
            let response = try await client.send(.DELETE, "/api/sites/\(APIClient.segment(site))")
            if global.output == .json { return Output.raw(response) }
            print("site \(site) removed")
        }
    }

    static func amount(_ value: Double, _ unit: Site.Unit) -> String { number(value) + " " + unit.rawValue }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int64(value)) : String(format: "%.1f", value)
    }

    static func printDetail(_ site: Site) {
        Output.fields([
            ("Site", Cell(site.siteId, .bold)),
            (
                "Limit",
                Cell("\(amount(site.limit, site.unit)) (\(site.phases) phase\(site.phases == 1 ? "" : "s"), \(number(site.voltage)) V)")
            ),
            ("Allocated", Cell(amount(site.allocated, site.unit), site.allocated > site.limit ? .red : nil)),
            ("Minimum per session", Cell(amount(site.minPerConnector, site.unit))),
            ("Fallback per station", Cell(amount(site.fallbackLimit, site.unit))),
            ("Stations", Cell(site.stations.isEmpty ? "-" : site.stations.joined(separator: " "))),
            ("Description", Cell(optional: site.description)),
        ])
        print("")
        Output.table(
            ["STATION", "CONNECTOR", "TRANSACTION", "LIMIT", "DRAWS", "SHARE"],
            site.allocations.map { allocation in
                [
                    Cell(allocation.cpId, .bold), Cell("\(allocation.connectorId)"), Cell("\(allocation.transactionId)"),
                    Cell(amount(allocation.limit, site.unit)), Cell(allocation.measured.map { amount($0, site.unit) } ?? "-"),
                    Cell(bar(allocation.limit, of: site.limit)),
                ]
            })
    }

    /// A share of the limit as a bar of 20 characters.
    static func bar(_ value: Double, of total: Double) -> String {
        let filled = total > 0 ? min(20, max(0, Int((value / total * 20).rounded()))) : 0
        return String(repeating: "█", count: filled) + String(repeating: "·", count: 20 - filled)
    }
}

extension Site.Unit: ExpressibleByArgument {}
