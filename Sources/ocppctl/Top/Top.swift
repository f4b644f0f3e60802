import ArgumentParser
import Dispatch
import Foundation
import Shared
import Synchronization

/// `ocppctl top`: every station and connector, live from the event stream.
struct Top: APICommand {
    static let configuration = CommandConfiguration(
        abstract: "Live view of every station and connector (ncurses), updated from the event stream.",
        discussion:
            "Keys: arrows or j/k move, PgUp/PgDn page, / filter, s sort, Enter details, r reset, u unlock, x stop the session, q quit.")
    @OptionGroup var global: GlobalOptions

    func execute(_ client: APIClient) async throws {
        guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else {
            throw CtlError(.usage, "top needs a terminal; for scripts use 'ocppctl events' or 'ocppctl stations -o json'")
        }
        let inbox = Inbox()
        let feed = Task { await Self.follow(client, inbox: inbox) }
        defer { feed.cancel() }
        let server = client.base.replacingOccurrences(of: "http://", with: "").replacingOccurrences(of: "https://", with: "")
        // Curses wants one thread: the view runs on its own, and async work reaches it through the inbox.
        let failure = await withCheckedContinuation { (done: CheckedContinuation<CtlError?, Never>) in
            let thread = Thread {
                done.resume(returning: TopLoop(inbox: inbox, client: client, server: server).run())
            }
            thread.start()
        }
        if let failure { throw failure }
    }

    /// Loads the stations and active sessions, then follows the event stream; on any loss, reports
    /// it and starts over after a pause.
    static func follow(_ client: APIClient, inbox: Inbox) async {
        var pause = Duration.seconds(1)
        while !Task.isCancelled {
            do {
                let stations = try await client.get("/api/stations", query: [("limit", "1000")]).decode([Station].self)
                let sessions = try await client.get("/api/sessions", query: [("active", "true"), ("limit", "1000")]).decode([Session].self)
                let cluster = await ClusterCommand.isCluster(client)
                // Sites are shown when the server has them (an older ocppd has none).
                let sites = (try? await client.get("/api/sites", query: [("limit", "1000")]).decode([Site].self)) ?? []
                // Heartbeats keep the "last heard" column true for stations that only heartbeat.
                let events = client.events(cpId: nil, heartbeats: true)
                inbox.post(.loaded(stations, sessions, sites, cluster: cluster))
                pause = .seconds(1)
                var knownSites = Set(sites.map(\.siteId))
                for try await event in events {
                    guard let data = try? JSONParser.parse(Array(event.data.utf8)) else { continue }
                    inbox.post(.event(event.type, data))
                    // A site changed (its limit, its stations; made or removed) or one made since the load: its settings
                    // are read again.
                    guard let siteId = data["siteId"]?.stringValue else { continue }
                    if event.type == "site.changed" || (event.type == "site.allocation" && !knownSites.contains(siteId)) {
                        knownSites.insert(siteId)
                        Task { await reloadSite(siteId, client, inbox: inbox) }
                    }
                }
                inbox.post(.lost("the server closed the event stream"))
            } catch let error as CtlError where error.status == .unauthorized {
                return inbox.post(.fatal(error))  // waiting will not mend a wrong token: exit and say so
            } catch let error as CtlError {
                inbox.post(.lost(error.message))
            } catch {
                inbox.post(.lost("\(error)"))
            }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
    }

    private static func reloadSite(_ siteId: String, _ client: APIClient, inbox: Inbox) async {
        do {
            inbox.post(.site(siteId, try await client.get("/api/sites/\(APIClient.segment(siteId))").decode(Site.self)))
        } catch let error as CtlError where error.status == .notFound {
            inbox.post(.site(siteId, nil))
        } catch {
            // The next reconnect loads every site again.
        }
    }
}

/// Messages from the async side to the view's thread.
enum TopMessage: Sendable {
    /// `cluster`: the server is a node of a cluster (the view then shows each station's node).
    case loaded([Station], [Session], [Site], cluster: Bool)
    case event(String, JSONValue)
    /// A site as read again after it changed; nil: it is gone.
    case site(String, Site?)
    case lost(String)
    case result(String)
    /// Ends top (after the terminal is restored) with this error.
    case fatal(CtlError)
}

/// A mailbox the view's thread drains between keys.
final class Inbox: Sendable {
    /// Guarded by its lock: tasks on the cooperative pool append, the view's thread takes them all and empties it in
    /// the same step, so no message is lost or seen twice.
    private let messages = Locked<[TopMessage]>([])

    func post(_ message: TopMessage) {
        messages.withLock { $0.append(message) }
    }

    func take() -> [TopMessage] {
        messages.withLock { messages in
            defer { messages.removeAll(keepingCapacity: true) }
            return messages
        }
    }
}

/// The view's loop on its own thread: keys, messages, redraws (batched), and the terminal restored
/// on every way out (q, Ctrl-C, SIGTERM, SIGINT, SIGHUP).
struct TopLoop {
    let inbox: Inbox
    let client: APIClient
    let server: String

    /// Set by the signal sources' handlers on a dispatch queue, polled by the view's loop (every key timeout); cleared
    /// when a view starts. Relaxed: a lone flag that publishes no other data.
    static let stopRequested = Atomic<Bool>(false)

    /// Returns the error that ended it, nil when the operator quit.
    func run() -> CtlError? {
        // The signals' dispositions are put back when the view ends: inside `ocppctl shell`, SIGINT is the shell's (Ctrl-C
        // interrupts its next command), and a view ended by a signal must not end the next one at once.
        TopLoop.stopRequested.store(false, ordering: .relaxed)
        var signalSources: [any DispatchSourceSignal] = []
        var previous: [(Int32, sigaction)] = []
        for signalNumber in [SIGTERM, SIGINT, SIGHUP] {
            var ignore = sigaction()
            ignore.__sigaction_handler.sa_handler = SIG_IGN
            var old = sigaction()
            sigaction(signalNumber, &ignore, &old)
            previous.append((signalNumber, old))
            let source = DispatchSource.makeSignalSource(signal: signalNumber)
            source.setEventHandler { TopLoop.stopRequested.store(true, ordering: .relaxed) }
            source.resume()
            signalSources.append(source)
        }
        let terminal = Terminal()
        defer {
            terminal.restore()
            signalSources.forEach { $0.cancel() }
            for (signalNumber, old) in previous {
                var old = old
                sigaction(signalNumber, &old, nil)
            }
        }
        var screen = TopScreen()
        screen.server = server
        var dirty = true
        var lastDraw = ContinuousClock.now - .seconds(1)
        while !TopLoop.stopRequested.load(ordering: .relaxed) {
            for message in inbox.take() {
                switch message {
                case .loaded(let stations, let sessions, let sites, let cluster):
                    screen.model.load(stations: stations, activeSessions: sessions, sites: sites, cluster: cluster)
                    screen.model.server = .live
                case .event(let type, let data):
                    screen.model.apply(type: type, data: data)
                case .site(let siteId, let site):
                    screen.model.replaceSite(siteId, with: site)
                case .lost(let reason):
                    screen.model.server = .lost(reason)
                case .result(let text):
                    screen.statusLine = text
                case .fatal(let error):
                    return error
                }
                dirty = true
            }
            let size = terminal.size
            if let key = terminal.key() {
                switch screen.handle(key, pageSize: size.rows - 5) {
                case .quit: return nil
                case .run(let action): perform(action)
                case .redraw: break
                case .none: continue
                }
                dirty = true
            }
            // Events can arrive by the thousand: draw at most every 100 ms, and once a second for the ages.
            let now = ContinuousClock.now
            if (dirty && now - lastDraw >= .milliseconds(100)) || now - lastDraw >= .seconds(1) {
                terminal.draw(screen.render(rows: size.rows, columns: size.columns))
                lastDraw = now
                dirty = false
            }
        }
        return nil
    }

    private func perform(_ action: TopAction) {
        let client = self.client
        let inbox = self.inbox
        Task {
            do {
                let response: APIResponse
                switch action {
                case .reset(let cp): response = try await client.command(cp, "reset", ["type": "Soft"])
                case .unlock(let cp, let connector):
                    response = try await client.command(cp, "unlock-connector", ["connectorId": .integer(Int64(connector))])
                case .stop(let cp, let transaction):
                    response = try await client.command(cp, "stop-transaction", ["transactionId": .integer(Int64(transaction))])
                }
                let status = (try? response.json())?["status"]?.stringValue ?? "done"
                inbox.post(.result("\(action.description): \(status)"))
            } catch let error as CtlError {
                inbox.post(.result("\(action.description): \(error.message)"))
            } catch {
                inbox.post(.result("\(action.description): \(error)"))
            }
        }
    }
}
