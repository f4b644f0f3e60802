import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Shared
import _NIOFileSystem

/// Where files live and how chargers reach ocppd for them (`--public-url`, `--files-dir`, `--max-upload-size`).
struct FileSettings: Sendable, Equatable {
    /// How chargers reach ocppd, e.g. `https://csms.example.com`; without it, commands need their own location.
    var publicURL: String?
    var directory: String
    var maxUploadSize: Int64 = 256 << 20
    /// How long an upload URL handed to a charger stays valid (a charger may wait for its retries or a start time).
    var uploadTokenLifetime: Duration = .seconds(24 * 3600)
    /// Charger uploads older than this many days are removed (`--files-retention-days`); nil: kept.
    var retentionDays: Int?
    /// Charger uploads beyond this many bytes in all are removed, oldest first (`--files-max-total`); nil: no bound.
    var maxTotal: Int64?
}

/// Which charger uploads retention removes: those older than `days`, then the oldest until the rest fit in `maxTotal`.
/// Firmware is the operator's and is never removed by it, nor is the file just kept (`keeping`).
enum Retention {
    static func toRemove(_ oldestFirst: [StoredFile], now: Date, days: Int?, maxTotal: Int64?, keeping: String? = nil) -> [StoredFile] {
        var removed: [StoredFile] = []
        var kept = oldestFirst[...]
        if let days {
            let cutoff = now.addingTimeInterval(-Double(days) * 86_400)
            while let first = kept.first, first.createdAt < cutoff {
                removed.append(first)
                kept = kept.dropFirst()
            }
        }
        if let maxTotal {
            var total = kept.reduce(Int64(0)) { $0 + $1.size }
            while total > maxTotal, let first = kept.first, first.id != keeping {
                removed.append(first)
                total -= first.size
                kept = kept.dropFirst()
            }
        }
        return removed
    }
}

/// Charger uploads (diagnostics, logs) to one-time URLs, streamed to disk with their SHA-256, never held in memory.
struct Uploads: Sendable {
    let settings: FileSettings
    let store: any FileStore
    let events: EventBus
    /// The node whose disk holds what this ocppd receives: the cluster node's id, or a single ocppd's name for its
    /// directory (`prepareDirectory`).
    let node: String
    let logger: Logger

    /// The directory made, and the name under which this ocppd keeps its files in the store: the cluster node's id, or
    /// for a single ocppd a name made once for its directory and kept in it (so that it survives a new port or host
    /// name, and two ocppd sharing one MariaDB keep apart). `known`: the directory had been used before (it had its
    /// `.node`); one that had not (new, or a mount that is missing) is never taken to mean that its files are gone.
    static func prepareDirectory(_ directory: String, nodeId: String?) throws -> (node: String, known: Bool) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + nodeFile
        let kept = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        let node = nodeId ?? (kept?.isEmpty == false ? kept! : "local-" + Hex.random(bytes: 8))
        if kept != node { try (node + "\n").write(toFile: path, atomically: true, encoding: .utf8) }
        return (node, kept != nil)
    }

    private static let nodeFile = ".node"

    /// At start: the directory and the store agree. A file no row names (ocppd stopped between writing the one and the
    /// other, or a temporary file of an upload cut by a crash) is removed; a file whose row names another node (this
    /// ocppd's node id changed) becomes this node's. A row of this node whose file is missing is forgotten, unless the
    /// directory is new to this ocppd (a missing mount must not cost the records of every file).
    func reconcile(directoryKnown: Bool) async throws {
        let holders = try await store.fileNodes()
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: settings.directory).filter { $0 != Self.nodeFile }
        var adopted: [String] = []
        for name in onDisk {
            switch holders[name] {
            case nil:
                logger.notice("removing a file the store does not know (an interrupted upload)", metadata: ["file": "\(name)"])
                try? FileManager.default.removeItem(atPath: settings.directory + "/" + name)
            case let holder? where holder != node:
                adopted.append(name)
            default:
                break
            }
        }
        if !adopted.isEmpty {
            try await store.moveFiles(adopted, to: node)
            logger.notice("files kept under another node name now belong to this one", metadata: ["files": "\(adopted.count)"])
        }
        let missing = Set(holders.filter { $0.value == node }.keys).subtracting(onDisk)
        guard !missing.isEmpty else { return }
        guard directoryKnown else {
            logger.warning(
                "the files directory is new, but the store has files of this node: kept (is --files-dir right, is its disk mounted?)",
                metadata: ["directory": "\(settings.directory)", "files": "\(missing.count)"])
            return
        }
        for id in missing {
            logger.warning("a kept file is missing from the files directory: forgetting it", metadata: ["file": "\(id)"])
            _ = try await store.deleteFile(id)
        }
    }

    /// Removes a kept file: its row, then its content (a content left by a crash between the two is removed at start).
    func remove(_ id: String) async throws -> StoredFile? {
        guard let file = try await store.deleteFile(id) else { return nil }
        _ = try? await FileSystem.shared.removeItem(
            at: FilePath(settings.directory).appending(id), strategy: .platformDefault, recursively: false)
        return file
    }

    /// Removes the charger uploads retention says (at start and after every kept file).
    /// `keeping` is the file just kept: never removed by it, even when it alone is larger than `--files-max-total`
    /// (older ones make room for it). Upload tokens that expired or were used a day ago are forgotten on the way.
    func enforceRetention(now: Date = Date(), keeping: String? = nil) async {
        try? await store.pruneUploadTokens(before: now.addingTimeInterval(-86_400))
        guard settings.retentionDays != nil || settings.maxTotal != nil else { return }
        do {
            let expired = Retention.toRemove(
                try await store.uploadsOldestFirst(node: node), now: now, days: settings.retentionDays, maxTotal: settings.maxTotal,
                keeping: keeping)
            for file in expired where try await remove(file.id) != nil {
                logger.info("file removed by retention", metadata: ["id": "\(file.id)", "station": "\(file.cpId ?? "-")"])
            }
        } catch {
            logger.warning("file retention could not run; it runs again with the next file", metadata: ["error": "\(error)"])
        }
    }

    /// A fresh upload URL for `grant`: `{public-url}/files/upload/{token}`. 400 when ocppd has no public URL.
    func uploadURL(for grant: UploadGrant) async throws -> String {
        guard let base = settings.publicURL else {
            throw Problem.badRequest(
                "no location given, and ocppd has no --public-url (OCPPD_PUBLIC_URL) to offer its own upload URL: give one of them")
        }
        let token = Hex.random(bytes: 32)
        let now = Date()
        try await store.createUploadToken(
            hash: Hex.sha256(token.utf8), grant, at: now,
            expiresAt: now.addingTimeInterval(Double(settings.uploadTokenLifetime.components.seconds)))
        return base + "/files/upload/" + token
    }

    /// Receives one upload: the raw body (`PUT`) or the first file part of multipart/form-data (`POST`). The token is
    /// taken for the upload and given back when it fails, so that the charger's retry finds it.
    func receive(_ request: Request, token: String, multipart: Bool) async throws -> StoredFile {
        guard token.count == 64, token.allSatisfy(\.isHexDigit) else { throw Self.unknownToken }
        let hash = Hex.sha256(token.utf8)
        guard let grant = try await store.claimUploadToken(hash: hash, at: Date()) else { throw Self.unknownToken }
        do {
            return try await keep(
                request, multipart: multipart, kind: grant.kind, cpId: grant.cpId, requestId: grant.requestId,
                defaultName: "\(grant.kind.rawValue)-\(grant.cpId)-\(OCPPDate.format(Date())).bin")
        } catch {
            try? await store.releaseUploadToken(hash: hash)
            logger.notice(
                "upload failed; nothing kept, its URL stays valid for a retry",
                metadata: ["station": "\(grant.cpId)", "error": "\((error as? Problem)?.detail ?? "\(error)")"])
            throw error
        }
    }

    private static let unknownToken = Problem.notFound("unknown, used or expired upload URL")

    /// Where chargers fetch a firmware image: `{public-url}/files/firmware/{id}/{name}`; nil without a public URL.
    func firmwareURL(_ file: StoredFile) -> String? {
        settings.publicURL.map { $0 + "/files/firmware/\(file.id)/" + Self.pathSegment(file.name) }
    }

    /// The location of firmware `id` for UpdateFirmware or SignedUpdateFirmware; 400 when it names no firmware or ocppd
    /// has no public URL.
    func firmwareLocation(_ id: String) async throws -> String {
        guard let (file, _) = try await store.file(id), file.kind == .firmware else {
            throw Problem(
                status: .badRequest, detail: "invalid field 'firmwareId': no firmware '\(id)' (POST /api/firmware stores one)",
                extra: ["field": "firmwareId"])
        }
        guard let url = firmwareURL(file) else {
            throw Problem.badRequest("firmwareId needs --public-url (OCPPD_PUBLIC_URL): how chargers reach ocppd to fetch it")
        }
        return url
    }

    static func pathSegment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? text
    }

    /// Keeps a request's body, or the first file part of its multipart/form-data, as a file of `kind`: streamed to disk
    /// with its SHA-256, up to `--max-upload-size`.
    func keep(
        _ request: Request, multipart: Bool, kind: StoredFile.Kind, cpId: String?, requestId: Int?, defaultName: String
    ) async throws -> StoredFile {
        // A charger's form may carry fields before its file; an operator's firmware form may name its part `file`.
        let fieldName = kind == .firmware ? "file" : nil
        let limit = settings.maxUploadSize
        if let length = request.headers[.contentLength].flatMap(Int64.init), length > limit {
            throw Self.tooLarge(limit)
        }
        let id = Hex.random(bytes: 16)
        let path = FilePath(settings.directory).appending(id)
        var part: MultipartFirstFile?
        if multipart {
            guard let boundary = Self.boundary(request.headers[.contentType]) else {
                throw Problem.badRequest("POST takes multipart/form-data with a boundary; PUT takes the raw file")
            }
            part = MultipartFirstFile(boundary: boundary, fieldName: fieldName)
        }
        var hasher = SHA256()
        var size: Int64 = 0
        // Written to an unnamed file that appears only when it is closed without error: a cut or refused upload leaves
        // nothing behind.
        try await FileSystem.shared.withFileHandle(forWritingAt: path, options: .newFile(replaceExisting: false)) { handle in
            try await handle.withBufferedWriter { writer in
                var received: Int64 = 0
                for try await chunk in request.body {
                    // A multipart body is held to the limit as a whole too: nothing after the file part is read on and on.
                    received += Int64(chunk.readableBytes)
                    guard received <= limit + Self.formAllowance else { throw Self.tooLarge(limit) }
                    let pieces = try part.map { try $0.feed(chunk) } ?? [chunk]
                    for piece in pieces {
                        size += Int64(piece.readableBytes)
                        guard size <= limit else { throw Self.tooLarge(limit) }
                        hasher.update(data: piece.readableBytesView)
                        _ = try await writer.write(contentsOf: piece)
                    }
                }
                if let part, !part.complete {
                    throw Problem.badRequest("the multipart body has no complete file part (a part with a filename)")
                }
            }
        }
        let name = Self.safeName(part?.filename ?? Self.formQuery(request.uri.query, "name")) ?? defaultName
        let file = StoredFile(
            id: id, kind: kind, cpId: cpId, requestId: requestId, name: name, size: size,
            sha256: Hex.string(hasher.finalize()), createdAt: Date())
        do {
            try await store.addFile(file, node: node)
        } catch {
            _ = try? await FileSystem.shared.removeItem(at: path, strategy: .platformDefault, recursively: false)
            throw error
        }
        await enforceRetention(keeping: id)
        logger.info("file kept", metadata: ["station": "\(cpId ?? "-")", "kind": "\(kind.rawValue)", "id": "\(id)", "size": "\(size)"])
        await events.publish(
            "file.uploaded", cpId: cpId ?? "",
            [
                "id": .string(id), "kind": .string(kind.rawValue), "name": .string(name), "size": .integer(size),
                "sha256": .string(file.sha256), "requestId": requestId.map { .integer(Int64($0)) } ?? .null,
            ])
        return file
    }

    /// What a multipart body may carry beside its file: headers, boundaries and a few form fields.
    private static let formAllowance: Int64 = 1 << 20

    private static func tooLarge(_ limit: Int64) -> Problem {
        LimitRefusals.uploadSize.record("upload refused: larger than the limit", ["bytes": "\(limit)"])
        return Problem(status: .contentTooLarge, detail: "upload larger than \(limit) bytes (--max-upload-size); nothing was kept")
    }

    /// A query parameter as forms and HTTP clients encode it (`+` for a space, then percent-encoding): a file name such as
    /// `cp 2.0.bin` comes as `cp+2.0.bin`, a real plus as `%2B`.
    static func formQuery(_ query: String?, _ name: String) -> String? {
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == name else { continue }
            return String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
        }
        return nil
    }

    /// The boundary of a multipart/form-data Content-Type.
    static func boundary(_ contentType: String?) -> String? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data"),
            let value = HeaderParameter.value("boundary", of: contentType), (1...70).contains(value.count)
        else { return nil }
        return value
    }

    /// A name as a charger gave it, reduced to a file name: no directories, no control characters, at most 255
    /// characters; nil when nothing is left.
    static func safeName(_ name: String?) -> String? {
        // Split in Unicode scalars: a combining mark after "/" makes one Character of the two, which is no "/".
        guard let last = name?.unicodeScalars.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last else { return nil }
        let cleaned = String(String.UnicodeScalarView(last.filter { $0.value >= 0x20 && $0.value != 0x7F }))
            .trimmingCharacters(in: .whitespaces)
        guard !cleaned.isEmpty, cleaned != ".", cleaned != ".." else { return nil }
        return String(cleaned.unicodeScalars.prefix(255))
    }
}
