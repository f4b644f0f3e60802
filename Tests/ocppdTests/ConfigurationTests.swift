import Foundation
import Logging
import Testing

@testable import ocppd

@Suite struct ConfigurationTests {
    private func resolve(_ arguments: [String], environment: [String: String] = [:]) throws -> Configuration {
        try OCPPD.parse(arguments).resolve(environment: environment)
    }

    private func configFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ocppd-\(UUID().uuidString).conf").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func flagsWinOverEnvironmentWhichWinsOverTheFile() throws {
        let file = try configFile("# comment\nPORT=4000\nHEARTBEAT_INTERVAL=\"90\"\nLOG_LEVEL=debug\nOCPPD_UNKNOWN_STATIONS=reject\n")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let fromFile = try resolve(["--config", file, "--data-dir", "/tmp/x"])
        #expect(fromFile.port == 4000)
        #expect(fromFile.heartbeatInterval == 90)
        #expect(fromFile.logLevel == .debug)
        #expect(fromFile.unknownStations == .reject)

        let fromEnvironment = try resolve(["--config", file, "--data-dir", "/tmp/x"], environment: ["PORT": "5000", "LOG_LEVEL": "warn"])
        #expect(fromEnvironment.port == 5000)
        #expect(fromEnvironment.logLevel == .warning)
        #expect(fromEnvironment.heartbeatInterval == 90)

        let fromFlags = try resolve(["--config", file, "--data-dir", "/tmp/x", "--port", "6000"], environment: ["PORT": "5000"])
        #expect(fromFlags.port == 6000)
    }

    /// Found by scripts/fuzz (FuzzSettings): lines were split and read in Characters, so a file with CRLF line ends was one
    /// line, and a value that starts with a combining mark lost its "=" or its quote to it.
    @Test func configFilesAreReadInUnicodeScalars() throws {
        #expect(try parseConfigFile("PORT=4000\r\nLOG_LEVEL=debug\r\n", path: "a") == ["PORT": "4000", "LOG_LEVEL": "debug"])
        #expect(try parseConfigFile("NAME=\u{301}x\nQUOTED=\"\u{65B}\"", path: "b") == ["NAME": "\u{301}x", "QUOTED": "\u{65B}"])
        #expect(throws: ConfigurationError.self) { try parseConfigFile("# fine\r\nno equals here\r\n", path: "c") }
    }

    @Test func theOriginalGatewaysVariablesKeepWorking() throws {
        let c = try resolve(
            ["--data-dir", "/tmp/x"],
            environment: [
                "PORT": "3100", "OCPP_WS_PATH": "/charge", "DATABASE_URL": "sqlite:///tmp/y.sqlite", "HEARTBEAT_INTERVAL": "120",
                "BOOT_NOTIFICATION_STATUS": "Pending", "LOG_LEVEL": "error",
            ])
        #expect(c.port == 3100)
        #expect(c.ocppPath == "/charge")
        #expect(c.sqlitePath == "/tmp/y.sqlite")
        #expect(c.heartbeatInterval == 120)
        #expect(c.unknownStations == .pending)
        #expect(c.logLevel == .error)
    }

    /// The original gateway logged through winston inside NestJS: its LOG_LEVEL names mean the nearest level here.
    @Test(arguments: [
        ("log", Logger.Level.info), ("http", .info), ("verbose", .debug), ("silly", .trace), ("fatal", .critical), ("WARN", .warning),
        ("notice", .notice),
    ])
    func theOriginalGatewaysLogLevelNamesAreUnderstood(_ name: String, _ level: Logger.Level) throws {
        #expect(try resolve(["--data-dir", "/tmp/x"], environment: ["LOG_LEVEL": name]).logLevel == level)
    }

    @Test func ocppdsOwnVariablesAndDefaults() throws {
        let defaults = try resolve([], environment: ["HOME": "/home/op"])
        #expect(defaults.port == 3000)
        #expect(defaults.ocppPath == "/ocpp")
        #expect(defaults.callTimeout == .seconds(30))
        #expect(defaults.pingInterval == .seconds(60))
        #expect(defaults.unknownStations == .accept)
        #expect(defaults.sqlitePath == defaults.dataDirectory + "/ocppd.sqlite")

        let c = try resolve(
            [],
            environment: [
                "OCPPD_DATA_DIR": "/srv/ocppd", "OCPPD_API_TOKEN": "secret", "OCPPD_CALL_TIMEOUT": "2.5", "OCPPD_PING_INTERVAL": "10",
                "OCPPD_UNKNOWN_STATIONS": "reject",
            ])
        #expect(c.dataDirectory == "/srv/ocppd")
        #expect(c.apiToken == "secret")
        #expect(c.callTimeout == .milliseconds(2500))
        #expect(c.pingInterval == .seconds(10))
        #expect(c.unknownStations == .reject)
    }

    @Test(arguments: [
        (["--port", "70000"], [String: String]()),
        ([], ["PORT": "http"]),
        ([], ["OCPPD_UNKNOWN_STATIONS": "maybe"]),
        ([], ["LOG_LEVEL": "loud"]),
        (["--call-timeout", "0"], [:]),
        ([], ["HEARTBEAT_INTERVAL": "-5"]),
        (["--config", "/nonexistent/ocppd.conf"], [:]),
        (["--database", "mysql://user:pw@host:99999/db"], [:]),
        ([], ["DATABASE_URL": "mariadb://host/db"]),
        (["--db-pool-size", "1"], [:]),
        (["--trusted-proxies", "proxy.example.com"], [:]),
        ([], ["OCPPD_TRUSTED_PROXIES": "10.0.0.0/8,10.0.0.0/33"]),
        (["--tls-client-ca", "/etc/ocppd/ca.pem"], [:]),
        (["--data-transfer-vendors", "ACME,,com.example"], [:]),
        ([], ["OCPPD_DATA_TRANSFER_VENDORS": "ACME, " + String(repeating: "v", count: 256)]),
    ])
    func badSettingsAreRefusedWithTheirName(_ arguments: [String], _ environment: [String: String]) {
        #expect(throws: ConfigurationError.self) { try resolve(arguments + ["--data-dir", "/tmp/x"], environment: environment) }
    }

    @Test func trustedProxiesAreAddressesOrBlocksAndLetTheClientCAWorkWithoutTLS() throws {
        let c = try resolve(
            ["--data-dir", "/tmp/x", "--tls-client-ca", "/etc/ocppd/ca.pem"],
            environment: ["OCPPD_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8,fd00::/8"])
        #expect(c.trustedProxies.map(\.description) == ["127.0.0.1/32", "10.0.0.0/8", "fd00::/8"])
        #expect(c.clientCA == "/etc/ocppd/ca.pem")
        #expect(c.tls == nil)
        #expect(try resolve(["--data-dir", "/tmp/x"]).trustedProxies.isEmpty)
    }

    @Test func dataTransferVendorsAreACaseInsensitiveListAndNoneByDefault() throws {
        let none = try resolve(["--data-dir", "/tmp/x"]).dataTransferVendors
        #expect(!none.accepts("ACME") && !none.accepts(""))
        let c = try resolve(["--data-dir", "/tmp/x"], environment: ["OCPPD_DATA_TRANSFER_VENDORS": " ACME , com.Example.Meter\n"])
        #expect(c.dataTransferVendors.accepts("acme"))
        #expect(c.dataTransferVendors.accepts("COM.EXAMPLE.METER"))
        #expect(!c.dataTransferVendors.accepts("com.example"))
        #expect(!c.dataTransferVendors.accepts("ACME "))
        let flag = try resolve(
            ["--data-dir", "/tmp/x", "--data-transfer-vendors", "Other"], environment: ["OCPPD_DATA_TRANSFER_VENDORS": "ACME"])
        #expect(flag.dataTransferVendors.accepts("other") && !flag.dataTransferVendors.accepts("ACME"))
        #expect(try resolve(["--data-dir", "/tmp/x", "--data-transfer-vendors", " "]).dataTransferVendors == DataTransferVendors())
    }

    @Test func aMySQLOrMariaDBURLSelectsMariaDBInsteadOfSQLite() throws {
        let flag = try resolve(["--data-dir", "/tmp/x", "--database", "mysql://ocpp:s%40cret@db.example.com:3307/ocpp"])
        #expect(flag.sqlitePath == nil)
        #expect(flag.mariaDB?.endpoint == .tcp(host: "db.example.com", port: 3307))
        #expect(flag.mariaDB?.password == "s@cret")

        let environment = try resolve(
            ["--data-dir", "/tmp/x"],
            environment: ["DATABASE_URL": "mariadb://root@localhost/ocpp?socket=/run/mysqld/mysqld.sock", "OCPPD_DB_POOL_SIZE": "8"])
        #expect(environment.sqlitePath == nil)
        #expect(environment.mariaDB?.endpoint == .socket(path: "/run/mysqld/mysqld.sock"))
        #expect(environment.databasePoolSize == 8)

        let sqlite = try resolve(["--data-dir", "/tmp/x", "--database", "sqlite:///tmp/y.sqlite"])
        #expect(sqlite.mariaDB == nil)
        #expect(sqlite.sqlitePath == "/tmp/y.sqlite")
    }
}
