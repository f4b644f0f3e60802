import ArgumentParser
import Foundation
import HTTPTypes
import Logging
import Shared

/// ocppd: the OCPP 1.6J central system daemon (started by ocppdMain).
public struct OCPPD: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ocppd",
        abstract: "OCPP 1.6J central system: charge points over WebSocket, a REST API, SQLite or MariaDB.",
        discussion: """
            Settings come from flags, then environment variables, then the config file (KEY=VALUE lines \
            with the environment variables' names), then defaults. Charge points connect to \
            ws://HOST:PORT/ocpp/{chargePointId} (wss:// with --tls-cert); the REST API is on the same port under /api \
            (https:// with TLS). docs/SECURITY.md says what each security setting and limit protects.
            """,
        version: OCPPGateway.version,
        subcommands: [TokenCommand.self]
    )

    @Option(help: "Address to listen on (env OCPPD_HOST, default 0.0.0.0).")
    var host: String?

    @Option(help: "Port of the REST API and the OCPP endpoint (env PORT, default 3000).")
    var port: Int?

    @Option(name: .customLong("ocpp-path"), help: "Path prefix of the OCPP endpoint (env OCPP_WS_PATH, default /ocpp).")
    var ocppPath: String?

    @Option(help: "Directory of the SQLite database and the generated API token (env OCPPD_DATA_DIR).")
    var dataDir: String?

    @Option(
        help: """
            Database URL: sqlite:///path, a file path, mysql://USER:PASSWORD@HOST:PORT/DB (also mariadb://) or \
            mysql://USER@localhost/DB?socket=PATH (env DATABASE_URL, default DATA_DIR/ocppd.sqlite).
            """)
    var database: String?

    @Option(
        help:
            "Connections to MariaDB: half of them writers (at most 4; one in a cluster), the rest readers; at least 2 (env OCPPD_DB_POOL_SIZE, default 5)."
    )
    var dbPoolSize: Int?

    @Option(help: "Bearer token of the REST API (env OCPPD_API_TOKEN; generated into DATA_DIR/api-token when unset).")
    var apiToken: String?

    @Option(help: "Seconds to wait for a charge point's answer to a command (env OCPPD_CALL_TIMEOUT, default 30).")
    var callTimeout: Double?

    @Option(
        help: """
            Seconds a charge point's message retries an unavailable database (a restart) before CALLERROR InternalError \
            (env OCPPD_STORE_RETRY_WINDOW, default 15).
            """)
    var storeRetryWindow: Double?

    @Option(help: "Commands that may wait for one station while another is outstanding (env OCPPD_MAX_QUEUED_COMMANDS, default 16).")
    var maxQueuedCommands: Int?

    // Hidden: only tests need keep-alives faster than the default.
    @Option(name: .customLong("sse-keepalive"), help: .hidden)
    var sseKeepAlive: Double?

    @Option(help: "Heartbeat interval given to charge points at boot, in seconds (env HEARTBEAT_INTERVAL, default 60).")
    var heartbeatInterval: Int?

    @Option(help: "Unknown stations: accept, pending or reject (env OCPPD_UNKNOWN_STATIONS or BOOT_NOTIFICATION_STATUS, default accept).")
    var unknownStations: String?

    @Option(
        help: """
            Vendor ids whose DataTransfer from a charge point is answered Accepted; any other gets UnknownVendorId \
            (env OCPPD_DATA_TRANSFER_VENDORS; comma-separated, case-insensitive; default none).
            """)
    var dataTransferVendors: String?

    @Option(help: "Seconds between WebSocket pings (env OCPPD_PING_INTERVAL, default 60; 0 disables).")
    var pingInterval: Double?

    @Option(
        help: """
            Seconds an HTTP connection may stay silent while its request is read (a stalled upload) or between requests \
            before it is closed (env OCPPD_HTTP_IDLE_TIMEOUT, default 60).
            """)
    var httpIdleTimeout: Double?

    @Option(help: "Largest WebSocket message from a station, in bytes (env OCPPD_MAX_FRAME_SIZE, default 65536).")
    var maxFrameSize: Int?

    @Option(help: "trace, debug, info, notice, warning, error or critical (env LOG_LEVEL, default info). debug traces OCPP frames.")
    var logLevel: String?

    @Option(
        help:
            "CALLs per second per station: one that waits for each answer is slowed to it, one that does not gets CALLERROR beyond it (env OCPPD_MAX_CALLS_PER_SECOND, default 50; 0: no limit)."
    )
    var maxCallsPerSecond: Double?

    @Option(
        help:
            "WebSocket handshakes per second from one address (IPv6: one /64); more get 429 (env OCPPD_MAX_HANDSHAKES_PER_SECOND, default 100; 0: no limit)."
    )
    var maxHandshakesPerSecond: Double?

    @Option(
        help:
            "Wrong station credentials per identity and address in 5 minutes before they are locked out (env OCPPD_MAX_AUTH_FAILURES, default 10; 0: no limit)."
    )
    var maxAuthFailures: Int?

    @Option(
        help: "REST requests per second with the token; more get 429 (env OCPPD_MAX_API_REQUESTS_PER_SECOND, default 1000; 0: no limit).")
    var maxApiRequestsPerSecond: Double?

    @Option(help: "Event-stream subscribers at once; more get 429 (env OCPPD_MAX_EVENT_SUBSCRIBERS, default 100; 0: no limit).")
    var maxEventSubscribers: Int?

    @Option(help: "Largest REST request body, in bytes; larger get 413 (env OCPPD_MAX_BODY_SIZE, default 1048576).")
    var maxBodySize: Int?

    @Option(help: "PEM certificate chain: the port then speaks TLS, wss:// and https:// (env OCPPD_TLS_CERT; reread on SIGHUP).")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert (env OCPPD_TLS_KEY).")
    var tlsKey: String?

    @Option(
        help:
            "PEM CA of station client certificates, for security profile 3, on TLS or forwarded by a trusted proxy (env OCPPD_TLS_CLIENT_CA)."
    )
    var tlsClientCa: String?

    @Option(
        help: """
            Reverse proxies whose forwarded headers are believed: X-Forwarded-For, X-Forwarded-Proto and the client \
            certificate (env OCPPD_TRUSTED_PROXIES; comma-separated addresses or CIDR blocks; default none).
            """)
    var trustedProxies: String?

    @Option(
        help:
            "The header in which trusted proxies forward a station's client certificate (env OCPPD_FORWARDED_CERT_HEADER, default X-SSL-Client-Cert)."
    )
    var forwardedCertHeader: String?

    @Option(
        help: "With TLS: a second, plain port for ws:// and http:// (env OCPPD_PLAIN_PORT; profile 2 and 3 stations are refused there).")
    var plainPort: Int?

    @Option(help: "How chargers reach ocppd, e.g. https://csms.example.com: the base of its upload URLs (env OCPPD_PUBLIC_URL).")
    var publicUrl: String?

    @Option(help: "Directory of kept files: uploads, firmware (env OCPPD_FILES_DIR, default DATA_DIR/files).")
    var filesDir: String?

    @Option(help: "Largest file a charger may upload, in bytes; larger get 413 (env OCPPD_MAX_UPLOAD_SIZE, default 268435456).")
    var maxUploadSize: Int64?

    @Option(help: "Days charger uploads (diagnostics, logs) are kept (env OCPPD_FILES_RETENTION_DAYS; default: until removed).")
    var filesRetentionDays: Int?

    @Option(help: "Bytes of charger uploads kept in all, the oldest removed first (env OCPPD_FILES_MAX_TOTAL; default: no bound).")
    var filesMaxTotal: Int64?

    @Option(help: "Days the audit log keeps each write and command (env OCPPD_AUDIT_RETENTION_DAYS, default 400).")
    var auditRetentionDays: Int?

    @Flag(
        help: "Let webhooks point at loopback and link-local addresses, which are refused otherwise (env OCPPD_WEBHOOK_ALLOW_PRIVATE=1).")
    var webhookAllowPrivate = false

    @Option(help: "Seconds a webhook may fail before it is disabled (env OCPPD_WEBHOOK_GIVE_UP_AFTER, default 86400: a day).")
    var webhookGiveUpAfter: Int?

    @Option(
        help: "PEM certificate of the station CA: ocppd signs the CSRs of SignCertificate with it (env OCPPD_STATION_CA_CERT).")
    var stationCaCert: String?

    @Option(help: "PEM private key of --station-ca-cert (env OCPPD_STATION_CA_KEY).")
    var stationCaKey: String?

    @Option(help: "The organization (O) a station's CSR must name to be signed (env OCPPD_STATION_CERT_ORGANIZATION; default any).")
    var stationCertOrganization: String?

    @Option(help: "Days a station certificate signed by the station CA is valid (env OCPPD_STATION_CERT_DAYS, default 365).")
    var stationCertDays: Int?

    @Option(
        help: "This node's id in a cluster of ocppd on one MariaDB Galera cluster; turns cluster mode on (env OCPPD_NODE_ID).")
    var nodeId: String?

    @Option(help: "Where the other nodes reach this one, e.g. http://10.0.0.11:3000 (env OCPPD_NODE_URL; cluster mode).")
    var nodeUrl: String?

    @Option(help: "Shared secret of node-to-node calls, 16 characters at least (env OCPPD_CLUSTER_SECRET; cluster mode).")
    var clusterSecret: String?

    @Option(help: "File holding the cluster secret (env OCPPD_CLUSTER_SECRET_FILE; cluster mode).")
    var clusterSecretFile: String?

    @Option(help: "Config file of KEY=VALUE lines (env OCPPD_CONFIG).")
    var config: String?

    public init() {}

    public func run() async throws {
        let configuration: Configuration
        do {
            configuration = try resolve(environment: ProcessInfo.processInfo.environment)
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "ocppd")
        logger.logLevel = level
        try await Gateway(configuration: configuration, logger: logger).run()
    }

    /// Flags, then environment, then config file, then defaults.
    func resolve(environment: [String: String]) throws -> Configuration {
        let file = try (config ?? environment["OCPPD_CONFIG"]).map(readConfigFile) ?? [:]
        func setting(_ flag: String?, _ names: String...) -> String? {
            if let flag { return flag }
            for name in names { if let value = environment[name], !value.isEmpty { return value } }
            for name in names { if let value = file[name], !value.isEmpty { return value } }
            return nil
        }
        func number<T: LosslessStringConvertible>(_ flag: T?, _ flagName: String, _ names: String...) throws -> T? {
            if let flag { return flag }
            for source in [environment, file] {
                for name in names {
                    guard let text = source[name], !text.isEmpty else { continue }
                    guard let value = T(text) else { throw ConfigurationError(description: "\(name)=\(text) is not a valid \(flagName)") }
                    return value
                }
            }
            return nil
        }

        var c = Configuration(
            dataDirectory: setting(dataDir, "OCPPD_DATA_DIR") ?? Configuration.defaultDataDirectory(environment: environment))
        c.host = setting(host, "OCPPD_HOST") ?? c.host
        c.port = try number(port, "--port", "PORT") ?? c.port
        guard (0...65535).contains(c.port) else { throw ConfigurationError(description: "port \(c.port) out of range") }
        c.ocppPath = setting(ocppPath, "OCPP_WS_PATH") ?? c.ocppPath
        if !c.ocppPath.hasPrefix("/") { c.ocppPath = "/" + c.ocppPath }
        c.databaseURL = setting(database, "DATABASE_URL")
        if let url = c.databaseURL, MariaDBURL.hasMariaDBScheme(url) {
            do {
                c.mariaDB = try MariaDBURL(url)
            } catch {
                throw ConfigurationError(description: error.description)
            }
        }
        c.databasePoolSize = try number(dbPoolSize, "--db-pool-size", "OCPPD_DB_POOL_SIZE")
        if let size = c.databasePoolSize, size < 2 {
            throw ConfigurationError(description: "database pool size must be at least 2 (a writer and a reader)")
        }
        c.apiToken = setting(apiToken, "OCPPD_API_TOKEN")
        if let seconds: Double = try number(callTimeout, "--call-timeout", "OCPPD_CALL_TIMEOUT") {
            guard seconds > 0 else { throw ConfigurationError(description: "call timeout must be positive") }
            c.callTimeout = .milliseconds(Int64(seconds * 1000))
        }
        if let seconds: Double = try number(storeRetryWindow, "--store-retry-window", "OCPPD_STORE_RETRY_WINDOW") {
            guard seconds >= 0 else { throw ConfigurationError(description: "store retry window must not be negative") }
            c.storeRetryWindow = .milliseconds(Int64(seconds * 1000))
        }
        c.maxQueuedCommands = try number(maxQueuedCommands, "--max-queued-commands", "OCPPD_MAX_QUEUED_COMMANDS") ?? c.maxQueuedCommands
        guard c.maxQueuedCommands >= 0 else { throw ConfigurationError(description: "max queued commands must not be negative") }
        if let seconds: Double = try number(sseKeepAlive, "--sse-keepalive", "OCPPD_SSE_KEEPALIVE") {
            guard seconds > 0 else { throw ConfigurationError(description: "event stream keep-alive interval must be positive") }
            c.sseKeepAlive = .milliseconds(Int64(seconds * 1000))
        }
        c.heartbeatInterval = try number(heartbeatInterval, "--heartbeat-interval", "HEARTBEAT_INTERVAL") ?? c.heartbeatInterval
        guard c.heartbeatInterval > 0 else { throw ConfigurationError(description: "heartbeat interval must be positive") }
        if let text = setting(unknownStations, "OCPPD_UNKNOWN_STATIONS", "BOOT_NOTIFICATION_STATUS") {
            guard let policy = UnknownStationPolicy(setting: text) else {
                throw ConfigurationError(description: "unknown stations policy '\(text)': accept, pending or reject")
            }
            c.unknownStations = policy
        }
        if let text = setting(dataTransferVendors, "OCPPD_DATA_TRANSFER_VENDORS") {
            c.dataTransferVendors = try DataTransferVendors(setting: text)
        }
        if let seconds: Double = try number(pingInterval, "--ping-interval", "OCPPD_PING_INTERVAL") {
            guard seconds >= 0 else { throw ConfigurationError(description: "ping interval must not be negative") }
            c.pingInterval = seconds == 0 ? .seconds(365 * 86400) : .milliseconds(Int64(seconds * 1000))
        }
        if let seconds: Double = try number(httpIdleTimeout, "--http-idle-timeout", "OCPPD_HTTP_IDLE_TIMEOUT") {
            guard seconds > 0 else { throw ConfigurationError(description: "HTTP idle timeout must be more than 0 seconds") }
            c.httpIdleTimeout = .milliseconds(Int64(seconds * 1000))
        }
        c.maxFrameSize = try number(maxFrameSize, "--max-frame-size", "OCPPD_MAX_FRAME_SIZE") ?? c.maxFrameSize
        guard c.maxFrameSize >= 1024 else { throw ConfigurationError(description: "max frame size must be at least 1024 bytes") }
        func rate(_ perSecond: Double?, burstSeconds: Double) throws -> RateLimit? {
            guard let perSecond else { return nil }
            guard perSecond >= 0, perSecond.isFinite else { throw ConfigurationError(description: "a rate limit must not be negative") }
            return perSecond == 0 ? .unlimited : RateLimit(perSecond: perSecond, burst: max(1, perSecond * burstSeconds))
        }
        c.callsPerSecond =
            try rate(number(maxCallsPerSecond, "--max-calls-per-second", "OCPPD_MAX_CALLS_PER_SECOND"), burstSeconds: 4)
            ?? c.callsPerSecond
        c.handshakesPerSecond =
            try rate(number(maxHandshakesPerSecond, "--max-handshakes-per-second", "OCPPD_MAX_HANDSHAKES_PER_SECOND"), burstSeconds: 10)
            ?? c.handshakesPerSecond
        c.apiRequestsPerSecond =
            try rate(number(maxApiRequestsPerSecond, "--max-api-requests-per-second", "OCPPD_MAX_API_REQUESTS_PER_SECOND"), burstSeconds: 5)
            ?? c.apiRequestsPerSecond
        if let failures: Int = try number(maxAuthFailures, "--max-auth-failures", "OCPPD_MAX_AUTH_FAILURES") {
            guard failures >= 0 else { throw ConfigurationError(description: "max auth failures must not be negative") }
            c.authFailures = failures == 0 ? .unlimited : RateLimit(perSecond: Double(failures) / 300, burst: Double(failures))
        }
        c.maxEventSubscribers =
            try number(maxEventSubscribers, "--max-event-subscribers", "OCPPD_MAX_EVENT_SUBSCRIBERS") ?? c.maxEventSubscribers
        guard c.maxEventSubscribers >= 0 else { throw ConfigurationError(description: "max event subscribers must not be negative") }
        c.maxBodySize = try number(maxBodySize, "--max-body-size", "OCPPD_MAX_BODY_SIZE") ?? c.maxBodySize
        guard c.maxBodySize >= 1024 else { throw ConfigurationError(description: "max body size must be at least 1024 bytes") }
        let certificate = setting(tlsCert, "OCPPD_TLS_CERT")
        let key = setting(tlsKey, "OCPPD_TLS_KEY")
        let clientCA = setting(tlsClientCa, "OCPPD_TLS_CLIENT_CA")
        if let text = setting(trustedProxies, "OCPPD_TRUSTED_PROXIES") {
            c.trustedProxies = try text.split(separator: ",").map { entry in
                guard let network = IPNetwork(String(entry)) else {
                    throw ConfigurationError(description: "trusted proxy '\(entry)': an IP address or a CIDR block (10.0.0.0/8, fd00::/8)")
                }
                return network
            }
        }
        if let name = setting(forwardedCertHeader, "OCPPD_FORWARDED_CERT_HEADER") {
            guard let header = HTTPField.Name(name) else {
                throw ConfigurationError(description: "forwarded certificate header '\(name)' is not a header name")
            }
            c.forwardedCertificateHeader = header
        }
        c.clientCA = clientCA
        switch (certificate, key) {
        case (let certificate?, let key?):
            c.tls = TLSFiles(certificate: certificate, key: key, clientCA: clientCA)
        case (nil, nil):
            guard clientCA == nil || !c.trustedProxies.isEmpty else {
                throw ConfigurationError(
                    description:
                        "OCPPD_TLS_CLIENT_CA needs OCPPD_TLS_CERT and OCPPD_TLS_KEY, or OCPPD_TRUSTED_PROXIES to forward certificates"
                )
            }
        default:
            throw ConfigurationError(description: "TLS needs both a certificate (OCPPD_TLS_CERT) and its key (OCPPD_TLS_KEY)")
        }
        c.plainPort = try number(plainPort, "--plain-port", "OCPPD_PLAIN_PORT")
        if let plain = c.plainPort {
            guard c.tls != nil else { throw ConfigurationError(description: "OCPPD_PLAIN_PORT is for use beside TLS (OCPPD_TLS_CERT)") }
            guard (0...65535).contains(plain), plain != c.port || plain == 0 else {
                throw ConfigurationError(description: "plain port \(plain) out of range or the same as the TLS port")
            }
        }
        if let url = setting(publicUrl, "OCPPD_PUBLIC_URL") {
            let trimmed = url.hasSuffix("/") ? String(url.dropLast()) : url
            guard let parsed = URL(string: trimmed), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil
            else {
                throw ConfigurationError(description: "public URL '\(url)': an http:// or https:// URL such as https://csms.example.com")
            }
            c.files.publicURL = trimmed
        }
        c.files.directory = setting(filesDir, "OCPPD_FILES_DIR") ?? c.dataDirectory + "/files"
        c.files.maxUploadSize = try number(maxUploadSize, "--max-upload-size", "OCPPD_MAX_UPLOAD_SIZE") ?? c.files.maxUploadSize
        guard c.files.maxUploadSize >= 1 else { throw ConfigurationError(description: "max upload size must be 1 byte or more") }
        c.files.retentionDays = try number(filesRetentionDays, "--files-retention-days", "OCPPD_FILES_RETENTION_DAYS")
        c.files.maxTotal = try number(filesMaxTotal, "--files-max-total", "OCPPD_FILES_MAX_TOTAL")
        guard (c.files.retentionDays ?? 1) >= 1, (c.files.maxTotal ?? 0) >= 0 else {
            throw ConfigurationError(description: "files retention: at least 1 day, and a total that is not negative")
        }
        c.auditRetentionDays =
            try number(auditRetentionDays, "--audit-retention-days", "OCPPD_AUDIT_RETENTION_DAYS") ?? c.auditRetentionDays
        guard c.auditRetentionDays >= 1 else { throw ConfigurationError(description: "audit retention: at least 1 day") }
        c.webhookGiveUpAfter =
            try number(webhookGiveUpAfter, "--webhook-give-up-after", "OCPPD_WEBHOOK_GIVE_UP_AFTER") ?? c.webhookGiveUpAfter
        guard c.webhookGiveUpAfter >= 1 else { throw ConfigurationError(description: "webhook give-up time: at least 1 second") }
        if webhookAllowPrivate {
            c.webhookAllowPrivate = true
        } else if let text = setting(nil, "OCPPD_WEBHOOK_ALLOW_PRIVATE") {
            switch text.lowercased() {
            case "1", "true", "yes", "on": c.webhookAllowPrivate = true
            case "0", "false", "no", "off": c.webhookAllowPrivate = false
            default: throw ConfigurationError(description: "OCPPD_WEBHOOK_ALLOW_PRIVATE=\(text): 1 or 0")
            }
        }
        switch (setting(stationCaCert, "OCPPD_STATION_CA_CERT"), setting(stationCaKey, "OCPPD_STATION_CA_KEY")) {
        case (let certificate?, let key?):
            c.stationCA = StationCAFiles(certificate: certificate, key: key)
        case (nil, nil):
            break
        default:
            throw ConfigurationError(
                description: "the station CA needs both a certificate (OCPPD_STATION_CA_CERT) and its key (OCPPD_STATION_CA_KEY)")
        }
        c.stationCertOrganization = setting(stationCertOrganization, "OCPPD_STATION_CERT_ORGANIZATION")
        c.stationCertDays = try number(stationCertDays, "--station-cert-days", "OCPPD_STATION_CERT_DAYS") ?? c.stationCertDays
        guard c.stationCertDays >= 1 else { throw ConfigurationError(description: "station certificate days must be 1 or more") }
        c.cluster = try ClusterSettings.resolve(
            nodeId: setting(nodeId, "OCPPD_NODE_ID"), nodeURL: setting(nodeUrl, "OCPPD_NODE_URL"),
            secret: setting(clusterSecret, "OCPPD_CLUSTER_SECRET"), secretFile: setting(clusterSecretFile, "OCPPD_CLUSTER_SECRET_FILE"),
            onMariaDB: c.mariaDB != nil)
        if let text = setting(logLevel, "LOG_LEVEL") {
            guard let level = Self.logLevel(text) else {
                throw ConfigurationError(description: "log level '\(text)': trace, debug, info, notice, warning, error or critical")
            }
            c.logLevel = level
        }
        return c
    }
}

extension OCPPD {
    /// swift-log's levels, and the names the original gateway's LOG_LEVEL took: winston's (warn, http, verbose, silly)
    /// and NestJS's (log, fatal).
    static func logLevel(_ text: String) -> Logger.Level? {
        let name = text.lowercased()
        if let level = Logger.Level(rawValue: name) { return level }
        switch name {
        case "silly": return .trace
        case "verbose": return .debug
        case "log", "http": return .info
        case "warn": return .warning
        case "fatal": return .critical
        default: return nil
        }
    }
}

/// `ocppd token rotate`: a new REST API token for a running (or stopped) ocppd whose token was generated.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage the REST API's bearer token.", subcommands: [Rotate.self])

    @ParentCommand var ocppd: OCPPD

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the generated API token: prints the new one, which a running ocppd takes within seconds.",
            discussion: """
                Writes a new token to DATA_DIR/api-token (mode 0600); ocppd's settings (--data-dir, OCPPD_DATA_DIR, \
                --config) say where, e.g. `ocppd --data-dir /var/lib/ocppd token rotate`. A running ocppd reads it \
                within 2 seconds (or at once on SIGHUP) and refuses the old one from then on. A token set by \
                --api-token, OCPPD_API_TOKEN or the config file is changed there instead. POST /api/token/rotate \
                does the same through the API.
                """)

        @ParentCommand var token: TokenCommand

        func run() throws {
            let configuration: Configuration
            do {
                configuration = try token.ocppd.resolve(environment: ProcessInfo.processInfo.environment)
            } catch let error as ConfigurationError {
                throw ValidationError(error.description)
            }
            guard configuration.apiToken == nil else {
                throw ValidationError("the API token is configured (--api-token, OCPPD_API_TOKEN or the config file): change it there")
            }
            let directory = configuration.dataDirectory
            guard FileManager.default.fileExists(atPath: directory) else {
                throw ValidationError("no data directory \(directory): start ocppd once, or give --data-dir")
            }
            let fresh = APIToken.generate()
            let path = APIToken.filePath(dataDirectory: directory)
            do {
                try APIToken.write(fresh, to: path)
            } catch let error as ConfigurationError {
                throw ValidationError(error.description)
            }
            FileHandle.standardError.write(Data("ocppd: new API token written to \(path)\n".utf8))
            print(fresh)
        }
    }
}
