import Foundation
import Shared

/// The live view's state machine: keys in, screen lines and actions out. It knows nothing of
/// curses or the network, so it is tested on its own.
struct TopScreen {
    enum Mode: Equatable {
        case table
        case filtering(String)
        /// A confirmation naming its target; `y` runs the action.
        case confirming(String, TopAction)
    }

    var model = TopModel()
    var mode = Mode.table
    var filter = ""
    var sort = TopModel.Sort.station
    var selection = 0
    var top = 0
    var showDetail = false
    /// The sites pane: each site's limit, what is allocated, and each session's share and draw as bars.
    var showSites = false
    var statusLine = ""
    var server = ""

    /// What a key asks of the outside world.
    enum Effect: Equatable {
        case none
        case redraw
        case quit
        case run(TopAction)
    }

    func rows() -> [TopModel.Row] { model.rows(filter: filter, sort: sort) }

    var selectedRow: TopModel.Row? {
        let rows = rows()
        return rows.indices.contains(selection) ? rows[selection] : nil
    }

    mutating func handle(_ key: Key, pageSize: Int) -> Effect {
        switch mode {
        case .filtering(let text):
            switch key {
            case .enter:
                filter = text
                selection = 0
                mode = .table
            case .escape, .interrupt: mode = .table
            case .backspace: mode = .filtering(String(text.dropLast()))
            case .character(let c) where !c.isNewline: mode = .filtering(text + String(c))
            default: break
            }
            return .redraw
        case .confirming(_, let action):
            mode = .table
            if key == .character("y") || key == .character("Y") {
                statusLine = "\(action.description): sending…"
                return .run(action)
            }
            statusLine = "cancelled"
            return .redraw
        case .table:
            break
        }
        let count = rows().count
        switch key {
        case .character("q"), .interrupt: return .quit
        case .up, .character("k"): selection -= 1
        case .down, .character("j"): selection += 1
        case .pageUp: selection -= max(1, pageSize)
        case .pageDown: selection += max(1, pageSize)
        case .home, .character("g"): selection = 0
        case .end, .character("G"): selection = count - 1
        case .character("/"): mode = .filtering(filter)
        case .escape: filter = ""
        case .character("s"):
            sort = sort.next
            statusLine = "sorted by \(sort.rawValue)"
        case .enter: showDetail.toggle()
        case .character("S"):
            showSites.toggle()
            statusLine = showSites ? (model.sites.isEmpty ? "no sites" : "sites: S hides them") : ""
        case .character("r"):
            guard let row = selectedRow else { return .none }
            ask(.reset(row.cpId))
        case .character("u"):
            guard let row = selectedRow, let connector = row.connectorId else {
                statusLine = "select a connector to unlock"
                return .redraw
            }
            ask(.unlock(row.cpId, connector))
        case .character("x"):
            guard let row = selectedRow, let transaction = row.transactionId else {
                statusLine = "no active session on the selected connector"
                return .redraw
            }
            ask(.stop(row.cpId, transaction))
        case .resize: break
        default: return .none
        }
        selection = max(0, min(selection, count - 1))
        return .redraw
    }

    private mutating func ask(_ action: TopAction) {
        mode = .confirming("\(action.description)? y/n", action)
    }

    /// The screen for `rows` × `columns`; only the visible rows are formatted.
    mutating func render(rows screenRows: Int, columns: Int, now: Date = Date()) -> [ScreenLine] {
        let all = rows()
        selection = max(0, min(selection, all.count - 1))
        var lines: [ScreenLine] = []
        let totals = model.totals
        let state: (String, Style) =
            switch model.server {
            case .connecting: ("connecting", .yellow)
            case .live: ("live", .green)
            case .lost(let reason): ("LOST: \(reason) (reconnecting)", .red)
            }
        lines.append(
            ScreenLine([
                ("\(server) ", .bold), (state.0, state.1),
                ("  stations \(totals.stations)  up \(totals.connected)  charging \(totals.charging)  ", .normal),
                ("faulted \(totals.faulted)", totals.faulted > 0 ? .red : .normal),
            ]))
        let layout = Layout(columns: columns, cluster: model.cluster)
        lines.append(ScreenLine(layout.header(sort: sort), .bold))

        let sitesHeight = showSites ? min(siteLines(columns: columns).count, max(0, (screenRows - 6) / 2)) : 0
        let detailHeight = showDetail ? min(10, max(0, screenRows - 8 - sitesHeight)) : 0
        let tableHeight = max(1, screenRows - 4 - detailHeight - sitesHeight)
        if selection < top { top = selection }
        if selection >= top + tableHeight { top = selection - tableHeight + 1 }
        top = max(0, min(top, max(0, all.count - tableHeight)))
        for index in top..<min(all.count, top + tableHeight) {
            var line = layout.line(all[index], now: now)
            if index == selection { line.segments = line.segments.map { ($0.text, .selected) } }
            lines.append(line)
        }
        if all.isEmpty { lines.append(ScreenLine(filter.isEmpty ? "  no stations yet" : "  nothing matches /\(filter)", .dim)) }
        while lines.count < 2 + tableHeight { lines.append(ScreenLine()) }

        if showDetail, let row = selectedRow {
            lines.append(contentsOf: detail(row, height: detailHeight, columns: columns))
        }
        if showSites { lines.append(contentsOf: siteLines(columns: columns).prefix(sitesHeight)) }
        switch mode {
        case .filtering(let text): lines.append(ScreenLine("/" + text + "_", .bold))
        case .confirming(let question, _): lines.append(ScreenLine(question, .yellow))
        case .table: lines.append(ScreenLine(statusLine, .cyan))
        }
        let filterNote = filter.isEmpty ? "" : "[/\(filter)] "
        lines.append(
            ScreenLine(
                String(
                    "\(filterNote)↑↓ move / filter s sort(\(sort.rawValue)) ⏎ detail S sites r reset u unlock x stop q quit".prefix(columns)
                ),
                .dim))
        return lines
    }

    /// The sites pane: per site its allocated sum against its limit, then each session's limit and draw as bars of the
    /// site's limit (█ the limit, ▒ the part of it the car draws).
    func siteLines(columns: Int) -> [ScreenLine] {
        var lines = [ScreenLine(String(repeating: "─", count: max(0, columns)), .dim)]
        let width = max(10, min(40, columns - 40))
        for site in model.sites.values.sorted(by: { $0.siteId < $1.siteId }) {
            let unit = site.unit.rawValue
            lines.append(
                ScreenLine([
                    ("site \(site.siteId)", .bold),
                    ("  \(Sites.number(site.allocated)) of \(Sites.number(site.limit)) \(unit) allocated  ", .normal),
                    (
                        Self.bar(site.allocated, drawn: nil, of: site.limit, width: width),
                        site.allocated > site.limit + 1e-6 ? .red : .green
                    ),
                ]))
            for share in site.allocations {
                let label = "  \(share.cpId)/\(share.connectorId)"
                let numbers = " \(Sites.number(share.limit)) \(unit)" + (share.measured.map { ", draws \(Sites.number($0))" } ?? "")
                lines.append(
                    ScreenLine([
                        (label.padding(toLength: 20, withPad: " ", startingAt: 0), .normal),
                        (Self.bar(share.limit, drawn: share.measured, of: site.limit, width: width), .cyan), (numbers, .normal),
                    ]))
            }
        }
        if model.sites.isEmpty { lines.append(ScreenLine("  no sites (ocppctl sites set)", .dim)) }
        return lines
    }

    /// `value` of `total` as a bar `width` long; the part drawn of it shaded differently.
    static func bar(_ value: Double, drawn: Double?, of total: Double, width: Int) -> String {
        guard total > 0 else { return String(repeating: "·", count: width) }
        let cells = { (amount: Double) in max(0, min(width, Int((amount / total * Double(width)).rounded()))) }
        let filled = cells(value)
        let used = min(filled, drawn.map(cells) ?? 0)
        return String(repeating: "▒", count: used) + String(repeating: "█", count: filled - used)
            + String(repeating: "·", count: width - filled)
    }

    private func detail(_ row: TopModel.Row, height: Int, columns: Int) -> [ScreenLine] {
        guard height > 0, let state = model.station(row.cpId) else { return [] }
        let station = state.station
        var lines: [ScreenLine] = [
            ScreenLine(String(repeating: "─", count: max(0, columns)), .dim),
            ScreenLine([
                ("\(station.id)", .bold),
                ("  \(station.vendor ?? "?") \(station.model ?? "")  \(station.registrationStatus.rawValue)  ", .normal),
                (station.connected ? "connected" : "disconnected", station.connected ? .green : .red),
            ]),
            ScreenLine(
                "connectors: "
                    + station.connectors.map { "\($0.connectorId)=\($0.status)\($0.errorCode == "NoError" ? "" : "(\($0.errorCode))")" }
                    .joined(separator: "  ")),
        ]
        if let connector = row.connectorId, let session = model.session(row.cpId, connector) {
            lines.append(
                ScreenLine(
                    "session \(session.transactionId): tag \(session.idTag), \(Layout.energy(session.energyWh)), \(Layout.power(session.powerW))"
                ))
        }
        lines.append(ScreenLine("recent events:", .dim))
        lines.append(contentsOf: state.recentEvents.suffix(max(0, height - lines.count)).reversed().map { ScreenLine("  " + $0) })
        return Array(lines.prefix(height))
    }
}

/// An action on the selected station or connector.
enum TopAction: Equatable, CustomStringConvertible {
    case reset(String)
    case unlock(String, Int)
    case stop(String, Int)

    var description: String {
        switch self {
        case .reset(let cp): "soft reset \(cp)"
        case .unlock(let cp, let connector): "unlock connector \(connector) of \(cp)"
        case .stop(let cp, let transaction): "stop transaction \(transaction) on \(cp)"
        }
    }
}

/// Column widths for a terminal width: 80 columns fit everything, wider terminals widen the
/// station, error and tag columns.
struct Layout {
    var station = 14
    var connector = 5
    var status = 12
    var error = 10
    var tag = 10
    var energy = 10
    var power = 8
    var seen = 6
    var link = 4
    /// In a cluster: the node of each station, its room taken from the station, error and tag columns at 80 columns.
    var node = 0

    init(columns: Int, cluster: Bool = false) {
        if cluster {
            node = 7
            station -= 3
            error -= 2
            tag -= 2
        }
        let extra = max(0, columns - 80)
        station += min(extra / 2, 26)
        error += min(extra / 4, 16)
        tag += min(extra / 4, 10)
    }

    private func cell(_ text: String, _ width: Int) -> String {
        text.count >= width ? String(text.prefix(width - 1)) + " " : text + String(repeating: " ", count: width - text.count)
    }

    func header(sort: TopModel.Sort) -> String {
        cell("STATION", station) + cell("CONN", connector) + cell("STATUS", status) + cell("ERROR", error) + cell("TAG", tag)
            + cell("ENERGY", energy) + cell("POWER", power) + cell("SEEN", seen) + (node > 0 ? cell("NODE", node) : "") + "LINK"
    }

    func line(_ row: TopModel.Row, now: Date) -> ScreenLine {
        let statusStyle: Style =
            switch row.status {
            case "Available": .green
            case "Charging", "Preparing", "SuspendedEV", "SuspendedEVSE", "Finishing", "Reserved": .yellow
            case "Faulted", "Unavailable": .red
            default: .normal
            }
        let seenText = row.lastSeen.map { Output.span(max(0, Int(now.timeIntervalSince($0)))) } ?? "-"
        return ScreenLine([
            (cell(row.cpId, station), .bold),
            (cell(row.connectorId.map(String.init) ?? "-", connector), .normal),
            (cell(row.status, status), statusStyle),
            (cell(row.errorCode == "NoError" ? "" : row.errorCode, error), row.errorCode == "NoError" ? .normal : .red),
            (cell(row.tag ?? "", tag), .normal),
            (cell(row.transactionId == nil ? "" : Layout.energy(row.energyWh), energy), .normal),
            (cell(row.transactionId == nil ? "" : Layout.power(row.powerW), power), .normal),
            (cell(seenText, seen), .normal),
            (node > 0 ? cell(row.node ?? "-", node) : "", .normal),
            (row.connected ? "up" : "down", row.connected ? .green : .red),
        ])
    }

    static func energy(_ wh: Int?) -> String {
        guard let wh else { return "-" }
        return wh >= 1000 ? String(format: "%.1fkWh", Double(wh) / 1000) : "\(wh)Wh"
    }

    static func power(_ watts: Double?) -> String {
        guard let watts else { return "-" }
        return watts >= 1000 ? String(format: "%.1fkW", watts / 1000) : String(format: "%.0fW", watts)
    }
}
