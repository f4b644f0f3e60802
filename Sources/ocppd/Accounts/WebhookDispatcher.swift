import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import Shared

/// Delivers events to webhooks (PRODUCT.md §11). The event journal is the outbox: each webhook keeps how far it was
/// delivered (a position per node, in the store), and a worker of its own reads the journal from there, POSTs each
/// matching event, and moves on only after a 2xx (retried with exponential backoff), so events go out at least once, in
/// order (every node's merged by time: a station's order holds also when it moved between nodes), also after a restart.
/// A webhook that failed for a day is disabled (event `webhook.disabled`). One node at a time delivers a webhook (a
/// lease); a slow receiver holds up only its own worker, never the stations or another webhook.
actor WebhookDispatcher {
    struct Settings: Sendable {
        /// Loopback and link-local receivers are refused unless this is set (`--webhook-allow-private`).
        var allowPrivate = false
        /// How long a node's lease on delivering a webhook lasts unless renewed (every `tick`).
        var lease: Duration = .seconds(15)
        /// How often webhooks are looked at (new, removed, leases) and an idle worker looks for new events.
        var tick: Duration = .milliseconds(500)
        /// A failing webhook is disabled after this long.
        var disableAfter: Duration = .seconds(86_400)
        /// The first retry's wait; each next one waits twice as long, up to `maxBackoff`.
        var firstBackoff: Duration = .seconds(1)
        var maxBackoff: Duration = .seconds(300)
        /// How long a receiver may take to answer.
        var timeout: Duration = .seconds(10)
        /// Attempts kept per webhook for GET /api/webhooks/{id}/deliveries.
        var keptDeliveries = 100
    }

    let store: any WebhookStore
    let journal: any EventLog
    let events: EventBus
    /// The name this node takes leases under.
    let node: String
    let settings: Settings
    let logger: Logger
    private let client: HTTPClient
    /// Each webhook's worker, with a number of its own (a worker that ends forgets itself only if not replaced).
    private var workers: [Int: (number: Int, task: Task<Void, Never>)] = [:]
    private var workersStarted = 0
    private var leases: [Int: Date] = [:]
    /// The cursors of the enabled webhooks as last read (nil before the first read: the journal keeps everything).
    private var cursors: [EventCursor]?
    private var loop: Task<Void, Never>?
    private var stopped = false
    /// The nodes whose events the journal keeps, read now and then (reading them is a scan of the journal's index).
    private var journalNodes: (nodes: Set<String>, readAt: ContinuousClock.Instant)?
    /// Whether a receiver's host may be called, by URL, for a minute (not a DNS lookup per event).
    private var verdicts: [String: (refusal: String?, until: ContinuousClock.Instant)] = [:]

    init(store: any WebhookStore, journal: any EventLog, events: EventBus, node: String, settings: Settings, logger: Logger) {
        self.store = store
        self.journal = journal
        self.events = events
        self.node = node
        self.settings = settings
        self.logger = logger
        var configuration = HTTPClient.Configuration()
        // A receiver's redirect could point anywhere, the host's own services included: not followed.
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(5), read: .milliseconds(settings.timeout.milliseconds))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func start() {
        loop = Task {
            while !Task.isCancelled {
                await self.look()
                try? await Task.sleep(for: self.settings.tick)
            }
        }
    }

    /// Stops every worker (an attempt under way ends) and lets go of this node's leases, so that another node of a
    /// cluster goes on at once.
    func stop() async {
        stopped = true
        loop?.cancel()
        await loop?.value
        let running = workers.values.map(\.task)
        for worker in running { worker.cancel() }
        for worker in running { await worker.value }
        workers = [:]
        try? await store.releaseWebhookLeases(node: node)
        try? await client.shutdown()
    }

    /// The webhooks as stored now: a worker for each enabled one this node holds (or takes) the lease of; the others'
    /// workers stop.
    private func look() async {
        let webhooks: [StoredWebhook]
        do {
            webhooks = try await store.webhooks()
        } catch {
            return  // the database is away: the workers go on as far as their leases last
        }
        guard !stopped else { return }
        let now = Date()
        let until = now.addingTimeInterval(settings.lease.timeInterval)
        cursors = webhooks.filter(\.enabled).map(\.cursor)
        var wanted: Set<Int> = []
        for webhook in webhooks where webhook.enabled {
            // Another node's running lease: left alone (no write).
            if let holder = webhook.leaseNode, holder != node, let expiry = webhook.leaseUntil, expiry > now {
                leases[webhook.id] = nil
                continue
            }
            // Ours: renewed once a third of it has passed; free or expired: taken. A database that does not answer
            // leaves the lease as it was, until it runs out.
            if let held = leases[webhook.id], held.timeIntervalSince(now) > settings.lease.timeInterval * 2 / 3 {
                wanted.insert(webhook.id)
                continue
            }
            do {
                if try await store.leaseWebhook(webhook.id, node: node, until: until, now: now) {
                    leases[webhook.id] = until
                    wanted.insert(webhook.id)
                } else {
                    leases[webhook.id] = nil
                }
            } catch {
                if holds(webhook.id) { wanted.insert(webhook.id) }
            }
        }
        guard !stopped else { return }
        for (id, worker) in workers where !wanted.contains(id) {
            worker.task.cancel()
            workers[id] = nil
            leases[id] = nil
        }
        for webhook in webhooks where wanted.contains(webhook.id) && workers[webhook.id] == nil {
            logger.info("this node delivers a webhook", metadata: ["webhook": "\(webhook.id)", "url": "\(webhook.url)"])
            workersStarted += 1
            let number = workersStarted
            workers[webhook.id] = (number, Task { await self.deliver(webhook, worker: number) })
        }
    }

    private func holds(_ id: Int) -> Bool {
        leases[id].map { $0 > Date() } ?? false
    }

    /// A worker that ended forgets itself, unless another has taken its place.
    private func finished(_ id: Int, worker: Int) {
        if workers[id]?.number == worker { workers[id] = nil }
    }

    /// The last event of `node` every enabled webhook has had: the journal keeps the later ones. 0 (keep all) until
    /// the webhooks were first read.
    func needed(node: String) -> Int64? {
        guard let cursors else { return 0 }
        return cursors.map { $0.positions[node, default: 0] }.min()
    }

    // MARK: - One webhook's worker

    /// Where a worker is: its position, the one saved, and the attempts not kept yet.
    private struct Progress {
        var cursor: EventCursor
        var saved: EventCursor
        var failingSince: Date?
        var unkept: [WebhookDelivery] = []
        var keptAt = ContinuousClock.now
    }

    private func deliver(_ webhook: StoredWebhook, worker: Int) async {
        // A delivered event is not two writes of its own (each a group commit behind the stations' writes, which held a
        // busy fleet's webhook to a few events a second): its attempt's record and the position are kept once a second,
        // at the end of each page of the journal, with a failed attempt and when the worker stops. At least once holds:
        // a crash repeats up to a second of events.
        var progress = Progress(cursor: webhook.cursor, saved: webhook.cursor, failingSince: webhook.failingSince)
        defer { finished(webhook.id, worker: worker) }
        while !Task.isCancelled, holds(webhook.id) {
            let batch: [JournaledEvent]
            do {
                batch = try await Self.next(after: progress.cursor, in: journal, nodes: try await nodes())
            } catch {
                try? await Task.sleep(for: settings.tick)
                continue
            }
            guard !batch.isEmpty else {
                try? await Task.sleep(for: settings.tick)
                continue
            }
            for item in batch {
                guard !Task.isCancelled, holds(webhook.id) else { return _ = await keep(webhook, &progress) }
                let position = EventPosition(node: item.node, seq: item.seq)
                guard webhook.matches(type: item.event.type, cpId: item.event.cpId) else {
                    progress.cursor.advance(to: position)
                    continue
                }
                var attempt = 0
                while true {
                    attempt += 1
                    guard !Task.isCancelled, holds(webhook.id) else { return _ = await keep(webhook, &progress) }
                    let delivery = await post(item, to: webhook, attempt: attempt)
                    progress.unkept.append(delivery)
                    if delivery.error == nil {
                        progress.cursor.advance(to: position)
                        // A recovery is kept at once: a node that takes over must not start from the old failingSince.
                        let recovered = progress.failingSince != nil
                        progress.failingSince = nil
                        if recovered || ContinuousClock.now - progress.keptAt >= .seconds(1) {
                            guard await keep(webhook, &progress) else { return }
                        }
                        break
                    }
                    let since = progress.failingSince ?? delivery.at
                    progress.failingSince = since
                    if Date().timeIntervalSince(since) >= settings.disableAfter.timeInterval {
                        try? await store.addWebhookDeliveries(webhook.id, progress.unkept, keep: settings.keptDeliveries)
                        await disable(webhook, cursor: progress.cursor, failingSince: since, reason: delivery.error ?? "")
                        return
                    }
                    // A failure is kept at once (GET /api/webhooks shows failingSince), the position with it.
                    guard await keep(webhook, &progress, always: true) else { return }
                    try? await Task.sleep(for: backoff(attempt))
                }
            }
            guard await keep(webhook, &progress) else { return }
        }
        _ = await keep(webhook, &progress)
    }

    /// Keeps the attempts not kept yet, and the position when it moved (or `always`); false when this node no longer
    /// delivers the webhook.
    private func keep(_ webhook: StoredWebhook, _ progress: inout Progress, always: Bool = false) async -> Bool {
        if !progress.unkept.isEmpty {
            try? await store.addWebhookDeliveries(webhook.id, progress.unkept, keep: settings.keptDeliveries)
            progress.unkept = []
        }
        progress.keptAt = .now
        guard always || progress.cursor != progress.saved else { return true }
        guard await save(webhook, cursor: progress.cursor, failingSince: progress.failingSince) else { return false }
        progress.saved = progress.cursor
        return true
    }

    private func nodes() async throws -> Set<String> {
        if let known = journalNodes, ContinuousClock.now - known.readAt < .seconds(10) { return known.nodes }
        let nodes = Set(try await journal.nodes())
        journalNodes = (nodes, .now)
        return nodes
    }

    /// Why deliveries to `url` are refused now (nil: they are not), looked up at most once a minute.
    private func refusal(_ url: String) async -> String? {
        guard !settings.allowPrivate else { return nil }
        if let verdict = verdicts[url], verdict.until > .now { return verdict.refusal }
        let refusal = await WebhookTarget.refusal(url)
        verdicts[url] = (refusal, .now + .seconds(60))
        return refusal
    }

    /// The wait after the `attempt`th failure: 1 s, 2 s, 4 s ... up to the maximum, with a little jitter.
    private func backoff(_ attempt: Int) -> Duration {
        let base = settings.firstBackoff.timeInterval * pow(2, Double(min(attempt - 1, 30)))
        let wait = min(base, settings.maxBackoff.timeInterval) * Double.random(in: 0.9...1.1)
        return .milliseconds(Int64(wait * 1000))
    }

    /// Keeps the progress; false when this node no longer delivers the webhook.
    private func save(_ webhook: StoredWebhook, cursor: EventCursor, failingSince: Date?) async -> Bool {
        do {
            guard try await store.saveWebhookProgress(webhook.id, node: node, cursor: cursor, failingSince: failingSince, enabled: true)
            else {
                logger.info("another node delivers the webhook now, or it was removed", metadata: ["webhook": "\(webhook.id)"])
                leases[webhook.id] = nil
                return false
            }
            return true
        } catch {
            // The database is away: the next success or failure keeps it; a takeover repeats a few events at worst.
            return true
        }
    }

    private func disable(_ webhook: StoredWebhook, cursor: EventCursor, failingSince: Date, reason: String) async {
        logger.error(
            "a webhook failed for a day and is disabled",
            metadata: ["webhook": "\(webhook.id)", "url": "\(webhook.url)", "error": "\(reason)"])
        _ = try? await store.saveWebhookProgress(webhook.id, node: node, cursor: cursor, failingSince: failingSince, enabled: false)
        leases[webhook.id] = nil
        await events.publish(
            "webhook.disabled", cpId: "",
            [
                "webhookId": .integer(Int64(webhook.id)), "url": .string(webhook.url),
                "failingSince": .string(OCPPDate.format(failingSince)),
                "error": .string(reason),
            ])
    }

    // MARK: - Sending

    /// The event's id as receivers see it (`X-OCPPD-Event-Id`, `id` in the body): its node and number.
    static func eventId(_ item: JournaledEvent) -> String {
        item.node.isEmpty ? String(item.seq) : "\(item.node):\(item.seq)"
    }

    /// The body: the event stream's `data` object plus `id`.
    static func body(_ item: JournaledEvent) -> [UInt8] {
        var object = (try? JSONParser.parse(Array(item.data.utf8)))?.objectValue ?? item.event.json.objectValue ?? [:]
        object["id"] = .string(eventId(item))
        var out: [UInt8] = []
        JSONValue.object(object).write(to: &out)
        return out
    }

    /// `sha256=HEX` of HMAC-SHA256(secret, TIMESTAMP + "." + BODY).
    static func signature(secret: String, timestamp: Int, body: [UInt8]) -> String {
        var message = Array("\(timestamp).".utf8)
        message += body
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8)))
        return "sha256=" + Hex.string(Array(mac))
    }

    /// One POST of the event; the attempt as kept (error nil: a 2xx).
    private func post(_ item: JournaledEvent, to webhook: StoredWebhook, attempt: Int) async -> WebhookDelivery {
        await Self.post(
            id: Self.eventId(item), type: item.event.type, body: Self.body(item), to: webhook, attempt: attempt,
            refusal: await refusal(webhook.url), client: client, timeout: settings.timeout)
    }

    /// A test event (`webhook.test`) sent once, at once, whatever the webhook's state: the attempt (also kept).
    func test(_ webhook: StoredWebhook) async -> WebhookDelivery {
        let id = "test-" + Hex.random(bytes: 8)
        let event = GatewayEvent(
            type: "webhook.test", cpId: "", at: Date(), fields: ["webhookId": .integer(Int64(webhook.id)), "id": .string(id)])
        var out: [UInt8] = []
        event.json.write(to: &out)
        let delivery = await Self.post(
            id: id, type: event.type, body: out, to: webhook, attempt: 1, refusal: await refusal(webhook.url), client: client,
            timeout: settings.timeout)
        try? await store.addWebhookDeliveries(webhook.id, [delivery], keep: settings.keptDeliveries)
        return delivery
    }

    private static func post(
        id: String, type: String, body: [UInt8], to webhook: StoredWebhook, attempt: Int, refusal: String?, client: HTTPClient,
        timeout: Duration
    ) async -> WebhookDelivery {
        let started = ContinuousClock.now
        let at = Date()
        func delivery(status: Int?, error: String?) -> WebhookDelivery {
            let elapsed = ContinuousClock.now - started
            return WebhookDelivery(
                id: 0, eventId: id, eventType: type, attempt: attempt, at: at, status: status, error: error,
                durationMs: Int(elapsed.milliseconds))
        }
        if let refusal { return delivery(status: nil, error: refusal) }
        let timestamp = Int(at.timeIntervalSince1970)
        var request = HTTPClientRequest(url: webhook.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "ocppd/\(OCPPGateway.version)")
        request.headers.add(name: "X-OCPPD-Event-Id", value: id)
        request.headers.add(name: "X-OCPPD-Timestamp", value: String(timestamp))
        request.headers.add(name: "X-OCPPD-Signature", value: signature(secret: webhook.secret, timestamp: timestamp, body: body))
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .milliseconds(timeout.milliseconds))
            // The answer's body is read (a little of it) so that the connection can be kept.
            _ = try? await response.body.collect(upTo: 64 << 10)
            let status = Int(response.status.code)
            return delivery(status: status, error: (200..<300).contains(status) ? nil : "the receiver answered \(status)")
        } catch {
            return delivery(status: nil, error: "no answer: \(error)")
        }
    }

    // MARK: - Reading the journal

    /// How long events of several nodes wait before they are merged: another node's earlier event may still be
    /// committing (a station that moved between nodes keeps its order).
    static let settle: TimeInterval = 2

    /// The events after `cursor`, every node's merged by time while keeping each node's order; at most a page of each
    /// node, and only as far as no node's next page could hold an earlier event. Events of one node go at once; while
    /// several nodes have some, only those older than `settle`.
    static func next(
        after cursor: EventCursor, in journal: any EventLog, nodes: Set<String>, pageSize: Int = 200, now: Date = Date()
    ) async throws -> [JournaledEvent] {
        var lists: [[JournaledEvent]] = []
        var horizon: Date?
        for node in nodes.union(cursor.positions.keys) {
            let page = try await journal.events(node: node, after: cursor.positions[node, default: 0], cpId: nil, limit: pageSize)
            guard !page.isEmpty else { continue }
            lists.append(page)
            if page.count == pageSize, let last = page.last?.event.at { horizon = min(horizon ?? last, last) }
        }
        guard lists.count > 1 else { return lists.first ?? [] }
        let settled = now.addingTimeInterval(-settle)
        horizon = min(horizon ?? settled, settled)
        var heads = Array(repeating: 0, count: lists.count)
        var merged: [JournaledEvent] = []
        while true {
            var best: Int?
            for (list, head) in heads.enumerated() where head < lists[list].count {
                if let current = best, lists[current][heads[current]].event.at <= lists[list][head].event.at { continue }
                best = list
            }
            guard let best else { break }
            let item = lists[best][heads[best]]
            if let horizon, item.event.at > horizon {
                // Nothing goes while the earliest waits to settle; a clock that stepped back must not stop it for good.
                if merged.isEmpty, item.event.at <= settled { merged.append(item) }
                break
            }
            merged.append(item)
            heads[best] += 1
        }
        return merged
    }
}

/// Where a webhook may point: http(s) URLs, and (unless allowed) not the loopback or link-local ranges, which would make
/// a webhook a way into the host's own services.
enum WebhookTarget {
    /// Why `url` is not a webhook URL at all (nil: it is one).
    static func problem(_ url: String) -> String? {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = parsed.host, !host.isEmpty
        else { return "an http:// or https:// URL with a host" }
        // It is shown to every viewer and in the logs: no password in it (the secret signs each event).
        guard parsed.user == nil, parsed.password == nil else { return "no user or password in the URL: the secret signs each event" }
        return nil
    }

    /// Why deliveries to `url` are refused: its host is (or resolves to) a loopback or link-local address. nil when
    /// allowed, also when it does not resolve now (that delivery fails on its own).
    static func refusal(_ url: String) async -> String? {
        guard let host = URL(string: url)?.host else { return "not a URL" }
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        let addresses = await resolve(bare)
        guard let bad = addresses.first(where: isPrivate) else { return nil }
        return "\(host) is \(bad), a loopback or link-local address (allowed only with --webhook-allow-private)"
    }

    /// The host's addresses as text, resolved off the cooperative threads.
    static func resolve(_ host: String) async -> [String] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var hints = addrinfo()
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
                var result: UnsafeMutablePointer<addrinfo>?
                guard getaddrinfo(host, nil, &hints, &result) == 0 else { return continuation.resume(returning: []) }
                defer { freeaddrinfo(result) }
                var addresses: [String] = []
                var next = result
                while let info = next {
                    var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                    if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST)
                        == 0
                    {
                        addresses.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
                    }
                    next = info.pointee.ai_next
                }
                continuation.resume(returning: addresses)
            }
        }
    }

    /// 127.0.0.0/8, 169.254.0.0/16, 0.0.0.0/8, ::1, ::, fe80::/10 and IPv4-mapped forms of the IPv4 ones.
    static func isPrivate(_ address: String) -> Bool {
        let text = address.lowercased()
        let v4 = text.hasPrefix("::ffff:") ? String(text.dropFirst(7)) : text
        let octets = v4.split(separator: ".").compactMap { UInt8($0) }
        if octets.count == 4 {
            return octets[0] == 127 || octets[0] == 0 || (octets[0] == 169 && octets[1] == 254)
        }
        if text == "::1" || text == "::" { return true }
        // fe80::/10: fe80 to febf.
        if let first = text.split(separator: ":", omittingEmptySubsequences: false).first, first.count == 4,
            let value = UInt16(first, radix: 16)
        {
            return value & 0xffc0 == 0xfe80
        }
        return false
    }
}
