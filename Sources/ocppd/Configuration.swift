import Foundation
import HTTPTypes
import Logging
import Shared

/// What ocppd does with a station that is not in the store when it connects.
enum UnknownStationPolicy: String, Sendable, CaseIterable {
    /// Register it as Accepted at its first BootNotification (the original gateway's behaviour).
    case accept
    /// Register it as Pending until an operator accepts it.
    case pending
    /// Refuse the WebSocket handshake with 404.
    case reject

    /// Reads the policy, also from the original gateway's BOOT_NOTIFICATION_STATUS values.
    init?(setting: String) {
        switch setting.lowercased() {
        case "accept", "accepted": self = .accept
        case "pending": self = .pending
        case "reject", "rejected": self = .reject
        default: return nil
        }
    }
}

/// ocppd's settings, resolved from flags, then environment, then the config file, then defaults.
struct Configuration: Sendable {
    var host = "0.0.0.0"
    var port = 3000
    var ocppPath = "/ocpp"
    var dataDirectory: String
    /// `sqlite:///path`, a file path, or `mysql://…` (MariaDB, see the README).
    var databaseURL: String?
    /// The parsed `databaseURL` when it names MariaDB (`mysql://` or `mariadb://`).
    var mariaDB: MariaDBURL?
    /// Connections to MariaDB, the writer's included; nil leaves it to the URL's `connection_limit` or the default.
    var databasePoolSize: Int?
    var apiToken: String?
    var callTimeout: Duration = .seconds(30)
    /// How long a charge point's message waits for an unavailable store before it is answered InternalError.
    var storeRetryWindow = StoreRetry.defaultWindow
    /// Commands that may wait for a station behind its outstanding one; more are refused with 503.
    var maxQueuedCommands = 16
    /// Interval of the keep-alive comments of GET /api/events.
    var sseKeepAlive: Duration = .seconds(10)
    var heartbeatInterval = 60
    var unknownStations = UnknownStationPolicy.accept
    /// Vendor ids whose DataTransfer is answered Accepted; any other gets UnknownVendorId.
    var dataTransferVendors = DataTransferVendors()
    var pingInterval: Duration = .seconds(60)
    var logLevel = Logger.Level.info
    /// Largest WebSocket message accepted from a station, in bytes.
    var maxFrameSize = 65_536
    /// An HTTP connection silent this long while its request is read, or between requests, is closed.
    var httpIdleTimeout: Duration = .seconds(60)
    /// Largest REST request body, in bytes.
    var maxBodySize = 1_048_576
    /// CALLs a station may send per second (a burst of four seconds' worth), answered CALLERROR beyond.
    var callsPerSecond = RateLimit(perSecond: 50, burst: 200)
    /// WebSocket handshakes per second from one source address (a burst of ten seconds' worth: a site of chargers
    /// behind one router reconnects at once), answered 429 beyond.
    var handshakesPerSecond = RateLimit(perSecond: 100, burst: 1000)
    /// Wrong Basic credentials per station identity in five minutes before the identity is locked out (429) for
    /// the rest of them.
    var authFailures = RateLimit(perSecond: 10.0 / 300, burst: 10)
    /// REST requests per second with the token (a burst of five seconds' worth), answered 429 beyond.
    var apiRequestsPerSecond = RateLimit(perSecond: 1000, burst: 5000)
    /// Event-stream subscribers at once; more are answered 429.
    var maxEventSubscribers = 100
    /// When set, `port` speaks TLS (wss:// and https://).
    var tls: TLSFiles?
    /// CA of station client certificates (profile 3): presented over TLS, or forwarded by a trusted proxy.
    var clientCA: String?
    /// Reverse proxies whose forwarded headers say a station's address, TLS and client certificate.
    var trustedProxies: [IPNetwork] = []
    /// The header in which those proxies forward a station's client certificate.
    var forwardedCertificateHeader = HTTPField.Name(TrustedProxies.defaultCertificateHeader)!
    /// A second, plain listener (ws:// and http://) beside the TLS one, for stations on profiles 0 and 1.
    var plainPort: Int?
    /// Set when this ocppd is a node of a cluster (`--node-id`).
    var cluster: ClusterSettings?
    /// Kept files and charger uploads (`--public-url`, `--files-dir`, `--max-upload-size`); the directory is set with the
    /// data directory.
    var files = FileSettings(directory: "")
    /// Days the audit log keeps an entry.
    var auditRetentionDays = 400
    /// Webhooks may point at loopback and link-local addresses.
    var webhookAllowPrivate = false
    /// Seconds a webhook may fail before it is disabled.
    var webhookGiveUpAfter = 86_400
    /// The station CA that signs station CSRs; without one they wait for an operator's own CA.
    var stationCA: StationCAFiles?
    var stationCertOrganization: String?
    var stationCertDays = 365

    static func defaultDataDirectory(environment: [String: String]) -> String {
        if getuid() == 0 { return "/var/lib/ocppd" }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/ocppd" }
        return (environment["HOME"] ?? ".") + "/.local/share/ocppd"
    }

    /// The SQLite file when the database is SQLite, nil for MariaDB.
    var sqlitePath: String? {
        guard let url = databaseURL, !url.isEmpty else { return dataDirectory + "/ocppd.sqlite" }
        if url.hasPrefix("sqlite://") { return String(url.dropFirst("sqlite://".count)) }
        if url.hasPrefix("file:") { return String(url.dropFirst("file:".count)) }
        if url.contains("://") { return nil }
        return url
    }
}

/// A setting that could not be read; the message names the flag or variable.
struct ConfigurationError: Error, CustomStringConvertible {
    var description: String
}

/// Reads `KEY=VALUE` lines (the format of the original gateway's `.env`): `#` comments, optional quotes.
func readConfigFile(_ path: String) throws -> [String: String] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        throw ConfigurationError(description: "cannot read config file \(path)")
    }
    return try parseConfigFile(text, path: path)
}

/// The settings of a config file's text; `path` names the file in errors. Read in Unicode scalars, not Characters: a
/// combining mark right after "=" or a quote would join it into one Character with it, and "\r\n" is one Character.
func parseConfigFile(_ text: String, path: String) throws(ConfigurationError) -> [String: String] {
    var values: [String: String] = [:]
    for (number, rawLine) in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let line = rawLine.trimmingWhitespace
        if line.isEmpty || line.first == "#" { continue }
        guard let equals = line.firstIndex(of: "=") else {
            throw ConfigurationError(description: "\(path):\(number + 1): expected KEY=VALUE")
        }
        var value = line[line.index(after: equals)...].trimmingWhitespace
        if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
            value = value.dropFirst().dropLast()
        }
        values[String(line[..<equals].trimmingWhitespace)] = String(value)
    }
    return values
}

extension Substring.UnicodeScalarView {
    /// Without the white space (a "\r" of a CRLF line included) at either end.
    fileprivate var trimmingWhitespace: Substring.UnicodeScalarView {
        guard let first = firstIndex(where: { !$0.properties.isWhitespace }), let last = lastIndex(where: { !$0.properties.isWhitespace })
        else { return self[endIndex...] }
        return self[first...last]
    }
}

/// The files of the station CA (`--station-ca-cert`, `--station-ca-key`).
struct StationCAFiles: Sendable, Equatable {
    var certificate: String
    var key: String
}
