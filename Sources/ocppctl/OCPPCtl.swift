import ArgumentParser
import Foundation
import Shared

/// ocppctl: the operator console of ocppd.
struct OCPPCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ocppctl",
        abstract: "Operator console of the ocppd OCPP 1.6J central system.",
        discussion: """
            Talks only to ocppd's REST API and event stream. The server is --server, OCPPCTL_SERVER, \
            the config file written by 'ocppctl login' ($XDG_CONFIG_HOME/ocppctl/config), or \
            http://127.0.0.1:3000; the token comes from --token, OCPPCTL_TOKEN, that file, or the \
            api-token file of a local ocppd's data directory. -o json prints the API's JSON as it is. \
            Tables are coloured on a terminal unless NO_COLOR is set (and not empty).

            \(ExitStatus.documentation)
            """,
        version: OCPPGateway.version,
        subcommands: [
            Stations.self, Sessions.self, Rfid.self, Reservations.self,
            ResetCommand.self, Unlock.self, Start.self, Stop.self, Availability.self, Config.self, Reserve.self,
            CancelReservation.self, Trigger.self, ClearCache.self, DataTransferCommand.self, Firmware.self, Diagnostics.self, Logs.self,
            LocalList.self, ChargingProfile.self, Events.self, Top.self, Shell.self, Login.self, StatusCommand.self,
            MetricsCommand.self, OpenAPI.self, CommandLog.self, Token.self, ClusterCommand.self, SecurityEvents.self,
            CertificateRequests.self, Files.self, Sites.self, Tokens.self, Audit.self, Webhooks.self,
        ]
    )
}

@main
enum Main {
    static func main() async {
        let arguments = globalOptionsLast(Array(CommandLine.arguments.dropFirst()))
        let status = await run(arguments) { path in (["ocppctl"] + path + ["--help"]).joined(separator: " ") }
        if status != ExitStatus.success.rawValue { exit(status) }
    }

    /// Runs one command and turns every failure into one line on stderr and a documented exit code,
    /// which it returns: the process exits only in `main`, so the shell runs lines through here too.
    /// `usageHint` names the help to read for the command at a path, e.g. `["config", "get"]`.
    static func run(_ arguments: [String], usageHint: @Sendable ([String]) -> String) async -> Int32 {
        do {
            var command = try OCPPCtl.parseAsRoot(arguments)
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
            return ExitStatus.success.rawValue
        } catch let error as CtlError {
            if Task.isCancelled { return interrupted() }
            report(error.message)
            return error.status.rawValue
        } catch let code as ExitCode {
            return code.rawValue  // the shell's status, its lines' errors reported already
        } catch {
            if Task.isCancelled { return interrupted() }
            let code = OCPPCtl.exitCode(for: error)
            if code == .success {
                print(OCPPCtl.fullMessage(for: error))
                return ExitStatus.success.rawValue
            }
            // One line, like every other error: the message and where the usage is.
            let message = OCPPCtl.message(for: error).trimmingCharacters(in: .whitespacesAndNewlines)
            report("\(message.replacingOccurrences(of: "\n", with: " ")) (see '\(usageHint(subcommandPath(arguments)))')")
            return code == .validationFailure ? ExitStatus.usage.rawValue : code.rawValue
        }
    }

    /// Ctrl-C in the shell cancels the running command: whatever error that caused is not news.
    private static func interrupted() -> Int32 {
        report("interrupted")
        return 130
    }

    private static func report(_ message: String) {
        FileHandle.standardError.write(Data("ocppctl: \(message)\n".utf8))
    }

    /// `ocppctl --server URL stations` and `ocppctl stations -o json list` read naturally; the parser wants global
    /// options after the last subcommand, so the ones before it (among the subcommand names) are moved to the end.
    static func globalOptionsLast(_ arguments: [String]) -> [String] {
        let withValue: Set<String> = ["--server", "--token", "-o", "--output", "--timeout", "--connect-timeout"]
        var command: any ParsableCommand.Type = OCPPCtl.self
        var moved: [String] = []
        var path: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if withValue.contains(argument), index + 1 < arguments.count {
                moved += [argument, arguments[index + 1]]
                index += 2
            } else if argument.contains("="), let name = argument.split(separator: "=", maxSplits: 1).first,
                withValue.contains(String(name))
            {
                moved.append(argument)
                index += 1
            } else if let next = subcommand(of: command, named: argument) {
                path.append(argument)
                command = next
                index += 1
            } else {
                break
            }
        }
        let rest = path + arguments[index...]
        guard !moved.isEmpty, !path.isEmpty, !arguments[index...].contains("--") else { return arguments }
        return rest + moved
    }

    private static func subcommand(of command: any ParsableCommand.Type, named name: String) -> (any ParsableCommand.Type)? {
        command.configuration.subcommands.first { ($0.configuration.commandName ?? $0._commandName) == name }
    }

    /// The subcommand names at the start of `arguments`, e.g. `["config", "get"]`.
    static func subcommandPath(_ arguments: [String]) -> [String] {
        command(arguments).path
    }

    /// The command `arguments` run, and the subcommand names that lead to it.
    static func command(_ arguments: [String]) -> (type: any ParsableCommand.Type, path: [String]) {
        var command: any ParsableCommand.Type = OCPPCtl.self
        var path: [String] = []
        for argument in arguments {
            guard let next = subcommand(of: command, named: argument) else { break }
            path.append(argument)
            command = next
        }
        return (command, path)
    }

    /// Whether the command `arguments` run takes the global options (a group alone takes none: it names its subcommands).
    static func takesGlobalOptions(_ arguments: [String]) -> Bool {
        let type = command(arguments).type
        return type is any APICommand.Type || type.configuration.defaultSubcommand != nil
    }

}

/// A command that only groups others: run alone it is a usage error naming them (exit 2), not help and success, so
/// that a script that left the subcommand out hears of it.
protocol CommandGroup: AsyncParsableCommand {}

extension CommandGroup {
    func run() async throws {
        let names = Self.configuration.subcommands.map { $0._commandName }.joined(separator: ", ")
        throw CtlError(.usage, "'\(Self._commandName)' needs a subcommand: \(names) (see 'ocppctl \(Self._commandName) --help')")
    }
}

/// A command that talks to the server with the global options.
protocol APICommand: AsyncParsableCommand {
    var global: GlobalOptions { get }
    func execute(_ client: APIClient) async throws
}

extension APICommand {
    func run() async throws {
        try await execute(global.client())
    }
}

/// Shell completion of station ids and RFID tags, asked of the server (silent when it is not reachable).
/// The closures are synchronous: the argument parser answers completion requests before any async
/// context exists.
enum Completion {
    static let stations = CompletionKind.custom { words, _, prefix in ids(words, path: "/api/stations", key: "id", prefix: prefix) }
    static let tags = CompletionKind.custom { words, _, prefix in ids(words, path: "/api/rfid", key: "idTag", prefix: prefix) }

    private static func ids(_ words: [String], path: String, key: String, prefix: String) -> [String] {
        func option(_ name: String) -> String? {
            guard let index = words.firstIndex(of: name), index + 1 < words.count else { return nil }
            return words[index + 1]
        }
        var arguments = ["--connect-timeout", "3"]
        if let server = option("--server") { arguments += ["--server", server] }
        if let token = option("--token") { arguments += ["--token", token] }
        guard let global = try? GlobalOptions.parse(arguments), let client = try? global.client(),
            let response = try? client.getBlocking(path, query: [("limit", "1000")]),
            case .array(let items) = (try? response.json()) ?? .null
        else { return [] }
        let typed = dequoted(prefix)
        return items.compactMap { $0[key]?.stringValue }.filter { $0.hasPrefix(typed) }
    }

    /// A word as the shell has it while it is typed (`CP\ 1`, `"CP 1`, `'CP;1`) as the id it stands for.
    static func dequoted(_ word: String) -> String {
        var text = Substring(word)
        if let first = text.first, first == "\"" || first == "'" { text = text.dropFirst() }
        var out = ""
        var escaped = false
        for character in text {
            if character == "\\" && !escaped {
                escaped = true
                continue
            }
            escaped = false
            out.append(character)
        }
        return out
    }
}
