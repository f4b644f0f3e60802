"""Messages that arrive faster than they are answered: a station's messages are handled one at a time and answered
once each, in the order sent."""

from __future__ import annotations

import json

from harness import open_ws, recv_frame, run


def test_pipelined_calls_are_answered_once_each_in_the_order_sent(ocppd_factory):
    # Without the per-station CALL rate limit, which would answer most of them CALLERROR (test_limits.py).
    ocppd = ocppd_factory("--max-calls-per-second", "0")

    async def scenario():
        ws = await open_ws(ocppd.ws_url("CP-PIPE-1"))
        try:
            ids = [f"p{n}" for n in range(300)]
            actions = [("Heartbeat", {}), ("Authorize", {"idTag": "NOPE"}), ("DataTransfer", {"vendorId": "V"})]
            # Sent in one go, without waiting for any answer.
            for n, i in enumerate(ids):
                await ws.send(json.dumps([2, i, *actions[n % 3]]))
            answers = [await recv_frame(ws) for _ in ids]
            assert [a[1] for a in answers] == ids
            assert all(a[0] == 3 for a in answers), [a for a in answers if a[0] != 3][:3]
        finally:
            await ws.close()

    run(scenario())


def test_a_message_in_fragments_of_any_size_is_read_whole(ocppd):
    # Each fragment has its own masking key, unmasked from the fragment's first byte: sizes that are not multiples of
    # the key's 4 bytes or of the 8 ocppd unmasks at a time show a fragment unmasked from the wrong offset.
    def pieces(text: str, sizes: list[int]) -> list[str]:
        out = []
        for size in sizes:
            out.append(text[:size])
            text = text[size:]
        return out + [text]

    start = json.dumps([2, "s1", "StartTransaction",
                        {"connectorId": 1, "idTag": "FRAG-TAG", "meterStart": 100, "timestamp": "2026-01-01T10:00:00Z"}])
    sampled = [{"value": "1234.5", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
               {"value": "7.25", "measurand": "Power.Active.Import", "unit": "kW"}]

    async def scenario():
        ws = await open_ws(ocppd.ws_url("CP-FRAG-1"))
        try:
            await ws.send(iter(pieces(start, [1, 5, 7, 13])))
            answer = await recv_frame(ws)
            assert answer[:2] == [3, "s1"], answer
            tid = answer[2]["transactionId"]
            meter = json.dumps([2, "m1", "MeterValues", {"connectorId": 1, "transactionId": tid, "meterValue": [
                {"timestamp": "2026-01-01T10:05:00Z", "sampledValue": sampled}]}])
            await ws.send(iter(pieces(meter, [3, 9, 8, 17, 2, 31])))
            assert await recv_frame(ws) == [3, "m1", {}]
            return tid
        finally:
            await ws.close()

    tid = run(scenario())
    values = ocppd.get(f"/api/sessions/{tid}/meter-values").json()
    assert sorted((v["measurand"], v["value"], v["unit"]) for v in values) == [
        ("Energy.Active.Import.Register", "1234.5", "Wh"), ("Power.Active.Import", "7.25", "kW")]
