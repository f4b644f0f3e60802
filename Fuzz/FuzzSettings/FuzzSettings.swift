import Foundation
import FuzzSupport
import Shared

@testable import ocppd

// What an operator writes and ocppd reads at start: the MariaDB URL (DATABASE_URL) and the config file's KEY=VALUE
// lines. The first byte picks the parser. Properties: an accepted URL, written back from what was read (every part
// percent-encoded), reads as the same URL; a config file's settings, written back one quoted line each, read as the
// same settings; no part that the C client library reads holds a NUL (C would cut it short); nothing traps.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSettings(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzInput(data, size) { bytes in
        let (parser, rest) = split(bytes, cases: 2)
        let text = String(decoding: rest, as: UTF8.self)
        if parser == 0 {
            guard let url = try? MariaDBURL(text) else { return }
            var parts = [url.user, url.password ?? "", url.database]
            switch url.endpoint {
            case .tcp(let host, _): parts.append(host)
            case .socket(let path): parts.append(path)
            }
            expect(!parts.contains { $0.utf8.contains(0) }, "a URL with a NUL in a part the C client reads was accepted")
            let again = written(url)
            expect((try? MariaDBURL(again)) == url, "\(text.debugDescription) read as \(url), written as \(again), reads otherwise")
        } else {
            guard let settings = try? parseConfigFile(text, path: "fuzz.conf") else { return }
            let again = settings.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: "\n")
            expect((try? parseConfigFile(again, path: "again.conf")) == settings, "settings \(settings) do not read back")
        }
    }
}

/// The URL of `url`'s parts, each percent-encoded (the host too: an IPv6 host's colons then need no brackets).
func written(_ url: MariaDBURL) -> String {
    func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789")) ?? text
    }
    var text = "mysql://\(encoded(url.user))"
    if let password = url.password { text += ":\(encoded(password))" }
    var parameters = ["connect_timeout=\(url.connectTimeout)"]
    switch url.endpoint {
    case .tcp(let host, let port): text += "@\(encoded(host)):\(port)"
    case .socket(let path):
        text += "@localhost"
        parameters.append("socket=\(encoded(path))")
    }
    if url.socketTimeoutGiven { parameters.append("socket_timeout=\(url.socketTimeout)") }
    if let limit = url.connectionLimit { parameters.append("connection_limit=\(limit)") }
    return text + "/\(encoded(url.database))?" + parameters.joined(separator: "&")
}

@_cdecl("FuzzSettings_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzzSettings)
}
