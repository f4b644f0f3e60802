import ArgumentParser
import Foundation
import Shared

/// Whether ocppd is up and its store answers: GET /healthz and /readyz. Exits 0 only when both say so, so that a
/// script or a monitoring check can use it as it is.
struct StatusCommand: APICommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Is ocppd up (/healthz), and does its database answer (/readyz)? Exit 0 only when both.")
    @OptionGroup var global: GlobalOptions

    func execute(_ client: APIClient) async throws {
        _ = try await client.get("/healthz")
        let ready: Result<APIResponse, CtlError>
        do {
            ready = .success(try await client.get("/readyz"))
        } catch let error as CtlError where error.status == .failure {
            ready = .failure(error)  // 503: up, but the database does not answer
        }
        switch (ready, global.output) {
        case (.success(let response), .json):
            Output.raw(response)
        case (.success(let response), .table):
            let stations = try response.json()["connectedStations"]?.jsonText ?? "?"
            print("\(client.base): \(Output.paint("ready", .green)) (\(stations) stations connected)")
        case (.failure(let error), .json):
            print(JSONValue.object(["status": "unavailable", "detail": .string(error.message)]).jsonText)
        case (.failure(let error), .table):
            print("\(client.base): \(Output.paint("up, not ready", .red)): \(error.message)")
        }
        if case .failure(let error) = ready { throw CtlError(.failure, "not ready: \(error.message)") }
    }
}

/// ocppd's Prometheus metrics (GET /metrics), optionally only the series whose name starts with a prefix.
struct MetricsCommand: APICommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics", abstract: "ocppd's Prometheus metrics, as /metrics serves them.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Only metrics whose name starts with this, e.g. ocppd_store.") var prefix: String?

    func execute(_ client: APIClient) async throws {
        let response = try await client.get("/metrics")
        guard let prefix else { return Output.raw(response) }
        for line in String(decoding: response.body, as: UTF8.self).split(separator: "\n") {
            let name = line.hasPrefix("# ") ? line.split(separator: " ").dropFirst(2).first.map(String.init) ?? "" : String(line)
            if name.hasPrefix(prefix) { print(line) }
        }
    }
}

/// The OpenAPI 3.1 document of the REST API (GET /api/openapi.json).
struct OpenAPI: APICommand {
    static let configuration = CommandConfiguration(commandName: "openapi", abstract: "The OpenAPI 3.1 document of ocppd's REST API.")
    @OptionGroup var global: GlobalOptions

    func execute(_ client: APIClient) async throws {
        Output.raw(try await client.get("/api/openapi.json"))
    }
}

/// The log of commands sent to charge points (GET /api/commands), newest first.
struct CommandLog: APICommand {
    static let configuration = CommandConfiguration(
        commandName: "commands", abstract: "The log of commands sent to charge points, newest first, with their answers.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.customLong("station")], help: "Only this station's.", completion: Completion.stations) var station: String?
    @OptionGroup var page: PageOptions

    func execute(_ client: APIClient) async throws {
        let response = try await client.get("/api/commands", query: page.query + [("cpId", station)])
        if global.output == .json { return Output.raw(response) }
        let records = try response.decode([CommandRecord].self)
        Output.table(
            ["AT", "STATION", "ACTION", "OUTCOME"],
            records.map { record in
                let outcome: Cell =
                    if let error = record.error {
                        Cell(error, .red)
                    } else if let status = record.response?["status"]?.stringValue {
                        .status(status)
                    } else {
                        Cell(record.response?.jsonText ?? "-")
                    }
                return [Cell(Output.time(record.at)), Cell(record.cpId, .bold), Cell(record.action), outcome]
            })
        page.footer(shown: records.count, total: response.totalCount)
    }
}

/// The REST API's token (POST /api/token/rotate).
struct Token: CommandGroup {
    static let configuration = CommandConfiguration(abstract: "ocppd's REST API token.", subcommands: [Rotate.self])

    struct Rotate: APICommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace a generated API token: the old one stops working at once. Prints the new one, and saves it in "
                + "ocppctl's config file when the old one came from there.")
        @OptionGroup var global: GlobalOptions

        func execute(_ client: APIClient) async throws {
            let response = try await client.send(.POST, "/api/token/rotate")
            guard let token = try response.json()["token"]?.stringValue else {
                throw CtlError(.failure, "the server's answer has no token")
            }
            // Printed first: the old token is dead already, and this one must not be lost to a config file that
            // cannot be written.
            if global.output == .json { Output.raw(response) } else { print(token) }
            let environment = ProcessInfo.processInfo.environment
            var config = CtlConfig.load(environment: environment)
            guard config.token != nil, config.token == client.token else { return }
            config.token = token
            do {
                _ = try config.save(environment: environment)
            } catch {
                let reason = (error as? CtlError)?.message ?? "\(error)"
                FileHandle.standardError.write(Data("ocppctl: the new token is above; the config file keeps the old: \(reason)\n".utf8))
            }
        }
    }
}
