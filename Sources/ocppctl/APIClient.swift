import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
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
    let base: String
    let token: String?
    let timeout: Duration

    init(server: String, token: String?, timeout: Duration) throws {
        var server = server
        while server.hasSuffix("/") { server.removeLast() }
        guard server.hasPrefix("http://") || server.hasPrefix("https://") else {
            throw CtlError(.usage, "invalid server URL '\(server)': it must start with http:// or https://")
        }
        self.base = server
        self.token = token
        self.timeout = timeout
    }

    /// Percent-encodes one path segment (station ids may hold spaces and other characters).
    static func segment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    func url(_ path: String, query: [(String, String?)] = []) -> String {
        let items = query.compactMap { name, value in
            value.map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: .urlQueryValueAllowed) ?? $0)" }
        }
        return base + path + (items.isEmpty ? "" : "?" + items.joined(separator: "&"))
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
        let request = makeRequest(method, url(path, query: query), body: body)
        let response: APIResponse
        do {
            let answer = try await HTTPClient.shared.execute(request, timeout: .nanoseconds(Int64(timeout.nanoseconds)))
            let body = try await answer.body.collect(upTo: 256 << 20)
            response = APIResponse(status: Int(answer.status.code), headers: answer.headers, body: Array(buffer: body))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw CtlError(.timeout, "no answer from \(base) within \(Int(timeout.seconds)) s; raise --timeout or check the server")
        } catch {
            throw CtlError(.unreachable, "cannot reach ocppd at \(base): \(Self.describe(error)); check --server or OCPPCTL_SERVER")
        }
        guard (200..<300).contains(response.status) else { throw Self.error(for: response, command: command, base: base) }
        return response
    }

    /// A GET for synchronous callers (shell completion); never call it from async code.
    func getBlocking(_ path: String, query: [(String, String?)] = []) throws -> APIResponse {
        var request = try HTTPClient.Request(url: url(path, query: query), method: .GET)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let answer = try HTTPClient.shared.execute(request: request, deadline: .now() + .nanoseconds(Int64(timeout.nanoseconds))).wait()
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

    /// Live events as (type, data) until the stream ends or the task is cancelled.
    func events(cpId: String?, heartbeats: Bool = false) -> AsyncThrowingStream<(type: String, data: String), any Error> {
        let request = makeRequest(.GET, url("/api/events", query: [("cpId", cpId), ("heartbeats", heartbeats ? "true" : nil)]), body: nil)
        let base = self.base
        let timeout = self.timeout
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    // The stream lasts as long as it is read; only its start is bounded by --timeout.
                    let answer = try await withThrowingTaskGroup(of: HTTPClientResponse?.self) { group in
                        group.addTask { try await HTTPClient.shared.execute(request, timeout: .hours(24 * 365)) }
                        group.addTask {
                            try await Task.sleep(for: timeout)
                            return nil
                        }
                        defer { group.cancelAll() }
                        guard let answer = try await group.next() ?? nil else {
                            throw CtlError(
                                .timeout, "no answer from \(base) within \(Int(timeout.seconds)) s; raise --timeout or check the server")
                        }
                        return answer
                    }
                    guard answer.status == .ok else {
                        let body = try await answer.body.collect(upTo: 1 << 20)
                        let response = APIResponse(status: Int(answer.status.code), headers: answer.headers, body: Array(buffer: body))
                        throw Self.error(for: response, command: false, base: base)
                    }
                    var parser = ServerSentEventParser()
                    for try await buffer in answer.body {
                        for event in parser.feed(Array(buffer: buffer)) { continuation.yield(event) }
                    }
                    continuation.finish()
                } catch let error as CtlError {
                    continuation.finish(throwing: error)
                } catch {
                    continuation.finish(
                        throwing: CtlError(.unreachable, "lost the event stream of \(base) (\(Self.describe(error)))"))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
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
