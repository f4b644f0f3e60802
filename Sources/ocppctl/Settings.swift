import ArgumentParser
import Foundation

/// Output format of every command.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(
        help:
            "ocppd's URL, or the URLs of a cluster's nodes separated by commas: the first that answers is used (env OCPPCTL_SERVER, config file; default http://127.0.0.1:3000)."
    )
    var server: String?

    @Option(help: "API token (env OCPPCTL_TOKEN, config file, or the api-token file in ocppd's data directory).")
    var token: String?

    @Option(name: .shortAndLong, help: "Output: table for people, json for scripts (the API's JSON as it is).")
    var output: OutputFormat = .table

    @Option(help: "Seconds a command may wait for the charge point's answer (and a file transfer for the server's).")
    var timeout: Double = 40

    @Option(help: "Seconds the server may take to accept the connection, and then to start answering (default 5).")
    var connectTimeout: Double = 5

    /// The client these options describe.
    func client() throws -> APIClient {
        let environment = ProcessInfo.processInfo.environment
        let file = CtlConfig.load(environment: environment)
        let server = self.server ?? environment["OCPPCTL_SERVER"].nonEmpty ?? file.server ?? "http://127.0.0.1:3000"
        let token = self.token ?? environment["OCPPCTL_TOKEN"].nonEmpty ?? file.token ?? CtlConfig.localToken(environment: environment)
        guard timeout > 0 else { throw CtlError(.usage, "--timeout must be positive") }
        guard connectTimeout > 0 else { throw CtlError(.usage, "--connect-timeout must be positive") }
        return try APIClient(
            server: server, token: token, timeout: .milliseconds(Int64(timeout * 1000)),
            connectTimeout: .milliseconds(Int64(connectTimeout * 1000)))
    }
}

/// `~/.config/ocppctl/config` (`$XDG_CONFIG_HOME/ocppctl/config` when that is set): `server=` and `token=` lines,
/// written by `ocppctl login`. Blank lines and `#` comments are skipped; a value may be quoted.
struct CtlConfig {
    var server: String?
    var token: String?

    /// Where `login` writes: the file in use, else the XDG place.
    static func path(environment: [String: String]) -> String {
        let paths = paths(environment: environment)
        return paths.first { FileManager.default.fileExists(atPath: $0) } ?? paths[0]
    }

    /// Where the file is looked for: the XDG place, then ~/.config (where PRODUCT.md says it is) when XDG moved it.
    static func paths(environment: [String: String]) -> [String] {
        let home = (environment["HOME"] ?? ".") + "/.config/ocppctl/config"
        guard let base = environment["XDG_CONFIG_HOME"].nonEmpty else { return [home] }
        let xdg = base + "/ocppctl/config"
        return xdg == home ? [home] : [xdg, home]
    }

    static func load(environment: [String: String]) -> CtlConfig {
        let text = paths(environment: environment).lazy.compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }.first
        var config = CtlConfig()
        for line in (text ?? "").split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].hasPrefix("#") else { continue }
            var value = parts[1]
            if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'", value.last == quote {
                value = String(value.dropFirst().dropLast())
            }
            switch parts[0] {
            case "server": config.server = value
            case "token": config.token = value
            default: continue
            }
        }
        return config
    }

    /// Writes the file with mode 0600: it holds a secret.
    func save(environment: [String: String]) throws -> String {
        let path = Self.path(environment: environment)
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var text = ""
        if let server { text += "server=\(server)\n" }
        if let token { text += "token=\(token)\n" }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CtlError(.failure, "cannot write \(path)")
        }
        // createFile keeps an existing file's mode: make sure it is private.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        return path
    }

    /// The token a local ocppd generated, so that ocppctl works next to it without any flag.
    static func localToken(environment: [String: String]) -> String? {
        var candidates: [String] = []
        if let dir = environment["OCPPD_DATA_DIR"].nonEmpty { candidates.append(dir) }
        candidates.append("./data")
        candidates.append("/var/lib/ocppd")
        candidates.append((environment["XDG_DATA_HOME"].nonEmpty ?? ((environment["HOME"] ?? ".") + "/.local/share")) + "/ocppd")
        for dir in candidates {
            if let token = try? String(contentsOfFile: dir + "/api-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
                !token.isEmpty
            {
                return token
            }
        }
        return nil
    }
}

extension Optional where Wrapped == String {
    /// nil for an empty string too.
    var nonEmpty: String? {
        guard let self, !self.isEmpty else { return nil }
        return self
    }
}
