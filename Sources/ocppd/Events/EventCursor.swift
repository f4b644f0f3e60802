import Foundation

/// How far a client got in every node's events: the `id:` of each event of GET /api/events, and the `Last-Event-ID` a
/// client that reconnects sends back. A single ocppd's is its last event's number (`42`); a cluster's names each node
/// (`a:42,b:17`), since each node numbers its own events in the order they were kept.
struct EventCursor: Sendable, Equatable, CustomStringConvertible {
    /// The last event number delivered of each node.
    var positions: [String: Int64] = [:]

    init(positions: [String: Int64] = [:]) {
        self.positions = positions
    }

    /// Reads a `Last-Event-ID`; nil when it is not one ocppd could have sent.
    init?(lastEventId text: String) {
        let text = text.trimmingCharacters(in: .whitespaces)
        if let seq = Int64(text), seq >= 0 {
            positions = ["": seq]
            return
        }
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let colon = part.lastIndex(of: ":"), let seq = Int64(part[part.index(after: colon)...]), seq >= 0 else { return nil }
            let node = String(part[..<colon])
            guard node.isEmpty || ClusterSettings.isValidNodeId(node), positions[node] == nil else { return nil }
            positions[node] = seq
        }
        guard !positions.isEmpty else { return nil }
    }

    var description: String {
        if positions.count == 1, let seq = positions[""] { return String(seq) }
        return positions.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
    }

    /// Whether the event at `position` comes after this cursor.
    func isBefore(_ position: EventPosition) -> Bool {
        position.seq > positions[position.node, default: 0]
    }

    mutating func advance(to position: EventPosition) {
        positions[position.node] = max(position.seq, positions[position.node, default: 0])
    }
}
