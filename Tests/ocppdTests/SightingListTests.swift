import Testing

@testable import ocppd

@Suite struct SightingListTests {
    @Test func keepsTheMostRecentEntriesUpToItsCapacity() async throws {
        let list = SightingList(capacity: 3)
        for id in ["A", "B", "C"] {
            await list.saw(id, at: "10.0.0.1")
            try await Task.sleep(for: .milliseconds(2))
        }
        await list.saw("A", at: "10.0.0.2")  // A is now the most recent
        try await Task.sleep(for: .milliseconds(2))
        await list.saw("D", at: "10.0.0.3")  // evicts B, the least recently seen
        let all = await list.all
        #expect(all.map(\.id) == ["D", "A", "C"])
        #expect(all.first { $0.id == "A" }?.count == 2)
        #expect(all.first { $0.id == "A" }?.seenAt == "10.0.0.2")
    }

    @Test func forgetsAnAdoptedEntry() async {
        let list = SightingList(capacity: 10)
        await list.saw("TAG1", at: "CP1")
        await list.forget("TAG1")
        #expect(await list.all.isEmpty)
    }
}
