import Foundation
import NIOHTTP1
import Shared
import Testing

@testable import ocppctl

@Suite struct ServerSentEventParserTests {
    @Test func splitsEventsAcrossChunksAndSkipsComments() {
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array(": keep-alive\n\nevent: connector.status\nda".utf8)).isEmpty)
        let events = parser.feed(Array("ta: {\"a\":1}\r\n\r\nevent: x\ndata: l1\ndata: l2\n\n".utf8))
        #expect(events.map(\.type) == ["connector.status", "x"])
        #expect(events.map(\.data) == [#"{"a":1}"#, "l1\nl2"])
    }
}

@Suite struct OutputTests {
    @Test func agesReadLikeAnOperatorSaysThem() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(Output.age(now.addingTimeInterval(-12), now: now) == "12s ago")
        #expect(Output.age(now.addingTimeInterval(-300), now: now) == "5m ago")
        #expect(Output.age(now.addingTimeInterval(-7200), now: now) == "2h ago")
        #expect(Output.age(now.addingTimeInterval(-3 * 86400), now: now) == "3d ago")
        #expect(Output.age(now.addingTimeInterval(600), now: now) == "in 10m")
    }

    @Test func reservationTimesTakeDurationsOrRFC3339() throws {
        let now = Date(timeIntervalSince1970: 1_714_564_800)
        #expect(try Reserve.date("30m", now: now) == "2024-05-01T12:30:00.000Z")
        #expect(try Reserve.date("2024-06-01T00:00:00Z", now: now) == "2024-06-01T00:00:00Z")
        #expect(throws: CtlError.self) { try Reserve.date("soon", now: now) }
    }
}

@Suite struct ErrorMappingTests {
    private func response(_ status: Int, _ detail: String) -> APIResponse {
        APIResponse(status: status, headers: HTTPHeaders(), body: Array(#"{"status":\#(status),"detail":"\#(detail)"}"#.utf8))
    }

    @Test func statusesMapToTheDocumentedExitCodes() {
        #expect(APIClient.error(for: response(401, "x"), command: false, base: "").status == .unauthorized)
        #expect(APIClient.error(for: response(404, "unknown station"), command: true, base: "").status == .notFound)
        #expect(APIClient.error(for: response(409, "not connected"), command: true, base: "").status == .stationOffline)
        #expect(APIClient.error(for: response(409, "exists"), command: false, base: "").status == .failure)
        #expect(APIClient.error(for: response(502, "CALLERROR"), command: true, base: "").status == .refused)
        #expect(APIClient.error(for: response(504, "late"), command: true, base: "").status == .timeout)
        #expect(APIClient.error(for: response(400, "bad field"), command: true, base: "").status == .usage)
        #expect(APIClient.error(for: response(404, "unknown station 'X'"), command: true, base: "").message == "unknown station 'X'")
    }

    @Test func everyExitCodeIsDocumented() {
        let text = ExitStatus.documentation
        for status in ExitStatus.allCases { #expect(text.contains("  \(status.rawValue)  ")) }
        #expect(Set(ExitStatus.allCases.map(\.rawValue)).count == ExitStatus.allCases.count)
    }
}

@Suite struct ConfigFileTests {
    @Test func loginWritesAPrivateFileThatLaterRunsRead() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("ocppctl-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: home) }
        let environment = ["XDG_CONFIG_HOME": home]
        let path = try CtlConfig(server: "http://gw:3000", token: "s3cret").save(environment: environment)
        #expect(path == home + "/ocppctl/config")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let loaded = CtlConfig.load(environment: environment)
        #expect(loaded.server == "http://gw:3000")
        #expect(loaded.token == "s3cret")
    }

    @Test func findsTheTokenOfALocalOcppd() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ocppd-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "tok123\n".write(toFile: dir + "/api-token", atomically: true, encoding: .utf8)
        #expect(CtlConfig.localToken(environment: ["OCPPD_DATA_DIR": dir]) == "tok123")
    }
}

@Suite struct ArgumentOrderTests {
    @Test func globalOptionsMayComeBeforeTheSubcommand() {
        #expect(
            Main.globalOptionsLast(["--server", "http://x", "-o", "json", "stations", "list"]) == [
                "stations", "list", "--server", "http://x", "-o", "json",
            ])
        #expect(Main.globalOptionsLast(["--token=t", "reset", "CP1"]) == ["reset", "CP1", "--token=t"])
        #expect(Main.globalOptionsLast(["reset", "CP1", "--hard"]) == ["reset", "CP1", "--hard"])
        #expect(Main.globalOptionsLast(["--help"]) == ["--help"])
    }
}
