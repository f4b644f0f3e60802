import CSQLite
import Foundation

// The only file that touches the SQLite C API. Everything above it binds parameters and reads typed columns.

/// An error SQLite reported, with its result code and message.
struct SQLiteError: Error, CustomStringConvertible, Sendable {
    /// The extended result code (`SQLITE_BUSY_SNAPSHOT`, `SQLITE_CONSTRAINT_UNIQUE`, ...).
    var extendedCode: Int32
    var message: String
    /// The statement that failed, when one did.
    var sql: String?

    /// The primary result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT`, ...).
    var code: Int32 { extendedCode & 0xFF }

    var description: String {
        let statement = sql.map { " in \($0)" } ?? ""
        return "SQLite error \(extendedCode): \(message)\(statement)"
    }

    /// Another connection holds a lock: worth trying again.
    var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
    var isConstraintViolation: Bool { code == SQLITE_CONSTRAINT }
    /// The database cannot be used right now (locked, disk full, I/O error, cannot open).
    var isUnavailable: Bool {
        isBusy || [SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_PROTOCOL, SQLITE_READONLY, SQLITE_NOMEM].contains(code)
    }

    static func misuse(_ message: String, sql: String? = nil) -> SQLiteError {
        SQLiteError(extendedCode: SQLITE_MISUSE, message: message, sql: sql)
    }
}

/// How a connection is opened.
struct SQLiteOpenFlags: OptionSet, Sendable {
    let rawValue: Int32

    static let readOnly = SQLiteOpenFlags(rawValue: SQLITE_OPEN_READONLY)
    static let readWrite = SQLiteOpenFlags(rawValue: SQLITE_OPEN_READWRITE)
    static let create = SQLiteOpenFlags(rawValue: SQLITE_OPEN_CREATE)
    /// No mutex on the connection: each connection is confined to one thread.
    static let noMutex = SQLiteOpenFlags(rawValue: SQLITE_OPEN_NOMUTEX)
}

/// The current row of a query; valid only inside the closure it is passed to.
struct SQLiteRow: SQLRow {
    fileprivate let statement: OpaquePointer
    fileprivate let sql: String

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(statement, column) == SQLITE_NULL
    }

    func optionalInt64(_ column: Int32) -> Int64? {
        isNull(column) ? nil : sqlite3_column_int64(statement, column)
    }

    func optionalInt(_ column: Int32) -> Int? {
        optionalInt64(column).map { Int($0) }
    }

    func optionalDouble(_ column: Int32) -> Double? {
        isNull(column) ? nil : sqlite3_column_double(statement, column)
    }

    func optionalString(_ column: Int32) -> String? {
        guard !isNull(column), let text = sqlite3_column_text(statement, column) else { return nil }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    func optionalDate(_ column: Int32) -> Date? {
        optionalInt64(column).map(StoredTime.date)
    }

    func optionalBool(_ column: Int32) -> Bool? {
        optionalInt64(column).map { $0 != 0 }
    }

    func int64(_ column: Int32) throws -> Int64 {
        try required(optionalInt64(column), column)
    }

    func int(_ column: Int32) throws -> Int {
        try required(optionalInt(column), column)
    }

    func double(_ column: Int32) throws -> Double {
        try required(optionalDouble(column), column)
    }

    func string(_ column: Int32) throws -> String {
        try required(optionalString(column), column)
    }

    func date(_ column: Int32) throws -> Date {
        try required(optionalDate(column), column)
    }

    func bool(_ column: Int32) throws -> Bool {
        try required(optionalBool(column), column)
    }

    private func required<T>(_ value: T?, _ column: Int32) throws -> T {
        guard let value else {
            let name = sqlite3_column_name(statement, column).map { String(cString: $0) } ?? "#\(column)"
            throw SQLiteError.misuse("column \(name) is NULL where a value is required", sql: sql)
        }
        return value
    }
}

/// A prepared statement, reused through the connection's cache.
private final class SQLiteStatement {
    let handle: OpaquePointer
    let sql: String

    init(handle: OpaquePointer, sql: String) {
        self.handle = handle
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }
}

/// SQLite's marker that bound text must be copied before the call returns.
private let transientDestructor = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection, used by one thread at a time; prepared statements are cached by their SQL text.
final class SQLiteConnection {
    private var handle: OpaquePointer?
    private var statements: [String: SQLiteStatement] = [:]
    let path: String

    init(path: String, flags: SQLiteOpenFlags = [.readWrite, .create, .noMutex], busyTimeout: Duration = .seconds(5)) throws {
        self.path = path
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags.rawValue | SQLITE_OPEN_EXRESCODE, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close(db)
            throw SQLiteError(extendedCode: rc, message: "cannot open \(path): \(message)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        let millis = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        sqlite3_busy_timeout(db, Int32(clamping: millis))
    }

    deinit {
        close()
    }

    /// Finalizes the cached statements and closes the connection; later calls fail.
    func close() {
        statements.removeAll()
        if let handle {
            sqlite3_close(handle)
        }
        handle = nil
    }

    var isOpen: Bool { handle != nil }

    /// True inside BEGIN ... COMMIT; false after SQLite rolled a transaction back on its own.
    var isInTransaction: Bool {
        guard let handle else { return false }
        return sqlite3_get_autocommit(handle) == 0
    }

    var lastInsertRowID: Int64 {
        guard let handle else { return 0 }
        return sqlite3_last_insert_rowid(handle)
    }

    /// Runs SQL text with no parameters, possibly several statements (schema, pragmas); rows are ignored.
    func exec(_ sql: String) throws {
        let db = try open()
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(db))
            sqlite3_free(errorMessage)
            throw SQLiteError(extendedCode: sqlite3_extended_errcode(db), message: message, sql: sql)
        }
    }

    /// Runs one statement with bound parameters; returns the number of rows it changed.
    @discardableResult
    func execute(_ sql: String, _ parameters: [any SQLBindable]) throws -> Int {
        let db = try open()
        try run(sql, parameters) { _ in }
        return Int(sqlite3_changes64(db))
    }

    /// Runs a query and maps every row.
    func query<T>(_ sql: String, _ parameters: [any SQLBindable], _ map: (SQLiteRow) throws -> T) throws -> [T] {
        var result: [T] = []
        try run(sql, parameters) { row in result.append(try map(row)) }
        return result
    }

    /// Runs a query and maps its first row, nil when there is none.
    func queryFirst<T>(_ sql: String, _ parameters: [any SQLBindable], _ map: (SQLiteRow) throws -> T) throws -> T? {
        var result: T?
        try run(sql, parameters, maxRows: 1) { row in result = try map(row) }
        return result
    }

    private func open() throws -> OpaquePointer {
        guard let handle else { throw SQLiteError.misuse("the connection to \(path) is closed") }
        return handle
    }

    private func prepared(_ sql: String) throws -> SQLiteStatement {
        if let statement = statements[sql] {
            return statement
        }
        let db = try open()
        var statementHandle: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statementHandle, nil)
        guard rc == SQLITE_OK, let statementHandle else {
            throw SQLiteError(extendedCode: sqlite3_extended_errcode(db), message: String(cString: sqlite3_errmsg(db)), sql: sql)
        }
        let statement = SQLiteStatement(handle: statementHandle, sql: sql)
        statements[sql] = statement
        return statement
    }

    private func run(
        _ sql: String, _ parameters: [any SQLBindable], maxRows: Int = .max, _ onRow: (SQLiteRow) throws -> Void
    ) throws {
        let db = try open()
        let statement = try prepared(sql)
        let stmt = statement.handle
        // Reset before returning even on error, so the cached statement holds no read lock between jobs.
        defer {
            sqlite3_reset(stmt)
            sqlite3_clear_bindings(stmt)
        }
        try bind(parameters, to: statement)
        var rows = 0
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE {
                return
            }
            guard rc == SQLITE_ROW else {
                throw SQLiteError(extendedCode: sqlite3_extended_errcode(db), message: String(cString: sqlite3_errmsg(db)), sql: sql)
            }
            try onRow(SQLiteRow(statement: stmt, sql: sql))
            rows += 1
            if rows >= maxRows {
                return
            }
        }
    }

    private func bind(_ parameters: [any SQLBindable], to statement: SQLiteStatement) throws {
        let stmt = statement.handle
        let expected = Int(sqlite3_bind_parameter_count(stmt))
        guard expected == parameters.count else {
            throw SQLiteError.misuse("\(parameters.count) parameters bound, \(expected) expected", sql: statement.sql)
        }
        for (offset, parameter) in parameters.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch parameter.sqlValue {
            case .null:
                rc = sqlite3_bind_null(stmt, index)
            case .integer(let value):
                rc = sqlite3_bind_int64(stmt, index, value)
            case .real(let value):
                rc = sqlite3_bind_double(stmt, index, value)
            case .text(let value):
                // An explicit byte length keeps text with embedded NULs whole.
                let length = Int32(clamping: value.utf8.count)
                rc = value.withCString { sqlite3_bind_text(stmt, index, $0, length, transientDestructor) }
            }
            guard rc == SQLITE_OK else {
                throw SQLiteError(extendedCode: rc, message: String(cString: sqlite3_errstr(rc)), sql: statement.sql)
            }
        }
    }
}

extension SQLiteConnection: SQLDatabase {
    func beginWrite() throws {
        // IMMEDIATE takes the write lock up front, so a busy database fails here, before any job ran.
        try execute("BEGIN IMMEDIATE")
    }

    func beginRead() throws {
        try execute("BEGIN DEFERRED")
    }

    func commit() throws {
        try execute("COMMIT")
    }

    func rollback() {
        if isInTransaction {
            _ = try? execute("ROLLBACK")
        }
    }

    func savepoint(_ name: String) throws {
        try execute("SAVEPOINT \(name)")
    }

    func releaseSavepoint(_ name: String) throws {
        try execute("RELEASE SAVEPOINT \(name)")
    }

    func rollbackToSavepoint(_ name: String) throws {
        try execute("ROLLBACK TO SAVEPOINT \(name)")
    }

    static func isTransient(_ error: any Error) -> Bool {
        (error as? SQLiteError)?.isBusy ?? false
    }

    static func isConnectionLost(_ error: any Error) -> Bool {
        // A file that vanished or an I/O error is best met with a fresh connection.
        guard let error = error as? SQLiteError else { return false }
        return error.code == SQLITE_IOERR || error.code == SQLITE_CANTOPEN
    }
}
