import Crypto
import Foundation
import Logging
import Shared

/// The REST API's bearer token: configured (flag, environment, config file), or generated once into the data
/// directory (mode 0600). A generated token can be rotated without a restart: through the API, or by `ocppd token
/// rotate` writing the file, which the running ocppd reads again (every few seconds and on SIGHUP). Tokens are
/// compared as SHA-256 digests in constant time (so timing tells nothing of the token, not even its length) and
/// never logged.
final class APIToken: Sendable {
    enum Source: Sendable, Equatable {
        /// Set by --api-token, OCPPD_API_TOKEN or the config file: only the configuration changes it.
        case configured
        case file(String)
    }

    /// What the file said when last read or written, so that a reload takes only a change of the file, and what
    /// went wrong reading it, logged once.
    private struct FileState {
        var token: String?
        var problem: String?
    }

    let source: Source
    /// The token in force, as its digest: read by every request's task (`matches`), replaced by `rotate` and `reload`
    /// inside `file`'s lock. Taken alone or inside `file`, never around it.
    private let digest: Locked<[UInt8]>
    /// Held while the file is read or written and the token replaced: a reload that read the file just before a
    /// rotation wrote it cannot put the old token back. Guards the last token read and the problem logged.
    private let file: Locked<FileState>
    private let logger: Logger

    init(source: Source, token: String, logger: Logger = Logger(label: "ocppd")) {
        self.source = source
        self.logger = logger
        digest = Locked(Self.digest(Array(token.utf8)))
        file = Locked(FileState(token: token))
    }

    static func filePath(dataDirectory: String) -> String { dataDirectory + "/api-token" }

    /// Tokens shorter than this, when configured, are warned about.
    static let recommendedLength = 32

    /// The configured token, or the data directory's, generated when there is none yet.
    static func resolve(configuration: Configuration, logger: Logger) throws -> APIToken {
        if let token = configuration.apiToken, !token.isEmpty {
            if token.utf8.count < recommendedLength {
                logger.warning(
                    "the configured API token is short: use at least \(recommendedLength) random characters (openssl rand -hex 32)",
                    metadata: ["length": "\(token.utf8.count)"])
            }
            return APIToken(source: .configured, token: token, logger: logger)
        }
        let path = filePath(dataDirectory: configuration.dataDirectory)
        switch read(path) {
        case .success(let existing?):
            logger.info("API token read from file", metadata: ["path": "\(path)"])
            return APIToken(source: .file(path), token: existing, logger: logger)
        case .success(nil):
            let token = generate()
            try write(token, to: path)
            logger.notice("generated an API token", metadata: ["path": "\(path)"])
            return APIToken(source: .file(path), token: token, logger: logger)
        case .failure(let problem):
            throw ConfigurationError(description: "API token file: \(problem.description)")
        }
    }

    /// Whether `presented` is the token.
    func matches(_ presented: [UInt8]) -> Bool {
        let presentedDigest = Self.digest(presented)
        return digest.withLock { constantTimeEqual(presentedDigest, $0) }
    }

    /// A new token, in force at once and saved to the file; the old one stops working. nil for a configured token.
    func rotate() throws -> String? {
        guard case .file(let path) = source else { return nil }
        return try file.withLock { state in
            let fresh = Self.generate()
            try Self.write(fresh, to: path)
            state = FileState(token: fresh)
            digest.withLock { $0 = Self.digest(Array(fresh.utf8)) }
            return fresh
        }
    }

    /// Takes the file's token if the file changed (`ocppd token rotate` wrote it) and logs it; returns whether it
    /// did. A file that cannot be read leaves the token in force and is logged once, as an error.
    @discardableResult
    func reload() -> Bool {
        guard case .file(let path) = source else { return false }
        return file.withLock { state in
            switch Self.read(path) {
            case .failure(let problem):
                if state.problem != problem.description {
                    logger.error(
                        "cannot read the API token file: the token in force stays",
                        metadata: ["path": "\(path)", "error": "\(problem.description)"])
                }
                state.problem = problem.description
                return false
            case .success(nil):
                state.problem = nil
                return false
            case .success(let current?):
                state.problem = nil
                guard current != state.token else { return false }
                state.token = current
                digest.withLock { $0 = Self.digest(Array(current.utf8)) }
                logger.notice("API token changed: the new token from the data directory is in force")
                return true
            }
        }
    }

    static func generate() -> String { Hex.random(bytes: 32) }

    private static func digest(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }

    /// The file's token: nil when there is no file or it is empty; a failure when it is there but unreadable.
    private static func read(_ path: String) -> Result<String?, ConfigurationError> {
        guard FileManager.default.fileExists(atPath: path) else { return .success(nil) }
        do {
            let token = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            return .success(token.isEmpty ? nil : token)
        } catch {
            return .failure(ConfigurationError(description: "cannot read \(path): \(String(cString: strerror(errno)))"))
        }
    }

    /// Written to a new file (mode 0600 from the start) that then replaces the old one, so that a reader never sees
    /// half a token. The file keeps its owner: `sudo ocppd token rotate` must not leave a file the ocppd user cannot
    /// read (which would leave the old token in force).
    static func write(_ token: String, to path: String) throws {
        var existing = stat()
        let exists = stat(path, &existing) == 0
        if exists && existing.st_uid != geteuid() && geteuid() != 0 {
            throw ConfigurationError(
                description: "\(path) belongs to user id \(existing.st_uid): run this as that user (the one ocppd runs as)")
        }
        let temporary = path + ".new"
        try? FileManager.default.removeItem(atPath: temporary)
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else { throw ConfigurationError(description: "cannot write the API token to \(temporary)") }
        if exists && (existing.st_uid != geteuid() || existing.st_gid != getegid()) {
            guard chown(temporary, existing.st_uid, existing.st_gid) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(atPath: temporary)
                throw ConfigurationError(description: "cannot give \(temporary) the owner of \(path): \(reason)")
            }
        }
        guard rename(temporary, path) == 0 else {
            throw ConfigurationError(description: "cannot replace \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// Whether two byte strings are equal, in time that depends only on their lengths (give it digests of equal length).
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
}
