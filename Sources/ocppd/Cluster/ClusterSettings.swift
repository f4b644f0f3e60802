import Foundation

/// What makes this ocppd a node of a cluster: its id, where the other nodes reach it, and the secret of their calls.
struct ClusterSettings: Sendable, Equatable {
    var nodeId: String
    /// Base URL of this node's HTTP listener, as the other nodes reach it (`http://10.0.0.11:3000`).
    var nodeURL: String
    /// Authenticates node-to-node calls (`ClusterSecretMiddleware`); never logged.
    var secret: String

    /// Header of node-to-node calls that carries the secret.
    static let secretHeader = "X-Ocppd-Cluster-Secret"
    static let minimumSecretLength = 16

    /// Node ids go into URLs, logs and event ids: letters, digits, `.`, `_` and `-`.
    static func isValidNodeId(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || [UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-")].contains(byte)
            }
    }

    /// Cluster mode is on when a node id is set; then everything else it needs must be there too.
    static func resolve(nodeId: String?, nodeURL: String?, secret: String?, secretFile: String?, onMariaDB: Bool) throws
        -> ClusterSettings?
    {
        guard let nodeId else {
            if nodeURL != nil || secret != nil || secretFile != nil {
                throw ConfigurationError(description: "OCPPD_NODE_URL and OCPPD_CLUSTER_SECRET are for cluster mode: set OCPPD_NODE_ID too")
            }
            return nil
        }
        guard onMariaDB else {
            throw ConfigurationError(
                description:
                    "cluster mode (OCPPD_NODE_ID) needs MariaDB (DATABASE_URL=mysql://…), the store every node shares; SQLite is one file on one machine"
            )
        }
        guard isValidNodeId(nodeId) else {
            throw ConfigurationError(description: "node id '\(nodeId)': 1 to 64 letters, digits, '.', '_' or '-'")
        }
        guard var url = nodeURL, let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw ConfigurationError(
                description: "cluster mode needs OCPPD_NODE_URL, where the other nodes reach this one (http://HOST:PORT or https://…)")
        }
        while url.hasSuffix("/") { url.removeLast() }
        let text: String
        switch (secret, secretFile) {
        case (let secret?, nil):
            text = secret
        case (nil, let file?):
            guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ConfigurationError(description: "cannot read the cluster secret file \(file)")
            }
            text = contents.trimmingCharacters(in: .whitespacesAndNewlines)
        case (nil, nil):
            throw ConfigurationError(description: "cluster mode needs OCPPD_CLUSTER_SECRET or OCPPD_CLUSTER_SECRET_FILE")
        case (_?, _?):
            throw ConfigurationError(description: "give the cluster secret once: OCPPD_CLUSTER_SECRET or OCPPD_CLUSTER_SECRET_FILE")
        }
        guard text.count >= minimumSecretLength else {
            throw ConfigurationError(description: "the cluster secret must have \(minimumSecretLength) characters at least")
        }
        return ClusterSettings(nodeId: nodeId, nodeURL: url, secret: text)
    }
}

extension ClusterSettings: CustomStringConvertible {
    /// Without the secret, for logs.
    var description: String { "node \(nodeId) at \(nodeURL)" }
}
