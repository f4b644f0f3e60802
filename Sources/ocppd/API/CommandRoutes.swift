import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import ServiceLifecycle
import Shared

extension APIRoutes {
    func addCommandRoutes(to api: RouterGroup<BasicRequestContext>) {
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
            return API.jsonValue(outcome)
        }

        /// The log of commands sent to stations, newest first; `?cpId=` narrows it to one station.
        api.get("commands") { request, _ in
            let cpId = request.uri.queryParameters["cpId"].map(String.init)
            return try API.list(try await store.commands(cpId: cpId, try API.pageRequest(request)))
        }
    }

    func addEventRoutes(to api: RouterGroup<BasicRequestContext>) {
        /// Live events as Server-Sent Events; `?cpId=` narrows them to one station, `?heartbeats=true`
        /// adds station.heartbeat events.
        api.get("events") { request, _ in
            let cpId = request.uri.queryParameters["cpId"].map(String.init)
            let heartbeats = try API.boolQuery(request, "heartbeats") ?? false
            guard
                let subscription = await events.subscribe(
                    cpId: cpId, heartbeats: heartbeats, limit: configuration.maxEventSubscribers)
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
                            for await item in subscription.items {
                                switch item {
                                case .event(let event):
                                    var text: [UInt8] = Array("event: \(event.type)\ndata: ".utf8)
                                    event.json.write(to: &text)
                                    text.append(contentsOf: "\n\n".utf8)
                                    try await writer.write(ByteBuffer(bytes: text))
                                case .keepAlive:
                                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                                }
                            }
                            if subscription.lagged {
                                let lagged = GatewayEvent(
                                    type: "lagged", cpId: cpId ?? "", at: Date(),
                                    fields: ["detail": "this subscriber fell behind and was dropped; reconnect"])
                                var text: [UInt8] = Array("event: lagged\ndata: ".utf8)
                                lagged.json.write(to: &text)
                                text.append(contentsOf: "\n\n".utf8)
                                try await writer.write(ByteBuffer(bytes: text))
                            }
                        } catch {
                            // The subscriber went away.
                        }
                    } onGracefulShutdown: {
                        Task { await events.unsubscribe(subscription) }
                    }
                    await events.unsubscribe(subscription)
                    try await writer.finish(nil)
                })
        }
    }
}
