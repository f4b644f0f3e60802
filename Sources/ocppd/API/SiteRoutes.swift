import Foundation
import Hummingbird
import Shared

/// `PUT /api/sites/{siteId}`: a site's settings; `limit` and `unit` required, the rest defaulted.
struct SiteBody: Decodable {
    /// 10 MA or 10 MW: beyond any grid connection, and far from where Doubles lose tenths.
    static let maxLimit = 10_000_000.0

    var limit: Double?
    var unit: String?
    var phases: Int?
    var voltage: Double?
    var minPerConnector: Double?
    var fallbackLimit: Double?
    var description: String?

    /// The settings, or a 400 naming the field that is wrong.
    func settings(_ siteId: String) throws -> SiteSettings {
        func invalid(_ field: String, _ rule: String) -> Problem {
            Problem(status: .badRequest, detail: "invalid field '\(field)': \(rule)", extra: ["field": .string(field)])
        }
        guard let limit else { throw invalid("limit", "required, a number above 0") }
        guard limit > 0, limit <= Self.maxLimit else { throw invalid("limit", "a number above 0, at most \(Int(Self.maxLimit))") }
        guard let unit else { throw invalid("unit", "required, A or W") }
        guard let parsed = Site.Unit(rawValue: unit) else { throw invalid("unit", "A or W") }
        if let phases, phases != 1, phases != 3 { throw invalid("phases", "1 or 3") }
        if let voltage, !(voltage > 0 && voltage <= 1000) { throw invalid("voltage", "a number above 0, at most 1000") }
        if let minPerConnector, !(minPerConnector >= 0 && minPerConnector <= Self.maxLimit) {
            throw invalid("minPerConnector", "a number from 0 to \(Int(Self.maxLimit))")
        }
        if let fallbackLimit, !(fallbackLimit >= 0 && fallbackLimit <= Self.maxLimit) {
            throw invalid("fallbackLimit", "a number from 0 to \(Int(Self.maxLimit))")
        }
        if let description, description.count > 255 { throw invalid("description", "at most 255 characters") }
        return SiteSettings(
            siteId: siteId, limit: limit, unit: parsed, phases: phases ?? 3, voltage: voltage ?? 230, minPerConnector: minPerConnector,
            fallbackLimit: fallbackLimit, description: description)
    }
}

extension APIRoutes {
    func addSiteRoutes(to api: RouterGroup<APIRequestContext>) {
        guard let store = store as? any SiteStore else { return }
        /// Creates (201) or changes (200) a site; its stations get their fallback again and its shares are computed.
        api.put("sites/:siteId") { request, context in
            let siteId = try siteParameter(context)
            let body = try await API.body(SiteBody.self, from: request, maxSize: configuration.maxBodySize)
            let created = try await store.putSite(try body.settings(siteId), at: Date())
            if let sites { Task { await sites.siteChanged(siteId) } }
            return try API.json(
                try await resource(siteId, store: store).orNotFound("site '\(siteId)' vanished"), status: created ? .created : .ok)
        }
        /// Every site with its shares, by id.
        api.get("sites") { request, _ in
            let page = try API.pageRequest(request)
            var resources: [Site] = []
            for site in try await store.sites() {
                if let resource = try await resource(site.siteId, store: store) { resources.append(resource) }
            }
            return try API.list(API.page(resources, page))
        }
        api.get("sites/:siteId") { _, context in
            let siteId = try siteParameter(context)
            return try API.json(try await resource(siteId, store: store).orNotFound("unknown site '\(siteId)'"))
        }
        /// Removes a site (its stations leave it); answers it as it was.
        api.delete("sites/:siteId") { _, context in
            let siteId = try siteParameter(context)
            let site = try await resource(siteId, store: store).orNotFound("unknown site '\(siteId)'")
            _ = try await store.deleteSite(siteId)
            if let sites { Task { await sites.siteRemoved(siteId, stations: site.stations) } }
            return try API.json(site)
        }
    }

    private func siteParameter(_ context: APIRequestContext) throws -> String {
        let siteId = try API.pathParameter(context, "siteId")
        guard (1...64).contains(siteId.count) else { throw Problem.badRequest("a site id has 1 to 64 characters") }
        return siteId
    }

    /// A site as the API shows it: its settings with the defaults resolved, its stations, and the limits in force.
    private func resource(_ siteId: String, store: any SiteStore) async throws -> Site? {
        guard let site = try await store.site(siteId) else { return nil }
        let stations = try await store.siteStations(siteId)
        let active = Set(
            try await store.activeSessions(cpIds: stations.map(\.cpId)).map { "\($0.key.cpId)/\($0.key.connectorId)/\($0.transactionId)" })
        let allocations = try await store.siteLimits(siteId).filter {
            active.contains("\($0.key.cpId)/\($0.key.connectorId)/\($0.transactionId)")
        }
        .map {
            SiteConnectorAllocation(
                cpId: $0.key.cpId, connectorId: $0.key.connectorId, transactionId: $0.transactionId, limit: $0.limit, measured: $0.measured)
        }
        return Site(
            siteId: siteId, limit: site.limit, unit: site.unit, phases: site.phases, voltage: site.voltage, minPerConnector: site.minimum,
            fallbackLimit: site.fallback(connectors: stations.reduce(0) { $0 + $1.connectors }), description: site.description,
            stations: stations.map(\.cpId), allocations: allocations, allocated: allocations.reduce(0) { $0 + $1.limit },
            node: cluster == nil ? nil : try await store.siteLeaseHolder(siteId, now: Date()))
    }
}
