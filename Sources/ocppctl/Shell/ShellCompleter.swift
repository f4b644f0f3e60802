import ArgumentParser
import Foundation

/// Tab completion for the shell, read from the same argument definitions as the CLI: command and
/// option names from the parser's description of itself, and station ids and tags through the
/// commands' own completion functions, which ask the server.
@MainActor
final class ShellCompleter {
    static let builtins = ["help", "exit", "quit"]

    private let root: CommandDescription?
    /// --server and --token of `ocppctl shell`, so that completion asks the same server as the commands.
    private let globalArguments: [String]
    /// Server answers by argument, kept briefly: Tab is pressed in bursts, and a new station should
    /// still show up soon.
    private var cache: [String: (at: ContinuousClock.Instant, values: [String])] = [:]
    private let cacheLifetime = Duration.seconds(5)

    init(globalArguments: [String]) {
        self.globalArguments = globalArguments
        root = Self.describeCommands()
    }

    /// The tool's own description (what `--experimental-dump-help` prints), taken in-process.
    private static func describeCommands() -> CommandDescription? {
        do {
            _ = try OCPPCtl.parseAsRoot(["--experimental-dump-help"])
            return nil
        } catch {
            let json = OCPPCtl.fullMessage(for: error)
            guard var root = try? JSONDecoder().decode(ToolDescription.self, from: Data(json.utf8)).command else { return nil }
            addDefaultSubcommands(&root, OCPPCtl.self)
            return root
        }
    }

    /// The description leaves default subcommands out; the command types know them.
    private static func addDefaultSubcommands(_ description: inout CommandDescription, _ type: any ParsableCommand.Type) {
        func name(_ type: any ParsableCommand.Type) -> String { type.configuration.commandName ?? type._commandName }
        description.defaultSubcommand = type.configuration.defaultSubcommand.map(name)
        for index in description.subcommands?.indices ?? 0..<0 {
            guard let subtype = type.configuration.subcommands.first(where: { name($0) == description.subcommands?[index].commandName })
            else { continue }
            addDefaultSubcommands(&description.subcommands![index], subtype)
        }
    }

    func complete(words: [String], partial: String) -> [String] {
        guard let root else { return [] }
        if words.first == "help" {
            var command = root
            for word in words.dropFirst() {
                guard let next = command.subcommand(word) else { return [] }
                command = next
            }
            return command.subcommandNames.filter { $0.hasPrefix(partial) }
        }
        var command = root
        var path: [String] = []
        var positionals = 0
        var pendingOption: ArgumentDescription?
        for word in words {
            if pendingOption != nil {
                pendingOption = nil
            } else if word.hasPrefix("-"), word.count > 1 {
                if !word.contains("="), let option = command.argument(named: word), option.kind == .option { pendingOption = option }
            } else if positionals == 0, let next = command.subcommand(word) {
                command = next
                path.append(word)
            } else {
                positionals += 1
            }
        }
        if let pendingOption {
            return values(of: pendingOption, name: pendingOption.preferredName.map(\.dashed) ?? "", path: path, words: words)
                .filter { $0.hasPrefix(partial) }
        }
        // `stations --connected` means `stations list --connected`: offer what the default takes too.
        var arguments = command.arguments ?? []
        if positionals == 0, let name = command.defaultSubcommand, let fallback = command.subcommand(name) {
            arguments += fallback.arguments ?? []
        }
        if partial.hasPrefix("-") {
            let names = arguments.filter { $0.kind != .positional && $0.shouldDisplay != false }.flatMap { $0.names ?? [] }.map(\.dashed)
            return Set(names + ["--help"]).filter { $0.hasPrefix(partial) }.sorted()
        }
        var candidates: [String] = []
        if positionals == 0 {
            candidates += command.subcommandNames
            // The parser's own `help` subcommand is in the description already; `shell` is where we are.
            if path.isEmpty { candidates = candidates.filter { $0 != "shell" } + Self.builtins }
        }
        let positional = (command.arguments ?? []).filter { $0.kind == .positional }
        if positionals < positional.count {
            candidates += values(of: positional[positionals], name: "positional@\(positionals)", path: path, words: words)
        }
        return Set(candidates).filter { $0.hasPrefix(partial) }.sorted()
    }

    private func values(of argument: ArgumentDescription, name: String, path: [String], words: [String]) -> [String] {
        if let all = argument.allValues, !all.isEmpty { return all }
        let kind = argument.completionKind ?? [:]
        if let values = kind["list"]?.values { return values }
        if kind["custom"] != nil || kind["customDeprecated"] != nil {
            let key = (path + [name]).joined(separator: " ")
            if let hit = cache[key], ContinuousClock.now - hit.at < cacheLifetime { return hit.values }
            let values = askCompletionFunction(path: path, argument: name, words: words)
            cache[key] = (ContinuousClock.now, values)
            return values
        }
        return []
    }

    /// Runs the argument's completion function the way the generated bash script does
    /// (`ocppctl ---completion PATH -- ARGUMENT INDEX CURSOR WORDS...`), with an empty word so
    /// that everything comes back and the cache can serve later prefixes.
    private func askCompletionFunction(path: [String], argument: String, words: [String]) -> [String] {
        let line = ["ocppctl"] + words + globalArguments + [""]
        do {
            _ = try OCPPCtl.parseAsRoot(["---completion"] + path + ["--", argument, "\(line.count - 1)", "0"] + line)
            return []
        } catch {
            return OCPPCtl.fullMessage(for: error).split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        }
    }
}

/// The parts of swift-argument-parser's tool description (ToolInfoV0, the JSON of
/// `--experimental-dump-help`) that completion needs.
struct ToolDescription: Decodable {
    var command: CommandDescription
}

struct CommandDescription: Decodable {
    var commandName: String
    var aliases: [String]?
    var shouldDisplay: Bool?
    var defaultSubcommand: String?
    var subcommands: [CommandDescription]?
    var arguments: [ArgumentDescription]?
}

struct ArgumentDescription: Decodable {
    enum Kind: String, Decodable {
        case positional, option, flag
    }

    struct Name: Decodable {
        var kind: String
        var name: String

        var dashed: String { kind == "long" ? "--" + name : "-" + name }
    }

    /// A synthesized Codable enum: the case name as key, its associated values as an object.
    struct CompletionValues: Decodable {
        var values: [String]?
    }

    var kind: Kind
    var shouldDisplay: Bool?
    var names: [Name]?
    var preferredName: Name?
    var allValues: [String]?
    var completionKind: [String: CompletionValues]?
}

extension CommandDescription {
    fileprivate var subcommandNames: [String] {
        (subcommands ?? []).filter { $0.shouldDisplay != false }.map(\.commandName)
    }

    fileprivate func subcommand(_ name: String) -> CommandDescription? {
        subcommands?.first { $0.commandName == name || ($0.aliases ?? []).contains(name) }
    }

    fileprivate func argument(named word: String) -> ArgumentDescription? {
        var arguments = arguments ?? []
        if let name = defaultSubcommand, let fallback = subcommand(name) { arguments += fallback.arguments ?? [] }
        return arguments.first { ($0.names ?? []).contains { $0.dashed == word } }
    }
}
