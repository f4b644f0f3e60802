import Foundation
import Logging
import Shared

/// Shares each site's grid connection among the sessions on it (PRODUCT.md §10). Whenever something that matters
/// happens on a site (a session starts, stops or pauses, a station comes or goes, the site changes, a car's draw changes
/// for long), the site's allocation is computed again (`SiteAllocation`) and the changed limits are sent as TxProfiles:
/// the lower ones first, the higher ones only as far as what the chargers accepted leaves room. What a charger accepted
/// is kept in the store (`site_limits`), so that a restart knows what is in force. Profiles carry a `validTo` and are
/// renewed; each station of a site also has a fallback TxDefaultProfile for the time ocppd is away. In a cluster one
/// node at a time computes a site (a lease in the store); its commands go through the normal forwarding.
actor SiteManager {
    struct Settings: Sendable {
        /// How long a TxProfile holds when it is not renewed: how long a site may run on old shares when ocppd is away.
        var profileValidity: Duration = .seconds(300)
        /// How often profiles in force are sent again with a new validTo (and every site is looked at).
        var renewEvery: Duration = .seconds(120)
        /// How long a node's lease on computing a site lasts unless renewed (every third of it): how long a site goes
        /// without its node when that node dies.
        var lease: Duration = .seconds(15)
        /// A site is recomputed for a changed draw at most this often.
        var measuredEvery: Duration = .seconds(15)
    }

    /// ocppd's charging profile ids: its site TxProfile on connector N is `txProfileId + N`; the fallback on connector 0
    /// is `fallbackProfileId`.
    static let txProfileId = 900_000
    static let fallbackProfileId = 899_999
    /// ocppd's TxProfiles stack above the fallback.
    static let txStackLevel = 1
    static let fallbackStackLevel = 0

    /// Sends a command (SetChargingProfile, ClearChargingProfile) through the normal command path.
    typealias Send = @Sendable (_ action: any OCPPAction.Type, _ cpId: String, _ payload: JSONValue) async throws -> JSONValue
    typealias Connected = @Sendable (_ cpIds: [String]) async throws -> Set<String>

    let store: any SiteStore
    let events: EventBus
    let settings: Settings
    /// Sends SetChargingProfile through the normal command path (command log, cluster forwarding).
    let send: Send
    /// Which of these stations are connected (to any node).
    let connected: Connected
    /// The cluster node id, which takes leases; nil on a single ocppd, which computes every site.
    let node: String?
    let logger: Logger

    private var siteOfStation: [String: String] = [:]
    /// Stations that left a site while out of reach: ocppd's profiles are cleared at their next connection.
    private var clearDue: Set<String> = []
    private var measured: [ConnectorKey: Double] = [:]
    private var lowSince: [ConnectorKey: Date] = [:]
    private var lastMeasuredRun: [String: ContinuousClock.Instant] = [:]
    private var leases: [String: Date] = [:]
    private var published: [String: [SiteConnectorAllocation]] = [:]
    private var lastSent: [ConnectorKey: Date] = [:]
    /// The fallback limit each station last accepted from this node (sent again when the site's changes).
    private var fallbackSent: [String: Double] = [:]
    /// Each site's settings as last read.
    private var sites: [String: SiteSettings] = [:]
    /// Until when another node's lease on a site is taken for granted (no write to the store on every event).
    private var leaseDenied: [String: Date] = [:]
    /// Sites to compute, and those being computed (one computation per site at a time; a request meanwhile runs it again).
    private var pending: Set<String> = []
    private var running: Set<String> = []
    private var tasks: [Task<Void, Never>] = []
    /// Following the events: only while some station is on a site (or has a clear due, or this node holds a lease), so
    /// that a fleet without sites pays nothing.
    private var following: Task<Void, Never>?

    init(
        store: any SiteStore, events: EventBus, settings: Settings = Settings(), node: String?, logger: Logger,
        send: @escaping Send, connected: @escaping Connected
    ) {
        self.store = store
        self.events = events
        self.settings = settings
        self.node = node
        self.logger = logger
        self.send = send
        self.connected = connected
    }

    /// Follows the events and renews the profiles (and in a cluster the leases) until `stop`.
    func start() async {
        await refreshStations()
        tasks.append(
            Task {
                while !Task.isCancelled {
                    await self.refreshStations()
                    for site in (try? await self.store.sites()) ?? [] { self.request(site.siteId) }
                    try? await Task.sleep(for: self.settings.renewEvery / 4)
                }
            })
        if node != nil {
            tasks.append(
                Task {
                    while !Task.isCancelled {
                        await self.renewLeases()
                        try? await Task.sleep(for: self.settings.lease / 3)
                    }
                })
        }
    }

    /// Keeps this node's leases, and takes over the sites of a node that is gone (computed at once).
    private func renewLeases() async {
        guard let node, !siteOfStation.isEmpty || !leases.isEmpty else { return }
        let now = Date()
        let until = now.addingTimeInterval(settings.lease.timeInterval)
        do {
            let held = try await store.renewSiteLeases(node: node, until: until, now: now)
            for site in held where leases[site] == nil {
                logger.info("this node computes a site now", metadata: ["site": "\(site)"])
                request(site)
            }
            leases = Dictionary(uniqueKeysWithValues: held.map { ($0, until) })
            updateFollowing()
        } catch {
            logger.warning("site leases could not be renewed", metadata: ["error": "\(error)"])
        }
    }

    func stop() {
        for task in tasks { task.cancel() }
        tasks = []
        following?.cancel()
        following = nil
    }

    private func follow(_ subscription: EventBus.Subscription) async {
        var subscription = subscription
        while !Task.isCancelled {
            for await item in subscription.items {
                if case .event(let event, _) = item { await handle(event) }
            }
            guard !Task.isCancelled else { return }
            // Dropped for falling behind: subscribe again and look at every site, since events were missed.
            logger.notice("site load management fell behind the events: every site is computed again")
            subscription = await events.subscribe(cpId: nil)
            for site in (try? await store.sites()) ?? [] { request(site.siteId) }
        }
    }

    private func handle(_ event: GatewayEvent) async {
        switch event.type {
        case "station.booted":
            // A booted station gets its fallback again (sent by the node that computes its site).
            fallbackSent[event.cpId] = nil
            if let site = siteOfStation[event.cpId] { request(site) }
        case "station.connected":
            if let site = siteOfStation[event.cpId] { request(site) }
            if clearDue.contains(event.cpId) { await clearLeft(event.cpId) }
        case "transaction.started", "transaction.stopped", "connector.status", "station.disconnected":
            if let site = siteOfStation[event.cpId] { request(site) }
        case "site.changed":
            // Made through any node: the stations' sites are read again, they get their fallback again, and the site is
            // computed.
            await refreshStations()
            if case .string(let site)? = event.fields["siteId"] { changed(site, station: event.cpId) }
        case "meter.values":
            guard let site = siteOfStation[event.cpId], case .integer(let connectorId)? = event.fields["connectorId"],
                case .array(let values)? = event.fields["values"]
            else { return }
            await record(values, ConnectorKey(cpId: event.cpId, connectorId: Int(connectorId)), siteId: site)
        default:
            break
        }
    }

    // MARK: - Changes from the REST API

    /// A site was created or changed: the node that computes it hears event `site.changed`, sends its stations their
    /// fallback again and computes its shares.
    func siteChanged(_ siteId: String) async {
        await refreshStations()
        changed(siteId, station: "")
        await events.publish("site.changed", cpId: "", ["siteId": .string(siteId)])
    }

    /// `siteId` changed (here, or through another node): its stations get their fallback again, and it is computed.
    private func changed(_ siteId: String, station: String) {
        fallbackSent[station] = nil
        for (cpId, site) in siteOfStation where site == siteId { fallbackSent[cpId] = nil }
        request(siteId)
    }

    /// A station joined a site (or left one: `siteId` nil, `previous` its old site). One that leaves has ocppd's
    /// profiles cleared: it is no longer held to a share.
    func stationMoved(_ cpId: String, to siteId: String?, from previous: String?) async {
        await refreshStations()
        // Off its old site, its old shares go (and its fallback with them when it is on no site now). On a site, the new
        // site's fallback replaces the old one.
        if siteId != nil, clearDue.contains(cpId) { await markClearDue(cpId, false) }
        if previous != nil { await leave(cpId, site: siteId) }
        for site in [siteId, previous].compactMap({ $0 }) {
            changed(site, station: cpId)
            await events.publish("site.changed", cpId: cpId, ["siteId": .string(site)])
        }
    }

    /// A site was removed: its stations' profiles are cleared, and what was published of it is forgotten.
    func siteRemoved(_ siteId: String, stations: [String]) async {
        await refreshStations()
        published[siteId] = nil
        leases[siteId] = nil
        sites[siteId] = nil
        for cpId in stations { await leave(cpId, site: nil) }
        await events.publish("site.changed", cpId: "", ["siteId": .string(siteId)])
    }

    /// A station left its site (for `site`, or for none): ocppd's TxProfiles and, on no site now, its fallback are
    /// cleared. A fallback that cannot be cleared now (the station is out of reach, or does not answer) is cleared at the
    /// station's next connection; a TxProfile ends by itself within its validity.
    private func leave(_ cpId: String, site: String?) async {
        let cleared = await clearProfiles(of: cpId, fallbackToo: site == nil)
        if site == nil, !cleared { await markClearDue(cpId, true) }
    }

    /// A station that left its site while out of reach is back: ocppd's profiles go (by one node of a cluster).
    private func clearLeft(_ cpId: String) async {
        clearDue.remove(cpId)
        guard (try? await store.takeClearDue(cpId)) == true else { return }
        logger.info("a station that left its site while away is back: ocppd's fallback is cleared", metadata: ["station": "\(cpId)"])
        if await !clearProfiles(of: cpId, fallbackToo: true) { await markClearDue(cpId, true) }
    }

    private func markClearDue(_ cpId: String, _ due: Bool) async {
        do {
            try await store.setClearDue(cpId, since: due ? Date() : nil)
            if due { clearDue.insert(cpId) } else { clearDue.remove(cpId) }
            updateFollowing()
        } catch {
            logger.error("a station's due clearing could not be kept", metadata: ["station": "\(cpId)", "error": "\(error)"])
        }
    }

    /// Clears ocppd's TxProfiles (and its fallback) on a connected station; false when it is not connected or a clear
    /// was not accepted (ClearChargingProfile's Unknown means there was nothing to clear).
    private func clearProfiles(of cpId: String, fallbackToo: Bool) async -> Bool {
        guard (try? await connected([cpId]))?.contains(cpId) == true else { return false }
        let sessions = (try? await store.activeSessions(cpIds: [cpId])) ?? []
        let ids = (fallbackToo ? [Self.fallbackProfileId] : []) + sessions.map { Self.txProfileId + $0.key.connectorId }
        var cleared = true
        for id in ids {
            do {
                _ = try await send(ClearChargingProfile.self, cpId, ["id": .integer(Int64(id))])
            } catch {
                cleared = false
                logger.notice(
                    "ocppd's profile could not be cleared on a station that left its site",
                    metadata: ["station": "\(cpId)", "error": "\(error)"])
            }
        }
        fallbackSent[cpId] = nil
        return cleared
    }

    /// The stations on sites, from the store (another node may have changed them).
    private func refreshStations() async {
        guard let map = try? await store.stationSites(), let due = try? await store.stationsWithClearDue() else { return }
        siteOfStation = map
        clearDue = due
        updateFollowing()
    }

    /// The events are followed while some station is on a site or has a clear due, or this node computes a site.
    private func updateFollowing() {
        if siteOfStation.isEmpty && clearDue.isEmpty && leases.isEmpty {
            following?.cancel()
            following = nil
        } else if following == nil {
            following = Task {
                let subscription = await self.events.subscribe(cpId: nil)
                await self.follow(subscription)
            }
        }
    }

    // MARK: - Measurements

    private func record(_ values: [JSONValue], _ key: ConnectorKey, siteId: String) async {
        if sites[siteId] == nil { sites[siteId] = try? await store.site(siteId) }
        guard let site = sites[siteId] else { return }
        let samples = values.compactMap { value -> SiteMeasure.Sample? in
            guard let measurand = value["measurand"]?.stringValue, let text = value["value"]?.stringValue, let number = Double(text)
            else { return nil }
            return SiteMeasure.Sample(
                measurand: measurand, value: number, unit: value["unit"]?.stringValue, phase: value["phase"]?.stringValue)
        }
        guard let draw = SiteMeasure.draw(samples, unit: site.unit, voltage: site.voltage, phases: site.phases) else { return }
        measured[key] = draw
        // Kept for the site's resource by the node that computes the site (in a cluster every node hears the event).
        if node == nil || leases[siteId] != nil { try? await store.setSiteMeasured(key, draw) }
        let allocated = published[siteId]?.first { $0.cpId == key.cpId && $0.connectorId == key.connectorId }?.limit
        let wasCapped = DemandCap.cap(measured: draw, lowSince: lowSince[key], now: Date(), minimum: site.minimum) != nil
        lowSince[key] = DemandCap.lowSince(lowSince[key], measured: draw, allocated: allocated, now: Date())
        let isCapped = DemandCap.cap(measured: draw, lowSince: lowSince[key], now: Date(), minimum: site.minimum) != nil
        // A cap that comes or goes changes the shares; otherwise only the published draw changes, now and then.
        let now = ContinuousClock.now
        if wasCapped != isCapped || lastMeasuredRun[siteId].map({ now - $0 >= settings.measuredEvery }) ?? true {
            lastMeasuredRun[siteId] = now
            request(siteId)
        }
    }

    // MARK: - Computing a site

    /// Asks for `siteId` to be computed; requests that come while it is computed make it run once more after.
    private func request(_ siteId: String) {
        pending.insert(siteId)
        guard !running.contains(siteId) else { return }
        running.insert(siteId)
        Task {
            while await self.takePending(siteId) {
                do {
                    try await self.compute(siteId)
                } catch {
                    self.logger.warning(
                        "site allocation could not be computed; it is tried again", metadata: ["site": "\(siteId)", "error": "\(error)"])
                }
            }
        }
    }

    private func takePending(_ siteId: String) -> Bool {
        guard pending.remove(siteId) != nil else {
            running.remove(siteId)
            return false
        }
        return true
    }

    /// Whether this node computes `siteId` now: always on a single ocppd; in a cluster while it holds the site's lease
    /// (renewed in the background; a site no node holds yet is taken here).
    private func holdsLease(_ siteId: String) async throws -> Bool {
        guard let node else { return true }
        let now = Date()
        if let until = leases[siteId], until > now { return true }
        if let until = leaseDenied[siteId], until > now { return false }
        return try await takeLease(siteId, node: node)
    }

    /// Takes or renews the site's lease in the store now; remembers the answer.
    private func takeLease(_ siteId: String, node: String) async throws -> Bool {
        let now = Date()
        let until = now.addingTimeInterval(settings.lease.timeInterval)
        guard try await store.leaseSite(siteId, node: node, until: until, now: now) else {
            leases[siteId] = nil
            leaseDenied[siteId] = now.addingTimeInterval(settings.lease.timeInterval / 3)
            return false
        }
        leases[siteId] = until
        return true
    }

    private func compute(_ siteId: String) async throws {
        guard let site = try await store.site(siteId), try await holdsLease(siteId) else { return }
        sites[siteId] = site
        let stations = try await store.siteStations(siteId)
        let fallback = site.fallback(connectors: stations.reduce(0) { $0 + $1.connectors })
        let online = try await connected(stations.map(\.cpId))
        let sessions = try await store.activeSessions(cpIds: stations.map(\.cpId))
        let rows = Dictionary(try await store.siteLimits(siteId).map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let now = Date()

        // What is in force: the limit a charger accepted for this very transaction while its profile runs, else (never
        // limited, or its profile may have run out) its station's fallback if that is more.
        var inForce: [ConnectorKey: Double] = [:]
        var transactions: [ConnectorKey: Int] = [:]
        var offlineSum = 0.0
        var shared: [SiteSession] = []
        let fresh = settings.profileValidity.timeInterval - settings.renewEvery.timeInterval / 2
        for session in sessions {
            transactions[session.key] = session.transactionId
            let row = rows[session.key].flatMap { $0.transactionId == session.transactionId ? $0 : nil }
            let limit = row.map { now.timeIntervalSince($0.acceptedAt) < fresh ? $0.limit : max($0.limit, fallback) } ?? fallback
            guard online.contains(session.key.cpId) else {
                // Out of reach: it runs on what it has until its profile ends, then on its fallback.
                inForce[session.key] = max(limit, fallback)
                offlineSum += max(limit, fallback)
                continue
            }
            inForce[session.key] = limit
            let state: SiteSession.State =
                switch session.connectorStatus {
                case "SuspendedEV": .idle
                // Ending, or a session the connector no longer serves: it needs nothing.
                case "Finishing", "Available", "Faulted", "Unavailable": .finishing
                default: .active
                }
            let cap = DemandCap.cap(measured: measured[session.key], lowSince: lowSince[session.key], now: now, minimum: site.minimum)
            shared.append(
                SiteSession(key: session.key, transactionId: session.transactionId, startedAt: session.startedAt, state: state, cap: cap))
        }
        let target = SiteAllocation.allocate(limit: site.limit - offlineSum, minimum: site.minimum, sessions: shared)

        // Lower first: each accepted decrease makes room; a refused or unanswered one keeps its old limit in the sum. The
        // stations' fallbacks go out with them when they changed (a station joined, a connector appeared, a restart).
        let decreases = SiteAllocation.decreases(inForce: inForce, target: target)
        async let fallbacksSent: Void = sendFallbacks(stations.map(\.cpId).filter(online.contains), limit: fallback, site: site)
        for (key, limit) in await sendLimits(decreases, site: site, transactions: transactions, raising: [:]) { inForce[key] = limit }
        await fallbacksSent
        // A long computation must still be this node's before it raises anything.
        if let node, try await !takeLease(siteId, node: node) {
            logger.notice("another node took the site over: no raise from here", metadata: ["site": "\(siteId)"])
            return
        }
        let order = shared.map(\.key)
        let raises = SiteAllocation.raises(limit: site.limit, inForce: inForce, target: target, order: order)
        for (key, limit) in await sendLimits(raises, site: site, transactions: transactions, raising: inForce) { inForce[key] = limit }
        // Renewals: limits in force that no change has sent lately go out again with a new validTo; a session still on its
        // station's fallback gets it as its own TxProfile (the sum does not change).
        var renewals: [ConnectorKey: Double] = [:]
        for key in shared.map(\.key) where decreases[key] == nil && raises[key] == nil {
            guard let limit = inForce[key], target[key] == limit else { continue }
            let confirmed = rows[key]?.transactionId == transactions[key]
            if confirmed, let sent = lastSent[key], now.timeIntervalSince(sent) < settings.renewEvery.timeInterval { continue }
            renewals[key] = limit
        }
        _ = await sendLimits(renewals, site: site, transactions: transactions, raising: [:])

        try await store.removeSiteLimits(siteId, keeping: Set(sessions.map(\.key)))
        // What was known of sessions that ended here (or gave way to a new one on their connector) is forgotten.
        for (key, row) in rows where transactions[key] != row.transactionId {
            lowSince[key] = nil
            measured[key] = nil
            lastSent[key] = nil
        }
        await publish(siteId, sessions: sessions, inForce: inForce)
    }

    /// Sends each limit as the session's TxProfile, all at once; returns what is in force afterwards for each: the limit
    /// when the charger accepted it, its old one when it refused. A raise (its old limit in `raising`) is kept in the store
    /// before it goes out and stays counted when the charger did not answer (it may have applied it): the sum is never
    /// counted lower than what may be in force, whatever happens between the answer and the store.
    private func sendLimits(
        _ limits: [ConnectorKey: Double], site: SiteSettings, transactions: [ConnectorKey: Int], raising: [ConnectorKey: Double]
    ) async -> [ConnectorKey: Double] {
        guard !limits.isEmpty else { return [:] }
        let sentAt = Date()
        for (key, limit) in limits where raising[key] != nil {
            await keep(key, limit, transactions: transactions, site: site, at: sentAt)
        }
        let validTo = sentAt.addingTimeInterval(settings.profileValidity.timeInterval)
        let send = send
        let logger = logger
        let outcomes = await withTaskGroup(of: (ConnectorKey, Double, Bool?).self) { group in
            for (key, limit) in limits {
                guard let transactionId = transactions[key] else { continue }
                let payload = Self.txProfile(key: key, transactionId: transactionId, limit: limit, site: site, validTo: validTo)
                group.addTask {
                    do {
                        let answer = try await send(SetChargingProfile.self, key.cpId, payload)
                        if answer["status"]?.stringValue == "Accepted" { return (key, limit, true) }
                        logger.warning(
                            "a charger refused its site limit: its last accepted one still counts",
                            metadata: ["station": "\(key.cpId)", "connectorId": "\(key.connectorId)", "answer": "\(answer.jsonText)"])
                        return (key, limit, false)
                    } catch {
                        logger.warning(
                            "a site limit could not be sent: the higher of the two limits counts",
                            metadata: ["station": "\(key.cpId)", "connectorId": "\(key.connectorId)", "error": "\(error)"])
                        return (key, limit, nil)
                    }
                }
            }
            var outcomes: [(ConnectorKey, Double, Bool?)] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        var inForce: [ConnectorKey: Double] = [:]
        for (key, limit, accepted) in outcomes {
            switch (accepted, raising[key]) {
            case (true?, _):
                lastSent[key] = sentAt
                inForce[key] = limit
                await keep(key, limit, transactions: transactions, site: site, at: sentAt)
            case (false?, let old?):
                inForce[key] = old  // refused: the raise never happened
                await keep(key, old, transactions: transactions, site: site, at: sentAt)
            case (nil, _?):
                inForce[key] = limit  // unanswered: it may have been applied
            default:
                break  // a decrease or renewal that did not happen: the old limit stays, as kept
            }
        }
        return inForce
    }

    /// Keeps a session's limit in force in the store.
    private func keep(_ key: ConnectorKey, _ limit: Double, transactions: [ConnectorKey: Int], site: SiteSettings, at: Date) async {
        guard let transactionId = transactions[key] else { return }
        do {
            try await store.setSiteLimit(
                SiteLimitRow(
                    key: key, transactionId: transactionId, siteId: site.siteId, limit: limit, measured: measured[key], acceptedAt: at))
        } catch {
            logger.error("a site limit could not be kept", metadata: ["station": "\(key.cpId)", "error": "\(error)"])
        }
    }

    /// Sends the stations their fallback when it is not the one they were last sent (in this ocppd's run).
    private func sendFallbacks(_ cpIds: [String], limit: Double, site: SiteSettings) async {
        let due = cpIds.filter { fallbackSent[$0] != limit }
        guard !due.isEmpty else { return }
        let send = send
        let logger = logger
        let accepted = await withTaskGroup(of: String?.self) { group in
            for cpId in due {
                group.addTask {
                    do {
                        let answer = try await send(SetChargingProfile.self, cpId, Self.fallbackProfile(limit: limit, site: site))
                        if answer["status"]?.stringValue == "Accepted" { return cpId }
                        logger.warning(
                            "a station refused its site fallback profile: without ocppd it may take more than its share",
                            metadata: ["station": "\(cpId)", "answer": "\(answer.jsonText)"])
                    } catch {
                        logger.warning(
                            "a station's site fallback profile could not be sent", metadata: ["station": "\(cpId)", "error": "\(error)"])
                    }
                    return nil
                }
            }
            var accepted: [String] = []
            for await cpId in group { if let cpId { accepted.append(cpId) } }
            return accepted
        }
        for cpId in accepted { fallbackSent[cpId] = limit }
    }

    /// Event `site.allocation` when the limits in force changed.
    private func publish(_ siteId: String, sessions: [SiteSessionRow], inForce: [ConnectorKey: Double]) async {
        let allocations = sessions.compactMap { session in
            inForce[session.key].map {
                SiteConnectorAllocation(
                    cpId: session.key.cpId, connectorId: session.key.connectorId, transactionId: session.transactionId, limit: $0,
                    measured: measured[session.key])
            }
        }
        // A changed draw is news too (at most every 15 s: a site is computed for it no more often).
        guard published[siteId] != allocations else { return }
        published[siteId] = allocations
        await events.publish(
            "site.allocation", cpId: "",
            [
                "siteId": .string(siteId), "allocations": (try? JSONCoding.jsonValue(allocations)) ?? .array([]),
                "allocated": .number(allocations.reduce(0) { $0 + $1.limit }),
            ])
    }

    // MARK: - Profiles

    /// The TxProfile of a session: one period at `limit`, until `validTo`.
    static func txProfile(key: ConnectorKey, transactionId: Int, limit: Double, site: SiteSettings, validTo: Date) -> JSONValue {
        [
            "connectorId": .integer(Int64(key.connectorId)),
            "csChargingProfiles": profile(
                id: txProfileId + key.connectorId, stackLevel: txStackLevel, purpose: "TxProfile", transactionId: transactionId,
                validTo: validTo, limit: limit, site: site),
        ]
    }

    /// The fallback of a station: a TxDefaultProfile on connector 0 below ocppd's TxProfiles, with no end.
    static func fallbackProfile(limit: Double, site: SiteSettings) -> JSONValue {
        [
            "connectorId": 0,
            "csChargingProfiles": profile(
                id: fallbackProfileId, stackLevel: fallbackStackLevel, purpose: "TxDefaultProfile", transactionId: nil, validTo: nil,
                limit: limit, site: site),
        ]
    }

    private static func profile(
        id: Int, stackLevel: Int, purpose: String, transactionId: Int?, validTo: Date?, limit: Double, site: SiteSettings
    ) -> JSONValue {
        var period: JSONObject = ["startPeriod": 0, "limit": .number(limit)]
        if site.unit == .amperes { period["numberPhases"] = .integer(Int64(site.phases)) }
        var profile: JSONObject = [
            "chargingProfileId": .integer(Int64(id)), "stackLevel": .integer(Int64(stackLevel)),
            "chargingProfilePurpose": .string(purpose), "chargingProfileKind": "Relative",
            "chargingSchedule": ["chargingRateUnit": .string(site.unit.rawValue), "chargingSchedulePeriod": [.object(period)]],
        ]
        if let transactionId { profile["transactionId"] = .integer(Int64(transactionId)) }
        if let validTo { profile["validTo"] = .string(OCPPDate.format(validTo)) }
        return .object(profile)
    }
}

/// What a charger draws, from its MeterValues, in a site's unit.
enum SiteMeasure {
    struct Sample: Sendable, Equatable {
        var measurand: String
        var value: Double
        var unit: String?
        var phase: String?
    }

    /// An A site: the highest phase's Current.Import (or power over voltage and phases when only power is reported). A W
    /// site: Power.Active.Import, its phases summed (or current times voltage and phases). Nil without either.
    static func draw(_ samples: [Sample], unit: Site.Unit, voltage: Double, phases: Int) -> Double? {
        let currents = samples.filter { $0.measurand == "Current.Import" && ($0.phase.map { !$0.hasPrefix("N") } ?? true) }
            .map(\.value)
        let powers = samples.filter { $0.measurand == "Power.Active.Import" }.map {
            (watts: $0.unit == "kW" ? $0.value * 1000 : $0.value, phase: $0.phase)
        }
        let perPhase = powers.filter { $0.phase != nil }.map(\.watts)
        let power = perPhase.isEmpty ? powers.map(\.watts).max() : perPhase.reduce(0, +)
        switch unit {
        case .amperes:
            if let current = currents.max() { return current }
            return power.map { $0 / (voltage * Double(phases)) }
        case .watts:
            if let power { return power }
            return currents.max().map { $0 * voltage * Double(phases) }
        }
    }
}
