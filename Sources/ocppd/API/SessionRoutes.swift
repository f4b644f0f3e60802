import Hummingbird
import Shared
import Synchronization

extension APIRoutes {
    func addSessionRoutes(to api: RouterGroup<APIRequestContext>) {
        /// Charging sessions, newest first, filtered by cpId, idTag, active, since and until.
        api.get("sessions") { request, _ in
            let query = request.uri.queryParameters
            let filter = SessionFilter(
                cpId: query["cpId"].map(String.init), idTag: query["idTag"].map(String.init), active: try API.boolQuery(request, "active"),
                since: try API.dateQuery(request, "since"), until: try API.dateQuery(request, "until"))
            // Checked in either format (400 for a bad limit or offset), used by the JSON list.
            let page = try API.pageRequest(request)
            // CSV (?format=csv, Accept: text/csv): every session the filters take, newest first, streamed.
            if try CSVExport.wanted(request) {
                return CSVExport.response(name: "sessions.csv", columns: CSVExport.sessionColumns) { (after: Session?) in
                    try await store.sessions(filter, after: after, limit: CSVExport.pageSize)
                }
            }
            return try API.list(try await store.sessions(filter, page))
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
            let page = try API.pageRequest(request)
            if try CSVExport.wanted(request) {
                // Oldest first, appended to while the session runs: pages by offset see each value once.
                // Rows sent so far: a Mutex only because the page closure is @Sendable. `CSVExport.response` calls it
                // one page at a time, so the read, the await and the add never overlap.
                let read = Locked(0)
                return CSVExport.response(name: "session-\(id)-meter-values.csv", columns: CSVExport.meterValueColumns) {
                    (_: MeterValueRecord?) in
                    let offset = read.withLock { $0 }
                    let page = try await store.meterValues(transactionId: id, PageRequest(limit: CSVExport.pageSize, offset: offset)).items
                    read.withLock { $0 += page.count }
                    return page
                }
            }
            return try API.list(try await store.meterValues(transactionId: id, page))
        }

        /// Reservations.
        api.get("reservations") { request, _ in
            try API.list(try await store.reservations(try API.pageRequest(request)))
        }
    }
}
