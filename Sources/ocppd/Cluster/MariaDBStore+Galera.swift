/// What a Galera node says of itself: whether it may serve.
struct GaleraStatus: Sendable, Equatable {
    /// `wsrep_ready`: the node accepts queries.
    var ready: Bool
    /// `wsrep_cluster_status`: Primary, or non-Primary after it lost the majority.
    var clusterStatus: String
    /// `wsrep_local_state_comment`: Synced, Donor/Desynced, Joining …
    var state: String

    /// Why the node must not serve, nil when it may.
    var refusal: String? {
        if !ready { return "the Galera node is not ready (wsrep_ready OFF, \(state))" }
        if clusterStatus != "Primary" {
            return "the Galera node is not in the Primary component (\(clusterStatus)): it lost the majority of the cluster"
        }
        return nil
    }
}

extension MariaDBStore {
    /// The node's Galera status; nil when the server is not a Galera node (or does not answer: `ping` says so).
    func galeraStatus() async -> GaleraStatus? {
        do {
            // SHOW, not SELECT @@…: with causal reads (wsrep_sync_wait) a SELECT on a node outside the Primary component
            // waits for a sync that never comes, where SHOW answers at once.
            return try await read(inTransaction: false) { db -> GaleraStatus? in
                var variables: [String: String] = [:]
                let settings = try db.query("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('wsrep_on', 'wsrep_provider')") { row in
                    (try row.string(0).lowercased(), row.optionalString(1) ?? "")
                }
                for (name, value) in settings { variables[name] = value }
                guard variables["wsrep_on"] == "ON", let provider = variables["wsrep_provider"], provider != "none" else { return nil }
                var status: [String: String] = [:]
                let rows = try db.query(
                    "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_cluster_status', 'wsrep_local_state_comment')"
                ) { row in (try row.string(0).lowercased(), row.optionalString(1) ?? "") }
                for (name, value) in rows { status[name] = value }
                return GaleraStatus(
                    ready: status["wsrep_ready"] == "ON", clusterStatus: status["wsrep_cluster_status"] ?? "unknown",
                    state: status["wsrep_local_state_comment"] ?? "unknown")
            }
        } catch StoreError.unavailable(let reason) where reason.contains("1047") {
            return GaleraStatus(ready: false, clusterStatus: "unknown", state: "refuses queries")
        } catch {
            return nil
        }
    }
}
