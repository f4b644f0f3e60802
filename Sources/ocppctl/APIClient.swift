import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Shared
import Synchronization

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
            throw CtlError(.failure, "the server answered with invalid JSON: \(error)")
        }
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try JSONValueDecoder.decode(type, from: json())
        } catch let error as CtlError {
            throw error
        } catch {
            throw CtlError(.failure, "unexpected answer from the server: \(error)")
        }
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
    let timeout: Duration
    /// The server that answered last: tried first (shared by the copies of this client).
    private let current: Current

    private final class Current: Sendable {
        let index = Mutex(0)
    }

    /// `server`: one URL, or several separated by commas (the nodes of a cluster): the first that answers is used.
    init(server: String, token: String?, timeout: Duration) throws {
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

    /// With several servers, one that is down must fail fast so that the next is tried: this client does not keep trying
    /// to connect until the request's deadline, as `HTTPClient.shared` does (which is right for a single server).
    private static let failoverClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(3)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    private var http: HTTPClient { servers.count > 1 ? Self.failoverClient : .shared }

    /// A failure to connect, before any byte of a request went out: safe to try another server with.
    static func isUnreachable(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError, error == .connectTimeout { return true }
        if error is NIOConnectionError { return true }
        if let error = error as? IOError { return [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH].contains(error.errnoCode) }
        return false
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
        do {
            response = try await failingOver { server in
                let request = makeRequest(method, url(path, query: query, server: server), body: body)
                let answer = try await http.execute(request, timeout: .nanoseconds(Int64(timeout.nanoseconds)))
                let body = try await answer.body.collect(upTo: 256 << 20)
                return APIResponse(status: Int(answer.status.code), headers: answer.headers, body: Array(buffer: body))
            }
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw CtlError(.timeout, "no answer from \(base) within \(Int(timeout.seconds)) s; raise --timeout or check the server")
        } catch {
            throw CtlError(.unreachable, "cannot reach ocppd at \(serverNames): \(Self.describe(error)); check --server or OCPPCTL_SERVER")
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
                answer = try http.execute(request: request, deadline: .now() + .nanoseconds(Int64(timeout.nanoseconds))).wait()
            } catch  where Self.isUnreachable(error) && server != servers.last {
                continue
            }
        }
        guard let answer else { throw CtlError(.unreachable, "cannot reach ocppd at \(serverNames)") }
        let response = APIResponse(
            status: Int(answer.status.code), headers: answer.headers, body: answer.body.map { Array(buffer: $0) } ?? [])
        guard (200..<300).contains(response.status) else { throw Self.error(for: response, command: false, base: base) }
        return response
    }

    func get(_ path: String, query: [(String, String?)] = []) async throws -> APIResponse {
        try await send(.GET, path, query: query)
    }

    static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        return text.count > 120 ? String(text.prefix(120)) + "…" : text
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
                    let answer = try await client.streaming { server in
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
                        error as? CtlError
                        ?? CtlError(.unreachable, "lost the event stream of \(client.base) (\(Self.describe(error)))")
                    if !started { opened?(failure) }
                    continuation.finish(throwing: failure)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Sends a request and returns the answer once its head is in, within --timeout of `sent` (the request's body is
    /// out; at once without one); its body then streams for as long as it lasts (an event stream, a file).
    private func streaming(
        sent: (@Sendable () async -> Void)? = nil, _ request: @escaping @Sendable (String) throws -> HTTPClientRequest
    ) async throws -> HTTPClientResponse {
        let client = self
        return try await withThrowingTaskGroup(of: HTTPClientResponse?.self) { group in
            group.addTask {
                try await client.failingOver { server in try await client.http.execute(request(server), timeout: .hours(24 * 365)) }
            }
            group.addTask {
                await sent?()
                try await Task.sleep(for: client.timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let answer = try await group.next() ?? nil else {
                throw CtlError(
                    .timeout, "no answer from \(client.base) within \(Int(client.timeout.seconds)) s; raise --timeout or check the server")
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
    func download(_ path: String, head: (HTTPHeaders) throws -> Void, into sink: (ByteBuffer) throws -> Void) async throws {
        try await transfer("the download from") {
            let answer = try await streaming { server in makeRequest(.GET, url(path, server: server), body: nil) }
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
