import Foundation
import Shared

/// A webhook as stored: with its secret (to sign with), how far it was delivered, and which node delivers it.
struct StoredWebhook: Sendable, Equatable {
    var id: Int
    var url: String
    var events: [String]
    var cpIds: [String]?
    var secret: String
    var createdAt: Date
    var enabled: Bool
    var failingSince: Date?
    /// The events up to here (every node's) have been delivered or did not match.
    var cursor: EventCursor
    var leaseNode: String?
    var leaseUntil: Date?

    func resource(now: Date = Date()) -> Webhook {
        Webhook(
            id: id, url: url, events: events, cpIds: cpIds, enabled: enabled, createdAt: createdAt, failingSince: failingSince,
            node: leaseUntil.map { $0 > now } == true && leaseNode?.isEmpty == false ? leaseNode : nil)
    }

    /// Whether an event of `type` about `cpId` ('' for none) goes to this webhook.
    func matches(type: String, cpId: String) -> Bool {
        (events.contains("*") || events.contains(type)) && (cpIds.map { $0.contains(cpId) } ?? true)
    }
}

/// The rows of the webhooks: their settings, progress and leases, and their last delivery attempts.
protocol WebhookStore: Store {
    /// Keeps a new webhook; returns its id.
    func createWebhook(_ webhook: StoredWebhook) async throws -> Int
    /// Every webhook, by id.
    func webhooks() async throws -> [StoredWebhook]
    func webhook(_ id: Int) async throws -> StoredWebhook?
    /// Removes the webhook and its deliveries; nil when unknown.
    func deleteWebhook(_ id: Int) async throws -> StoredWebhook?
    /// Takes or renews the lease on delivering the webhook for `node`; false while another node holds an unexpired one
    /// (or the webhook is gone).
    func leaseWebhook(_ id: Int, node: String, until: Date, now: Date) async throws -> Bool
    /// Keeps how far the webhook was delivered, whether it is failing and whether it is still enabled; only while `node`
    /// holds its lease (false otherwise: another node took it over, or it was removed).
    func saveWebhookProgress(
        _ id: Int, node: String, cursor: EventCursor, failingSince: Date?, enabled: Bool
    ) async throws -> Bool
    /// Lets go of `node`'s leases (it stops): another node takes them at once.
    func releaseWebhookLeases(node: String) async throws
    /// Keeps attempts, in their order, in one write; only the newest `keep` of each webhook stay.
    func addWebhookDeliveries(_ webhookId: Int, _ deliveries: [WebhookDelivery], keep: Int) async throws
    /// Newest first.
    func webhookDeliveries(_ webhookId: Int, _ page: PageRequest) async throws -> Page<WebhookDelivery>
}

extension SQLStore {
    private static var webhookColumns: String {
        "id, url, events, cp_ids, secret, created_at, enabled, failing_since, delivered, lease_node, lease_until"
    }

    private static func readWebhook(_ row: Connection.Row) throws -> StoredWebhook {
        func list(_ text: String?) throws -> [String]? {
            guard let text else { return nil }
            guard case .array(let items) = try JSONParser.parse(Array(text.utf8)) else {
                throw StoreError.failed("webhook \(try row.int(0)): a list that is not a JSON array")
            }
            return items.compactMap(\.stringValue)
        }
        func cursor(_ text: String) throws -> EventCursor {
            guard let cursor = EventCursor(lastEventId: text) else {
                throw StoreError.failed("webhook \(try row.int(0)): a delivered position that is not one: '\(text)'")
            }
            return cursor
        }
        return StoredWebhook(
            id: try row.int(0), url: try row.string(1), events: try list(try row.string(2)) ?? [], cpIds: try list(row.optionalString(3)),
            secret: try row.string(4), createdAt: try row.date(5), enabled: try row.bool(6), failingSince: row.optionalDate(7),
            cursor: try cursor(try row.string(8)), leaseNode: row.optionalString(9),
            leaseUntil: row.optionalDate(10))
    }

    private static func jsonList(_ items: [String]) -> String {
        var out: [UInt8] = []
        JSONValue.array(items.map { .string($0) }).write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func createWebhook(_ webhook: StoredWebhook) async throws -> Int {
        try await write { db in
            _ = try db.execute(
                """
                INSERT INTO webhooks (url, events, cp_ids, secret, created_at, enabled, failing_since, delivered, lease_node, lease_until)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)
                """,
                [
                    webhook.url, Self.jsonList(webhook.events), webhook.cpIds.map(Self.jsonList), webhook.secret, webhook.createdAt,
                    webhook.enabled, webhook.failingSince, Self.cursorText(webhook.cursor),
                ])
            return Int(db.lastInsertRowID)
        }
    }

    /// A cursor as stored: never empty (no position at all is every node's 0).
    private static func cursorText(_ cursor: EventCursor) -> String {
        cursor.positions.isEmpty ? "0" : cursor.description
    }

    func webhooks() async throws -> [StoredWebhook] {
        try await read { db in try db.query("SELECT \(Self.webhookColumns) FROM webhooks ORDER BY id", [], Self.readWebhook) }
    }

    func webhook(_ id: Int) async throws -> StoredWebhook? {
        try await read { db in try db.queryFirst("SELECT \(Self.webhookColumns) FROM webhooks WHERE id = ?", [id], Self.readWebhook) }
    }

    func deleteWebhook(_ id: Int) async throws -> StoredWebhook? {
        try await write { db in
            guard let webhook = try db.queryFirst("SELECT \(Self.webhookColumns) FROM webhooks WHERE id = ?", [id], Self.readWebhook)
            else { return nil }
            _ = try db.execute("DELETE FROM webhook_deliveries WHERE webhook_id = ?", [id])
            _ = try db.execute("DELETE FROM webhooks WHERE id = ?", [id])
            return webhook
        }
    }

    func leaseWebhook(_ id: Int, node: String, until: Date, now: Date) async throws -> Bool {
        try await write { db in
            try db.execute(
                "UPDATE webhooks SET lease_node = ?, lease_until = ? WHERE id = ? AND (lease_node IS NULL OR lease_node = ? OR lease_until < ?)",
                [node, until, id, node, now]) == 1
        }
    }

    func saveWebhookProgress(_ id: Int, node: String, cursor: EventCursor, failingSince: Date?, enabled: Bool) async throws -> Bool {
        try await write { db in
            // Matched rows (MariaDB's connection counts found rows, not changed ones): 0 when another node holds the lease.
            try db.execute(
                "UPDATE webhooks SET delivered = ?, failing_since = ?, enabled = ? WHERE id = ? AND lease_node = ?",
                [Self.cursorText(cursor), failingSince, enabled, id, node]) == 1
        }
    }

    func releaseWebhookLeases(node: String) async throws {
        try await write { db in
            _ = try db.execute("UPDATE webhooks SET lease_node = NULL, lease_until = NULL WHERE lease_node = ?", [node])
        }
    }

    func addWebhookDeliveries(_ webhookId: Int, _ deliveries: [WebhookDelivery], keep: Int) async throws {
        guard !deliveries.isEmpty else { return }
        try await write { db in
            // An attempt that ends after its webhook was removed is not kept.
            guard try db.queryFirst("SELECT 1 FROM webhooks WHERE id = ?", [webhookId], { try $0.int(0) }) != nil else { return }
            // Only the newest `keep` could stay anyway.
            for delivery in deliveries.suffix(keep) {
                _ = try db.execute(
                    """
                    INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, attempt, at, status, error, duration_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        webhookId, delivery.eventId, delivery.eventType, delivery.attempt, delivery.at, delivery.status, delivery.error,
                        delivery.durationMs,
                    ])
            }
            let oldest = try db.queryFirst(
                "SELECT id FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?", [webhookId, keep]
            ) { try $0.int64(0) }
            if let oldest { _ = try db.execute("DELETE FROM webhook_deliveries WHERE webhook_id = ? AND id <= ?", [webhookId, oldest]) }
        }
    }

    func webhookDeliveries(_ webhookId: Int, _ page: PageRequest) async throws -> Page<WebhookDelivery> {
        try await read { db in
            let items = try db.query(
                """
                SELECT id, event_id, event_type, attempt, at, status, error, duration_ms FROM webhook_deliveries WHERE webhook_id = ?
                ORDER BY id DESC LIMIT ? OFFSET ?
                """,
                [webhookId] + .page(page)
            ) { row in
                WebhookDelivery(
                    id: try row.int(0), eventId: try row.string(1), eventType: try row.string(2), attempt: try row.int(3),
                    at: try row.date(4), status: row.optionalInt(5), error: row.optionalString(6), durationMs: try row.int(7))
            }
            let total =
                try db.queryFirst("SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = ?", [webhookId]) { try $0.int(0) } ?? 0
            return Page(items: items, total: total)
        }
    }
}

extension SQLiteStore: WebhookStore {}
extension MariaDBStore: WebhookStore {}
