import ArgumentParser
import Crypto
import Foundation
import NIOCore
import NIOFoundationCompat
import Shared

// Files a charger uploads to ocppd (diagnostics, logs) and firmware ocppd serves to chargers, each in one command:
// ask, follow the charger's status notifications, and save or push the file (PRODUCT.md §9).

/// The options of a command that has a station upload a file: where it goes and how long to wait for it.
struct UploadOptions: ParsableArguments {
    @Option(name: [.customShort("O"), .customLong("output-file")], help: "Where to save the file ('-': standard output).")
    var outputFile: String?
    @Option(help: "Have the station upload to this URL instead of ocppd (nothing is followed or saved).") var location: String?
    @OptionGroup var retries: RetryOptions
    @Option(help: "Seconds to wait for the upload.") var wait: Int = 600

    func validate() throws {
        if location != nil, outputFile != nil { throw ValidationError("-O saves what comes to ocppd: leave out --location") }
    }
}

/// `retries` and `retryInterval` of the commands that have a station fetch or upload a file.
struct RetryOptions: ParsableArguments {
    @Option(help: "Retries.") var retries: Int?
    @Option(help: "Seconds between retries.") var retryInterval: Int?

    /// `body` with the retry members given.
    func adding(to body: JSONObject) -> JSONObject {
        var body = body
        if let retries { body["retries"] = .integer(Int64(retries)) }
        if let retryInterval { body["retryInterval"] = .integer(Int64(retryInterval)) }
        return body
    }
}

/// A command that has a station upload a file: to `--location` (sent, nothing more), or to ocppd, followed by the
/// station's status notifications and saved to a local file.
protocol UploadCommand: ChargePointCommand {
    var upload: UploadOptions { get }
    /// The file kind ocppd keeps it as, the event of the station's statuses, and its statuses that mean failure.
    static var kind: StoredFile.Kind { get }
    static var statusEvent: String { get }
    static var failures: Set<String> { get }
    /// The progress line for the station's answer; throws `refused` when it will not upload.
    func requested(_ answer: JSONValue) throws -> String
}

extension UploadCommand {
    func execute(_ client: APIClient) async throws {
        guard upload.location == nil else {
            try await sendAndPrint(client)
            return
        }
        let steps = Steps(station: station, toStandardError: upload.outputFile == "-" || global.output == .json)
        let watch = try await StationWatch.open(client, station: station)
        steps(try requested(try await client.command(station, Self.command, payload()).json()))
        let file = try await watch.upload(
            kind: Self.kind, statusEvent: Self.statusEvent, label: Self.kind.rawValue, failures: Self.failures, done: "Uploaded",
            seconds: upload.wait, steps: steps)
        try await FileDownload.save(id: file.id, from: client, to: upload.outputFile, steps: steps, json: global.output == .json)
    }
}

/// Diagnostics of a charge point into a file, through ocppd (or uploaded to `--location`).
struct Diagnostics: UploadCommand {
    static let configuration = CommandConfiguration(
        abstract: "Get a charge point's diagnostics into a file (or have them uploaded to --location).",
        discussion: """
            Without --location, ocppd hands the charge point its own upload URL (ocppd needs --public-url), \
            the station's DiagnosticsStatusNotifications are shown as they come, and the file is saved to -O FILE \
            (default: the name the station gave, in the current directory; '-': standard output). \
            Exit codes per step: 4/5 the request (offline, refused or nothing to upload), 9 the upload failed, \
            6 no upload within --wait, 10 the file could not be written.
            """)
    static let command = "get-diagnostics"
    static let kind = StoredFile.Kind.diagnostics
    static let statusEvent = "diagnostics.status"
    static let failures: Set = ["UploadFailed"]
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Station id.", completion: Completion.stations) var station: String
    @OptionGroup var upload: UploadOptions
    @Option(help: "Oldest log time (RFC 3339).") var startTime: String?
    @Option(help: "Newest log time (RFC 3339).") var stopTime: String?

    func payload() -> JSONValue {
        var body: JSONObject = [:]
        if let location = upload.location { body["location"] = .string(location) }
        if let startTime { body["startTime"] = .string(startTime) }
        if let stopTime { body["stopTime"] = .string(stopTime) }
        return .object(upload.retries.adding(to: body))
    }

    func requested(_ answer: JSONValue) throws -> String {
        guard let fileName = answer["fileName"]?.stringValue else {
            throw CtlError(.refused, "\(station) has no diagnostics to upload (GetDiagnostics answered without a fileName)")
        }
        return "diagnostics requested: the station uploads \(fileName)"
    }
}

/// A charge point's log (GetLog of the security extension) into a file, through ocppd (or uploaded to `--location`).
struct Logs: UploadCommand {
    static let configuration = CommandConfiguration(
        abstract: "Get a charge point's diagnostics or security log into a file (GetLog).",
        discussion: """
            Without --location, ocppd hands the charge point its own upload URL (ocppd needs --public-url), \
            the station's LogStatusNotifications are shown as they come, and the file is saved to -O FILE \
            (default: the name the station gave, in the current directory; '-': standard output). \
            Exit codes per step: 4/5 the request (offline or refused), 9 the upload failed, 6 no upload within \
            --wait, 10 the file could not be written.
            """)
    static let command = "get-log"
    static let kind = StoredFile.Kind.log
    static let statusEvent = "log.status"
    static let failures: Set = ["BadMessage", "NotSupportedOperation", "PermissionDenied", "UploadFailure"]
    enum LogType: String, ExpressibleByArgument, CaseIterable {
        case diagnosticsLog = "DiagnosticsLog", securityLog = "SecurityLog"
    }
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Station id.", completion: Completion.stations) var station: String
    @OptionGroup var upload: UploadOptions
    @Option(help: "Which log.") var type: LogType = .diagnosticsLog
    @Option(help: "Oldest entry (RFC 3339).") var oldest: String?
    @Option(help: "Newest entry (RFC 3339).") var latest: String?

    func payload() -> JSONValue {
        var log: JSONObject = [:]
        if let location = upload.location { log["remoteLocation"] = .string(location) }
        if let oldest { log["oldestTimestamp"] = .string(oldest) }
        if let latest { log["latestTimestamp"] = .string(latest) }
        return .object(upload.retries.adding(to: ["logType": .string(type.rawValue), "log": .object(log)]))
    }

    func requested(_ answer: JSONValue) throws -> String {
        let status = answer["status"]?.stringValue ?? "?"
        guard !refusedStatuses.contains(status) else { throw CtlError(.refused, "\(station) answered GetLog with \(status)") }
        return "\(type.rawValue) requested: \(status)" + (answer["filename"]?.stringValue.map { ", the station uploads \($0)" } ?? "")
    }
}

/// Firmware of a charge point: pushed through ocppd, or fetched from a URL of your own.
struct Firmware: CommandGroup {
    static let configuration = CommandConfiguration(abstract: "Firmware of a charge point.", subcommands: [Push.self, Update.self])

    struct Push: APICommand {
        static let configuration = CommandConfiguration(
            abstract: "Install a firmware image on a charge point: stored by ocppd, fetched by the station from it.",
            discussion: """
                Uploads FILE to ocppd (POST /api/firmware; ocppd needs --public-url), sends UpdateFirmware with the URL \
                ocppd serves it at, and follows the station's FirmwareStatusNotifications to Installed. Exit codes per \
                step: 10 FILE cannot be read, 1/7/8 the upload to ocppd, 4/5 the request (offline or refused), \
                9 the station's download or installation failed, 6 not installed within --wait.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Station id.", completion: Completion.stations) var station: String
        @Argument(help: "The firmware image.", completion: .file()) var file: String
        @Option(help: "When the station fetches it: RFC 3339 or a duration from now (default now).") var at: String?
        @OptionGroup var retries: RetryOptions
        @Option(help: "Seconds to wait for Installed (0: stop once the station has the request).") var wait: Int = 1800

        func execute(_ client: APIClient) async throws {
            let retrieveDate = try at.map { try Reserve.date($0) } ?? OCPPDate.format(Date())
            let steps = Steps(station: station, toStandardError: global.output == .json)
            let (size, sha256) = try LocalFile.digest(file)
            // Fail fast: an unknown or offline station is known before the image travels.
            let target = try await client.get("/api/stations/\(APIClient.segment(station))").decode(Station.self)
            guard target.connected else { throw CtlError(.stationOffline, "station '\(station)' is not connected") }
            let stored: StoredFile
            let kept = try await client.get("/api/files", query: [("kind", "firmware"), ("limit", "1000")]).decode([StoredFile].self)
            if let same = kept.first(where: { $0.sha256 == sha256 && $0.size == size }) {
                stored = same
                steps("firmware already in ocppd as \(same.id) (\(same.name), \(size) bytes, sha256 \(sha256))")
            } else {
                let bar = ProgressBar(total: size)
                let response = try await client.upload(
                    "/api/firmware", query: [("name", URL(fileURLWithPath: file).lastPathComponent)], file: file, size: size,
                    sent: { bar.update($0) })
                bar.finish()
                stored = try response.decode(StoredFile.self)
                guard stored.sha256 == sha256 else {
                    throw CtlError(
                        .failure, "ocppd kept \(stored.id) with sha256 \(stored.sha256), not the file's \(sha256); changed while sent?")
                }
                steps("firmware stored in ocppd as \(stored.id) (\(size) bytes, sha256 \(sha256))")
            }
            let watch = try await StationWatch.open(client, station: station)
            let body = retries.adding(to: ["firmwareId": .string(stored.id), "retrieveDate": .string(retrieveDate)])
            _ = try await client.command(station, "update-firmware", .object(body))
            steps("UpdateFirmware accepted: the station fetches it from \(retrieveDate)")
            if global.output == .json { print(try JSONCoding.jsonValue(stored).jsonText) }
            guard wait > 0 else { return }
            try await watch.firmwareInstalled(seconds: wait, steps: steps)
        }
    }

    struct Update: ChargePointCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask a charge point to download and install firmware from a URL or a firmware ocppd keeps.")
        static let command = "update-firmware"
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Station id.", completion: Completion.stations) var station: String
        @Option(help: "URL of the firmware.") var location: String?
        @Option(help: "Id of a firmware ocppd keeps (see 'files list --kind firmware').") var firmwareId: String?
        @Option(help: "When to fetch it: RFC 3339 or a duration from now (default now).") var retrieveAt: String = "0s"
        @OptionGroup var retries: RetryOptions

        func validate() throws {
            guard (location == nil) != (firmwareId == nil) else { throw ValidationError("give --location or --firmware-id") }
        }

        func payload() throws -> JSONValue {
            var body: JSONObject = [
                "retrieveDate": .string(retrieveAt == "0s" ? OCPPDate.format(Date()) : try Reserve.date(retrieveAt))
            ]
            if let location { body["location"] = .string(location) }
            if let firmwareId { body["firmwareId"] = .string(firmwareId) }
            return .object(retries.adding(to: body))
        }
    }
}

/// Files ocppd keeps: charger uploads and firmware.
struct Files: CommandGroup {
    static let configuration = CommandConfiguration(
        abstract: "Files ocppd keeps: diagnostics and logs from stations, firmware for them.", subcommands: [List.self, Get.self, Rm.self])

    struct List: APICommand {
        static let configuration = CommandConfiguration(abstract: "List kept files, newest first.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this station's.", completion: Completion.stations) var station: String?
        @Option(help: "Only diagnostics, log or firmware.") var kind: StoredFile.Kind?
        @OptionGroup var page: PageOptions

        func execute(_ client: APIClient) async throws {
            let response = try await client.get("/api/files", query: page.query + [("cpId", station), ("kind", kind?.rawValue)])
            if global.output == .json { return Output.raw(response) }
            let files = try response.decode([StoredFile].self)
            Output.table(
                ["ID", "KIND", "STATION", "NAME", "SIZE", "CREATED", "SHA256"],
                files.map { file in
                    [
                        Cell(file.id, .bold), Cell(file.kind.rawValue), Cell(optional: file.cpId), Cell(file.name),
                        Cell(Output.bytes(file.size)), Cell(Output.time(file.createdAt)), Cell(String(file.sha256.prefix(16)) + "…"),
                    ]
                })
            page.footer(shown: files.count, total: response.totalCount)
        }
    }

    struct Get: APICommand {
        static let configuration = CommandConfiguration(abstract: "Download a kept file (its SHA-256 checked).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "File id.") var id: String
        @Option(name: [.customShort("O"), .customLong("output-file")], help: "Where to save it (default: its name; '-': standard output).")
        var outputFile: String?

        func execute(_ client: APIClient) async throws {
            let steps = Steps(station: nil, toStandardError: outputFile == "-" || global.output == .json)
            try await FileDownload.save(id: id, from: client, to: outputFile, steps: steps, json: global.output == .json)
        }
    }

    struct Rm: APICommand {
        static let configuration = CommandConfiguration(abstract: "Remove a kept file.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "File id.") var id: String

        func execute(_ client: APIClient) async throws {
            try await client.send(.DELETE, "/api/files/\(APIClient.segment(id))")
            if global.output != .json { print("file \(id) removed") }
        }
    }
}

extension StoredFile.Kind: ExpressibleByArgument {}

/// The progress lines of a command that waits: on standard output, or standard error when that carries the file or
/// JSON.
struct Steps: Sendable {
    let station: String?
    let toStandardError: Bool

    func callAsFunction(_ text: String) {
        let line = station.map { "\($0): \(text)" } ?? text
        if toStandardError {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        } else {
            Output.progress(line)
        }
    }
}

/// The events of one station, opened before a command is sent so that nothing the command causes is missed.
struct StationWatch: Sendable {
    let station: String
    let events: AsyncThrowingStream<(type: String, data: String), any Error>

    /// Nothing is sent to the station unless the stream is open: a refused stream (unauthorized, too many subscribers)
    /// ends the command before it starts.
    static func open(_ client: APIClient, station: String) async throws -> StationWatch {
        let (opened, signal) = AsyncStream.makeStream(of: (any Error)?.self)
        let events = client.events(cpId: station) { failure in
            signal.yield(failure)
            signal.finish()
        }
        for await failure in opened {
            if let failure { throw failure }
        }
        return StationWatch(station: station, events: events)
    }

    /// The events' data as JSON, until one gives `until` an answer; a server that goes away ends it as unreachable.
    private func read<T: Sendable>(_ until: (String, JSONValue) throws -> T?) async throws -> T {
        for try await event in events {
            guard let data = try? JSONParser.parse(Array(event.data.utf8)) else { continue }
            if let value = try until(event.type, data) { return value }
        }
        throw CtlError(.unreachable, "the event stream ended before \(station) was done")
    }

    /// Follows an upload the station was asked for: shows each of its statuses, fails on a failure status, and
    /// returns the file once ocppd has it and the station has said `done` (or a few seconds after the file came,
    /// for a station that does not say it).
    func upload(
        kind: StoredFile.Kind, statusEvent: String, label: String, failures: Set<String>, done: String, seconds: Int, steps: Steps
    ) async throws -> StoredFile {
        let station = station
        @Sendable func status(_ data: JSONValue) throws -> Bool {
            let status = data["status"]?.stringValue ?? "?"
            steps("\(label) \(Output.paint(status, failures.contains(status) ? .red : status == done ? .green : nil))")
            if failures.contains(status) { throw CtlError(.transferFailed, "\(station) reported \(label) \(status)") }
            return status == done
        }
        let (file, finished) = try await within(seconds, "no \(label) from \(station) within \(seconds) s (--wait)") {
            var finished = false
            return try await read { type, data -> (StoredFile, Bool)? in
                if type == statusEvent, try status(data) { finished = true }
                guard type == "file.uploaded", data["kind"]?.stringValue == kind.rawValue,
                    let file = try? JSONValueDecoder.decode(UploadedFile.self, from: data)
                else { return nil }
                return (file.stored(kind: kind, cpId: station), finished)
            }
        }
        if !finished {
            _ = try? await within(5, "") {
                try await read { type, data -> Bool? in
                    guard type == statusEvent else { return nil }
                    return try status(data) ? true : nil
                }
            }
        }
        return file
    }

    /// Follows FirmwareStatusNotifications to Installed; a failure status is exit `transferFailed`.
    func firmwareInstalled(seconds: Int, steps: Steps) async throws {
        let station = station
        let failures: Set<String> = ["DownloadFailed", "InstallationFailed", "InvalidSignature", "InstallVerificationFailed"]
        _ = try await within(seconds, "\(station) did not report the firmware Installed within \(seconds) s (--wait)") {
            try await read { type, data -> Bool? in
                guard type == "firmware.status", let status = data["status"]?.stringValue else { return nil }
                steps("firmware \(Output.paint(status, failures.contains(status) ? .red : status == "Installed" ? .green : nil))")
                if failures.contains(status) { throw CtlError(.transferFailed, "\(station) reported firmware \(status)") }
                return status == "Installed" ? true : nil
            }
        }
    }

    /// What event `file.uploaded` says of the file.
    private struct UploadedFile: Decodable {
        var id: String
        var name: String
        var size: Int64
        var sha256: String
        var requestId: Int?
        var at: Date

        func stored(kind: StoredFile.Kind, cpId: String) -> StoredFile {
            StoredFile(id: id, kind: kind, cpId: cpId, requestId: requestId, name: name, size: size, sha256: sha256, createdAt: at)
        }
    }
}

/// `body`'s value, or exit `timeout` with `message` once `seconds` have passed.
func within<T: Sendable>(_ seconds: Int, _ message: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let value = try await group.next() ?? nil else { throw CtlError(.timeout, message) }
        return value
    }
}

/// Saves a kept file: streamed from ocppd into a temporary file beside the target, checked against the SHA-256 and
/// size ocppd sends with it (Repr-Digest, Content-Length), then renamed into place (or to standard output): a failed
/// download leaves nothing behind.
enum FileDownload {
    static func save(id: String, from client: APIClient, to output: String?, steps: Steps, json: Bool) async throws {
        var sink: FileSink?
        var target = output ?? "-"
        var expected: (sha256: String?, size: Int64?) = (nil, nil)
        var hasher = SHA256()
        var size: Int64 = 0
        do {
            try await client.download("/api/files/\(APIClient.segment(id))") { headers in
                if output == nil {
                    guard let name = headers.first(name: "Content-Disposition").flatMap(filename) else {
                        throw CtlError(.failure, "ocppd sent file \(id) without a name: save it with -O")
                    }
                    guard !FileManager.default.fileExists(atPath: name) else {
                        throw CtlError(.localFile, "\(name) exists already; name the file to write with -O")
                    }
                    target = name
                }
                expected = (headers.first(name: "Repr-Digest").flatMap(digest), headers.first(name: "Content-Length").flatMap { Int64($0) })
                sink = try FileSink(target)
            } into: { chunk in
                hasher.update(data: chunk.readableBytesView)
                size += Int64(chunk.readableBytes)
                try sink?.write(chunk)
            }
            let sha256 = Hex.string(hasher.finalize())
            guard expected.sha256 ?? sha256 == sha256, expected.size ?? size == size else {
                throw CtlError(
                    .failure,
                    "the download of \(id) is not the file ocppd kept (\(size) bytes, sha256 \(sha256))"
                        + (target == "-" ? ": do not use what was written" : "; nothing saved"))
            }
            try sink?.commit()
            if json {
                let object: JSONValue = [
                    "id": .string(id), "savedTo": .string(target), "size": .integer(size), "sha256": .string(sha256),
                ]
                if target == "-" { FileHandle.standardError.write(Data((object.jsonText + "\n").utf8)) } else { print(object.jsonText) }
            } else {
                steps("saved \(target == "-" ? "to standard output" : target) (\(size) bytes, sha256 \(sha256))")
            }
        } catch {
            sink?.discard()
            throw error
        }
    }

    /// The file name of a Content-Disposition, reduced to a name in the current directory.
    static func filename(_ disposition: String) -> String? {
        guard let name = HeaderParameter.value("filename", of: disposition)?.split(separator: "/").last,
            !name.hasPrefix(".")
        else { return nil }
        return String(name)
    }

    /// The hex SHA-256 of a Repr-Digest `sha-256=:BASE64:`.
    static func digest(_ header: String) -> String? {
        for member in header.split(separator: ",") {
            let parts = member.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0] == "sha-256",
                let data = Data(base64Encoded: String(parts[1].trimmingCharacters(in: CharacterSet(charactersIn: ":"))))
            else { continue }
            return Hex.string(data)
        }
        return nil
    }
}

/// A local file read for its size and SHA-256.
enum LocalFile {
    static func digest(_ path: String) throws -> (size: Int64, sha256: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CtlError(.localFile, "cannot read \(path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        do {
            while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
                hasher.update(data: data)
                size += Int64(data.count)
            }
        } catch {
            throw CtlError(.localFile, "cannot read \(path): \(error.localizedDescription)")
        }
        return (size, Hex.string(hasher.finalize()))
    }
}

/// A file being written: a temporary file beside `path` until `commit` renames it into place; `-` is standard output.
final class FileSink {
    private let path: String
    private let temporary: String?
    private let handle: FileHandle

    init(_ path: String) throws {
        self.path = path
        if path == "-" {
            temporary = nil
            handle = .standardOutput
            return
        }
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).part-\(getpid())").path
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary)
        else { throw CtlError(.localFile, "cannot write \(path)") }
        self.temporary = temporary
        self.handle = handle
    }

    func write(_ chunk: ByteBuffer) throws {
        do {
            try handle.write(contentsOf: Data(chunk.readableBytesView))
        } catch {
            throw LocalFileError(message: "cannot write \(path): \(error.localizedDescription)")
        }
    }

    func commit() throws {
        guard let temporary else { return }
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            discard()
            throw CtlError(.localFile, "cannot write \(path): \(error.localizedDescription)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            discard()
            throw CtlError(.localFile, "cannot write \(path): \(reason)")
        }
    }

    func discard() {
        guard let temporary else { return }
        try? handle.close()
        try? FileManager.default.removeItem(atPath: temporary)
    }
}

/// A progress bar of an upload on standard error, when that is a terminal.
final class ProgressBar: Sendable {
    private let total: Int64
    /// The percentage on screen (-1: nothing shown yet). `update` comes from the upload's body stream, on whatever
    /// thread reads the file, and `finish` from the command's task; test and change are one step under the lock.
    private let shown = Locked(-1)
    private let visible = isatty(STDERR_FILENO) == 1

    init(total: Int64) {
        self.total = total
    }

    func update(_ sent: Int64) {
        guard visible else { return }
        let percent = total > 0 ? Int(sent * 100 / total) : 100
        guard
            shown.withLock({ shown in
                guard shown != percent else { return false }
                shown = percent
                return true
            })
        else { return }
        let width = 30
        let filled = width * percent / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(percent)% \(Output.bytes(sent)) of \(Output.bytes(total))".utf8))
    }

    func finish() {
        guard visible, shown.withLock({ $0 >= 0 }) else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
