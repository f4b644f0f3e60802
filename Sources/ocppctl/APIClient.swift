import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Shared

/// One answer of ocppd's REST API.
struct APIResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    /// The body as JSON (null when empty).
    func json() throws -> JSONValue {
        guard !body.isEmpty else { return .null }
        do {
            return try JSONParser.parse(body)
        } catch {
            throw CtlError(.failure, "the server's answer is not JSON (is --server an ocppd?)")
        }
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try JSONValueDecoder.decode(type, from: json())
        } catch let error as CtlError {
            throw error
        } catch {
            let field = (error as? DecodingError).map(Self.field) ?? ""
            throw CtlError(
                .failure, "the server's answer is not what this ocppctl expects\(field) (are ocppd and ocppctl of the same version?)")
        }
    }

    /// ` at field NAME` of a decoding error, or nothing.
    private static func field(_ error: DecodingError) -> String {
        let path: [any CodingKey]
        switch error {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path = context.codingPath
        @unknown default: return ""
        }
        let names = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        return names.isEmpty ? "" : " at field " + names.joined(separator: ".")
    }

    /// X-Total-Count of a list.
    var totalCount: Int? { headers.first(name: "X-Total-Count").flatMap(Int.init) }
}

/// The one client of ocppd's REST API and event stream, used by every ocppctl command (and the
/// shell and the live view).
struct APIClient: Sendable {
    /// The servers to try, in order: the nodes of a cluster, or one ocppd.
    let servers: [String]
    let token: String?
    /// How long an answer that waits for a charge point (a command) may take.
    let timeout: Duration
    /// How long the server may take to accept the connection, and then to start answering a request it answers itself.
    let connectTimeout: Duration
    /// The server that answered last: tried first (shared by the copies of this client).
    private let current: Current

    private final class Current: Sendable {
        /// Index into `servers`. The lock makes each read and write whole: copies of the client on several tasks read
        /// it before a request and set it after an answer. Two failovers at once: the last write wins; both answered.
        let index = Locked(0)
    }

    /// `server`: one URL, or several separated by commas (the nodes of a cluster): the first that answers is used.
    init(server: String, token: String?, timeout: Duration, connectTimeout: Duration = .seconds(5)) throws {
        servers = try server.split(separator: ",").map { part in
            var url = part.trimmingCharacters(in: .whitespaces)
            while url.hasSuffix("/") { url.removeLast() }
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw CtlError(.usage, "invalid server URL '\(url)': it must start with http:// or https://")
            }
            return url
        }
        guard !servers.isEmpty else { throw CtlError(.usage, "no server URL given") }
        self.token = token
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        current = Current()
    }

    /// The server in use.
    var base: String { servers[current.index.withLock { $0 }] }

    /// For messages: the server, or every one tried.
    private var serverNames: String { servers.count == 1 ? base : "any of " + servers.joined(separator: ", ") }

    /// Runs `attempt` against the server in use and, when that one cannot be reached at all (nothing was sent), against
    /// the next ones in turn; the first that answers stays in use.
    private func failingOver<T>(_ attempt: (String) async throws -> T) async throws -> T {
        let first = current.index.withLock { $0 }
        var index = first
        while true {
            do {
                let result = try await attempt(servers[index])
                current.index.withLock { $0 = index }
                return result
            } catch  where Self.isUnreachable(error) && (index + 1) % servers.count != first {
                index = (index + 1) % servers.count
            }
        }
    }

    /// The HTTP clients, one per connect timeout (a process has one), never shut down. A connection that cannot be made
    /// fails at once (refused, unknown host, no route) or after the connect timeout: the client does not keep trying
    /// until the request's deadline, as `HTTPClient.shared` does, so a typo in --server is said within a second, and
    /// with several servers the next is tried. The lock guards the dictionary: commands, top's tasks and the shell's
    /// completion may ask at once, and the look-up and the insert are one step, so no timeout gets two clients.
    private static let clients = Locked<[Int64: HTTPClient]>([:])

    private var http: HTTPClient {
        let milliseconds = max(1, connectTimeout.nanoseconds / 1_000_000)
        return Self.clients.withLock { clients in
            if let client = clients[milliseconds] { return client }
            var configuration = HTTPClient.Configuration()
            configuration.timeout.connect = .milliseconds(milliseconds)
            configuration.connectionPool.retryConnectionEstablishment = false
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[milliseconds] = client
            return client
        }
    }

    /// A failure to connect, before any byte of a request went out: safe to try another server with.
    static func isUnreachable(_ error: any Error) -> Bool {
        ConnectFailure(error) != nil
    }

    /// Percent-encodes one path segment (station ids may hold spaces and other characters).
    static func segment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    func url(_ path: String, query: [(String, String?)] = [], server: String? = nil) -> String {
        let items = query.compactMap { name, value in
            value.map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: .urlQueryValueAllowed) ?? $0)" }
        }
        return (server ?? base) + path + (items.isEmpty ? "" : "?" + items.joined(separator: "&"))
    }

    private func makeRequest(_ method: HTTPMethod, _ url: String, body: JSONValue?) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "ocppctl/\(OCPPGateway.version)")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            var bytes: [UInt8] = []
            body.write(to: &bytes)
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: bytes))
        }
        return request
    }

    /// Sends a request; any answer but 2xx becomes a `CtlError` with the server's `detail`.
    /// `command` marks calls that reach a charge point, whose 409 means the station is offline.
    @discardableResult
    func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String?)] = [], body: JSONValue? = nil, command: Bool = false
    ) async throws -> APIResponse {
        let response: APIResponse
        // A command waits for its charge point (--timeout); any other request is answered by ocppd itself at once.
        let deadline = command ? timeout : answerDeadline
        do {
            response = try await failingOver { server in
                let request = makeRequest(method, url(path, query: query, server: server), body: body)
                let answer = try await http.execute(request, timeout: .nanoseconds(deadline.nanoseconds))
                let body = try await answer.body.collect(upTo: 256 << 20)
                return APIResponse(status: Int(answer.status.code), headers: answer.headers, body: Array(buffer: body))
            }
        } catch {
            throw failure(error, waited: deadline, command: command)
        }
        guard (200..<300).contains(response.status) else { throw Self.error(for: response, command: command, base: base) }
        return response
    }

    /// A GET for synchronous callers (shell completion); never call it from async code.
    func getBlocking(_ path: String, query: [(String, String?)] = []) throws -> APIResponse {
        var answer: HTTPClient.Response?
        for server in servers where answer == nil {
            var request = try HTTPClient.Request(url: url(path, query: query, server: server), method: .GET)
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            do {
                answer = try http.execute(request: request, deadline: .now() + .nanoseconds(connectTimeout.nanoseconds)).wait()
            } catch  where Self.isUnreachable(error) && server != servers.last {
                continue
            }
        }
        guard let answer else { throw CtlError(.unreachable, "cannot reach ocppd at \(serverNames) (check --server)") }
        let response = APIResponse(
            status: Int(answer.status.code), headers: answer.headers, body: answer.body.map { Array(buffer: $0) } ?? [])
        guard (200..<300).contains(response.status) else { throw Self.error(for: response, command: false, base: base) }
        return response
    }

    func get(_ path: String, query: [(String, String?)] = []) async throws -> APIResponse {
        try await send(.GET, path, query: query)
    }

    /// How long a request ocppd answers by itself may take to its answer's head: the connect timeout (and a moment more,
    /// so that a connection that could not be made is reported as that).
    var answerDeadline: Duration { connectTimeout + .milliseconds(250) }

    /// The error a failed request is reported as: a sentence that says what failed and what to do.
    func failure(_ error: any Error, waited: Duration, command: Bool) -> CtlError {
        if let error = error as? CtlError { return error }
        if let cause = ConnectFailure(error) {
            return CtlError(
                .unreachable,
                "cannot reach ocppd at \(serverNames): \(cause.sentence(connectTimeout: connectTimeout, tls: base.hasPrefix("https:")))")
        }
        if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .readTimeout {
            let seconds = Self.seconds(command ? waited : connectTimeout)
            return command
                ? CtlError(.timeout, "no answer from \(base) within \(seconds) s (the charge point may be slow: raise --timeout)")
                : CtlError(
                    .unreachable,
                    "\(base) accepted the connection but did not answer within \(seconds) s (is it ocppd on that port? raise --connect-timeout)"
                )
        }
        return CtlError(.unreachable, "lost the connection to \(base): \(Self.describe(error))")
    }

    /// `5`, or `2.5`: seconds for messages.
    static func seconds(_ duration: Duration) -> String {
        let value = duration.seconds
        return value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }

    /// What went wrong with a connection, in a few plain words (never a library's type names or error numbers).
    static func describe(_ error: any Error) -> String {
        if let cause = ConnectFailure(error) { return cause.words }
        if let error = error as? HTTPClientError {
            switch error {
            case .remoteConnectionClosed, .cancelled: return "the server closed the connection"
            case .deadlineExceeded, .readTimeout: return "no answer in time"
            case .bodyLengthMismatch: return "the answer was cut short"
            default: return "the HTTP exchange failed"
            }
        }
        if error is NIOSSLError { return "the TLS handshake failed (is the certificate trusted? does the URL say https for a TLS port?)" }
        if let error = error as? IOError { return ConnectFailure.words(errno: error.errnoCode) }
        return "the connection failed"
    }

    static func error(for response: APIResponse, command: Bool, base: String) -> CtlError {
        let detail = (try? response.json())?["detail"]?.stringValue ?? "HTTP \(response.status)"
        switch response.status {
        case 401, 403:
            return CtlError(.unauthorized, "unauthorized: \(detail); pass --token, set OCPPCTL_TOKEN or run 'ocppctl login'")
        case 404: return CtlError(.notFound, detail)
        case 409 where command: return CtlError(.stationOffline, detail)
        case 400, 422: return CtlError(.usage, detail)
        case 502: return CtlError(.refused, detail)
        case 504: return CtlError(.timeout, detail)
        default: return CtlError(.failure, detail)
        }
    }

    /// Sends a command to a charge point and returns its CALLRESULT payload.
    func command(_ station: String, _ name: String, _ payload: JSONValue) async throws -> APIResponse {
        try await send(.POST, "/api/admin/\(Self.segment(station))/\(name)", body: payload, command: true)
    }

    /// Live events as (type, data) until the stream ends or the task is cancelled. `opened` hears once that the server
    /// has answered (nil: from then on, no event is missed) or that the stream could not start (its error).
    func events(
        cpId: String?, heartbeats: Bool = false, opened: (@Sendable ((any Error)?) -> Void)? = nil
    ) -> AsyncThrowingStream<(type: String, data: String), any Error> {
        let query = [("cpId", cpId), ("heartbeats", heartbeats ? "true" : nil)]
        let client = self
        return AsyncThrowingStream { continuation in
            let task = Task {
                var started = false
                do {
                    let answer = try await client.streaming(within: client.answerDeadline) { server in
                        client.makeRequest(.GET, client.url("/api/events", query: query, server: server), body: nil)
                    }
                    try await client.requireSuccess(answer)
                    started = true
                    opened?(nil)
                    var parser = ServerSentEventParser()
                    for try await buffer in answer.body {
                        for event in parser.feed(Array(buffer: buffer)) { continuation.yield(event) }
                    }
                    continuation.finish()
                } catch {
                    let failure =
                        started
                        ? CtlError(.unreachable, "lost the event stream of \(client.base): \(Self.describe(error))")
                        : client.failure(error, waited: client.connectTimeout, command: false)
                    if !started { opened?(failure) }
                    continuation.finish(throwing: failure)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Sends a request and returns the answer once its head is in, within `within` (--timeout by default) of `sent` (the
    /// request's body is out; at once without one); its body then streams for as long as it lasts (an event stream, a
    /// file).
    private func streaming(
        within: Duration? = nil, sent: (@Sendable () async -> Void)? = nil,
        _ request: @escaping @Sendable (String) throws -> HTTPClientRequest
    ) async throws -> HTTPClientResponse {
        let wait = within ?? timeout
        let client = self
        return try await withThrowingTaskGroup(of: HTTPClientResponse?.self) { group in
            group.addTask {
                try await client.failingOver { server in try await client.http.execute(request(server), timeout: .hours(24 * 365)) }
            }
            group.addTask {
                await sent?()
                try await Task.sleep(for: wait)
                return nil
            }
            defer { group.cancelAll() }
            guard let answer = try await group.next() ?? nil else {
                throw within == nil
                    ? CtlError(
                        .timeout, "no answer from \(client.base) within \(Self.seconds(wait)) s (raise --timeout, or check the server)")
                    : client.failure(HTTPClientError.deadlineExceeded, waited: wait, command: false)
            }
            return answer
        }
    }

    /// Throws the `CtlError` of an answer that is not 2xx, as `send` does.
    private func requireSuccess(_ answer: HTTPClientResponse, command: Bool = false) async throws {
        guard !(200..<300).contains(answer.status.code) else { return }
        let body = try await answer.body.collect(upTo: 1 << 20)
        let response = APIResponse(status: Int(answer.status.code), headers: answer.headers, body: Array(buffer: body))
        throw Self.error(for: response, command: command, base: base)
    }

    /// Downloads `path` (a file): its headers to `head`, then its bytes chunk by chunk to `sink`, never whole in memory.
    func download(
        _ path: String, query: [(String, String?)] = [], head: (HTTPHeaders) throws -> Void, into sink: (ByteBuffer) throws -> Void
    ) async throws {
        try await transfer("the download from") {
            let answer = try await streaming { server in makeRequest(.GET, url(path, query: query, server: server), body: nil) }
            try await requireSuccess(answer)
            try head(answer.headers)
            for try await chunk in answer.body { try sink(chunk) }
        }
    }

    /// Runs a file transfer, its failures as ocppctl reports them: a local file (exit 10), the server's answer, or the
    /// server lost (`what` the server, e.g. "the upload to").
    private func transfer<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as CtlError {
            throw error
        } catch let error as LocalFileError {
            throw CtlError(.localFile, error.message)
        } catch {
            throw CtlError(.unreachable, "\(what) \(base) failed: \(Self.describe(error))")
        }
    }

    /// POSTs the file at `file` as the raw body, streamed from disk; `sent` hears how many bytes are out so far.
    func upload(
        _ path: String, query: [(String, String?)], file: String, size: Int64, sent: @escaping @Sendable (Int64) -> Void
    ) async throws -> APIResponse {
        // --timeout counts from the last byte sent: a large image takes as long as the link needs.
        let (done, finished) = AsyncStream.makeStream(of: Void.self)
        let progress: @Sendable (Int64) -> Void = { count in
            sent(count)
            if count >= size { finished.finish() }
        }
        return try await transfer("the upload to") {
            let answer = try await streaming(sent: { for await _ in done {} }) { server in
                var request = makeRequest(.POST, url(path, query: query, server: server), body: nil)
                request.headers.add(name: "Content-Type", value: "application/octet-stream")
                request.body = .stream(FileChunks(path: file, sent: progress), length: .known(size))
                return request
            }
            try await requireSuccess(answer)
            let body = try await answer.body.collect(upTo: 1 << 20)
            return APIResponse(status: Int(answer.status.code), headers: answer.headers, body: Array(buffer: body))
        }
    }
}

/// A local file that could not be read or written (exit 10).
struct LocalFileError: Error {
    var message: String
}

/// A file's bytes in chunks, read as they are sent.
struct FileChunks: AsyncSequence, Sendable {
    let path: String
    let sent: @Sendable (Int64) -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        let path: String
        let sent: @Sendable (Int64) -> Void
        var handle: FileHandle?
        var total: Int64 = 0

        mutating func next() async throws -> ByteBuffer? {
            if handle == nil {
                guard let opened = FileHandle(forReadingAtPath: path) else { throw LocalFileError(message: "cannot read \(path)") }
                handle = opened
            }
            let data: Data?
            do {
                data = try handle?.read(upToCount: 256 << 10)
            } catch {
                throw LocalFileError(message: "cannot read \(path): \(error.localizedDescription)")
            }
            guard let data, !data.isEmpty else {
                try? handle?.close()
                sent(total)
                return nil
            }
            total += Int64(data.count)
            sent(total)
            return ByteBuffer(bytes: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(path: path, sent: sent) }
}

/// Splits a text/event-stream into events; comments (keep-alives) are skipped.
struct ServerSentEventParser {
    private var pending: [UInt8] = []
    private var type = "message"
    private var data: [String] = []

    mutating func feed(_ bytes: [UInt8]) -> [(type: String, data: String)] {
        pending.append(contentsOf: bytes)
        var events: [(type: String, data: String)] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            var line = String(decoding: pending[..<newline], as: UTF8.self)
            pending.removeSubrange(...newline)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty {
                if !data.isEmpty { events.append((type, data.joined(separator: "\n"))) }
                type = "message"
                data = []
            } else if line.hasPrefix(":") {
                continue
            } else if line.hasPrefix("event:") {
                type = line.dropFirst(6).trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("data:") {
                var value = line.dropFirst(5)
                if value.hasPrefix(" ") { value = value.dropFirst() }
                data.append(String(value))
            }
        }
        return events
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    var seconds: Double { Double(nanoseconds) / 1e9 }
}

extension CharacterSet {
    static let urlQueryValueAllowed: CharacterSet = {
        var set = CharacterSet.urlQueryAllowed
        set.remove(charactersIn: "&=+?#")
        return set
    }()
}

/// Why a connection to the server could not be made, as a technician is told it.
enum ConnectFailure: Equatable {
    case refused
    case unknownHost(String?)
    case noRoute
    case timedOut
    case other(Int32)

    init?(_ error: any Error) {
        switch error {
        case let error as HTTPClientError where error == .connectTimeout:
            self = .timedOut
        case let error as NIOConnectionError:
            // Every address of the host failed: the first one's reason; none resolved: an unknown host.
            if let first = error.connectionErrors.first {
                self = ConnectFailure(first.error) ?? .other(0)
            } else {
                self = .unknownHost(error.host)
            }
        case let error as IOError:
            switch error.errnoCode {
            case ECONNREFUSED: self = .refused
            case EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL: self = .noRoute
            case ETIMEDOUT: self = .timedOut
            default: return nil
            }
        case is SocketAddressError:
            self = .unknownHost(nil)
        case let error as ChannelError:
            guard case .connectTimeout = error else { return nil }
            self = .timedOut
        default:
            return nil
        }
    }

    /// A few words, for a longer message.
    var words: String {
        switch self {
        case .refused: "connection refused"
        case .unknownHost(let host?): "unknown host \(host)"
        case .unknownHost(nil): "unknown host"
        case .noRoute: "no route to the host"
        case .timedOut: "no connection in time"
        case .other: "the connection failed"
        }
    }

    /// The whole sentence: what failed and what to do.
    func sentence(connectTimeout: Duration, tls: Bool) -> String {
        switch self {
        case .refused: "connection refused (is ocppd running, is the port right?)"
        case .unknownHost: "\(words) (is the name in --server right?)"
        case .noRoute: "no route to the host (is the network up, is the address in --server right?)"
        case .timedOut:
            "no connection within \(APIClient.seconds(connectTimeout)) s (is the address right, \(tls ? "does that port speak TLS, " : "")"
                + "is a firewall in the way? raise --connect-timeout)"
        case .other: "the connection failed (check --server)"
        }
    }

    static func words(errno: Int32) -> String {
        switch errno {
        case ECONNRESET, EPIPE: "the server closed the connection"
        case ECONNREFUSED: "connection refused"
        case EHOSTUNREACH, ENETUNREACH: "no route to the host"
        case ETIMEDOUT: "no answer in time"
        default: "the connection failed"
        }
    }
}
