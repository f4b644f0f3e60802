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
        // Between subcommand names too; after the last one they are where the parser wants them already.
        #expect(Main.globalOptionsLast(["stations", "-o", "json", "list"]) == ["stations", "list", "-o", "json"])
        #expect(
            Main.globalOptionsLast(["--timeout=5", "config", "--server", "http://x", "get", "CP1"]) == [
                "config", "get", "CP1", "--timeout=5", "--server", "http://x",
            ])
        #expect(Main.globalOptionsLast(["stations", "show", "CP1", "-o", "json"]) == ["stations", "show", "CP1", "-o", "json"])
        #expect(Main.globalOptionsLast(["-o", "json"]) == ["-o", "json"])
    }
}

@Suite struct TopModelTests {
    private func event(_ type: String, _ fields: JSONObject) -> (String, JSONValue) {
        var object: JSONObject = ["type": .string(type), "cpId": "CP1", "at": "2026-01-01T10:00:00Z"]
        for member in fields.members { object[member.key] = member.value }
        return (type, .object(object))
    }

    @Test func eventsKeepConnectorsAndSessionsCurrent() {
        var model = TopModel()
        for (type, data) in [
            event("station.connected", [:]),
            event("connector.status", ["connectorId": 1, "status": "Charging", "errorCode": "NoError"]),
            event("transaction.started", ["connectorId": 1, "transactionId": 7, "idTag": "TAG", "meterStart": 1000]),
            event(
                "meter.values",
                [
                    "connectorId": 1,
                    "values": [
                        ["measurand": "Energy.Active.Import.Register", "value": "3.5", "unit": "kWh"],
                        ["measurand": "Power.Active.Import", "value": "7200", "unit": "W"],
                    ],
                ]),
        ] {
            model.apply(type: type, data: data)
        }
        let rows = model.rows(filter: "", sort: .station)
        #expect(rows.count == 1)
        #expect(rows[0].status == "Charging" && rows[0].connected)
        #expect(rows[0].tag == "TAG" && rows[0].transactionId == 7)
        #expect(rows[0].energyWh == 2500)
        #expect(rows[0].powerW == 7200)
        model.apply(type: "transaction.stopped", data: event("transaction.stopped", ["connectorId": 1, "transactionId": 7]).1)
        #expect(model.rows(filter: "", sort: .station)[0].transactionId == nil)
        #expect(model.rows(filter: "nomatch", sort: .station).isEmpty)
    }

    @Test func absurdMeterValuesDoNotCrashTheView() {
        var model = TopModel()
        model.apply(
            type: "connector.status",
            data: event("connector.status", ["connectorId": 1, "status": "Charging", "errorCode": "NoError"]).1)
        model.apply(
            type: "transaction.started",
            data: event("transaction.started", ["connectorId": 1, "transactionId": 7, "idTag": "TAG", "meterStart": 1000]).1)
        for value in ["1e300", "-1e300", "nan", "inf"] {
            let values: JSONValue = [["measurand": "Energy.Active.Import.Register", "value": .string(value), "unit": "kWh"]]
            model.apply(type: "meter.values", data: event("meter.values", ["connectorId": 1, "values": values]).1)
            #expect(model.rows(filter: "", sort: .station)[0].energyWh == 0, "\(value)")
        }
        let values: JSONValue = [["measurand": "Energy.Active.Import.Register", "value": "3.5", "unit": "kWh"]]
        model.apply(type: "meter.values", data: event("meter.values", ["connectorId": 1, "values": values]).1)
        #expect(model.rows(filter: "", sort: .station)[0].energyWh == 2500)
    }

    @Test func eightyColumnsHoldEveryColumnAndActionsAreConfirmed() {
        var screen = TopScreen()
        screen.model.apply(
            type: "connector.status",
            data: event("connector.status", ["connectorId": 2, "status": "Faulted", "errorCode": "GroundFailure"]).1)
        let lines = screen.render(rows: 24, columns: 80)
        #expect(lines.count <= 24)
        #expect(lines.allSatisfy { $0.text.count <= 80 })
        #expect(lines[1].text.hasSuffix("LINK"))
        #expect(screen.handle(.character("u"), pageSize: 10) == .redraw)
        guard case .confirming(let question, .unlock("CP1", 2)) = screen.mode else {
            Issue.record("no confirmation: \(screen.mode)")
            return
        }
        #expect(question.contains("CP1") && question.contains("2"))
        #expect(screen.handle(.character("n"), pageSize: 10) == .redraw)
        #expect(screen.mode == .table)
        _ = screen.handle(.character("u"), pageSize: 10)
        #expect(screen.handle(.character("y"), pageSize: 10) == .run(.unlock("CP1", 2)))
        #expect(screen.handle(.character("q"), pageSize: 10) == .quit)
    }

    @Test func theDetailViewNamesADataTransfersVendorMessageAndAnswer() {
        var model = TopModel()
        model.apply(type: "connector.status", data: event("connector.status", ["connectorId": 1, "status": "Available"]).1)
        model.apply(
            type: "data.transfer",
            data: event("data.transfer", ["vendorId": "com.example", "messageId": "m1", "data": "{}", "status": "UnknownVendorId"]).1)
        #expect(model.station("CP1")?.recentEvents.last?.hasSuffix("data.transfer com.example m1 UnknownVendorId") == true)
    }

    @Test func theDetailViewNamesASecurityEventAndWhatTheStationAdded() {
        var screen = TopScreen()
        screen.model.apply(
            type: "connector.status", data: event("connector.status", ["connectorId": 1, "status": "Available", "errorCode": "NoError"]).1)
        screen.model.apply(
            type: "security.event",
            data: event(
                "security.event", ["eventType": "TamperDetectionActivated", "timestamp": "2026-01-01T09:59:00Z", "techInfo": "lid"]
            ).1)
        #expect(screen.model.station("CP1")?.recentEvents.last?.hasSuffix("security.event TamperDetectionActivated (lid)") == true)
        #expect(screen.handle(.enter, pageSize: 10) == .redraw)
        let lines = screen.render(rows: 24, columns: 80).map(\.text)
        #expect(lines.contains { $0.contains("security.event TamperDetectionActivated (lid)") })
    }

    @Test func inAClusterEachStationsNodeIsShownAndFollowsItsEvents() {
        var screen = TopScreen()
        screen.model.load(
            stations: [Station(id: "CP1", registrationStatus: .accepted, createdAt: Date())], activeSessions: [], cluster: true)
        screen.model.apply(type: "station.connected", data: event("station.connected", ["node": "n2"]).1)
        screen.model.apply(
            type: "connector.status", data: event("connector.status", ["connectorId": 1, "status": "Charging", "errorCode": "NoError"]).1)
        #expect(screen.model.rows(filter: "", sort: .station).map(\.node) == ["n2"])
        let lines = screen.render(rows: 24, columns: 80)
        #expect(lines.allSatisfy { $0.text.count <= 80 })
        #expect(lines[1].text.hasSuffix("NODE   LINK") && lines[2].text.hasSuffix("n2     up"))
        screen.model.apply(type: "station.disconnected", data: event("station.disconnected", ["node": "n2"]).1)
        #expect(screen.model.rows(filter: "", sort: .station).map(\.node) == [nil])
        // A single ocppd has no NODE column.
        var single = TopScreen()
        single.model.apply(type: "station.connected", data: event("station.connected", [:]).1)
        #expect(!single.render(rows: 24, columns: 80)[1].text.contains("NODE"))
    }
}

extension TopModelTests {
    @Test func aSessionsLastPowerShowsAtOnceWhenTopOpens() {
        var model = TopModel()
        let station = Station(
            id: "CP1", registrationStatus: .accepted, connected: true, createdAt: Date(),
            connectors: [Connector(connectorId: 1, status: "Charging", errorCode: "NoError", updatedAt: Date())])
        let session = Session(
            transactionId: 9, cpId: "CP1", connectorId: 1, idTag: "TAG", idTagStatus: "Accepted", meterStart: 0, energyWh: 1200,
            startedAt: Date(), active: true, lastPowerW: 7400, lastMeterValueAt: Date())
        model.load(stations: [station], activeSessions: [session])
        let row = model.rows(filter: "", sort: .station).first
        #expect(row?.powerW == 7400 && row?.energyWh == 1200 && row?.transactionId == 9)
    }

    @Test func theSitesPaneShowsEachSitesSharesAsTheyChange() {
        var screen = TopScreen()
        let site = Site(
            siteId: "YARD", limit: 32, unit: .amperes, phases: 3, voltage: 230, minPerConnector: 6, fallbackLimit: 10.6,
            description: nil, stations: ["CP1", "CP2"], allocations: [], allocated: 0)
        screen.model.load(stations: [], activeSessions: [], sites: [site])
        #expect(screen.handle(.character("S"), pageSize: 10) == .redraw)
        var lines = screen.render(rows: 24, columns: 80).map(\.text)
        #expect(lines.contains { $0.hasPrefix("site YARD  0 of 32 A allocated") })
        let shares: JSONValue = [
            ["cpId": "CP1", "connectorId": 1, "transactionId": 7, "limit": 16, "measured": 8],
            ["cpId": "CP2", "connectorId": 1, "transactionId": 8, "limit": 16, "measured": .null],
        ]
        let changed = screen.model.apply(
            type: "site.allocation",
            data: ["type": "site.allocation", "cpId": .null, "siteId": "YARD", "allocations": shares, "allocated": 32])
        #expect(changed)
        lines = screen.render(rows: 24, columns: 80).map(\.text)
        #expect(lines.contains { $0.hasPrefix("site YARD  32 of 32 A allocated") })
        #expect(lines.contains { $0.hasPrefix("  CP1/1") && $0.hasSuffix("16 A, draws 8") })
        #expect(lines.contains { $0.hasPrefix("  CP2/1") && $0.hasSuffix("16 A") })
        #expect(lines.allSatisfy { $0.count <= 80 })
        // Half the bar is CP1's limit, half of that its draw.
        #expect(
            TopScreen.bar(16, drawn: 8, of: 32, width: 20) == String(repeating: "▒", count: 5) + String(repeating: "█", count: 5)
                + String(repeating: "·", count: 10))
        // A new limit read after site.changed keeps the shares the events told.
        var raised = site
        raised.limit = 40
        screen.model.replaceSite("YARD", with: raised)
        lines = screen.render(rows: 24, columns: 80).map(\.text)
        #expect(lines.contains { $0.hasPrefix("site YARD  32 of 40 A allocated") })
        #expect(lines.contains { $0.hasPrefix("  CP1/1") && $0.hasSuffix("16 A, draws 8") })
        // A site made after the load: its first shares come before its settings, then its unit is right.
        screen.model.apply(
            type: "site.allocation",
            data: ["siteId": "CAR-PARK", "allocations": [["cpId": "CP9", "connectorId": 1, "transactionId": 9, "limit": 7360]]])
        let carPark = Site(
            siteId: "CAR-PARK", limit: 22000, unit: .watts, phases: 3, voltage: 230, minPerConnector: 4140, fallbackLimit: 22000,
            description: nil, stations: ["CP9"], allocations: [], allocated: 0)
        screen.model.replaceSite("CAR-PARK", with: carPark)
        lines = screen.render(rows: 24, columns: 80).map(\.text)
        #expect(lines.contains { $0.hasPrefix("site CAR-PARK  7360 of 22000 W allocated") })
        screen.model.replaceSite("YARD", with: nil)
        #expect(!screen.render(rows: 24, columns: 80).map(\.text).contains { $0.hasPrefix("site YARD") })
        #expect(screen.handle(.character("S"), pageSize: 10) == .redraw)
        #expect(!screen.render(rows: 24, columns: 80).map(\.text).contains { $0.hasPrefix("site CAR-PARK") })
    }
}

@Suite struct ServerListTests {
    @Test func severalServersAreTakenInOrderAndABadOneIsAUsageError() throws {
        let client = try APIClient(server: "http://n1:3000/, https://n2:3000,http://n3:3000", token: nil, timeout: .seconds(1))
        #expect(client.servers == ["http://n1:3000", "https://n2:3000", "http://n3:3000"])
        #expect(client.base == "http://n1:3000")
        #expect(throws: CtlError.self) { try APIClient(server: "http://n1:3000,n2:3000", token: nil, timeout: .seconds(1)) }
        #expect(throws: CtlError.self) { try APIClient(server: ",", token: nil, timeout: .seconds(1)) }
    }
}
