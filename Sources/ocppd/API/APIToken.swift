import Foundation
import Logging
import Synchronization

/// The REST API's bearer token: configured (flag, environment, config file), or generated once into the data
/// directory (mode 0600). A generated token can be rotated without a restart: through the API, or by `ocppd token
/// rotate` writing the file, which the running ocppd reads again (every few seconds and on SIGHUP). Tokens are
/// compared in constant time and never logged.
final class APIToken: Sendable {
    enum Source: Sendable, Equatable {
        /// Set by --api-token, OCPPD_API_TOKEN or the config file: only the configuration changes it.
        case configured
        case file(String)
    }

    let source: Source
    private let token: Mutex<[UInt8]>

    init(source: Source, token: String) {
        self.source = source
        self.token = Mutex(Array(token.utf8))
    }

    static func filePath(dataDirectory: String) -> String { dataDirectory + "/api-token" }

    /// The configured token, or the data directory's, generated when there is none yet.
    static func resolve(configuration: Configuration, logger: Logger) throws -> APIToken {
        if let token = configuration.apiToken, !token.isEmpty { return APIToken(source: .configured, token: token) }
        let path = filePath(dataDirectory: configuration.dataDirectory)
        if let existing = read(path) {
            logger.info("API token read from file", metadata: ["path": "\(path)"])
            return APIToken(source: .file(path), token: existing)
        }
        let token = generate()
        try write(token, to: path)
        logger.notice("generated an API token", metadata: ["path": "\(path)"])
        return APIToken(source: .file(path), token: token)
    }

    /// Whether `presented` is the token, in time that does not depend on where they differ.
    func matches(_ presented: [UInt8]) -> Bool {
        token.withLock { constantTimeEqual(presented, $0) }
    }

    /// A new token, in force at once and saved to the file; the old one stops working. nil for a configured token.
    func rotate() throws -> String? {
        guard case .file(let path) = source else { return nil }
        let fresh = Self.generate()
        try Self.write(fresh, to: path)
        token.withLock { $0 = Array(fresh.utf8) }
        return fresh
    }

    /// Takes the file's token if it changed (`ocppd token rotate` wrote it); returns whether it did.
    @discardableResult
    func reload() -> Bool {
        guard case .file(let path) = source, let current = Self.read(path) else { return false }
        let bytes = Array(current.utf8)
        return token.withLock { token in
            guard token != bytes else { return false }
            token = bytes
            return true
        }
    }

    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    private static func read(_ path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return token.isEmpty ? nil : token
    }

    /// Written to a new file (mode 0600 from the start) that then replaces the old one, so that a reader never sees
    /// half a token.
    static func write(_ token: String, to path: String) throws {
        let temporary = path + ".new"
        try? FileManager.default.removeItem(atPath: temporary)
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else { throw ConfigurationError(description: "cannot write the API token to \(temporary)") }
        guard rename(temporary, path) == 0 else {
            throw ConfigurationError(description: "cannot replace \(path): \(String(cString: strerror(errno)))")
        }
    }
}

func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference = UInt8(a.count == b.count ? 0 : 1)
    for i in 0..<max(a.count, b.count) {
        difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
    }
    return difference == 0
}
