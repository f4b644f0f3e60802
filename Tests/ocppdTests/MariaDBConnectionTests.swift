import Foundation
import Testing

@testable import ocppd

// MARK: - URL parsing (no server needed)

@Suite("MariaDB URL")
struct MariaDBURLTests {
    @Test func percentEncodedCredentialsAndDatabaseAreDecoded() throws {
        let url = try MariaDBURL("mysql://us%40er:p%40ss%3Aw%2Frd%25@db.example.com:3307/ocpp%2Dprod")
        #expect(url.user == "us@er")
        #expect(url.password == "p@ss:w/rd%")
        #expect(url.endpoint == .tcp(host: "db.example.com", port: 3307))
        #expect(url.database == "ocpp-prod")
        #expect(url.connectionLimit == nil)
    }

    @Test func mariadbSchemeAndDefaultPortAreAccepted() throws {
        let url = try MariaDBURL("mariadb://ocpp:secret@10.0.0.5/ocpp")
        #expect(url.endpoint == .tcp(host: "10.0.0.5", port: 3306))
        #expect(try MariaDBURL("MySQL://ocpp:secret@host/ocpp").endpoint == .tcp(host: "host", port: 3306))
    }

    @Test func unixSocketFormNeedsNoPasswordOrPort() throws {
        let url = try MariaDBURL("mysql://root@localhost/ocpp?socket=/run/mysqld/mysqld.sock")
        #expect(url.endpoint == .socket(path: "/run/mysqld/mysqld.sock"))
        #expect(url.user == "root")
        #expect(url.password == nil)
        let encoded = try MariaDBURL("mysql://root:pw@/ocpp?socket=%2Frun%2Fmysqld%2Fmysqld.sock")
        #expect(encoded.endpoint == .socket(path: "/run/mysqld/mysqld.sock"))
    }

    @Test func bracketedIPv6HostKeepsItsPort() throws {
        #expect(try MariaDBURL("mysql://u:p@[::1]:3307/db").endpoint == .tcp(host: "::1", port: 3307))
        #expect(try MariaDBURL("mysql://u:p@[::1]/db").endpoint == .tcp(host: "::1", port: 3306))
    }

    @Test func passwordMayHoldAnUnencodedAtSignOrBeEmpty() throws {
        #expect(try MariaDBURL("mysql://u:p@ss@host/db").password == "p@ss")
        #expect(try MariaDBURL("mysql://u:@host/db").password == "")
    }

    @Test func prismaStyleParametersSetTimeoutsAndPoolSize() throws {
        let url = try MariaDBURL("mysql://u:p@host/db?connect_timeout=3&socket_timeout=20&connection_limit=8")
        #expect(url.connectTimeout == 3)
        #expect(url.socketTimeout == 20)
        #expect(url.connectionLimit == 8)
    }

    /// Half of the pool writes (at most 4 writers), the rest reads; never fewer than one of each; one writer in a cluster.
    @Test func thePoolIsSplitIntoWritersAndReaders() {
        let splits = [1, 2, 3, 4, 5, 8, 20].map { MariaDBStore.split(connections: $0) }
        #expect(splits.map(\.writers) == [1, 1, 1, 2, 2, 4, 4])
        #expect(splits.map(\.readers) == [1, 1, 2, 2, 3, 4, 16])
        // A cluster node keeps one writer.
        #expect([2, 5, 20].map { MariaDBStore.split(connections: $0, cluster: true).writers } == [1, 1, 1])
    }

    @Test func descriptionHidesThePassword() throws {
        let url = try MariaDBURL("mysql://ocpp:s3cret%21@host:3307/db")
        #expect(url.description == "mysql://ocpp:***@host:3307/db")
        #expect(try MariaDBURL(url.description.replacingOccurrences(of: "***", with: "x")).endpoint == url.endpoint)
    }

    @Test func schemeDetectionIgnoresTheRest() {
        #expect(MariaDBURL.hasMariaDBScheme("mysql://anything"))
        #expect(MariaDBURL.hasMariaDBScheme("MariaDB://"))
        #expect(!MariaDBURL.hasMariaDBScheme("sqlite:///var/lib/ocppd/ocppd.sqlite"))
        #expect(!MariaDBURL.hasMariaDBScheme("/var/lib/ocppd/mysql.sqlite"))
    }

    @Test(
        arguments: [
            ("postgres://u:secret@h/db", "scheme 'postgres' is not mysql or mariadb"),
            ("mysql//u:secret@h/db", "no scheme"),
            ("mysql://u:secret@h", "no database name"),
            ("mysql://u:secret@h/", "no database name"),
            ("mysql://h/db", "no user"),
            ("mysql://:secret@h/db", "the user is empty"),
            ("mysql://u:secret@h:99999/db", "port '99999' is not a number from 1 to 65535"),
            ("mysql://u:secret@h:abc/db", "port 'abc'"),
            ("mysql://u:secret%zz@h/db", "the password has a bad percent escape"),
            ("mysql://u:secret@h/db?sslmode=require", "unsupported parameter 'sslmode'"),
            ("mysql://u:secret@db.example.com/db?socket=/x.sock", "the host must be localhost"),
            ("mysql://u:secret@localhost:3306/db?socket=/x.sock", "without a port"),
            ("mysql://u:secret@localhost/db?socket=x.sock", "socket must be an absolute path"),
            ("mysql://u:secret@localhost/db?socket=/a&socket=/b", "parameter socket is given twice"),
            ("mysql://u:secret@h/db?connect_timeout=0", "connect_timeout must be a whole number above 0"),
            ("mysql://u:secret@h/a/b", "the path must be one database name"),
            ("mysql://u:secret@/db", "no host"),
            ("mysql://u:secret@[::1/db", "unclosed ["),
            // The client library reads C strings (scripts/fuzz, FuzzSettings): this would log in as "ocpp".
            ("mysql://ocpp%00x:secret@h/db", "the user holds a NUL byte"),
            ("mysql://u:secret@localhost/db?socket=/run/x%00.sock", "the value of socket holds a NUL byte"),
        ])
    func badURLsAreRefusedWithAReasonAndWithoutThePassword(url: String, reason: String) {
        #expect {
            _ = try MariaDBURL(url)
        } throws: { error in
            let message = String(describing: error)
            return message.hasPrefix("invalid MariaDB URL: ") && message.contains(reason) && !message.contains("secret")
        }
    }

    @Test func errorNumbersAreClassified() {
        #expect(MariaDBError(code: 1213, message: "deadlock").isTransient)
        #expect(MariaDBError(code: 1205, message: "lock wait timeout").isTransient)
        #expect(!MariaDBError(code: 1062, message: "duplicate").isTransient)
        for code in [2002, 2003, 2006, 2013, 4031, 1927] {
            #expect(MariaDBError(code: code, message: "gone").isConnectionLost)
            #expect(MariaDBConnection.isConnectionLost(MariaDBError(code: code, message: "gone")))
        }
        #expect(!MariaDBError(code: 1045, message: "access denied").isConnectionLost)
        #expect(MariaDBError(code: 1062, message: "duplicate").isConstraintViolation)
        #expect(MariaDBError(code: 1452, message: "foreign key").isConstraintViolation)
        #expect(MariaDBConnection.isTransient(MariaDBError(code: 1213, message: "deadlock")))
        #expect(!MariaDBConnection.isTransient(DatabaseWorkerError.closed))
    }
}

// MARK: - Against a real server

/// The private server scripts/test starts (scripts/mariadb-test-server); the suite is skipped without it.
enum MariaDBTestServer {
    static let urlString = ProcessInfo.processInfo.environment["OCPPD_TEST_MARIADB_URL"]
    static let socketURLString = ProcessInfo.processInfo.environment["OCPPD_TEST_MARIADB_SOCKET_URL"]
    static var isConfigured: Bool { urlString != nil }

    static func url() throws -> MariaDBURL {
        try MariaDBURL(#require(urlString, "OCPPD_TEST_MARIADB_URL is not set"))
    }

    static func connect() throws -> MariaDBConnection {
        try MariaDBConnection(url: url())
    }

    /// Runs `body` with a table of `columns` under a fresh name, dropped afterwards; tests run in parallel.
    static func withTable<T>(_ columns: String, _ body: (MariaDBConnection, String) throws -> T) throws -> T {
        let db = try connect()
        let table = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try db.exec("CREATE TABLE \(table) (\(columns)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin")
        defer { try? db.exec("DROP TABLE IF EXISTS \(table)") }
        return try body(db, table)
    }
}

@Suite(
    "MariaDB connection",
    .enabled(if: MariaDBTestServer.isConfigured, "OCPPD_TEST_MARIADB_URL is not set; scripts/test starts a private MariaDB and sets it"))
struct MariaDBConnectionTests {
    @Test func connectsOverTCPAndOverTheUnixSocket() throws {
        let db = try MariaDBTestServer.connect()
        #expect(db.serverVersion.contains("MariaDB"))
        #expect(try db.queryFirst("SELECT ? + 1", [41]) { try $0.int(0) } == 42)
        #expect(try db.queryFirst("SELECT @@session.time_zone, @@session.sql_mode") { try $0.string(0) } == "+00:00")
        #expect(try db.queryFirst("SELECT @@session.sql_mode") { try $0.string(0) }?.contains("STRICT_ALL_TABLES") == true)
        if let socket = MariaDBTestServer.socketURLString {
            let overSocket = try MariaDBConnection(url: MariaDBURL(socket))
            #expect(try overSocket.queryFirst("SELECT DATABASE()") { try $0.string(0) } == "ocppd_test")
        }
    }

    @Test func everyBoundTypeRoundTripsExactly() throws {
        let columns =
            "id BIGINT AUTO_INCREMENT PRIMARY KEY, i BIGINT NULL, d DOUBLE NULL, s MEDIUMTEXT NULL, t BIGINT NULL, "
            + "b BOOLEAN NULL, v VARCHAR(64) NULL"
        try MariaDBTestServer.withTable(columns) { db, table in
            let long = String(repeating: "ä€🚗x", count: 25_000)
            let rows: [(Int64?, Double?, String?, Date?, Bool?, String?)] = [
                (Int64.max, 0.1, "", Date(timeIntervalSince1970: 1_714_564_800.123), true, "plain"),
                (Int64.min, -1.5e300, "emoji 🚗⚡️👩🏽‍🔧", Date(timeIntervalSince1970: -86_400.5), false, "ä"),
                (0, Double.pi, "quote ' \" \\ ; DROP TABLE \(table); --", Date(timeIntervalSince1970: 32_503_680_000), nil, nil),
                (-1, 1e-300, "nul\u{0}inside", nil, true, "😀😀😀"),
                (nil, nil, long, nil, nil, nil),
                (nil, nil, nil, nil, nil, nil),
            ]
            var ids: [Int64] = []
            for row in rows {
                let changed = try db.execute(
                    "INSERT INTO \(table) (i, d, s, t, b, v) VALUES (?, ?, ?, ?, ?, ?)", [row.0, row.1, row.2, row.3, row.4, row.5])
                #expect(changed == 1)
                ids.append(db.lastInsertID)
            }
            #expect(ids == Array(ids[0]..<(ids[0] + Int64(rows.count))))
            let back = try db.query("SELECT i, d, s, t, b, v FROM \(table) ORDER BY id") { row in
                (
                    row.optionalInt64(0), row.optionalDouble(1), row.optionalString(2), row.optionalDate(3), row.optionalBool(4),
                    row.optionalString(5)
                )
            }
            #expect(back.count == rows.count)
            for (got, want) in zip(back, rows) {
                #expect(got.0 == want.0)
                #expect(got.1 == want.1)
                #expect(got.2 == want.2)
                #expect(got.3 == want.3)
                #expect(got.4 == want.4)
                #expect(got.5 == want.5)
            }
            #expect(back[4].2?.count == long.count)
            let first = try #require(try db.queryFirst("SELECT i, b, t FROM \(table) WHERE id = ?", [ids[0]]) { $0 })
            #expect(try first.int(0) == Int.max)
            #expect(try first.bool(1))
            #expect(try first.date(2) == rows[0].3)
            #expect(try db.queryFirst("SELECT id FROM \(table) WHERE id = ?", [-5]) { try $0.int64(0) } == nil)
        }
    }

    @Test func aggregatesDecimalsAndServerTypesReadThroughTheTypedGetters() throws {
        try MariaDBTestServer.withTable("id BIGINT AUTO_INCREMENT PRIMARY KEY, n BIGINT NOT NULL, x DOUBLE NOT NULL") { db, table in
            for n in 1...4 {
                try db.execute("INSERT INTO \(table) (n, x) VALUES (?, ?)", [n, Double(n) / 2])
            }
            // SUM of BIGINT is DECIMAL, AVG too: they arrive as text and still read as numbers.
            let row = try #require(try db.queryFirst("SELECT SUM(n), COUNT(*), AVG(x), MAX(n), SUM(x) FROM \(table)") { $0 })
            #expect(try row.int(0) == 10)
            #expect(try row.int(1) == 4)
            #expect(try row.double(2) == 1.25)
            #expect(try row.int64(3) == 4)
            #expect(try row.double(4) == 5)
            let server = try #require(
                try db.queryFirst(
                    "SELECT CAST(18446744073709551615 AS UNSIGNED), CAST('2024-05-01 12:34:56' AS DATETIME), NULL, 2.50"
                ) { $0 })
            #expect(try server.string(0) == "18446744073709551615")
            #expect(server.optionalInt64(0) == nil)
            #expect(try server.string(1) == "2024-05-01 12:34:56")
            #expect(server.isNull(2))
            #expect(try server.double(3) == 2.5)
            #expect(throws: MariaDBError.self) { try server.int(2) }
            #expect(throws: MariaDBError.self) { try server.int(9) }
        }
    }

    @Test func updateCountsMatchedRowsEvenWhenNothingChanged() throws {
        try MariaDBTestServer.withTable("id INT PRIMARY KEY, v VARCHAR(10) NOT NULL") { db, table in
            try db.execute("INSERT INTO \(table) (id, v) VALUES (?, ?), (?, ?)", [1, "a", 2, "a"])
            // SQLite counts matched rows; store code tests "did this row exist" this way on both backends.
            #expect(try db.execute("UPDATE \(table) SET v = ? WHERE id = ?", ["a", 1]) == 1)
            #expect(try db.execute("UPDATE \(table) SET v = ?", ["b"]) == 2)
            #expect(try db.execute("DELETE FROM \(table) WHERE id = ?", [3]) == 0)
        }
    }

    @Test func statementErrorsCarryMariaDBsNumberAndMessage() throws {
        let db = try MariaDBTestServer.connect()
        let missing = try #require(throws: MariaDBError.self) { try db.query("SELECT * FROM no_such_table_here") { $0 } }
        #expect(missing.code == 1146)
        #expect(missing.sqlState == "42S02")
        #expect(missing.message.contains("no_such_table_here"))
        #expect(missing.sql == "SELECT * FROM no_such_table_here")
        #expect(!missing.isTransient && !missing.isConnectionLost && !missing.isConstraintViolation)
        let syntax = try #require(throws: MariaDBError.self) { try db.execute("SELEKT 1") }
        #expect(syntax.code == 1064)
        let arity = try #require(throws: MariaDBError.self) { try db.execute("SELECT ?", [1, 2]) }
        #expect(arity.code == 0)
        #expect(arity.message.contains("2 parameters bound, 1 expected"))
        // An error leaves the connection usable.
        #expect(try db.queryFirst("SELECT 1") { try $0.int(0) } == 1)
    }

    @Test func duplicateKeyIsARecognizableConstraintViolation() throws {
        try MariaDBTestServer.withTable("id INT PRIMARY KEY, tag VARCHAR(20) NOT NULL UNIQUE") { db, table in
            try db.execute("INSERT INTO \(table) (id, tag) VALUES (?, ?)", [1, "ABC"])
            let error = try #require(throws: MariaDBError.self) {
                try db.execute("INSERT INTO \(table) (id, tag) VALUES (?, ?)", [2, "ABC"])
            }
            #expect(error.code == 1062)
            #expect(error.isConstraintViolation && error.isDuplicateKey)
            #expect(error.message.contains("ABC"))
            let null = try #require(throws: MariaDBError.self) {
                try db.execute("INSERT INTO \(table) (id, tag) VALUES (?, ?)", [3, String?.none])
            }
            #expect(null.isConstraintViolation)
            // Strict mode: too long is an error, not a silent truncation.
            let tooLong = try #require(throws: MariaDBError.self) {
                try db.execute("INSERT INTO \(table) (id, tag) VALUES (?, ?)", [4, String(repeating: "x", count: 21)])
            }
            #expect(tooLong.code == 1406)
        }
    }

    @Test func connectionFailuresAreReported() throws {
        var url = try MariaDBTestServer.url()
        url.password = "wrong password"
        let denied = try #require(throws: MariaDBError.self) { try MariaDBConnection(url: url) }
        #expect(denied.code == 1045)
        #expect(!denied.isConnectionLost)
        #expect(!denied.message.contains("wrong password"))
        // Port 1 on loopback has no listener: refused at once.
        url.endpoint = .tcp(host: "127.0.0.1", port: 1)
        let refused = try #require(throws: MariaDBError.self) { try MariaDBConnection(url: url) }
        #expect(refused.isConnectionLost)
        #expect(refused.isUnavailable)
    }

    @Test func transactionsCommitRollBackAndKeepSavepoints() throws {
        try MariaDBTestServer.withTable("id INT PRIMARY KEY") { db, table in
            #expect(!db.isInTransaction)
            try db.beginWrite()
            #expect(db.isInTransaction)
            try db.execute("INSERT INTO \(table) (id) VALUES (?)", [1])
            try db.savepoint("job")
            try db.execute("INSERT INTO \(table) (id) VALUES (?)", [2])
            try db.rollbackToSavepoint("job")
            try db.releaseSavepoint("job")
            #expect(db.isInTransaction)
            try db.commit()
            #expect(!db.isInTransaction)
            try db.beginWrite()
            try db.execute("INSERT INTO \(table) (id) VALUES (?)", [3])
            db.rollback()
            #expect(!db.isInTransaction)
            #expect(try db.query("SELECT id FROM \(table) ORDER BY id") { try $0.int(0) } == [1])
            #expect(throws: MariaDBError.self) { try db.savepoint("job; DROP TABLE x") }
            // DDL commits implicitly; the workers must know the transaction is over.
            try db.beginWrite()
            try db.exec("CREATE TEMPORARY TABLE IF NOT EXISTS scratch (x INT)")
            try db.exec("ALTER TABLE \(table) ADD COLUMN note VARCHAR(10) NULL")
            #expect(!db.isInTransaction)
        }
    }

    @Test func groupCommitWritesTwoHundredConcurrentJobsInFewerCommits() async throws {
        let url = try MariaDBTestServer.url()
        let setup = try MariaDBTestServer.connect()
        let table = "test_group_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try setup.exec("CREATE TABLE \(table) (id INT PRIMARY KEY, station VARCHAR(20) NOT NULL) ENGINE=InnoDB")
        defer { try? setup.exec("DROP TABLE IF EXISTS \(table)") }
        let workers = DatabaseWorkers<MariaDBConnection>(
            name: "mariadb-test", readers: 2, makeWriter: { try MariaDBConnection(url: url) },
            makeReader: { try MariaDBConnection(url: url) })
        let failures = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<200 {
                group.addTask {
                    _ = try await workers.write { db in
                        try db.execute("INSERT INTO \(table) (id, station) VALUES (?, ?)", [index, "CP\(index)"])
                    }
                    return false
                }
            }
            // A job that fails is rolled back alone; the others in its commit stay.
            group.addTask {
                do {
                    _ = try await workers.write { db in
                        try db.execute("INSERT INTO \(table) (id, station) VALUES (?, ?)", [1000, "ghost"])
                        try db.execute("INSERT INTO \(table) (id, station) VALUES (?, ?)", [0, "duplicate"])
                    }
                    return false
                } catch let error as MariaDBError {
                    return error.isDuplicateKey
                }
            }
            var failures = 0
            for try await failed in group where failed {
                failures += 1
            }
            return failures
        }
        #expect(failures == 1)
        let count = try await workers.read { db in try db.queryFirst("SELECT COUNT(*) FROM \(table)") { try $0.int(0) } }
        #expect(count == 200)
        let ghost = try await workers.read { db in
            try db.queryFirst("SELECT station FROM \(table) WHERE id = ?", [1000]) { try $0.string(0) }
        }
        #expect(ghost == nil)
        let statistics = workers.writeStatistics
        #expect(statistics.jobs == 201)
        #expect(statistics.commits < statistics.jobs)
        #expect(statistics.isolatedReruns == 1)
        await workers.close()
    }

    /// Several writers: one station's writes keep their order on its writer, and another station's writer commits while
    /// the first is busy (with one writer, the second job would wait behind the first: the flag never comes).
    @Test func writersCommitSideBySideAndKeepEachStationsOrder() async throws {
        let url = try MariaDBTestServer.url()
        let setup = try MariaDBTestServer.connect()
        let table = "test_shards_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try setup.exec(
            "CREATE TABLE \(table) (id INT AUTO_INCREMENT PRIMARY KEY, station VARCHAR(20) NOT NULL, n INT NOT NULL) ENGINE=InnoDB")
        defer { try? setup.exec("DROP TABLE IF EXISTS \(table)") }
        let workers = DatabaseWorkers<MariaDBConnection>(
            name: "mariadb-test", writers: 4, readers: 1, makeWriter: { try MariaDBConnection(url: url) },
            makeReader: { try MariaDBConnection(url: url) })
        #expect(workers.writers == 4)
        let stations = (1...1000).map { "CP\($0)" }
        let counts = Dictionary(grouping: stations, by: workers.shard(of:)).mapValues(\.count)
        #expect(counts.count == 4 && counts.values.allSatisfy { (150...350).contains($0) }, "\(counts)")
        #expect(stations.allSatisfy { workers.shard(of: $0) == workers.shard(of: $0) })

        let (busy, other) = try #require(
            stations.lazy.compactMap { a in stations.first { workers.shard(of: $0) != workers.shard(of: a) }.map { (a, $0) } }.first)
        let otherCommitted = Counter()
        async let blocked: Bool = workers.write(shard: workers.shard(of: busy)) { _ in
            let deadline = Date().addingTimeInterval(10)
            while otherCommitted.value == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
            return otherCommitted.value == 1
        }
        try await workers.write(shard: workers.shard(of: other)) { db in
            try db.execute("INSERT INTO \(table) (station, n) VALUES (?, ?)", [other, 0])
        }
        otherCommitted.add()
        #expect(try await blocked, "the other station's write waited for the busy writer")

        // Queued without waiting for each other, one station's writes commit in the order they were queued.
        let done = Counter()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            for n in 1...200 {
                workers.submitWrite(
                    shard: workers.shard(of: busy),
                    run: { db, _ in
                        try db.execute("INSERT INTO \(table) (station, n) VALUES (?, ?)", [busy, n])
                        return { if done.add() == 200 { continuation.resume() } }
                    },
                    fail: { Issue.record("\($0)") })
            }
        }
        let order = try await workers.read { db in
            try db.query("SELECT n FROM \(table) WHERE station = ? ORDER BY id", [busy]) { try $0.int(0) }
        }
        #expect(order == Array(1...200))
        await workers.close()
    }

    @Test func killedConnectionIsReportedAsLost() throws {
        let victim = try MariaDBTestServer.connect()
        try kill(victim.connectionID)
        let error = try #require(throws: MariaDBError.self) { try victim.queryFirst("SELECT 1") { try $0.int(0) } }
        #expect(error.isConnectionLost, "\(error)")
        #expect(MariaDBConnection.isConnectionLost(error))
        #expect(!victim.isOpen)
        #expect(!victim.isInTransaction)
        // It stays lost: nothing runs on a new session behind the owner's back.
        let again = try #require(throws: MariaDBError.self) { try victim.exec("SELECT 1") }
        #expect(again.isConnectionLost)
    }

    @Test func workersReconnectWhenTheirConnectionIsKilled() async throws {
        let url = try MariaDBTestServer.url()
        let workers = DatabaseWorkers<MariaDBConnection>(
            name: "mariadb-test", readers: 1, makeWriter: { try MariaDBConnection(url: url) },
            makeReader: { try MariaDBConnection(url: url) })
        let writerID = try await workers.write { db in db.connectionID }
        let readerID = try await workers.read { db in db.connectionID }
        try kill(writerID)
        try kill(readerID)
        let newWriterID = try await workers.write { db in db.connectionID }
        let newReaderID = try await workers.read { db in try db.queryFirst("SELECT CONNECTION_ID()") { try $0.int64(0) } }
        #expect(newWriterID != writerID)
        #expect(newReaderID != readerID)
        await workers.close()
    }

    /// A count that writer threads and the test share.
    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        var value: Int { lock.withLock { count } }
        @discardableResult func add() -> Int {
            lock.withLock {
                count += 1
                return count
            }
        }
    }

    /// Kills a session from a second connection and waits until the server has let it go.
    private func kill(_ connectionID: Int64) throws {
        let killer = try MariaDBTestServer.connect()
        try killer.execute("KILL CONNECTION ?", [connectionID])
        for _ in 0..<100 {
            let left = try killer.queryFirst("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?", [connectionID]) {
                try $0.int(0)
            }
            if left == 0 {
                return
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }
}
