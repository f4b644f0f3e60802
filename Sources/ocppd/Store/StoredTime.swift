import Foundation

/// How both backends store a time: integer milliseconds since 1970 UTC (BIGINT), which sorts and compares as numbers.
enum StoredTime {
    /// Rounded to the nearest millisecond, so a time that came from a millisecond timestamp comes back equal.
    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    static func date(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
