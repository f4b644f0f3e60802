import Foundation
import Shared

// The seam between the store's SQL and the two client libraries: the store code is written once against these
// protocols, and SQLite.swift and MariaDB.swift each provide them over their C API.

/// A value as a statement parameter carries it; both backends bind the same four kinds.
enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
}

/// A Swift value that can be bound to a statement parameter.
protocol SQLBindable {
    var sqlValue: SQLValue { get }
}

extension SQLValue: SQLBindable {
    var sqlValue: SQLValue { self }
}

extension Int: SQLBindable {
    var sqlValue: SQLValue { .integer(Int64(self)) }
}

extension Int64: SQLBindable {
    var sqlValue: SQLValue { .integer(self) }
}

extension Double: SQLBindable {
    var sqlValue: SQLValue { .real(self) }
}

extension String: SQLBindable {
    var sqlValue: SQLValue { .text(self) }
}

extension Bool: SQLBindable {
    var sqlValue: SQLValue { .integer(self ? 1 : 0) }
}

extension Date: SQLBindable {
    var sqlValue: SQLValue { .integer(StoredTime.milliseconds(self)) }
}

extension Optional: SQLBindable where Wrapped: SQLBindable {
    var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// The typed getters of a result row. The throwing ones require a value; the optional ones read NULL as nil.
protocol SQLRow {
    func isNull(_ column: Int32) -> Bool
    func optionalInt64(_ column: Int32) -> Int64?
    func optionalInt(_ column: Int32) -> Int?
    func optionalDouble(_ column: Int32) -> Double?
    func optionalString(_ column: Int32) -> String?
    func optionalDate(_ column: Int32) -> Date?
    func optionalBool(_ column: Int32) -> Bool?
    func int64(_ column: Int32) throws -> Int64
    func int(_ column: Int32) throws -> Int
    func double(_ column: Int32) throws -> Double
    func string(_ column: Int32) throws -> String
    func date(_ column: Int32) throws -> Date
    func bool(_ column: Int32) throws -> Bool
}

/// A connection the shared store code runs its statements on, from a database worker thread.
protocol SQLDatabase: DatabaseConnection {
    associatedtype Row: SQLRow
    /// The id the last INSERT allocated (SQLite's rowid, MariaDB's AUTO_INCREMENT value).
    var lastInsertRowID: Int64 { get }
    /// Runs fixed SQL text without parameters (schema, transaction control); never for values.
    func exec(_ sql: String) throws
    /// Runs one statement with bound parameters; returns the rows it matched.
    @discardableResult
    func execute(_ sql: String, _ parameters: [any SQLBindable]) throws -> Int
    func query<T>(_ sql: String, _ parameters: [any SQLBindable], _ map: (Row) throws -> T) throws -> [T]
    /// The first row mapped, nil when there is none.
    func queryFirst<T>(_ sql: String, _ parameters: [any SQLBindable], _ map: (Row) throws -> T) throws -> T?
}

extension SQLDatabase {
    @discardableResult
    func execute(_ sql: String) throws -> Int {
        try execute(sql, [])
    }

    func beginWrite(markingBatch batch: Int64, of writer: String) throws {
        try beginWrite()
        let now = Date()
        if try execute("UPDATE write_batches SET batch = ?, updated_at = ? WHERE writer = ?", [batch, now, writer]) == 0 {
            try execute("INSERT INTO write_batches (writer, batch, updated_at) VALUES (?, ?, ?)", [writer, batch, now])
        }
    }

    func lastCommittedBatch(writer: String) throws -> Int64? {
        try queryFirst("SELECT batch FROM write_batches WHERE writer = ?", [writer]) { try $0.int64(0) }
    }

    func query<T>(_ sql: String, _ map: (Row) throws -> T) throws -> [T] {
        try query(sql, [], map)
    }

    func queryFirst<T>(_ sql: String, _ map: (Row) throws -> T) throws -> T? {
        try queryFirst(sql, [], map)
    }
}

extension Array where Element == any SQLBindable {
    /// LIMIT and OFFSET parameters; negative values mean none and everything.
    static func page(_ page: PageRequest) -> [any SQLBindable] {
        [Swift.max(0, page.limit), Swift.max(0, page.offset)]
    }
}

/// The text of a many-row INSERT for each number of rows, made once per number: the writer thread writes every
/// MeterValues and event with one, and joining its rows' placeholders again each time cost more than binding them.
final class RowInserts: Sendable {
    private let head: String
    private let row: String
    private let tail: String
    /// Guards the texts made so far; the writer thread uses them, tests may too.
    private let texts = Locked([Int: String]())

    /// `head` VALUES `row`, `row`, ... `tail`.
    init(_ head: String, row: String, tail: String = "") {
        self.head = head
        self.row = row
        self.tail = tail
    }

    func text(rows count: Int) -> String {
        if let text = texts.withLock({ $0[count] }) { return text }
        let text = "\(head) VALUES \(repeatElement(row, count: count).joined(separator: ", "))\(tail.isEmpty ? "" : " ")\(tail)"
        texts.withLock { $0[count] = text }
        return text
    }
}
