import Foundation
import Hummingbird
import Shared

/// Body of PUT /api/stations/{cpId}.
struct StationBody: Decodable {
    var registrationStatus: RegistrationStatus?
    /// `null` removes the key; absent leaves it.
    var authorizationKey: String??
    var securityProfile: Int?
    var description: String??
    /// The site the station joins; `null` leaves its site.
    var siteId: String??

    enum CodingKeys: String, CodingKey {
        case registrationStatus, authorizationKey, securityProfile, description, siteId
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        registrationStatus = try container.decodeIfPresent(RegistrationStatus.self, forKey: .registrationStatus)
        if container.contains(.authorizationKey) {
            authorizationKey = .some(try container.decodeIfPresent(String.self, forKey: .authorizationKey))
        }
        securityProfile = try container.decodeIfPresent(Int.self, forKey: .securityProfile)
        if container.contains(.description) {
            description = .some(try container.decodeIfPresent(String.self, forKey: .description))
        }
        if container.contains(.siteId) {
            siteId = .some(try container.decodeIfPresent(String.self, forKey: .siteId))
        }
    }
}

extension APIRoutes {
    func addStationRoutes(to api: RouterGroup<APIRequestContext>) {
        /// Stations with connectors, registration status, connection and boot info.
        api.get("stations") { request, _ in
            let page = try API.pageRequest(request)
            let connectedFilter = try API.boolQuery(request, "connected")
            let connected = try await presence()
            if let connectedFilter {
                let all = try await store.stations(PageRequest(limit: Int.max, offset: 0)).items
                let matching = all.map { withConnection($0, connected) }.filter { $0.connected == connectedFilter }
                return try API.list(API.page(matching, page))
            }
            var result = try await store.stations(page)
            result.items = result.items.map { withConnection($0, connected) }
            return try API.list(result)
        }

        /// Stations connected now.
        api.get("stations/connected/list") { request, _ in
            let page = try API.pageRequest(request)
            let connected = try await presence()
            let all = try await store.stations(PageRequest(limit: Int.max, offset: 0)).items
            return try API.list(API.page(all.map { withConnection($0, connected) }.filter(\.connected), page))
        }

        /// Recently seen stations that are not registered (adopt one with PUT /api/stations/{cpId}).
        api.get("stations/unknown") { request, _ in
            try API.list(API.page(await centralSystem.unknownStations.all, try API.pageRequest(request)))
        }

        /// One station, with what commands left behind (configuration, charging profiles, firmware and diagnostics requests).
        api.get("stations/:cpId") { _, context in
            let id = try API.pathParameter(context, "cpId")
            let station = try await store.stationDetail(id).orNotFound("unknown station '\(id)'")
            return try API.json(withConnection(station, try await presence(of: id)))
        }

        /// The StatusNotifications of a station as they came, newest first (by the station's timestamps); `?connectorId=`
        /// narrows them to one connector (0: the station itself).
        api.get("stations/:cpId/status-history") { request, context in
            let id = try API.pathParameter(context, "cpId")
            let connectorId = try API.intQuery(request, "connectorId", in: 0...Int(Int32.max))
            guard try await store.station(id) != nil else { throw Problem.notFound("unknown station '\(id)'") }
            return try API.list(try await store.statusHistory(id, connectorId: connectorId, try API.pageRequest(request)))
        }

        /// Pre-registers a station, accepts a pending one, sets its authorization key or security profile.
        api.put("stations/:cpId") { request, context in
            let id = try API.stationId(context)
            let body = try await API.body(StationBody.self, from: request, maxSize: configuration.maxBodySize, emptyIsObject: true)
            var update = StationUpdate(registrationStatus: body.registrationStatus, securityProfile: body.securityProfile)
            if let profile = body.securityProfile, !(0...3).contains(profile) {
                throw Problem(
                    status: .badRequest, detail: "invalid field 'securityProfile': 0, 1, 2 or 3", extra: ["field": "securityProfile"])
            }
            if let key = body.authorizationKey {
                if let key {
                    guard (16...40).contains(key.unicodeScalars.count) else {
                        throw Problem(
                            status: .badRequest, detail: "invalid field 'authorizationKey': 16 to 40 characters",
                            extra: ["field": "authorizationKey"])
                    }
                    update.authorizationKeyHash = .some(StationKeyHash.make(key))
                } else {
                    update.authorizationKeyHash = .some(nil)
                }
            }
            if let description = body.description { update.description = .some(description) }
            var previousSite: String?
            if let siteId = body.siteId {
                // A site that does not exist is not found, like a station a command names (the body itself is valid).
                if let siteId, try await (store as? any SiteStore)?.site(siteId) == nil {
                    throw Problem(
                        status: .notFound, detail: "unknown site '\(siteId)' in field 'siteId' (PUT /api/sites/{siteId} makes one)",
                        extra: ["field": "siteId"])
                }
                previousSite = try await store.station(id)?.siteId
                update.siteId = .some(siteId)
            }
            let (station, created) = try await store.putStation(id, update)
            if let siteId = body.siteId, siteId != previousSite, let sites {
                Task { await sites.stationMoved(id, to: siteId, from: previousSite) }
            }
            await centralSystem.unknownStations.forget(id)
            centralSystem.removedStations.remove(id)
            return try API.json(withConnection(station, try await presence(of: id)), status: created ? .created : .ok)
        }

        /// Removes a station; its sessions and meter values are kept. A connected station is disconnected. Answers 200
        /// with the station as it was (as the original gateway's DELETE answered 200).
        api.delete("stations/:cpId") { _, context in
            let id = try API.pathParameter(context, "cpId")
            // Marked before it is deleted: its handshake in between would find it neither removed nor stored, and
            // register it again as an unknown station.
            let removedBefore = centralSystem.removedStations.contains(id)
            centralSystem.removedStations.add(id)
            let deleted: Station?
            do {
                deleted = try await store.deleteStation(id)
            } catch {
                if !removedBefore { centralSystem.removedStations.remove(id) }
                throw error
            }
            guard let station = deleted else {
                if !removedBefore { centralSystem.removedStations.remove(id) }
                throw Problem.notFound("unknown station '\(id)'")
            }
            let removed = withConnection(station, try await presence(of: id))
            if let connection = await registry.connection(id) {
                await connection.close(code: .policyViolation, reason: "station removed")
            } else if let cluster, let node = removed.node {
                // The node that holds it sees its ownership taken away and closes the socket, without news of it (the
                // station is not its own any more): the news is told here.
                try await cluster.store.revokeOwnership(id, at: Date())
                await events.publish("station.disconnected", cpId: id, ["node": .string(node)])
            }
            return try API.json(removed)
        }
    }

    /// Where stations are connected now: this ocppd's connections and, in a cluster, which node holds each station.
    struct Presence {
        var local: [String: StationConnection]
        /// Station id to the node that holds it, cluster-wide; nil on a single ocppd.
        var nodes: [String: Cluster.StationHolder]?
    }

    /// Where every station is connected (`cpId` nil), or one.
    func presence(of cpId: String? = nil) async throws -> Presence {
        Presence(local: await registry.byId, nodes: try await cluster?.connectedStations(cpId))
    }

    /// The station as it is now: connected or not (in a cluster: to a live node, named in `node`), and its last Heartbeat
    /// even if not saved yet.
    func withConnection(_ station: Station, _ presence: Presence) -> Station {
        var station = station
        let connection = presence.local[station.id]
        if let nodes = presence.nodes {
            station.node = nodes[station.id]?.node
            station.connected = station.node != nil
            station.connectedSecurityProfile = nodes[station.id]?.securityProfile
        } else {
            station.connected = connection != nil
            station.connectedSecurityProfile = connection?.securityProfile
        }
        if let live = connection?.lastHeartbeat, live > station.lastHeartbeatAt ?? .distantPast {
            station.lastHeartbeatAt = live
        }
        return station
    }
}
