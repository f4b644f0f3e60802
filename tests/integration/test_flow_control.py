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
