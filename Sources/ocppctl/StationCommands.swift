import ArgumentParser
import Foundation
import Shared

/// Stations: list, show, accept (or pre-register), change, remove, their status history, and the unknown ones.
struct Stations: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Charging stations.",
        subcommands: [
            List.self, Show.self, Accept.self, Update.self, Remove.self, History.self, Unknown.self, RenewCertificate.self,
            SetProfile.self,
        ],
        defaultSubcommand: List.self)

    struct List: APICommand {
        static let configuration = CommandConfiguration(abstract: "List stations with their connectors.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Only connected stations.") var connected = false
        @OptionGroup var page: PageOptions

        func execute(_ client: APIClient) async throws {
            let response = try await client.get("/api/stations", query: page.query + [("connected", connected ? "true" : nil)])
            if global.output == .json { return Output.raw(response) }
            let stations = try response.decode([Station].self)
            // In a cluster, the node that holds each station.
            let cluster = await ClusterCommand.isCluster(client)
            Output.table(
                ["STATION", "STATE"] + (cluster ? ["NODE"] : []) + ["REGISTRATION", "VENDOR", "MODEL", "CONNECTORS", "HEARTBEAT"],
                stations.map { station in
                    [Cell(station.id, .bold), .status(station.connected ? "connected" : "disconnected")]
                        + (cluster ? [Cell(optional: station.node)] : [])
                        + [
                            .status(station.registrationStatus.rawValue), Cell(optional: station.vendor), Cell(optional: station.model),
                            Cell(
                                station.connectors.filter { $0.connectorId > 0 }.map { "\($0.connectorId):\($0.status)" }
                                    .joined(separator: " ")),
                            Cell(station.lastHeartbeatAt.map { Output.age($0) } ?? "-"),
                        ]
                })
            page.footer(shown: stations.count, total: response.totalCount)
        }
    }

    struct Show: APICommand {
        static let configuration = CommandConfiguration(abstract: "Show one station: boot info and every connector.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Station id.", completion: Completion.stations) var station: String

        func execute(_ client: APIClient) async throws {
            let response = try await client.get("/api/stations/\(APIClient.segment(station))")
            if global.output == .json { return Output.raw(response) }
            Stations.printDetail(try response.decode(Station.self))
        }
    }

    struct Accept: APICommand {
        static let configuration = CommandConfiguration(
            abstract: "Accept a pending or unknown station (registers it), optionally with its authorization key.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Station id.", completion: Completion.stations) var station: String
        @OptionGroup var fields: StationFields

        func execute(_ client: APIClient) async throws {
            let response = try await fields.put(station, status: .accepted, client)
            if global.output == .json { return Output.raw(response) }
            print("\(station): \(response.status == 201 ? "registered and accepted" : "accepted")")
        }
    }

    struct Update: APICommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Pre-register a station or change it: registration status, authorization key, security profile, description.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Station id.", completion: Completion.stations) var station: String
        @Option(help: "Registration status: Accepted, Pending or Rejected.") var status: RegistrationStatus?
        @OptionGroup var fields: StationFields

        func execute(_ client: APIClient) async throws {
            let response = try await fields.put(station, status: status, client)
            if global.output == .json { return Output.raw(response) }
            Stations.printDetail(try response.decode(Station.self))
        }
    }

    struct History: APICommand {
        static let configuration = CommandConfiguration(
            abstract: "The StatusNotifications of a station, newest first (by the station's timestamps).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Station id.", completion: Completion.stations) var station: String
        @Option(help: "Only this connector (0: the station itself).") var connector: Int?
        @OptionGroup var page: PageOptions

        func execute(_ client: APIClient) async throws {
            let response = try await client.get(
                "/api/stations/\(APIClient.segment(station))/status-history",
                query: page.query + [("connectorId", connector.map(String.init))])
            if global.output == .json { return Output.raw(response) }
            let reports = try response.decode([Connector].self)
            Output.table(
                ["AT", "CONNECTOR", "STATUS", "ERROR", "INFO"],
                reports.map { report in
                    [
                        Cell(Output.time(report.updatedAt)), Cell(report.connectorId == 0 ? "0 (station)" : "\(report.connectorId)"),
                        .status(report.status), Cell(report.errorCode, report.errorCode == "NoError" ? nil : .red),
                        Cell(optional: report.info),
                    ]
                })
            page.footer(shown: reports.count, total: response.totalCount)
        }
    }

    struct Remove: APICommand {
        static let configuration = CommandConfiguration(abstract: "Remove a station (its sessions are kept).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Station id.", completion: Completion.stations) var station: String

        func execute(_ client: APIClient) async throws {
            let response = try await client.send(.DELETE, "/api/stations/\(APIClient.segment(station))")
            if global.output == .json { return Output.raw(response) }
            print("\(station): removed")
        }
    }

    struct Unknown: APICommand {
        static let configuration = CommandConfiguration(abstract: "Stations that tried to connect but are not registered.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var page: PageOptions

        func execute(_ client: APIClient) async throws {
            try await printSightings(client.get("/api/stations/unknown", query: page.query), global: global, what: "STATION")
        }
    }

    static func printDetail(_ station: Station) {
        Output.fields(
            [
                ("Station", Cell(station.id, .bold)),
                ("State", .status(station.connected ? "connected" : "disconnected")),
            ] + (station.node.map { [("Node", Cell($0))] } ?? []) + [
                ("Registration", .status(station.registrationStatus.rawValue)),
                ("Vendor / model", Cell("\(station.vendor ?? "-") / \(station.model ?? "-")")),
                ("Serial number", Cell(optional: station.serialNumber)),
                ("Firmware", Cell(optional: station.firmwareVersion)),
                ("Site", Cell(optional: station.siteId)),
                (
                    "Firmware status",
                    Cell(
                        optional: station.firmwareStatus.map { status in
                            station.firmwareRequestId.map { "\(status) (request \($0))" } ?? status
                        })
                ),
                ("Diagnostics status", Cell(optional: station.diagnosticsStatus)),
                (
                    "Log status",
                    Cell(optional: station.logStatus.map { status in station.logRequestId.map { "\(status) (request \($0))" } ?? status })
                ),
                ("Security profile", Cell("\(station.securityProfile)\(station.hasAuthorizationKey ? " (key set)" : "")")),
                ("Connected on profile", Cell(station.connectedSecurityProfile)),
                ("Certificate", Cell(station.certificate.map { "\($0.serialNumber), valid until \(Output.time($0.notAfter))" } ?? "-")),
                ("Last heartbeat", Cell(Output.time(station.lastHeartbeatAt))),
                ("Last boot", Cell(Output.time(station.lastBootAt))),
            ])
        print("")
        Output.table(
            ["CONNECTOR", "STATUS", "ERROR", "INFO", "SINCE"],
            station.connectors.map { connector in
                [
                    Cell(connector.connectorId == 0 ? "0 (station)" : "\(connector.connectorId)"), .status(connector.status),
                    Cell(connector.errorCode, connector.errorCode == "NoError" ? nil : .red), Cell(optional: connector.info),
                    Cell(Output.time(connector.updatedAt)),
                ]
            })
    }
}

extension RegistrationStatus: ExpressibleByArgument {
    /// Accepted, Pending or Rejected, in any case.
    public init?(argument: String) {
        guard let match = Self.allCases.first(where: { $0.rawValue.lowercased() == argument.lowercased() }) else { return nil }
        self = match
    }
}

/// The fields of PUT /api/stations/{cpId} besides the registration status, shared by `stations accept` and `set`.
struct StationFields: ParsableArguments {
    @Option(help: "Authorization key for HTTP Basic (security profile 1 and 2), 16 to 40 characters.") var authorizationKey: String?
    @Flag(help: "Remove the authorization key.") var noAuthorizationKey = false
    @Option(help: "OCPP security profile 0-3.") var securityProfile: Int?
    @Option(help: "Free text shown with the station (empty: none).") var description: String?
    @Option(help: "The site whose grid connection the station shares (see 'sites'; empty: none).") var site: String?

    func validate() throws {
        if noAuthorizationKey, authorizationKey != nil {
            throw ValidationError("--authorization-key and --no-authorization-key exclude each other")
        }
    }

    /// PUTs the fields given (and `status`, when set) to the station.
    func put(_ station: String, status: RegistrationStatus?, _ client: APIClient) async throws -> APIResponse {
        var body: JSONObject = [:]
        if let status { body["registrationStatus"] = .string(status.rawValue) }
        if let authorizationKey { body["authorizationKey"] = .string(authorizationKey) }
        if noAuthorizationKey { body["authorizationKey"] = .null }
        if let securityProfile { body["securityProfile"] = .integer(Int64(securityProfile)) }
        if let description { body["description"] = description.isEmpty ? .null : .string(description) }
        if let site { body["siteId"] = site.isEmpty ? .null : .string(site) }
        return try await client.send(.PUT, "/api/stations/\(APIClient.segment(station))", body: .object(body))
    }
}

/// Prints a list of unknown stations or tags.
func printSightings(_ response: APIResponse, global: GlobalOptions, what: String) throws {
    if global.output == .json { return Output.raw(response) }
    let sightings = try response.decode([UnknownSighting].self)
    Output.table(
        [what, "SEEN", "LAST SEEN", "FIRST SEEN", "WHERE"],
        sightings.map {
            [
                Cell($0.id, .bold), Cell("\($0.count)x"), Cell(Output.time($0.lastSeenAt)), Cell(Output.time($0.firstSeenAt)),
                Cell(optional: $0.seenAt),
            ]
        })
}

/// limit and offset of list commands.
struct PageOptions: ParsableArguments {
    @Option(help: "How many to show (1-1000).") var limit: Int?
    @Option(help: "How many to skip.") var offset: Int?

    var query: [(String, String?)] { [("limit", limit.map(String.init)), ("offset", offset.map(String.init))] }

    func footer(shown: Int, total: Int?) {
        guard let total, total > shown else { return }
        print(Output.paint("\(shown) of \(total); use --limit and --offset for more", .dim))
    }
}
