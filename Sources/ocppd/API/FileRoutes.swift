import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Shared
import _NIOFileSystem

extension APIRoutes {
    /// The routes chargers use without an API token: their upload URLs, whose token is the credential.
    func addUploadRoutes(to router: Router<APIRequestContext>) {
        guard let uploads else { return }
        /// A charger's upload, the raw body; 201 with the file.
        router.put("files/upload/:token") { request, context in
            let file = try await uploads.receive(request, token: try API.pathParameter(context, "token"), multipart: false)
            return try API.json(file, status: .created)
        }
        /// A charger's upload as multipart/form-data (its first file part); 201 with the file.
        router.post("files/upload/:token") { request, context in
            let file = try await uploads.receive(request, token: try API.pathParameter(context, "token"), multipart: true)
            return try API.json(file, status: .created)
        }
        /// A firmware image for chargers (one `Range` welcome: chargers resume); the id is unguessable.
        router.get("files/firmware/:id/:name") { request, context in
            try await firmware(request, context, uploads: uploads)
        }
        /// Its size and type, as chargers ask before they download.
        router.head("files/firmware/:id/:name") { request, context in
            try await firmware(request, context, uploads: uploads)
        }
    }

    private func firmware(_ request: Request, _ context: APIRequestContext, uploads: Uploads) async throws -> Response {
        let id = try API.pathParameter(context, "id")
        guard let (file, node) = try await uploads.store.file(id), file.kind == .firmware,
            file.name == (try API.pathParameter(context, "name"))
        else { throw Problem.notFound("no such firmware") }
        return try await download(file, node: node, request: request, uploads: uploads)
    }

    /// A kept file's content: from this node's disk, or through the node whose disk holds it.
    private func download(_ file: StoredFile, node: String, request: Request, uploads: Uploads) async throws -> Response {
        let range = request.headers[.range]
        if node == uploads.node {
            let response = try await FileDownload.response(path: uploads.settings.directory + "/" + file.id, file: file, range: range)
            return request.method == .head ? Response(status: response.status, headers: response.headers) : response
        }
        guard let cluster else {
            throw Problem(status: .badGateway, detail: "file '\(file.id)' is kept by another ocppd ('\(node)'): download it there")
        }
        guard let holder = try await cluster.liveNode(node) else {
            throw Problem(
                status: .serviceUnavailable, detail: "file '\(file.id)' is kept on node '\(node)', which is not running",
                extra: ["node": .string(node)])
        }
        let answer: HTTPClientResponse
        do {
            answer = try await cluster.client.file(
                holder.url + ClusterRoutes.filePath(file.id), method: request.method == .head ? .HEAD : .GET, range: range,
                timeout: .seconds(30))
        } catch {
            throw Problem(
                status: .badGateway, detail: "node '\(node)', which keeps file '\(file.id)', did not answer (\(error))",
                extra: ["node": .string(node)])
        }
        var headers = HTTPFields()
        for name in ["Accept-Ranges", "Content-Type", "Content-Disposition", "Content-Range", "Content-Length", "Repr-Digest"] {
            if let value = answer.headers.first(name: name) { headers[HTTPField.Name(name)!] = value }
        }
        let status = HTTPResponse.Status(code: Int(answer.status.code))
        guard request.method != .head else { return Response(status: status, headers: headers) }
        let length = answer.headers.first(name: "Content-Length").flatMap(Int.init)
        return Response(
            status: status, headers: headers,
            body: ResponseBody(contentLength: length) { writer in
                for try await chunk in answer.body { try await writer.write(chunk) }
                try await writer.finish(nil)
            })
    }

    /// A file this node keeps, asked for by another node: its content (GET, HEAD), or its removal (DELETE).
    func internalFile(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let id = try API.pathParameter(context, "id")
        guard let uploads, let (file, node) = try await uploads.store.file(id), node == uploads.node else {
            throw Problem.notFound("this node keeps no file '\(id)'")
        }
        if request.method == .delete {
            _ = try await uploads.remove(id)
            return try API.json(file)
        }
        return try await download(file, node: node, request: request, uploads: uploads)
    }

    func addFileRoutes(to api: RouterGroup<APIRequestContext>) {
        guard let uploads else { return }
        /// Kept files (diagnostics, logs, firmware), newest first; `?cpId=` and `?kind=` narrow them.
        api.get("files") { request, _ in
            let cpId = request.uri.queryParameters["cpId"].map(String.init)
            let kind: StoredFile.Kind? = try API.enumQuery(request, "kind")
            return try API.list(try await uploads.store.files(cpId: cpId, kind: kind, try API.pageRequest(request)))
        }

        /// Downloads a kept file (`Range` welcome).
        api.get("files/:id") { request, context in
            let id = try API.pathParameter(context, "id")
            guard let (file, node) = try await uploads.store.file(id) else { throw Problem.notFound("unknown file '\(id)'") }
            return try await download(file, node: node, request: request, uploads: uploads)
        }

        /// Stores a firmware image (the raw body, named by `?name=`, or multipart/form-data's first file part); 201 with
        /// its id, size, SHA-256 and the URL chargers fetch it from (null without --public-url).
        api.post("firmware") { request, _ in
            let file = try await uploads.keep(
                request, multipart: Uploads.boundary(request.headers[.contentType]) != nil, kind: .firmware, cpId: nil, requestId: nil,
                defaultName: "firmware-\(OCPPDate.format(Date())).bin")
            var answer = try JSONCoding.jsonValue(file).objectValue ?? [:]
            answer["url"] = uploads.firmwareURL(file).map { .string($0) } ?? .null
            return API.jsonValue(.object(answer), status: .created)
        }

        /// Removes a kept file; answers it as it was. In a cluster the node that keeps it removes it.
        api.delete("files/:id") { _, context in
            let id = try API.pathParameter(context, "id")
            guard let (_, node) = try await uploads.store.file(id) else { throw Problem.notFound("unknown file '\(id)'") }
            if node != uploads.node, let cluster, let holder = try await cluster.liveNode(node) {
                let answer = try await cluster.client.file(
                    holder.url + ClusterRoutes.filePath(id), method: .DELETE, range: nil, timeout: .seconds(30))
                if answer.status == .ok || answer.status == .notFound {
                    _ = try? await answer.body.collect(upTo: 1 << 20)
                } else {
                    throw Problem(
                        status: .badGateway, detail: "node '\(node)', which keeps file '\(id)', answered HTTP \(answer.status.code)",
                        extra: ["node": .string(node)])
                }
            }
            // A node that is not running removes the file's content when it starts again (no row names it any more).
            guard let file = try await uploads.remove(id) else { throw Problem.notFound("unknown file '\(id)'") }
            return try API.json(file)
        }
    }
}

/// A file as an HTTP answer: whole, or the one byte range asked for (206), or 416 for a range beyond it; its name in
/// Content-Disposition and the whole file's SHA-256 in Repr-Digest (RFC 9530), for clients to check what they got.
enum FileDownload {
    static func response(path: String, file: StoredFile, range: String?) async throws -> Response {
        guard let info = try await FileSystem.shared.info(forFileAt: FilePath(path)), info.type == .regular else {
            throw Problem(status: .gone, detail: "the file's content is missing on this node")
        }
        let size = Int64(info.size)
        var headers: HTTPFields = [
            .acceptRanges: "bytes", .contentType: "application/octet-stream",
            .contentDisposition: "attachment; filename=\"\(file.name.replacingOccurrences(of: "\"", with: "_"))\"",
        ]
        if let digest = Hex.bytes(file.sha256) { headers[reprDigest] = "sha-256=:\(Data(digest).base64EncodedString()):" }
        switch byteRange(range, size: size) {
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(size)"
            return Response(status: .rangeNotSatisfiable, headers: headers)
        case .range(let bytes):
            headers[.contentRange] = "bytes \(bytes.lowerBound)-\(bytes.upperBound - 1)/\(size)"
            return Response(status: .partialContent, headers: headers, body: body(path, bytes))
        case .whole:
            return Response(status: .ok, headers: headers, body: body(path, 0..<size))
        }
    }

    static let reprDigest = HTTPField.Name("Repr-Digest")!

    enum ByteRange: Equatable {
        case whole
        case range(Range<Int64>)
        case unsatisfiable
    }

    /// One `bytes=a-b`, `bytes=a-` or `bytes=-n` of a file of `size` bytes; several ranges or another syntax are answered
    /// with the whole file, as RFC 9110 allows.
    static func byteRange(_ header: String?, size: Int64) -> ByteRange {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { return .whole }
        let spec = header.dropFirst("bytes=".count).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard spec.count == 2 else { return .whole }
        let first = spec[0].trimmingCharacters(in: .whitespaces)
        let last = spec[1].trimmingCharacters(in: .whitespaces)
        if first.isEmpty {
            guard let suffix = Int64(last), suffix >= 0 else { return .whole }
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            return .range(max(0, size - suffix)..<size)
        }
        guard let start = Int64(first), start >= 0 else { return .whole }
        let end: Int64
        if last.isEmpty {
            end = size - 1
        } else {
            guard let value = Int64(last), value >= start else { return .whole }
            end = min(value, size - 1)
        }
        guard start < size else { return .unsatisfiable }
        return .range(start..<(end + 1))
    }

    private static func body(_ path: String, _ bytes: Range<Int64>) -> ResponseBody {
        ResponseBody(contentLength: Int(bytes.count)) { writer in
            if !bytes.isEmpty {
                try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
                    for try await chunk in handle.readChunks(in: bytes, chunkLength: .kibibytes(128)) {
                        try await writer.write(chunk)
                    }
                }
            }
            try await writer.finish(nil)
        }
    }
}
