"""What ocppd acknowledged survives a power cut (SIGKILL right after the CALLRESULT), and SIGTERM
shuts down gracefully."""

from __future__ import annotations

import asyncio
import subprocess

from ocpp.v16 import call

from harness import SseStream, connect_peer, energy_sample, iso_now, run, total_count, wait_until


def test_acknowledged_start_transaction_survives_sigkill(ocppd):
    cp_id = "CP-DUR-START"
    ocppd.create_tag("TAG-DUR-1")
    ts = iso_now(-5)

    async def start():
        async with connect_peer(ocppd, cp_id) as cp:
            await cp.boot()
            result = await cp.start_tx(1, "TAG-DUR-1", 12345, timestamp=ts)
            ocppd.kill()  # the instant the answer arrived: no chance to flush anything later
            return result.transaction_id

    tid = run(start())
    assert tid > 0
    ocppd.start()

    session = ocppd.session(tid)
    assert session is not None, f"transaction {tid} was acknowledged but lost in the crash"
    assert session["cpId"] == cp_id
    assert session["meterStart"] == 12345
    assert session["active"] is True

    # The charger resends after reconnecting: still the same transaction, still one session.
    async def resend():
        async with connect_peer(ocppd, cp_id) as cp:
            again = await cp.start_tx(1, "TAG-DUR-1", 12345, timestamp=ts)
            return again.transaction_id

    assert run(resend()) == tid
    assert total_count(ocppd.get("/api/sessions", params={"cpId": cp_id})) == 1


def test_acknowledged_stop_transaction_survives_sigkill(ocppd):
    cp_id = "CP-DUR-STOP"

    async def charge():
        async with connect_peer(ocppd, cp_id) as cp:
            await cp.boot()
            tid = (await cp.start_tx(1, "TAG-DUR-2", 100, timestamp=iso_now(-60))).transaction_id
            await cp.stop_tx(
                tid,
                meter_stop=2100,
                reason="EVDisconnected",
                transaction_data=[energy_sample("2100", context="Transaction.End")],
            )
            ocppd.kill()
            return tid

    tid = run(charge())
    ocppd.start()

    session = ocppd.session(tid)
    assert session is not None
    assert session["active"] is False, "StopTransaction was acknowledged but the session is still active"
    assert session["meterStop"] == 2100
    assert session["energyWh"] == 2000
    assert session["stopReason"] == "EVDisconnected"
    values = ocppd.get(f"/api/sessions/{tid}/meter-values").json()
    assert "2100" in {v["value"] for v in values}, "transactionData acknowledged but lost"


def test_acknowledged_meter_values_survive_sigkill(ocppd):
    cp_id = "CP-DUR-METER"

    async def meter():
        async with connect_peer(ocppd, cp_id) as cp:
            await cp.boot()
            tid = (await cp.start_tx(1, "TAG-DUR-3", 0, timestamp=iso_now(-60))).transaction_id
            await cp.send(
                call.MeterValues(connector_id=1, transaction_id=tid, meter_value=[energy_sample("777", iso_now(-1))])
            )
            ocppd.kill()
            return tid

    tid = run(meter())
    ocppd.start()

    resp = ocppd.get(f"/api/sessions/{tid}/meter-values")
    assert resp.status_code == 200
    values = resp.json()
    energy = [v for v in values if v["value"] == "777"]
    assert energy, f"acknowledged MeterValues lost in the crash: {values}"
    assert energy[0]["measurand"] == "Energy.Active.Import.Register"
    assert energy[0]["transactionId"] == tid


def test_meter_values_and_transaction_data_sent_again_are_stored_once(ocppd):
    # A charger that did not see an answer (its connection dropped right after it, or ocppd was killed right after the
    # commit) sends the message again once it is back, as OCPP-J tells it to: every sampled value is stored once, and
    # different values with the same timestamp all stay.
    cp_id = "CP-DUR-ONCE"
    at = iso_now(-30)
    sampled = [{"timestamp": at, "sampledValue": [
        {"value": "1500", "measurand": "Energy.Active.Import.Register", "unit": "Wh", "context": "Sample.Periodic"},
        {"value": "7200", "measurand": "Power.Active.Import", "unit": "W", "context": "Sample.Periodic"},
        {"value": "16.0", "measurand": "Current.Import", "unit": "A", "phase": "L1"},
        {"value": "16.0", "measurand": "Current.Import", "unit": "A", "phase": "L2"},
    ]}]
    stopped = iso_now(-5)
    end = [energy_sample("2100", stopped, context="Transaction.End")]

    def meter_values(tid):
        return call.MeterValues(connector_id=1, transaction_id=tid, meter_value=sampled)

    def stop(tid):
        return call.StopTransaction(meter_stop=2100, timestamp=stopped, transaction_id=tid, reason="EVDisconnected",
                                    transaction_data=end)

    async def dropped_after_the_answer():
        async with connect_peer(ocppd, cp_id) as cp:
            await cp.boot()
            tid = (await cp.start_tx(1, "TAG-DUR-ONCE", 100, timestamp=iso_now(-60))).transaction_id
            await cp.send(meter_values(tid))
            cp.ws.transport.abort()  # the connection is gone the moment the answer came
            return tid

    async def killed_after_the_commit(tid):
        async with connect_peer(ocppd, cp_id) as cp:
            await cp.send(meter_values(tid))  # sent again: the charger never saw the answer
            await cp.send(stop(tid))
            ocppd.kill()

    async def back_again(tid):
        async with connect_peer(ocppd, cp_id) as cp:
            await cp.send(stop(tid))
            await cp.send(meter_values(tid))

    tid = run(dropped_after_the_answer())
    run(killed_after_the_commit(tid))
    ocppd.start()
    run(back_again(tid))

    values = ocppd.get(f"/api/sessions/{tid}/meter-values?limit=100").json()
    stored = sorted((v["measurand"], v.get("phase") or "-", v["value"], v.get("context") or "-") for v in values)
    assert stored == sorted([
        ("Energy.Active.Import.Register", "-", "1500", "Sample.Periodic"),
        ("Power.Active.Import", "-", "7200", "Sample.Periodic"),
        ("Current.Import", "L1", "16.0", "Sample.Periodic"),  # OCPP's default context
        ("Current.Import", "L2", "16.0", "Sample.Periodic"),
        ("Energy.Active.Import.Register", "-", "2100", "Transaction.End"),
    ]), values
    session = ocppd.session(tid)
    assert (session["active"], session["energyWh"], session["stopReason"]) == (False, 2000, "EVDisconnected")


def test_transactions_of_many_stations_at_once_all_survive_sigkill(ocppd):
    """Group commit may batch the writes of many stations, but must acknowledge none of them early."""
    stations = [f"CP-DUR-MANY-{i}" for i in range(8)]

    async def one(cp_id: str) -> int:
        async with connect_peer(ocppd, cp_id) as cp:
            await cp.boot()
            return (await cp.start_tx(1, f"TAG-{cp_id}", 10, timestamp=iso_now(-3))).transaction_id

    async def burst():
        tids = await asyncio.gather(*(one(cp_id) for cp_id in stations))
        ocppd.kill()
        return tids

    tids = run(burst())
    assert len(set(tids)) == len(stations), f"transaction ids must be unique: {tids}"
    ocppd.start()
    for cp_id, tid in zip(stations, tids):
        session = ocppd.session(tid)
        assert session is not None, f"{cp_id}: acknowledged transaction {tid} lost"
        assert session["cpId"] == cp_id


def test_sigterm_closes_websockets_with_1001_and_exits_0(ocppd):
    async def scenario():
        async with connect_peer(ocppd, "CP-DUR-TERM") as cp:
            await cp.boot()
            tid = (await cp.start_tx(1, "TAG-TERM", 5)).transaction_id
            ocppd.terminate()
            await asyncio.wait_for(cp.ws.wait_closed(), 15)
            assert cp.ws.close_code == 1001, f"close code {cp.ws.close_code}, reason {cp.ws.close_reason!r}"
            return tid

    tid = run(scenario())
    assert ocppd.wait(timeout=15) == 0, "ocppd must exit 0 after a graceful shutdown"
    ocppd.start()
    assert ocppd.session(tid)["active"] is True


def test_sigterm_with_an_open_event_stream_still_exits_promptly(ocppd):
    """Event streams never end by themselves; graceful shutdown must not wait for them."""

    async def scenario():
        stream = await SseStream.open(ocppd, "/api/events")
        try:
            assert stream.status == 200
            ocppd.terminate()
            # The subscriber stays connected while ocppd shuts down.
            try:
                return await asyncio.to_thread(ocppd.wait, 10)
            except subprocess.TimeoutExpired:
                raise AssertionError("ocppd still runs 10 s after SIGTERM: an open event stream blocks shutdown")
        finally:
            await stream.close()

    assert run(scenario()) == 0


def test_station_shows_disconnected_after_restart(ocppd):
    """Connection state is not resurrected from the store: after a crash nobody is connected."""

    async def scenario():
        async with connect_peer(ocppd, "CP-DUR-CONN") as cp:
            await cp.boot()
            wait_until(lambda: ocppd.station("CP-DUR-CONN")["connected"] is True, what="connected")
            ocppd.kill()

    run(scenario())
    ocppd.start()
    station = ocppd.station("CP-DUR-CONN")
    assert station is not None and station["vendor"] == "ACME"
    assert station["connected"] is False
