import Foundation
import Testing

@testable import ocppd

@Suite struct SiteAllocationTests {
    private let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    private func session(
        _ cpId: String, _ connectorId: Int = 1, at seconds: Double, _ state: SiteSession.State = .active, cap: Double? = nil
    )
        -> SiteSession
    {
        SiteSession(
            key: ConnectorKey(cpId: cpId, connectorId: connectorId), transactionId: Int(seconds) + 1, startedAt: t0 + seconds,
            state: state, cap: cap)
    }

    private func key(_ cpId: String, _ connectorId: Int = 1) -> ConnectorKey { ConnectorKey(cpId: cpId, connectorId: connectorId) }

    @Test func anEvenShareInStepsOfATenthNeverAboveTheLimit() {
        let limits = SiteAllocation.allocate(
            limit: 32, minimum: 6, sessions: [session("A", at: 0), session("B", at: 1), session("C", at: 2)])
        #expect(limits == [key("A"): 10.6, key("B"): 10.6, key("C"): 10.6])
        #expect(SiteAllocation.allocate(limit: 32, minimum: 6, sessions: [session("A", at: 0)]) == [key("A"): 32])
        #expect(SiteAllocation.allocate(limit: 32, minimum: 6, sessions: []) == [:])
        // Any number of sessions and any limit: the sum stays within it.
        for count in 1...12 {
            for limit in stride(from: 6.0, through: 100, by: 0.7) {
                let sessions = (0..<count).map { session("S\($0)", at: Double($0)) }
                let sum = SiteAllocation.allocate(limit: limit, minimum: 6, sessions: sessions).values.reduce(0, +)
                #expect(sum <= limit + 1e-9, "\(count) sessions, limit \(limit): \(sum)")
            }
        }
    }

    @Test func sessionsBeyondTheMinimumWaitAtZeroInOrderOfArrival() {
        let sessions = [session("late", at: 30), session("first", at: 0), session("second", at: 10)]
        let limits = SiteAllocation.allocate(limit: 13, minimum: 6, sessions: sessions)
        #expect(limits == [key("first"): 6.5, key("second"): 6.5, key("late"): 0])
        // When one stops, the one that waited longest is admitted.
        let after = SiteAllocation.allocate(limit: 13, minimum: 6, sessions: [session("late", at: 30), session("second", at: 10)])
        #expect(after == [key("second"): 6.5, key("late"): 6.5])
    }

    @Test func aCappedOrIdleSessionLeavesTheRestToTheOthersAndAFinishingOneNeedsNothing() {
        let limits = SiteAllocation.allocate(
            limit: 32, minimum: 6,
            sessions: [session("A", at: 0, cap: 8), session("B", at: 1), session("C", at: 2, .idle), session("D", at: 3, .finishing)])
        #expect(limits == [key("A"): 8, key("B"): 18, key("C"): 6, key("D"): 0])
        // A cap below the minimum still gets the minimum.
        let low = SiteAllocation.allocate(limit: 32, minimum: 6, sessions: [session("A", at: 0, cap: 2), session("B", at: 1)])
        #expect(low == [key("A"): 6, key("B"): 26])
        // Caps above the even share change nothing.
        let high = SiteAllocation.allocate(limit: 32, minimum: 6, sessions: [session("A", at: 0, cap: 30), session("B", at: 1)])
        #expect(high == [key("A"): 16, key("B"): 16])
    }

    @Test func wattsShareTheSameWay() {
        let limits = SiteAllocation.allocate(
            limit: 50_000, minimum: 4140, sessions: [session("A", at: 0), session("B", at: 1), session("C", at: 2)])
        #expect(limits == [key("A"): 16666.6, key("B"): 16666.6, key("C"): 16666.6])
    }

    @Test func lowerLimitsGoFirstAndRaisesFitWhatIsInForce() {
        let inForce = [key("A"): 16.0, key("B"): 16.0, key("C"): 8.0]  // C: a new session at its fallback
        let target = [key("A"): 10.6, key("B"): 10.6, key("C"): 10.6]
        #expect(SiteAllocation.decreases(inForce: inForce, target: target) == [key("A"): 10.6, key("B"): 10.6])
        // Both decreases accepted: C's raise fits.
        var after = inForce.merging([key("A"): 10.6, key("B"): 10.6]) { $1 }
        #expect(
            SiteAllocation.raises(limit: 32, inForce: after, target: target, order: [key("A"), key("B"), key("C")]) == [key("C"): 10.6])
        // B refused its decrease: it keeps 16 in the sum, C's fallback leaves no room: no raise. With a little room (a
        // limit of 36), C is raised only as far as it fits (36 - 10.6 - 16 = 9.4).
        after = inForce.merging([key("A"): 10.6]) { $1 }
        #expect(SiteAllocation.raises(limit: 32, inForce: after, target: target, order: [key("A"), key("B"), key("C")]) == [:])
        #expect(SiteAllocation.raises(limit: 36, inForce: after, target: target, order: [key("A"), key("B"), key("C")]) == [key("C"): 9.4])
        // Nothing fits: no raise at all.
        #expect(SiteAllocation.raises(limit: 32, inForce: inForce, target: target, order: [key("C")]) == [:])
        // Raises go in the order given while there is room.
        let order = [key("B"), key("A")]
        #expect(
            SiteAllocation.raises(limit: 20, inForce: [key("A"): 6, key("B"): 6], target: [key("A"): 10, key("B"): 10], order: order)
                == [key("B"): 10, key("A"): 10])
        #expect(
            SiteAllocation.raises(limit: 18, inForce: [key("A"): 6, key("B"): 6], target: [key("A"): 10, key("B"): 10], order: order)
                == [key("B"): 10, key("A"): 8])
    }

    @Test func roundingIsDownToATenthAndNeverAbove() {
        #expect(SiteAllocation.roundedDown(10.666) == 10.6)
        #expect(SiteAllocation.roundedDown(0.3) == 0.3)
        #expect(SiteAllocation.roundedDown(-1) == 0)
        #expect(SiteAllocation.roundedDown(.infinity) == 0)
        for value in stride(from: 0.0, through: 50, by: 0.013) {
            #expect(SiteAllocation.roundedDown(value) <= value + 1e-9)
        }
    }

    @Test func aCarThatDrawsClearlyLessForAMinuteIsCappedNearItsDraw() {
        let now = t0
        #expect(DemandCap.lowSince(nil, measured: 5, allocated: 16, now: now) == now)
        #expect(DemandCap.lowSince(now, measured: 5, allocated: 16, now: now + 30) == now)
        #expect(DemandCap.lowSince(now, measured: 15, allocated: 16, now: now + 30) == nil)
        #expect(DemandCap.lowSince(nil, measured: nil, allocated: 16, now: now) == nil)
        #expect(DemandCap.cap(measured: 5, lowSince: now, now: now + 30, minimum: 6) == nil)
        #expect(DemandCap.cap(measured: 5, lowSince: now, now: now + 60, minimum: 6) == 7.5)
        #expect(DemandCap.cap(measured: 1, lowSince: now, now: now + 60, minimum: 6) == 6)
        // Capped at 7.5, a car drawing 5 still draws clearly less: the cap holds (no flapping) ...
        #expect(DemandCap.lowSince(now, measured: 5, allocated: 7.5, now: now + 90) == now)
        // ... and one that draws close to its cap again is uncapped.
        #expect(DemandCap.lowSince(now, measured: 7, allocated: 7.5, now: now + 120) == nil)
    }

    @Test func aChargersDrawComesFromItsCurrentOrItsPowerInTheSitesUnit() {
        typealias Sample = SiteMeasure.Sample
        let currents = [
            Sample(measurand: "Current.Import", value: 10, unit: "A", phase: "L1"),
            Sample(measurand: "Current.Import", value: 12, unit: "A", phase: "L2"),
            Sample(measurand: "Current.Import", value: 11, unit: "A", phase: "L3"),
            Sample(measurand: "Current.Import", value: 30, unit: "A", phase: "N"),
            Sample(measurand: "Energy.Active.Import.Register", value: 1234, unit: "Wh", phase: nil),
        ]
        // The highest phase (not the neutral) of an A site; current times voltage and phases for a W site.
        #expect(SiteMeasure.draw(currents, unit: .amperes, voltage: 230, phases: 3) == 12)
        #expect(abs((SiteMeasure.draw(currents, unit: .watts, voltage: 230, phases: 3) ?? 0) - 8280) < 1e-6)
        let powers = [
            Sample(measurand: "Power.Active.Import", value: 2, unit: "kW", phase: "L1"),
            Sample(measurand: "Power.Active.Import", value: 2500, unit: "W", phase: "L2"),
        ]
        #expect(SiteMeasure.draw(powers, unit: .watts, voltage: 230, phases: 3) == 4500)
        #expect(
            SiteMeasure.draw(
                [Sample(measurand: "Power.Active.Import", value: 6.9, unit: "kW", phase: nil)], unit: .amperes, voltage: 230, phases: 3)
                == 10)
        #expect(SiteMeasure.draw([currents[4]], unit: .amperes, voltage: 230, phases: 3) == nil)
    }

    @Test func aSitesBodyIsCheckedFieldByFieldAndDefaulted() throws {
        let site = try SiteBody(limit: 32, unit: "A").settings("S")
        #expect(site == SiteSettings(siteId: "S", limit: 32, unit: .amperes, phases: 3, voltage: 230))
        #expect(site.minimum == 6)
        #expect(site.fallback(connectors: 3) == 10.6)
        #expect(site.fallback(connectors: 0) == 32)
        let watts = try SiteBody(limit: 50_000, unit: "W", phases: 1, fallbackLimit: 2000).settings("W")
        #expect(watts.minimum == 6 * 230)
        #expect(watts.fallback(connectors: 10) == 2000)
        for (body, field) in [
            (SiteBody(unit: "A"), "limit"), (SiteBody(limit: 0, unit: "A"), "limit"), (SiteBody(limit: 32), "unit"),
            (SiteBody(limit: 32, unit: "kW"), "unit"), (SiteBody(limit: 32, unit: "A", phases: 2), "phases"),
            (SiteBody(limit: 32, unit: "A", voltage: -1), "voltage"),
            (SiteBody(limit: 32, unit: "A", minPerConnector: -1), "minPerConnector"),
            (SiteBody(limit: 32, unit: "A", fallbackLimit: .infinity), "fallbackLimit"),
        ] {
            #expect(throws: Problem.self, "\(field)") { try body.settings("S") }
            do {
                _ = try body.settings("S")
            } catch let problem as Problem {
                #expect(problem.extra["field"] == .string(field))
            }
        }
    }
}
