"""Thousands of random and mutated frames against the running ocppd: every one is survived, the
connection keeps answering, another station is not disturbed, and the process stays up."""

from __future__ import annotations

import json
import random

import requests

from harness import assert_callresult, heartbeat_works, open_ws, recv_frame, run

SEEDS = [
    [2, "1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}],
    [2, "2", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}],
    [2, "3", "StartTransaction", {"connectorId": 1, "idTag": "TAG", "meterStart": 0, "timestamp": "2024-01-01T00:00:00Z"}],
    [2, "4", "MeterValues", {"connectorId": 1, "transactionId": 1,
                            "meterValue": [{"timestamp": "2024-01-01T00:00:00Z", "sampledValue": [{"value": "1"}]}]}],
    [2, "5", "StopTransaction", {"transactionId": 1, "meterStop": 5, "timestamp": "2024-01-01T01:00:00Z"}],
    [2, "6", "Authorize", {"idTag": "TAG"}],
    [3, "7", {"status": "Accepted"}],
    [4, "8", "NotSupported", "", {}],
]
ALPHABET = '[]{}",:0123456789-.eE truefalsnul\\\u00e9\u0000\ud7ff'


def mutate(rng: random.Random) -> str:
    if rng.random() < 0.25:
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 80)))
    text = list(json.dumps(rng.choice(SEEDS)))
    for _ in range(rng.randrange(1, 5)):
        if not text:
            break
        at = rng.randrange(len(text))
        op = rng.randrange(3)
        if op == 0:
            text[at] = rng.choice(ALPHABET)
        elif op == 1:
            del text[at]
        else:
            text.insert(at, rng.choice(ALPHABET))
    return "".join(text)


def test_thousands_of_random_and_mutated_frames_leave_the_gateway_serving(ocppd_factory):
    # Without the per-station CALL rate limit: this test is about what the frames say, not how fast they come.
    ocppd = ocppd_factory("--max-calls-per-second", "0")
    rng = random.Random(16)

    async def scenario():
        bystander = await open_ws(ocppd.ws_url("FUZZ_BYSTANDER"))
        ws = await open_ws(ocppd.ws_url("FUZZ_TARGET"))
        answered_errors = 0
        for i in range(3000):
            await ws.send(mutate(rng))
            # A Heartbeat after every frame: the connection must still answer, within a deadline.
            marker = f"hb-{i}"
            await ws.send(json.dumps([2, marker, "Heartbeat", {}]))
            while True:
                frame = await recv_frame(ws, timeout=10)
                if isinstance(frame, list) and len(frame) > 1 and frame[1] == marker:
                    assert_callresult(frame, marker)
                    break
                assert isinstance(frame, list) and frame[0] in (3, 4), f"unexpected frame {frame!r}"
                if frame[0] == 4:
                    answered_errors += 1
            if i % 500 == 0:
                await heartbeat_works(bystander)
        await heartbeat_works(bystander)
        await ws.close()
        await bystander.close()
        return answered_errors

    errors = run(scenario(), timeout=600)
    assert errors > 1000, f"only {errors} CALLERRORs for 3000 mostly broken frames"
    assert ocppd.proc.poll() is None, "ocppd exited"
    assert requests.get(f"{ocppd.base_url}/healthz", timeout=5).status_code == 200
