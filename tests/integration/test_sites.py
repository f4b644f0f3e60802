"""Site load management (PRODUCT.md §10, issue 17): chargers that share one grid connection, never over its limit.

The chargers here are simulated on the `ocpp` package's 1.6 ChargePoint (`SimCharger` + `SiteLink`). Each answers
SetChargingProfile Accepted unless told to refuse (Rejected, or no answer at all) TxProfiles on a connector, rejects a
TxProfile for a transaction it is not running (as a real charger does), and reports Current.Import (or
Power.Active.Import) in MeterValues. Every profile a charger accepts goes into the site's `SiteRecorder`, which checks,
after each accepted TxProfile, that the limits in force summed over the active sessions stay within the site's limit.
The limit in force of a session is the last TxProfile limit its charger accepted for that transaction; a session
without one counts 0 (its station's fallback TxDefaultProfile is not counted). When the test changes the site's limit,
the recorder takes the new limit before the PUT: from then on, no acceptance may raise the sum while it is above the
new limit (ocppd lowers first, and raises only once the decreases are accepted).

What the site resource shows (`GET /api/sites/{siteId}`) is checked against what the chargers accepted; the profiles'
shape (ids 900000+N and 899999, stack levels 1 and 0, purposes, Relative, validTo about 5 minutes ahead, one period in
the site's unit, numberPhases on A sites, limits in steps of 0.1) is checked on every profile a charger receives.

Most scenarios give a site one station more than it has sessions (or an explicit fallbackLimit), so that no session's
share equals the station's fallback limit: each feature is then checked on its own. The issue's own scenario (32 A,
three single-connector stations, three sessions at 10.6 each, which is also the fallback) is the second test.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import time
from typing import Any, Callable

import pytest
from ocpp.routing import on
from ocpp.v16 import call, call_result

from harness import (
    Ocppd,
    Peer,
    SseStream,
    assert_problem,
    assert_utc,
    async_wait_until,
    connect_peer,
    iso_now,
    parse_time,
    quote_id,
    run,
    total_count,
    wait_until,
)

EPS = 1e-6
TX_PROFILE_ID = 900_000
FALLBACK_PROFILE_ID = 899_999


def same(a: float | None, b: float) -> bool:
    return a is not None and abs(a - b) < EPS


def in_steps_of_a_tenth(value: float) -> bool:
    return abs(value * 10 - round(value * 10)) < EPS


# ---------------------------------------------------------------------------------------------
# What the chargers of a site accepted
# ---------------------------------------------------------------------------------------------


class SiteRecorder:
    """Every profile the chargers of one site accepted, with the running check of the sum in force."""

    def __init__(self, limit: float, unit: str = "A", phases: int = 3) -> None:
        self.limit = float(limit)
        self.unit = unit
        self.phases = phases
        self.active: dict[int, str] = {}  # transactionId -> "cpId/connectorId", while the charger runs it
        self.in_force: dict[int, float] = {}  # transactionId -> the last TxProfile limit accepted for it
        self.log: list[dict] = []  # every accepted profile, in order
        self.stale: list[str] = []  # TxProfiles for a transaction the charger did not run (rejected)
        self.failures: list[str] = []
        self.peak = 0.0

    # -- the sum ---------------------------------------------------------------------------------

    def total(self) -> float:
        return sum(self.in_force.get(tid, 0.0) for tid in self.active)

    def describe(self) -> str:
        shown = {label: self.in_force.get(tid) for tid, label in self.active.items()}
        return f"{shown} (sum {self.total():g}, site limit {self.limit:g})"

    def _check(self, before: float, what: str) -> None:
        after = self.total()
        self.peak = max(self.peak, after)
        # Above the limit is wrong unless this very step lowered the sum (after the site's limit was lowered, the
        # decreases take a few steps to get under it).
        if after > self.limit + EPS and after > before + EPS:
            self.failures.append(f"{what}: the limits in force sum to {after:g} > {self.limit:g}: {self.describe()}")

    def session_started(self, tid: int, label: str) -> None:
        before = self.total()
        self.active[tid] = label
        self._check(before, f"session {tid} started on {label}")

    def session_stopped(self, tid: int) -> None:
        self.active.pop(tid, None)

    def accepted(self, cp_id: str, connector_id: int, profile: dict) -> None:
        purpose = profile.get("chargingProfilePurpose")
        limit = float(profile["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"])
        tid = profile.get("transactionId")
        self.log.append(
            {"at": time.monotonic(), "cpId": cp_id, "connectorId": connector_id, "purpose": purpose,
             "transactionId": tid, "limit": limit, "profile": profile}
        )
        if purpose == "TxProfile":
            before = self.total()
            self.in_force[tid] = limit
            self._check(before, f"{cp_id}/{connector_id} accepted {limit:g} for transaction {tid}")

    def latest(self, tid: int) -> float | None:
        return self.in_force.get(tid)

    # -- waiting -----------------------------------------------------------------------------------

    async def until(self, predicate: Callable[[], Any], what: str, timeout: float = 10.0) -> None:
        """Polls `predicate` on the event loop (it reads the chargers' state, which lives on the loop)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"timed out after {timeout:g}s waiting for {what}; in force: {self.describe()}; "
                    f"failures: {self.failures}; stale TxProfiles: {self.stale}"
                )
            await asyncio.sleep(0.02)

    async def reach(self, expected: dict[int, float], timeout: float = 10.0) -> None:
        """Waits until each transaction's accepted TxProfile limit is the expected one."""
        await self.until(
            lambda: all(same(self.in_force.get(tid), limit) for tid, limit in expected.items()),
            f"limits in force {expected}",
            timeout,
        )

    def assert_clean(self) -> None:
        assert not self.failures, "\n".join(self.failures)

    def raises_since(self, index: int) -> list[int]:
        """Positions in `log`, from `index` on, of the TxProfiles that raised their transaction's limit."""
        last: dict[int, float] = {}
        raised = []
        for i, entry in enumerate(self.log):
            if entry["purpose"] != "TxProfile":
                continue
            tid = entry["transactionId"]
            if i >= index and entry["limit"] > last.get(tid, 0.0) + EPS:
                raised.append(i)
            last[tid] = entry["limit"]
        return raised


# ---------------------------------------------------------------------------------------------
# A simulated charger
# ---------------------------------------------------------------------------------------------


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class SimCharger:
    """A charger's own state (its sessions, what it refuses), which outlives its WebSocket connections."""

    def __init__(self, cp_id: str, recorder: SiteRecorder, tag: str) -> None:
        self.cp_id = cp_id
        self.rec = recorder
        self.tag = tag
        self.link: SiteLink | None = None
        self.tx: dict[int, int] = {}  # connectorId -> transactionId running there
        self.starting: set[int] = set()  # connectors whose StartTransaction is not answered yet
        self.refuse: dict[int, str] = {}  # connectorId -> "Rejected" or "silent", for TxProfiles
        self.fallbacks: list[dict] = []  # TxDefaultProfiles accepted
        self.refused: list[tuple[str, dict]] = []  # (how, SetChargingProfile request) TxProfiles refused
        self.cleared: list[dict] = []  # ClearChargingProfile requests
        self.meter_wh = 0

    def __repr__(self) -> str:
        return f"SimCharger({self.cp_id})"

    @contextlib.asynccontextmanager
    async def online(self, ocppd: Ocppd, boot: bool = True):
        """Connected to ocppd (and booted, unless it only reconnects) for the duration of the block."""
        async with connect_peer(ocppd, self.cp_id, peer_class=functools.partial(SiteLink, charger=self)) as link:
            self.link = link
            try:
                if boot:
                    await link.boot()
                yield self
            finally:
                self.link = None

    def fallback(self) -> float | None:
        """The limit of the last fallback profile accepted."""
        return float(self.fallbacks[-1]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]) if self.fallbacks else None

    def key(self, connector: int = 1) -> tuple[str, int, int]:
        """How the site resource names this connector's running session."""
        return (self.cp_id, connector, self.tx[connector])

    # -- profiles from ocppd -------------------------------------------------------------------------

    def silent_for(self, request: dict) -> bool:
        profile = request.get("csChargingProfiles") or {}
        return profile.get("chargingProfilePurpose") == "TxProfile" and self.refuse.get(request.get("connectorId")) == "silent"

    async def answer(self, request: dict) -> str:
        connector = request.get("connectorId")
        profile = request.get("csChargingProfiles") or {}
        purpose = profile.get("chargingProfilePurpose")
        where = f"{self.cp_id}: SetChargingProfile {json.dumps(request)}"
        if purpose == "TxProfile":
            tid = profile.get("transactionId")
            # ocppd may limit a session as soon as it has stored it, before this charger has read its transactionId.
            deadline = time.monotonic() + 5
            while connector in self.starting and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            if tid is None or self.tx.get(connector) != tid:
                self.rec.stale.append(where)
                return "Rejected"
            self.rec.failures.extend(f"{where}: {p}" for p in tx_profile_problems(request, self.rec))
            how = self.refuse.get(connector)
            if how == "Rejected":
                self.refused.append(("Rejected", request))
                return "Rejected"
            self.rec.accepted(self.cp_id, connector, profile)
            return "Accepted"
        if purpose == "TxDefaultProfile":
            self.rec.failures.extend(f"{where}: {p}" for p in fallback_problems(request, self.rec))
            self.fallbacks.append(profile)
            self.rec.accepted(self.cp_id, connector, profile)
            return "Accepted"
        self.rec.failures.append(f"{where}: ocppd's site profiles are TxProfiles and a TxDefaultProfile only")
        return "Rejected"

    # -- the charger's own messages ---------------------------------------------------------------

    async def start(self, connector: int = 1, amps: float | tuple[float, ...] = 16.0) -> int:
        """A session: StartTransaction, StatusNotification Charging and a first MeterValues with Current.Import."""
        assert self.link is not None, f"{self.cp_id} is not connected"
        self.starting.add(connector)
        try:
            result = await self.link.start_tx(connector, self.tag, meter_start=self.meter_wh)
            assert result.id_tag_info["status"] == "Accepted", f"{self.cp_id}: {result.id_tag_info}"
            tid = result.transaction_id
            self.tx[connector] = tid
            self.rec.session_started(tid, f"{self.cp_id}/{connector}")
        finally:
            self.starting.discard(connector)
        await self.link.status(connector, "Charging")
        await self.meter(connector, amps)
        return tid

    async def meter(self, connector: int = 1, amps: float | tuple[float, ...] = 16.0, watts: float | None = None,
                    power_unit: str = "W") -> None:
        """MeterValues of the running session: Current.Import per phase (one value: the same on three phases), the
        energy register, and Power.Active.Import when `watts` is given (in `power_unit`, W or kW)."""
        assert self.link is not None, f"{self.cp_id} is not connected"
        per_phase = (amps, amps, amps) if isinstance(amps, (int, float)) else tuple(amps)
        self.meter_wh += 100
        sampled = [
            {"value": f"{value:.1f}", "measurand": "Current.Import", "unit": "A", "phase": f"L{n}",
             "context": "Sample.Periodic"}
            for n, value in enumerate(per_phase, start=1)
        ]
        sampled.append({"value": str(self.meter_wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh",
                        "context": "Sample.Periodic"})
        if watts is not None:
            sampled.append({"value": f"{watts:g}", "measurand": "Power.Active.Import", "unit": power_unit,
                            "context": "Sample.Periodic"})
        await self.link.send(
            call.MeterValues(connector_id=connector, transaction_id=self.tx[connector],
                             meter_value=[{"timestamp": iso_now(), "sampledValue": sampled}])
        )

    async def status(self, connector: int, status: str) -> None:
        assert self.link is not None, f"{self.cp_id} is not connected"
        await self.link.status(connector, status)

    async def stop(self, connector: int = 1) -> None:
        """The car is done: it takes nothing from now on; StopTransaction, then the connector is Available."""
        assert self.link is not None, f"{self.cp_id} is not connected"
        tid = self.tx.pop(connector)
        self.rec.session_stopped(tid)
        self.meter_wh += 100
        await self.link.stop_tx(tid, meter_stop=self.meter_wh)
        await self.link.status(connector, "Available")


class SiteLink(Peer):
    """One WebSocket connection of a `SimCharger`. SetChargingProfile is handled in a task of its own, so that the
    connection keeps reading (a TxProfile may come before the answer to the StartTransaction it is about); a TxProfile
    the charger is silent on is read and never answered."""

    def __init__(self, *args, charger: SimCharger, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.charger = charger
        self._requests: dict[str, dict] = {}
        self._tasks: set[asyncio.Task] = set()

    async def route_message(self, raw_msg):
        try:
            frame = json.loads(raw_msg)
        except ValueError:
            frame = None
        if (
            isinstance(frame, list) and len(frame) == 4 and frame[0] == 2 and frame[2] == "SetChargingProfile"
            and isinstance(frame[3], dict)
        ):
            if self.charger.silent_for(frame[3]):
                self.charger.refused.append(("silent", frame[3]))
                return
            self._requests[frame[1]] = frame[3]
            task = asyncio.create_task(self._route_quietly(raw_msg))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        await super().route_message(raw_msg)

    async def _route_quietly(self, raw_msg) -> None:
        with contextlib.suppress(Exception):  # the connection may be gone when the answer is ready
            await super().route_message(raw_msg)

    @on("SetChargingProfile")
    async def on_set_charging_profile(self, connector_id, cs_charging_profiles, call_unique_id, **kwargs):
        request = self._requests.pop(call_unique_id)
        return call_result.SetChargingProfile(status=await self.charger.answer(request))

    @on("ClearChargingProfile")
    def on_clear_charging_profile(self, **kwargs):
        self.charger.cleared.append(kwargs)
        return call_result.ClearChargingProfile(status="Accepted")


def _period_problems(request: dict, rec: SiteRecorder) -> list[str]:
    problems = []
    profile = request["csChargingProfiles"]
    if profile.get("chargingProfileKind") != "Relative":
        problems.append(f"chargingProfileKind {profile.get('chargingProfileKind')!r}, expected Relative")
    schedule = profile.get("chargingSchedule") or {}
    if schedule.get("chargingRateUnit") != rec.unit:
        problems.append(f"chargingRateUnit {schedule.get('chargingRateUnit')!r}, expected the site's {rec.unit!r}")
    periods = schedule.get("chargingSchedulePeriod") or []
    if len(periods) != 1:
        problems.append(f"{len(periods)} periods, expected one")
        return problems
    period = periods[0]
    if period.get("startPeriod") != 0:
        problems.append(f"startPeriod {period.get('startPeriod')!r}, expected 0")
    limit = period.get("limit")
    if not isinstance(limit, (int, float)) or limit < 0 or not in_steps_of_a_tenth(limit):
        problems.append(f"limit {limit!r} is not a number >= 0 in steps of 0.1")
    if rec.unit == "A" and period.get("numberPhases") != rec.phases:
        problems.append(f"numberPhases {period.get('numberPhases')!r}, expected the site's {rec.phases}")
    if rec.unit == "W" and period.get("numberPhases") not in (None, rec.phases):
        problems.append(f"numberPhases {period.get('numberPhases')!r} on a W site of {rec.phases} phases")
    return problems


def tx_profile_problems(request: dict, rec: SiteRecorder) -> list[str]:
    problems = _period_problems(request, rec)
    connector = request.get("connectorId")
    profile = request["csChargingProfiles"]
    if not isinstance(connector, int) or connector < 1:
        problems.append(f"a TxProfile on connector {connector!r}")
    elif profile.get("chargingProfileId") != TX_PROFILE_ID + connector:
        problems.append(f"chargingProfileId {profile.get('chargingProfileId')!r}, expected {TX_PROFILE_ID + connector}")
    if profile.get("stackLevel") != 1:
        problems.append(f"stackLevel {profile.get('stackLevel')!r}, expected 1 (above the fallback's 0)")
    valid_to = profile.get("validTo")
    if not isinstance(valid_to, str):
        problems.append("no validTo")
    else:
        ahead = (parse_time(valid_to) - utc_now()).total_seconds()
        if not 120 <= ahead <= 600:
            problems.append(f"validTo {valid_to} is {ahead:.0f}s ahead, expected about 5 minutes")
    periods = (profile.get("chargingSchedule") or {}).get("chargingSchedulePeriod") or [{}]
    limit = periods[0].get("limit")
    if isinstance(limit, (int, float)) and limit > rec.limit + EPS:
        problems.append(f"limit {limit} above the site's limit {rec.limit:g}")
    return problems


def fallback_problems(request: dict, rec: SiteRecorder) -> list[str]:
    problems = _period_problems(request, rec)
    profile = request["csChargingProfiles"]
    if request.get("connectorId") != 0:
        problems.append(f"the fallback on connector {request.get('connectorId')!r}, expected 0")
    if profile.get("chargingProfileId") != FALLBACK_PROFILE_ID:
        problems.append(f"chargingProfileId {profile.get('chargingProfileId')!r}, expected {FALLBACK_PROFILE_ID}")
    if profile.get("stackLevel") != 0:
        problems.append(f"stackLevel {profile.get('stackLevel')!r}, expected 0 (below ocppd's TxProfiles)")
    if "transactionId" in profile:
        problems.append("a TxDefaultProfile with a transactionId")
    return problems


# ---------------------------------------------------------------------------------------------
# Sites over REST
# ---------------------------------------------------------------------------------------------


def make_site(ocppd: Ocppd, site_id: str, cp_ids: list[str], **settings) -> tuple[SiteRecorder, list[SimCharger]]:
    """Creates the site, puts the stations on it (before they ever connect) and gives each a tag of its own."""
    resp = ocppd.put(f"/api/sites/{quote_id(site_id)}", json=settings)
    assert resp.status_code == 201, f"PUT site {site_id}: {resp.status_code} {resp.text[:300]}"
    rec = SiteRecorder(settings["limit"], settings["unit"], settings.get("phases", 3))
    chargers = []
    for cp_id in cp_ids:
        joined = ocppd.put(f"/api/stations/{quote_id(cp_id)}", json={"siteId": site_id})
        assert joined.status_code in (200, 201), f"PUT station {cp_id}: {joined.status_code} {joined.text[:300]}"
        tag = f"T-{cp_id}"[:20]
        ocppd.create_tag(tag)
        chargers.append(SimCharger(cp_id, rec, tag))
    return rec, chargers


def get_site(ocppd: Ocppd, site_id: str) -> dict:
    resp = ocppd.get(f"/api/sites/{quote_id(site_id)}")
    assert resp.status_code == 200, f"GET site {site_id}: {resp.status_code} {resp.text[:300]}"
    return resp.json()


def allocations_of(site: dict) -> dict[tuple[str, int, int], float]:
    return {(a["cpId"], a["connectorId"], a["transactionId"]): a["limit"] for a in site["allocations"]}


def site_shows(ocppd: Ocppd, site_id: str, expected: dict[tuple[str, int, int], float]) -> dict | None:
    """The site when its allocations are exactly `expected` (and `allocated` their sum), else None."""
    site = get_site(ocppd, site_id)
    got = allocations_of(site)
    if set(got) != set(expected) or not all(same(got[k], v) for k, v in expected.items()):
        return None
    if not same(site["allocated"], sum(expected.values())):
        return None
    return site


async def wait_site_shows(ocppd: Ocppd, site_id: str, expected: dict[tuple[str, int, int], float]) -> dict:
    return await async_wait_until(
        lambda: site_shows(ocppd, site_id, expected), timeout=10, what=f"site {site_id} to show allocations {expected}"
    )


async def online(stack: contextlib.AsyncExitStack, ocppd: Ocppd, *chargers: SimCharger, boot: bool = True) -> None:
    for charger in chargers:
        await stack.enter_async_context(charger.online(ocppd, boot=boot))


async def fallbacks_are(rec: SiteRecorder, chargers: list[SimCharger], limit: float) -> None:
    await rec.until(lambda: all(same(c.fallback(), limit) for c in chargers),
                    f"a fallback TxDefaultProfile at {limit:g} on {chargers}")


# ---------------------------------------------------------------------------------------------
# 1. Sites and stations over REST
# ---------------------------------------------------------------------------------------------


def test_sites_are_created_changed_listed_and_removed_and_stations_join_and_leave(ocppd):
    listed = ocppd.get("/api/sites")
    assert listed.status_code == 200 and listed.json() == [] and total_count(listed) == 0

    created = ocppd.put("/api/sites/S-CRUD", json={"limit": 32, "unit": "A"})
    assert created.status_code == 201, created.text
    site = created.json()
    assert {k: site[k] for k in ("siteId", "limit", "unit", "phases", "voltage", "minPerConnector", "description",
                                 "stations", "allocations", "allocated")} == {
        "siteId": "S-CRUD", "limit": 32, "unit": "A", "phases": 3, "voltage": 230, "minPerConnector": 6,
        "description": None, "stations": [], "allocations": [], "allocated": 0,
    }
    assert "fallbackLimit" in site

    # W sites: the minimum defaults to 6 A at the site's voltage on its phases.
    watt = ocppd.put("/api/sites/S-WATT", json={"limit": 22000, "unit": "W", "phases": 1, "description": "car park"})
    assert watt.status_code == 201, watt.text
    assert (watt.json()["phases"], watt.json()["voltage"], watt.json()["minPerConnector"]) == (1, 230, 1380)
    assert watt.json()["description"] == "car park"
    changed = ocppd.put("/api/sites/S-WATT", json={"limit": 50000, "unit": "W", "voltage": 400})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["limit"], changed.json()["phases"], changed.json()["minPerConnector"]) == (50000, 3, 7200)

    explicit = ocppd.put("/api/sites/S-EXPL", json={
        "limit": 100, "unit": "A", "phases": 1, "voltage": 240, "minPerConnector": 8, "fallbackLimit": 12.5,
        "description": "workshop"})
    assert explicit.status_code == 201, explicit.text
    assert {k: explicit.json()[k] for k in ("limit", "unit", "phases", "voltage", "minPerConnector", "fallbackLimit",
                                            "description")} == {
        "limit": 100, "unit": "A", "phases": 1, "voltage": 240, "minPerConnector": 8, "fallbackLimit": 12.5,
        "description": "workshop"}

    # Invalid bodies: 400 naming the field; neither the existing site nor a new one changes.
    before = get_site(ocppd, "S-CRUD")
    bad = [
        ({"unit": "A"}, "limit"),
        ({"limit": 32}, "unit"),
        ({"limit": 32, "unit": "kW"}, "unit"),
        ({"limit": 0, "unit": "A"}, "limit"),
        ({"limit": -5, "unit": "A"}, "limit"),
        ({"limit": "32", "unit": "A"}, "limit"),
        ({"limit": 32, "unit": "A", "phases": 2}, "phases"),
        ({"limit": 32, "unit": "A", "voltage": 0}, "voltage"),
        ({"limit": 32, "unit": "A", "minPerConnector": -1}, "minPerConnector"),
        ({"limit": 32, "unit": "A", "fallbackLimit": -1}, "fallbackLimit"),
        ({"limit": 1e193, "unit": "W"}, "limit"),
        ({"limit": 32, "unit": "A", "voltage": 7e307}, "voltage"),
    ]
    for body, field in bad:
        assert_problem(ocppd.put("/api/sites/S-CRUD", json=body), 400, mentions=field)
        assert_problem(ocppd.put("/api/sites/S-NEW", json=body), 400, mentions=field)
    assert get_site(ocppd, "S-CRUD") == before
    assert_problem(ocppd.get("/api/sites/S-NEW"), 404)
    assert_problem(ocppd.get("/api/sites/NOPE"), 404)
    assert_problem(ocppd.delete("/api/sites/NOPE"), 404)

    # Stations join: one pre-registered that never connected (it counts as one connector) ...
    joined = ocppd.put("/api/stations/CRUD-1", json={"siteId": "S-CRUD"})
    assert joined.status_code in (200, 201), joined.text
    assert joined.json()["siteId"] == "S-CRUD"
    assert ocppd.station("CRUD-1")["siteId"] == "S-CRUD"
    # A site that does not exist is not found (the body itself is valid), and nothing is created.
    assert_problem(ocppd.put("/api/stations/CRUD-X", json={"siteId": "NOPE"}), 404, mentions="siteId")
    assert ocppd.station("CRUD-X") is None, "a refused PUT must not create the station"
    assert ocppd.put("/api/stations/CRUD-1", json={"description": "bay 1"}).status_code == 200
    assert ocppd.station("CRUD-1")["siteId"] == "S-CRUD", "a PUT without siteId keeps the station's site"
    assert get_site(ocppd, "S-CRUD")["fallbackLimit"] == 32

    # ... and one with two connectors that joins while connected: it gets its fallback at once, and again with every
    # change of the site.
    rec = SiteRecorder(32, "A", 3)
    two = SimCharger("CRUD-2", rec, "T-CRUD-2")

    async def scenario():
        async with two.online(ocppd):
            await two.status(1, "Available")
            await two.status(2, "Available")
            await async_wait_until(
                lambda: {c["connectorId"] for c in ocppd.station("CRUD-2")["connectors"]} >= {1, 2},
                what="CRUD-2's two connectors",
            )
            resp = await ocppd.aapi("PUT", "/api/stations/CRUD-2", json={"siteId": "S-CRUD"})
            assert resp.status_code == 200 and resp.json()["siteId"] == "S-CRUD", resp.text
            # 32 A over 1 + 2 connectors, down to a tenth.
            await fallbacks_are(rec, [two], 10.6)
            site = (await ocppd.aapi("GET", "/api/sites/S-CRUD")).json()
            assert sorted(site["stations"]) == ["CRUD-1", "CRUD-2"] and site["fallbackLimit"] == 10.6

            rec.limit = 30
            resp = await ocppd.aapi("PUT", "/api/sites/S-CRUD", json={"limit": 30, "unit": "A", "description": "garage"})
            assert resp.status_code == 200, resp.text
            assert resp.json()["description"] == "garage" and resp.json()["fallbackLimit"] == 10.0
            await fallbacks_are(rec, [two], 10.0)

            resp = await ocppd.aapi("PUT", "/api/stations/CRUD-2", json={"siteId": None})
            assert resp.status_code == 200 and resp.json()["siteId"] is None, resp.text

    run(scenario())
    rec.assert_clean()
    assert ocppd.station("CRUD-2")["siteId"] is None
    site = get_site(ocppd, "S-CRUD")
    assert site["stations"] == ["CRUD-1"] and site["fallbackLimit"] == 30

    listed = ocppd.get("/api/sites")
    assert listed.status_code == 200 and total_count(listed) == 3
    assert sorted(s["siteId"] for s in listed.json()) == ["S-CRUD", "S-EXPL", "S-WATT"]

    removed = ocppd.delete("/api/sites/S-CRUD")
    assert removed.status_code == 200, removed.text
    assert removed.json()["siteId"] == "S-CRUD" and removed.json()["stations"] == ["CRUD-1"]
    assert removed.json()["limit"] == 30 and removed.json()["description"] == "garage"
    assert_problem(ocppd.get("/api/sites/S-CRUD"), 404)
    assert ocppd.station("CRUD-1")["siteId"] is None, "the stations of a removed site leave it"
    assert sorted(s["siteId"] for s in ocppd.get("/api/sites").json()) == ["S-EXPL", "S-WATT"]


def test_a_station_that_leaves_its_site_has_ocppds_fallback_cleared_now_or_at_its_next_connection(ocppd):
    rec, (station,) = make_site(ocppd, "S-LEAVE", ["LEAVE-1"], limit=20, unit="A")

    def fallback_clears() -> list[dict]:
        return [c for c in station.cleared if c.get("id") == 899999]

    async def put_site(site_id: str | None) -> None:
        resp = await ocppd.aapi("PUT", "/api/stations/LEAVE-1", json={"siteId": site_id})
        assert resp.status_code == 200 and resp.json()["siteId"] == site_id, resp.text

    async def scenario():
        # Connected: it leaves and its fallback is cleared at once.
        async with station.online(ocppd):
            await fallbacks_are(rec, [station], 20)
            await put_site(None)
            await rec.until(lambda: len(fallback_clears()) == 1, "ocppd's fallback cleared on the station that left")
            await put_site("S-LEAVE")
            await rec.until(lambda: len(station.fallbacks) == 2, "the fallback again on joining again")
        # Away when it leaves: nothing can be sent now; the fallback is cleared when it is back (without a boot).
        await put_site(None)
        async with station.online(ocppd, boot=False):
            await rec.until(lambda: len(fallback_clears()) == 2, "the fallback cleared at the next connection")
        # Once: the next connection clears nothing.
        async with station.online(ocppd, boot=False):
            await asyncio.sleep(1.5)
        assert len(fallback_clears()) == 2, station.cleared
        # Away, it leaves and joins again: the site's fallback is sent at its connection, and nothing is cleared.
        async with station.online(ocppd):
            await put_site("S-LEAVE")
            await rec.until(lambda: len(station.fallbacks) == 3, "the fallback on joining again")
        await put_site(None)
        await put_site("S-LEAVE")
        async with station.online(ocppd, boot=False):
            await rec.until(lambda: len(station.fallbacks) == 4, "the fallback at the next connection")
            await asyncio.sleep(1)
        assert len(fallback_clears()) == 2, station.cleared
        # A removed site: its stations leave it; one that is away is cleared when it is back.
        assert (await ocppd.aapi("DELETE", "/api/sites/S-LEAVE")).status_code == 200
        async with station.online(ocppd, boot=False):
            await rec.until(lambda: len(fallback_clears()) == 3, "the fallback cleared after its site was removed")

    run(scenario())
    rec.assert_clean()


# ---------------------------------------------------------------------------------------------
# 2. The scenario: 32 A, three sessions
# ---------------------------------------------------------------------------------------------


def test_three_sessions_share_32_amperes_and_the_limits_in_force_never_sum_above_it(ocppd):
    rec, (a, b, c) = make_site(ocppd, "SITE-32", ["S32-A", "S32-B", "S32-C"], limit=32, unit="A")

    async def scenario():
        async with contextlib.AsyncExitStack() as stack:
            await online(stack, ocppd, a, b, c)
            # 32 A over three single-connector stations.
            await fallbacks_are(rec, [a, b, c], 10.6)

            ta = await a.start(amps=15.0)
            await rec.reach({ta: 32})
            tb = await b.start(amps=14.0)
            await rec.reach({ta: 16, tb: 16})
            tc = await c.start(amps=13.0)
            await rec.reach({ta: 10.6, tb: 10.6, tc: 10.6})
            site = await wait_site_shows(ocppd, "SITE-32", {a.key(): 10.6, b.key(): 10.6, c.key(): 10.6})
            assert site["allocated"] == pytest.approx(31.8)
            assert sorted(site["stations"]) == ["S32-A", "S32-B", "S32-C"]

            # One session ends: the two others share the site.
            await b.stop()
            await rec.reach({ta: 16, tc: 16})
            await wait_site_shows(ocppd, "SITE-32", {a.key(): 16, c.key(): 16})

    run(scenario())
    rec.assert_clean()
    assert rec.peak <= 32 + EPS
    # Every session got its own TxProfile: none ran on its station's fallback alone.
    limited = {e["transactionId"] for e in rec.log if e["purpose"] == "TxProfile"}
    assert len(limited) == 3


# ---------------------------------------------------------------------------------------------
# 3. Below the minimum, a session waits at 0
# ---------------------------------------------------------------------------------------------


def test_a_session_that_would_get_less_than_the_minimum_waits_at_0_and_starts_when_one_stops(ocppd):
    rec, (a, b, c, d) = make_site(
        ocppd, "SITE-MIN", ["MIN-A", "MIN-B", "MIN-C", "MIN-D"], limit=20, unit="A", minPerConnector=6
    )

    async def scenario():
        async with contextlib.AsyncExitStack() as stack:
            await online(stack, ocppd, a, b, c, d)
            await fallbacks_are(rec, [a, b, c, d], 5.0)
            ta = await a.start()
            await rec.reach({ta: 20})
            tb = await b.start()
            await rec.reach({ta: 10, tb: 10})
            tc = await c.start()
            await rec.reach({ta: 6.6, tb: 6.6, tc: 6.6})
            # A fourth would leave each less than 6 A: it waits, at 0, and the three keep their shares.
            td = await d.start()
            await rec.reach({ta: 6.6, tb: 6.6, tc: 6.6, td: 0})
            site = await wait_site_shows(ocppd, "SITE-MIN", {a.key(): 6.6, b.key(): 6.6, c.key(): 6.6, d.key(): 0})
            assert site["minPerConnector"] == 6

            # The first one ends: the waiting one gets its share.
            await a.stop()
            await rec.reach({tb: 6.6, tc: 6.6, td: 6.6})
            await wait_site_shows(ocppd, "SITE-MIN", {b.key(): 6.6, c.key(): 6.6, d.key(): 6.6})

    run(scenario())
    rec.assert_clean()


# ---------------------------------------------------------------------------------------------
# 4. A charger that refuses, or does not answer
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("refusal", ["Rejected", "silent"])
def test_a_charger_that_refuses_or_does_not_answer_keeps_its_last_accepted_limit_in_the_sum(ocppd_factory, refusal):
    ocppd = ocppd_factory("--call-timeout", "2")
    site_id = f"SITE-{refusal.upper()}"
    # fallbackLimit 0: a session takes nothing until ocppd gives it a share, so any room ocppd finds is visible.
    rec, (r, b, c) = make_site(
        ocppd, site_id, [f"{refusal[:3].upper()}-R", f"{refusal[:3].upper()}-B", f"{refusal[:3].upper()}-C"],
        limit=32, unit="A", fallbackLimit=0,
    )

    async def scenario():
        async with contextlib.AsyncExitStack() as stack:
            await online(stack, ocppd, r, b, c)
            await fallbacks_are(rec, [r, b, c], 0)
            assert get_site(ocppd, site_id)["fallbackLimit"] == 0
            tr = await r.start()
            await rec.reach({tr: 32})
            tb = await b.start()
            await rec.reach({tr: 16, tb: 16})

            # From now on R refuses its TxProfiles: its 16 stays in force, and the third session gets only the room
            # that leaves (32 - 16 - 10.6).
            r.refuse[1] = refusal
            tc = await c.start()
            await rec.reach({tb: 10.6})
            await rec.until(lambda: r.refused, "ocppd to try to lower R")
            await rec.reach({tc: 5.4}, timeout=15)
            assert same(rec.latest(tr), 16)
            await wait_site_shows(ocppd, site_id, {r.key(): 16, b.key(): 10.6, c.key(): 5.4})

            # R accepts again: at the next look at the site it is lowered, and then the third session raised.
            r.refuse.clear()
            await r.status(1, "Charging")
            await rec.reach({tr: 10.6, tb: 10.6, tc: 10.6}, timeout=20)
            await wait_site_shows(ocppd, site_id, {r.key(): 10.6, b.key(): 10.6, c.key(): 10.6})
            return tr

    tr = run(scenario())
    rec.assert_clean()
    assert rec.peak <= 32 + EPS
    assert all(how == refusal for how, _ in r.refused)

    # The command log has every try, with the charger's answer or the timeout.
    log = ocppd.get(f"/api/commands?cpId={quote_id(r.cp_id)}&limit=1000")
    assert log.status_code == 200, log.text
    tries = [
        entry for entry in log.json()
        if entry["action"] == "SetChargingProfile"
        and entry["request"]["csChargingProfiles"].get("transactionId") == tr
        and same(entry["request"]["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"], 10.6)
    ]
    refused = [e for e in tries if e["response"] != {"status": "Accepted"}]
    assert refused, f"no refused SetChargingProfile of R in the command log: {tries}"
    if refusal == "Rejected":
        assert all(e["response"] == {"status": "Rejected"} for e in refused), refused
    else:
        assert all(e["response"] is None and e["error"] for e in refused), refused
    assert any(e["response"] == {"status": "Accepted"} for e in tries), "R's accepted 10.6 is not in the log"


# ---------------------------------------------------------------------------------------------
# 5. The site's limit lowered (and raised) at run time
# ---------------------------------------------------------------------------------------------


def test_a_site_limit_lowered_at_run_time_lowers_the_sessions_first(ocppd):
    # A fourth station that never connects: the fallback is 32 / 4 = 8, no session's share.
    rec, (a, b, c, _) = make_site(ocppd, "SITE-LOW", ["LOW-A", "LOW-B", "LOW-C", "LOW-D"], limit=32, unit="A")

    async def put_limit(limit: float) -> dict:
        rec.limit = limit  # from now on, nothing may raise the sum while it is above the new limit
        resp = await ocppd.aapi("PUT", "/api/sites/SITE-LOW", json={"limit": limit, "unit": "A"})
        assert resp.status_code == 200, resp.text
        return resp.json()

    async def scenario():
        async with contextlib.AsyncExitStack() as stack:
            await online(stack, ocppd, a, b, c)
            await fallbacks_are(rec, [a, b, c], 8.0)
            ta = await a.start()
            await rec.reach({ta: 32})
            tb = await b.start()
            await rec.reach({ta: 16, tb: 16})
            tc = await c.start()
            await rec.reach({ta: 10.6, tb: 10.6, tc: 10.6})

            # 15 A: room for two at 7.5; the third, the last to start, waits at 0.
            changed = len(rec.log)
            await put_limit(15)
            await rec.reach({ta: 7.5, tb: 7.5, tc: 0})
            assert rec.raises_since(changed) == [], f"a raise while the site went down to 15 A: {rec.log[changed:]}"
            await fallbacks_are(rec, [a, b, c], 3.7)
            await wait_site_shows(ocppd, "SITE-LOW", {a.key(): 7.5, b.key(): 7.5, c.key(): 0})

            # 20 A: the two are lowered to 6.6 before the third is raised to 6.6.
            changed = len(rec.log)
            await put_limit(20)
            await rec.reach({ta: 6.6, tb: 6.6, tc: 6.6})
            tx_entries = [(i, e) for i, e in enumerate(rec.log) if i >= changed and e["purpose"] == "TxProfile"]
            lowered = [i for i, e in tx_entries if e["transactionId"] in (ta, tb) and same(e["limit"], 6.6)]
            raised = [i for i, e in tx_entries if e["transactionId"] == tc and same(e["limit"], 6.6)]
            assert len(lowered) >= 2 and raised and max(lowered) < min(raised), f"not lower-then-raise: {tx_entries}"
            await fallbacks_are(rec, [a, b, c], 5.0)
            site = await wait_site_shows(ocppd, "SITE-LOW", {a.key(): 6.6, b.key(): 6.6, c.key(): 6.6})
            assert site["limit"] == 20 and site["allocated"] == pytest.approx(19.8)

    run(scenario())
    rec.assert_clean()


# ---------------------------------------------------------------------------------------------
# 6. ocppd restarted mid-run
# ---------------------------------------------------------------------------------------------


def test_after_a_restart_ocppd_keeps_the_accepted_limits_in_force_and_lowers_before_it_raises(ocppd):
    rec, (a, b, c) = make_site(ocppd, "SITE-RST", ["RST-A", "RST-B", "RST-C"], limit=32, unit="A")

    async def before_the_crash():
        async with contextlib.AsyncExitStack() as stack:
            await online(stack, ocppd, a, b, c)
            await fallbacks_are(rec, [a, b, c], 10.6)
            ta = await a.start()
            await rec.reach({ta: 32})
            tb = await b.start()
            await rec.reach({ta: 16, tb: 16})
            await wait_site_shows(ocppd, "SITE-RST", {a.key(): 16, b.key(): 16})
            # The power cut, while every charger is connected and A and B charge at 16 A each.
            ocppd.kill()
            return ta, tb

    ta, tb = run(before_the_crash())
    ocppd.start()
    # What the chargers accepted is still in force.
    site = get_site(ocppd, "SITE-RST")
    assert allocations_of(site) == {a.key(): 16, b.key(): 16}, site
    assert site["allocated"] == pytest.approx(32)

    async def after_the_restart():
        # C is back first and starts a session while A and B (still charging at 16 A) have not reconnected yet:
        # there is no room for it.
        async with c.online(ocppd, boot=False):
            await c.status(1, "Available")
            tc = await c.start()
            await rec.until(lambda: rec.latest(tc) is not None, "C's first TxProfile")
            assert same(rec.latest(tc), 0), f"C got {rec.latest(tc)} while A and B hold 16 A each"
            await wait_site_shows(ocppd, "SITE-RST", {a.key(): 16, b.key(): 16, c.key(): 0})
            # A and B reconnect: they are lowered before C is raised.
            async with a.online(ocppd, boot=False), b.online(ocppd, boot=False):
                await a.status(1, "Charging")
                await b.status(1, "Charging")
                await rec.reach({ta: 10.6, tb: 10.6, tc: 10.6}, timeout=15)
                await wait_site_shows(ocppd, "SITE-RST", {a.key(): 10.6, b.key(): 10.6, c.key(): 10.6})

    run(after_the_restart())
    rec.assert_clean()
    assert rec.peak <= 32 + EPS


# ---------------------------------------------------------------------------------------------
# 7. Events and the command log
# ---------------------------------------------------------------------------------------------


def test_site_allocation_events_and_the_command_log_carry_every_change(ocppd):
    # C never connects: the fallback is 32 / 3 = 10.6, no session's share.
    rec, (a, b, _) = make_site(ocppd, "SITE-EV", ["EV-A", "EV-B", "EV-C"], limit=32, unit="A")
    events: list[dict] = []

    def state(event: dict) -> dict[tuple[str, int, int], float]:
        return {(x["cpId"], x["connectorId"], x["transactionId"]): x["limit"] for x in event["allocations"]}

    def states_match(expected: dict) -> bool:
        return bool(events) and set(state(events[-1])) == set(expected) and all(
            same(state(events[-1])[k], v) for k, v in expected.items())

    async def scenario():
        stream = await SseStream.open(ocppd, "/api/events")
        assert stream.status == 200

        async def collect():
            while True:
                with contextlib.suppress(asyncio.TimeoutError):
                    name, data = await stream.next_event(timeout=60)
                    if name == "site.allocation":
                        events.append(data)

        reader = asyncio.create_task(collect())
        try:
            async with contextlib.AsyncExitStack() as stack:
                await online(stack, ocppd, a, b)
                await fallbacks_are(rec, [a, b], 10.6)
                ta = await a.start()
                await rec.reach({ta: 32})
                first = {a.key(): 32}
                await rec.until(lambda: states_match(first), f"a site.allocation event with {first}")
                tb = await b.start()
                await rec.reach({ta: 16, tb: 16})
                second = {a.key(): 16, b.key(): 16}
                await rec.until(lambda: states_match(second), f"a site.allocation event with {second}")
                await a.stop()
                await rec.reach({tb: 32})
                third = {b.key(): 32}
                await rec.until(lambda: states_match(third), f"a site.allocation event with {third}")
                return first, second, third
        finally:
            reader.cancel()
            # Closed first: Python 3.11's wait_for can swallow a cancellation that meets an arriving event, and the
            # reader would then wait out its 60 s; on a closed stream it ends (EOFError) at once.
            await stream.close()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    first, second, third = run(scenario())
    rec.assert_clean()

    for event in events:
        assert event["type"] == "site.allocation" and event["cpId"] is None and event["siteId"] == "SITE-EV", event
        assert_utc(event["at"])
        for allocation in event["allocations"]:
            assert set(allocation) >= {"cpId", "connectorId", "transactionId", "limit", "measured"}, allocation
        assert event["allocated"] == pytest.approx(sum(x["limit"] for x in event["allocations"]))
    # The three states, in this order (other events may come between them).
    seen = [state(e) for e in events]
    wanted = [first, second, third]
    for s in seen:
        if wanted and set(s) == set(wanted[0]) and all(same(s[k], v) for k, v in wanted[0].items()):
            wanted.pop(0)
    assert not wanted, f"no site.allocation events with {wanted} in this order: {seen}"

    # Every profile a charger accepted is in the command log, as it was sent, with the charger's answer.
    for charger in (a, b):
        log = ocppd.get(f"/api/commands?cpId={quote_id(charger.cp_id)}&limit=1000")
        assert log.status_code == 200, log.text
        logged = [
            (e["request"], e["response"]) for e in log.json() if e["action"] == "SetChargingProfile"
        ]
        accepted = [e for e in rec.log if e["cpId"] == charger.cp_id]
        assert {e["purpose"] for e in accepted} == {"TxDefaultProfile", "TxProfile"}
        for entry in accepted:
            request = {"connectorId": entry["connectorId"], "csChargingProfiles": entry["profile"]}
            assert (request, {"status": "Accepted"}) in logged, f"not in the command log of {charger.cp_id}: {request}"


# ---------------------------------------------------------------------------------------------
# More of the contract: paused and finishing sessions, W sites, measured draw
# ---------------------------------------------------------------------------------------------


def test_a_paused_session_keeps_the_minimum_and_a_finishing_one_gets_nothing(ocppd):
    rec, (a, b, _) = make_site(ocppd, "SITE-PAUSE", ["PAU-A", "PAU-B", "PAU-C"], limit=32, unit="A")

    async def scenario():
        async with contextlib.AsyncExitStack() as stack:
            await online(stack, ocppd, a, b)
            ta = await a.start()
            await rec.reach({ta: 32})
            tb = await b.start()
            await rec.reach({ta: 16, tb: 16})
            # B's car pauses: it keeps the minimum, A gets the rest.
            await b.status(1, "SuspendedEV")
            await rec.reach({ta: 26, tb: 6})
            await wait_site_shows(ocppd, "SITE-PAUSE", {a.key(): 26, b.key(): 6})
            await b.status(1, "Charging")
            await rec.reach({ta: 16, tb: 16})
            # B finishes: nothing for it, everything for A.
            await b.status(1, "Finishing")
            await rec.reach({ta: 32, tb: 0})
            await b.stop()
            await wait_site_shows(ocppd, "SITE-PAUSE", {a.key(): 32})

    run(scenario())
    rec.assert_clean()
    assert rec.peak <= 32 + EPS


def test_a_watt_site_shares_watts_and_shows_the_measured_power(ocppd):
    # A third station that never connects: the fallback is 11000 / 3 = 3666.6 W, no session's share.
    rec, (a, b, _) = make_site(ocppd, "SITE-W", ["W-A", "W-B", "W-C"], limit=11000, unit="W")

    async def scenario():
        async with contextlib.AsyncExitStack() as stack:
            await online(stack, ocppd, a, b)
            await fallbacks_are(rec, [a, b], 3666.6)
            ta = await a.start()
            await rec.reach({ta: 11000})
            tb = await b.start()
            await rec.reach({ta: 5500, tb: 5500})
            site = await wait_site_shows(ocppd, "SITE-W", {a.key(): 5500, b.key(): 5500})
            assert site["unit"] == "W" and site["minPerConnector"] == 4140

            # What each car draws, as it reports it: W on a W site (kW converted).
            await a.meter(amps=7.0, watts=4.8, power_unit="kW")
            await b.meter(amps=7.0, watts=5100)

            def measured():
                shown = {x["cpId"]: x["measured"] for x in get_site(ocppd, "SITE-W")["allocations"]}
                return shown if same(shown.get("W-A"), 4800) and same(shown.get("W-B"), 5100) else None

            await async_wait_until(measured, timeout=20, what="the site to show each session's measured power")

    run(scenario())
    rec.assert_clean()


def test_the_site_shows_the_last_measured_current_of_each_session(ocppd):
    rec, (a, b, _) = make_site(ocppd, "SITE-MEAS", ["MEA-A", "MEA-B", "MEA-C"], limit=32, unit="A")

    def measured() -> dict[str, float | None]:
        return {x["cpId"]: x["measured"] for x in get_site(ocppd, "SITE-MEAS")["allocations"]}

    async def scenario():
        async with contextlib.AsyncExitStack() as stack:
            await online(stack, ocppd, a, b)
            ta = await a.start(amps=(9.5, 9.8, 9.6))
            tb = await b.start(amps=(12.0, 12.1, 11.9))
            await rec.reach({ta: 16, tb: 16})
            # The highest phase's Current.Import, as last reported.
            await async_wait_until(lambda: (m := measured()) and same(m.get("MEA-A"), 9.8) and same(m.get("MEA-B"), 12.1),
                                   timeout=20, what="the measured currents 9.8 and 12.1")
            await a.meter(amps=(14.2, 14.0, 13.9))
            await async_wait_until(lambda: same(measured().get("MEA-A"), 14.2), timeout=20,
                                   what="A's newly measured 14.2")

    run(scenario())
    rec.assert_clean()


# ---------------------------------------------------------------------------------------------
# ocppctl sites
# ---------------------------------------------------------------------------------------------


def test_ocppctl_sets_lists_shows_and_removes_sites_and_puts_stations_on_them(ocppd, tmp_path):
    from test_ocppctl import NOT_FOUND, OK, USAGE, ctl

    made = ctl(ocppd, tmp_path, "sites", "set", "YARD", "--limit", "63", "--unit", "A", "--description", "main fuse")
    assert made.returncode == OK, made.stderr
    assert "YARD" in made.stdout and "63 A" in made.stdout
    assert get_site(ocppd, "YARD")["limit"] == 63 and get_site(ocppd, "YARD")["description"] == "main fuse"
    joined = ctl(ocppd, tmp_path, "stations", "set", "CTL-1", "--site", "YARD")
    assert joined.returncode == OK, joined.stderr
    assert ocppd.station("CTL-1")["siteId"] == "YARD" and "YARD" in joined.stdout
    listed = ctl(ocppd, tmp_path, "sites", "list")
    assert listed.returncode == OK and "YARD" in listed.stdout and "CTL-1" in listed.stdout, listed.stdout
    as_json = ctl(ocppd, tmp_path, "-o", "json", "sites", "list")
    assert json.loads(as_json.stdout) == ocppd.get("/api/sites").json()
    shown = ctl(ocppd, tmp_path, "sites", "show", "YARD")
    assert shown.returncode == OK and "Fallback per station" in shown.stdout and "63 A" in shown.stdout, shown.stdout
    # Errors: the unit is required; an unknown site is not found, for a station too.
    assert ctl(ocppd, tmp_path, "sites", "set", "YARD", "--limit", "63").returncode == USAGE
    assert ctl(ocppd, tmp_path, "sites", "set", "YARD", "--limit", "-1", "--unit", "A").returncode == USAGE
    assert ctl(ocppd, tmp_path, "sites", "show", "NOPE").returncode == NOT_FOUND
    assert ctl(ocppd, tmp_path, "stations", "set", "CTL-1", "--site", "NOPE").returncode == NOT_FOUND
    left = ctl(ocppd, tmp_path, "stations", "set", "CTL-1", "--site", "")
    assert left.returncode == OK and ocppd.station("CTL-1")["siteId"] is None
    removed = ctl(ocppd, tmp_path, "sites", "rm", "YARD")
    assert removed.returncode == OK and ocppd.get("/api/sites/YARD").status_code == 404
    assert ctl(ocppd, tmp_path, "sites", "rm", "YARD").returncode == NOT_FOUND


def test_top_shows_each_sites_shares_live_in_a_real_terminal(ocppd, tmp_path):
    from test_top import Pane

    rec, (a, b) = make_site(ocppd, "TOP-SITE", ["TS-A", "TS-B"], limit=32, unit="A", fallbackLimit=8)
    pane = Pane(ocppd, tmp_path, columns=100, rows=30)
    try:
        pane.wait_for("live")
        pane.keys("S")
        pane.wait_for("site TOP-SITE  0 of 32 A allocated")

        async def scenario():
            async with contextlib.AsyncExitStack() as stack:
                await online(stack, ocppd, a, b)
                ta = await a.start(amps=12.0)
                await rec.reach({ta: 32})
                await asyncio.to_thread(pane.wait_for, "32 of 32 A allocated")
                tb = await b.start(amps=12.0)
                await rec.reach({ta: 16, tb: 16})
                # Pushed by site.allocation events: both shares, each half the bar.
                screen = await asyncio.to_thread(pane.wait_for, "TS-B/1")
                for line in screen.splitlines():
                    if line.startswith(("  TS-A/1", "  TS-B/1")):
                        assert " 16 A" in line and line.count("█") + line.count("▒") == 20, line
                await b.stop()
                await rec.reach({ta: 32})
                await async_wait_until(
                    lambda: "TS-B/1" not in pane.screen() and "32 of 32 A allocated" in pane.screen(), timeout=10,
                    what="the stopped session gone from the sites pane")
                # Changes of the sites themselves show without a reconnect: a new limit, a new site in watts, a
                # removed one.
                rec.limit = 40
                resp = await ocppd.aapi("PUT", "/api/sites/TOP-SITE", json={"limit": 40, "unit": "A", "fallbackLimit": 8})
                assert resp.status_code == 200, resp.text
                await asyncio.to_thread(pane.wait_for, "site TOP-SITE  40 of 40 A allocated")
                resp = await ocppd.aapi("PUT", "/api/sites/TOP-W", json={"limit": 22000, "unit": "W"})
                assert resp.status_code == 201, resp.text
                await asyncio.to_thread(pane.wait_for, "site TOP-W  0 of 22000 W allocated")
                assert (await ocppd.aapi("DELETE", "/api/sites/TOP-W")).status_code == 200
                await async_wait_until(lambda: "TOP-W" not in pane.screen(), timeout=10, what="a removed site gone")

        run(scenario())
        pane.keys("S")
        wait_until(lambda: "site TOP-SITE" not in pane.screen(), timeout=5, what="S to hide the sites pane")
    finally:
        pane.close()
