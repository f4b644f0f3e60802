import ocppd

/// The ocppd program: the daemon's command, from the ocppd library.
@main
enum Program {
    // In an async function the call is AsyncParsableCommand's main (top-level code would pick ParsableCommand's
    // synchronous one, which refuses to run an asynchronous command).
    static func main() async {
        await OCPPD.main()
    }
}
