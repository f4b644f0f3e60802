import ArgumentParser
import Foundation
import Shared

/// Live events as JSON lines, for scripts.
struct Events: APICommand {
    static let configuration = CommandConfiguration(
        abstract: "Print live events, one JSON object per line, until interrupted (or until --count events).")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("station"), help: "Only this station's events.", completion: Completion.stations) var station: String?
    @Option(help: "Stop after this many events.") var count: Int?
    @Flag(help: "Include station.heartbeat events.") var heartbeats = false

    func execute(_ client: APIClient) async throws {
        var seen = 0
        for try await event in client.events(cpId: station, heartbeats: heartbeats) {
            // Written straight to the file descriptor: a script reading the pipe sees each event at once.
            FileHandle.standardOutput.write(Data((event.data + "\n").utf8))
            seen += 1
            if let count, seen >= count { return }
        }
        throw CtlError(.unreachable, "the server closed the event stream")
    }
}

/// Saves the server and token for later commands.
struct Login: APICommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a server and token, then save them in $XDG_CONFIG_HOME/ocppctl/config (mode 0600).")
    @OptionGroup var global: GlobalOptions

    func execute(_ client: APIClient) async throws {
        guard global.server != nil, global.token != nil else {
            throw CtlError(.usage, "login needs --server URL and --token TOKEN")
        }
        // Who the token is: a named token (or the configured one, api-token) and its role.
        let me = try await client.get("/api/token").json()
        let config = CtlConfig(server: client.servers.joined(separator: ","), token: client.token)
        let path = try config.save(environment: ProcessInfo.processInfo.environment)
        let name = me["name"]?.stringValue ?? "?"
        let role = me["role"]?.stringValue ?? "?"
        let expiry = me["expiresAt"]?.stringValue.map { ", expires \($0)" } ?? ""
        print("logged in to \(client.base) as \(name) (\(role)\(expiry)); saved in \(path)")
    }
}
