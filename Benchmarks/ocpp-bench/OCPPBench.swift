import ArgumentParser

/// `ocpp-bench load` simulates charge points against a central system; `ocpp-bench ceiling` is the
/// responder that answers every CALL at once and stores nothing, the ceiling ocppd is measured against.
@main
struct OCPPBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ocpp-bench",
        abstract: "Load generator and ceiling responder for OCPP 1.6J central systems.",
        discussion: "Benchmarks/run-all runs the whole benchmark set; docs/PERFORMANCE.md has the results.",
        subcommands: [Load.self, Ceiling.self]
    )
}
