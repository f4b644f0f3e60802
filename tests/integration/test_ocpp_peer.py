"""ocppd driven by an independent OCPP 1.6 charge point: the `ocpp` package (2.1.0) over `websockets`.

The library validates every request we send and every answer ocppd gives against the OCPP 1.6
JSON schemas, so a malformed CALLRESULT from ocppd fails these tests too. `Peer.send` uses
`suppress=False`: a CALLERROR from ocppd raises instead of passing silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json

import pytest
from ocpp.exceptions import NotSupportedError
from ocpp.routing import on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus, ResetStatus

from harness import (
    SseStream,
    Peer,
    assert_problem,
    assert_utc,
    async_wait_until,
    connect_peer,
    energy_sample,
    iso_now,
    parse_time,
    run,
    total_count,
    wait_until,
)
from test_ocppctl import ctl_env, ocppctl_binary


def tag_status(result) -> str:
    """idTagInfo.status of an Authorize/StartTransaction result (the library leaves it a dict)."""
    info = result.id_tag_info
    return info["status"] if isinstance(info, dict) else info.status


# ---------------------------------------------------------------------------------------------
# BootNotification, Heartbeat, StatusNotification
# ---------------------------------------------------------------------------------------------


def test_boot_notification_is_accepted_with_configured_interval_and_recorded(ocppd_factory):
    ocppd = ocppd_factory("--heartbeat-interval", "42")
    cp_id = "CP-BOOT-1"

    async def scenario():
        async with connect_peer(ocppd, cp_id) as cp:
            before = dt.datetime.now(dt.timezone.utc)
            result = await cp.boot(
                vendor="ACME",
                model="Volt-22",
                charge_point_serial_number="SN-0001",
                firmware_version="1.2.3",
            )
            assert result.status == RegistrationStatus.accepted
            assert result.interval == 42
            served = parse_time(result.current_time)
            assert abs((served - before).total_seconds()) < 60, "currentTime is not the central system's clock"

            station = await async_wait_until(
                lambda: (s := ocppd.station(cp_id)) and s.get("connected") is True and s,
                what="station to show connected",
            )
            assert station["id"] == cp_id
            assert station["vendor"] == "ACME"
            assert station["model"] == "Volt-22"
            assert station["serialNumber"] == "SN-0001"
            assert station["firmwareVersion"] == "1.2.3"
            assert station["registrationStatus"] == "Accepted"
            assert isinstance(station["connectors"], list)

    run(scenario())
    # The charger hung up: the station shows disconnected, its boot data stays.
    station = wait_until(
        lambda: (s := ocppd.station(cp_id)) and s["connected"] is False and s, what="station to show disconnected"
    )
    assert station["vendor"] == "ACME"


def test_heartbeat_answers_current_time_and_updates_last_heartbeat(ocppd):
    cp_id = "CP-HB-1"

    async def scenario():
        async with connect_peer(ocppd, cp_id) as cp:
            await cp.boot()
            before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
            result = await cp.send(call.Heartbeat())
            assert abs((parse_time(result.current_time) - before).total_seconds()) < 60
            station = await async_wait_until(
                lambda: (s := ocppd.station(cp_id)) and s.get("lastHeartbeatAt") and s, what="lastHeartbeatAt"
            )
            assert assert_utc(station["lastHeartbeatAt"]) >= before

    run(scenario())


def test_last_heartbeat_is_saved_when_the_station_disconnects(ocppd):
    """Heartbeats reach the store in batches: a station's last one is saved at the latest when it disconnects."""
    cp_id = "CP-HB-SAVE"

    async def scenario():
        async with connect_peer(ocppd, cp_id) as cp:
            await cp.boot()
            result = await cp.send(call.Heartbeat())
            return parse_time(result.current_time)

    answered = run(scenario())
    # A connection saves its Heartbeat before it leaves the registry: once REST says disconnected, the store has it,
    # well before the next periodic save (5 s).
    wait_until(lambda: ocppd.station(cp_id)["connected"] is False, what="disconnected")
    ocppd.kill()  # no shutdown path; and the REST view overlays live heartbeats: after a restart only the store speaks
    ocppd.start()
    saved = assert_utc(ocppd.station(cp_id)["lastHeartbeatAt"])
    assert abs((saved - answered).total_seconds()) < 1


def test_last_heartbeat_of_a_connected_station_is_saved_within_seconds(ocppd):
    cp_id = "CP-HB-PERIODIC"

    async def scenario():
        answered = None
        try:
            async with connect_peer(ocppd, cp_id) as cp:
                await cp.boot()
                answered = parse_time((await cp.send(call.Heartbeat())).current_time)
                await asyncio.sleep(6)  # one save interval (5 s) and a margin, still connected
                ocppd.kill()  # no disconnect, no shutdown path: what is in the store was saved while connected
        except Exception:
            if answered is None:
                raise
        return answered

    answered = run(scenario())
    ocppd.start()
    saved = assert_utc(ocppd.station(cp_id)["lastHeartbeatAt"])
    assert abs((saved - answered).total_seconds()) < 1


def test_status_notifications_set_connector_status_and_older_ones_do_not_overwrite(ocppd):
    cp_id = "CP-STATUS-1"

    async def scenario():
        async with connect_peer(ocppd, cp_id) as cp:
            await cp.boot()
            await cp.status(0, "Available", timestamp=iso_now(-3))
            await cp.status(1, "Available", timestamp=iso_now(-2))
            await cp.status(1, "Preparing", timestamp=iso_now(-1))
            conn = await async_wait_until(
                lambda: (c := ocppd.connector(cp_id, 1)) and c["status"] == "Preparing" and c,
                what="connector 1 to be Preparing",
            )
            assert conn["errorCode"] == "NoError"
            assert_utc(conn["updatedAt"])
            station = ocppd.station(cp_id)
            by_id = {c["connectorId"]: c for c in station["connectors"]}
            assert by_id[0]["status"] == "Available", "connectorId 0 is the station itself and is kept"

            # A replayed, older notification (a charger's queue after an outage) must not win.
            await cp.status(1, "Available", timestamp=iso_now(-600))
            # Then something newer on another connector: once that shows, the old one was processed.
            await cp.status(2, "Faulted", error_code="GroundFailure", timestamp=iso_now())
            c2 = await async_wait_until(
                lambda: (c := ocppd.connector(cp_id, 2)) and c["status"] == "Faulted" and c,
                what="connector 2 to be Faulted",
            )
            assert c2["errorCode"] == "GroundFailure"
            assert ocppd.connector(cp_id, 1)["status"] == "Preparing"

    run(scenario())


# ---------------------------------------------------------------------------------------------
# Authorize
# ---------------------------------------------------------------------------------------------


def test_data_transfer_is_published_and_answered_unknown_vendor_unless_its_vendor_is_listed(ocppd_factory, tmp_path):
    # OCPP 1.6 §4.3: no implementation for the vendorId, UnknownVendorId (and no data). The listed vendors are the
    # ones some system behind the event stream (or a webhook) handles; case-insensitive, as a CiString.
    ocppd = ocppd_factory("--data-transfer-vendors", "ACME, com.Example.Meter")
    env = ctl_env(ocppd, tmp_path)

    sent = [("com.example.unknown", "m", "{}"), ("acme", "ping", None), ("COM.EXAMPLE.METER", None, "x" * 300)]

    async def scenario():
        ctl = await asyncio.create_subprocess_exec(
            str(ocppctl_binary()), "events", "--station", "DT-1", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )

        async def printed_transfer(timeout: float) -> dict:
            while True:
                event = json.loads(await asyncio.wait_for(ctl.stdout.readline(), timeout))
                if event["type"] == "data.transfer":
                    return event

        try:
            async with connect_peer(ocppd, "DT-1") as cp:
                # Probes until ocppctl shows one: it has subscribed (its start takes a while on a busy machine).
                for _ in range(100):
                    await cp.send(call.DataTransfer(vendor_id="probe", message_id="probe"))
                    with contextlib.suppress(asyncio.TimeoutError):
                        if (await printed_transfer(0.3))["vendorId"] == "probe":
                            break
                stream = await SseStream.open(ocppd, "/api/events?cpId=DT-1")
                try:
                    answers = [
                        await cp.send(call.DataTransfer(vendor_id=vendor, message_id=message, data=data))
                        for vendor, message, data in sent
                    ]
                    published = [await stream.next_of_type("data.transfer") for _ in sent]
                finally:
                    await stream.close()
                printed = []
                while len(printed) < len(sent):
                    event = await printed_transfer(10)
                    if event["vendorId"] != "probe":
                        printed.append(event)
                return answers, published, printed
        finally:
            ctl.terminate()
            await ctl.wait()

    answers, published, printed = run(scenario())
    assert [(a.status, a.data) for a in answers] == [("UnknownVendorId", None), ("Accepted", None), ("Accepted", None)]
    fields = ("vendorId", "messageId", "data", "status")
    assert [tuple(e[k] for k in fields) for e in published] == [
        ("com.example.unknown", "m", "{}", "UnknownVendorId"), ("acme", "ping", None, "Accepted"),
        ("COM.EXAMPLE.METER", None, "x" * 300, "Accepted"),
    ]
    for event in published:
        assert event["type"] == "data.transfer" and event["cpId"] == "DT-1", event
        assert_utc(event["at"])
    # ocppctl events prints the same events, one JSON object per line.
    assert [{k: e[k] for k in fields} for e in printed] == [{k: e[k] for k in fields} for e in published]

    # Without the setting every vendor is unknown, and a station not booted yet is answered all the same.
    plain = ocppd_factory()

    async def unlisted():
        async with connect_peer(plain, "DT-2") as cp:
            return await cp.send(call.DataTransfer(vendor_id="ACME", message_id="ping"))

    assert run(unlisted()).status == "UnknownVendorId"


def test_authorize_answers_accepted_invalid_blocked_and_expired(ocppd):
    cp_id = "CP-AUTH-1"
    expiry = "2099-06-30T12:00:00Z"
    ocppd.create_tag("PARENT-1")
    ocppd.create_tag("TAG-OK", parentIdTag="PARENT-1", expiryDate=expiry, description="fleet card")
    ocppd.create_tag("TAG-BLOCKED")
    assert ocppd.post("/api/rfid/TAG-BLOCKED/block").status_code == 200
    ocppd.create_tag("TAG-EXPIRED", expiryDate="2001-01-01T00:00:00Z")

    async def scenario():
        async with connect_peer(ocppd, cp_id) as cp:
            await cp.boot()

            ok = await cp.send(call.Authorize(id_tag="TAG-OK"))
            assert tag_status(ok) == AuthorizationStatus.accepted
            assert ok.id_tag_info.get("parent_id_tag") == "PARENT-1"
            assert parse_time(ok.id_tag_info["expiry_date"]) == parse_time(expiry)

            unknown = await cp.send(call.Authorize(id_tag="NO-SUCH-TAG"))
            assert tag_status(unknown) == AuthorizationStatus.invalid

            blocked = await cp.send(call.Authorize(id_tag="TAG-BLOCKED"))
            assert tag_status(blocked) == AuthorizationStatus.blocked

            expired = await cp.send(call.Authorize(id_tag="TAG-EXPIRED"))
            assert tag_status(expired) == AuthorizationStatus.expired

    run(scenario())

    # The unknown tag is kept for the operator to adopt; known tags are not in that list.
    def unknown_tags():
        resp = ocppd.get("/api/rfid/unknown")
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert isinstance(body, list), "lists are bare JSON arrays"
        return {i.get("id") or i.get("idTag") for i in body}

    tags = wait_until(lambda: (t := unknown_tags()) and "NO-SUCH-TAG" in t and t, what="NO-SUCH-TAG in /api/rfid/unknown")
    assert "TAG-OK" not in tags


def test_activated_tag_is_accepted_again(ocppd):
    ocppd.create_tag("TAG-FLIP")

    async def scenario():
        async with connect_peer(ocppd, "CP-AUTH-2") as cp:
            await cp.boot()
            assert ocppd.post("/api/rfid/TAG-FLIP/block").status_code == 200
            assert tag_status(await cp.send(call.Authorize(id_tag="TAG-FLIP"))) == "Blocked"
            assert ocppd.post("/api/rfid/TAG-FLIP/activate").status_code == 200
            assert tag_status(await cp.send(call.Authorize(id_tag="TAG-FLIP"))) == "Accepted"

    run(scenario())


# ---------------------------------------------------------------------------------------------
# Transactions
# ---------------------------------------------------------------------------------------------


def test_full_charging_session_is_recorded_and_served(ocppd):
    cp_id = "CP-TX-1"
    tag = "TAG-TX-1"
    ocppd.create_tag(tag)
    t_start = iso_now(-120)
    t_meter = "2030-03-01T12:00:00+02:00"  # any UTC offset is accepted; served in UTC
    t_stop = iso_now(-1)

    async def scenario():
        async with connect_peer(ocppd, cp_id) as cp:
            await cp.boot()
            await cp.status(1, "Available")
            await cp.status(1, "Preparing")
            assert tag_status(await cp.send(call.Authorize(id_tag=tag))) == "Accepted"

            started = await cp.start_tx(1, tag, meter_start=1000, timestamp=t_start)
            tid = started.transaction_id
            assert isinstance(tid, int) and tid > 0
            assert tag_status(started) == "Accepted"

            # Acknowledged means committed: the session is visible at once, active.
            session = ocppd.session(tid)
            assert session is not None, "StartTransaction was acknowledged before its session was stored"
            assert session["active"] is True
            assert session["meterStart"] == 1000

            await cp.status(1, "Charging")
            await cp.send(
                call.MeterValues(
                    connector_id=1,
                    transaction_id=tid,
                    meter_value=[
                        {
                            "timestamp": t_meter,
                            "sampledValue": [
                                {
                                    "value": "1500",
                                    "measurand": "Energy.Active.Import.Register",
                                    "unit": "Wh",
                                    "context": "Sample.Periodic",
                                    "location": "Outlet",
                                },
                                {"value": "7200.5", "measurand": "Power.Active.Import", "unit": "W", "phase": "L1"},
                            ],
                        }
                    ],
                )
            )
            stopped = await cp.stop_tx(
                tid,
                meter_stop=3500,
                timestamp=t_stop,
                id_tag=tag,
                reason="Local",
                transaction_data=[energy_sample("3500", timestamp=t_stop, context="Transaction.End")],
            )
            if stopped.id_tag_info is not None:
                assert stopped.id_tag_info["status"] == "Accepted"
            return tid

    tid = run(scenario())

    # The session list of the station: one finished session with its energy.
    resp = ocppd.get("/api/sessions", params={"cpId": cp_id})
    assert resp.status_code == 200
    sessions = resp.json()
    assert isinstance(sessions, list)
    assert total_count(resp) == 1
    assert [s["transactionId"] for s in sessions] == [tid]
    s = sessions[0]
    assert s["cpId"] == cp_id
    assert s["connectorId"] == 1
    assert s["idTag"] == tag
    assert s["meterStart"] == 1000
    assert s["meterStop"] == 3500
    assert s["energyWh"] == 2500
    assert s["active"] is False
    assert s["stopReason"] == "Local"
    assert abs((assert_utc(s["startedAt"]) - parse_time(t_start)).total_seconds()) < 1
    assert abs((assert_utc(s["stoppedAt"]) - parse_time(t_stop)).total_seconds()) < 1
    one = ocppd.session(tid)
    assert (one["transactionId"], one["energyWh"], one["active"], one["meterStop"]) == (tid, 2500, False, 3500)

    # Its meter values: the MeterValues samples and the StopTransaction transactionData.
    resp = ocppd.get(f"/api/sessions/{tid}/meter-values")
    assert resp.status_code == 200
    values = resp.json()
    assert isinstance(values, list)
    by_value = {v["value"]: v for v in values}
    assert {"1500", "7200.5", "3500"} <= set(by_value), f"meter values missing: {values}"
    energy = by_value["1500"]
    assert energy["measurand"] == "Energy.Active.Import.Register"
    assert energy["unit"] == "Wh"
    assert energy["context"] == "Sample.Periodic"
    assert energy["location"] == "Outlet"
    assert energy["transactionId"] == tid
    assert energy["connectorId"] == 1
    assert assert_utc(energy["timestamp"]) == parse_time("2030-03-01T10:00:00Z")
    power = by_value["7200.5"]
    assert power["measurand"] == "Power.Active.Import"
    assert power["unit"] == "W"
    assert power["phase"] == "L1"
    assert by_value["3500"]["context"] == "Transaction.End"

    # The station shows the connector as the charger last reported it.
    wait_until(lambda: (c := ocppd.connector(cp_id, 1)) and c["status"] == "Charging", what="connector Charging")
    by_station = ocppd.get(f"/api/sessions/station/{cp_id}")
    assert by_station.status_code == 200
    assert [x["transactionId"] for x in by_station.json()] == [tid]


def test_sessions_are_listed_newest_first_and_filtered(ocppd):
    cp_id = "CP-TX-ORDER"
    ocppd.create_tag("TAG-A")
    ocppd.create_tag("TAG-B")

    async def scenario():
        async with connect_peer(ocppd, cp_id) as cp:
            await cp.boot()
            first = (await cp.start_tx(1, "TAG-A", 100, timestamp=iso_now(-300))).transaction_id
            await cp.stop_tx(first, 200, timestamp=iso_now(-250), reason="EVDisconnected")
            second = (await cp.start_tx(1, "TAG-A", 200, timestamp=iso_now(-200))).transaction_id
            await cp.stop_tx(second, 300, timestamp=iso_now(-150))
            third = (await cp.start_tx(2, "TAG-B", 0, timestamp=iso_now(-100))).transaction_id
            return first, second, third

    first, second, third = run(scenario())
    assert len({first, second, third}) == 3, "transaction ids must be unique"

    resp = ocppd.get("/api/sessions", params={"cpId": cp_id})
    assert [s["transactionId"] for s in resp.json()] == [third, second, first]
    assert total_count(resp) == 3
    assert [s["active"] for s in resp.json()] == [True, False, False]

    page1 = ocppd.get("/api/sessions", params={"cpId": cp_id, "limit": 2, "offset": 0})
    page2 = ocppd.get("/api/sessions", params={"cpId": cp_id, "limit": 2, "offset": 2})
    assert [s["transactionId"] for s in page1.json()] == [third, second]
    assert [s["transactionId"] for s in page2.json()] == [first]
    assert total_count(page1) == total_count(page2) == 3

    active = ocppd.get("/api/sessions", params={"cpId": cp_id, "active": "true"})
    assert [s["transactionId"] for s in active.json()] == [third]
    by_tag = ocppd.get("/api/sessions", params={"cpId": cp_id, "idTag": "TAG-A"})
    assert [s["transactionId"] for s in by_tag.json()] == [second, first]


def test_repeated_start_transaction_returns_same_transaction_id(ocppd):
    cp_id = "CP-TX-DUP"
    ocppd.create_tag("TAG-DUP")
    ts = iso_now(-30)

    async def scenario():
        async with connect_peer(ocppd, cp_id) as cp:
            await cp.boot()
            a = await cp.start_tx(1, "TAG-DUP", 4711, timestamp=ts)
            b = await cp.start_tx(1, "TAG-DUP", 4711, timestamp=ts)
        # Chargers resend after reconnecting: same answer on a new connection.
        async with connect_peer(ocppd, cp_id) as cp:
            c = await cp.start_tx(1, "TAG-DUP", 4711, timestamp=ts)
        return a, b, c

    a, b, c = run(scenario())
    assert a.transaction_id > 0
    assert a.transaction_id == b.transaction_id == c.transaction_id
    assert tag_status(b) == tag_status(a) == "Accepted"
    resp = ocppd.get("/api/sessions", params={"cpId": cp_id})
    assert total_count(resp) == 1, f"a resent StartTransaction created another session: {resp.json()}"
    assert len(resp.json()) == 1


def test_stop_and_meter_values_for_unknown_transaction_ids_are_acknowledged(ocppd):
    cp_id = "CP-TX-ORPHAN"

    async def scenario():
        async with connect_peer(ocppd, cp_id) as cp:
            await cp.boot()
            for tid in (0, -1, 999999):
                # suppress=False: a CALLERROR would raise here, and the charger would resend forever.
                await cp.send(call.MeterValues(connector_id=1, transaction_id=tid, meter_value=[energy_sample("10")]))
                result = await cp.stop_tx(tid, meter_stop=1234, reason="PowerLoss")
                if result.id_tag_info is not None:
                    assert result.id_tag_info["status"] in {s.value for s in AuthorizationStatus}
            # And one already stopped: acknowledged again, not an error.
            tid = (await cp.start_tx(1, "ANY-TAG", 0)).transaction_id
            await cp.stop_tx(tid, meter_stop=10)
            await cp.stop_tx(tid, meter_stop=10)
            # The connection still serves.
            await cp.send(call.Heartbeat())

    run(scenario())
    assert ocppd.get("/healthz").status_code == 200


def test_start_with_blocked_or_unknown_tag_gets_a_real_transaction_id_and_the_tag_status(ocppd):
    cp_id = "CP-TX-BLOCKED"
    ocppd.create_tag("TAG-NOPE")
    assert ocppd.post("/api/rfid/TAG-NOPE/block").status_code == 200

    async def scenario():
        async with connect_peer(ocppd, cp_id) as cp:
            await cp.boot()
            blocked = await cp.start_tx(1, "TAG-NOPE", 0)
            unknown = await cp.start_tx(2, "TAG-NEVER-SEEN", 0)
            return blocked, unknown

    blocked, unknown = run(scenario())
    assert blocked.transaction_id > 0 and unknown.transaction_id > 0
    assert blocked.transaction_id != unknown.transaction_id
    assert tag_status(blocked) == "Blocked"
    assert tag_status(unknown) == "Invalid"
    assert ocppd.session(blocked.transaction_id)["idTag"] == "TAG-NOPE"
    assert ocppd.session(unknown.transaction_id)["idTag"] == "TAG-NEVER-SEEN"


def test_new_start_on_a_busy_connector_closes_the_stale_session_without_concurrent_tx(ocppd):
    cp_id = "CP-TX-STALE"
    ocppd.create_tag("TAG-STALE")

    async def scenario():
        async with connect_peer(ocppd, cp_id) as cp:
            await cp.boot()
            old = (await cp.start_tx(1, "TAG-STALE", 100, timestamp=iso_now(-600))).transaction_id
            # The StopTransaction was lost; the charger starts again on the same connector.
            new = await cp.start_tx(1, "TAG-STALE", 500, timestamp=iso_now(-5))
            return old, new

    old, new = run(scenario())
    assert new.transaction_id != old
    assert tag_status(new) == "Accepted", "a zombie session must never block its tag with ConcurrentTx"
    assert ocppd.session(old)["active"] is False
    assert ocppd.session(new.transaction_id)["active"] is True
    active = ocppd.get("/api/sessions", params={"cpId": cp_id, "active": "true"}).json()
    assert [s["transactionId"] for s in active] == [new.transaction_id]


def test_a_session_the_charger_lost_ends_when_its_connector_reports_available(ocppd):
    # A power cut: the charger reboots without the transaction and says its connector is free. The session must
    # not keep the driver's card out with ConcurrentTx elsewhere until that connector happens to start again.
    ocppd.create_tag("TAG-LOST")

    async def scenario():
        async with connect_peer(ocppd, "CP-LOST-A") as a, connect_peer(ocppd, "CP-LOST-B") as b:
            await a.boot()
            await b.boot()
            tid = (await a.start_tx(1, "TAG-LOST", 0, timestamp=iso_now(-60))).transaction_id
            assert tag_status(await b.send(call.Authorize(id_tag="TAG-LOST"))) == AuthorizationStatus.concurrent_tx
            stream = await SseStream.open(ocppd, "/api/events?cpId=CP-LOST-A")
            try:
                await a.boot()
                await a.send(call.StatusNotification(connector_id=1, error_code="NoError", status="Available", timestamp=iso_now()))
                # A live view hears that the session ended.
                stopped = await stream.next_of_type("transaction.stopped")
            finally:
                await stream.close()
            free = await b.send(call.Authorize(id_tag="TAG-LOST"))
            return tid, free, stopped

    tid, free, stopped = run(scenario())
    assert stopped["transactionId"] == tid and stopped["connectorId"] == 1 and stopped["reason"] == "StaleSession"
    assert tag_status(free) == AuthorizationStatus.accepted
    session = ocppd.session(tid)
    assert session["active"] is False and session["stopReason"] == "StaleSession"


def test_tag_charging_elsewhere_is_concurrent_tx_until_stopped(ocppd):
    ocppd.create_tag("TAG-ONE-CAR")

    async def scenario():
        async with connect_peer(ocppd, "CP-CONC-A") as a, connect_peer(ocppd, "CP-CONC-B") as b:
            await a.boot()
            await b.boot()
            tid = (await a.start_tx(1, "TAG-ONE-CAR", 0)).transaction_id
            busy = await b.send(call.Authorize(id_tag="TAG-ONE-CAR"))
            assert tag_status(busy) == AuthorizationStatus.concurrent_tx
            await a.stop_tx(tid, 1000)
            free = await b.send(call.Authorize(id_tag="TAG-ONE-CAR"))
            assert tag_status(free) == AuthorizationStatus.accepted

    run(scenario())


# ---------------------------------------------------------------------------------------------
# Commands from the central system (POST /api/admin/{cpId}/{command})
# ---------------------------------------------------------------------------------------------


class CommandPeer(Peer):
    """Answers Reset (Accepted), refuses ChangeAvailability with a CALLERROR, answers UnlockConnector late."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.resets: list[str] = []
        self.unlocks: list[int] = []

    @on(Action.reset)
    def on_reset(self, type, **kwargs):
        self.resets.append(type)
        return call_result.Reset(status=ResetStatus.accepted)

    @on(Action.change_availability)
    def on_change_availability(self, connector_id, type, **kwargs):
        raise NotSupportedError(description="this charger cannot do that")

    @on(Action.unlock_connector)
    async def on_unlock_connector(self, connector_id, **kwargs):
        self.unlocks.append(connector_id)
        await asyncio.sleep(2.5)  # longer than ocppd's --call-timeout 1 in the test below
        return call_result.UnlockConnector(status="Unlocked")


def test_admin_command_is_sent_and_answered_with_the_charge_points_result(ocppd):
    cp_id = "CP-CMD-1"

    async def scenario():
        async with connect_peer(ocppd, cp_id, peer_class=CommandPeer) as cp:
            await cp.boot()
            resp = await ocppd.aapi("POST", f"/api/admin/{cp_id}/reset", json={"type": "Soft"})
            assert resp.status_code == 200, resp.text
            assert resp.json() == {"status": "Accepted"}
            assert cp.resets == ["Soft"]

            # Invalid by the OCPP schema: 400, and nothing reaches the charger.
            bad = await ocppd.aapi("POST", f"/api/admin/{cp_id}/reset", json={"type": "Sideways"})
            assert_problem(bad, 400)
            assert cp.resets == ["Soft"]
            # A member the schema does not have: the charger's own schema check would refuse it (FormationViolation).
            extra = await ocppd.aapi("POST", f"/api/admin/{cp_id}/reset", json={"type": "Soft", "vendorFlag": True})
            assert_problem(extra, 400, mentions="vendorFlag")
            assert extra.json()["field"] == "vendorFlag"
            assert cp.resets == ["Soft"]
            # null is "absent" to a REST client but a wrong type to the charger's schema: it is dropped, not sent.
            nulls = await ocppd.aapi("POST", f"/api/admin/{cp_id}/reset", json={"type": "Hard", "vendorFlag": None})
            assert nulls.status_code == 200, nulls.text
            assert cp.resets == ["Soft", "Hard"]

            # The charger answers CALLERROR: 502 with its code in the detail.
            refused = await ocppd.aapi(
                "POST", f"/api/admin/{cp_id}/change-availability", json={"connectorId": 1, "type": "Inoperative"}
            )
            assert_problem(refused, 502, mentions="NotSupported")

    run(scenario())


def test_admin_command_to_unknown_or_offline_station(ocppd):
    assert_problem(ocppd.post("/api/admin/CP-NOBODY/reset", json={"type": "Soft"}), 404)
    assert ocppd.put("/api/stations/CP-OFFLINE", json={"description": "not plugged in"}).status_code in (200, 201)
    assert_problem(ocppd.post("/api/admin/CP-OFFLINE/reset", json={"type": "Soft"}), 409)


def test_admin_command_times_out_with_504_and_the_late_reply_is_dropped(ocppd_factory):
    ocppd = ocppd_factory("--call-timeout", "1")
    cp_id = "CP-CMD-SLOW"

    async def scenario():
        async with connect_peer(ocppd, cp_id, peer_class=CommandPeer) as cp:
            await cp.boot()
            resp = await ocppd.aapi("POST", f"/api/admin/{cp_id}/unlock-connector", json={"connectorId": 1})
            assert_problem(resp, 504)
            assert cp.unlocks == [1]
            # The late UnlockConnector reply arrives and is dropped; the station keeps working both ways.
            await cp.send(call.Heartbeat())
            again = await ocppd.aapi("POST", f"/api/admin/{cp_id}/reset", json={"type": "Hard"})
            assert again.status_code == 200, again.text
            assert again.json() == {"status": "Accepted"}
            assert cp.resets == ["Hard"]

    run(scenario())


@pytest.mark.parametrize("count", [3])
def test_commands_to_one_station_queue_and_all_complete(ocppd, count):
    cp_id = "CP-CMD-QUEUE"

    async def scenario():
        async with connect_peer(ocppd, cp_id, peer_class=CommandPeer) as cp:
            await cp.boot()
            results = await asyncio.gather(
                *(ocppd.aapi("POST", f"/api/admin/{cp_id}/reset", json={"type": "Soft"}) for _ in range(count))
            )
            assert [r.status_code for r in results] == [200] * count
            assert cp.resets == ["Soft"] * count

    run(scenario())


# Every one of the 19 commands: ocppd sends the OCPP request (which the ocpp library checks
# against the 1.6 schema on arrival) and answers the REST caller with the charge point's payload.
# (REST command, request body, OCPP action, the charge point's answer as dataclass, as JSON)
COMMANDS = [
    ("start-transaction", {"idTag": "TAG-R", "connectorId": 1}, "RemoteStartTransaction",
     call_result.RemoteStartTransaction(status="Accepted"), {"status": "Accepted"}),
    ("stop-transaction", {"transactionId": 17}, "RemoteStopTransaction",
     call_result.RemoteStopTransaction(status="Rejected"), {"status": "Rejected"}),
    ("change-availability", {"connectorId": 0, "type": "Inoperative"}, "ChangeAvailability",
     call_result.ChangeAvailability(status="Scheduled"), {"status": "Scheduled"}),
    ("reset", {"type": "Hard"}, "Reset", call_result.Reset(status="Accepted"), {"status": "Accepted"}),
    ("unlock-connector", {"connectorId": 1}, "UnlockConnector",
     call_result.UnlockConnector(status="Unlocked"), {"status": "Unlocked"}),
    ("get-configuration", {"key": ["HeartbeatInterval", "NoSuchKey"]}, "GetConfiguration",
     call_result.GetConfiguration(
         configuration_key=[{"key": "HeartbeatInterval", "readonly": False, "value": "60"}], unknown_key=["NoSuchKey"]
     ),
     {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "60"}], "unknownKey": ["NoSuchKey"]}),
    ("change-configuration", {"key": "HeartbeatInterval", "value": "30"}, "ChangeConfiguration",
     call_result.ChangeConfiguration(status="RebootRequired"), {"status": "RebootRequired"}),
    ("reserve-now", {"connectorId": 1, "expiryDate": "2099-01-01T00:00:00Z", "idTag": "TAG-R"}, "ReserveNow",
     call_result.ReserveNow(status="Accepted"), {"status": "Accepted"}),
    ("cancel-reservation", {"reservationId": 5}, "CancelReservation",
     call_result.CancelReservation(status="Rejected"), {"status": "Rejected"}),
    ("clear-cache", {}, "ClearCache", call_result.ClearCache(status="Accepted"), {"status": "Accepted"}),
    ("trigger-message", {"requestedMessage": "StatusNotification", "connectorId": 1}, "TriggerMessage",
     call_result.TriggerMessage(status="NotImplemented"), {"status": "NotImplemented"}),
    ("data-transfer", {"vendorId": "ACME", "messageId": "ping", "data": "x"}, "DataTransfer",
     call_result.DataTransfer(status="Accepted", data="pong"), {"status": "Accepted", "data": "pong"}),
    ("get-diagnostics", {"location": "ftp://127.0.0.1/diag"}, "GetDiagnostics",
     call_result.GetDiagnostics(file_name="diag.zip"), {"fileName": "diag.zip"}),
    ("update-firmware", {"location": "http://127.0.0.1/fw.bin", "retrieveDate": "2099-01-01T00:00:00Z"},
     "UpdateFirmware", call_result.UpdateFirmware(), {}),
    ("get-local-list-version", {}, "GetLocalListVersion", call_result.GetLocalListVersion(list_version=3),
     {"listVersion": 3}),
    ("send-local-list",
     {"listVersion": 4, "updateType": "Full",
      "localAuthorizationList": [{"idTag": "TAG-R", "idTagInfo": {"status": "Accepted"}}]},
     "SendLocalList", call_result.SendLocalList(status="Accepted"), {"status": "Accepted"}),
    ("set-charging-profile",
     {"connectorId": 1,
      "csChargingProfiles": {"chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
                             "chargingProfileKind": "Absolute",
                             "chargingSchedule": {"chargingRateUnit": "W",
                                                  "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000.0}]}}},
     "SetChargingProfile", call_result.SetChargingProfile(status="Accepted"), {"status": "Accepted"}),
    ("clear-charging-profile", {"id": 1}, "ClearChargingProfile",
     call_result.ClearChargingProfile(status="Unknown"), {"status": "Unknown"}),
    ("get-composite-schedule", {"connectorId": 1, "duration": 3600, "chargingRateUnit": "W"}, "GetCompositeSchedule",
     call_result.GetCompositeSchedule(status="Rejected"), {"status": "Rejected"}),
]


class AllCommandsPeer(Peer):
    """Answers every central-system command with the canned answer of the test, and records it."""

    answers: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.received: list[tuple[str, dict]] = []


def _answering(action: str):
    name = "on_cmd_" + action

    def handler(self, **kwargs):
        self.received.append((action, kwargs))
        return self.answers[action]

    handler.__name__ = name  # the ocpp library finds handlers by function name
    return name, on(action)(handler)


for _action in {c[2] for c in COMMANDS}:
    _name, _handler = _answering(_action)
    setattr(AllCommandsPeer, _name, _handler)


@pytest.mark.parametrize(
    "command, body, action, answer, expected", [pytest.param(*c, id=c[0]) for c in COMMANDS]
)
def test_every_admin_command_reaches_the_charge_point_and_returns_its_answer(
    ocppd, command, body, action, answer, expected
):
    cp_id = "CP-CMD-ALL"

    class ThisPeer(AllCommandsPeer):
        answers = {action: answer}

    async def scenario():
        async with connect_peer(ocppd, cp_id, peer_class=ThisPeer) as cp:
            await cp.boot()
            resp = await ocppd.aapi("POST", f"/api/admin/{cp_id}/{command}", json=body)
            assert resp.status_code == 200, f"{command}: {resp.status_code} {resp.text[:500]}"
            assert resp.json() == expected
            assert [a for a, _ in cp.received] == [action], f"the charge point received {cp.received}"
            return cp.received[0][1]

    received = run(scenario())
    if command == "reserve-now":
        # reservationId is the central system's to allocate when omitted; the reservation is kept.
        rid = received["reservation_id"]
        assert isinstance(rid, int)
        reservations = ocppd.get("/api/reservations").json()
        mine = [r for r in reservations if r["reservationId"] == rid]
        assert mine, f"reservation {rid} not listed: {reservations}"
        assert (mine[0]["cpId"], mine[0]["connectorId"], mine[0]["idTag"]) == (cp_id, 1, "TAG-R")
