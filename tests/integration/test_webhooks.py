"""Webhooks (PRODUCT.md §11, issue #18): a real HTTP receiver started by the test checks every signature, refuses the
first attempts, is away while ocppd restarts, and in the end holds every event once per id, in each station's order."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import SseStream, assert_problem, connect_peer, free_port, run, wait_until
from test_ocppctl import ctl

SECRET = "whsec-0123456789abcdef0123456789abcdef"


class Receiver:
    """An HTTP server on loopback that keeps every request it got, checks its signature, and answers `fail` (an HTTP
    status) to the first `failures` requests."""

    def __init__(self, secret: str = SECRET, failures: int = 0, fail: int = 500, port: int | None = None) -> None:
        self.secret = secret
        self.failures = failures
        self.fail = fail
        self.port = port or free_port()
        self.requests: list[dict] = []  # every request, in arrival order: {id, body, status}
        self.problems: list[str] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self, delay: float = 0) -> "Receiver":
        """Serves until `stop`; `delay`: seconds each answer takes (a slow receiver)."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.check(self.path, dict(self.headers), body)
                time.sleep(delay)
                with receiver.lock:
                    status = receiver.fail if receiver.failures > 0 else 200
                    receiver.failures -= 1 if receiver.failures > 0 else 0
                    data = json.loads(body)
                    receiver.requests.append({"id": self.headers.get("X-OCPPD-Event-Id"), "body": data, "status": status})
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def check(self, path: str, headers: dict, body: bytes) -> None:
        headers = {k.lower(): v for k, v in headers.items()}
        problems = []
        if path != "/hook":
            problems.append(f"path {path}")
        if headers.get("content-type") != "application/json":
            problems.append(f"content-type {headers.get('content-type')}")
        timestamp = headers.get("x-ocppd-timestamp", "")
        if not timestamp.isdigit() or abs(int(timestamp) - time.time()) > 300:
            problems.append(f"timestamp {timestamp!r}")
        expected = "sha256=" + hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(headers.get("x-ocppd-signature", ""), expected):
            problems.append(f"signature {headers.get('x-ocppd-signature')!r}, expected {expected}")
        data = json.loads(body)
        if data.get("id") != headers.get("x-ocppd-event-id"):
            problems.append(f"body id {data.get('id')!r} against header {headers.get('x-ocppd-event-id')!r}")
        if problems:
            with self.lock:
                self.problems.append(f"{headers.get('x-ocppd-event-id')}: {', '.join(problems)}")

    def delivered(self) -> list[dict]:
        """The events taken (2xx), once per id, in the order first taken."""
        seen, out = set(), []
        with self.lock:
            for request in self.requests:
                if request["status"] == 200 and request["id"] not in seen:
                    seen.add(request["id"])
                    out.append(request["body"])
        return out


def make_webhook(ocppd, url: str, events: list[str], **fields) -> dict:
    resp = ocppd.post("/api/webhooks", json={"url": url, "events": events, "secret": SECRET, **fields})
    assert resp.status_code == 201, f"POST /api/webhooks: {resp.status_code} {resp.text}"
    return resp.json()


async def sessions(ocppd, cp_id: str, tag: str, count: int) -> None:
    """`count` sessions on connector 1: status changes, start, a meter value, stop."""
    async with connect_peer(ocppd, cp_id) as peer:
        await peer.boot()
        for n in range(count):
            await peer.status(1, "Preparing")
            started = await peer.start_tx(1, tag, meter_start=n * 1000)
            await peer.status(1, "Charging")
            await peer.stop_tx(started.transaction_id, meter_stop=n * 1000 + 500)
            await peer.status(1, "Available")


TYPES = ["connector.status", "transaction.started", "transaction.stopped"]


def station_events(receiver: Receiver, cp_id: str) -> list[tuple[str, str]]:
    """The station's events of `TYPES` the receiver took, in order."""
    return [(e["type"], e.get("status") or "") for e in receiver.delivered() if e.get("cpId") == cp_id and e["type"] in TYPES]


EXPECTED_SESSION = [("connector.status", "Preparing"), ("transaction.started", ""), ("connector.status", "Charging"),
                    ("transaction.stopped", ""), ("connector.status", "Available")]


def test_every_event_arrives_signed_once_per_id_in_station_order_through_failures_and_a_restart(ocppd_factory):
    ocppd = ocppd_factory("--webhook-allow-private")
    receiver = Receiver(failures=3).start()
    try:
        webhook = make_webhook(ocppd, receiver.url, TYPES)
        assert (webhook["url"], webhook["events"], webhook["cpIds"], webhook["enabled"]) == (receiver.url, sorted(TYPES), None, True)
        assert "secret" not in webhook
        for tag in ("WH-A", "WH-B"):
            ocppd.create_tag(tag)

        async def both():
            await asyncio.gather(sessions(ocppd, "WH-1", "WH-A", 3), sessions(ocppd, "WH-2", "WH-B", 3))

        run(both())
        # The first three attempts got 500: retried with backoff (1 s, 2 s, 4 s), then everything came.
        wait_until(lambda: len(station_events(receiver, "WH-1")) == 15 and len(station_events(receiver, "WH-2")) == 15,
                   timeout=40, what="both stations' events at the receiver")
        assert station_events(receiver, "WH-1") == EXPECTED_SESSION * 3
        assert station_events(receiver, "WH-2") == EXPECTED_SESSION * 3
        deliveries = ocppd.get(f"/api/webhooks/{webhook['id']}/deliveries", params={"limit": 1000}).json()
        failed = [d for d in deliveries if d["status"] == 500]
        assert len(failed) == 3 and all(d["error"] for d in failed), failed
        first = deliveries[-1]
        assert (first["attempt"], first["status"]) == (1, 500)
        retried = [d for d in deliveries if d["eventId"] == first["eventId"]]
        assert sorted(d["attempt"] for d in retried) == [1, 2, 3, 4] and retried[0]["status"] == 200

        # The receiver goes away; events go on; ocppd restarts meanwhile; then the receiver is back.
        receiver.stop()
        run(sessions(ocppd, "WH-1", "WH-A", 1))
        ocppd.restart()
        run(sessions(ocppd, "WH-2", "WH-B", 1))
        receiver.failures = 0
        receiver.start()
        wait_until(lambda: len(station_events(receiver, "WH-1")) == 20 and len(station_events(receiver, "WH-2")) == 20,
                   timeout=60, what="the events of the outage at the receiver")
        assert station_events(receiver, "WH-1") == EXPECTED_SESSION * 4
        assert station_events(receiver, "WH-2") == EXPECTED_SESSION * 4
        assert receiver.problems == []
        # Nothing twice that was taken (at least once, and here exactly once); ids are SEQ (SQLite) or NODE:SEQ (MariaDB,
        # where a single ocppd keeps its events under its host and port), each node's numbers in order.
        taken = [r["id"] for r in receiver.requests if r["status"] == 200]
        assert len(taken) == len(set(taken)) == 40
        by_node: dict[str, list[int]] = {}
        for event_id in taken:
            node, _, seq = event_id.rpartition(":")
            by_node.setdefault(node, []).append(int(seq))
        assert all(seqs == sorted(seqs) for seqs in by_node.values()), by_node
        assert all(e["type"] in TYPES for e in receiver.delivered()), "only the types asked for"
        webhook = ocppd.get(f"/api/webhooks/{webhook['id']}").json()
        assert webhook["enabled"] and webhook["failingSince"] is None
    finally:
        receiver.stop()


def test_station_filter_give_up_after_failing_and_the_event_saying_so(ocppd_factory):
    ocppd = ocppd_factory("--webhook-allow-private", "--webhook-give-up-after", "3")
    receiver = Receiver().start()
    dead = Receiver(failures=10**6, fail=503).start()
    try:
        ocppd.create_tag("WH-C")
        only_one = make_webhook(ocppd, receiver.url, ["*"], cpIds=["WH-3"])
        failing = make_webhook(ocppd, dead.url, ["transaction.started"])

        async def scenario():
            stream = await SseStream.open(ocppd, "/api/events")
            try:
                await asyncio.gather(sessions(ocppd, "WH-3", "WH-C", 1), sessions(ocppd, "WH-4", "WH-C", 1))
                disabled = await stream.next_of_type("webhook.disabled", timeout=30)
                assert disabled["webhookId"] == failing["id"] and disabled["url"] == dead.url and "503" in disabled["error"]
            finally:
                await stream.close()

        run(scenario())
        wait_until(lambda: any(e["type"] == "transaction.stopped" for e in receiver.delivered()), timeout=20,
                   what="WH-3's events")
        assert {e["cpId"] for e in receiver.delivered()} == {"WH-3"}, "only the station asked for"
        assert {"station.connected", "station.booted", "transaction.started"} <= {e["type"] for e in receiver.delivered()}
        state = ocppd.get(f"/api/webhooks/{failing['id']}").json()
        assert state["enabled"] is False and state["failingSince"] is not None
        attempts = len(dead.requests)
        time.sleep(2)
        assert len(dead.requests) == attempts, "a disabled webhook gets nothing more"
        assert ocppd.get(f"/api/webhooks/{only_one['id']}").json()["enabled"] is True
    finally:
        receiver.stop()
        dead.stop()


def test_webhook_targets_and_bodies_are_checked(ocppd):
    # Without --webhook-allow-private: no loopback, no link-local (a cloud's metadata service), by name or by number.
    for url in ("http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/hook", "http://169.254.169.254/latest",
                "http://[fe80::1]/hook", "http://0.0.0.0/hook"):
        assert_problem(ocppd.post("/api/webhooks", json={"url": url, "events": ["*"], "secret": SECRET}), 400, mentions="url")
    for body, field in [
        ({"url": "ftp://example.com/x", "events": ["*"], "secret": SECRET}, "url"),
        ({"url": "not a url", "events": ["*"], "secret": SECRET}, "url"),
        ({"url": "https://example.com/x", "events": [], "secret": SECRET}, "events"),
        ({"url": "https://example.com/x", "events": ["bad type!"], "secret": SECRET}, "events"),
        ({"url": "https://example.com/x", "events": ["*"], "secret": ""}, "secret"),
        ({"url": "https://example.com/x", "events": ["*"]}, "secret"),
        ({"url": "https://example.com/x", "events": ["*"], "secret": SECRET, "cpIds": []}, "cpIds"),
    ]:
        assert_problem(ocppd.post("/api/webhooks", json=body), 400, mentions=field)
    assert ocppd.get("/api/webhooks").json() == []
    # A public name is taken (it need not resolve now: its deliveries fail and are retried).
    made = make_webhook(ocppd, "https://hooks.example.invalid/ocpp", ["transaction.started", "transaction.started"])
    assert made["events"] == ["transaction.started"]
    assert [w["id"] for w in ocppd.get("/api/webhooks").json()] == [made["id"]]
    assert_problem(ocppd.get("/api/webhooks/999999"), 404)
    assert_problem(ocppd.get("/api/webhooks/999999/deliveries"), 404)
    assert ocppd.delete(f"/api/webhooks/{made['id']}").status_code == 200
    assert_problem(ocppd.delete(f"/api/webhooks/{made['id']}"), 404)


def test_ocppctl_adds_lists_tests_and_removes_webhooks(ocppd_factory, tmp_path):
    ocppd = ocppd_factory("--webhook-allow-private")
    receiver = Receiver(secret="s3cret-for-ctl").start()
    try:
        added = ctl(ocppd, tmp_path, "webhooks", "add", receiver.url, "--event", "transaction.started", "--event",
                    "transaction.stopped", "--station", "CTL-1", "--secret", "s3cret-for-ctl")
        assert added.returncode == 0, added.stderr
        webhook_id = int(added.stdout.split()[1])
        listed = ctl(ocppd, tmp_path, "webhooks", "list")
        assert listed.returncode == 0 and receiver.url in listed.stdout and "CTL-1" in listed.stdout and "ok" in listed.stdout
        tested = ctl(ocppd, tmp_path, "webhooks", "test", str(webhook_id))
        assert tested.returncode == 0 and "answered 200" in tested.stdout, (tested.stdout, tested.stderr)
        assert receiver.requests[-1]["body"]["type"] == "webhook.test" and receiver.problems == []
        deliveries = ctl(ocppd, tmp_path, "webhooks", "deliveries", str(webhook_id))
        assert deliveries.returncode == 0 and "webhook.test" in deliveries.stdout
        receiver.failures, receiver.fail = 1, 502
        failed = ctl(ocppd, tmp_path, "webhooks", "test", str(webhook_id))
        assert failed.returncode == 1 and "502" in failed.stdout + failed.stderr
        # Without --secret one is made and printed, and it signs.
        made = ctl(ocppd, tmp_path, "webhooks", "add", receiver.url, "--event", "*")
        assert made.returncode == 0 and "secret: " in made.stdout
        secret = made.stdout.split("secret: ")[1].strip()
        assert len(secret) == 64
        assert ctl(ocppd, tmp_path, "webhooks", "add", receiver.url).returncode == 2
        assert ctl(ocppd, tmp_path, "webhooks", "rm", str(webhook_id)).returncode == 0
        assert ctl(ocppd, tmp_path, "webhooks", "rm", str(webhook_id)).returncode == 3
    finally:
        receiver.stop()


def test_a_slow_receiver_holds_up_neither_the_stations_nor_another_webhook(ocppd_factory):
    ocppd = ocppd_factory("--webhook-allow-private")
    slow = Receiver().start(delay=8)
    fast = Receiver().start()
    try:
        make_webhook(ocppd, slow.url, ["*"])
        make_webhook(ocppd, fast.url, ["*"])
        ocppd.create_tag("WH-S")
        started = time.monotonic()
        run(sessions(ocppd, "WH-5", "WH-S", 2))
        took = time.monotonic() - started
        assert took < 5, f"the station's messages took {took:.1f} s: a slow receiver must not slow them"
        wait_until(lambda: station_events(fast, "WH-5") == EXPECTED_SESSION * 2, timeout=10,
                   what="the fast receiver to have every event while the slow one is on its first")
        assert len(slow.requests) <= 2, "the slow receiver is still on its first events"
    finally:
        fast.stop()
        slow.stop()

