import Foundation
import Shared
import Testing

@testable import ocppd

// MARK: - Backends

/// A fresh database of one backend, from which stores are opened; removed when the test ends.
protocol StoreFixture: Sendable {
    /// A new store on this fixture's database; a second call opens the same data again.
    func open() async throws -> any Store
    /// Marks the database as migrated by a newer ocppd than this one.
    func markNewerSchema(_ store: any Store, version: Int) async throws
    /// Commits and write jobs so far, for backends that group-commit.
    func writeStatistics(_ store: any Store) -> WriteStatistics?
    func remove() async
}

/// A store backend the contract runs on. MariaDB joins `all` when a test server is configured.
struct StoreBackend: Sendable, CustomTestStringConvertible {
    let name: String
    let makeFixture: @Sendable () async throws -> any StoreFixture

    var testDescription: String { name }

    static let sqlite = StoreBackend(name: "SQLite") { try SQLiteFixture() }
    static let mariaDB = StoreBackend(name: "MariaDB") { try MariaDBFixture() }
    static let all: [StoreBackend] = [.sqlite] + (MariaDBTestServer.isConfigured ? [.mariaDB] : [])
}

/// A temporary directory holding one SQLite database.
struct SQLiteFixture: StoreFixture {
    let directory: URL
    var path: String { directory.appendingPathComponent("ocppd.sqlite").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ocppd-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func open() async throws -> any Store { SQLiteStore(path: path) }

    func markNewerSchema(_ store: any Store, version: Int) async throws {
        let store = try #require(store as? SQLiteStore)
        try await store.write { db in
            try db.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", [version, Date()])
        }
    }

    func writeStatistics(_ store: any Store) -> WriteStatistics? { (store as? SQLiteStore)?.writeStatistics }

    func remove() async { try? FileManager.default.removeItem(at: directory) }
}

/// A database of its own on the test server of OCPPD_TEST_MARIADB_URL (whose user may create databases), so tests
/// run in parallel; dropped when the test ends.
struct MariaDBFixture: StoreFixture {
    let server: MariaDBURL
    let url: MariaDBURL

    init() throws {
        server = try MariaDBTestServer.url()
        var url = server
        url.database = "ocppd_store_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        self.url = url
        try MariaDBConnection(url: server).exec("CREATE DATABASE \(url.database)")
    }

    func open() async throws -> any Store { MariaDBStore(url: url, connections: 4) }

    func markNewerSchema(_ store: any Store, version: Int) async throws {
        let store = try #require(store as? MariaDBStore)
        try await store.write { db in
            try db.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", [version, Date()])
        }
    }

    func writeStatistics(_ store: any Store) -> WriteStatistics? { (store as? MariaDBStore)?.writeStatistics }

    func remove() async { try? MariaDBConnection(url: server).exec("DROP DATABASE IF EXISTS \(url.database)") }
}

/// Runs `body` with a migrated store on a fresh database of `backend`, then closes the store and removes the database.
func withStore(
    _ backend: StoreBackend, _ body: (any Store, any StoreFixture) async throws -> Void
) async throws {
    let fixture = try await backend.makeFixture()
    let store = try await fixture.open()
    do {
        try await store.migrate()
        try await body(store, fixture)
    } catch {
        await store.close()
        await fixture.remove()
        throw error
    }
    await store.close()
    await fixture.remove()
}

/// Whole seconds after a fixed instant, so times round-trip exactly through millisecond storage.
func time(_ seconds: Int) -> Date {
    Date(timeIntervalSince1970: 1_714_564_800 + Double(seconds))
}

func start(
    _ cpId: String = "CP1", connector: Int = 1, tag: String = "TAG1", meter: Int = 1000, at seconds: Int, reservation: Int? = nil
) -> TransactionStart {
    TransactionStart(
        cpId: cpId, connectorId: connector, idTag: tag, meterStart: meter, timestamp: time(seconds), reservationId: reservation)
}

extension Store {
    /// A start whose tag is Accepted whatever its state (the tests of sessions, not of authorization).
    func startTransaction(_ start: TransactionStart) async throws -> StartOutcome {
        try await startTransaction(start) { _ in IdTagInfo(status: .accepted) }.0
    }
}

func stop(
    _ cpId: String = "CP1", transactionId: Int, meter: Int = 5000, at seconds: Int, reason: String? = "Local",
    values: [MeterValueRecord] = []
) -> TransactionStop {
    TransactionStop(
        cpId: cpId, transactionId: transactionId, idTag: "TAG1", meterStop: meter, timestamp: time(seconds), reason: reason,
        meterValues: values)
}

func energyValue(_ cpId: String = "CP1", transactionId: Int?, connector: Int = 1, value: String, unit: String = "Wh", at seconds: Int)
    -> MeterValueRecord
{
    MeterValueRecord(
        timestamp: time(seconds), cpId: cpId, transactionId: transactionId, connectorId: connector,
        measurand: "Energy.Active.Import.Register", value: value, unit: unit, context: "Sample.Periodic", location: "Outlet",
        format: "Raw")
}

/// What a closure that a store calls on its writer thread was given, for the test to read afterwards.
final class Recorded<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Value] = []
    var values: [Value] { lock.withLock { recorded } }
    func add(_ value: Value) { lock.withLock { recorded.append(value) } }
}

// MARK: - The contract every backend keeps

@Suite("Store contract")
struct StoreContractTests {
    @Test("migrating twice changes nothing", arguments: StoreBackend.all)
    func migrationsAreIdempotent(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, fixture in
            try await store.createCard(RfidCard(idTag: "KEEP", status: .accepted, createdAt: time(0)))
            try await store.migrate()
            let again = try await fixture.open()
            try await again.migrate()
            #expect(try await again.card("KEEP") != nil)
            await again.close()
            #expect(try await store.cards(PageRequest()).total == 1)
        }
    }

    @Test("a schema newer than the binary is refused", arguments: StoreBackend.all)
    func newerSchemaIsRefused(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, fixture in
            try await fixture.markNewerSchema(store, version: 9999)
            let error = await #expect(throws: StoreError.self) { try await store.migrate() }
            guard case .failed(let message) = error else {
                Issue.record("expected .failed, got \(String(describing: error))")
                return
            }
            #expect(message.contains("9999") && message.contains("newer"))
        }
    }

    @Test("transaction ids are unique and positive", arguments: StoreBackend.all)
    func transactionIdsAreUniqueAndPositive(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let ids = try await withThrowingTaskGroup(of: Int.self) { group in
                for n in 0..<60 {
                    group.addTask {
                        try await store.startTransaction(start("CP\(n % 6)", connector: n, tag: "T\(n)", at: n)).transactionId
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(ids.count == 60)
            #expect(Set(ids).count == 60)
            #expect(ids.allSatisfy { $0 > 0 })
        }
    }

    @Test("a repeated StartTransaction gets the same transaction id", arguments: StoreBackend.all)
    func repeatedStartReturnsSameTransaction(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let first = try await store.startTransaction(start(at: 10))
            #expect(!first.duplicate)
            let again = try await store.startTransaction(start(at: 10))
            #expect(again == StartOutcome(transactionId: first.transactionId, duplicate: true, closedStale: []))
            // Also once the session ended, a late resend must not open a second one.
            _ = try await store.stopTransaction(stop(transactionId: first.transactionId, at: 20))
            let late = try await store.startTransaction(start(at: 10))
            #expect(late.transactionId == first.transactionId && late.duplicate)
            // A different meterStart is a different start.
            let other = try await store.startTransaction(start(meter: 2000, at: 10))
            #expect(other.transactionId != first.transactionId && !other.duplicate)
            #expect(try await store.sessions(SessionFilter(), PageRequest()).total == 2)
        }
    }

    /// The StartTransaction handler judges the tag from what the start's own transaction reads: the card, the tag's
    /// active session elsewhere, and the session keeps the status the judgement gave.
    @Test("a start is judged from its tag's state in the same transaction, and keeps that status", arguments: StoreBackend.all)
    func startJudgesItsTagInItsTransaction(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            try await store.createCard(RfidCard(idTag: "CARD", status: .blocked, createdAt: time(0)))
            let seen = Recorded<TagState>()
            let (first, tag, info) = try await store.startTransaction(start("CP1", tag: "card", at: 10)) { state in
                seen.add(state)
                return IdTagInfo(status: state.card?.status == .blocked ? .blocked : .invalid)
            }
            #expect(tag.card?.idTag == "CARD" && tag.card?.status == .blocked && tag.active == nil)
            #expect(seen.values == [tag] && info.status == .blocked)
            #expect(try await store.session(first.transactionId)?.idTagStatus == "Blocked")

            // On another station the tag's session is active: the state says so, with its connector.
            let (second, elsewhere, _) = try await store.startTransaction(start("CP2", connector: 3, tag: "CARD", at: 20)) { state in
                IdTagInfo(status: state.active == nil ? .accepted : .concurrentTx)
            }
            #expect(elsewhere.active == ActiveCharge(transactionId: first.transactionId, cpId: "CP1", connectorId: 1))
            #expect(try await store.session(second.transactionId)?.idTagStatus == "ConcurrentTx")

            // A resend gets its transaction back, judged again.
            let (again, _, _) = try await store.startTransaction(start("CP2", connector: 3, tag: "CARD", at: 20)) { _ in
                IdTagInfo(status: .accepted)
            }
            #expect(again.duplicate && again.transactionId == second.transactionId)
            // An unknown tag has no card.
            let (_, unknown, _) = try await store.startTransaction(start("CP3", tag: "NOBODY", at: 30)) { _ in IdTagInfo(status: .invalid) }
            #expect(unknown == TagState(card: nil, active: nil))
        }
    }

    @Test("a new start on a connector closes its stale session", arguments: StoreBackend.all)
    func newStartClosesStaleSession(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let stale = try await store.startTransaction(start(tag: "OLD", at: 10))
            let elsewhere = try await store.startTransaction(start(connector: 2, tag: "OTHER", at: 11))
            let fresh = try await store.startTransaction(start(tag: "NEW", at: 100))
            #expect(fresh.closedStale == [stale.transactionId])

            let closed = try #require(try await store.session(stale.transactionId))
            #expect(!closed.active)
            #expect(closed.stopReason == "StaleSession")
            #expect(closed.stoppedAt == time(100))
            #expect(try await store.tagState("OLD").active == nil)
            #expect(try await store.tagState("NEW").active?.transactionId == fresh.transactionId)
            #expect(try await store.session(elsewhere.transactionId)?.active == true)

            // The stop the charger never delivered in time still records the real end.
            let late = try await store.stopTransaction(stop(transactionId: stale.transactionId, meter: 1500, at: 90))
            guard case .stopped(let session) = late else {
                Issue.record("expected .stopped, got \(late)")
                return
            }
            #expect(session.meterStop == 1500 && session.energyWh == 500 && session.stopReason == "Local")
            #expect(session.stoppedAt == time(90))
            #expect(try await store.session(fresh.transactionId)?.active == true)
        }
    }

    @Test("a replayed start older than the active session does not close it", arguments: StoreBackend.all)
    func olderStartKeepsNewerSessionActive(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let newer = try await store.startTransaction(start(tag: "NEW", at: 100))
            let older = try await store.startTransaction(start(tag: "OLD", at: 50))
            #expect(older.closedStale.isEmpty && older.transactionId != newer.transactionId)
            #expect(try await store.session(newer.transactionId)?.active == true)
            let replayed = try #require(try await store.session(older.transactionId))
            #expect(!replayed.active && replayed.stopReason == "StaleSession")
            #expect(try await store.tagState("OLD").active == nil)
        }
    }

    @Test("a stop for an unknown, 0 or -1 transaction is recorded", arguments: StoreBackend.all)
    func stopForUnknownTransactionIsRecorded(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            for id in [0, -1, 424_242] {
                let values = [energyValue(transactionId: id, connector: 0, value: "123", at: 5)]
                let outcome = try await store.stopTransaction(stop(transactionId: id, at: 10, values: values))
                #expect(outcome == .unknownTransaction)
                let stored = try await store.meterValues(transactionId: id, PageRequest())
                #expect(stored.total == 1 && stored.items.first?.value == "123")
            }
            // A known id stopped by another station is not that station's transaction.
            let mine = try await store.startTransaction(start("CP1", at: 1))
            #expect(try await store.stopTransaction(stop("CP2", transactionId: mine.transactionId, at: 5)) == .unknownTransaction)
            #expect(try await store.session(mine.transactionId)?.active == true)
        }
    }

    @Test("a second stop is acknowledged as already stopped", arguments: StoreBackend.all)
    func repeatedStopIsAlreadyStopped(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let started = try await store.startTransaction(start(meter: 1000, at: 0))
            let data = [energyValue(transactionId: started.transactionId, connector: 0, value: "4000", at: 50)]
            let first = try await store.stopTransaction(stop(transactionId: started.transactionId, meter: 5000, at: 60, values: data))
            guard case .stopped(let session) = first else {
                Issue.record("expected .stopped, got \(first)")
                return
            }
            #expect(session.energyWh == 4000 && session.meterStop == 5000 && !session.active)
            #expect(session.stoppedAt == time(60) && session.stopIdTag == "TAG1" && session.stopReason == "Local")
            let second = try await store.stopTransaction(stop(transactionId: started.transactionId, meter: 9999, at: 70))
            #expect(second == .alreadyStopped(session))
            // transactionData is stored like MeterValues, on the session's connector.
            let values = try await store.meterValues(transactionId: started.transactionId, PageRequest())
            #expect(values.items.map(\.connectorId) == [1])
        }
    }

    @Test("an active session's energy comes from its latest register value", arguments: StoreBackend.all)
    func activeSessionEnergy(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let started = try await store.startTransaction(start(meter: 1000, at: 0))
            #expect(try await store.session(started.transactionId)?.energyWh == nil)
            try await store.recordMeterValues([
                energyValue(transactionId: started.transactionId, value: "1.5", unit: "kWh", at: 10),
                energyValue(transactionId: started.transactionId, value: "2.25", unit: "kWh", at: 20),
            ])
            #expect(try await store.session(started.transactionId)?.energyWh == 1250)
            let page = try await store.meterValues(transactionId: started.transactionId, PageRequest(limit: 1, offset: 1))
            #expect(page.total == 2 && page.items.map(\.value) == ["2.25"])
        }
    }

    @Test("meter readings no Int can subtract give no energy instead of a crash", arguments: StoreBackend.all)
    func absurdMeterReadings(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let started = try await store.startTransaction(start(meter: Int.min, at: 0))
            try await store.recordMeterValues([energyValue(transactionId: started.transactionId, value: "1e300", at: 10)])
            #expect(try await store.session(started.transactionId)?.energyWh == nil)
            let outcome = try await store.stopTransaction(stop(transactionId: started.transactionId, meter: Int.max, at: 20))
            guard case .stopped(let session) = outcome else {
                Issue.record("expected .stopped, got \(outcome)")
                return
            }
            #expect(session.energyWh == nil && session.meterStop == Int.max)
            #expect(try await store.session(started.transactionId) == session)
        }
    }

    @Test("a message with more meter values than one INSERT takes stores them all, in order", arguments: StoreBackend.all)
    func manyMeterValuesInOneMessage(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            // Two of the largest INSERTs, one of the multiples of 16 and one of the remainders.
            let count = SQLiteStore.meterValueRowsPerInsert(of: .max) * 2 + 16 + 3
            try await store.recordMeterValues(
                (0..<count).map { energyValue(transactionId: 5, value: "\($0)", at: $0) })
            let stored = try await store.meterValues(transactionId: 5, PageRequest(limit: 1000))
            #expect(stored.items.map(\.value) == (0..<count).map { "\($0)" })
        }
    }

    @Test("a sampled value sent again is stored once; values that differ in anything but format are all kept", arguments: StoreBackend.all)
    func sampledValuesAreStoredOnce(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let value = energyValue(transactionId: 5, value: "100", at: 10)
            var otherValue = value
            otherValue.value = "200"
            var otherPhase = value
            otherPhase.phase = "L1"
            var otherMeasurand = value
            otherMeasurand.measurand = "Power.Active.Import"
            var otherUnit = value
            otherUnit.unit = "kWh"
            var noContext = value
            noContext.context = nil
            var otherTime = value
            otherTime.timestamp = time(10).addingTimeInterval(0.001)
            var otherConnector = value
            otherConnector.connectorId = 2
            var noTransaction = value
            noTransaction.transactionId = nil
            var otherStation = value
            otherStation.cpId = "CP2"
            var signed = value
            signed.format = "SignedData"
            let distinct = [value, otherValue, otherPhase, otherMeasurand, otherUnit, noContext, otherTime, otherConnector, otherStation]
            // Sent, then sent again (a lost answer), with a repeat inside the message and the same reading as SignedData.
            try await store.recordMeterValues(distinct + [value])
            try await store.recordMeterValues(distinct + [signed, noTransaction])
            try await store.recordMeterValues([noTransaction])
            let stored = try await store.meterValues(transactionId: 5, PageRequest(limit: 1000)).items
            #expect(stored.count == distinct.count)
            #expect(
                Set(
                    stored.map {
                        "\($0.cpId) \($0.connectorId) \($0.timestamp.timeIntervalSince1970) \($0.measurand) \($0.value) \($0.unit ?? "-") \($0.context ?? "-") \($0.phase ?? "-")"
                    }
                ).count == distinct.count)
            #expect(stored.first { $0 == value }?.format == "Raw", "the first copy stays")
        }
    }

    @Test("a StopTransaction sent again does not store its transactionData twice", arguments: StoreBackend.all)
    func resentStopKeepsItsDataOnce(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let started = try await store.startTransaction(start(meter: 1000, at: 0))
            let data = [
                energyValue(transactionId: started.transactionId, value: "3000", at: 30),
                energyValue(transactionId: started.transactionId, value: "4000", at: 50),
            ]
            let first = try await store.stopTransaction(stop(transactionId: started.transactionId, meter: 5000, at: 60, values: data))
            let again = try await store.stopTransaction(stop(transactionId: started.transactionId, meter: 5000, at: 60, values: data))
            guard case .stopped(let session) = first else {
                Issue.record("expected .stopped, got \(first)")
                return
            }
            #expect(again == .alreadyStopped(session))
            let values = try await store.meterValues(transactionId: started.transactionId, PageRequest())
            #expect(values.items.map(\.value) == ["3000", "4000"])
        }
    }

    @Test("meter values stored before the sample keys get theirs, copies removed, in resumable batches", arguments: StoreBackend.all)
    func storedMeterValuesAreKeyedOnce(_ backend: StoreBackend) async throws {
        let fixture = try await backend.makeFixture()
        do {
            try await keyStoredMeterValues(fixture)
        } catch {
            await fixture.remove()
            throw error
        }
        await fixture.remove()
    }

    private func keyStoredMeterValues(_ fixture: any StoreFixture) async throws {
        var store = try await fixture.open()
        try await store.migrate()
        #expect(try await store.keyStoredMeterValues(batchSize: 10, owner: "n1", leaseSeconds: 60).done, "a new database: nothing")
        let value = energyValue(transactionId: 7, value: "100", at: 10)
        var other = value
        other.value = "200"
        var elsewhere = value
        elsewhere.cpId = "CP2"
        // As an older ocppd stored them: no key, copies and all (ids 1...6).
        try await insertUnkeyed(store, [value, value, other, value, elsewhere, elsewhere])
        // A copy of `other` stored since (with its key): the older one goes.
        try await store.recordMeterValues([other])
        var steps: [MeterValueKeying] = []
        for _ in 0..<2 { steps.append(try await store.keyStoredMeterValues(batchSize: 2, owner: "n1", leaseSeconds: 60)) }
        #expect(steps.map(\.position) == [2, 4] && steps.allSatisfy { $0.end == 6 && !$0.done })
        // Resumed by another process on the same database.
        await store.close()
        store = try await fixture.open()
        try await store.migrate()
        // Another node waits while n1 holds the lease (nothing done); n1 goes on.
        let waiting = try await store.keyStoredMeterValues(batchSize: 2, owner: "n2", leaseSeconds: 60)
        #expect(waiting.busy && waiting.position == 4 && waiting.keyed + waiting.removed == 0)
        repeat {
            steps.append(try await store.keyStoredMeterValues(batchSize: 2, owner: "n1", leaseSeconds: 60))
        } while !steps[steps.count - 1].done
        #expect(steps.map(\.keyed).reduce(0, +) == 2 && steps.map(\.removed).reduce(0, +) == 4)
        let stored = try await store.meterValues(transactionId: 7, PageRequest(limit: 100)).items
        #expect(stored.map { "\($0.cpId) \($0.value)" }.sorted() == ["CP1 100", "CP1 200", "CP2 100"])
        // Keyed now: sent again, they are not stored again; and the job has nothing left.
        try await store.recordMeterValues([value, other, elsewhere])
        #expect(try await store.meterValues(transactionId: 7, PageRequest(limit: 100)).total == 3)
        let after = try await store.keyStoredMeterValues(batchSize: 2, owner: "n2", leaseSeconds: 60)
        #expect(after.done && after.keyed == 0 && after.removed == 0)
        await store.close()
    }

    /// The keys stored since schema 13 stay what they are: a value a charger sends again across an upgrade must get the
    /// key its first copy got. The expected key is SHA-256 of the documented encoding, made outside Swift (Python's
    /// hashlib: tags 0/1/2, integers in 8 bytes and lengths in 4, little-endian).
    @Test("a sampled value's key is SHA-256 of its fields as documented, cut to 16 bytes")
    func sampleKeyIsTheDocumentedHash() {
        #expect(energyValue(transactionId: 7, value: "100", at: 10).sampleKey == "1835658550321f5e680c51d54dc180b1")
        var withoutTransaction = energyValue(transactionId: nil, value: "100", at: 10)
        withoutTransaction.phase = "L1"
        #expect(withoutTransaction.sampleKey == "87d40812368cf5636ab80a258bbcaa71")
    }

    @Test("a database that took migration 13 in its first form gets the time-led unique index", arguments: StoreBackend.all)
    func stationLedSampleIndexIsReplaced(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let timeLed = ["timestamp", "cp_id", "sample_key"]
            #expect(try await meterValueIndexes(store)["meter_values_by_time_sample"] == timeLed)
            let value = energyValue(transactionId: 7, value: "100", at: 10)
            try await store.recordMeterValues([value])
            try await takeFirstFormOfMigration13(store)
            #expect(try await meterValueIndexes(store)["meter_values_by_sample"] == ["cp_id", "connector_id", "timestamp", "sample_key"])
            try await store.migrate()
            #expect(
                try await meterValueIndexes(store) == [
                    "meter_values_by_time_sample": timeLed, "meter_values_by_transaction": ["transaction_id", "timestamp"],
                ])
            // Still stored once, by the new index.
            try await store.recordMeterValues([value, value])
            #expect(try await store.meterValues(transactionId: 7, PageRequest(limit: 10)).total == 1)
        }
    }

    @Test("an older StatusNotification never overwrites a newer one", arguments: StoreBackend.all)
    func olderStatusKeepsNewer(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.putStation("CP1", StationUpdate())
            #expect(
                try await store.recordStatus(
                    "CP1", Connector(connectorId: 1, status: "Charging", errorCode: "NoError", updatedAt: time(20))
                ).current)
            #expect(
                try await !store.recordStatus(
                    "CP1", Connector(connectorId: 1, status: "Preparing", errorCode: "NoError", updatedAt: time(10))
                ).current)
            #expect(
                try await store.recordStatus(
                    "CP1", Connector(connectorId: 0, status: "Available", errorCode: "NoError", updatedAt: time(5))
                ).current)
            let connectors = try #require(try await store.station("CP1")).connectors
            #expect(connectors.map(\.connectorId) == [0, 1])
            #expect(connectors[1].status == "Charging" && connectors[1].updatedAt == time(20))

            let history = try await store.statusHistory("CP1", connectorId: 1, PageRequest())
            #expect(history.total == 2 && history.items.map(\.status) == ["Charging", "Preparing"])
            #expect(try await store.statusHistory("CP1", connectorId: nil, PageRequest(limit: 1)).total == 3)
            // Same timestamp: the later report wins.
            #expect(
                try await store.recordStatus(
                    "CP1", Connector(connectorId: 1, status: "Finishing", errorCode: "NoError", updatedAt: time(20))
                ).current)
            #expect(try await store.station("CP1")?.connectors[1].status == "Finishing")
        }
    }

    @Test("sessions are filtered and paged newest first, ties by transaction id", arguments: StoreBackend.all)
    func sessionsFilterPagingAndOrder(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            var ids: [Int] = []
            // Several sessions share a start time so the tie-break decides their order.
            for n in 0..<10 {
                let cp = n % 2 == 0 ? "CP-A" : "CP-B"
                ids.append(
                    try await store.startTransaction(start(cp, connector: n, tag: n < 5 ? "tag-x" : "TAG-Y", at: n / 3)).transactionId)
            }
            _ = try await store.stopTransaction(stop("CP-A", transactionId: ids[0], at: 100))

            let all = try await store.sessions(SessionFilter(), PageRequest())
            #expect(all.total == 10)
            let expected = zip(ids, (0..<10).map { $0 / 3 }).sorted { ($0.1, $0.0) > ($1.1, $1.0) }.map(\.0)
            #expect(all.items.map(\.transactionId) == expected)

            var paged: [Int] = []
            for offset in stride(from: 0, to: 10, by: 3) {
                let page = try await store.sessions(SessionFilter(), PageRequest(limit: 3, offset: offset))
                #expect(page.total == 10)
                paged += page.items.map(\.transactionId)
            }
            #expect(paged == expected)

            #expect(try await store.sessions(SessionFilter(cpId: "CP-A"), PageRequest()).items.allSatisfy { $0.cpId == "CP-A" })
            #expect(try await store.sessions(SessionFilter(cpId: "CP-A"), PageRequest(limit: 1)).total == 5)
            #expect(try await store.sessions(SessionFilter(idTag: "TAG-X"), PageRequest()).total == 5)
            #expect(try await store.sessions(SessionFilter(active: false), PageRequest()).items.map(\.transactionId) == [ids[0]])
            #expect(try await store.sessions(SessionFilter(active: true), PageRequest()).total == 9)
            let window = try await store.sessions(SessionFilter(since: time(1), until: time(3)), PageRequest())
            #expect(window.total == 6 && window.items.allSatisfy { $0.startedAt >= time(1) && $0.startedAt < time(3) })
            #expect(try await store.sessions(SessionFilter(cpId: "CP-B", idTag: "tag-y", active: true), PageRequest()).total == 3)
        }
    }

    @Test("RFID cards: create, case-insensitive lookup, conflict, block, activate, delete", arguments: StoreBackend.all)
    func cardsLifecycle(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let card = RfidCard(
                idTag: "AbC123", status: .accepted, expiryDate: time(1000), parentIdTag: "PARENT", description: "van", createdAt: time(0))
            try await store.createCard(card)
            #expect(try await store.card("abc123") == card)
            await #expect(throws: StoreError.self) {
                try await store.createCard(RfidCard(idTag: "ABC123", status: .blocked, createdAt: time(1)))
            }
            try await store.createCard(RfidCard(idTag: "zzz", status: .accepted, createdAt: time(2)))
            #expect(try await store.cards(PageRequest()).items.map(\.idTag) == ["AbC123", "zzz"])
            #expect(try await store.cards(PageRequest(limit: 1, offset: 1)).total == 2)

            #expect(try await store.setCardStatus("ABC123", .blocked)?.status == .blocked)
            #expect(try await store.card("AbC123")?.status == .blocked)
            #expect(try await store.setCardStatus("abc123", .accepted)?.status == .accepted)
            #expect(try await store.setCardStatus("nope", .blocked) == nil)

            #expect(try await store.deleteCard("ABC123")?.idTag == "AbC123")  // as it was stored
            #expect(try await store.deleteCard("ABC123") == nil)
            #expect(try await store.card("AbC123") == nil)
        }
    }

    @Test("a tag's card and active session are found whatever its case", arguments: StoreBackend.all)
    func activeSessionIgnoresCase(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            #expect(try await store.tagState("TAG-MIXED").card == nil)
            try await store.createCard(RfidCard(idTag: "Tag-Mixed", status: .accepted, createdAt: Date()))
            #expect(try await store.tagState("TAG-MIXED").card?.idTag == "Tag-Mixed")
            let started = try await store.startTransaction(start(tag: "Tag-Mixed", at: 0))
            #expect(try await store.tagState("TAG-MIXED").active?.transactionId == started.transactionId)
            // Active on two connectors (a late replay): the newest start is the tag's charge, whatever the order stored.
            let later = try await store.startTransaction(start(connector: 2, tag: "tag-mixed", at: 5))
            let earlier = try await store.startTransaction(start(connector: 3, tag: "TAG-mixed", at: -5))
            let state = try await store.tagState("tag-MIXED")
            #expect(state.active?.transactionId == later.transactionId && state.card?.idTag == "Tag-Mixed")
            for id in [started.transactionId, later.transactionId, earlier.transactionId] {
                _ = try await store.stopTransaction(stop(transactionId: id, at: 10))
            }
            #expect(try await store.tagState("tag-mixed").active == nil)
        }
    }

    @Test("a station registered as it connects is created once, and its boot keeps what an operator set", arguments: StoreBackend.all)
    func registeringAConnectingStation(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            #expect(try await store.registerStation("CP-NEW", status: .pending, at: time(1)))
            #expect(try await !store.registerStation("CP-NEW", status: .accepted, at: time(2)))
            let registered = try #require(try await store.station("CP-NEW"))
            #expect(registered.registrationStatus == .pending && registered.vendor == nil && registered.lastBootAt == nil)
            // A station an operator set up is left as it is.
            _ = try await store.putStation("CP-KNOWN", StationUpdate(registrationStatus: .rejected, securityProfile: 1))
            #expect(try await !store.registerStation("CP-KNOWN", status: .accepted, at: time(3)))
            #expect(try await store.stationAccess("CP-KNOWN") == StationAccess(securityProfile: 1, keyHash: nil))
            #expect(try await store.station("CP-KNOWN")?.registrationStatus == .rejected)
            // The boot answers with the registered status and fills in the rest.
            let info = BootInfo(vendor: "ACME", model: "Volt")
            #expect(try await store.recordBoot("CP-NEW", info, newStationStatus: .accepted, at: time(4)) == .pending)
            #expect(try await store.station("CP-NEW")?.vendor == "ACME")
        }
    }

    @Test("an accepted ChangeConfiguration SecurityProfile is pending until the station comes back on it", arguments: StoreBackend.all)
    func pendingSecurityProfile(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.putStation("CP-P", StationUpdate(securityProfile: 1))
            // Not a higher profile, not a profile, another key: nothing pending.
            for (key, value) in [
                ("SecurityProfile", "1"), ("SecurityProfile", "0"), ("SecurityProfile", "two"), ("SecurityProfile", "4"),
                ("HeartbeatInterval", "3"),
            ] {
                try await store.changeConfiguration("CP-P", key: key, value: value, at: time(1))
                #expect(try await store.stationAccess("CP-P")?.pendingSecurityProfile == nil, "\(key)=\(value)")
            }
            try await store.changeConfiguration("CP-P", key: "securityprofile", value: "2", at: time(2))
            #expect(try await store.stationAccess("CP-P") == StationAccess(securityProfile: 1, keyHash: nil, pendingSecurityProfile: 2))
            #expect(try await !store.raiseSecurityProfile("CP-P", to: 3), "only the pending profile")
            #expect(try await store.raiseSecurityProfile("CP-P", to: 2))
            #expect(try await store.stationAccess("CP-P") == StationAccess(securityProfile: 2, keyHash: nil))
            #expect(try await !store.raiseSecurityProfile("CP-P", to: 2), "once")
            // A profile no higher than the required one ends a pending migration, and so does an operator's.
            try await store.changeConfiguration("CP-P", key: "SecurityProfile", value: "3", at: time(3))
            #expect(try await store.stationAccess("CP-P")?.pendingSecurityProfile == 3)
            try await store.changeConfiguration("CP-P", key: "SecurityProfile", value: "2", at: time(3))
            #expect(try await store.stationAccess("CP-P")?.pendingSecurityProfile == nil)
            try await store.changeConfiguration("CP-P", key: "SecurityProfile", value: "3", at: time(3))
            #expect(try await store.stationAccess("CP-P")?.pendingSecurityProfile == 3)
            _ = try await store.putStation("CP-P", StationUpdate(securityProfile: 2))
            #expect(try await store.stationAccess("CP-P") == StationAccess(securityProfile: 2, keyHash: nil))
        }
    }

    @Test("stations: put, boot, heartbeat, list, delete", arguments: StoreBackend.all)
    func stationsLifecycle(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let (created, isNew) = try await store.putStation("CP-B", StationUpdate(authorizationKeyHash: "salt$hash", description: "yard"))
            #expect(isNew && created.registrationStatus == .accepted && created.hasAuthorizationKey && created.description == "yard")
            #expect(try await store.stationAccess("CP-B") == StationAccess(securityProfile: 0, keyHash: "salt$hash"))
            #expect(try await store.stationAccess("CP-NONE") == nil)

            let (pending, _) = try await store.putStation("CP-A", StationUpdate(registrationStatus: .pending, securityProfile: 1))
            #expect(pending.registrationStatus == .pending && pending.securityProfile == 1)
            let (accepted, again) = try await store.putStation(
                "CP-A", StationUpdate(registrationStatus: .accepted, description: .some(nil)))
            #expect(!again && accepted.registrationStatus == .accepted && accepted.securityProfile == 1)
            let (keyless, _) = try await store.putStation("CP-B", StationUpdate(authorizationKeyHash: .some(nil)))
            #expect(!keyless.hasAuthorizationKey && keyless.description == "yard")
            #expect(try await store.stationAccess("CP-A") == StationAccess(securityProfile: 1, keyHash: nil))

            let info = BootInfo(vendor: "ACME", model: "Volt", serialNumber: "S1", firmwareVersion: "1.2")
            #expect(try await store.recordBoot("CP-C", info, newStationStatus: .pending, at: time(5)) == .pending)
            try await store.recordHeartbeats([("CP-C", time(6)), ("CP-A", time(4))])
            try await store.recordFirmwareStatus("CP-C", status: "Installed", requestId: nil, at: time(7))
            try await store.recordDiagnosticsStatus("CP-C", status: "Uploaded", at: time(8))
            try await store.recordDataTransfer("CP-C", vendorId: "acme", messageId: "m", data: "{}", at: time(9))
            _ = try await store.recordStatus(
                "CP-C", Connector(connectorId: 1, status: "Available", errorCode: "NoError", updatedAt: time(5)))
            let booted = try #require(try await store.station("CP-C"))
            #expect(booted.vendor == "ACME" && booted.model == "Volt" && booted.serialNumber == "S1" && booted.firmwareVersion == "1.2")
            #expect(booted.registrationStatus == .pending && booted.lastBootAt == time(5) && booted.lastHeartbeatAt == time(6))
            #expect(booted.firmwareStatus == "Installed" && booted.diagnosticsStatus == "Uploaded" && booted.connectors.count == 1)
            #expect(try await store.station("CP-A")?.lastHeartbeatAt == time(4))
            // A known station keeps its registration status.
            let status = try await store.recordBoot(
                "CP-C", BootInfo(vendor: "ACME", model: "Volt 2"), newStationStatus: .accepted, at: time(10))
            #expect(status == .pending)
            #expect(try await store.station("CP-C")?.model == "Volt 2")

            let page = try await store.stations(PageRequest(limit: 2, offset: 1))
            #expect(page.total == 3 && page.items.map(\.id) == ["CP-B", "CP-C"])
            #expect(page.items.last?.connectors.map(\.status) == ["Available"] && page.items.first?.connectors == [])

            #expect(try await store.deleteStation("CP-C")?.id == "CP-C")
            #expect(try await store.deleteStation("CP-C") == nil)
            #expect(try await store.station("CP-C") == nil)
            // A heartbeat of a removed station does not bring it back.
            try await store.recordHeartbeats([("CP-C", time(11))])
            #expect(try await store.station("CP-C") == nil)
        }
    }

    @Test(
        "security: events newest first, certificate requests decided once, certificates bound to one station", arguments: StoreBackend.all)
    func securityRecords(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.putStation("CP1", StationUpdate())
            for (type, at) in [("StartupOfTheDevice", 20), ("TamperDetectionActivated", 30), ("InvalidMessages", 10)] {
                try await store.recordSecurityEvent(
                    SecurityEvent(cpId: "CP1", type: type, timestamp: time(at), techInfo: at == 30 ? "lid" : nil, receivedAt: time(40)))
            }
            try await store.recordSecurityEvent(
                SecurityEvent(cpId: "CP2", type: "ResetOrReboot", timestamp: time(50), techInfo: nil, receivedAt: time(50)))
            let page = try await store.securityEvents(cpId: "CP1", PageRequest(limit: 2))
            #expect(page.total == 3 && page.items.map(\.type) == ["TamperDetectionActivated", "StartupOfTheDevice"])
            #expect(page.items[0].techInfo == "lid" && page.items[0].timestamp == time(30))
            #expect(try await store.securityEvents(cpId: nil, PageRequest()).total == 4)

            let pending = try await store.createCertificateRequest(cpId: "CP1", csr: "PEM", status: .pending, reason: nil, at: time(1))
            let rejected = try await store.createCertificateRequest(cpId: "CP1", csr: "X", status: .rejected, reason: "bad", at: time(2))
            #expect(pending.status == .pending && pending.decidedAt == nil && rejected.decidedAt == time(2))
            // Noted again while still pending (twice the same: MariaDB counts such a row unchanged), then decided once.
            for _ in 0..<2 {
                #expect(try await store.decideCertificateRequest(pending.id, .pending, reason: "offline", at: time(3))?.reason == "offline")
            }
            #expect(try await store.decideCertificateRequest(pending.id, .signed, reason: nil, at: time(4))?.status == .signed)
            await #expect(throws: StoreError.self) {
                try await store.decideCertificateRequest(pending.id, .rejected, reason: nil, at: time(5))
            }
            #expect(try await store.decideCertificateRequest(9999, .rejected, reason: nil, at: time(5)) == nil)
            #expect(try await store.certificateRequests(cpId: "CP1", status: .rejected, PageRequest()).items.map(\.id) == [rejected.id])
            #expect(
                try await store.certificateRequests(cpId: nil, status: nil, PageRequest()).items.map(\.id) == [rejected.id, pending.id])

            let certificate = BoundCertificate(
                cpId: "CP1", fingerprint: "ab12", serialNumber: "1F", notAfter: time(1000), issuedAt: time(6))
            try await store.bindCertificate(certificate)
            try await store.bindCertificate(certificate)  // the same CertificateSigned again
            await #expect(throws: StoreError.self) {
                try await store.bindCertificate(
                    BoundCertificate(cpId: "CP2", fingerprint: "ab12", serialNumber: "1F", notAfter: time(1000), issuedAt: time(7)))
            }
            #expect(try await store.certificateHolder(fingerprint: "ab12") == "CP1")
            #expect(try await store.certificateHolder(fingerprint: "cd34") == nil)
            #expect(try await store.stationDetail("CP1")?.certificate == StationCertificate(serialNumber: "1F", notAfter: time(1000)))

            try await store.recordLogStatus("CP1", status: "Uploading", requestId: 7, at: time(8))
            try await store.recordFirmwareStatus("CP1", status: "SignatureVerified", requestId: 9, at: time(9))
            let station = try #require(try await store.station("CP1"))
            #expect(station.logStatus == "Uploading" && station.logRequestId == 7)
            #expect(station.firmwareStatus == "SignatureVerified" && station.firmwareRequestId == 9)
            let first = try await store.allocateRequestId("CP1", action: "GetLog")
            let second = try await store.allocateRequestId("CP2", action: "SignedUpdateFirmware")
            #expect(first > 0 && second > first)
        }
    }

    @Test(
        "accounts: named tokens by digest, the audit log filtered and pruned, webhooks leased with their progress",
        arguments: StoreBackend.all)
    func accountsAuditAndWebhooks(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let accounts = try #require(store as? any AccountStore)
            let token = StoredToken(
                name: "ops", role: .technician, hash: String(repeating: "a", count: 64), createdAt: time(0), expiresAt: time(99))
            #expect(try await accounts.createToken(token))
            var twin = token
            twin.hash = String(repeating: "b", count: 64)
            #expect(try await !accounts.createToken(twin), "a name is taken once")
            #expect(try await accounts.token(hash: token.hash) == token)
            #expect(try await accounts.token(hash: twin.hash) == nil)
            #expect(try await accounts.tokens().map(\.name) == ["ops"])
            #expect(try await accounts.deleteToken("ops") == token)
            #expect(try await accounts.deleteToken("ops") == nil)
            #expect(try await accounts.token(hash: token.hash) == nil)

            func entry(_ at: Int, _ token: String, _ cpId: String?) -> AuditEntry {
                AuditEntry(
                    id: 0, at: time(at), token: token, method: "POST", path: "/api/x", cpId: cpId, command: nil, body: "{}", status: 200,
                    result: nil)
            }
            let first = try await accounts.addAudit(entry(10, "a", "CP1"))
            let second = try await accounts.addAudit(entry(20, "b", nil))
            _ = try await accounts.addAudit(entry(30, "a", "CP2"))
            #expect(second > first)
            let all = try await accounts.audit(AuditFilter(), PageRequest())
            #expect(all.total == 3 && all.items.map(\.at) == [time(30), time(20), time(10)])
            #expect(
                all.items.last
                    == {
                        var e = entry(10, "a", "CP1"); e.id = first; return e
                    }())
            #expect(try await accounts.audit(AuditFilter(token: "a"), PageRequest()).items.map(\.cpId) == ["CP2", "CP1"])
            #expect(try await accounts.audit(AuditFilter(cpId: "CP1"), PageRequest()).total == 1)
            #expect(try await accounts.audit(AuditFilter(since: time(15), until: time(25)), PageRequest()).items.map(\.token) == ["b"])
            #expect(try await accounts.audit(AuditFilter(), PageRequest(limit: 1, offset: 1)).items.map(\.at) == [time(20)])
            #expect(try await accounts.pruneAudit(before: time(20)) == 1)
            #expect(try await accounts.audit(AuditFilter(), PageRequest()).total == 2)

            let hooks = try #require(store as? any WebhookStore)
            let hook = StoredWebhook(
                id: 0, url: "https://example.com/h", events: ["transaction.started"], cpIds: ["CP1"], secret: "s", createdAt: time(0),
                enabled: true, failingSince: nil, cursor: EventCursor(positions: ["n1": 5, "n2": 7]))
            let id = try await hooks.createWebhook(hook)
            var stored = try #require(try await hooks.webhook(id))
            #expect(stored.url == hook.url && stored.events == hook.events && stored.cpIds == ["CP1"] && stored.cursor == hook.cursor)
            // One node at a time; progress only from the node that holds the lease.
            #expect(try await hooks.leaseWebhook(id, node: "n1", until: time(100), now: time(50)))
            #expect(try await !hooks.leaseWebhook(id, node: "n2", until: time(110), now: time(60)))
            #expect(try await !hooks.saveWebhookProgress(id, node: "n2", cursor: EventCursor(), failingSince: nil, enabled: true))
            #expect(
                try await hooks.saveWebhookProgress(
                    id, node: "n1", cursor: EventCursor(positions: ["n1": 9, "n2": 7]), failingSince: time(70), enabled: false))
            stored = try #require(try await hooks.webhook(id))
            #expect(stored.cursor.positions == ["n1": 9, "n2": 7] && stored.failingSince == time(70) && !stored.enabled)
            #expect(try await hooks.leaseWebhook(id, node: "n2", until: time(300), now: time(200)), "an expired lease is taken over")
            func attempt(_ n: Int) -> WebhookDelivery {
                WebhookDelivery(id: 0, eventId: "e\(n)", eventType: "t", attempt: n, at: time(n), status: 500, error: "x", durationMs: 3)
            }
            for n in 1...5 { try await hooks.addWebhookDeliveries(id, [attempt(n)], keep: 3) }
            var deliveries = try await hooks.webhookDeliveries(id, PageRequest())
            #expect(deliveries.items.map(\.eventId) == ["e5", "e4", "e3"] && deliveries.total == 3)
            // Several in one write keep their order, and the newest `keep` of all.
            try await hooks.addWebhookDeliveries(id, [attempt(6), attempt(7)], keep: 3)
            try await hooks.addWebhookDeliveries(id, (8...12).map(attempt), keep: 3)
            deliveries = try await hooks.webhookDeliveries(id, PageRequest())
            #expect(deliveries.items.map(\.eventId) == ["e12", "e11", "e10"] && deliveries.total == 3)
            #expect(try await hooks.deleteWebhook(id)?.url == hook.url)
            #expect(try await hooks.webhook(id) == nil)
            #expect(try await hooks.webhookDeliveries(id, PageRequest()).total == 0)
        }
    }

    @Test("sites: settings, stations joining and leaving, sessions, accepted limits and one lease at a time", arguments: StoreBackend.all)
    func sitesLimitsAndLeases(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let sites = try #require(store as? any SiteStore)
            var site = SiteSettings(siteId: "S", limit: 32, unit: .amperes, description: "yard")
            #expect(try await sites.putSite(site, at: time(0)))
            site.limit = 40
            site.minPerConnector = 8
            #expect(try await !sites.putSite(site, at: time(1)))
            #expect(try await sites.site("S") == site)
            #expect(try await sites.sites().map(\.siteId) == ["S"])

            _ = try await store.putStation("CP1", StationUpdate(siteId: .some("S")))
            _ = try await store.putStation("CP2", StationUpdate(siteId: .some("S")))
            _ = try await store.putStation("CP3", StationUpdate())
            _ = try await store.recordStatus("CP1", Connector(connectorId: 1, status: "Charging", errorCode: "NoError", updatedAt: time(5)))
            _ = try await store.recordStatus(
                "CP1", Connector(connectorId: 2, status: "SuspendedEV", errorCode: "NoError", updatedAt: time(5)))
            #expect(try await store.station("CP1")?.siteId == "S")
            #expect(try await sites.siteStations("S").map { "\($0.cpId):\($0.connectors)" } == ["CP1:2", "CP2:1"])
            #expect(try await sites.stationSites() == ["CP1": "S", "CP2": "S"])
            // A station whose fallback is to be cleared at its next connection: taken once.
            #expect(try await sites.stationsWithClearDue().isEmpty)
            try await sites.setClearDue("CP3", since: time(6))
            #expect(try await sites.stationsWithClearDue() == ["CP3"])
            #expect(try await sites.takeClearDue("CP3"))
            #expect(try await !sites.takeClearDue("CP3"))
            try await sites.setClearDue("CP3", since: time(7))
            try await sites.setClearDue("CP3", since: nil)
            #expect(try await sites.stationsWithClearDue().isEmpty)

            let first = try await store.startTransaction(start("CP1", connector: 1, at: 10)).transactionId
            let second = try await store.startTransaction(start("CP1", connector: 2, tag: "TAG2", at: 20)).transactionId
            let ended = try await store.startTransaction(start("CP2", connector: 1, tag: "TAG3", at: 30)).transactionId
            _ = try await store.stopTransaction(stop("CP2", transactionId: ended, at: 40))
            let sessions = try await sites.activeSessions(cpIds: ["CP1", "CP2"])
            #expect(sessions.map(\.transactionId) == [first, second])
            #expect(sessions.map(\.connectorStatus) == ["Charging", "SuspendedEV"])

            let key = ConnectorKey(cpId: "CP1", connectorId: 1)
            try await sites.setSiteLimit(
                SiteLimitRow(key: key, transactionId: first, siteId: "S", limit: 16, measured: nil, acceptedAt: time(50)))
            try await sites.setSiteLimit(
                SiteLimitRow(key: key, transactionId: first, siteId: "S", limit: 10.6, measured: 9.5, acceptedAt: time(51)))
            let other = ConnectorKey(cpId: "CP2", connectorId: 1)
            try await sites.setSiteLimit(
                SiteLimitRow(key: other, transactionId: ended, siteId: "S", limit: 6, measured: nil, acceptedAt: time(52)))
            try await sites.setSiteMeasured(key, 7.25)
            #expect(
                try await sites.siteLimits("S").map { "\($0.key):\($0.limit):\($0.measured ?? -1)" } == [
                    "CP1/1:10.6:7.25", "CP2/1:6.0:-1.0",
                ])
            try await sites.removeSiteLimits("S", keeping: [key])
            #expect(try await sites.siteLimits("S").map(\.key) == [key])

            // One node at a time: another node gets the lease only once it expired.
            #expect(try await sites.siteLeaseHolder("S", now: time(60)) == nil)
            #expect(try await sites.leaseSite("S", node: "n1", until: time(100), now: time(60)))
            #expect(try await sites.siteLeaseHolder("S", now: time(99)) == "n1")
            #expect(try await sites.siteLeaseHolder("S", now: time(101)) == nil)
            #expect(try await !sites.leaseSite("S", node: "n2", until: time(120), now: time(70)))
            #expect(try await sites.leaseSite("S", node: "n1", until: time(130), now: time(80)))
            #expect(try await sites.leaseSite("S", node: "n2", until: time(200), now: time(140)))
            #expect(try await !sites.leaseSite("S", node: "n1", until: time(210), now: time(150)))
            // Renewing all of a node's leases takes those whose node is gone.
            #expect(try await sites.renewSiteLeases(node: "n1", until: time(260), now: time(150)).isEmpty)
            #expect(try await sites.renewSiteLeases(node: "n2", until: time(220), now: time(150)) == ["S"])
            #expect(try await sites.renewSiteLeases(node: "n1", until: time(300), now: time(230)) == ["S"])
            #expect(try await sites.siteLeaseHolder("S", now: time(240)) == "n1")

            // Removing the site: its stations leave it, its limits and lease go.
            #expect(try await sites.deleteSite("S")?.limit == 40)
            #expect(try await sites.deleteSite("S") == nil)
            #expect(try await store.station("CP1")?.siteId == nil)
            #expect(try await sites.siteLimits("S").isEmpty)
            #expect(try await sites.leaseSite("S", node: "n2", until: time(400), now: time(160)))
        }
    }

    @Test(
        "files: an upload token is taken once, given back on failure, and expires; kept files are listed and removed",
        arguments: StoreBackend.all)
    func filesAndUploadTokens(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let files = try #require(store as? any FileStore)
            let grant = UploadGrant(cpId: "CP1", kind: .log, requestId: 7)
            try await files.createUploadToken(hash: "h1", grant, at: time(0), expiresAt: time(100))
            try await files.createUploadToken(hash: "h2", grant, at: time(0), expiresAt: time(10))
            #expect(try await files.claimUploadToken(hash: "h1", at: time(1)) == grant)
            #expect(try await files.claimUploadToken(hash: "h1", at: time(2)) == nil)  // taken
            try await files.releaseUploadToken(hash: "h1")  // the upload failed
            #expect(try await files.claimUploadToken(hash: "h1", at: time(3)) == grant)
            #expect(try await files.claimUploadToken(hash: "h2", at: time(10)) == nil)  // expired
            #expect(try await files.claimUploadToken(hash: "nope", at: time(1)) == nil)

            let first = StoredFile(
                id: "f1", kind: .log, cpId: "CP1", requestId: 7, name: "a.log", size: 5, sha256: "ab", createdAt: time(20))
            let second = StoredFile(id: "f2", kind: .diagnostics, cpId: "CP2", name: "b.zip", size: 9, sha256: "cd", createdAt: time(30))
            try await files.addFile(first, node: "n1")
            try await files.addFile(second, node: "n2")
            #expect(try await files.files(cpId: nil, kind: nil, PageRequest()).items == [second, first])
            #expect(try await files.files(cpId: "CP1", kind: .log, PageRequest()).items == [first])
            #expect(try await files.files(cpId: nil, kind: .firmware, PageRequest()).total == 0)
            #expect(try await files.file("f2")?.node == "n2")
            #expect(try await files.fileNodes() == ["f1": "n1", "f2": "n2"])
            try await files.moveFiles(["f2"], to: "n1")
            #expect(try await files.file("f2")?.node == "n1")
            #expect(try await files.deleteFile("f1") == first)
            #expect(try await files.deleteFile("f1") == nil)
            #expect(try await files.file("f1") == nil)
        }
    }

    @Test("reservations: allocated ids, conflicts, status, used by a start", arguments: StoreBackend.all)
    func reservationsLifecycle(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let later = time(100 * 365 * 86400)
            let chosen = try await store.createReservation(
                ReservationRequest(reservationId: 500, cpId: "CP1", connectorId: 1, idTag: "TAG1", expiryDate: later))
            #expect(chosen.reservationId == 500 && chosen.status == "Requested")
            let allocated = try await store.createReservation(
                ReservationRequest(cpId: "CP1", connectorId: 2, idTag: "TAG2", expiryDate: later))
            #expect(allocated.reservationId > 0 && allocated.reservationId != 500)
            await #expect(throws: StoreError.self) {
                try await store.createReservation(
                    ReservationRequest(reservationId: 500, cpId: "CP1", connectorId: 1, idTag: "X", expiryDate: later))
            }
            #expect(try await store.setReservationStatus(500, "Accepted")?.status == "Accepted")
            #expect(try await store.setReservationStatus(9, "Accepted") == nil)
            _ = try await store.startTransaction(start(connector: 1, at: 10, reservation: 500))
            #expect(try await store.reservation(500)?.status == "Used")
            #expect(try await store.reservations(PageRequest()).total == 2)
        }
    }

    @Test("a reservation past its expiry date reads as Expired unless it was used or cancelled", arguments: StoreBackend.all)
    func reservationsExpire(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            let past = Date().addingTimeInterval(-60)
            for id in [1, 2, 3, 4] {
                _ = try await store.createReservation(
                    ReservationRequest(reservationId: id, cpId: "CP1", connectorId: id, idTag: "TAG\(id)", expiryDate: past))
            }
            _ = try await store.setReservationStatus(2, "Accepted")
            _ = try await store.setReservationStatus(3, "Cancelled")
            _ = try await store.startTransaction(start(connector: 4, at: 10, reservation: 4))
            let statuses = try await store.reservations(PageRequest()).items.sorted { $0.reservationId < $1.reservationId }.map(\.status)
            #expect(statuses == ["Expired", "Expired", "Cancelled", "Used"])
            #expect(try await store.reservation(1)?.status == "Expired")
        }
    }

    @Test("the command log keeps request, answer or error, newest first, by station", arguments: StoreBackend.all)
    func commandLog(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.putStation("CP1", StationUpdate())
            let firmware = CommandRecord(
                cpId: "CP1", action: "UpdateFirmware", request: ["location": "http://x/fw.bin", "retrieveDate": "2030-01-01T00:00:00Z"],
                response: [:], at: time(1))
            try await store.recordCommand(firmware)
            try await store.recordCommand(
                CommandRecord(cpId: "CP2", action: "Reset", request: ["type": "Soft"], response: nil, error: "timeout", at: time(2)))
            let diagnostics = CommandRecord(
                cpId: "CP1", action: "GetDiagnostics", request: ["location": "ftp://x/"], response: ["fileName": "d.zip"], at: time(3))
            try await store.recordCommand(diagnostics)
            let all = try await store.commands(cpId: nil, PageRequest())
            #expect(all.total == 3 && all.items.map(\.action) == ["GetDiagnostics", "Reset", "UpdateFirmware"])
            #expect(all.items[1].response == nil && all.items[1].error == "timeout")
            let mine = try await store.commands(cpId: "CP1", PageRequest(limit: 1))
            #expect(mine.total == 2 && mine.items == [diagnostics])
            let station = try #require(try await store.stationDetail("CP1"))
            #expect(station.lastFirmwareUpdate == firmware && station.lastDiagnosticsRequest == diagnostics)
        }
    }

    @Test("configuration: a full read replaces, a partial one merges, a change keeps readonly", arguments: StoreBackend.all)
    func configuration(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.putStation("CP1", StationUpdate())
            #expect(try await store.stationDetail("CP1")?.configuration == [])
            try await store.recordConfiguration(
                "CP1",
                [
                    ConfigurationEntry(key: "HeartbeatInterval", value: "60", readonly: false),
                    ConfigurationEntry(key: "NumberOfConnectors", value: "2", readonly: true),
                    ConfigurationEntry(key: "Old", value: nil, readonly: false),
                ], unknownKeys: [], complete: true, at: time(1))
            try await store.recordConfiguration(
                "CP1", [ConfigurationEntry(key: "Extra", value: "x", readonly: false)], unknownKeys: [], complete: true, at: time(2))
            #expect(try await store.stationDetail("CP1")?.configuration?.map(\.key) == ["Extra"])

            try await store.recordConfiguration(
                "CP1",
                [
                    ConfigurationEntry(key: "HeartbeatInterval", value: "60", readonly: false),
                    ConfigurationEntry(key: "NumberOfConnectors", value: "2", readonly: true),
                ], unknownKeys: ["NoSuchKey"], complete: false, at: time(3))
            try await store.changeConfiguration("CP1", key: "heartbeatinterval", value: "30", at: time(4))
            try await store.changeConfiguration("CP1", key: "NumberOfConnectors", value: "3", at: time(4))
            try await store.changeConfiguration("CP1", key: "NewKey", value: "on", at: time(4))
            let station = try #require(try await store.stationDetail("CP1"))
            #expect(
                station.configuration == [
                    ConfigurationEntry(key: "Extra", value: "x", readonly: false),
                    ConfigurationEntry(key: "HeartbeatInterval", value: "30", readonly: false),
                    ConfigurationEntry(key: "NewKey", value: "on", readonly: false),
                    ConfigurationEntry(key: "NumberOfConnectors", value: "3", readonly: true),
                ])
            #expect(station.unknownConfigurationKeys == ["NoSuchKey"] && station.configurationReadAt == time(3))
            // Lists stay light: the configuration is in the detail only.
            #expect(try await store.station("CP1")?.configuration == nil)
        }
    }

    @Test("a connector that reports Available closes the sessions the charger lost on it", arguments: StoreBackend.all)
    func availableClosesLostSessions(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.putStation("CP1", StationUpdate())
            _ = try await store.createCard(RfidCard(idTag: "TAG-1", status: .accepted, createdAt: time(0)))
            let lost = try await store.startTransaction(start(connector: 1, tag: "TAG-1", at: 10)).transactionId
            let other = try await store.startTransaction(start(connector: 2, tag: "TAG-2", at: 10)).transactionId
            #expect(try await store.tagState("TAG-1").active?.transactionId == lost)
            // A replayed Available from before the start closes nothing; connector 0 is the station, not a connector.
            let before = try await store.recordStatus(
                "CP1", Connector(connectorId: 1, status: "Available", errorCode: "NoError", updatedAt: time(5)))
            #expect(before.closedStale.isEmpty)
            let station = try await store.recordStatus(
                "CP1", Connector(connectorId: 0, status: "Available", errorCode: "NoError", updatedAt: time(20)))
            #expect(station.closedStale.isEmpty)
            let charging = try await store.recordStatus(
                "CP1", Connector(connectorId: 1, status: "Charging", errorCode: "NoError", updatedAt: time(15)))
            #expect(charging.closedStale.isEmpty)
            // The charger rebooted and lost the transaction: its connector is Available again.
            let available = try await store.recordStatus(
                "CP1", Connector(connectorId: 1, status: "Available", errorCode: "NoError", updatedAt: time(30)))
            #expect(available == StatusOutcome(current: true, closedStale: [lost]))
            #expect(try await store.tagState("TAG-1").active == nil)
            let closed = try #require(try await store.session(lost))
            #expect(!closed.active && closed.stopReason == "StaleSession" && closed.stoppedAt == time(30) && closed.meterStop == nil)
            #expect(try await store.session(other)?.active == true)
            // The StopTransaction the charger sends after all still records the real end.
            guard
                case .stopped(let stopped) = try await store.stopTransaction(
                    stop(transactionId: lost, meter: 1500, at: 25, reason: "PowerLoss"))
            else {
                Issue.record("the late stop was not recorded")
                return
            }
            #expect(stopped.meterStop == 1500 && stopped.stopReason == "PowerLoss")
        }
    }

    @Test("availability is kept per connector, and connector 0 sets every connector", arguments: StoreBackend.all)
    func availability(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.putStation("CP1", StationUpdate())
            for connector in [0, 1, 2] {
                _ = try await store.recordStatus(
                    "CP1", Connector(connectorId: connector, status: "Available", errorCode: "NoError", updatedAt: time(1)))
            }
            let inoperative = ConnectorAvailability(requested: "Inoperative", status: "Accepted", at: time(2))
            try await store.recordAvailability("CP1", connectorId: 0, inoperative)
            let operative = ConnectorAvailability(requested: "Operative", status: "Scheduled", at: time(3))
            try await store.recordAvailability("CP1", connectorId: 2, operative)
            let connectors = try #require(try await store.station("CP1")).connectors
            #expect(connectors.map(\.availability) == [inoperative, inoperative, operative])
            #expect(
                try await store.stations(PageRequest()).items.first?.connectors.map(\.availability) == [
                    inoperative, inoperative, operative,
                ])
        }
    }

    @Test(
        "local list: Full replaces, Differential adds, changes and removes, a read sets the version and keeps only its own",
        arguments: StoreBackend.all)
    func localList(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.putStation("CP1", StationUpdate())
            #expect(try await store.station("CP1")?.localListVersion == nil)
            try await store.recordLocalList(
                "CP1", version: 1,
                .full([LocalListEntry(idTag: "A", status: "Accepted"), LocalListEntry(idTag: "B", status: "Blocked", parentIdTag: "P")]))
            try await store.recordLocalList(
                "CP1", version: 2,
                .full([LocalListEntry(idTag: "C", status: "Accepted"), LocalListEntry(idTag: "D", status: "Accepted")]))
            try await store.recordLocalList(
                "CP1", version: 3,
                .differential([
                    LocalListEntry(idTag: "c", status: nil), LocalListEntry(idTag: "D", status: "Blocked"),
                    LocalListEntry(idTag: "E", status: "Accepted", expiryDate: time(9)),
                ]))
            #expect(
                try await store.stationDetail("CP1")?.localList == [
                    LocalListEntry(idTag: "D", status: "Blocked"), LocalListEntry(idTag: "E", status: "Accepted", expiryDate: time(9)),
                ])
            #expect(try await store.station("CP1")?.localListVersion == 3)
            #expect(try await store.station("CP1")?.localList == nil)  // detail only
            // A read of the version sent keeps the entries; another version means they are not known.
            try await store.recordLocalList("CP1", version: 3, .versionOnly)
            #expect(try await store.stationDetail("CP1")?.localList?.count == 2)
            try await store.recordLocalList("CP1", version: 7, .versionOnly)
            let other = try #require(try await store.stationDetail("CP1"))
            #expect(other.localListVersion == 7 && other.localList == [])
            // Version 0: the station's list is empty (and -1: it has none), whatever was sent before.
            try await store.recordLocalList("CP1", version: 8, .full([LocalListEntry(idTag: "F", status: "Accepted")]))
            try await store.recordLocalList("CP1", version: 0, .versionOnly)
            let emptied = try #require(try await store.stationDetail("CP1"))
            #expect(emptied.localListVersion == 0 && emptied.localList == [])
        }
    }

    @Test("charging profiles: replaced by id or by connector, purpose and stack level; cleared by criteria", arguments: StoreBackend.all)
    func chargingProfiles(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.putStation("CP1", StationUpdate())
            func profile(_ id: Int, connector: Int, purpose: String = "TxDefaultProfile", level: Int = 0) -> StoredChargingProfile {
                StoredChargingProfile(
                    connectorId: connector, chargingProfileId: id, stackLevel: level, chargingProfilePurpose: purpose,
                    profile: ["chargingProfileId": .integer(Int64(id)), "stackLevel": .integer(Int64(level))], setAt: time(id))
            }
            func ids() async throws -> [Int] {
                try #require(try await store.stationDetail("CP1")?.chargingProfiles).map(\.chargingProfileId).sorted()
            }
            for p in [
                profile(1, connector: 1), profile(2, connector: 2), profile(3, connector: 0, purpose: "ChargePointMaxProfile"),
                profile(4, connector: 1, level: 1),
            ] {
                try await store.setChargingProfile("CP1", p)
            }
            #expect(try await ids() == [1, 2, 3, 4])
            // Same connector, purpose and stack level as 1: it replaces 1. Same id as 2: it replaces 2.
            try await store.setChargingProfile("CP1", profile(5, connector: 1))
            try await store.setChargingProfile("CP1", profile(2, connector: 2, level: 3))
            #expect(try await ids() == [2, 3, 4, 5])
            #expect(try await store.stationDetail("CP1")?.chargingProfiles?.first { $0.chargingProfileId == 2 }?.stackLevel == 3)

            #expect(try await store.clearChargingProfiles("CP1", ChargingProfileFilter(id: 4, connectorId: 2)) == 1)
            #expect(try await store.clearChargingProfiles("CP1", ChargingProfileFilter(connectorId: 1, purpose: "TxProfile")) == 0)
            #expect(try await store.clearChargingProfiles("CP1", ChargingProfileFilter(purpose: "TxDefaultProfile", stackLevel: 3)) == 1)
            #expect(try await ids() == [3, 5])
            #expect(try await store.clearChargingProfiles("CP1", ChargingProfileFilter()) == 2)
            #expect(try await ids() == [])
        }
    }

    @Test("a TxProfile ends with the transaction on its connector; other profiles and connectors keep theirs", arguments: StoreBackend.all)
    func txProfilesEndWithTheirTransaction(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.putStation("CP1", StationUpdate())
            func profile(_ id: Int, connector: Int, purpose: String) -> StoredChargingProfile {
                StoredChargingProfile(
                    connectorId: connector, chargingProfileId: id, stackLevel: 0, chargingProfilePurpose: purpose, profile: [:],
                    setAt: time(id))
            }
            let first = try await store.startTransaction(start(connector: 1, at: 10)).transactionId
            _ = try await store.startTransaction(start(connector: 2, tag: "TAG2", at: 11))
            for p in [
                profile(1, connector: 1, purpose: "TxProfile"), profile(2, connector: 2, purpose: "TxProfile"),
                profile(3, connector: 1, purpose: "TxDefaultProfile"),
            ] {
                try await store.setChargingProfile("CP1", p)
            }
            _ = try await store.stopTransaction(stop(transactionId: first, at: 20))
            let ids = try #require(try await store.stationDetail("CP1")?.chargingProfiles).map(\.chargingProfileId).sorted()
            #expect(ids == [2, 3])
            // A repeated stop of a finished transaction touches nothing (a new TxProfile may be there by then).
            try await store.setChargingProfile("CP1", profile(4, connector: 1, purpose: "TxProfile"))
            _ = try await store.stopTransaction(stop(transactionId: first, at: 20))
            #expect(try #require(try await store.stationDetail("CP1")?.chargingProfiles).count == 3)
            // A start that closes a session the charger never stopped ends that session's TxProfile too.
            _ = try await store.startTransaction(start(connector: 2, tag: "TAG3", at: 30))
            let left = try #require(try await store.stationDetail("CP1")?.chargingProfiles).map(\.chargingProfileId).sorted()
            #expect(left == [3, 4])
        }
    }

    @Test("removing a station removes what commands left on it, but keeps the command log", arguments: StoreBackend.all)
    func removingStationClearsCommandState(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.putStation("CP1", StationUpdate())
            try await store.recordConfiguration(
                "CP1", [ConfigurationEntry(key: "K", value: "v", readonly: false)], unknownKeys: [], complete: true, at: time(1))
            try await store.recordLocalList("CP1", version: 1, .full([LocalListEntry(idTag: "A", status: "Accepted")]))
            try await store.setChargingProfile(
                "CP1",
                StoredChargingProfile(
                    connectorId: 1, chargingProfileId: 1, stackLevel: 0, chargingProfilePurpose: "TxDefaultProfile", profile: [:],
                    setAt: time(1)))
            try await store.recordCommand(CommandRecord(cpId: "CP1", action: "Reset", request: [:], response: [:], at: time(1)))
            #expect(try await store.deleteStation("CP1") != nil)
            _ = try await store.putStation("CP1", StationUpdate())
            let fresh = try #require(try await store.stationDetail("CP1"))
            #expect(fresh.configuration == [] && fresh.chargingProfiles == [] && fresh.localListVersion == nil)
            #expect(fresh.localList == [])
            #expect(try await store.commands(cpId: "CP1", PageRequest()).total == 1)
        }
    }

    @Test("200 concurrent MeterValues all commit, combined into fewer jobs and commits", arguments: StoreBackend.all)
    func concurrentWritesAreGroupCommitted(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, fixture in
            let before = fixture.writeStatistics(store)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<200 {
                    group.addTask {
                        try await store.recordMeterValues([energyValue("CP\(n % 20)", transactionId: 77, value: "\(n)", at: n)])
                    }
                }
                try await group.waitForAll()
            }
            let stored = try await store.meterValues(transactionId: 77, PageRequest(limit: 1000))
            #expect(stored.total == 200)
            #expect(Set(stored.items.map(\.value)).count == 200)
            if let before, let after = fixture.writeStatistics(store) {
                #expect(after.jobs - before.jobs < 200)
                #expect(after.commits - before.commits < 200)
                #expect(after.isolatedReruns == before.isolatedReruns)
            }
        }
    }

    @Test("committed data is there for a store opened later on the same database", arguments: StoreBackend.all)
    func committedDataSurvivesReopening(_ backend: StoreBackend) async throws {
        try await withStore(backend) { store, fixture in
            let started = try await store.startTransaction(start(at: 0))
            try await store.createCard(RfidCard(idTag: "DURABLE", status: .accepted, createdAt: time(0)))
            await store.close()
            #expect(await !store.ping())

            let reopened = try await fixture.open()
            try await reopened.migrate()
            #expect(await reopened.ping())
            #expect(try await reopened.session(started.transactionId)?.active == true)
            #expect(try await reopened.card("durable") != nil)
            let next = try await reopened.startTransaction(start(connector: 2, at: 1))
            #expect(next.transactionId > started.transactionId)
            await reopened.close()
        }
    }
}

// MARK: - SQLite specifics

@Suite("SQLite store")
struct SQLiteStoreTests {
    @Test("a failing job in a batch rolls back alone and fails only its caller")
    func failingJobRollsBackAlone() async throws {
        try await withStore(.sqlite) { store, _ in
            let store = try #require(store as? SQLiteStore)
            let before = store.writeStatistics
            // Hold the writer until the next three jobs wait, so that they share one transaction (a fixed pause was too
            // short on a busy machine under ThreadSanitizer).
            async let hold: Void = store.write { _ in
                let deadline = Date().addingTimeInterval(20)
                while store.workers.waitingWrites < 3, Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
            }
            try await Task.sleep(for: .milliseconds(50))
            async let good1: Void = store.createCard(RfidCard(idTag: "ONE", status: .accepted, createdAt: time(0)))
            let bad = Task {
                try await store.write { db in
                    try db.execute("INSERT INTO rfid_cards (id_tag, status, created_at) VALUES ('HALF', 'Accepted', 0)")
                    try db.execute("INSERT INTO no_such_table VALUES (1)")
                }
            }
            async let good2: Void = store.createCard(RfidCard(idTag: "TWO", status: .accepted, createdAt: time(0)))
            try await hold
            try await good1
            try await good2
            let badResult = await bad.result
            #expect(throws: StoreError.self) { try badResult.get() }
            #expect(try await store.card("ONE") != nil)
            #expect(try await store.card("TWO") != nil)
            #expect(try await store.card("HALF") == nil)
            let after = store.writeStatistics
            #expect(after.jobs - before.jobs == 4 && after.commits - before.commits == 2)
            // The batch ran without savepoints first, and once more job by job when one of its jobs failed.
            #expect(after.isolatedReruns - before.isolatedReruns == 1)
        }
    }

    @Test("combined writes: one job for all waiting callers, and a bad caller's rows fail only that caller")
    func combinedWrites() async throws {
        try await withStore(.sqlite) { store, _ in
            let store = try #require(store as? SQLiteStore)
            try await store.write { db in try db.exec("CREATE TABLE combined (n INTEGER NOT NULL CHECK (n >= 0))") }
            let combiner = WriteCombiner<Int, SQLiteConnection>(workers: store.workers) { db, numbers in
                for n in numbers {
                    try db.execute("INSERT INTO combined (n) VALUES (?)", [n])
                }
            }
            let before = store.writeStatistics
            let callers: [[Int]] = (0..<50).map { [$0] } + [[100, -1], [-2]]
            // Hold the writer until every caller waits, so that the combined job takes them all (a fixed pause was too
            // short on a busy machine under ThreadSanitizer).
            async let hold: Void = store.write { _ in
                let deadline = Date().addingTimeInterval(20)
                while combiner.waitingCallers < callers.count, Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
            }
            try await Task.sleep(for: .milliseconds(50))
            let failed = await withTaskGroup(of: [Int]?.self) { group in
                for numbers in callers {
                    group.addTask { (try? await combiner.write(numbers)) == nil ? numbers : nil }
                }
                return await group.reduce(into: Set<[Int]>()) { failed, numbers in numbers.map { _ = failed.insert($0) } }
            }
            try await hold
            #expect(failed == [[100, -1], [-2]])
            let stored = try await store.read { db in try db.query("SELECT n FROM combined ORDER BY n") { try $0.int(0) } }
            #expect(stored == Array(0..<50))
            let after = store.writeStatistics
            #expect(after.jobs - before.jobs == 2 && after.commits - before.commits == 2)
            // The rows went in without savepoints first; the failure sent the batch round again, caller by caller.
            #expect(after.isolatedReruns - before.isolatedReruns == 1)
        }
    }

    @Test("the lookups of every Authorize and StartTransaction use their indexes, not every active session")
    func hotLookupsUseTheirIndexes() async throws {
        try await withStore(.sqlite) { store, _ in
            let store = try #require(store as? SQLiteStore)
            let plans = try await store.read { db in
                try [SQLiteStore.tagStateQuery, SQLiteStore.startQuery].map { query in
                    try db.query("EXPLAIN QUERY PLAN \(query)", Array(repeating: 1, count: query.count { $0 == "?" })) {
                        try $0.string(3)
                    }.joined(separator: "\n")
                }
            }
            #expect(plans[0].contains("USING INDEX sessions_by_tag (id_tag=? AND active=?)"), "\(plans[0])")
            #expect(plans[0].contains("USING INDEX rfid_cards_id_tag (id_tag=?)"), "\(plans[0])")
            #expect(plans[1].contains("USING INDEX sessions_active_by_connector (cp_id=? AND connector_id=? AND active=?)"), "\(plans[1])")
            #expect(plans[1].contains("USING INDEX sessions_by_tag (id_tag=? AND active=?)"), "\(plans[1])")
            #expect(!plans.joined().contains("sessions_active "), "\(plans)")
            // Every index of meter_values costs each MeterValues commit a page per station: only the one queries use, and
            // the one that keeps each sampled value once.
            #expect(try await meterValueIndexes(store).keys.sorted() == ["meter_values_by_time_sample", "meter_values_by_transaction"])
        }
    }

    /// What the unique index of migration 13 must not do again: led by station, a commit of many stations' values
    /// rewrote an index page for each (the session mix lost a quarter of its rate). Led by time, a commit's entries
    /// land together at the index's end, as they do in the table and in meter_values_by_transaction.
    @Test("a commit of 500 stations' meter values writes a few pages to the log, not one per station")
    func meterValueCommitsWriteFewPages() async throws {
        try await withStore(.sqlite) { store, fixture in
            let path = try #require(fixture as? SQLiteFixture).path
            let stations = 500
            func readings(transactions first: Int, at seconds: Int) -> [MeterValueRecord] {
                (0..<stations).map { energyValue("CP\($0)", transactionId: first + $0, value: "\(seconds)", at: seconds) }
            }
            // The history of finished sessions: 40 readings a station.
            for reading in 0..<40 {
                try await store.recordMeterValues(readings(transactions: 1, at: reading * 60))
            }
            let log = try SQLiteConnection(path: path)
            defer { log.close() }
            let checkpoint = try log.queryFirst("PRAGMA wal_checkpoint(TRUNCATE)") { try $0.int(0) }
            #expect(checkpoint == 0, "the log is emptied (no reader in the way)")
            let pageSize = try #require(try log.queryFirst("PRAGMA page_size") { try $0.int(0) })
            // One commit: each running session's next reading.
            try await store.recordMeterValues(readings(transactions: 1_001, at: 3_600))
            let logBytes = try #require(try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int)
            let pages = (logBytes - 32) / (pageSize + 24)
            #expect(pages > 0 && pages <= 80, "\(pages) pages written for one commit of \(stations) stations' readings")
        }
    }

    @Test("the writer and readers do not touch the cooperative pool's threads")
    func jobsRunOnDedicatedThreads() async throws {
        try await withStore(.sqlite) { store, _ in
            let store = try #require(store as? SQLiteStore)
            let writer = try await store.write { _ in DatabaseWorkers<SQLiteConnection>.currentWorkerName ?? "" }
            let reader = try await store.read { _ in DatabaseWorkers<SQLiteConnection>.currentWorkerName ?? "" }
            #expect(writer == "sqlite-writer")
            #expect(reader.hasPrefix("sqlite-reader"))
        }
    }

    @Test("the database is in WAL mode with full sync")
    func durabilitySettings() async throws {
        try await withStore(.sqlite) { store, _ in
            let store = try #require(store as? SQLiteStore)
            let settings = try await store.write { db in
                (
                    try db.queryFirst("PRAGMA journal_mode") { try $0.string(0) },
                    try db.queryFirst("PRAGMA synchronous") { try $0.int(0) },
                    try db.queryFirst("PRAGMA wal_autocheckpoint") { try $0.int(0) }
                )
            }
            #expect(settings.0 == "wal" && settings.1 == 2)
            #expect(settings.2 == SQLiteStore.walCheckpointPages)
        }
    }

    @Test("values round-trip through the wrapper: text with NUL and emoji, NULL, times to the millisecond")
    func wrapperRoundTrips() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ocppd-sqlite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = try SQLiteConnection(path: directory.appendingPathComponent("t.sqlite").path)
        defer { db.close() }
        try db.exec("CREATE TABLE t (s TEXT, n INTEGER, d BIGINT, r REAL)")
        let when = Date(timeIntervalSince1970: 1_714_564_800.123)
        try db.execute("INSERT INTO t VALUES (?, ?, ?, ?)", ["a\u{0}b ⚡️", Int?.none, when, 2.5])
        let row = try db.queryFirst("SELECT s, n, d, r FROM t") { row in
            (try row.string(0), row.optionalInt(1), try row.date(2), try row.double(3))
        }
        #expect(row?.0 == "a\u{0}b ⚡️" && row?.1 == nil && row?.2 == when && row?.3 == 2.5)
        // Times sort as numbers.
        try db.execute("INSERT INTO t (d) VALUES (?)", [Date(timeIntervalSince1970: 9)])
        #expect(try db.query("SELECT d FROM t ORDER BY d") { try $0.date(0) } == [Date(timeIntervalSince1970: 9), when])

        #expect(throws: SQLiteError.self) { try db.execute("INSERT INTO t VALUES (?)", [1]) }
        try db.exec("CREATE UNIQUE INDEX t_s ON t (s)")
        let error = #expect(throws: SQLiteError.self) { try db.execute("INSERT INTO t (s) VALUES (?)", ["a\u{0}b ⚡️"]) }
        #expect(error?.isConstraintViolation == true && error?.message.contains("UNIQUE") == true)
        // A failed statement leaves the cached statement usable.
        try db.execute("INSERT INTO t (s) VALUES (?)", ["c"])
        #expect(try db.queryFirst("SELECT COUNT(*) FROM t") { try $0.int(0) } == 3)
    }

    @Test("a database that cannot be opened is reported as unavailable")
    func unopenableDatabaseIsUnavailable() async throws {
        let store = SQLiteStore(path: "/nonexistent-dir-\(UUID().uuidString)/ocppd.sqlite")
        let error = await #expect(throws: StoreError.self) { try await store.migrate() }
        if case .unavailable = error {} else { Issue.record("expected .unavailable, got \(String(describing: error))") }
        #expect(await !store.ping())
        await store.close()
        await #expect(throws: StoreError.unavailable("the store is closed")) { try await store.migrate() }
    }
}

/// Meter values as an ocppd before schema 13 stored them (no sample key), counted as rows that the keying job must take.
func insertUnkeyed(_ store: any Store, _ values: [MeterValueRecord]) async throws {
    if let store = store as? SQLiteStore {
        try await insertUnkeyedRows(store, values)
    } else {
        try await insertUnkeyedRows(try #require(store as? MariaDBStore), values)
    }
}

private func insertUnkeyedRows<S: SQLStore>(_ store: S, _ values: [MeterValueRecord]) async throws {
    try await store.write { db in
        for value in values {
            try db.execute(
                """
                INSERT INTO meter_values (cp_id, transaction_id, connector_id, timestamp, measurand, value, unit, context, phase,
                    location, format, received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    value.cpId, value.transactionId, value.connectorId, value.timestamp, value.measurand, value.value, value.unit,
                    value.context, value.phase, value.location, value.format, Date(),
                ])
        }
        try db.execute("UPDATE maintenance_progress SET position = 0, end_position = (SELECT MAX(id) FROM meter_values)")
    }
}

/// The indexes of meter_values (not its primary key) and their columns in order, as the database lists them.
func meterValueIndexes(_ store: any Store) async throws -> [String: [String]] {
    if let store = store as? SQLiteStore {
        return try await store.read { db in
            let names = try db.query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'meter_values'") {
                try $0.string(0)
            }
            var indexes: [String: [String]] = [:]
            for name in names where !name.hasPrefix("sqlite_autoindex") {
                indexes[name] = try db.query("SELECT name FROM pragma_index_info(?) ORDER BY seqno", [name]) { try $0.string(0) }
            }
            return indexes
        }
    }
    let store = try #require(store as? MariaDBStore)
    let rows = try await store.read { db in
        try db.query(
            """
            SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS
            WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'meter_values' AND INDEX_NAME <> 'PRIMARY'
            ORDER BY INDEX_NAME, SEQ_IN_INDEX
            """
        ) { (try $0.string(0), try $0.string(1)) }
    }
    return Dictionary(grouping: rows, by: \.0).mapValues { $0.map(\.1) }
}

/// Puts back the station-led unique index of migration 13's first form, as a database that took it has, and the
/// versions after it, so that `migrate()` runs them again.
func takeFirstFormOfMigration13(_ store: any Store) async throws {
    if let store = store as? SQLiteStore {
        try await restoreStationLedIndex(store)
    } else {
        try await restoreStationLedIndex(try #require(store as? MariaDBStore))
    }
}

private func restoreStationLedIndex<S: SQLStore>(_ store: S) async throws {
    try await store.write { db in
        try db.exec(S.dialect.ddl("DROP INDEX meter_values_by_time_sample ON meter_values"))
        try db.exec(
            S.dialect.ddl("CREATE UNIQUE INDEX meter_values_by_sample ON meter_values (cp_id, connector_id, timestamp, sample_key)"))
        try db.execute("DELETE FROM schema_version WHERE version > 14")
    }
}
