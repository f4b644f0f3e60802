/// Runs one libFuzzer input through `body` (each target's `LLVMFuzzerTestOneInput` calls this).
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int, _ body: ([UInt8]) -> Void) -> CInt {
    body(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// A property of the code under test: when it does not hold, the process stops and libFuzzer keeps the input as a crash.
public func expect(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        fatalError("property violated: \(message())")
    }
}

/// The first byte chooses among `count` cases (what a target tries); the rest is the input for it.
public func split(_ bytes: [UInt8], cases count: Int) -> (Int, ArraySlice<UInt8>) {
    guard let first = bytes.first else { return (0, []) }
    return (Int(first) % count, bytes.dropFirst())
}

public typealias FuzzTest = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ test: FuzzTest
) -> CInt

/// libFuzzer's driver, for a target's `TARGET_main`: a debug build names the program's entry point so (SwiftPM links
/// `main` to it, so that tests could link the executable), where a release build takes libFuzzer's own `main`.
public func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, _ test: FuzzTest) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, test)
}
