@preconcurrency import CEditLine
import Dispatch
import Foundation

/// The only door to libedit: line editing, history and completion behind a safe API.
///
/// libedit keeps its state in globals and is not thread-safe, so everything here is isolated to the
/// main actor, and its C callbacks (which run inside `readline`, on that same thread) assert it.
@MainActor
final class LineEditor {
    /// Returns the candidates for `partial`, the word under the cursor, given the words before it.
    typealias Completer = @MainActor (_ words: [String], _ partial: String) -> [String]

    /// False when standard input is not a terminal: lines are then read plainly, without editing.
    let interactive: Bool
    private let historyPath: String?
    private var lastHistoryLine: String?

    private static var completer: Completer?

    init(name: String, historyPath: String?, completer: @escaping Completer) {
        interactive = isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1
        self.historyPath = historyPath
        guard interactive else { return }
        Self.completer = completer
        Signals.install()
        // Set before anything calls rl_initialize, which reads them once. libedit's own signal
        // handling would leave raw mode on Ctrl-C and then kill the process; the character source
        // below turns Ctrl-C into "clear the line" instead.
        rl_catch_signals = 0
        rl_readline_name = UnsafePointer(strdup(name))
        rl_getc_function = { _ in MainActor.assumeIsolated { LineEditor.nextCharacter() } }
        rl_attempted_completion_function = { text, start, _ in
            // Only our candidates, never libedit's fallback of file names.
            rl_attempted_completion_over = 1
            let partial = text.map { String(cString: $0) } ?? ""
            let line = rl_line_buffer.map { String(cString: $0) } ?? ""
            let candidates = MainActor.assumeIsolated { LineEditor.candidates(line: line, start: Int(start), partial: partial) }
            return LineEditor.matchArray(candidates)
        }
        stifle_history(1000)
        if let historyPath {
            _ = read_history(historyPath)
            lastHistoryLine = Self.newestHistoryLine()
        }
    }

    /// The next line without its newline, or nil at the end of input (Ctrl-D).
    func readLine(prompt: String) -> String? {
        guard interactive else {
            return Swift.readLine(strippingNewline: true)
        }
        guard let raw = readline(prompt) else {
            print("")
            return nil
        }
        defer { free(raw) }
        return String(cString: raw)
    }

    /// Adds a line to the history and saves it at once, so a shell that is killed loses nothing.
    func remember(_ line: String) {
        guard interactive, !line.isEmpty, line != lastHistoryLine else { return }
        lastHistoryLine = line
        add_history(line)
        guard let historyPath else { return }
        let directory = (historyPath as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Created private before libedit writes it: earlier lines may name stations and tags.
        if !FileManager.default.fileExists(atPath: historyPath) {
            _ = FileManager.default.createFile(atPath: historyPath, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        _ = write_history(historyPath)
        try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: historyPath)
    }

    /// Awaits `task`, cancelling it when Ctrl-C is pressed meanwhile (a command such as `events`
    /// runs until interrupted, and the shell must survive that).
    func run<T: Sendable>(interruptible task: Task<T, Never>) async -> T {
        guard interactive else { return await task.value }
        let source = Self.interruptSource(cancelling: task)
        let value = await task.value
        source.cancel()
        return value
    }

    /// Nonisolated so that its handler is too: it runs on a dispatch queue, not the main actor.
    private nonisolated static func interruptSource<T>(cancelling task: Task<T, Never>) -> any DispatchSourceRead {
        let source = DispatchSource.makeReadSource(fileDescriptor: Signals.readEnd, queue: .global())
        source.setEventHandler {
            if Signals.drain().contains(SIGINT) { task.cancel() }
        }
        source.resume()
        return source
    }

    private static func newestHistoryLine() -> String? {
        guard history_length > 0, let entry = history_get(history_base + history_length - 1), let line = entry.pointee.line else {
            return nil
        }
        return String(cString: line)
    }

    /// libedit's character source: stdin, decoded from UTF-8, with Ctrl-C and window size changes
    /// noticed while waiting (the signal handler only writes to a pipe that is polled here).
    private static func nextCharacter() -> Int32 {
        var pending: [UInt8] = []
        while true {
            var fds = [
                pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                pollfd(fd: Signals.readEnd, events: Int16(POLLIN), revents: 0),
            ]
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                return -1
            }
            if fds[1].revents != 0 {
                let signals = Signals.drain()
                if signals.contains(SIGWINCH) { rl_resize_terminal() }
                if signals.contains(SIGINT) { return killLine }
            }
            guard fds[0].revents != 0 else { continue }
            var byte: UInt8 = 0
            let count = read(STDIN_FILENO, &byte, 1)
            if count < 0, errno == EINTR || errno == EAGAIN { continue }
            if count <= 0 { return -1 }
            // Ctrl-C arrives as a character when the terminal does not turn it into SIGINT.
            if byte == 0x03 { return killLine }
            pending.append(byte)
            switch String(validating: pending, as: UTF8.self)?.unicodeScalars.first {
            case .some(let scalar): return Int32(scalar.value)
            case .none where pending.count >= 4: pending.removeAll()
            case .none: continue
            }
        }
    }

    /// Ctrl-U: libedit's "kill the whole line" in emacs mode, which is what Ctrl-C does at a shell prompt.
    private static let killLine: Int32 = 0x15

    private static func candidates(line: String, start: Int, partial: String) -> [String] {
        let before = String(String.UnicodeScalarView(line.unicodeScalars.prefix(start)))
        return completer?(ShellWords.splitForCompletion(before), partial) ?? []
    }

    /// Answers libedit with a malloc'd, NULL-terminated array it frees itself: the text to insert
    /// first (the longest common prefix), then the matches. libedit takes one match as the
    /// prefix repeated once (it reads the third entry to tell, so a shorter array is not allowed).
    private nonisolated static func matchArray(_ candidates: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        guard !candidates.isEmpty else { return nil }
        let entries = [commonPrefix(candidates)] + candidates
        guard let memory = malloc(MemoryLayout<UnsafeMutablePointer<CChar>?>.stride * (entries.count + 1)) else { return nil }
        let array = memory.bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: entries.count + 1)
        for (index, entry) in entries.enumerated() { array[index] = strdup(entry) }
        array[entries.count] = nil
        return array
    }

    nonisolated static func commonPrefix(_ words: [String]) -> String {
        guard var prefix = words.first else { return "" }
        for word in words.dropFirst() {
            while !word.hasPrefix(prefix) { prefix.removeLast() }
        }
        return prefix
    }
}

/// SIGINT and SIGWINCH become bytes on a pipe, so they can be awaited with poll or a dispatch source
/// instead of being handled inside a signal handler.
private enum Signals {
    /// The pipe's read end. Written once, by `install` on the main actor, before `sigaction` and before any dispatch
    /// source reads the pipe; after that only read (`drain`, on the main actor or a global queue).
    nonisolated(unsafe) static var readEnd: Int32 = -1
    /// Written with `readEnd`, once; read only by the signal handler, which is installed after it is set.
    nonisolated(unsafe) static var writeEnd: Int32 = -1

    static func install() {
        guard readEnd < 0 else { return }
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        readEnd = ends[0]
        writeEnd = ends[1]
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            var byte = UInt8(truncatingIfNeeded: signal)
            _ = write(Signals.writeEnd, &byte, 1)
        }
        action.sa_flags = SA_RESTART
        sigemptyset(&action.sa_mask)
        for signal in [SIGINT, SIGWINCH] { sigaction(signal, &action, nil) }
    }

    /// The signals that arrived since the last call.
    static func drain() -> Set<Int32> {
        var signals: Set<Int32> = []
        var byte: UInt8 = 0
        while read(readEnd, &byte, 1) == 1 { signals.insert(Int32(byte)) }
        return signals
    }
}
