import ArgumentParser
import Foundation

/// `ocppctl shell`: the same commands, typed without the `ocppctl` prefix, with line editing,
/// history and completion.
struct Shell: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Interactive shell: the same commands without the 'ocppctl' prefix, with history and Tab completion.",
        discussion: """
            The global options given here apply to every line unless the line gives its own. History is kept \
            in $XDG_STATE_HOME/ocppctl/history (default ~/.local/state/ocppctl/history). 'help' lists the \
            commands, 'help COMMAND' shows one; 'exit', 'quit' or Ctrl-D leave. Ctrl-C clears the line, or \
            interrupts a running command.
            """)
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let server = try global.client().base
        await ShellSession(global: global, server: server).run()
    }
}

@MainActor
final class ShellSession {
    private let editor: LineEditor
    private let prompt: String
    /// The shell's global options as arguments, added to every line that does not give its own.
    private let defaults: [(names: Set<String>, arguments: [String])]

    init(global: GlobalOptions, server: String) {
        var defaults: [(names: Set<String>, arguments: [String])] = []
        if let server = global.server { defaults.append((["--server"], ["--server", server])) }
        if let token = global.token { defaults.append((["--token"], ["--token", token])) }
        if global.output != .table { defaults.append((["-o", "--output"], ["--output", global.output.rawValue])) }
        if global.timeout != 40 { defaults.append((["--timeout"], ["--timeout", "\(global.timeout)"])) }
        self.defaults = defaults
        let host = server.replacingOccurrences(of: "http://", with: "").replacingOccurrences(of: "https://", with: "")
        prompt = "ocppctl \(host)> "
        let completer = ShellCompleter(globalArguments: defaults.filter { !$0.names.contains("-o") }.flatMap(\.arguments))
        editor = LineEditor(name: "ocppctl", historyPath: Self.historyPath()) { words, partial in
            completer.complete(words: words, partial: partial)
        }
    }

    nonisolated static func historyPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base = environment["XDG_STATE_HOME"].nonEmpty ?? ((environment["HOME"] ?? ".") + "/.local/state")
        return base + "/ocppctl/history"
    }

    func run() async {
        while let line = editor.readLine(prompt: editor.interactive ? prompt : "") {
            let words: [String]
            do {
                words = try ShellWords.split(line)
            } catch {
                FileHandle.standardError.write(Data("ocppctl: unterminated \(error.quote) quote\n".utf8))
                continue
            }
            guard let first = words.first else { continue }
            // A token typed on a line must not land in a file.
            if !words.contains(where: { $0 == "--token" || $0.hasPrefix("--token=") }) {
                editor.remember(line.trimmingCharacters(in: .whitespaces))
            }
            switch first {
            case "exit", "quit": return
            case "help": words.count == 1 ? Self.printHelp() : await execute(Array(words.dropFirst()) + ["--help"])
            case "shell": FileHandle.standardError.write(Data("ocppctl: already in the shell\n".utf8))
            default: await execute(words)
            }
        }
    }

    private func execute(_ words: [String]) async {
        var arguments = Main.globalOptionsLast(words)
        for (names, extra) in defaults
        where !arguments.contains(where: { word in names.contains(word) || names.contains { word.hasPrefix($0 + "=") } }) {
            arguments += extra
        }
        let ready = arguments
        let task = Task { await Main.run(ready, usageHint: { path in (["help"] + path).joined(separator: " ") }) }
        _ = await editor.run(interruptible: task)
    }

    static func printHelp() {
        let commands = OCPPCtl.configuration.subcommands.filter { ObjectIdentifier($0) != ObjectIdentifier(Shell.self) }.map {
            ($0.configuration.commandName ?? $0._commandName, $0.configuration.abstract)
        }
        let rows = commands + [("help [COMMAND]", "This list, or one command's help."), ("exit, quit", "Leave the shell (or Ctrl-D).")]
        let width = rows.map(\.0.count).max() ?? 0
        print("Commands, typed without 'ocppctl' (global options of 'ocppctl shell' apply unless a line gives its own):")
        for (name, abstract) in rows { print("  " + name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + abstract) }
    }
}
