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
        let lines = String(decoding: response.body, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard let prefix else { return Output.raw(response) }
        for line in lines {
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
