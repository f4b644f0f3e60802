import Testing

@testable import ocppd

@Suite struct PingScheduleTests {
    private let start = ContinuousClock.now

    private func at(_ seconds: Double) -> ContinuousClock.Instant {
        start + .milliseconds(Int64(seconds * 1000))
    }

    @Test func eachStationIsPingedEveryIntervalFromWhenItConnected() {
        var schedule = PingSchedule<String>(interval: .seconds(10))
        schedule.add("A", now: at(0))
        schedule.add("B", now: at(3))
        #expect(schedule.nextDeadline == at(10))
        #expect(schedule.takeDue(now: at(9.9)) { _ in true } == [])
        #expect(schedule.takeDue(now: at(10)) { _ in true } == ["A"])  // B keeps its own phase
        #expect(schedule.takeDue(now: at(13)) { _ in true } == ["B"])
        #expect(schedule.takeDue(now: at(20)) { _ in true } == ["A"])  // once per interval, not at every wake-up
        #expect(schedule.takeDue(now: at(20.5)) { _ in true } == [])
    }

    @Test func goneStationsAreDroppedAndALateWakeUpPingsOnce() {
        var schedule = PingSchedule<String>(interval: .seconds(10))
        schedule.add("A", now: at(0))
        schedule.add("B", now: at(1))
        #expect(schedule.takeDue(now: at(45)) { $0 != "B" } == ["A"])  // 35 s late: one ping, B forgotten
        #expect(schedule.nextDeadline == at(55))
        #expect(schedule.takeDue(now: at(60)) { _ in true } == ["A"])
    }
}
