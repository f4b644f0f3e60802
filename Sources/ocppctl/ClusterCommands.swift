import ArgumentParser
import Foundation
import Shared

/// A node of a cluster as GET /api/cluster/nodes has it.
struct ClusterNode: Decodable {
    var id: String
    var url: String
    var alive: Bool
    var stations: Int
    var lastSeenAt: Date
}

/// The nodes of an ocppd cluster.
struct ClusterCommand: CommandGroup {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "The nodes of an ocppd cluster.", subcommands: [Nodes.self])

    struct Nodes: APICommand {
        static let configuration = CommandConfiguration(
            abstract: "List the cluster's nodes: id, URL, alive or dead, the stations each holds, when it was last seen.")
        @OptionGroup var global: GlobalOptions

        func execute(_ client: APIClient) async throws {
            let response = try await client.get("/api/cluster/nodes", query: [("limit", "1000")])
            if global.output == .json { return Output.raw(response) }
            let nodes = try response.decode([ClusterNode].self)
            guard !nodes.isEmpty else {
                print("\(client.base) is a single ocppd, not a node of a cluster")
                return
            }
            Output.table(
                ["NODE", "URL", "STATE", "STATIONS", "SEEN"],
                nodes.map { node in
                    [
                        Cell(node.id, .bold), Cell(node.url), Cell(node.alive ? "alive" : "dead", node.alive ? .green : .red),
                        Cell("\(node.stations)"), Cell(Output.age(node.lastSeenAt)),
                    ]
                })
        }
    }

    /// Whether the server is a node of a cluster (it lists its nodes), for commands that then show a NODE column.
    static func isCluster(_ client: APIClient) async -> Bool {
        guard let response = try? await client.get("/api/cluster/nodes", query: [("limit", "1")]) else { return false }
        return (response.totalCount ?? 0) > 0
    }
}
