import CMariaDB
import Foundation

// The only file that touches libmariadb. Everything above it binds parameters and reads typed columns, with the same
// row API as SQLite.swift, so store code can be shared between the backends.

/// An error MariaDB reported, the server (1000-1999, 3000+) or the client library (2000-2999), with its number and message.
struct MariaDBError: Error, CustomStringConvertible, Sendable {
    /// MariaDB's error number (`ER_DUP_ENTRY` 1062, `CR_SERVER_GONE_ERROR` 2006, ...); 0 for misuse of this wrapper.
    var code: Int
    var sqlState: String
    var message: String
    /// The statement that failed, when one did.
    var sql: String?

    init(code: Int, sqlState: String = "HY000", message: String, sql: String? = nil) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.sql = sql
    }

    var description: String {
        let statement = sql.map { " in \($0)" } ?? ""
        return "MariaDB error \(code) (\(sqlState)): \(message)\(statement)"
    }

    /// Error numbers, spelled out here because not all of them are in the installed client's headers.
    enum Code {
        static let duplicateEntry = 1062
        static let lockWaitTimeout = 1205
        static let deadlock = 1213
        static let needReprepare = 1615
        static let wsrepNotReady = 1047
        static let errorDuringCommit = 1180
        static let serverGone = 2006
        static let connectionFailures: Set<Int> = [
            1053,  // ER_SERVER_SHUTDOWN
            1927,  // ER_CONNECTION_KILLED
            2002,  // CR_CONNECTION_ERROR (socket, or TCP refused)
            2003,  // CR_CONN_HOST_ERROR
            2006,  // CR_SERVER_GONE_ERROR
            2013,  // CR_SERVER_LOST
            2014,  // CR_COMMANDS_OUT_OF_SYNC: the protocol state is unknown
            2055,  // CR_SERVER_LOST_EXTENDED
            4031,  // ER_CLIENT_INTERACTION_TIMEOUT (wait_timeout)
        ]
        static let constraintViolations: Set<Int> = [
            1048,  // ER_BAD_NULL_ERROR
            1062,  // ER_DUP_ENTRY
            1216, 1217,  // ER_NO_REFERENCED_ROW, ER_ROW_IS_REFERENCED
            1451, 1452,  // ER_ROW_IS_REFERENCED_2, ER_NO_REFERENCED_ROW_2
            1586,  // ER_DUP_ENTRY_WITH_KEY_NAME
            4025,  // ER_CONSTRAINT_FAILED (CHECK)
        ]
    }

    /// Worth running the whole transaction again: InnoDB chose it as a deadlock victim or it waited too long for a lock.
    /// On Galera also: a commit another node's write won over (1213, certification), or that failed while the cluster's
    /// membership changed (1180, "Not connected to Primary Component"); either way nothing was committed.
    var isTransient: Bool { code == Code.deadlock || code == Code.lockWaitTimeout || code == Code.errorDuringCommit }
    /// The connection is gone or was never made: close it and open a new one.
    var isConnectionLost: Bool { Code.connectionFailures.contains(code) }
    var isConstraintViolation: Bool { Code.constraintViolations.contains(code) }
    var isDuplicateKey: Bool { code == Code.duplicateEntry || code == 1586 }
    /// The database cannot be used right now (down, unreachable, busy, out of connections).
    /// 1047 is a Galera node outside the Primary component ("WSREP has not yet prepared node for application use"): it
    /// serves again once it rejoins, or the load balancer sends the stations elsewhere.
    var isUnavailable: Bool { isConnectionLost || isTransient || code == 1040 || code == 1203 || code == Code.wsrepNotReady }

    static func misuse(_ message: String, sql: String? = nil) -> MariaDBError {
        MariaDBError(code: 0, message: message, sql: sql)
    }
}

/// One row of a result, copied out of the client library's buffers, so it is an ordinary value.
struct MariaDBRow: SQLRow {
    fileprivate let values: [SQLValue]
    fileprivate let columns: [String]
    fileprivate let sql: String

    var columnCount: Int { values.count }

    func value(_ column: Int32) -> SQLValue {
        values.indices.contains(Int(column)) ? values[Int(column)] : .null
    }

    func isNull(_ column: Int32) -> Bool {
        value(column) == .null
    }

    func optionalInt64(_ column: Int32) -> Int64? {
        switch value(column) {
        case .null: nil
        case .integer(let value): value
        case .real(let value): Int64(exactly: value.rounded(.towardZero))
        // SUM() of integers comes back as DECIMAL text such as "42".
        case .text(let text): Int64(text) ?? Double(text).flatMap { Int64(exactly: $0.rounded(.towardZero)) }
        }
    }

    func optionalInt(_ column: Int32) -> Int? {
        optionalInt64(column).flatMap { Int(exactly: $0) }
    }

    func optionalDouble(_ column: Int32) -> Double? {
        switch value(column) {
        case .null: nil
        case .integer(let value): Double(value)
        case .real(let value): value
        case .text(let text): Double(text)
        }
    }

    func optionalString(_ column: Int32) -> String? {
        switch value(column) {
        case .null: nil
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .text(let text): text
        }
    }

    func optionalDate(_ column: Int32) -> Date? {
        optionalInt64(column).map(StoredTime.date)
    }

    func optionalBool(_ column: Int32) -> Bool? {
        optionalInt64(column).map { $0 != 0 }
    }

    func int64(_ column: Int32) throws -> Int64 {
        try required(optionalInt64(column), column, "an integer")
    }

    func int(_ column: Int32) throws -> Int {
        try required(optionalInt(column), column, "an integer")
    }

    func double(_ column: Int32) throws -> Double {
        try required(optionalDouble(column), column, "a number")
    }

    func string(_ column: Int32) throws -> String {
        try required(optionalString(column), column, "a string")
    }

    func date(_ column: Int32) throws -> Date {
        try required(optionalDate(column), column, "a time in milliseconds")
    }

    func bool(_ column: Int32) throws -> Bool {
        try required(optionalBool(column), column, "a boolean")
    }

    private func required<T>(_ value: T?, _ column: Int32, _ kind: String) throws -> T {
        if let value {
            return value
        }
        guard values.indices.contains(Int(column)) else {
            throw MariaDBError.misuse("no column #\(column): the result has \(values.count)", sql: sql)
        }
        let name = columns[Int(column)]
        if case .null = values[Int(column)] {
            throw MariaDBError.misuse("column \(name) is NULL where a value is required", sql: sql)
        }
        throw MariaDBError.misuse("column \(name) holds \(values[Int(column)]), not \(kind)", sql: sql)
    }
}

/// The client library's global state, set up once before the first connection.
enum MariaDBLibrary {
    // mysql_init() would do this on first use, but not thread-safely; a global let runs exactly once.
    private static let initialized: Bool = mysql_server_init(0, nil, nil) == 0

    static func initialize() throws {
        guard initialized else { throw MariaDBError(code: 2000, message: "libmariadb failed to initialize") }
    }

    /// Frees the library's global state; only at process exit, after every connection is closed.
    static func end() {
        mysql_server_end()
    }
}

/// A prepared statement, reused through the connection's cache.
private final class MariaDBStatement {
    let handle: UnsafeMutablePointer<MYSQL_STMT>
    let sql: String
    let parameterCount: Int

    init(handle: UnsafeMutablePointer<MYSQL_STMT>, sql: String) {
        self.handle = handle
        self.sql = sql
        parameterCount = Int(mysql_stmt_param_count(handle))
    }

    deinit {
        mysql_stmt_close(handle)
    }
}

/// One connection to MariaDB, used by one thread at a time (the library allows no more); its calls block, so it lives on
/// the database worker threads. Prepared statements are cached by their SQL text. Reconnecting is the owner's job: a lost
/// connection stays lost, so no transaction silently continues on a new session.
final class MariaDBConnection {
    private var handle: UnsafeMutablePointer<MYSQL>?
    private var statements: [String: MariaDBStatement] = [:]
    /// Set by an error that ended the session or the transaction, which the last OK packet's status cannot know.
    private var lost = false
    private var transactionAborted = false
    let url: MariaDBURL
    /// The AUTO_INCREMENT value the last INSERT generated.
    private(set) var lastInsertID: Int64 = 0
    /// Rows the last INSERT, UPDATE or DELETE matched (not only the rows it changed, as SQLite counts them).
    private(set) var affectedRows = 0
    /// For tests: lets COMMITs take effect while their answer is lost, as when the network fails at that moment.
    var commitFault: CommitFault?

    /// Enough for every statement the store has; beyond it the cache starts over rather than growing on the server.
    static let statementCacheLimit = 256
    /// Strict, so an over-long string or a bad number is an error instead of a silent truncation; UTC, although times are
    /// stored as milliseconds, for any NOW() a query may use.
    static let sessionSetup =
        "SET SESSION sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', "
        + "time_zone = '+00:00'"

    init(url: MariaDBURL) throws {
        try MariaDBLibrary.initialize()
        self.url = url
        guard let mysql = mysql_init(nil) else { throw MariaDBError(code: 2008, message: "libmariadb is out of memory") }
        var connected = false
        defer {
            if !connected {
                mysql_close(mysql)
            }
        }
        var connectTimeout = UInt32(clamping: url.connectTimeout)
        var socketTimeout = UInt32(clamping: url.socketTimeout)
        var reconnect: my_bool = 0
        var isTCP = false
        if case .tcp = url.endpoint {
            isTCP = true
        }
        // TCP even for "localhost", which libmariadb would otherwise quietly turn into the default unix socket.
        var proto = (isTCP ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET).rawValue
        let failed = [
            mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connectTimeout),
            mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &socketTimeout),
            mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &socketTimeout),
            // A silent reconnect would lose the open transaction and the session settings without anyone knowing.
            mysql_options(mysql, MYSQL_OPT_RECONNECT, &reconnect),
            mysql_options(mysql, MYSQL_OPT_PROTOCOL, &proto),
            mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4"),
        ].contains { $0 != 0 }
        guard !failed else { throw Self.error(mysql, sql: nil) }

        // FOUND_ROWS makes an UPDATE report the rows it matched, as SQLite does, not only those whose values changed.
        // MULTI_STATEMENTS lets the writer's batch mark travel with its START TRANSACTION; `exec` runs fixed text only.
        let flags = UInt(CLIENT_FOUND_ROWS) | UInt(CLIENT_MULTI_STATEMENTS)
        let result: UnsafeMutablePointer<MYSQL>?
        switch url.endpoint {
        case .tcp(let host, let port):
            result = mysql_real_connect(mysql, host, url.user, url.password, url.database, UInt32(port), nil, flags)
        case .socket(let path):
            result = mysql_real_connect(mysql, "localhost", url.user, url.password, url.database, 0, path, flags)
        }
        guard result != nil else {
            var error = Self.error(mysql, sql: nil)
            error.message += " (connecting to \(url))"
            throw error
        }
        connected = true
        handle = mysql
        try exec(Self.sessionSetup)
    }

    deinit {
        close()
    }

    /// Closes the cached statements and the connection; later calls fail as a lost connection.
    func close() {
        // Statements first: closing them needs the connection.
        statements.removeAll()
        if let handle {
            mysql_close(handle)
        }
        handle = nil
    }

    var isOpen: Bool { handle != nil && !lost }

    /// The server's id of this session, as CONNECTION_ID() and KILL know it.
    var connectionID: Int64 {
        guard let handle else { return 0 }
        return Int64(mysql_thread_id(handle))
    }

    var serverVersion: String {
        guard let handle, let version = mysql_get_server_info(handle) else { return "" }
        return String(cString: version)
    }

    /// The name SQLiteConnection gives the last insert id, so store code reads the same on both.
    var lastInsertRowID: Int64 { lastInsertID }

    /// True inside START TRANSACTION ... COMMIT; false once a deadlock, a lost connection or an implicit commit (DDL)
    /// ended the transaction.
    var isInTransaction: Bool {
        guard let handle, !lost, !transactionAborted else { return false }
        return handle.pointee.server_status & UInt32(SERVER_STATUS_IN_TRANS) != 0
    }

    /// Runs fixed statements without parameters through the text protocol (transaction control, DDL, SET), one or several
    /// separated by semicolons, stopping at the first that fails; any rows are discarded. Never for values from outside:
    /// those go through `execute` as bound parameters.
    func exec(_ sql: String) throws {
        let db = try open()
        guard mysql_real_query(db, sql, UInt(sql.utf8.count)) == 0 else { throw fail(Self.error(db, sql: sql)) }
        while true {
            if mysql_field_count(db) > 0 {
                guard let result = mysql_store_result(db) else { throw fail(Self.error(db, sql: sql)) }
                mysql_free_result(result)
            } else {
                affectedRows = Int(truncatingIfNeeded: mysql_affected_rows(db))
            }
            let next = mysql_next_result(db)
            guard next <= 0 else { throw fail(Self.error(db, sql: sql)) }
            if next < 0 { return }
        }
    }

    /// Runs one statement with bound parameters; returns the number of rows it matched.
    @discardableResult
    func execute(_ sql: String, _ parameters: [any SQLBindable]) throws -> Int {
        try run(sql, parameters) { _ in }
        return affectedRows
    }

    /// Runs a query and maps every row.
    func query<T>(_ sql: String, _ parameters: [any SQLBindable], _ map: (MariaDBRow) throws -> T) throws -> [T] {
        var result: [T] = []
        try run(sql, parameters) { row in result.append(try map(row)) }
        return result
    }

    /// Runs a query and maps its first row, nil when there is none.
    func queryFirst<T>(_ sql: String, _ parameters: [any SQLBindable], _ map: (MariaDBRow) throws -> T) throws -> T? {
        var result: T?
        try run(sql, parameters, maxRows: 1) { row in result = try map(row) }
        return result
    }

    private func open() throws -> UnsafeMutablePointer<MYSQL> {
        guard let handle, !lost else {
            throw MariaDBError(code: MariaDBError.Code.serverGone, message: "the connection to \(url) is closed or was lost")
        }
        return handle
    }

    /// Notes what an error did to the session before passing it on.
    private func fail(_ error: MariaDBError) -> MariaDBError {
        if error.isConnectionLost {
            lost = true
            statements.removeAll()
        } else if error.code == MariaDBError.Code.deadlock {
            // InnoDB rolled the whole transaction back; the earlier statements' work is gone.
            transactionAborted = true
        }
        return error
    }

    private static func error(_ mysql: UnsafeMutablePointer<MYSQL>, sql: String?) -> MariaDBError {
        MariaDBError(
            code: Int(mysql_errno(mysql)), sqlState: String(cString: mysql_sqlstate(mysql)),
            message: String(cString: mysql_error(mysql)), sql: sql)
    }

    private static func error(_ statement: UnsafeMutablePointer<MYSQL_STMT>, sql: String) -> MariaDBError {
        MariaDBError(
            code: Int(mysql_stmt_errno(statement)), sqlState: String(cString: mysql_stmt_sqlstate(statement)),
            message: String(cString: mysql_stmt_error(statement)), sql: sql)
    }

    private func prepared(_ sql: String) throws -> MariaDBStatement {
        if let statement = statements[sql] {
            return statement
        }
        let db = try open()
        guard let handle = mysql_stmt_init(db) else { throw fail(Self.error(db, sql: sql)) }
        guard mysql_stmt_prepare(handle, sql, UInt(sql.utf8.count)) == 0 else {
            let error = Self.error(handle, sql: sql)
            mysql_stmt_close(handle)
            throw fail(error)
        }
        // Lets a result's text columns be fetched into buffers of the right size in one go.
        var updateMaxLength: my_bool = 1
        mysql_stmt_attr_set(handle, STMT_ATTR_UPDATE_MAX_LENGTH, &updateMaxLength)
        if statements.count >= Self.statementCacheLimit {
            statements.removeAll()
        }
        let statement = MariaDBStatement(handle: handle, sql: sql)
        statements[sql] = statement
        return statement
    }

    private func run(
        _ sql: String, _ parameters: [any SQLBindable], maxRows: Int = .max, _ onRow: (MariaDBRow) throws -> Void
    ) throws {
        do {
            try run(prepared(sql), parameters, maxRows: maxRows, onRow)
        } catch let error as MariaDBError where error.code == MariaDBError.Code.needReprepare {
            // A table changed under the cached statement more often than the server re-prepares on its own.
            statements[sql] = nil
            try run(prepared(sql), parameters, maxRows: maxRows, onRow)
        }
    }

    private func run(
        _ statement: MariaDBStatement, _ parameters: [any SQLBindable], maxRows: Int, _ onRow: (MariaDBRow) throws -> Void
    ) throws {
        let stmt = statement.handle
        guard parameters.count == statement.parameterCount else {
            throw MariaDBError.misuse("\(parameters.count) parameters bound, \(statement.parameterCount) expected", sql: statement.sql)
        }
        try Self.withParameters(parameters) { binds in
            if let binds, mysql_stmt_bind_param(stmt, binds) != 0 {
                throw fail(Self.error(stmt, sql: statement.sql))
            }
            guard mysql_stmt_execute(stmt) == 0 else { throw fail(Self.error(stmt, sql: statement.sql)) }
        }
        guard mysql_stmt_field_count(stmt) > 0 else {
            affectedRows = Int(truncatingIfNeeded: mysql_stmt_affected_rows(stmt))
            let insertID = mysql_stmt_insert_id(stmt)
            if insertID != 0 {
                lastInsertID = Int64(truncatingIfNeeded: insertID)
            }
            return
        }
        // Buffered, so a caller that stops early leaves nothing unread on the wire.
        defer { mysql_stmt_free_result(stmt) }
        guard mysql_stmt_store_result(stmt) == 0 else { throw fail(Self.error(stmt, sql: statement.sql)) }
        guard let metadata = mysql_stmt_result_metadata(stmt) else { throw fail(Self.error(stmt, sql: statement.sql)) }
        defer { mysql_free_result(metadata) }
        let buffers = ResultBuffers(metadata)
        guard mysql_stmt_bind_result(stmt, buffers.binds) == 0 else { throw fail(Self.error(stmt, sql: statement.sql)) }
        var rows = 0
        while rows < maxRows {
            let rc = mysql_stmt_fetch(stmt)
            if rc == MYSQL_NO_DATA {
                return
            }
            // Truncation can only hit text columns, which `ResultBuffers.values` fetches again whole.
            guard rc == 0 || rc == MYSQL_DATA_TRUNCATED else { throw fail(Self.error(stmt, sql: statement.sql)) }
            let values = try buffers.values(stmt) { Self.error(stmt, sql: statement.sql) }
            try onRow(MariaDBRow(values: values, columns: buffers.names, sql: statement.sql))
            rows += 1
        }
    }

    /// Binds `parameters` in buffers that live until `body` returns.
    private static func withParameters(
        _ parameters: [any SQLBindable], _ body: (UnsafeMutablePointer<MYSQL_BIND>?) throws -> Void
    ) throws {
        guard !parameters.isEmpty else { return try body(nil) }
        let binds = UnsafeMutablePointer<MYSQL_BIND>.allocate(capacity: parameters.count)
        binds.initialize(repeating: MYSQL_BIND(), count: parameters.count)
        var buffers: [UnsafeMutableRawPointer] = []
        defer {
            for buffer in buffers {
                buffer.deallocate()
            }
            binds.deinitialize(count: parameters.count)
            binds.deallocate()
        }
        for (index, parameter) in parameters.enumerated() {
            switch parameter.sqlValue {
            case .null:
                binds[index].buffer_type = MYSQL_TYPE_NULL
            case .integer(let value):
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
                buffer.storeBytes(of: value, as: Int64.self)
                buffers.append(buffer)
                binds[index].buffer_type = MYSQL_TYPE_LONGLONG
                binds[index].buffer = buffer
            case .real(let value):
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
                buffer.storeBytes(of: value, as: Double.self)
                buffers.append(buffer)
                binds[index].buffer_type = MYSQL_TYPE_DOUBLE
                binds[index].buffer = buffer
            case .text(let value):
                // An explicit byte length keeps text with embedded NULs whole.
                let utf8 = Array(value.utf8)
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(1, utf8.count), alignment: 1)
                utf8.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: utf8.count) }
                buffers.append(buffer)
                binds[index].buffer_type = MYSQL_TYPE_STRING
                binds[index].buffer = buffer
                binds[index].buffer_length = UInt(utf8.count)
            }
        }
        try body(binds)
    }
}

/// The output buffers of one result: integers and floats in 8 bytes each, everything else (text, DECIMAL, temporal
/// types) converted to text by the library, in buffers sized by the longest value of the result.
private final class ResultBuffers {
    private enum Kind {
        case integer(unsigned: Bool)
        case real
        case text
    }

    let binds: UnsafeMutablePointer<MYSQL_BIND>
    let names: [String]
    private let kinds: [Kind]
    private let data: [UnsafeMutableRawPointer]
    private let capacities: [Int]
    private let lengths: UnsafeMutablePointer<UInt>
    private let nulls: UnsafeMutablePointer<my_bool>
    private let errors: UnsafeMutablePointer<my_bool>

    init(_ metadata: UnsafeMutablePointer<MYSQL_RES>) {
        let count = Int(mysql_num_fields(metadata))
        let fields = mysql_fetch_fields(metadata)
        binds = .allocate(capacity: max(1, count))
        binds.initialize(repeating: MYSQL_BIND(), count: max(1, count))
        lengths = .allocate(capacity: max(1, count))
        lengths.initialize(repeating: 0, count: max(1, count))
        nulls = .allocate(capacity: max(1, count))
        nulls.initialize(repeating: 0, count: max(1, count))
        errors = .allocate(capacity: max(1, count))
        errors.initialize(repeating: 0, count: max(1, count))
        var names: [String] = []
        var kinds: [Kind] = []
        var data: [UnsafeMutableRawPointer] = []
        var capacities: [Int] = []
        for index in 0..<count {
            let field = fields![index]
            names.append(field.name.map { String(cString: $0) } ?? "#\(index)")
            let kind: Kind
            let capacity: Int
            switch field.type {
            case MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_INT24, MYSQL_TYPE_LONG, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_YEAR:
                kind = .integer(unsigned: field.flags & UInt32(UNSIGNED_FLAG) != 0)
                capacity = 8
                binds[index].buffer_type = MYSQL_TYPE_LONGLONG
            case MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE:
                kind = .real
                capacity = 8
                binds[index].buffer_type = MYSQL_TYPE_DOUBLE
            default:
                kind = .text
                // max_length counts the wire bytes, which for temporal types are fewer than their text.
                capacity = max(64, Int(field.max_length))
                binds[index].buffer_type = MYSQL_TYPE_STRING
            }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
            binds[index].buffer = buffer
            binds[index].buffer_length = UInt(capacity)
            binds[index].is_unsigned = field.flags & UInt32(UNSIGNED_FLAG) != 0 ? 1 : 0
            binds[index].length = lengths + index
            binds[index].is_null = nulls + index
            binds[index].error = errors + index
            kinds.append(kind)
            data.append(buffer)
            capacities.append(capacity)
        }
        self.names = names
        self.kinds = kinds
        self.data = data
        self.capacities = capacities
    }

    deinit {
        for buffer in data {
            buffer.deallocate()
        }
        let count = max(1, kinds.count)
        binds.deinitialize(count: count)
        binds.deallocate()
        lengths.deallocate()
        nulls.deallocate()
        errors.deallocate()
    }

    /// The current row's values, copied out.
    func values(_ stmt: UnsafeMutablePointer<MYSQL_STMT>, error: () -> MariaDBError) throws -> [SQLValue] {
        var values: [SQLValue] = []
        values.reserveCapacity(kinds.count)
        for (index, kind) in kinds.enumerated() {
            if nulls[index] != 0 {
                values.append(.null)
                continue
            }
            switch kind {
            case .integer(let unsigned):
                let value = data[index].load(as: Int64.self)
                // An unsigned BIGINT above Int64.max keeps its value as text rather than turning negative.
                values.append(unsigned && value < 0 ? .text(String(UInt64(bitPattern: value))) : .integer(value))
            case .real:
                values.append(.real(data[index].load(as: Double.self)))
            case .text:
                let length = Int(lengths[index])
                if length <= capacities[index] {
                    values.append(.text(String(decoding: UnsafeRawBufferPointer(start: data[index], count: length), as: UTF8.self)))
                } else {
                    values.append(.text(try fetchWhole(stmt, column: index, length: length, error: error)))
                }
            }
        }
        return values
    }

    private func fetchWhole(
        _ stmt: UnsafeMutablePointer<MYSQL_STMT>, column: Int, length: Int, error: () -> MariaDBError
    ) throws -> String {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 1)
        defer { buffer.deallocate() }
        var fetched: UInt = 0
        var bind = MYSQL_BIND()
        bind.buffer_type = MYSQL_TYPE_STRING
        bind.buffer = buffer
        bind.buffer_length = UInt(length)
        let rc = withUnsafeMutablePointer(to: &fetched) { fetchedPointer in
            bind.length = fetchedPointer
            return mysql_stmt_fetch_column(stmt, &bind, UInt32(column), 0)
        }
        guard rc == 0 else { throw error() }
        return String(decoding: UnsafeRawBufferPointer(start: buffer, count: min(length, Int(fetched))), as: UTF8.self)
    }
}

extension MariaDBConnection: SQLDatabase {
    func beginWrite() throws {
        try exec("START TRANSACTION")
        transactionAborted = false
    }

    /// START TRANSACTION and the writer's batch mark in one round trip. The mark is the transaction's first write, so its
    /// row stays locked until the transaction ends: `lastCommittedBatch` waits for a COMMIT still on its way. The
    /// writer's name is a UUID, so it can be written into the text as it is.
    func beginWrite(markingBatch batch: Int64, of writer: String) throws {
        guard UUID(uuidString: writer) != nil else { throw MariaDBError.misuse("a writer's name must be a UUID: \(writer)") }
        try exec(
            "START TRANSACTION; INSERT INTO write_batches (writer, batch, updated_at) "
                + "VALUES ('\(writer)', \(batch), \(StoredTime.milliseconds(Date()))) "
                + "ON DUPLICATE KEY UPDATE batch = VALUES(batch), updated_at = VALUES(updated_at)")
        transactionAborted = false
    }

    func beginRead() throws {
        // READ ONLY lets InnoDB skip the transaction id and its bookkeeping; the snapshot is the same.
        try exec("START TRANSACTION READ ONLY")
        transactionAborted = false
    }

    func commit() throws {
        if let commitFault, let fault = commitFault.take() {
            try commitLosingTheAnswer(beforeCommit: fault == .beforeCommit)
        }
        try exec("COMMIT")
    }

    /// A locking read: it waits until a transaction that still holds the writer's row (a COMMIT in flight on a
    /// connection whose answer was lost, which the server has not ended yet) is over, committed or rolled back, so the
    /// answer is final. It waits 5 s at most; the writer asks again until its window is over.
    func lastCommittedBatch(writer: String) throws -> Int64? {
        // The 5 s hold for this statement only: the connection goes on as the writer's, with the session's own setting.
        try queryFirst(
            "SET STATEMENT innodb_lock_wait_timeout = 5 FOR SELECT batch FROM write_batches WHERE writer = ? LOCK IN SHARE MODE",
            [writer]
        ) { try $0.int64(0) }
    }

    /// Sends COMMIT and shuts the socket before its answer is read: the server commits, the client sees a lost
    /// connection (CommitFault). With `beforeCommit`, the socket goes before COMMIT is sent: nothing commits.
    private func commitLosingTheAnswer(beforeCommit: Bool) throws {
        let db = try open()
        if beforeCommit {
            shutdown(mysql_get_socket(db), Int32(SHUT_RDWR))
            _ = mysql_send_query(db, "COMMIT", 6)
            _ = mysql_read_query_result(db)
            throw fail(MariaDBError(code: 2013, message: "Lost connection to server before COMMIT (CommitFault)", sql: "COMMIT"))
        }
        guard mysql_send_query(db, "COMMIT", 6) == 0 else { throw fail(Self.error(db, sql: "COMMIT")) }
        // The server has the whole COMMIT before it sees the end of the stream, so it commits, then finds nobody to
        // answer. Give it a moment before the socket goes.
        Thread.sleep(forTimeInterval: 0.05)
        shutdown(mysql_get_socket(db), Int32(SHUT_RDWR))
        _ = mysql_read_query_result(db)
        throw fail(MariaDBError(code: 2013, message: "Lost connection to server during query (CommitFault)", sql: "COMMIT"))
    }

    func rollback() {
        guard isOpen else { return }
        _ = try? exec("ROLLBACK")
        transactionAborted = false
    }

    func savepoint(_ name: String) throws {
        try exec("SAVEPOINT \(try Self.identifier(name))")
    }

    func releaseSavepoint(_ name: String) throws {
        try exec("RELEASE SAVEPOINT \(try Self.identifier(name))")
    }

    func rollbackToSavepoint(_ name: String) throws {
        try exec("ROLLBACK TO SAVEPOINT \(try Self.identifier(name))")
    }

    static func isTransient(_ error: any Error) -> Bool {
        (error as? MariaDBError)?.isTransient ?? false
    }

    static func isConnectionLost(_ error: any Error) -> Bool {
        (error as? MariaDBError)?.isConnectionLost ?? false
    }

    /// A savepoint name goes into SQL text, so it must be a plain identifier.
    private static func identifier(_ name: String) throws -> String {
        let letters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
        let digits = Set("0123456789")
        guard let first = name.first, letters.contains(first), name.allSatisfy({ letters.contains($0) || digits.contains($0) }) else {
            throw MariaDBError.misuse("'\(name)' is not a plain identifier")
        }
        return name
    }
}
