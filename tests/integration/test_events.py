"""GET /api/events beyond the basics of test_rest.py: command.result, keep-alives, many subscribers,
and a stalled subscriber that must be dropped without slowing the gateway or anyone else."""

from __future__ import annotations

import asyncio
import json
import socket
import time

from ocpp.exceptions import NotSupportedError
from ocpp.routing import on
from ocpp.v16 import call, call_result

from harness import (
    Peer,
    SseStream,
    assert_callresult,
    assert_utc,
    connect_peer,
    iso_now,
    open_ws,
    raw_call,
    run,
)


class ResetPeer(Peer):
    @on("Reset")
    def on_reset(self, type, **kwargs):
        return call_result.Reset(status="Accepted")

    @on("ClearCache")
    def on_clear_cache(self, **kwargs):
        raise NotSupportedError(description="no cache here")


def test_every_rest_command_emits_command_result_with_its_request_and_outcome(ocppd):
    cp_id = "CP-EV-CMD"

    async def scenario():
        stream = await SseStream.open(ocppd, f"/api/events?cpId={cp_id}")
        try:
            async with connect_peer(ocppd, cp_id, peer_class=ResetPeer) as cp:
                await cp.boot()
                assert (await ocppd.aapi("POST", f"/api/admin/{cp_id}/reset", json={"type": "Soft"})).status_code == 200
                answered = await stream.next_of_type("command.result")
                assert (await ocppd.aapi("POST", f"/api/admin/{cp_id}/clear-cache", json={})).status_code == 502
                refused = await stream.next_of_type("command.result")
            return answered, refused
        finally:
            await stream.close()

    answered, refused = run(scenario())
    assert answered["cpId"] == cp_id and answered["action"] == "Reset"
    assert answered["request"] == {"type": "Soft"} and answered["response"] == {"status": "Accepted"}
    assert_utc(answered["at"])
    assert refused["action"] == "ClearCache" and refused["response"] is None
    assert refused["error"]["status"] == 502 and refused["error"]["errorCode"] == "NotSupported"
    assert "NotSupported" in refused["error"]["detail"]


def test_keep_alive_comments_arrive_at_the_configured_interval(ocppd_factory):
    ocppd = ocppd_factory("--sse-keepalive", "1")

    async def scenario():
        stream = await SseStream.open(ocppd, "/api/events")
        try:
            text, began = "", time.monotonic()
            while text.count(": keep-alive") < 2:
                assert time.monotonic() - began < 5, f"no keep-alives within 5 s: {text!r}"
                text += await asyncio.wait_for(stream._more(), 5)
            return time.monotonic() - began
        finally:
            await stream.close()

    assert run(scenario()) < 4


def test_fifty_subscribers_all_get_the_event_and_cp_id_filters(ocppd):
    cp_id = "CP-EV-MANY"

    async def scenario():
        everyone = [await SseStream.open(ocppd, "/api/events") for _ in range(25)]
        mine = [await SseStream.open(ocppd, f"/api/events?cpId={cp_id}") for _ in range(20)]
        others = [await SseStream.open(ocppd, "/api/events?cpId=CP-SOMEONE-ELSE") for _ in range(5)]
        try:
            async with connect_peer(ocppd, cp_id) as cp:
                await cp.boot()
                got = await asyncio.gather(*(s.next_of_type("station.booted") for s in everyone + mine))
                assert all(data["cpId"] == cp_id for data in got)
            for stream in others:
                try:
                    name, data = await stream.next_event(timeout=0.3)
                except asyncio.TimeoutError:
                    continue
                raise AssertionError(f"?cpId=CP-SOMEONE-ELSE received {name} {data}")
        finally:
            for stream in everyone + mine + others:
                await stream.close()

    run(scenario())


async def stalled_subscriber(ocppd) -> socket.socket:
    """Subscribes and then never reads."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.connect(("127.0.0.1", ocppd.port))
    sock.sendall(
        f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ocppd.token}\r\n\r\n".encode()
    )
    return sock


def read_to_end(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(2)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            return data + b"<EOF>"
        data += chunk
    return data


def test_a_stalled_subscriber_is_dropped_with_lagged_and_nobody_else_waits(ocppd):
    # Large meter.values events, so that the kernel's socket buffers (up to 4 MiB on loopback) fill and the
    # stalled subscriber's own buffer in ocppd (1024 events) overflows.
    stations, per_station, samples = 10, 200, 60

    async def station(n: int, slowest: list[float]):
        ws = await open_ws(ocppd.ws_url(f"CP-EV-FLOOD-{n}"))
        assert_callresult(await raw_call(ws, "BootNotification", {"chargePointVendor": "ACME", "chargePointModel": "Flood"}))
        for i in range(per_station):
            began = time.monotonic()
            values = [
                {"value": str(i * samples + k), "measurand": "Energy.Active.Import.Register", "unit": "Wh"} for k in range(samples)
            ]
            reply = await raw_call(
                ws, "MeterValues", {"connectorId": 1, "meterValue": [{"timestamp": iso_now(), "sampledValue": values}]}, timeout=30
            )
            assert_callresult(reply)
            slowest[0] = max(slowest[0], time.monotonic() - began)
        await ws.close()

    async def live_reader(stream: SseStream, seen: list[int], done: asyncio.Event):
        while not done.is_set():
            try:
                name, _ = await stream.next_event(timeout=0.5)
            except asyncio.TimeoutError:
                continue
            if name == "meter.values":
                seen[0] += 1

    async def scenario():
        stalled = await stalled_subscriber(ocppd)
        live = await SseStream.open(ocppd, "/api/events")
        seen, slowest, done = [0], [0.0], asyncio.Event()
        reader = asyncio.create_task(live_reader(live, seen, done))
        try:
            await asyncio.gather(*(station(n, slowest) for n in range(stations)))
            # The live subscriber keeps up: every event reaches it promptly.
            deadline = time.monotonic() + 10
            while seen[0] < stations * per_station and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            done.set()
            await reader
            tail = await asyncio.to_thread(read_to_end, stalled, 30)
            return seen[0], slowest[0], tail
        finally:
            await live.close()
            stalled.close()

    seen, slowest, tail = run(scenario(), timeout=120)
    assert seen == stations * per_station, f"the live subscriber got {seen} of {stations * per_station} meter.values events"
    assert slowest < 5, f"a station waited {slowest:.2f} s for an answer while a subscriber was stalled"
    # The stalled subscriber gets what was buffered for it, then `lagged`, then the end of its stream.
    assert b"event: lagged" in tail, tail[-500:]
    lagged = tail[tail.index(b"event: lagged"):]
    data = json.loads(lagged.split(b"data: ", 1)[1].split(b"\n", 1)[0])
    assert data["type"] == "lagged"
    assert tail.endswith(b"<EOF>") or b"0\r\n\r\n" in lagged, "the lagged subscriber's stream did not end"


def test_heartbeat_events_only_for_subscribers_that_ask(ocppd):
    async def scenario():
        plain = await SseStream.open(ocppd, "/api/events?cpId=HB-CP")
        with_heartbeats = await SseStream.open(ocppd, "/api/events?cpId=HB-CP&heartbeats=true")
        try:
            async with connect_peer(ocppd, "HB-CP") as cp:
                await cp.send(call.Heartbeat())
                await cp.status(1, "Available")
                plain_types = [(await plain.next_event())[0] for _ in range(2)]
                heartbeat_types = []
                for _ in range(3):
                    with_heartbeats.last_id = None
                    heartbeat_types.append(((await with_heartbeats.next_event())[0], with_heartbeats.last_id))
            return plain_types, heartbeat_types
        finally:
            await plain.close()
            await with_heartbeats.close()

    plain_types, heartbeat_types = run(scenario())
    assert plain_types == ["station.connected", "connector.status"]
    assert [name for name, _ in heartbeat_types] == ["station.connected", "station.heartbeat", "connector.status"]
    # Every event has an id; a heartbeat, which is not kept, has the id of the last kept one before it.
    ids = [event_id for _, event_id in heartbeat_types]
    assert all(ids) and ids[1] == ids[0] != ids[2], ids


async def _read_station_events(stream: SseStream, cp_id: str, count: int) -> list[tuple[str, str, dict]]:
    """The next `count` events of `cp_id` as (id, type, data)."""
    seen = []
    while len(seen) < count:
        name, data = await stream.next_event()
        if data.get("cpId") == cp_id:
            seen.append((stream.last_id, name, data))
    return seen


def test_every_event_has_an_id_and_last_event_id_replays_exactly_what_was_missed(ocppd):
    cp_id = "CP-EV-RESUME"

    async def scenario():
        first = await SseStream.open(ocppd, "/api/events")
        async with connect_peer(ocppd, cp_id) as cp:
            await cp.boot()
            await cp.status(1, "Available")
            got = await _read_station_events(first, cp_id, 3)  # connected, booted, Available
            await first.close()
            resume_from = first.last_id
            # Missed while no stream was open:
            await cp.status(1, "Preparing")
            started = await cp.start_tx(1, "TAG-RESUME", 100)
            await cp.status(1, "Charging")
            second = await SseStream.open(ocppd, "/api/events", last_event_id=resume_from)
            try:
                assert second.status == 200
                replayed = await _read_station_events(second, cp_id, 3)
                # Then live, after the replay, with nothing twice:
                await cp.status(1, "SuspendedEV")
                live = await _read_station_events(second, cp_id, 1)
            finally:
                await second.close()
            filtered = await SseStream.open(ocppd, f"/api/events?cpId={cp_id}", last_event_id=resume_from)
            try:
                only_station = [await filtered.next_event() for _ in range(4)]
            finally:
                await filtered.close()
        return got, replayed, live, started.transaction_id, only_station

    got, replayed, live, transaction_id, only_station = run(scenario())
    assert [name for _, name, _ in got] == ["station.connected", "station.booted", "connector.status"]
    # `node` is a cluster's: a single ocppd (on MariaDB too, whose event ids name host and port) has none.
    assert "node" not in got[0][2]
    # `42` on SQLite; `HOST-PORT:42` on MariaDB, which several ocppd may share.
    ids = [int(event_id.rsplit(":", 1)[-1]) for event_id, _, _ in got + replayed + live]
    assert ids == sorted(ids) and len(set(ids)) == len(ids), f"ids must grow: {ids}"
    assert [(name, data.get("status")) for _, name, data in replayed] == [
        ("connector.status", "Preparing"),
        ("transaction.started", None),
        ("connector.status", "Charging"),
    ]
    assert replayed[1][2]["transactionId"] == transaction_id
    assert [(name, data["status"]) for _, name, data in live] == [("connector.status", "SuspendedEV")]
    assert [name for name, _ in only_station] == ["connector.status", "transaction.started", "connector.status", "connector.status"]


def test_an_unknown_last_event_id_opens_the_stream_from_the_oldest_event_kept(ocppd):
    cp_id = "CP-EV-OLDEST"

    async def scenario():
        async with connect_peer(ocppd, cp_id) as cp:
            await cp.boot()
        streams = []
        # Garbage, and an id beyond what was ever numbered (as after a journal that started over).
        for last_id in ("not-an-id", "zz:1,:x", "999999", "x-1:999999"):
            stream = await SseStream.open(ocppd, "/api/events", last_event_id=last_id)
            try:
                streams.append((stream.status, [await stream.next_event() for _ in range(3)], stream.last_id))
            finally:
                await stream.close()
        return streams

    for status, events, last_id in run(scenario()):
        assert status == 200
        assert [name for name, _ in events] == ["station.connected", "station.booted", "station.disconnected"]
        assert last_id.rsplit(":", 1)[-1] == "3"
