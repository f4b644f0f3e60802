// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "ocpp-gateway",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ocppd", targets: ["ocppdMain"]),
        .executable(name: "ocppctl", targets: ["ocppctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        // 4.x: 3.12.3 freed an RSA public key twice when its DER did not parse (an abort on a CSR with a broken RSA key).
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CMariaDB",
            pkgConfig: "libmariadb",
            providers: [.apt(["libmariadb-dev"])]
        ),
        // No pkgConfig: ncursesw's pkg-config adds -D flags SwiftPM refuses; the shim sets what is needed.
        .systemLibrary(
            name: "CNCurses",
            providers: [.apt(["libncursesw5-dev"])]
        ),
        .systemLibrary(
            name: "CEditLine",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]
        ),
        .target(name: "Shared"),
        // The daemon's code is a library so that the tests and the fuzz targets (Fuzz/) link it;
        // ocppdMain is the program: it only starts the command.
        .target(
            name: "ocppd",
            dependencies: [
                "Shared",
                "CSQLite",
                "CMariaDB",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                // Files/: uploads streamed to disk, downloads read in chunks.
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // Station certificates: CSRs checked and signed (Security/).
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // Commands forwarded to the node that holds a station (Cluster/NodeClient.swift).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(
            name: "ocppdMain",
            dependencies: ["ocppd"]
        ),
        .executableTarget(
            name: "ocppctl",
            dependencies: [
                "Shared",
                "CNCurses",
                "CEditLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The load generator and the ceiling responder of Benchmarks/ (see docs/PERFORMANCE.md).
        .executableTarget(
            name: "ocpp-bench",
            dependencies: [
                "Shared",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "Benchmarks/ocpp-bench"
        ),
        .testTarget(name: "SharedTests", dependencies: ["Shared"]),
        .testTarget(
            name: "ocppdTests",
            dependencies: [
                "ocppd", "Shared",
                // Certificates made by the tests themselves (a throwaway CA for forwarded client certificates).
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .testTarget(name: "ocppctlTests", dependencies: ["ocppctl", "Shared"]),
    ]
)

// Coverage-guided fuzz targets (Fuzz/, run by scripts/fuzz): part of the package only when OCPPD_FUZZ is set, so the
// normal build never compiles them. They and the modules they try are built with libFuzzer's coverage and
// AddressSanitizer; the dependencies are not instrumented (their objects are the normal build's).
if Context.environment["OCPPD_FUZZ"] != nil {
    let instrumented: [SwiftSetting] = [.unsafeFlags(["-sanitize=fuzzer,address", "-enable-testing"])]
    for target in package.targets where ["Shared", "ocppd"].contains(target.name) {
        target.swiftSettings = (target.swiftSettings ?? []) + instrumented
    }
    package.targets.append(
        .target(name: "FuzzSupport", path: "Fuzz/FuzzSupport", swiftSettings: instrumented))
    for name in ["FuzzJSON", "FuzzFrame", "FuzzRESTBody", "FuzzHeaders", "FuzzSettings", "FuzzCSR", "FuzzUpload"] {
        package.targets.append(
            .executableTarget(
                name: name,
                dependencies: [
                    "FuzzSupport", "Shared", "ocppd",
                    .product(name: "NIOCore", package: "swift-nio"),
                    .product(name: "X509", package: "swift-certificates"),
                    .product(name: "SwiftASN1", package: "swift-asn1"),
                ],
                path: "Fuzz/\(name)",
                exclude: ["corpus"],
                // No main: libFuzzer's is linked in, and it calls LLVMFuzzerTestOneInput.
                swiftSettings: instrumented + [.unsafeFlags(["-parse-as-library"])],
                linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]
            ))
    }
}
