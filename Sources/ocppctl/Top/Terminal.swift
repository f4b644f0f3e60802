@preconcurrency import CNCurses
import Foundation

/// How a piece of text on screen looks.
enum Style: Equatable {
    case normal, bold, dim, selected
    case green, yellow, red, cyan

    var pair: Int32 {
        switch self {
        case .green: 1
        case .yellow: 2
        case .red: 3
        case .cyan: 4
        default: 0
        }
    }
}

/// A line of the screen: pieces of text with their styles.
struct ScreenLine: Equatable {
    var segments: [(text: String, style: Style)] = []

    init(_ segments: [(text: String, style: Style)] = []) {
        self.segments = segments
    }

    init(_ text: String, _ style: Style = .normal) {
        self.segments = [(text, style)]
    }

    static func == (lhs: ScreenLine, rhs: ScreenLine) -> Bool {
        lhs.segments.map(\.text) == rhs.segments.map(\.text) && lhs.segments.map(\.style) == rhs.segments.map(\.style)
    }

    var text: String { segments.map(\.text).joined() }
}

/// A key the live view reacts to.
enum Key: Equatable {
    case up, down, pageUp, pageDown, home, end, enter, escape, backspace, resize, interrupt
    case character(Character)
}

/// The terminal in curses mode: the only place that calls ncurses. Use it from one thread, and
/// call `restore()` on every way out.
final class Terminal {
    private var active = false

    init() {
        setlocale(LC_ALL, "")
        initscr()
        active = true
        // raw, not cbreak: Ctrl-C arrives as a key, so the terminal is restored before leaving.
        raw()
        noecho()
        keypad(ocpp_stdscr(), true)
        curs_set(0)
        if has_colors() {
            start_color()
            use_default_colors()
            init_pair(1, Int16(COLOR_GREEN), -1)
            init_pair(2, Int16(COLOR_YELLOW), -1)
            init_pair(3, Int16(COLOR_RED), -1)
            init_pair(4, Int16(COLOR_CYAN), -1)
        }
        // getch waits at most this long, so the loop can take events and signals while idle.
        ocpp_timeout(250)
    }

    /// The current size; follows a resize of the terminal.
    var size: (rows: Int, columns: Int) {
        var rows: Int32 = 0
        var columns: Int32 = 0
        if ocpp_terminal_size(&rows, &columns) == 0, rows != ocpp_lines() || columns != ocpp_cols() {
            resizeterm(rows, columns)
        }
        return (Int(ocpp_lines()), Int(ocpp_cols()))
    }

    /// Draws the whole screen; curses sends only what changed.
    func draw(_ lines: [ScreenLine]) {
        ocpp_erase()
        let (rows, columns) = size
        for (y, line) in lines.prefix(rows).enumerated() {
            var x = 0
            for segment in line.segments where x < columns {
                let attributes = attributes(segment.style)
                if attributes != 0 { ocpp_attron(attributes) }
                let visible = String(segment.text.prefix(columns - x))
                ocpp_mvaddnstr(Int32(y), Int32(x), visible, Int32(visible.utf8.count))
                if attributes != 0 { ocpp_attroff(attributes) }
                x += visible.count
            }
        }
        ocpp_refresh()
    }

    private func attributes(_ style: Style) -> Int32 {
        switch style {
        case .normal: 0
        case .bold: ocpp_attr_bold()
        case .dim: ocpp_attr_dim()
        case .selected: ocpp_attr_reverse()
        case .green, .yellow, .red, .cyan: has_colors() ? ocpp_color_pair(Int32(style.pair)) : 0
        }
    }

    /// The next key, or nil when none came within the timeout.
    func key() -> Key? {
        let code = ocpp_getch()
        switch code {
        case ERR: return nil
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_ENTER, 10, 13: return .enter
        case KEY_BACKSPACE, 127, 8: return .backspace
        case 27: return .escape
        case 3: return .interrupt
        case ocpp_key_resize(): return .resize
        default:
            guard code > 0, code < 0x110000, let scalar = Unicode.Scalar(UInt32(code)) else { return nil }
            return .character(Character(scalar))
        }
    }

    /// Leaves curses mode; safe to call more than once.
    func restore() {
        guard active else { return }
        active = false
        endwin()
    }

    deinit { restore() }
}
