"""The WebSocket endpoint seen by a raw client (no ocpp library): handshake, station
authentication, unknown-station policies, replacement of connections, malformed frames."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
import websockets
from ocpp.v16 import call

from harness import (
    assert_callerror,
    assert_callresult,
    async_wait_until,
    basic_auth,
    connect_peer,
    handshake_refusal,
    heartbeat_works,
    next_id,
    open_ws,
    raw_call,
    recv_frame,
    recv_reply,
    run,
    sighting_ids,
    wait_until,
)

BOOT = {"chargePointVendor": "ACME", "chargePointModel": "Volt-22"}


async def boot_raw(ws) -> dict:
    msg_id = next_id()
    return assert_callresult(await raw_call(ws, "BootNotification", BOOT, msg_id), msg_id)


# ---------------------------------------------------------------------------------------------
# Subprotocol negotiation
# ---------------------------------------------------------------------------------------------


def test_subprotocol_ocpp16_is_answered_when_offered(ocppd):
    async def scenario():
        ws = await open_ws(ocppd.ws_url("CP-SUB-1"), subprotocols=["ocpp1.6"])
        try:
            assert ws.subprotocol == "ocpp1.6"
            assert (await boot_raw(ws))["status"] == "Accepted"
        finally:
            await ws.close()

    run(scenario())


def test_ocpp16_is_chosen_among_several_offered_subprotocols(ocppd):
    async def scenario():
        ws = await open_ws(ocppd.ws_url("CP-SUB-2"), subprotocols=["ocpp2.0.1", "ocpp1.6"])
        try:
            assert ws.subprotocol == "ocpp1.6"
        finally:
            await ws.close()

    run(scenario())


def test_the_subprotocol_is_answered_in_the_spelling_the_client_offered(ocppd):
    # Subprotocol names compare by case here, but a client checks the answer against what it sent.
    async def scenario():
        ws = await open_ws(ocppd.ws_url("CP-SUB-CASE"), subprotocols=["OCPP1.6"])
        try:
            assert ws.subprotocol == "OCPP1.6"
            await heartbeat_works(ws)
        finally:
            await ws.close()

    run(scenario())


def test_client_offering_only_foreign_subprotocols_is_refused_with_400(ocppd):
    response = run(handshake_refusal(ocppd.ws_url("CP-SUB-3"), subprotocols=["ocpp2.0.1"]))
    assert response.status_code == 400


def test_client_offering_no_subprotocol_is_taken_as_ocpp16(ocppd):
    async def scenario():
        # websockets fails the handshake itself if the server names a subprotocol nobody offered.
        ws = await open_ws(ocppd.ws_url("CP-SUB-4"), subprotocols=None)
        try:
            assert ws.subprotocol is None
            assert (await boot_raw(ws))["status"] == "Accepted"
            await heartbeat_works(ws)
        finally:
            await ws.close()

    run(scenario())


# ---------------------------------------------------------------------------------------------
# Identities
# ---------------------------------------------------------------------------------------------


def test_identity_is_percent_decoded(ocppd):
    async def scenario():
        ws = await open_ws(ocppd.ws_url("CP 42+x"))  # sent as CP%2042%2Bx
        try:
            await boot_raw(ws)
            station = await async_wait_until(lambda: ocppd.station("CP 42+x"), what="station 'CP 42+x'")
            assert station["id"] == "CP 42+x"
            assert station["connected"] is True
        finally:
            await ws.close()

    run(scenario())


def test_identity_of_48_characters_is_accepted_and_49_refused(ocppd):
    async def scenario():
        ok = "C" * 48
        ws = await open_ws(ocppd.ws_url(ok))
        try:
            await boot_raw(ws)
        finally:
            await ws.close()
        response = await handshake_refusal(ocppd.ws_url("C" * 49))
        assert 400 <= response.status_code < 500

    run(scenario())
    assert ocppd.station("C" * 48) is not None
    assert ocppd.station("C" * 49) is None


# ---------------------------------------------------------------------------------------------
# Unknown stations: reject, pending
# ---------------------------------------------------------------------------------------------


def test_reject_policy_refuses_unknown_station_with_404_but_admits_registered_ones(ocppd_factory):
    ocppd = ocppd_factory("--unknown-stations", "reject")
    response = run(handshake_refusal(ocppd.ws_url("CP-STRANGER")))
    assert response.status_code == 404
    assert ocppd.station("CP-STRANGER") is None, "a refused station must not be registered"

    # The refused station is listed for an operator to adopt.
    def unknown_ids():
        resp = ocppd.get("/api/stations/unknown")
        assert resp.status_code == 200, resp.text
        return sighting_ids(resp.json())

    wait_until(lambda: "CP-STRANGER" in unknown_ids(), what="CP-STRANGER in /api/stations/unknown")

    assert ocppd.put("/api/stations/CP-KNOWN", json={"registrationStatus": "Accepted"}).status_code == 201

    async def scenario():
        ws = await open_ws(ocppd.ws_url("CP-KNOWN"))
        try:
            assert (await boot_raw(ws))["status"] == "Accepted"
        finally:
            await ws.close()

    run(scenario())


@pytest.mark.parametrize(
    "how",
    [
        pytest.param({"args": ("--unknown-stations", "pending")}, id="flag"),
        pytest.param({"env": {"OCPPD_UNKNOWN_STATIONS": "pending"}}, id="env-OCPPD_UNKNOWN_STATIONS"),
        pytest.param({"env": {"BOOT_NOTIFICATION_STATUS": "Pending"}}, id="env-BOOT_NOTIFICATION_STATUS"),
    ],
)
def test_pending_policy_boots_pending_until_operator_accepts(ocppd_factory, how):
    ocppd = ocppd_factory(*how.get("args", ()), env=how.get("env"))
    cp_id = "CP-NEWCOMER"

    async def scenario():
        ws = await open_ws(ocppd.ws_url(cp_id))
        try:
            first = await boot_raw(ws)
            assert first["status"] == "Pending"
            assert isinstance(first["interval"], int) and first["interval"] > 0

            def seen_as_pending():
                station = ocppd.station(cp_id)
                if station is not None and station.get("registrationStatus") == "Pending":
                    return True
                resp = ocppd.get("/api/stations/unknown")
                return resp.status_code == 200 and cp_id in sighting_ids(resp.json())

            await async_wait_until(seen_as_pending, what=f"{cp_id} pending or in /api/stations/unknown")

            accepted = await ocppd.aapi("PUT", f"/api/stations/{cp_id}", json={"registrationStatus": "Accepted"})
            assert accepted.status_code in (200, 201), accepted.text

            again = await boot_raw(ws)
            assert again["status"] == "Accepted"
        finally:
            await ws.close()
        assert ocppd.station(cp_id)["registrationStatus"] == "Accepted"

    run(scenario())


@pytest.mark.parametrize("policy, status", [("accept", "Accepted"), ("pending", "Pending")])
def test_a_station_that_has_not_booted_yet_is_registered_connected_and_can_be_asked_to_boot(ocppd_factory, policy, status):
    ocppd = ocppd_factory("--unknown-stations", policy)
    cp_id = f"CP-QUIET-{policy}"

    async def scenario():
        ws = await open_ws(ocppd.ws_url(cp_id))
        try:
            def listed():
                station = ocppd.station(cp_id)
                return station is not None and station["connected"]

            await async_wait_until(listed, what=f"{cp_id} registered and connected before its BootNotification")
            station = ocppd.station(cp_id)
            assert station["registrationStatus"] == status and station["vendor"] is None
            assert cp_id in [s["id"] for s in ocppd.get("/api/stations/connected/list").json()]
            # The one thing to do with a station that keeps quiet: ask it to boot.
            trigger = asyncio.create_task(
                ocppd.aapi("POST", f"/api/admin/{cp_id}/trigger-message", json={"requestedMessage": "BootNotification"}))
            frame = await recv_frame(ws)
            assert frame[0] == 2 and frame[2] == "TriggerMessage" and frame[3] == {"requestedMessage": "BootNotification"}
            await ws.send(json.dumps([3, frame[1], {"status": "Accepted"}]))
            answered = await trigger
            assert answered.status_code == 200 and answered.json() == {"status": "Accepted"}
            assert (await boot_raw(ws))["status"] == status
        finally:
            await ws.close()
        assert ocppd.station(cp_id)["vendor"] == "ACME"

    run(scenario())


def test_a_removed_station_that_reconnects_by_itself_is_not_registered_again_until_it_boots(ocppd):
    cp_id = "CP-REMOVED"

    async def scenario():
        first = await open_ws(ocppd.ws_url(cp_id))
        await async_wait_until(lambda: ocppd.station(cp_id) is not None, what=f"{cp_id} registered on connecting")
        removed = await ocppd.aapi("DELETE", f"/api/stations/{cp_id}")
        assert removed.status_code == 200 and removed.json()["id"] == cp_id
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(first.recv(), 10)  # ocppd closed it
        # The charger comes back on its own: the operator's removal holds.
        again = await open_ws(ocppd.ws_url(cp_id))
        try:
            await heartbeat_works(again)
            await asyncio.sleep(0.5)
            assert ocppd.station(cp_id) is None
            # Its next boot brings it back under the accept policy, as it always did.
            assert (await boot_raw(again))["status"] == "Accepted"
        finally:
            await again.close()
        assert ocppd.station(cp_id) is not None

    run(scenario())


# ---------------------------------------------------------------------------------------------
# Security profile 1: HTTP Basic
# ---------------------------------------------------------------------------------------------

KEY = "0123456789abcdef0123"


def test_security_profile_1_requires_basic_credentials(ocppd):
    cp_id = "CP1"
    resp = ocppd.put(f"/api/stations/{cp_id}", json={"authorizationKey": KEY, "securityProfile": 1})
    assert resp.status_code in (200, 201), resp.text
    assert KEY not in resp.text, "the authorization key must never be served back"

    async def scenario():
        url = ocppd.ws_url(cp_id)
        missing = await handshake_refusal(url)
        assert missing.status_code == 401
        assert (missing.headers.get("WWW-Authenticate") or "").lower().startswith("basic")

        wrong = await handshake_refusal(url, headers=basic_auth(cp_id, "not-the-key-00000000"))
        assert wrong.status_code == 401
        assert (wrong.headers.get("WWW-Authenticate") or "").lower().startswith("basic")

        other_user = await handshake_refusal(url, headers=basic_auth("CP2", KEY))
        assert other_user.status_code == 401, "the username must be the station's identity"

        garbage = await handshake_refusal(url, headers={"Authorization": "Basic !!!not-base64!!!"})
        assert garbage.status_code == 401

        ws = await open_ws(url, headers=basic_auth(cp_id, KEY))
        try:
            assert ws.subprotocol == "ocpp1.6"
            assert (await boot_raw(ws))["status"] == "Accepted"
        finally:
            await ws.close()

    run(scenario())

    station = ocppd.station(cp_id)
    assert KEY not in json.dumps(station)
    # Stored as a salted hash, and never logged (ocppd runs at debug level here).
    for path in ocppd.data_dir.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), f"authorization key stored in clear in {path.name}"
    credentials = base64.b64encode(f"{cp_id}:{KEY}".encode()).decode()
    log = ocppd.log_text()
    assert KEY not in log and credentials not in log, "station credentials appear in ocppd's log"


# ---------------------------------------------------------------------------------------------
# One connection per identity
# ---------------------------------------------------------------------------------------------


def test_second_connection_with_same_identity_replaces_the_first(ocppd):
    cp_id = "CP-TWICE"

    async def scenario():
        first = await open_ws(ocppd.ws_url(cp_id))
        await boot_raw(first)
        second = await open_ws(ocppd.ws_url(cp_id))
        try:
            await asyncio.wait_for(first.wait_closed(), 10)
            await boot_raw(second)
            await heartbeat_works(second)
            # The old socket's end must not mark the station disconnected.
            station = await asyncio.to_thread(ocppd.station, cp_id)
            assert station["connected"] is True
        finally:
            await second.close()
            await first.close()

    run(scenario())


# ---------------------------------------------------------------------------------------------
# Malformed input: a CALLERROR, and the connection keeps working
# ---------------------------------------------------------------------------------------------

CONSTRAINT_CODES = {"PropertyConstraintViolation", "FormationViolation", "TypeConstraintViolation"}

MALFORMED = [
    # (id, raw frame, expected CALLERROR codes, expected reply id or None for "any")
    ("not-json", "this is not json", {"FormationViolation", "ProtocolError"}, None),
    ("truncated-json", '[2,"m1","Heartbeat",{', {"FormationViolation", "ProtocolError"}, None),
    ("not-an-array", '{"hello": "world"}', {"FormationViolation", "ProtocolError"}, None),
    ("call-missing-elements", '[2,"m2"]', {"ProtocolError", "FormationViolation"}, "m2"),
    ("unknown-action", '[2,"m3","Foo",{}]', {"NotImplemented"}, "m3"),
    ("missing-required-fields", '[2,"m4","BootNotification",{}]', {"OccurenceConstraintViolation"}, "m4"),
    (
        "wrong-type",
        '[2,"m5","BootNotification",{"chargePointVendor":5,"chargePointModel":"M"}]',
        {"TypeConstraintViolation"},
        "m5",
    ),
    (
        "bad-enum",
        '[2,"m6","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Exploded"}]',
        {"PropertyConstraintViolation"},
        "m6",
    ),
    ("cistring-too-long", '[2,"m7","Authorize",{"idTag":"%s"}]' % ("X" * 21), CONSTRAINT_CODES, "m7"),
    (
        "bad-date-time",
        '[2,"m8","StartTransaction",{"connectorId":1,"idTag":"T","meterStart":0,"timestamp":"yesterday"}]',
        CONSTRAINT_CODES,
        "m8",
    ),
    ("payload-not-object", '[2,"m9","Heartbeat",[]]', CONSTRAINT_CODES | {"ProtocolError"}, "m9"),
]


@pytest.mark.parametrize(
    "frame, codes, reply_id", [pytest.param(f, c, r, id=i) for i, f, c, r in MALFORMED]
)
def test_malformed_frame_gets_callerror_and_connection_keeps_working(ocppd, frame, codes, reply_id):
    async def scenario():
        ws = await open_ws(ocppd.ws_url("CP-MALFORMED"))
        try:
            await boot_raw(ws)
            await ws.send(frame)
            reply = await recv_reply(ws, reply_id)
            assert_callerror(reply, codes, reply_id)
            await heartbeat_works(ws)
        finally:
            await ws.close()

    run(scenario())


def test_unsolicited_callresult_and_callerror_are_ignored(ocppd):
    async def scenario():
        ws = await open_ws(ocppd.ws_url("CP-UNSOLICITED"))
        try:
            await boot_raw(ws)
            await ws.send(json.dumps([3, "never-asked", {}]))
            await ws.send(json.dumps([4, "never-asked-2", "GenericError", "", {}]))
            await heartbeat_works(ws)
        finally:
            await ws.close()

    run(scenario())


def test_oversized_frame_harms_neither_the_process_nor_other_stations(ocppd):
    async def scenario():
        async with connect_peer(ocppd, "CP-BYSTANDER") as bystander:
            await bystander.boot()
            big = await open_ws(ocppd.ws_url("CP-FLOOD"))
            try:
                payload = {"vendorId": "ACME", "data": "A" * (8 * 1024 * 1024)}
                try:
                    await big.send(json.dumps([2, "big", "DataTransfer", payload]))
                    await recv_reply(big, "big", timeout=15)
                except (websockets.ConnectionClosed, AssertionError, asyncio.TimeoutError):
                    pass  # closing it (1009), refusing or dropping it are all acceptable
            finally:
                await big.close()
            # The other station is served as before.
            result = await bystander.send(call.Heartbeat())
            assert result.current_time

    run(scenario())
    assert ocppd.running, "ocppd died from one oversized frame"
    assert ocppd.get("/healthz").status_code == 200


def test_silent_charger_shows_disconnected_within_two_ping_intervals(ocppd_factory):
    """A charger that lost power sends nothing and answers no ping: ocppd must notice on its own."""
    ocppd = ocppd_factory("--ping-interval", "2")
    cp_id = "CP-POWERCUT"

    async def scenario():
        ws = await open_ws(ocppd.ws_url(cp_id))
        try:
            await boot_raw(ws)
            await async_wait_until(lambda: ocppd.station(cp_id)["connected"] is True, what="connected")
            # Stop reading: ocppd's pings go unanswered, as with a charger that lost power.
            ws.transport.pause_reading()
            # Two intervals (4 s) plus slack for the check and the REST round trip.
            await async_wait_until(
                lambda: ocppd.station(cp_id)["connected"] is False, timeout=7, what="station to show disconnected"
            )
        finally:
            ws.transport.abort()

    run(scenario())
