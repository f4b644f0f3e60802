import Foundation
import Shared
import Testing

@testable import ocppd

// The contract suite (SQLiteStoreTests.swift) runs on MariaDB too; these are what only MariaDB has.

@Suite(
    "MariaDB store",
    .enabled(if: MariaDBTestServer.isConfigured, "OCPPD_TEST_MARIADB_URL is not set; scripts/test starts a private MariaDB and sets it"))
struct MariaDBStoreTests {
    @Test func twoOcppdMigratingOneFreshDatabaseAtOnceBothSucceed() async throws {
        let fixture = try MariaDBFixture()
        defer { Task { await fixture.remove() } }
        let first = MariaDBStore(url: fixture.url, connections: 2)
        let second = MariaDBStore(url: fixture.url, connections: 2)
        async let a: Void = first.migrate()
        async let b: Void = second.migrate()
        _ = try await (a, b)
        try await first.createCard(RfidCard(idTag: "ONE", status: .accepted, createdAt: time(0)))
        #expect(try await second.card("one")?.idTag == "ONE")
        let versions = try await first.read { db in try db.query("SELECT version FROM schema_version ORDER BY version") { try $0.int(0) } }
        #expect(versions == Schema.migrations.map(\.version))
        await first.close()
        await second.close()
    }

    @Test func tablesAreInnoDBWithBinaryTextAndCaseInsensitiveTags() async throws {
        try await withStore(.mariaDB) { store, _ in
            let store = try #require(store as? MariaDBStore)
            let database = store.url.database
            let engines = try await store.read { db in
                try db.query("SELECT DISTINCT engine, table_collation FROM information_schema.tables WHERE table_schema = ?", [database]) {
                    "\(try $0.string(0)) \(try $0.string(1))"
                }
            }
            #expect(engines == ["InnoDB utf8mb4_nopad_bin"])
            let tagCollation = try await store.read { db in
                try db.queryFirst(
                    "SELECT collation_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? AND column_name = ?",
                    [database, "rfid_cards", "id_tag"]
                ) { try $0.string(0) }
            }
            #expect(tagCollation == SQLDialect.mariaDBNoCaseCollation)
            // NO PAD: a station id with a trailing space is another station, as in SQLite.
            _ = try await store.putStation("CP1", StationUpdate())
            #expect(try await store.station("CP1 ") == nil)
        }
    }

    @Test func anUnreachableServerIsUnavailableAndPingFails() async throws {
        var url = try MariaDBTestServer.url()
        url.endpoint = .tcp(host: "127.0.0.1", port: 1)
        url.connectTimeout = 2
        let store = MariaDBStore(url: url, connections: 2)
        #expect(await store.ping() == false)
        let error = await #expect(throws: StoreError.self) {
            try await store.createCard(RfidCard(idTag: "X", status: .accepted, createdAt: time(0)))
        }
        guard case .unavailable = error else {
            Issue.record("expected .unavailable, got \(String(describing: error))")
            return
        }
        await store.close()
    }

    @Test func aCommitWhoseAnswerIsLostIsNeitherRepeatedNorLost() async throws {
        let fixture = try MariaDBFixture()
        defer { Task { await fixture.remove() } }
        let fault = CommitFault()
        let store = MariaDBStore(url: fixture.url, connections: 2, commitFault: fault)
        try await store.migrate()
        _ = try await store.putStation("CP1", StationUpdate())
        // The server commits, the writer hears nothing: it must learn that the batch is in, not run it again.
        fault.loseNextAnswers()
        let transactionId = try await store.startTransaction(start(at: 10)).transactionId
        fault.loseNextAnswers()
        try await store.recordMeterValues([
            energyValue(transactionId: transactionId, value: "1500", at: 11),
            energyValue(transactionId: transactionId, value: "1700", at: 12),
        ])
        #expect(fault.take() == nil)  // both faults were used
        let values = try await store.meterValues(transactionId: transactionId, PageRequest())
        #expect(values.items.map(\.value) == ["1500", "1700"])
        let sessions = try await store.read { db in try db.query("SELECT transaction_id FROM sessions") { try $0.int(0) } }
        #expect(sessions == [transactionId])
        // The answer lost before COMMIT reached the server: nothing committed, so the batch runs again, once.
        fault.loseNextAnswers(1, .beforeCommit)
        try await store.recordMeterValues([energyValue(transactionId: transactionId, value: "1900", at: 13)])
        #expect(fault.take() == nil)
        let again = try await store.meterValues(transactionId: transactionId, PageRequest())
        #expect(again.items.map(\.value) == ["1500", "1700", "1900"])
        // The writers' marks: one row for this store's one writer, however many batches it committed.
        let written = try await store.read { db in try db.queryFirst("SELECT COUNT(*) FROM write_batches") { try $0.int(0) } }
        #expect(written == 1)
        await store.close()
    }

    /// The mark is a batch's first write, so its row stays locked until the batch ends: a writer that lost a COMMIT's
    /// answer and asks on a new connection while that COMMIT is still on its way waits for it instead of reading the
    /// previous batch's number (and running the batch again).
    @Test func theBatchMarkHoldsItsRowUntilTheBatchEnds() async throws {
        let fixture = try MariaDBFixture()
        defer { Task { await fixture.remove() } }
        let store = MariaDBStore(url: fixture.url, connections: 2)
        try await store.migrate()
        await store.close()
        let writer = UUID().uuidString
        let first = try MariaDBConnection(url: fixture.url)
        defer { first.close() }
        try first.beginWrite(markingBatch: 1, of: writer)
        try first.commit()
        try first.beginWrite(markingBatch: 2, of: writer)
        // The check on a thread of its own (it blocks), on a connection opened before, so it asks at once.
        let second = try MariaDBConnection(url: fixture.url)
        defer { second.close() }
        // Guards the check's answer: set on its thread, read here after `done`.
        let answer = Locked<Result<Int64?, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let box = UncheckedBox(second)
        Thread {
            let result = Result { try box.value.lastCommittedBatch(writer: writer) }
            answer.withLock { $0 = result }
            done.signal()
        }.start()
        // Still waiting while batch 2 is open: it did not read batch 1 and go on.
        #expect(done.wait(timeout: .now() + 1) == .timedOut)
        try first.commit()
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(try answer.withLock { $0 }?.get() == 2)
        // The marked batch rolled back: the answer is the batch before it, as soon as the row is free.
        try first.beginWrite(markingBatch: 3, of: writer)
        first.rollback()
        #expect(try second.lastCommittedBatch(writer: writer) == 2)
        #expect(throws: MariaDBError.self) { try first.beginWrite(markingBatch: 4, of: "x'); DROP TABLE sessions; --") }
    }

    /// The server restarting while COMMIT ran: the writer waits in its own loop until it can ask whether the batch
    /// committed, and no caller hears an error meanwhile, so the writer itself tells the store's health (the log lines
    /// "store unavailable" and "store answers again").
    @Test func theWriterWaitingOnARestartAfterALostCommitAnswerTellsTheOutage() async throws {
        let fixture = try MariaDBFixture()
        defer { Task { await fixture.remove() } }
        let fault = CommitFault()
        let health = StoreHealth(retryWindow: .seconds(15))
        let store = MariaDBStore(url: fixture.url, connections: 2, lostCommitCheck: .init(health: health), commitFault: fault)
        try await store.migrate()
        _ = try await store.putStation("CP1", StationUpdate())
        let transactionId = try await store.startTransaction(start(at: 10)).transactionId
        #expect(health.outages == 0)
        fault.loseNextAnswers()
        fault.refuseNextConnections(3)
        try await store.recordMeterValues([energyValue(transactionId: transactionId, value: "1500", at: 11)])
        #expect(fault.take() == nil)
        #expect((try? fault.refuseConnection()) != nil)  // all three refusals were used
        #expect(health.outages == 1)
        #expect(!health.isUnavailable)
        let values = try await store.meterValues(transactionId: transactionId, PageRequest())
        #expect(values.items.map(\.value) == ["1500"])
        await store.close()
    }

    /// The server committed, then stays unreachable for longer than the writer may wait to learn it: the callers hear
    /// a failure that is not retried (running the batch again could store it twice), and the writer goes on afterwards.
    @Test func aLostCommitAnswerThatCannotBeCheckedInTimeFailsWithoutARerun() async throws {
        let fixture = try MariaDBFixture()
        defer { Task { await fixture.remove() } }
        let fault = CommitFault()
        let health = StoreHealth(retryWindow: .seconds(15))
        let store = MariaDBStore(
            url: fixture.url, connections: 2, lostCommitCheck: .init(window: .milliseconds(300), health: health), commitFault: fault)
        try await store.migrate()
        _ = try await store.putStation("CP1", StationUpdate())
        let transactionId = try await store.startTransaction(start(at: 10)).transactionId
        fault.loseNextAnswers()
        fault.refuseNextConnections(.max)
        let began = ContinuousClock.now
        let error = await #expect(throws: StoreError.self) {
            try await store.recordMeterValues([energyValue(transactionId: transactionId, value: "1500", at: 11)])
        }
        guard case .failed(let reason) = error else {
            Issue.record("expected .failed (not retried), got \(String(describing: error))")
            return
        }
        #expect(reason.contains("COMMIT"))
        #expect(ContinuousClock.now - began >= .milliseconds(300))
        #expect(health.outages == 1)
        fault.refuseNextConnections(0)
        // The batch was run once: the server has it once, and the writer takes new work.
        try await store.recordMeterValues([energyValue(transactionId: transactionId, value: "1700", at: 12)])
        let values = try await store.meterValues(transactionId: transactionId, PageRequest())
        #expect(values.items.map(\.value) == ["1500", "1700"])
        await store.close()
    }
}

/// A connection handed to the one thread that uses it while the test waits for that thread (the semaphore orders the
/// two uses), as MariaDBConnection is not Sendable.
private final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
