import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import ServiceLifecycle
import Shared

extension APIRoutes {
    func addCommandRoutes(to api: RouterGroup<APIRequestContext>) {
        /// Sends a central-system command (the OCPP request payload as the body) and answers with the
        /// charge point's CALLRESULT payload as it sent it.
        api.post("admin/:cpId/:command") { request, context in
            let id = try API.pathParameter(context, "cpId")
            let name = try API.pathParameter(context, "command")
            guard let action = OCPPActions.commands[name] else {
                let known = OCPPActions.commands.keys.sorted().joined(separator: ", ")
                throw Problem.notFound("unknown command '\(name)'; commands: \(known)")
            }
            let body = try await API.jsonObjectBody(request, maxSize: configuration.maxBodySize)
            let outcome = try await commands.send(action, payload: body, to: id)
            // The answer as the audit log keeps it: a GetConfiguration's AuthorizationKey is a secret there too.
            context.auditNote?.result = AuditLog.redact(outcome).jsonText
            return API.jsonValue(outcome)
        }

        /// The log of commands sent to stations, newest first; `?cpId=` narrows it to one station.
        api.get("commands") { request, _ in
            let cpId = request.uri.queryParameters["cpId"].map(String.init)
            return try API.list(try await store.commands(cpId: cpId, try API.pageRequest(request)))
        }
    }

    func addEventRoutes(to api: RouterGroup<APIRequestContext>) {
        /// Live events as Server-Sent Events, each with an `id:`; `?cpId=` narrows them to one station, `?heartbeats=true`
        /// adds station.heartbeat events. With `Last-Event-ID`, the events kept since that id come first (an unknown or
        /// too old id: every event kept), then the live ones, none twice.
        api.get("events") { request, context in
            let cpId = request.uri.queryParameters["cpId"].map(String.init)
            let heartbeats = try API.boolQuery(request, "heartbeats") ?? false
            let lastEventId = request.headers[HTTPField.Name("Last-Event-ID")!]
            guard
                let subscription = await events.subscribe(
                    cpId: cpId, heartbeats: heartbeats, limit: configuration.maxEventSubscribers, token: context.caller?.name,
                    expiresAt: context.caller?.expiresAt)
            else {
                LimitRefusals.eventSubscribers.record("event stream refused: too many subscribers")
                throw Problem(
                    status: .tooManyRequests,
                    detail: "\(configuration.maxEventSubscribers) event-stream subscribers already: retry later",
                    headers: [.retryAfter: "10"])
            }
            let events = self.events
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no"],
                body: ResponseBody { writer in
                    await withGracefulShutdownHandler {
                        do {
                            try await writer.write(ByteBuffer(string: ": ocppd event stream\n\n"))
                            var cursor = subscription.start
                            if let lastEventId, let log = events.journal {
                                cursor = try await Self.replay(
                                    after: EventCursor(lastEventId: lastEventId) ?? EventCursor(), cpId: cpId, from: log, to: &writer)
                            }
                            for await item in subscription.items {
                                switch item {
                                case .event(let event, let position):
                                    if let position {
                                        guard cursor.isBefore(position) else { continue }  // replayed already
                                        cursor.advance(to: position)
                                    }
                                    // A heartbeat, kept nowhere, has the id of the last kept event: resuming from it misses nothing.
                                    try await writer.write(Self.serverSentEvent(event, id: cursor))
                                case .keepAlive:
                                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                                }
                            }
                            if subscription.lagged {
                                let lagged = GatewayEvent(
                                    type: "lagged", cpId: cpId ?? "", at: Date(),
                                    fields: ["detail": "this subscriber fell behind and was dropped; reconnect with Last-Event-ID"])
                                try await writer.write(Self.serverSentEvent(lagged, id: cursor))
                            }
                        } catch {
                            // The subscriber went away, or the journal could not be read: the stream ends and the client
                            // reconnects with the id of the last event it got.
                        }
                    } onGracefulShutdown: {
                        Task { await events.unsubscribe(subscription) }
                    }
                    await events.unsubscribe(subscription)
                    try await writer.finish(nil)
                })
        }
    }

    /// Writes the kept events after `from`, every node's merged by time (a station that moved between nodes comes out
    /// in its order; each node's own order holds whatever the clocks say), and returns the cursor after them. The live
    /// events that follow skip what this sent. A position beyond what a node kept (its numbering started over) is an
    /// unknown one: everything the node kept is sent.
    static func replay(
        after from: EventCursor, cpId: String?, from log: any EventLog, to writer: inout some ResponseBodyWriter
    ) async throws -> EventCursor {
        var cursor = EventCursor()
        var pages: [String: (events: ArraySlice<JournaledEvent>, more: Bool)] = [:]
        func page(_ node: String, after seq: Int64) async throws -> (events: ArraySlice<JournaledEvent>, more: Bool) {
            let events = try await log.events(node: node, after: seq, cpId: cpId, limit: EventTail.pageSize)
            return (events[...], events.count == EventTail.pageSize)
        }
        for node in Set(try await log.nodes()).union(from.positions.keys) {
            var after = from.positions[node, default: 0]
            if after > (try await log.lastSeq(node: node)) { after = 0 }
            if after > 0 { cursor.positions[node] = after }
            pages[node] = try await page(node, after: after)
        }
        while true {
            let next = pages.compactMap { node, page in page.events.first.map { (node, $0) } }.min { a, b in
                (a.1.event.at, a.0, a.1.seq) < (b.1.event.at, b.0, b.1.seq)
            }
            guard let (node, item) = next else { break }
            cursor.positions[node] = item.seq
            try await writer.write(serverSentEvent(item.event, id: cursor))
            pages[node]!.events.removeFirst()
            if pages[node]!.events.isEmpty, pages[node]!.more {
                pages[node] = try await page(node, after: item.seq)
            }
        }
        return cursor
    }

    /// One event in the text/event-stream format.
    static func serverSentEvent(_ event: GatewayEvent, id: EventCursor) -> ByteBuffer {
        var text: [UInt8] = Array("id: \(id)\nevent: \(event.type)\ndata: ".utf8)
        event.json.write(to: &text)
        text.append(contentsOf: "\n\n".utf8)
        return ByteBuffer(bytes: text)
    }
}
