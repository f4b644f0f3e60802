import Foundation
import Hummingbird
import Shared

/// `POST /api/webhooks`.
struct WebhookBody: Decodable {
    var url: String
    var events: [String]
    var cpIds: [String]?
    var secret: String

    /// The webhook to keep, or a 400 naming the field that is wrong.
    func validated(allowPrivate: Bool) async throws -> (url: String, events: [String]) {
        func invalid(_ field: String, _ rule: String) -> Problem {
            Problem(status: .badRequest, detail: "invalid field '\(field)': \(rule)", extra: ["field": .string(field)])
        }
        let url = url.trimmingCharacters(in: .whitespaces)
        if url.utf8.count > 2048 { throw invalid("url", "at most 2048 bytes") }
        if let problem = WebhookTarget.problem(url) { throw invalid("url", problem) }
        if !allowPrivate, let refusal = await WebhookTarget.refusal(url) { throw invalid("url", refusal) }
        guard !events.isEmpty, events.count <= 100,
            events.allSatisfy({ $0 == "*" || ($0.count <= 64 && $0.allSatisfy { $0.isLetter || $0 == "." || $0 == "_" }) })
        else { throw invalid("events", "1 to 100 event types such as transaction.started, or \"*\" for every type") }
        if let cpIds, cpIds.isEmpty || cpIds.count > 1000 || !cpIds.allSatisfy(OCPPEndpoint.isValidIdentity) {
            throw invalid("cpIds", "1 to 1000 station ids, or absent for every station")
        }
        guard !secret.isEmpty, secret.unicodeScalars.count <= 1024 else {
            throw invalid("secret", "1 to 1024 characters (32 random bytes as hex are right)")
        }
        return (url, Array(Set(events)).sorted())
    }
}

extension APIRoutes {
    func addWebhookRoutes(to api: RouterGroup<APIRequestContext>) {
        guard let store = store as? any WebhookStore else { return }
        /// A webhook: matching events from now on are POSTed to its URL, signed with its secret (201).
        api.post("webhooks") { request, _ in
            let body = try await API.body(WebhookBody.self, from: request, maxSize: configuration.maxBodySize)
            let (url, types) = try await body.validated(allowPrivate: configuration.webhookAllowPrivate)
            let now = Date()
            // From now on: after every event kept so far, of every node (also one this node never heard of).
            var cursor = await events.delivered
            if let journal = events.journal {
                for node in try await journal.nodes() {
                    cursor.advance(to: EventPosition(node: node, seq: try await journal.lastSeq(node: node)))
                }
            }
            var webhook = StoredWebhook(
                id: 0, url: url, events: types, cpIds: body.cpIds, secret: body.secret, createdAt: now, enabled: true,
                failingSince: nil, cursor: cursor)
            webhook.id = try await store.createWebhook(webhook)
            return try API.json(webhook.resource(now: now), status: .created)
        }
        /// Every webhook, by id (never a secret).
        api.get("webhooks") { request, _ in
            try API.list(API.page(try await store.webhooks().map { $0.resource() }, try API.pageRequest(request)))
        }
        api.get("webhooks/:id") { _, context in
            let id = try API.intParameter(context, "id")
            return try API.json(try await store.webhook(id).orNotFound("unknown webhook \(id)").resource())
        }
        /// Removes a webhook: nothing more is sent to it (an attempt under way ends).
        api.delete("webhooks/:id") { _, context in
            let id = try API.intParameter(context, "id")
            return try API.json(try await store.deleteWebhook(id).orNotFound("unknown webhook \(id)").resource())
        }
        /// The last attempts to deliver to the webhook, newest first.
        api.get("webhooks/:id/deliveries") { request, context in
            let id = try API.intParameter(context, "id")
            guard try await store.webhook(id) != nil else { throw Problem.notFound("unknown webhook \(id)") }
            return try API.list(try await store.webhookDeliveries(id, try API.pageRequest(request)))
        }
        /// Sends the webhook a `webhook.test` event now, once, and answers how that went (also kept as a delivery).
        api.post("webhooks/:id/test") { _, context in
            let id = try API.intParameter(context, "id")
            let webhook = try await store.webhook(id).orNotFound("unknown webhook \(id)")
            guard let webhooks else { throw Problem(status: .serviceUnavailable, detail: "webhooks are not delivered by this ocppd") }
            return try API.json(await webhooks.test(webhook))
        }
    }
}
