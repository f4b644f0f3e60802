import Foundation
import Shared

/// Human output: aligned tables, local times with ages, colour only on a terminal without NO_COLOR.
enum Output {
    static let useColor: Bool = {
        isatty(STDOUT_FILENO) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty  // no-color.org: set and non-empty
            && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }()

    enum Color: String {
        case green = "32"
        case yellow = "33"
        case red = "31"
        case blue = "34"
        case dim = "2"
        case bold = "1"
    }

    /// Writes what `print` buffered: a pipe (a script, `| tee`) sees what came so far at once.
    static func flush() {
        fflush(nil)
    }

    /// A line of a command that waits (a step done, a request to sign), seen at once also through a pipe.
    static func progress(_ line: String) {
        print(line)
        flush()
    }

    /// A size for people: 512 B, 3.4 KiB, 12.0 MiB, 1.2 GiB.
    static func bytes(_ count: Int64) -> String {
        guard count >= 1024 else { return "\(count) B" }
        var value = Double(count) / 1024
        for unit in ["KiB", "MiB", "GiB"] {
            if value < 1024 || unit == "GiB" { return String(format: "%.1f %@", value, unit) }
            value /= 1024
        }
        return "\(count) B"
    }

    static func paint(_ text: String, _ color: Color?) -> String {
        guard useColor, let color, !text.isEmpty else { return text }
        return "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m"
    }

    /// The colour operators expect for a connector or registration status.
    static func color(forStatus status: String) -> Color? {
        switch status {
        case "Available", "Accepted", "connected": .green
        case "Charging", "Preparing", "SuspendedEV", "SuspendedEVSE", "Finishing", "Reserved", "Pending": .yellow
        case "Faulted", "Unavailable", "Rejected", "Blocked", "disconnected": .red
        default: nil
        }
    }

    /// Prints rows under a header, each column as wide as its widest cell (colour codes not counted).
    static func table(_ header: [String], _ rows: [[Cell]]) {
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.text.count) }
        }
        func line(_ cells: [Cell]) -> String {
            cells.enumerated().map { i, cell in
                let padding = i == cells.count - 1 ? "" : String(repeating: " ", count: widths[i] - cell.text.count)
                return paint(cell.text, cell.color) + padding
            }.joined(separator: "  ")
        }
        print(line(header.map { Cell($0, .bold) }))
        for row in rows { print(line(row)) }
        if rows.isEmpty { print(paint("(none)", .dim)) }
    }

    /// One record as `name: value` lines.
    static func fields(_ pairs: [(String, Cell)]) {
        let width = pairs.map(\.0.count).max() ?? 0
        for (name, value) in pairs {
            print(paint(name + ":", .bold) + String(repeating: " ", count: width - name.count + 1) + paint(value.text, value.color))
        }
    }

    /// Local time with the age: `2024-05-01 14:00:03 (12s ago)`.
    static func time(_ date: Date?, now: Date = Date()) -> String {
        guard let date else { return "-" }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        formatter.timeZone = .current
        return "\(formatter.string(from: date)) (\(age(date, now: now)))"
    }

    /// `12s ago`, `5m ago`, `3h ago`, `2d ago`, or `in 5m` for a future time.
    static func age(_ date: Date, now: Date = Date()) -> String {
        let seconds = Int(now.timeIntervalSince(date).rounded())
        return seconds >= 0 ? "\(span(seconds)) ago" : "in \(span(-seconds))"
    }

    /// A span of seconds in its largest whole unit: `12s`, `5m`, `3h`, `2d`.
    static func span(_ seconds: Int) -> String {
        switch seconds {
        case ..<60: "\(seconds)s"
        case ..<3600: "\(seconds / 60)m"
        case ..<86400: "\(seconds / 3600)h"
        default: "\(seconds / 86400)d"
        }
    }

    /// Prints a JSON answer exactly as the API sent it.
    static func raw(_ response: APIResponse) {
        FileHandle.standardOutput.write(Data(response.body))
        if response.body.last != UInt8(ascii: "\n") { print("") }
    }
}

/// A table cell: text and an optional colour.
struct Cell {
    var text: String
    var color: Output.Color?

    init(_ text: String, _ color: Output.Color? = nil) {
        self.text = text
        self.color = color
    }

    init(_ value: Int?) {
        self.init(value.map(String.init) ?? "-")
    }

    init(optional text: String?) {
        self.init(text ?? "-")
    }

    static func status(_ text: String) -> Cell { Cell(text, Output.color(forStatus: text)) }
}
