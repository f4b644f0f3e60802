import Foundation

/// A database URL that is not a usable MariaDB URL; the message says what to fix and never shows the password.
struct MariaDBURLError: Error, CustomStringConvertible, Equatable, Sendable {
    var description: String

    init(_ description: String) {
        self.description = "invalid MariaDB URL: \(description)"
    }
}

/// Where and how to reach MariaDB: `mysql://USER:PASSWORD@HOST:PORT/DATABASE` (also `mariadb://`), or a unix socket as
/// `mysql://USER:PASSWORD@localhost/DATABASE?socket=/run/mysqld/mysqld.sock`, the spelling of the original gateway's
/// Prisma `DATABASE_URL`. User, password and database are percent-decoded.
struct MariaDBURL: Sendable, Equatable, CustomStringConvertible {
    enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case socket(path: String)
    }

    static let defaultPort = 3306
    static let schemes = ["mysql", "mariadb"]
    static let parameters = ["socket", "connect_timeout", "socket_timeout", "connection_limit"]

    var endpoint: Endpoint
    var user: String
    var password: String?
    var database: String
    /// Seconds to wait for the server to accept a connection.
    var connectTimeout = 10
    /// Seconds one network read or write may block before the connection counts as lost. Longer than InnoDB's
    /// default lock wait (50 s), so a statement waiting for a lock fails as a lock wait, not as a lost connection.
    var socketTimeout = 60
    /// Whether the URL set `socket_timeout` (cluster mode shortens the default, see `MariaDBStore`).
    private(set) var socketTimeoutGiven = false
    /// How many connections the store may open (`connection_limit`, as Prisma names it); nil leaves it to the store.
    var connectionLimit: Int?

    init(endpoint: Endpoint, user: String, password: String?, database: String) {
        self.endpoint = endpoint
        self.user = user
        self.password = password
        self.database = database
    }

    /// True when `string` names MariaDB by its scheme, whether or not the rest is valid.
    static func hasMariaDBScheme(_ string: String) -> Bool {
        guard let range = string.range(of: "://") else { return false }
        return schemes.contains(string[..<range.lowerBound].lowercased())
    }

    init(_ string: String) throws(MariaDBURLError) {
        let form = "expected mysql://USER:PASSWORD@HOST:PORT/DATABASE or mysql://USER@localhost/DATABASE?socket=PATH"
        guard let schemeEnd = string.range(of: "://") else { throw MariaDBURLError("no scheme; \(form)") }
        let scheme = string[..<schemeEnd.lowerBound].lowercased()
        guard Self.schemes.contains(scheme) else {
            throw MariaDBURLError("scheme '\(scheme)' is not mysql or mariadb; \(form)")
        }
        var rest = string[schemeEnd.upperBound...]
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        guard let slash = rest.firstIndex(of: "/") else { throw MariaDBURLError("no database name; \(form)") }
        let authority = rest[..<slash]
        let path = rest[rest.index(after: slash)...]

        // The last @ ends the credentials, so a password with an unencoded @ still parses.
        guard let at = authority.lastIndex(of: "@") else { throw MariaDBURLError("no user; \(form)") }
        let userInfo = authority[..<at]
        let hostPort = authority[authority.index(after: at)...]
        let rawUser: Substring
        var rawPassword: Substring?
        if let colon = userInfo.firstIndex(of: ":") {
            rawUser = userInfo[..<colon]
            rawPassword = userInfo[userInfo.index(after: colon)...]
        } else {
            rawUser = userInfo
        }
        let user = try Self.decode(rawUser, "the user")
        guard !user.isEmpty else { throw MariaDBURLError("the user is empty; \(form)") }
        let password = try rawPassword.map { raw throws(MariaDBURLError) in try Self.decode(raw, "the password") }

        guard !path.contains("/") else { throw MariaDBURLError("the path must be one database name, not '\(path)'") }
        let database = try Self.decode(path, "the database name")
        guard !database.isEmpty else { throw MariaDBURLError("no database name; \(form)") }

        let (host, port) = try Self.splitHostPort(hostPort)
        self.init(endpoint: .tcp(host: host, port: port ?? Self.defaultPort), user: user, password: password, database: database)

        var seen: Set<String> = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = try Self.decode(parts[0], "a parameter name")
            let value = try Self.decode(parts.count > 1 ? parts[1] : "", "the value of \(key)")
            guard seen.insert(key).inserted else { throw MariaDBURLError("parameter \(key) is given twice") }
            switch key {
            case "socket":
                guard value.hasPrefix("/") else { throw MariaDBURLError("socket must be an absolute path, not '\(value)'") }
                guard host.isEmpty || host == "localhost", port == nil else {
                    throw MariaDBURLError("with socket=PATH the host must be localhost (or empty) and without a port")
                }
                endpoint = .socket(path: value)
            case "connect_timeout":
                connectTimeout = try Self.positive(value, key)
            case "socket_timeout":
                socketTimeout = try Self.positive(value, key)
                socketTimeoutGiven = true
            case "connection_limit":
                connectionLimit = try Self.positive(value, key)
            default:
                throw MariaDBURLError(
                    "unsupported parameter '\(key)' (supported: \(Self.parameters.joined(separator: ", ")))")
            }
        }
        if case .tcp = endpoint, host.isEmpty {
            throw MariaDBURLError("no host; \(form)")
        }
    }

    /// The URL with the password replaced, fit for logs and error messages.
    var description: String {
        var text = "mysql://\(Self.encode(user))"
        if password != nil {
            text += ":***"
        }
        switch endpoint {
        case .tcp(let host, let port):
            let shown = host.contains(":") ? "[\(host)]" : host
            text += "@\(shown):\(port)/\(Self.encode(database))"
        case .socket(let path):
            text += "@localhost/\(Self.encode(database))?socket=\(path)"
        }
        return text
    }

    private static func splitHostPort(_ hostPort: Substring) throws(MariaDBURLError) -> (String, Int?) {
        var host = hostPort
        var portText: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw MariaDBURLError("unclosed [ in the host '\(hostPort)'") }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else if !after.isEmpty {
                throw MariaDBURLError("unexpected '\(after)' after the host '\(host[...close])'")
            }
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":") {
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        let port = try portText.map { text throws(MariaDBURLError) in
            guard let port = Int(text), (1...65535).contains(port) else {
                throw MariaDBURLError("port '\(text)' is not a number from 1 to 65535")
            }
            return port
        }
        return (try decode(host, "the host"), port)
    }

    private static func decode(_ text: Substring, _ what: String) throws(MariaDBURLError) -> String {
        guard let decoded = String(text).removingPercentEncoding else {
            throw MariaDBURLError("\(what) has a bad percent escape (write % as %25)")
        }
        // The client library reads C strings: "ocpp%00x" would log in as "ocpp".
        guard !decoded.utf8.contains(0) else { throw MariaDBURLError("\(what) holds a NUL byte (%00)") }
        return decoded
    }

    private static func positive(_ value: String, _ key: String) throws(MariaDBURLError) -> Int {
        guard let number = Int(value), number > 0 else {
            throw MariaDBURLError("\(key) must be a whole number above 0, not '\(value)'")
        }
        return number
    }

    private static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
