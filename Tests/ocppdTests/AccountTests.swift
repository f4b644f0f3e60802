import Crypto
import Foundation
import Shared
import Testing

@testable import ocppd

@Suite struct AccountTests {
    @Test func rolesRankAndEveryWriteNeedsMoreThanAViewer() {
        #expect(Role.viewer < .technician && Role.technician < .admin)
        #expect(RoutePermissions.required(method: .get, route: "/api/tokens") == .viewer)
        #expect(RoutePermissions.required(method: .head, route: "/api/files/{id}") == .viewer)
        #expect(RoutePermissions.required(method: .post, route: "/api/admin/{cpId}/{command}") == .technician)
        #expect(RoutePermissions.required(method: .post, route: "/api/rfid/{tagId}/block") == .technician)
        #expect(RoutePermissions.required(method: .post, route: "/api/firmware") == .technician)
        // A route nobody named needs the most.
        #expect(RoutePermissions.required(method: .post, route: "/api/something/new") == .admin)
        #expect(RoutePermissions.required(method: .delete, route: "/api/rfid/{tagId}") == .admin)
        #expect(RoutePermissions.pattern("/api/admin/:cpId/:command") == "/api/admin/{cpId}/{command}")
        #expect(RoutePermissions.pattern("api/tokens") == "/api/tokens")
    }

    @Test func secretsNeverReachTheAuditLog() {
        func redacted(_ text: String) -> JSONValue { try! JSONParser.parse(Array(AuditLog.redacted(Array(text.utf8)).utf8)) }
        #expect(
            redacted(#"{"authorizationKey":"0123456789abcdef","description":"bay"}"#)
                == ["authorizationKey": "***", "description": "bay"])
        #expect(redacted(#"{"key":"AuthorizationKey","value":"s3cr3t"}"#) == ["key": "AuthorizationKey", "value": "***"])
        #expect(redacted(#"{"key":"HeartbeatInterval","value":"60"}"#) == ["key": "HeartbeatInterval", "value": "60"])
        #expect(
            redacted(#"{"url":"https://x","secret":"s","nested":[{"clientSecret":"c","password":"p","token":null}]}"#)
                == ["url": "https://x", "secret": "***", "nested": [["clientSecret": "***", "password": "***", "token": .null]]])
        #expect(AuditLog.redacted(Array("not json".utf8)) == "(8 bytes, not JSON)")
    }

    @Test func namedTokensAreCheckedByTheirDigestAndExpire() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ocppd-access-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = SQLiteStore(path: directory + "/ocppd.sqlite")
        try await store.migrate()
        let access = APIAccess(defaultToken: APIToken(source: .configured, token: "configured-token"), store: store)
        #expect(try await access.caller(presenting: Array("configured-token".utf8)) == .caller(APICaller(name: "api-token", role: .admin)))
        let secret = Array("named-secret".utf8)
        let expires = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 60).rounded())  // stored in milliseconds
        _ = try await store.createToken(
            StoredToken(name: "tech", role: .technician, hash: APIAccess.hash(secret), createdAt: Date(), expiresAt: expires))
        #expect(try await access.caller(presenting: secret) == .caller(APICaller(name: "tech", role: .technician, expiresAt: expires)))
        #expect(try await access.caller(presenting: secret, now: expires) == .expired(name: "tech", at: expires))
        #expect(try await access.caller(presenting: Array("other".utf8)) == .unknown)
        #expect(APIAccess.hash(secret) == Hex.string(Array(SHA256.hash(data: secret))))
        await store.close()
    }

    @Test func webhookTargetsRefuseLoopbackAndLinkLocal() async {
        for address in ["127.0.0.1", "127.8.9.10", "0.0.0.0", "169.254.169.254", "::1", "::", "fe80::1", "FEBF::2", "::ffff:127.0.0.1"] {
            #expect(WebhookTarget.isPrivate(address), "\(address)")
        }
        for address in ["10.0.0.1", "192.168.1.1", "8.8.8.8", "2001:db8::1", "fec0::1", "::ffff:8.8.8.8", "169.255.0.1"] {
            #expect(!WebhookTarget.isPrivate(address), "\(address)")
        }
        #expect(await WebhookTarget.refusal("http://127.0.0.1:9/x") != nil)
        #expect(await WebhookTarget.refusal("http://localhost/x") != nil)
        #expect(await WebhookTarget.refusal("http://[::1]:8080/x") != nil)
        #expect(await WebhookTarget.refusal("https://203.0.113.5/x") == nil)
        #expect(WebhookTarget.problem("ftp://example.com/x") != nil)
        #expect(WebhookTarget.problem("https:///x") != nil)
        #expect(WebhookTarget.problem("https://example.com/x") == nil)
    }

    @Test func aWebhookBodyIsTheEventsDataWithItsIdAndIsSignedOverTimestampAndBody() throws {
        let event = GatewayEvent(type: "transaction.started", cpId: "CP1", at: Date(timeIntervalSince1970: 0), fields: ["transactionId": 7])
        let item = JournaledEvent(node: "n1", seq: 42, event: event)
        let body = WebhookDispatcher.body(item)
        let json = try JSONParser.parse(body)
        #expect(json["id"] == "n1:42" && json["type"] == "transaction.started" && json["cpId"] == "CP1" && json["transactionId"] == 7)
        #expect(WebhookDispatcher.eventId(JournaledEvent(node: "", seq: 3, event: event)) == "3")
        // HMAC-SHA256 of "TIMESTAMP.BODY" (the value from Python's hmac module).
        let signature = WebhookDispatcher.signature(secret: "Jefe", timestamp: 0, body: Array("what do ya want for nothing?".utf8))
        #expect(signature == "sha256=37f471929915ccd2cbbe79feb84ffcff4f2bb25e15fc41c2506687331ae179cc")
    }

    @Test func webhooksMatchTheirTypesAndStations() {
        let hook = StoredWebhook(
            id: 1, url: "https://x", events: ["transaction.started"], cpIds: ["CP1"], secret: "s", createdAt: Date(), enabled: true,
            failingSince: nil, cursor: EventCursor())
        #expect(hook.matches(type: "transaction.started", cpId: "CP1"))
        #expect(!hook.matches(type: "transaction.started", cpId: "CP2"))
        #expect(!hook.matches(type: "transaction.stopped", cpId: "CP1"))
        #expect(!hook.matches(type: "transaction.started", cpId: ""))
        var every = hook
        every.events = ["*"]
        every.cpIds = nil
        #expect(every.matches(type: "site.allocation", cpId: "") && every.matches(type: "meter.values", cpId: "CP9"))
    }
}
