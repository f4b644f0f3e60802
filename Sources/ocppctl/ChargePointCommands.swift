import ArgumentParser
import Foundation
import Shared

/// Answers of a charge point that mean it did not do what was asked.
let refusedStatuses: Set<String> = [
    "Rejected", "NotSupported", "Failed", "UnlockFailed", "Occupied", "Faulted", "Unavailable", "UnknownMessageId",
    "UnknownVendorId", "VersionMismatch", "NotImplemented",
]

/// A command to one charge point: sends it, prints the answer, and exits `refused` when the charge
/// point refused.
protocol ChargePointCommand: APICommand {
    /// The REST command name, e.g. `reset`.
    static var command: String { get }
    var station: String { get }
    func payload() throws -> JSONValue
    /// Prints the answer for a person (a requirement, so that a command's own version is the one called).
    func printAnswer(_ answer: JSONValue)
}

extension ChargePointCommand {
    func execute(_ client: APIClient) async throws {
        try await sendAndPrint(client)
    }

    /// Sends the command and prints the charge point's answer; exit `refused` when it refused.
    @discardableResult
    func sendAndPrint(_ client: APIClient) async throws -> JSONValue {
        let response = try await client.command(station, Self.command, try payload())
        let answer = try response.json()
        if global.output == .json {
            Output.raw(response)
        } else {
            printAnswer(answer)
        }
        if let status = answer["status"]?.stringValue, refusedStatuses.contains(status) {
            throw CtlError(.refused, "\(station) answered \(Self.command) with \(status)")
        }
        return answer
    }

    func printAnswer(_ answer: JSONValue) {
        var text = "\(station): \(Self.command)"
        if let status = answer["status"]?.stringValue { text += " " + Output.paint(status, Output.color(forStatus: status)) }
        print(text)
        for member in answer.objectValue?.members ?? [] where member.key != "status" {
            print("  \(member.key): \(member.value.stringValue ?? member.value.jsonText)")
        }
    }
}

struct ResetCommand: ChargePointCommand {
    static let configuration = CommandConfiguration(commandName: "reset", abstract: "Reset (reboot) a charge point: soft unless --hard.")
    static let command = "reset"
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Station id.", completion: Completion.stations) var station: String
    @Flag(help: "Hard reset (power cycle) instead of a soft one.") var hard = false

    func payload() -> JSONValue { ["type": .string(hard ? "Hard" : "Soft")] }
}

struct Unlock: ChargePointCommand {
    static let configuration = CommandConfiguration(abstract: "Unlock a connector.")
    static let command = "unlock-connector"
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Station id.", completion: Completion.stations) var station: String
    @Argument(help: "Connector id (1 and up).") var connector: Int

    func payload() -> JSONValue { ["connectorId": .integer(Int64(connector))] }
}

struct Start: ChargePointCommand {
    static let configuration = CommandConfiguration(abstract: "Start a transaction remotely for a tag.")
    static let command = "start-transaction"
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Station id.", completion: Completion.stations) var station: String
    @Option(help: "The idTag to charge for.", completion: Completion.tags) var tag: String
    @Option(help: "Connector id; the charge point chooses when omitted.") var connector: Int?

    func payload() -> JSONValue {
        var body: JSONObject = ["idTag": .string(tag)]
        if let connector { body["connectorId"] = .integer(Int64(connector)) }
        return .object(body)
    }
}

struct Stop: ChargePointCommand {
    static let configuration = CommandConfiguration(abstract: "Stop a transaction remotely.")
    static let command = "stop-transaction"
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Station id.", completion: Completion.stations) var station: String
    @Argument(help: "Transaction id.") var transactionId: Int

    func payload() -> JSONValue { ["transactionId": .integer(Int64(transactionId))] }
}

struct Availability: ChargePointCommand {
    static let configuration = CommandConfiguration(abstract: "Make a connector (0: the whole station) operative or inoperative.")
    static let command = "change-availability"
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case operative, inoperative

        /// As typed, or as OCPP spells it (Inoperative).
        init?(argument: String) { self.init(rawValue: argument.lowercased()) }
    }
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Station id.", completion: Completion.stations) var station: String
    @Argument(help: "Connector id, 0 for the whole station.") var connector: Int
    @Argument(help: "operative or inoperative.") var availability: Kind

    func payload() -> JSONValue {
        ["connectorId": .integer(Int64(connector)), "type": .string(availability == .operative ? "Operative" : "Inoperative")]
    }
}

/// Configuration keys of a charge point.
struct Config: CommandGroup {
    static let configuration = CommandConfiguration(
        abstract: "Read or change a charge point's configuration keys.", subcommands: [Get.self, Set.self])

    struct Get: ChargePointCommand {
        static let configuration = CommandConfiguration(abstract: "Read configuration keys (all when none are named).")
        static let command = "get-configuration"
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Station id.", completion: Completion.stations) var station: String
        @Argument(help: "Keys to read.") var keys: [String] = []

        func payload() -> JSONValue { keys.isEmpty ? [:] : ["key": .array(keys.map { .string($0) })] }

        func printAnswer(_ answer: JSONValue) {
            guard case .array(let entries) = answer["configurationKey"] ?? .array([]) else { return }
            Output.table(
                ["KEY", "VALUE", "READONLY"],
                entries.map {
                    [
                        Cell($0["key"]?.stringValue ?? "?", .bold), Cell(optional: $0["value"]?.stringValue),
                        Cell($0["readonly"] == .bool(true) ? "yes" : "no"),
                    ]
                })
            if case .array(let unknown) = answer["unknownKey"] ?? .null, !unknown.isEmpty {
                print(Output.paint("unknown keys: " + unknown.compactMap(\.stringValue).joined(separator: ", "), .yellow))
            }
        }
    }

    struct Set: ChargePointCommand {
        static let configuration = CommandConfiguration(abstract: "Change one configuration key.")
        static let command = "change-configuration"
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Station id.", completion: Completion.stations) var station: String
        @Argument(help: "Key.") var key: String
        @Argument(help: "New value.") var value: String

        func payload() -> JSONValue { ["key": .string(key), "value": .string(value)] }
    }
}

struct Reserve: ChargePointCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reserve a connector for a tag; the reservation id is allocated unless given.")
    static let command = "reserve-now"
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Station id.", completion: Completion.stations) var station: String
    @Option(help: "Connector id (0: any).") var connector: Int
    @Option(help: "The idTag it is reserved for.", completion: Completion.tags) var tag: String
    @Option(help: "Until when: RFC 3339, or a duration from now such as 30m, 2h.") var expires: String = "30m"
    @Option(help: "Parent idTag.") var parent: String?
    @Option(help: "Reservation id (allocated when omitted).") var reservationId: Int?

    func payload() throws -> JSONValue {
        var body: JSONObject = [
            "connectorId": .integer(Int64(connector)), "idTag": .string(tag), "expiryDate": .string(try Reserve.date(expires)),
        ]
        if let parent { body["parentIdTag"] = .string(parent) }
        if let reservationId { body["reservationId"] = .integer(Int64(reservationId)) }
        return .object(body)
    }

    /// An RFC 3339 time as given, or now plus a duration like `90s`, `30m`, `2h`, `1d`.
    static func date(_ text: String, now: Date = Date()) throws -> String {
        if OCPPDate.parse(text) != nil { return text }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        guard let unit = text.last.flatMap({ units[$0] }), let amount = Double(text.dropLast()), amount > 0 else {
            throw CtlError(.usage, "invalid time '\(text)': an RFC 3339 time or a duration such as 30m")
        }
        return OCPPDate.format(now.addingTimeInterval(amount * unit))
    }
}

struct CancelReservation: ChargePointCommand {
    static let configuration = CommandConfiguration(abstract: "Cancel a reservation.")
    static let command = "cancel-reservation"
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Station id.", completion: Completion.stations) var station: String
    @Argument(help: "Reservation id.") var reservationId: Int

    func payload() -> JSONValue { ["reservationId": .integer(Int64(reservationId))] }
}

struct Trigger: ChargePointCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask a charge point to send a message now (BootNotification, Heartbeat, StatusNotification, MeterValues, ...).")
    static let command = "trigger-message"
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Station id.", completion: Completion.stations) var station: String
    @Argument(
        help: "BootNotification, DiagnosticsStatusNotification, FirmwareStatusNotification, Heartbeat, MeterValues or StatusNotification.")
    var message: String
    @Option(help: "Connector id.") var connector: Int?

    func payload() -> JSONValue {
        var body: JSONObject = ["requestedMessage": .string(message)]
        if let connector { body["connectorId"] = .integer(Int64(connector)) }
        return .object(body)
    }
}

struct ClearCache: ChargePointCommand {
    static let configuration = CommandConfiguration(abstract: "Clear a charge point's authorization cache.")
    static let command = "clear-cache"
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Station id.", completion: Completion.stations) var station: String

    func payload() -> JSONValue { [:] }
}

struct DataTransferCommand: ChargePointCommand {
    static let configuration = CommandConfiguration(commandName: "data-transfer", abstract: "Send vendor-specific data.")
    static let command = "data-transfer"
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Station id.", completion: Completion.stations) var station: String
    @Option(help: "Vendor id.") var vendor: String
    @Option(help: "Message id.") var messageId: String?
    @Option(help: "Data (text).") var data: String?

    func payload() -> JSONValue {
        var body: JSONObject = ["vendorId": .string(vendor)]
        if let messageId { body["messageId"] = .string(messageId) }
        if let data { body["data"] = .string(data) }
        return .object(body)
    }
}

/// The local authorization list of a charge point.
struct LocalList: CommandGroup {
    static let configuration = CommandConfiguration(
        commandName: "local-list", abstract: "A charge point's local authorization list.", subcommands: [Get.self, Send.self])

    struct Get: ChargePointCommand {
        static let configuration = CommandConfiguration(abstract: "Read the version of the local list.")
        static let command = "get-local-list-version"
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Station id.", completion: Completion.stations) var station: String

        func payload() -> JSONValue { [:] }
    }

    struct Send: ChargePointCommand {
        static let configuration = CommandConfiguration(abstract: "Send a local list: --tag TAG[:STATUS] for each entry.")
        static let command = "send-local-list"
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Station id.", completion: Completion.stations) var station: String
        @Option(help: "List version.") var version: Int
        @Flag(help: "Differential update instead of replacing the list.") var differential = false
        @Option(help: "An entry: TAG or TAG:STATUS (Accepted, Blocked, Expired, Invalid); repeat it.") var tag: [String] = []

        func payload() -> JSONValue {
            let entries: [JSONValue] = tag.map { entry in
                let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
                return ["idTag": .string(parts[0]), "idTagInfo": ["status": .string(parts.count > 1 ? parts[1] : "Accepted")]]
            }
            return [
                "listVersion": .integer(Int64(version)), "updateType": .string(differential ? "Differential" : "Full"),
                "localAuthorizationList": .array(entries),
            ]
        }
    }
}

/// Smart charging profiles.
struct ChargingProfile: CommandGroup {
    static let configuration = CommandConfiguration(
        commandName: "charging-profile", abstract: "Smart charging profiles.", subcommands: [Set.self, Clear.self, Composite.self])

    struct Set: ChargePointCommand {
        static let configuration = CommandConfiguration(abstract: "Install a charging profile read from a JSON file (- for stdin).")
        static let command = "set-charging-profile"
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Station id.", completion: Completion.stations) var station: String
        @Option(help: "Connector id (0: the station).") var connector: Int
        @Option(help: "The csChargingProfiles object as JSON.", completion: .file(extensions: ["json"])) var file: String

        func payload() throws -> JSONValue {
            let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: file)
            guard let data else { throw CtlError(.localFile, "cannot read \(file)") }
            let profile: JSONValue
            do {
                profile = try JSONParser.parse(Array(data))
            } catch {
                throw CtlError(.usage, "\(file) is not JSON: \(error)")
            }
            return ["connectorId": .integer(Int64(connector)), "csChargingProfiles": profile]
        }
    }

    struct Clear: ChargePointCommand {
        static let configuration = CommandConfiguration(abstract: "Clear charging profiles (all when no filter is given).")
        static let command = "clear-charging-profile"
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Station id.", completion: Completion.stations) var station: String
        @Option(help: "Profile id.") var id: Int?
        @Option(help: "Connector id.") var connector: Int?
        @Option(help: "ChargePointMaxProfile, TxDefaultProfile or TxProfile.") var purpose: String?
        @Option(help: "Stack level.") var stackLevel: Int?

        func payload() -> JSONValue {
            var body: JSONObject = [:]
            if let id { body["id"] = .integer(Int64(id)) }
            if let connector { body["connectorId"] = .integer(Int64(connector)) }
            if let purpose { body["chargingProfilePurpose"] = .string(purpose) }
            if let stackLevel { body["stackLevel"] = .integer(Int64(stackLevel)) }
            return .object(body)
        }
    }

    struct Composite: ChargePointCommand {
        static let configuration = CommandConfiguration(abstract: "Ask for the composite schedule of a connector.")
        static let command = "get-composite-schedule"
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Station id.", completion: Completion.stations) var station: String
        @Option(help: "Connector id (0: the station).") var connector: Int
        @Option(help: "Seconds from now.") var duration: Int
        @Option(help: "A or W.") var unit: String?

        func payload() -> JSONValue {
            var body: JSONObject = ["connectorId": .integer(Int64(connector)), "duration": .integer(Int64(duration))]
            if let unit { body["chargingRateUnit"] = .string(unit) }
            return .object(body)
        }
    }
}
