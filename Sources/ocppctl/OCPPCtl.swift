import ArgumentParser
import Shared

/// ocppctl: the operator console of ocppd.
@main
struct OCPPCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ocppctl",
        abstract: "Operator console of the ocppd OCPP central system.",
        version: OCPPGateway.version
    )
}
