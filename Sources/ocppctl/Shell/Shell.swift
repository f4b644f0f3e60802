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
            interrupts a running command. With standard input not a terminal (ocppctl shell < commands.txt), \
            every line runs and the exit status is that of the last line that failed, 0 if none did.
            """)
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let server = try global.client().base
        let status = await ShellSession(global: global, server: server).run()
        if status != ExitStatus.success.rawValue { throw ExitCode(status) }
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
        if global.connectTimeout != 5 {
            defaults.append((["--connect-timeout"], ["--connect-timeout", "\(global.connectTimeout)"]))
        }
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

    /// Runs lines until `exit`, `quit` or the end of input. Returns 0 in an interactive session (the user saw each
    /// error as it came); read from a pipe or a file, the status of the last line that failed, so that a script
    /// of commands can be checked by its exit status.
    func run() async -> Int32 {
        var lastFailure = ExitStatus.success.rawValue
        func ran(_ status: Int32) {
            if status != ExitStatus.success.rawValue { lastFailure = status }
        }
        while let line = editor.readLine(prompt: editor.interactive ? prompt : "") {
            let words: [String]
            do {
                words = try ShellWords.split(line)
            } catch {
                FileHandle.standardError.write(Data("ocppctl: unterminated \(error.quote) quote\n".utf8))
                ran(ExitStatus.usage.rawValue)
                continue
            }
            guard let first = words.first else { continue }
            // A token typed on a line must not land in a file.
            if !words.contains(where: { $0 == "--token" || $0.hasPrefix("--token=") }) {
                editor.remember(line.trimmingCharacters(in: .whitespaces))
            }
            switch first {
            case "exit", "quit": return editor.interactive ? ExitStatus.success.rawValue : lastFailure
            case "help" where words.count == 1: Self.printHelp()
            case "help": ran(await execute(Array(words.dropFirst()) + ["--help"]))
            case "shell":
                FileHandle.standardError.write(Data("ocppctl: already in the shell\n".utf8))
                ran(ExitStatus.usage.rawValue)
            default: ran(await execute(words))
            }
        }
        return editor.interactive ? ExitStatus.success.rawValue : lastFailure
    }

    /// Runs one line's command; returns its exit status.
    private func execute(_ words: [String]) async -> Int32 {
        var arguments = Main.globalOptionsLast(words)
        // The shell's global options go to a command that takes them (a group alone names its subcommands instead).
        for (names, extra) in defaults
        where Main.takesGlobalOptions(arguments)
            && !arguments.contains(where: { word in names.contains(word) || names.contains { word.hasPrefix($0 + "=") } })
        {
            arguments += extra
        }
        let ready = arguments
        let task = Task { await Main.run(ready, usageHint: { path in (["help"] + path).joined(separator: " ") }) }
        return await editor.run(interruptible: task)
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
