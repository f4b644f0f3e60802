"""MariaDB going away under load: ocppd retries inside, acknowledges only what is committed, keeps the
charge points' WebSockets, says 503 on /readyz while the database is down and reconnects by itself.

MariaDB only (OCPPD_TEST_DATABASE_URL, scripts/test's MariaDB stage): every test here starts a private
mariadbd of its own with scripts/mariadb-test-server, so that stopping it touches no other test's database.
"""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import time

import pytest
from ocpp.exceptions import InternalError
from ocpp.v16 import call

from harness import REPO_ROOT, TEST_DATABASE_URL, async_wait_until, connect_peer, energy_sample, metric, run

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="MariaDB only: needs OCPPD_TEST_DATABASE_URL (scripts/test's MariaDB stage)"
)

SERVER_SCRIPT = REPO_ROOT / "scripts" / "mariadb-test-server"
# Long enough that every station has messages waiting on the store, well inside ocppd's default retry window (15 s).
OUTAGE_SECONDS = 4.0
STATIONS = 4


class PrivateMariaDB:
    """A mariadbd of this test alone; `pause` really shuts it down, `resume` starts it on the same data and port."""

    def __init__(self) -> None:
        out = subprocess.run(
            [str(SERVER_SCRIPT), "start"], capture_output=True, text=True, timeout=120, check=True
        ).stdout
        values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        self.url = values["OCPPD_TEST_MARIADB_URL"]
        self.dir = values["OCPPD_TEST_MARIADB_DIR"]

    def pause(self) -> None:
        subprocess.run([str(SERVER_SCRIPT), "pause", self.dir], timeout=60, check=True)

    def resume(self) -> None:
        subprocess.run([str(SERVER_SCRIPT), "resume", self.dir], timeout=60, check=True)

    def stop(self) -> None:
        subprocess.run([str(SERVER_SCRIPT), "stop", self.dir], timeout=60, check=False)


@pytest.fixture
def mariadb():
    server = PrivateMariaDB()
    try:
        yield server
    finally:
        server.stop()


def readyz_status(ocppd) -> int:
    return ocppd.get("/readyz", timeout=10).status_code


@dataclasses.dataclass
class Ledger:
    """What the charge points were told: acknowledged messages must be stored, refused ones must not."""

    starts: dict[int, tuple[str, int]] = dataclasses.field(default_factory=dict)  # tid -> (cpId, meterStart)
    meters: list[tuple[int, str]] = dataclasses.field(default_factory=list)  # (tid, value)
    stops: dict[int, int] = dataclasses.field(default_factory=dict)  # tid -> meterStop
    refused_starts: list[tuple[str, int]] = dataclasses.field(default_factory=list)
    refused_meters: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    refused_stops: list[int] = dataclasses.field(default_factory=list)
    cycles: dict[str, int] = dataclasses.field(default_factory=dict)
    # The longest wait for an acknowledgement: the messages that rode out the outage.
    longest_wait: float = 0.0

    def acknowledged(self) -> int:
        return len(self.starts) + len(self.meters) + len(self.stops)

    def refused(self) -> int:
        return len(self.refused_starts) + len(self.refused_meters) + len(self.refused_stops)


async def timed(ledger: Ledger, awaitable):
    began = time.monotonic()
    result = await awaitable
    ledger.longest_wait = max(ledger.longest_wait, time.monotonic() - began)
    return result


async def charge_in_a_loop(ocppd, index: int, ledger: Ledger, done: asyncio.Event) -> bool:
    """One station doing StartTransaction, MeterValues x2, StopTransaction until `done`; True if its WebSocket is open."""
    cp_id = f"CP-OUTAGE-{index}"
    ledger.cycles[cp_id] = 0
    # The peer waits longer than ocppd's retry window, so a late answer is an answer, not a peer timeout.
    async with connect_peer(ocppd, cp_id, response_timeout=60) as cp:
        await cp.boot()
        cycle = 0
        while not done.is_set():
            cycle += 1
            base = index * 10_000_000 + cycle * 10_000
            try:
                started = await timed(ledger, cp.start_tx(1, f"TAG-OUTAGE-{index}", base))
            except InternalError:
                ledger.refused_starts.append((cp_id, base))
                continue
            tid = started.transaction_id
            ledger.starts[tid] = (cp_id, base)
            for k in (1, 2):
                value = str(base + 100 * k)
                try:
                    await timed(
                        ledger,
                        cp.send(call.MeterValues(connector_id=1, transaction_id=tid, meter_value=[energy_sample(value)])),
                    )
                    ledger.meters.append((tid, value))
                except InternalError:
                    ledger.refused_meters.append((tid, value))
            try:
                await timed(ledger, cp.stop_tx(tid, meter_stop=base + 1000))
                ledger.stops[tid] = base + 1000
            except InternalError:
                ledger.refused_stops.append(tid)
            ledger.cycles[cp_id] += 1
        return cp.ws.state.name == "OPEN"


def check_stored(ocppd, ledger: Ledger) -> None:
    for tid, (cp_id, meter_start) in ledger.starts.items():
        session = ocppd.session(tid)
        assert session is not None, f"StartTransaction {tid} was acknowledged but is not stored"
        assert (session["cpId"], session["meterStart"]) == (cp_id, meter_start)
    for tid, meter_stop in ledger.stops.items():
        session = ocppd.session(tid)
        assert session["active"] is False and session["meterStop"] == meter_stop, f"acknowledged stop of {tid} lost: {session}"
    stored_values: dict[int, set[str]] = {}
    for tid, value in ledger.meters:
        if tid not in stored_values:
            resp = ocppd.get(f"/api/sessions/{tid}/meter-values", params={"limit": 1000})
            assert resp.status_code == 200, resp.text
            stored_values[tid] = {v["value"] for v in resp.json()}
        assert value in stored_values[tid], f"MeterValues {value} of transaction {tid} was acknowledged but is not stored"


def check_refused_not_acknowledged(ocppd, ledger: Ledger) -> None:
    """A message answered InternalError was not acknowledged: it is absent (the charger resends it)."""
    for cp_id, meter_start in ledger.refused_starts:
        sessions = ocppd.get("/api/sessions", params={"cpId": cp_id, "limit": 1000}).json()
        assert meter_start not in {s["meterStart"] for s in sessions}, f"refused StartTransaction {meter_start} was stored"
    for tid, value in ledger.refused_meters:
        values = {v["value"] for v in ocppd.get(f"/api/sessions/{tid}/meter-values", params={"limit": 1000}).json()}
        assert value not in values, f"refused MeterValues {value} of {tid} was stored"


def test_a_database_restart_loses_no_acknowledged_message_and_keeps_the_websockets(ocppd_factory, mariadb):
    # The stations send as fast as answered (far past a charger's rate): the CALL rate limit is not what this tests.
    ocppd = ocppd_factory("--database", mariadb.url, "--max-calls-per-second", "0")
    for index in range(STATIONS):
        ocppd.create_tag(f"TAG-OUTAGE-{index}")
    ledger = Ledger()

    async def scenario():
        done = asyncio.Event()
        stations = [asyncio.create_task(charge_in_a_loop(ocppd, i, ledger, done)) for i in range(STATIONS)]
        try:
            await async_wait_until(
                lambda: len(ledger.cycles) == STATIONS and min(ledger.cycles.values()) >= 2,
                timeout=30,
                what="two transaction cycles per station before the outage",
            )
            assert readyz_status(ocppd) == 200

            await asyncio.to_thread(mariadb.pause)
            await async_wait_until(lambda: readyz_status(ocppd) == 503, timeout=10, what="/readyz 503 while mariadbd is down")
            acknowledged_while_down = ledger.acknowledged()
            await asyncio.sleep(OUTAGE_SECONDS)  # holds the outage; nothing waits on this sleep for synchronization
            assert readyz_status(ocppd) == 503
            assert ledger.acknowledged() == acknowledged_while_down, "a message was acknowledged while nothing could commit"
            assert ledger.refused() == 0, "a charge point got InternalError although the outage was inside the retry window"

            await asyncio.to_thread(mariadb.resume)
            await async_wait_until(lambda: readyz_status(ocppd) == 200, timeout=20, what="/readyz 200 after mariadbd is back")
            after_restart = dict(ledger.cycles)
            await async_wait_until(
                lambda: all(ledger.cycles[cp] >= after_restart[cp] + 2 for cp in after_restart),
                timeout=40,
                what="two more cycles per station on the same WebSockets after the restart",
            )
        finally:
            done.set()
        return await asyncio.wait_for(asyncio.gather(*stations), 90)

    still_open = run(scenario(), timeout=180)
    assert all(still_open), f"WebSockets closed by the outage: {still_open}"
    assert ledger.longest_wait >= OUTAGE_SECONDS / 2, "no message was waiting on the store across the outage"
    assert ledger.refused() == 0
    # The operator sees the outage in the log once each way, not once per waiting message.
    log = ocppd.log_text()
    went, came = log.count("store unavailable: each call is retried"), log.count("store answers again")
    assert 1 <= went <= 2 and came == went, (went, came)
    assert log.rindex("store answers again") > log.rindex("store unavailable")
    assert metric(ocppd, "ocppd_store_outages_total") == went
    check_stored(ocppd, ledger)
    check_refused_not_acknowledged(ocppd, ledger)


def test_a_database_that_stays_down_gets_internal_error_and_nothing_unacknowledged_is_kept(ocppd_factory, mariadb):
    window = 2.0
    ocppd = ocppd_factory("--database", mariadb.url, "--store-retry-window", str(window))
    ocppd.create_tag("TAG-DOWN")
    ledger = Ledger()

    async def scenario():
        async with connect_peer(ocppd, "CP-DOWN", response_timeout=60) as cp:
            await cp.boot()
            tid = (await cp.start_tx(1, "TAG-DOWN", 1000)).transaction_id
            ledger.starts[tid] = ("CP-DOWN", 1000)

            await asyncio.to_thread(mariadb.pause)
            began = time.monotonic()
            with pytest.raises(InternalError):
                await cp.send(call.MeterValues(connector_id=1, transaction_id=tid, meter_value=[energy_sample("1500")]))
            ledger.refused_meters.append((tid, "1500"))
            assert time.monotonic() - began >= window * 0.9, "answered InternalError before the retry window ran out"
            with pytest.raises(InternalError):
                await cp.start_tx(2, "TAG-DOWN", 7777)
            ledger.refused_starts.append(("CP-DOWN", 7777))
            assert readyz_status(ocppd) == 503

            await asyncio.to_thread(mariadb.resume)
            await async_wait_until(lambda: readyz_status(ocppd) == 200, timeout=20, what="/readyz 200 after mariadbd is back")
            # The same WebSocket carries on; the charger resends what was refused.
            await cp.send(call.MeterValues(connector_id=1, transaction_id=tid, meter_value=[energy_sample("1600")]))
            ledger.meters.append((tid, "1600"))
            await cp.stop_tx(tid, meter_stop=2000)
            ledger.stops[tid] = 2000

    run(scenario(), timeout=90)
    check_stored(ocppd, ledger)
    check_refused_not_acknowledged(ocppd, ledger)
