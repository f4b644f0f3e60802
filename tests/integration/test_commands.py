"""Central-system commands: what they leave in the store, and how they queue per station.

The side-effect tests use the `ocpp` package as the charge point; the queue tests speak raw OCPP-J,
so that the test decides exactly when each CALL from ocppd is answered.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from ocpp.routing import on
from ocpp.v16 import call_result

from harness import (
    Peer,
    assert_callresult,
    assert_problem,
    connect_peer,
    limit_refusals,
    open_ws,
    parse_time,
    raw_call,
    recv_frame,
    run,
    total_count,
    wait_until,
)


class EffectsPeer(Peer):
    """A charge point with a configuration, that accepts most commands (see each handler)."""

    list_version = 9

    config = {"HeartbeatInterval": ("60", False), "NumberOfConnectors": ("2", True)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reservations: list[int] = []
        self.reserve_answer = "Accepted"

    @on("GetConfiguration")
    def on_get_configuration(self, key=None, **kwargs):
        asked = key or list(self.config)
        known = [{"key": k, "readonly": self.config[k][1], "value": self.config[k][0]} for k in asked if k in self.config]
        unknown = [k for k in asked if k not in self.config]
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on("ChangeConfiguration")
    def on_change_configuration(self, key, value, **kwargs):
        return call_result.ChangeConfiguration(status="Rejected" if self.config.get(key, ("", False))[1] else "Accepted")

    @on("ChangeAvailability")
    def on_change_availability(self, connector_id, type, **kwargs):
        return call_result.ChangeAvailability(status="Scheduled" if connector_id == 2 else "Accepted")

    @on("SendLocalList")
    def on_send_local_list(self, list_version, update_type, **kwargs):
        return call_result.SendLocalList(status="Accepted")

    @on("GetLocalListVersion")
    def on_get_local_list_version(self, **kwargs):
        return call_result.GetLocalListVersion(list_version=self.list_version)

    @on("SetChargingProfile")
    def on_set_charging_profile(self, connector_id, cs_charging_profiles, **kwargs):
        return call_result.SetChargingProfile(status="Accepted")

    @on("ClearChargingProfile")
    def on_clear_charging_profile(self, **kwargs):
        return call_result.ClearChargingProfile(status="Accepted")

    @on("UpdateFirmware")
    def on_update_firmware(self, location, retrieve_date, **kwargs):
        return call_result.UpdateFirmware()

    @on("GetDiagnostics")
    def on_get_diagnostics(self, location, **kwargs):
        return call_result.GetDiagnostics(file_name="diag.zip")

    @on("ReserveNow")
    def on_reserve_now(self, reservation_id, **kwargs):
        self.reservations.append(reservation_id)
        return call_result.ReserveNow(status=self.reserve_answer)

    @on("CancelReservation")
    def on_cancel_reservation(self, **kwargs):
        return call_result.CancelReservation(status="Accepted")


def profile(profile_id: int, purpose: str, stack_level: int = 0) -> dict:
    return {
        "chargingProfileId": profile_id,
        "stackLevel": stack_level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {"chargingRateUnit": "W", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000.0}]},
    }


def test_commands_leave_configuration_availability_local_list_profiles_and_requests_on_the_station(ocppd):
    cp_id = "CP-EFFECTS"

    async def command(name: str, body: dict) -> dict:
        resp = await ocppd.aapi("POST", f"/api/admin/{cp_id}/{name}", json=body)
        assert resp.status_code == 200, f"{name}: {resp.status_code} {resp.text[:300]}"
        return resp.json()

    async def scenario():
        async with connect_peer(ocppd, cp_id, peer_class=EffectsPeer) as cp:
            await cp.boot()
            await cp.status(1, "Available")
            await cp.status(2, "Available")

            await command("get-configuration", {})
            await command("get-configuration", {"key": ["HeartbeatInterval", "NoSuchKey"]})
            assert (await command("change-configuration", {"key": "HeartbeatInterval", "value": "30"}))["status"] == "Accepted"
            assert (await command("change-configuration", {"key": "NumberOfConnectors", "value": "3"}))["status"] == "Rejected"

            await command("change-availability", {"connectorId": 0, "type": "Inoperative"})
            await command("change-availability", {"connectorId": 2, "type": "Operative"})

            await command(
                "send-local-list",
                {"listVersion": 1, "updateType": "Full",
                 "localAuthorizationList": [{"idTag": "A", "idTagInfo": {"status": "Accepted"}}]},
            )
            await command("send-local-list", {"listVersion": 2, "updateType": "Differential",
                                              "localAuthorizationList": [
                                                  {"idTag": "A"}, {"idTag": "B", "idTagInfo": {"status": "Blocked"}}]})
            after_send = ocppd.station(cp_id)["localListVersion"]

            await command("set-charging-profile", {"connectorId": 1, "csChargingProfiles": profile(1, "TxDefaultProfile")})
            await command("set-charging-profile", {"connectorId": 0, "csChargingProfiles": profile(2, "ChargePointMaxProfile")})
            await command("clear-charging-profile", {"chargingProfilePurpose": "TxDefaultProfile"})

            await command("update-firmware", {"location": "http://127.0.0.1/fw.bin", "retrieveDate": "2099-01-01T00:00:00Z"})
            await command("get-diagnostics", {"location": "ftp://127.0.0.1/diag"})
            return after_send

    after_send = run(scenario())
    assert after_send == 2
    station = ocppd.station(cp_id)

    assert station["configuration"] == [
        {"key": "HeartbeatInterval", "value": "30", "readonly": False},
        {"key": "NumberOfConnectors", "value": "2", "readonly": True},
    ]
    assert station["unknownConfigurationKeys"] == ["NoSuchKey"]
    assert parse_time(station["configurationReadAt"]) > dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)

    availability = {c["connectorId"]: c["availability"] for c in station["connectors"]}
    assert (availability[1]["requested"], availability[1]["status"]) == ("Inoperative", "Accepted")
    assert (availability[2]["requested"], availability[2]["status"]) == ("Operative", "Scheduled")

    assert [(p["chargingProfileId"], p["connectorId"]) for p in station["chargingProfiles"]] == [(2, 0)]
    assert station["chargingProfiles"][0]["profile"] == profile(2, "ChargePointMaxProfile")

    assert station["localList"] == [{"idTag": "B", "status": "Blocked", "expiryDate": None, "parentIdTag": None}]

    assert station["lastFirmwareUpdate"]["request"]["location"] == "http://127.0.0.1/fw.bin"
    assert station["lastFirmwareUpdate"]["response"] == {}
    assert station["lastDiagnosticsRequest"]["response"] == {"fileName": "diag.zip"}

    # GetLocalListVersion reads the version the station really has; 0 means its list is empty.
    async def read_version(version: int):
        async with connect_peer(ocppd, cp_id, peer_class=EffectsPeer) as cp:
            cp.list_version = version
            await cp.boot()
            answer = (await ocppd.aapi("POST", f"/api/admin/{cp_id}/get-local-list-version", json={})).json()
            assert answer == {"listVersion": version}

    # The version last sent: the entries sent are the station's.
    run(read_version(2))
    assert ocppd.station(cp_id)["localListVersion"] == 2 and len(ocppd.station(cp_id)["localList"]) == 1
    # Another version (a reset, another central system): which entries it has is not known.
    run(read_version(9))
    assert ocppd.station(cp_id)["localListVersion"] == 9 and ocppd.station(cp_id)["localList"] == []
    run(read_version(0))
    assert ocppd.station(cp_id)["localListVersion"] == 0 and ocppd.station(cp_id)["localList"] == []

    # Every command is in the log, newest first; lists leave the detail-only fields null.
    log = ocppd.get(f"/api/commands?cpId={cp_id}&limit=2")
    assert log.status_code == 200 and total_count(log) == 16
    assert [c["action"] for c in log.json()] == ["GetLocalListVersion", "GetLocalListVersion"]
    listed = [s for s in ocppd.get("/api/stations").json() if s["id"] == cp_id][0]
    assert listed["configuration"] is None and listed["localList"] is None and listed["localListVersion"] == 0


def reservation(ocppd, rid: int) -> dict:
    return [r for r in ocppd.get("/api/reservations?limit=1000").json() if r["reservationId"] == rid][0]


def test_reservation_expires_is_used_by_its_start_transaction_and_can_be_cancelled(ocppd):
    # The whole life of PRODUCT.md §2 (on whichever store the suite runs): Accepted while it holds, then Used,
    # Cancelled or Expired; a refused ReserveNow keeps the charger's answer. All expire within seconds, so that the
    # end shows which statuses outlive the expiry date and which one it ends (6 s: all are made before then).
    cp_id = "CP-RESERVE"
    ocppd.create_tag("TAG-RES")
    soon = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=6)).isoformat().replace("+00:00", "Z")

    async def scenario():
        async with connect_peer(ocppd, cp_id, peer_class=EffectsPeer) as cp:
            await cp.boot()
            # ReserveNow's reservationId is allocated by ocppd: learn it from the charge point's side.
            async def reserve(connector: int, answer: str = "Accepted") -> int:
                cp.reserve_answer = answer
                resp = await ocppd.aapi(
                    "POST", f"/api/admin/{cp_id}/reserve-now",
                    json={"connectorId": connector, "expiryDate": soon, "idTag": "TAG-RES"},
                )
                assert resp.status_code == 200 and resp.json() == {"status": answer}, resp.text
                return cp.reservations[-1]

            expiring = await reserve(1)
            assert reservation(ocppd, expiring)["status"] == "Accepted"

            used = await reserve(2)
            started = await cp.start_tx(2, "TAG-RES", 0, reservation_id=used)

            cancelled = await reserve(1)
            resp = await ocppd.aapi("POST", f"/api/admin/{cp_id}/cancel-reservation", json={"reservationId": cancelled})
            assert resp.json() == {"status": "Accepted"}

            refused = {answer: await reserve(1, answer) for answer in ("Faulted", "Occupied", "Rejected", "Unavailable")}
            return expiring, used, cancelled, refused, started.transaction_id

    expiring, used, cancelled, refused, tid = run(scenario())
    assert ocppd.session(tid)["reservationId"] == used
    final = {used: "Used", cancelled: "Cancelled"} | {rid: answer for answer, rid in refused.items()}
    for rid, status in final.items():
        assert reservation(ocppd, rid)["status"] == status, rid
    wait_until(lambda: reservation(ocppd, expiring)["status"] == "Expired", timeout=10, what="the reservation to expire")
    # Past the expiry date: only the held one became Expired.
    for rid, status in final.items():
        assert reservation(ocppd, rid)["status"] == status, rid
    listed = ocppd.get("/api/reservations?limit=1000").json()
    assert {r["reservationId"]: r["status"] for r in listed} == final | {expiring: "Expired"}


# ---------------------------------------------------------------------------------------------
# The queue: one outstanding CALL per station, in order, bounded; the station's own CALLs go on
# ---------------------------------------------------------------------------------------------


async def boot_raw(ocppd, cp_id: str):
    ws = await open_ws(ocppd.ws_url(cp_id))
    assert_callresult(await raw_call(ws, "BootNotification", {"chargePointVendor": "ACME", "chargePointModel": "Raw"}))
    return ws


async def next_call(ws, timeout: float = 10) -> list:
    frame = await recv_frame(ws, timeout)
    assert frame[0] == 2, f"expected a CALL from ocppd, got {frame!r}"
    return frame


async def nothing_arrives(ws, seconds: float) -> None:
    try:
        frame = await recv_frame(ws, seconds)
    except asyncio.TimeoutError:
        return
    raise AssertionError(f"a second CALL went out while one was outstanding: {frame!r}")


def test_commands_go_out_one_at_a_time_in_order_while_the_stations_own_calls_are_answered(ocppd):
    cp_id = "CP-QUEUE-ORDER"

    async def scenario():
        ws = await boot_raw(ocppd, cp_id)
        tasks = []
        for n in range(3):
            body = {"vendorId": "ACME", "messageId": f"m{n}"}
            tasks.append(asyncio.create_task(ocppd.aapi("POST", f"/api/admin/{cp_id}/data-transfer", json=body)))
            await asyncio.sleep(0.3)  # so that the commands are made in a known order
        answers = []
        for n in range(3):
            frame = await next_call(ws)
            assert (frame[2], frame[3]["messageId"]) == ("DataTransfer", f"m{n}"), frame
            # While ocppd waits for this answer, the station's own CALLs are answered at once ...
            loop = asyncio.get_running_loop()
            began = loop.time()
            assert_callresult(await raw_call(ws, "Heartbeat", {}, timeout=3))
            assert loop.time() - began < 2
            # ... and no other command goes out.
            await nothing_arrives(ws, 0.5)
            await ws.send(json.dumps([3, frame[1], {"status": "Accepted", "data": f"r{n}"}]))
        for task in tasks:
            resp = await task
            assert resp.status_code == 200, resp.text
            answers.append(resp.json()["data"])
        await ws.close()
        return answers

    # Each REST caller gets the answer to its own command.
    assert run(scenario()) == ["r0", "r1", "r2"]


def test_a_full_command_queue_answers_503_and_the_queued_commands_still_complete(ocppd_factory):
    ocppd = ocppd_factory("--max-queued-commands", "1")
    cp_id = "CP-QUEUE-FULL"

    async def scenario():
        ws = await boot_raw(ocppd, cp_id)
        first = asyncio.create_task(ocppd.aapi("POST", f"/api/admin/{cp_id}/reset", json={"type": "Soft"}))
        outstanding = await next_call(ws)
        second = asyncio.create_task(ocppd.aapi("POST", f"/api/admin/{cp_id}/reset", json={"type": "Hard"}))
        await asyncio.sleep(0.5)  # the second waits in the queue, which is now full
        refused = await ocppd.aapi("POST", f"/api/admin/{cp_id}/reset", json={"type": "Hard"})
        assert_problem(refused, 503, mentions="retry")
        assert refused.headers.get("Retry-After")
        await ws.send(json.dumps([3, outstanding[1], {"status": "Accepted"}]))
        queued = await next_call(ws)
        assert queued[3] == {"type": "Hard"}
        await ws.send(json.dumps([3, queued[1], {"status": "Rejected"}]))
        results = [(await first).json(), (await second).json()]
        await ws.close()
        return results

    assert run(scenario()) == [{"status": "Accepted"}, {"status": "Rejected"}]
    assert limit_refusals(ocppd, "queued_commands") == 1
    assert "command refused: too many wait for the station" in ocppd.log_text()


def test_an_answer_sent_right_before_the_station_closes_completes_the_command(ocppd):
    """A station that answers a command and closes its WebSocket at once (one reconnecting on a new security profile
    does) gets its answer through: the messages it sent before its Close frame are handled before the connection ends."""
    import concurrent.futures

    pool = concurrent.futures.ThreadPoolExecutor(2)

    async def scenario():
        answers = []
        for _ in range(10):
            ws = await open_ws(ocppd.ws_url("CP-ANSWER-CLOSE"))
            await raw_call(ws, "BootNotification", {"chargePointVendor": "ACME", "chargePointModel": "X"})
            rest = asyncio.get_running_loop().run_in_executor(pool, lambda: ocppd.post(
                "/api/admin/CP-ANSWER-CLOSE/change-configuration", json={"key": "SecurityProfile", "value": "2"}))
            frame = await recv_frame(ws)
            assert frame[2] == "ChangeConfiguration", frame
            await ws.send(json.dumps([3, frame[1], {"status": "Accepted"}]))
            await ws.close()
            resp = await rest
            answers.append((resp.status_code, resp.json()))
        return answers

    try:
        answers = run(scenario())
    finally:
        pool.shutdown()
    assert answers == [(200, {"status": "Accepted"})] * 10
    assert "late or unexpected CALLRESULT dropped" not in ocppd.log_text()
