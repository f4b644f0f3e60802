"""Limits that keep one bad actor from hurting others: over each, the spec's answer (CALLERROR, 429 with Retry-After,
413), a log line and a count in ocppd_limit_refusals_total, and ocppd keeps serving everyone else."""

from __future__ import annotations

import asyncio
import json
import re

import requests
import websockets

from harness import (
    assert_callresult,
    assert_problem,
    basic_auth,
    energy_sample,
    handshake_refusal,
    heartbeat_works,
    iso_now,
    limit_refusals,
    metric,
    open_ws,
    recv_frame,
    run,
)

KEY = "0123456789abcdef0123"


def test_calls_over_a_stations_rate_get_callerror_and_others_are_not_held_up(ocppd_factory):
    ocppd = ocppd_factory("--max-calls-per-second", "2")  # a burst of 8, then 2 per second

    async def scenario():
        flood = await open_ws(ocppd.ws_url("CP-FLOOD"))
        calm = await open_ws(ocppd.ws_url("CP-CALM"))
        try:
            for n in range(20):
                await flood.send(json.dumps([2, f"h{n}", "Heartbeat", {}]))
            answers = [await recv_frame(flood) for _ in range(20)]
            assert [a[1] for a in answers] == [f"h{n}" for n in range(20)]
            accepted = [a for a in answers if a[0] == 3]
            refused = [a for a in answers if a[0] == 4]
            # The burst, and the few CALLs read when nothing else waited behind them (the last one at least), which
            # are answered late instead; the flood beyond is refused.
            assert 8 <= len(accepted) <= 12 and len(refused) >= 8 and len(accepted) + len(refused) == 20, answers
            assert all(a[2] == "GenericError" and "rate limit" in a[3] for a in refused), refused
            await heartbeat_works(calm)  # another station has its own budget
        finally:
            await flood.close()
            await calm.close()

    run(scenario())
    assert limit_refusals(ocppd, "station_calls") >= 10
    # The central system's own counters are made before the REST routes: they count too.
    metrics = requests.get(f"{ocppd.base_url}/metrics", timeout=10).text
    received = re.search(r"^ocppd_ocpp_messages_received_total (\S+)$", metrics, re.MULTILINE)
    assert received and float(received.group(1)) >= 20, metrics[:2000]
    # Logged, but not once per refusal: a flood must not flood the log too.
    logged = ocppd.log_text().count("CALL over the station's rate limit refused")
    assert 1 <= logged < limit_refusals(ocppd, "station_calls"), logged


def test_a_station_that_waits_for_each_answer_is_slowed_to_its_rate_and_never_refused(ocppd_factory):
    # A charger back from an outage replays its queue as fast as it is answered, one message at a time; a CALLERROR
    # could make it drop a message, so over the rate its CALLs are answered later instead, whatever the action.
    ocppd = ocppd_factory("--max-calls-per-second", "20")  # a burst of 80, then 20 per second
    count = 120

    async def scenario():
        replay = await open_ws(ocppd.ws_url("CP-REPLAY"))
        calm = await open_ws(ocppd.ws_url("CP-CALM"))
        try:
            start = {"connectorId": 1, "idTag": "TAG-REPLAY", "meterStart": 0, "timestamp": iso_now()}
            await replay.send(json.dumps([2, "start", "StartTransaction", start]))
            transaction_id = assert_callresult(await recv_frame(replay), "start")["transactionId"]

            async def replaying():
                began = asyncio.get_running_loop().time()
                for n in range(count):
                    if n % 10 == 5:  # what else a charger says meanwhile is slowed too, not refused
                        status = {"connectorId": 1, "errorCode": "NoError", "status": "Charging"}
                        await replay.send(json.dumps([2, f"s{n}", "StatusNotification", status]))
                        assert_callresult(await recv_frame(replay, timeout=10), f"s{n}")
                    values = {"connectorId": 1, "transactionId": transaction_id, "meterValue": [energy_sample(str(n))]}
                    await replay.send(json.dumps([2, f"m{n}", "MeterValues", values]))
                    assert_callresult(await recv_frame(replay, timeout=10), f"m{n}")
                return asyncio.get_running_loop().time() - began

            replay_task = asyncio.create_task(replaying())
            await asyncio.sleep(1.0)  # the burst is spent by now: the replay is being slowed
            assert not replay_task.done()
            began = asyncio.get_running_loop().time()
            await heartbeat_works(calm)  # the wait holds up the replaying station alone
            assert asyncio.get_running_loop().time() - began < 0.5
            elapsed = await replay_task
            # Paced, not let through: the 52 CALLs past the burst of 80 took over 2 s at 20 a second.
            assert elapsed >= 2.0, elapsed
            return transaction_id
        finally:
            await replay.close()
            await calm.close()

    transaction_id = run(scenario(), timeout=60)
    assert limit_refusals(ocppd, "station_calls") == 0
    assert metric(ocppd, 'ocppd_limit_delays_total{limit="station_calls"}') >= 1
    stored = ocppd.get(f"/api/sessions/{transaction_id}/meter-values", params={"limit": 1000}).json()
    assert sorted(int(v["value"]) for v in stored) == list(range(count))
    assert "CALL over the station's rate: answered later" in ocppd.log_text()


def test_handshakes_over_an_addresss_rate_get_429_with_retry_after(ocppd_factory):
    ocppd = ocppd_factory("--max-handshakes-per-second", "1")  # a burst of 10

    async def scenario():
        opened = []
        try:
            for n in range(10):
                opened.append(await open_ws(ocppd.ws_url(f"CP-HS-{n}")))
            refused = await handshake_refusal(ocppd.ws_url("CP-HS-10"))
            assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
            await heartbeat_works(opened[0])  # the open ones are not touched
        finally:
            for ws in opened:
                await ws.close()

    run(scenario())
    assert limit_refusals(ocppd, "handshakes") >= 1
    assert "handshake refused: too many from one address" in ocppd.log_tail()


def test_wrong_credentials_lock_the_identity_out_for_a_while(ocppd_factory):
    ocppd = ocppd_factory("--max-auth-failures", "3")
    for cp in ("CP-LOCK", "CP-OTHER"):
        assert ocppd.put(f"/api/stations/{cp}", json={"authorizationKey": KEY, "securityProfile": 1}).status_code in (200, 201)

    async def scenario():
        for _ in range(3):
            refused = await handshake_refusal(ocppd.ws_url("CP-LOCK"), headers=basic_auth("CP-LOCK", "wrong-key-wrong-key"))
            assert refused.status_code == 401
        # Locked out now from this address, the right key included; other identities are not, and neither is the
        # station itself from its own address: a stranger cannot lock a station out by guessing.
        refused = await handshake_refusal(ocppd.ws_url("CP-LOCK"), headers=basic_auth("CP-LOCK", KEY))
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        for cp, source in (("CP-OTHER", None), ("CP-LOCK", "127.0.0.2")):
            ws = await open_ws(ocppd.ws_url(cp), headers=basic_auth(cp, KEY), source=source)
            await heartbeat_works(ws)
            await ws.close()
        # Right keys do not use up the budget.
        for _ in range(5):
            ws = await open_ws(ocppd.ws_url("CP-OTHER"), headers=basic_auth("CP-OTHER", KEY))
            await ws.close()

    run(scenario())
    assert limit_refusals(ocppd, "auth_failures") >= 1
    assert "identity locked out after wrong credentials" in ocppd.log_text()


def test_rest_requests_over_the_rate_get_429_problem_with_retry_after(ocppd_factory):
    ocppd = ocppd_factory("--max-api-requests-per-second", "2")  # a burst of 10
    statuses = [ocppd.get("/api/stations").status_code for _ in range(10)]
    assert statuses == [200] * 10
    resp = ocppd.get("/api/stations")
    problem = assert_problem(resp, 429, "requests per second")
    assert int(resp.headers["Retry-After"]) >= 1 and problem["status"] == 429
    assert requests.get(f"{ocppd.base_url}/healthz", timeout=10).status_code == 200  # health is not rate limited
    assert limit_refusals(ocppd, "api_requests") >= 1
    assert "REST request refused: over the rate limit" in ocppd.log_text()


def test_event_stream_subscribers_are_capped(ocppd_factory):
    ocppd = ocppd_factory("--max-event-subscribers", "1")
    headers = {"Authorization": f"Bearer {ocppd.token}"}
    with requests.get(f"{ocppd.base_url}/api/events", headers=headers, stream=True, timeout=10) as first:
        assert first.status_code == 200
        second = requests.get(f"{ocppd.base_url}/api/events", headers=headers, stream=True, timeout=10)
        assert_problem(second, 429, "subscribers")
        assert "Retry-After" in second.headers
    assert limit_refusals(ocppd, "event_subscribers") >= 1
    assert "event stream refused: too many subscribers" in ocppd.log_text()


def test_request_bodies_over_the_size_limit_get_413(ocppd_factory):
    ocppd = ocppd_factory("--max-body-size", "2048")
    assert ocppd.post("/api/rfid", json={"idTag": "SMALL"}).status_code == 201
    resp = ocppd.post("/api/rfid", json={"idTag": "BIG", "description": "x" * 4096})
    assert_problem(resp, 413)
    assert ocppd.get("/api/rfid/BIG").status_code == 404
    assert limit_refusals(ocppd, "body_size") == 1
    assert "request refused: body too large" in ocppd.log_text()


def test_messages_over_the_size_limit_close_with_1009_whole_or_in_fragments(ocppd_factory):
    ocppd = ocppd_factory("--max-frame-size", "2048")
    big = json.dumps([2, "big", "DataTransfer", {"vendorId": "ACME", "data": "A" * 4096}])

    async def scenario():
        for message in (big, iter([big[:1500], big[1500:3000], big[3000:]])):  # one frame; three under the limit each
            ws = await open_ws(ocppd.ws_url("CP-BIG"))
            await ws.send(message)
            try:
                await recv_frame(ws)
                raise AssertionError("an oversized message was answered")
            except websockets.ConnectionClosed:
                pass
            assert ws.close_code == 1009, ws.close_code
        ws = await open_ws(ocppd.ws_url("CP-BIG"))
        await heartbeat_works(ws)
        await ws.close()

    run(scenario())
    assert limit_refusals(ocppd, "message_size") == 2
    log = ocppd.log_text()
    assert "frame over the size limit" in log


def test_defaults_leave_a_normal_charger_alone(ocppd):
    async def scenario():
        ws = await open_ws(ocppd.ws_url("CP-NORMAL"))
        try:
            for n in range(100):
                await ws.send(json.dumps([2, f"n{n}", "Heartbeat", {}]))
            for n in range(100):
                assert_callresult(await recv_frame(ws), f"n{n}")
        finally:
            await ws.close()

    run(scenario())
