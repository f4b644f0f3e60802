import Hummingbird
import Shared

extension APIRoutes {
    func addSessionRoutes(to api: RouterGroup<APIRequestContext>) {
        /// Charging sessions, newest first, filtered by cpId, idTag, active, since and until.
        api.get("sessions") { request, _ in
            let query = request.uri.queryParameters
            let filter = SessionFilter(
                cpId: query["cpId"].map(String.init), idTag: query["idTag"].map(String.init), active: try API.boolQuery(request, "active"),
                since: try API.dateQuery(request, "since"), until: try API.dateQuery(request, "until"))
            return try API.list(try await store.sessions(filter, try API.pageRequest(request)))
        }

        /// Sessions of one station, newest first.
        api.get("sessions/station/:cpId") { request, context in
            let filter = SessionFilter(cpId: try API.stationId(context), active: try API.boolQuery(request, "active"))
            return try API.list(try await store.sessions(filter, try API.pageRequest(request)))
        }

        /// One session.
        api.get("sessions/:id") { _, context in
            let id = try API.intParameter(context, "id")
            return try API.json(try await store.session(id).orNotFound("unknown session \(id)"))
        }

        /// The meter values of one session, oldest first.
        api.get("sessions/:id/meter-values") { request, context in
            let id = try API.intParameter(context, "id")
            _ = try await store.session(id).orNotFound("unknown session \(id)")
            return try API.list(try await store.meterValues(transactionId: id, try API.pageRequest(request)))
        }

        /// Reservations.
        api.get("reservations") { request, _ in
            try API.list(try await store.reservations(try API.pageRequest(request)))
        }
    }
}
