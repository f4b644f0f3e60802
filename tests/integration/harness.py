"""Test harness for the integration suite: the real ocppd process, REST calls, charge point peers.

Everything here talks to ocppd the way a user or a charger does: over loopback HTTP and
WebSocket. Nothing reaches into ocppd's process or store, except reading files in its data
directory where the contract names them (the generated `api-token`).

Rules the helpers follow:
- Only processes started here are ever signalled, by their own PID.
- Waiting is polling with a deadline (`wait_until`), never a bare sleep.
- In async scenarios, REST calls go through `await ocppd.aapi(...)` (a worker thread), so the
  event loop keeps serving the charge point while ocppd waits for the charge point's answer.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ctypes
import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any, Callable, Iterable

import requests
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect

from ocpp.v16 import ChargePoint as OcppChargePoint
from ocpp.v16 import call

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TOKEN = "itest-token-4f1c2a9e7b3d"
STARTUP_TIMEOUT = float(os.environ.get("OCPPD_STARTUP_TIMEOUT", "20"))
STOP_TIMEOUT = 10.0
LOG_LEVEL = os.environ.get("OCPPD_TEST_LOG_LEVEL", "debug")

# Settings ocppd reads from the environment. They are removed from the environment the test
# process passes on, so a developer's shell (PORT=3000, ...) cannot change what a test runs.
OCPPD_ENV_NAMES = (
    "PORT",
    "HOST",
    "OCPP_WS_PATH",
    "DATABASE_URL",
    "HEARTBEAT_INTERVAL",
    "BOOT_NOTIFICATION_STATUS",
    "LOG_LEVEL",
)
OCPPD_ENV_PREFIXES = ("OCPPD_",)

# With OCPPD_TEST_DATABASE_URL (mysql://USER:PASSWORD@HOST:PORT/DB, a MariaDB whose user may create databases), every
# ocppd started here runs on a fresh database of its own on that server instead of SQLite in its data directory.
TEST_DATABASE_URL = os.environ.get("OCPPD_TEST_DATABASE_URL") or None
_created_databases: list[str] = []

# ---------------------------------------------------------------------------------------------
# Small utilities
# ---------------------------------------------------------------------------------------------


def ocppd_binary() -> Path | None:
    """The ocppd under test: $OCPPD_BIN, else the debug build in the work tree if present."""
    env = os.environ.get("OCPPD_BIN")
    if env:
        return Path(env)
    candidate = REPO_ROOT / ".build" / "debug" / "ocppd"
    return candidate if candidate.exists() else None


def free_port() -> int:
    """A loopback port that was free a moment ago (the kernel picks it for a bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(
    predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05, what: str = "condition"
) -> Any:
    """Polls `predicate` until it returns something truthy, and returns that; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}; last value: {last!r}")
        time.sleep(interval)


async def async_wait_until(
    predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05, what: str = "condition"
) -> Any:
    """`wait_until` for async scenarios: the predicate runs in a worker thread, the loop keeps going."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = await asyncio.to_thread(predicate)
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}; last value: {last!r}")
        await asyncio.sleep(interval)


def run(coro, timeout: float = 60.0):
    """Runs one async scenario to completion, bounded in time."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def iso_now(offset_seconds: float = 0.0) -> str:
    """An OCPP timestamp in UTC with milliseconds, `offset_seconds` from now."""
    t = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=offset_seconds)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: str) -> dt.datetime:
    """Parses an RFC 3339 time as ocppd serves it; fails unless it carries a UTC offset."""
    assert isinstance(value, str), f"expected an RFC 3339 string, got {value!r}"
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    assert parsed.tzinfo is not None, f"time without offset: {value!r}"
    return parsed


def assert_utc(value: str) -> dt.datetime:
    """Parses a served time and checks it is expressed in UTC (the contract: stored and served in UTC)."""
    parsed = parse_time(value)
    assert parsed.utcoffset() == dt.timedelta(0), f"time not served in UTC: {value!r}"
    return parsed


def quote_id(value: str) -> str:
    """Percent-encodes an identity or tag for use as one path segment."""
    return urllib.parse.quote(value, safe="")


def basic_auth(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def total_count(resp: requests.Response) -> int:
    """The X-Total-Count of a list response (fails when missing or not an integer)."""
    raw = resp.headers.get("X-Total-Count")
    assert raw is not None, f"{resp.request.method} {resp.url}: no X-Total-Count header"
    assert raw.strip().isdigit(), f"X-Total-Count is not a count: {raw!r}"
    return int(raw)


def assert_problem(resp: requests.Response, status: int, mentions: str | None = None) -> dict:
    """Checks an RFC 9457 problem response; `mentions` must appear in its detail."""
    assert resp.status_code == status, (
        f"{resp.request.method} {resp.url}: expected {status}, got {resp.status_code}: {resp.text[:500]}"
    )
    ctype = resp.headers.get("Content-Type", "")
    assert ctype.split(";")[0].strip().lower() == "application/problem+json", (
        f"expected Content-Type application/problem+json, got {ctype!r}"
    )
    body = resp.json()
    assert isinstance(body, dict), f"problem body is not an object: {body!r}"
    if "status" in body:
        assert body["status"] == status, f"problem status {body['status']!r} != HTTP status {status}"
    assert body.get("title") or body.get("detail"), f"problem without title or detail: {body!r}"
    if mentions is not None:
        detail = str(body.get("detail", ""))
        assert mentions in detail, f"problem detail should name {mentions!r}: {body!r}"
    return body


def sighting_ids(items: Iterable[dict]) -> set[str]:
    """Ids of an unknown-station or unknown-tag list (entries carry `id`; `idTag`/`cpId` also taken)."""
    ids = set()
    for item in items:
        for key in ("id", "idTag", "cpId", "chargePointId"):
            if isinstance(item.get(key), str):
                ids.add(item[key])
    return ids


# ---------------------------------------------------------------------------------------------
# The ocppd process
# ---------------------------------------------------------------------------------------------

_live_lock = threading.Lock()
_live: set[subprocess.Popen] = set()


def kill_leftovers() -> None:
    """Safety net at session end: SIGKILL every ocppd this harness started that still runs."""
    with _live_lock:
        procs = list(_live)
        _live.clear()
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)


def _die_with_parent() -> None:  # runs in the child between fork and exec
    # PR_SET_PDEATHSIG: if the test process dies hard (OOM, SIGKILL), ocppd does not linger.
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def _mariadb_client(sql: str) -> None:
    """Runs `sql` with the `mariadb` command-line client as the user of TEST_DATABASE_URL."""
    assert TEST_DATABASE_URL is not None
    url = urllib.parse.urlsplit(TEST_DATABASE_URL)
    socket_path = urllib.parse.parse_qs(url.query).get("socket")
    cmd = ["mariadb", "--batch", "--user", urllib.parse.unquote(url.username or "")]
    if socket_path:
        cmd += ["--socket", socket_path[0]]
    else:
        cmd += ["--protocol=TCP", "--host", url.hostname or "127.0.0.1", "--port", str(url.port or 3306)]
    env = dict(os.environ)
    if url.password is not None:
        # The environment rather than --password, so the password does not show in the process list.
        env["MYSQL_PWD"] = urllib.parse.unquote(url.password)
    done = subprocess.run(cmd + ["-e", sql], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, f"mariadb client failed on {sql!r}: {done.stderr.strip()}"


def fresh_database_url() -> str:
    """A new, empty database on the server of TEST_DATABASE_URL, and the URL that names it."""
    assert TEST_DATABASE_URL is not None
    name = f"ocppd_it_{os.getpid()}_{len(_created_databases) + 1}"
    _mariadb_client(f"CREATE DATABASE {name}")
    _created_databases.append(name)
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(TEST_DATABASE_URL)._replace(path=f"/{name}"))


def drop_databases() -> None:
    while _created_databases:
        name = _created_databases.pop()
        with contextlib.suppress(Exception):
            _mariadb_client(f"DROP DATABASE IF EXISTS {name}")


class OcppdStartError(AssertionError):
    pass


class _PortTaken(Exception):
    pass


class Ocppd:
    """One ocppd under test: its data directory survives restarts, each run gets a fresh port.

    `args` are extra command-line flags, `env` extra environment. With `use_flags=False` the
    port, data directory, token and log level are given through the environment instead
    (PORT, OCPPD_DATA_DIR, OCPPD_API_TOKEN, LOG_LEVEL); `--host 127.0.0.1` is always a flag
    so that nothing ever listens beyond loopback. `token=None` starts without a token, so
    ocppd generates one into DATA_DIR/api-token, which is then read and used.
    """

    def __init__(
        self,
        binary: Path,
        workdir: Path,
        *,
        name: str = "ocppd",
        args: Iterable[str] = (),
        env: dict[str, str] | None = None,
        token: str | None = DEFAULT_TOKEN,
        data_dir: Path | None = None,
        use_flags: bool = True,
        tls_ca: Path | None = None,
    ) -> None:
        self.binary = Path(binary)
        # Set when ocppd's port speaks TLS: the CA its certificate is checked against.
        self.tls_ca = tls_ca
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.data_dir = Path(data_dir) if data_dir else self.workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.extra_args = [str(a) for a in args]
        self.extra_env = dict(env or {})
        self.configured_token = token
        self.token: str | None = token
        self.use_flags = use_flags
        self.port: int | None = None
        # Set to restart on the same port (clients that reconnect by themselves).
        self.fixed_port: int | None = None
        self.proc: subprocess.Popen | None = None
        self.log_paths: list[Path] = []
        self.returncodes: list[int] = []
        # The database lives as long as the data directory: across restarts, until the session ends.
        self.database_url: str | None = None
        chooses_database = any(a == "--database" or a.startswith("--database=") for a in self.extra_args)
        if TEST_DATABASE_URL and not chooses_database and "DATABASE_URL" not in self.extra_env:
            self.database_url = fresh_database_url()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self.port is not None, "ocppd was never started"
        return f"{'https' if self.tls_ca else 'http'}://127.0.0.1:{self.port}"

    def ws_url(self, cp_id: str) -> str:
        assert self.port is not None, "ocppd was never started"
        return f"{'wss' if self.tls_ca else 'ws'}://127.0.0.1:{self.port}/ocpp/{quote_id(cp_id)}"

    @property
    def verify(self) -> str | bool:
        """`verify` for requests: the CA of ocppd's certificate under TLS."""
        return str(self.tls_ca) if self.tls_ca else True

    # -- life cycle ----------------------------------------------------------------------------

    def command(self, port: int) -> list[str]:
        cmd = [str(self.binary), "--host", "127.0.0.1"]
        if self.use_flags:
            cmd += ["--port", str(port), "--data-dir", str(self.data_dir), "--log-level", LOG_LEVEL]
            if self.configured_token is not None:
                cmd += ["--api-token", self.configured_token]
            if self.database_url is not None:
                cmd += ["--database", self.database_url]
        return cmd + self.extra_args

    def environment(self, port: int) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in OCPPD_ENV_NAMES and not k.startswith(OCPPD_ENV_PREFIXES)
        }
        if not self.use_flags:
            env.update(PORT=str(port), OCPPD_DATA_DIR=str(self.data_dir), LOG_LEVEL=LOG_LEVEL)
            if self.configured_token is not None:
                env["OCPPD_API_TOKEN"] = self.configured_token
            if self.database_url is not None:
                env["DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = STARTUP_TIMEOUT) -> "Ocppd":
        """Starts ocppd and returns once GET /healthz answers 200; fails with ocppd's log otherwise."""
        assert not self.running, "ocppd is already running"
        for attempt in range(3):
            port = self.fixed_port or free_port()
            log_path = self.workdir / f"{self.name}-run{len(self.log_paths) + 1}.log"
            self.log_paths.append(log_path)
            with open(log_path, "wb") as log:
                preexec = _die_with_parent if threading.current_thread() is threading.main_thread() else None
                self.proc = subprocess.Popen(
                    self.command(port),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self.environment(port),
                    cwd=self.workdir,
                    preexec_fn=preexec,
                )
            with _live_lock:
                _live.add(self.proc)
            if pid_log := os.environ.get("OCPPD_TEST_PID_LOG"):
                # Which test started which ocppd: scripts/test names the test beside a ThreadSanitizer report (report.PID).
                with open(pid_log, "a") as out:
                    out.write(f"{self.proc.pid} {os.environ.get('PYTEST_CURRENT_TEST', '?')}\n")
            self.port = port
            try:
                self._wait_healthy(timeout)
                break
            except _PortTaken:
                # Another process took the port between our probe and ocppd's bind: pick another.
                self._reap()
                if attempt == 2:
                    raise OcppdStartError(f"ocppd could not bind a free port:\n{self.log_tail()}")
        if self.configured_token is None:
            self.token = self.read_generated_token()
        return self

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        url = f"{self.base_url}/healthz"
        while True:
            rc = self.proc.poll()
            if rc is not None:
                self._reap()
                tail = self.log_tail()
                if "in use" in tail.lower():
                    raise _PortTaken()
                raise OcppdStartError(
                    f"ocppd exited with status {rc} before /healthz answered.\n"
                    f"command: {' '.join(self.command(self.port))}\n--- ocppd log ---\n{tail}"
                )
            with contextlib.suppress(requests.RequestException):
                if requests.get(url, timeout=1, verify=self.verify).status_code == 200:
                    return
            if time.monotonic() >= deadline:
                self.kill()
                raise OcppdStartError(
                    f"ocppd did not answer 200 on /healthz within {timeout:.0f}s.\n"
                    f"command: {' '.join(self.command(self.port))}\n--- ocppd log ---\n{self.log_tail()}"
                )
            time.sleep(0.05)

    def read_generated_token(self) -> str:
        path = self.data_dir / "api-token"
        wait_until(path.exists, timeout=5, what=f"{path} to be written")
        token = path.read_text().strip()
        assert token, f"{path} is empty"
        return token

    def _reap(self) -> None:
        """Collects the exit status of the current process once (it must have exited or been killed)."""
        proc = self.proc
        if proc is None:
            return
        rc = proc.wait()
        with _live_lock:
            if proc not in _live:
                return
            _live.discard(proc)
        self.returncodes.append(rc)

    def terminate(self) -> None:
        """Sends SIGTERM (graceful shutdown) without waiting."""
        assert self.proc is not None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)

    def wait(self, timeout: float = STOP_TIMEOUT) -> int:
        """Waits for the process to exit and returns its status (negative: killed by that signal)."""
        assert self.proc is not None
        rc = self.proc.wait(timeout=timeout)
        self._reap()
        return rc

    def kill(self) -> None:
        """SIGKILL: the power cut. Nothing ocppd has not committed survives."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self._reap()

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, then SIGKILL if ocppd has not exited within `timeout`. Returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return self.proc.returncode
        self._reap()
        return self.proc.returncode

    def restart(self, timeout: float = STARTUP_TIMEOUT) -> "Ocppd":
        """Stops ocppd if it runs (gracefully) and starts it again on the same data directory."""
        self.stop()
        return self.start(timeout)

    # -- logs ----------------------------------------------------------------------------------

    def log_text(self) -> str:
        parts = []
        for path in self.log_paths:
            with contextlib.suppress(OSError):
                parts.append(f"=== {path.name} ===\n" + path.read_text(errors="replace"))
        return "\n".join(parts)

    def log_tail(self, max_chars: int = 30000) -> str:
        text = self.log_text()
        return text if len(text) <= max_chars else "...\n" + text[-max_chars:]

    # -- REST ----------------------------------------------------------------------------------

    _DEFAULT = object()

    def api(self, method: str, path: str, *, token: Any = _DEFAULT, headers: dict | None = None, **kwargs):
        """One REST call with `Authorization: Bearer <token>` (token=None sends no Authorization)."""
        hdrs = dict(headers or {})
        tok = self.token if token is Ocppd._DEFAULT else token
        if tok is not None and "Authorization" not in hdrs:
            hdrs["Authorization"] = f"Bearer {tok}"
        kwargs.setdefault("timeout", 15)
        kwargs.setdefault("verify", self.verify)
        return requests.request(method, self.base_url + path, headers=hdrs, **kwargs)

    def get(self, path: str, **kw):
        return self.api("GET", path, **kw)

    def post(self, path: str, **kw):
        return self.api("POST", path, **kw)

    def put(self, path: str, **kw):
        return self.api("PUT", path, **kw)

    def delete(self, path: str, **kw):
        return self.api("DELETE", path, **kw)

    async def aapi(self, method: str, path: str, **kw):
        """`api` from an async scenario: runs in a worker thread so the charge point keeps answering."""
        return await asyncio.to_thread(self.api, method, path, **kw)

    # -- REST conveniences used by many tests -----------------------------------------------------

    def station(self, cp_id: str) -> dict | None:
        resp = self.get(f"/api/stations/{quote_id(cp_id)}")
        if resp.status_code == 404:
            return None
        assert resp.status_code == 200, f"GET station {cp_id}: {resp.status_code} {resp.text[:300]}"
        return resp.json()

    def connector(self, cp_id: str, connector_id: int) -> dict | None:
        st = self.station(cp_id)
        if not st:
            return None
        for c in st.get("connectors") or []:
            if c.get("connectorId") == connector_id:
                return c
        return None

    def session(self, transaction_id: int) -> dict | None:
        resp = self.get(f"/api/sessions/{transaction_id}")
        if resp.status_code == 404:
            return None
        assert resp.status_code == 200, f"GET session {transaction_id}: {resp.status_code} {resp.text[:300]}"
        return resp.json()

    def create_tag(self, id_tag: str, **fields) -> dict:
        resp = self.post("/api/rfid", json={"idTag": id_tag, **fields})
        assert resp.status_code == 201, f"POST /api/rfid {id_tag}: {resp.status_code} {resp.text[:300]}"
        return resp.json()


# ---------------------------------------------------------------------------------------------
# Charge point peers
# ---------------------------------------------------------------------------------------------


class Peer(OcppChargePoint):
    """An independent OCPP 1.6 charge point: the `ocpp` package's ChargePoint, which checks every
    request it sends and every response it gets against the OCPP 1.6 JSON schemas.

    Central-system calls without a handler are answered NotImplemented by the library.
    """

    ws: ClientConnection

    async def send(self, payload):
        """Sends one CALL and returns the typed CALLRESULT; a CALLERROR raises (suppress=False)."""
        return await self.call(payload, suppress=False)

    async def boot(self, vendor: str = "ACME", model: str = "Volt-22", **fields):
        return await self.send(call.BootNotification(charge_point_vendor=vendor, charge_point_model=model, **fields))

    async def start_tx(self, connector_id: int, id_tag: str, meter_start: int, timestamp: str | None = None, **kw):
        return await self.send(
            call.StartTransaction(
                connector_id=connector_id,
                id_tag=id_tag,
                meter_start=meter_start,
                timestamp=timestamp or iso_now(),
                **kw,
            )
        )

    async def stop_tx(self, transaction_id: int, meter_stop: int, timestamp: str | None = None, **kw):
        return await self.send(
            call.StopTransaction(
                meter_stop=meter_stop,
                timestamp=timestamp or iso_now(),
                transaction_id=transaction_id,
                **kw,
            )
        )

    async def status(self, connector_id: int, status: str, error_code: str = "NoError", timestamp: str | None = None):
        return await self.send(
            call.StatusNotification(
                connector_id=connector_id,
                error_code=error_code,
                status=status,
                timestamp=timestamp or iso_now(),
            )
        )


def energy_sample(value: str, timestamp: str | None = None, context: str = "Sample.Periodic", **extra) -> dict:
    """One MeterValue (wire format, camelCase) with an energy register reading in Wh."""
    sample = {"value": value, "measurand": "Energy.Active.Import.Register", "unit": "Wh", "context": context}
    sample.update(extra)
    return {"timestamp": timestamp or iso_now(), "sampledValue": [sample]}


async def _serve(peer: Peer) -> None:
    with contextlib.suppress(websockets.ConnectionClosed, asyncio.CancelledError):
        await peer.start()


async def open_ws(
    url: str,
    *,
    subprotocols: Iterable[str] | None = ("ocpp1.6",),
    headers: dict | None = None,
    open_timeout: float = 10,
    ssl: Any = None,
    source: str | None = None,
) -> ClientConnection:
    """`source`: the local address to connect from (any of 127.0.0.0/8 works on loopback)."""
    return await ws_connect(
        url,
        ssl=ssl,
        local_addr=(source, 0) if source else None,
        subprotocols=list(subprotocols) if subprotocols is not None else None,
        additional_headers=headers,
        open_timeout=open_timeout,
        close_timeout=3,
        ping_interval=None,  # ocppd pings; the library answers them in the background
        max_size=2**22,
        compression=None,
    )


@contextlib.asynccontextmanager
async def connect_peer(
    ocppd: Ocppd,
    cp_id: str,
    *,
    peer_class: type[Peer] = Peer,
    headers: dict | None = None,
    response_timeout: float = 20,
):
    """An ocpp-library charge point connected to ocppd with subprotocol ocpp1.6, served in a task."""
    ws = await open_ws(ocppd.ws_url(cp_id), headers=headers)
    assert ws.subprotocol == "ocpp1.6", f"ocppd answered subprotocol {ws.subprotocol!r}, not ocpp1.6"
    async with serve_peer(ws, cp_id, peer_class=peer_class, response_timeout=response_timeout) as peer:
        yield peer


@contextlib.asynccontextmanager
async def serve_peer(ws: ClientConnection, cp_id: str, *, peer_class: type[Peer] = Peer, response_timeout: float = 20):
    """connect_peer for a WebSocket opened by the caller (wss://, Basic credentials, a client certificate)."""
    peer = peer_class(cp_id, ws, response_timeout=response_timeout)
    peer.ws = ws
    task = asyncio.create_task(_serve(peer))
    try:
        yield peer
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        with contextlib.suppress(Exception):
            await ws.close()


# ---------------------------------------------------------------------------------------------
# Raw OCPP-J framing (no ocpp library): for handshake and malformed-frame tests
# ---------------------------------------------------------------------------------------------

_ids = iter(range(1, 10**9))


def next_id() -> str:
    return f"t{next(_ids)}"


async def recv_frame(ws: ClientConnection, timeout: float = 10) -> Any:
    """The next text frame, decoded as JSON."""
    raw = await asyncio.wait_for(ws.recv(), timeout)
    assert isinstance(raw, str), f"OCPP-J frames are text frames, got {type(raw).__name__}"
    return json.loads(raw)


async def recv_reply(ws: ClientConnection, msg_id: str | None, timeout: float = 10) -> list:
    """The next CALLRESULT/CALLERROR (for `msg_id`, or any when None); CALLs from ocppd are skipped."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no reply to message {msg_id!r} within {timeout}s")
        frame = await recv_frame(ws, left)
        assert isinstance(frame, list) and frame, f"not an OCPP-J frame: {frame!r}"
        if frame[0] == 2:
            continue
        if msg_id is None or (len(frame) > 1 and frame[1] == msg_id):
            return frame


async def raw_call(ws: ClientConnection, action: str, payload: Any, msg_id: str | None = None, timeout: float = 10):
    """Sends `[2, id, action, payload]` and returns the reply frame."""
    msg_id = msg_id or next_id()
    await ws.send(json.dumps([2, msg_id, action, payload]))
    return await recv_reply(ws, msg_id, timeout)


def assert_callresult(frame: list, msg_id: str | None = None) -> dict:
    assert frame[0] == 3, f"expected CALLRESULT, got {frame!r}"
    assert len(frame) == 3, f"CALLRESULT must have 3 elements: {frame!r}"
    if msg_id is not None:
        assert frame[1] == msg_id
    assert isinstance(frame[2], dict)
    return frame[2]


def assert_callerror(frame: list, codes: str | Iterable[str], msg_id: str | None = None) -> list:
    """Checks `[4, id, code, description, details]` with `code` one of `codes`."""
    allowed = {codes} if isinstance(codes, str) else set(codes)
    assert isinstance(frame, list) and frame and frame[0] == 4, f"expected CALLERROR, got {frame!r}"
    assert len(frame) == 5, f"CALLERROR must have 5 elements [4,id,code,description,details]: {frame!r}"
    _, fid, code, description, details = frame
    assert isinstance(fid, str), f"CALLERROR id must be a string: {frame!r}"
    if msg_id is not None:
        assert fid == msg_id, f"CALLERROR for {fid!r}, expected {msg_id!r}"
    assert code in allowed, f"CALLERROR code {code!r}, expected one of {sorted(allowed)}: {frame!r}"
    assert isinstance(description, str), f"description must be a string: {frame!r}"
    assert isinstance(details, dict), f"details must be an object: {frame!r}"
    return frame


def metric(ocppd, series: str) -> float:
    """One series of /metrics, e.g. 'ocppd_store_outages_total' (0 while the counter was never touched)."""
    text = requests.get(f"{ocppd.base_url}/metrics", timeout=10, verify=ocppd.verify).text
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def limit_refusals(ocppd, limit: str) -> float:
    """ocppd_limit_refusals_total{limit=...} from /metrics (0 before the first refusal)."""
    return metric(ocppd, f'ocppd_limit_refusals_total{{limit="{limit}"}}')


async def handshake_refusal(url: str, **kw):
    """Opens a WebSocket that ocppd must refuse; returns the HTTP response (status, headers)."""
    try:
        ws = await open_ws(url, **kw)
    except websockets.exceptions.InvalidStatus as refused:
        return refused.response
    await ws.close()
    raise AssertionError(f"handshake to {url} was accepted (subprotocol {ws.subprotocol!r}) but must be refused")


async def heartbeat_works(ws: ClientConnection) -> None:
    """The connection still serves: a Heartbeat gets a CALLRESULT with a currentTime."""
    msg_id = next_id()
    reply = await raw_call(ws, "Heartbeat", {}, msg_id)
    body = assert_callresult(reply, msg_id)
    parse_time(body["currentTime"])


# ---------------------------------------------------------------------------------------------
# Server-Sent Events (GET /api/events), read on the test's event loop
# ---------------------------------------------------------------------------------------------


class SseStream:
    """A minimal HTTP/1.1 SSE client on asyncio streams, so that reading can be cancelled and
    closed at any moment (a blocking HTTP client would hang until the next keep-alive)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, status: int, headers: dict):
        self.reader = reader
        self.writer = writer
        self.status = status
        self.headers = headers
        self._chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        self._buf = ""
        # The `id:` of the last event read (None before any), as a client sends it back in Last-Event-ID.
        self.last_id: str | None = None

    @classmethod
    async def open(
        cls, ocppd: Ocppd, path: str, token: str | None = None, last_event_id: str | None = None
    ) -> "SseStream":
        reader, writer = await asyncio.open_connection("127.0.0.1", ocppd.port)
        resume = f"Last-Event-ID: {last_event_id}\r\n" if last_event_id is not None else ""
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{ocppd.port}\r\nAccept: text/event-stream\r\n"
            f"Cache-Control: no-cache\r\nAuthorization: Bearer {token or ocppd.token}\r\n{resume}\r\n"
        )
        writer.write(request.encode())
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
        parts = status_line.split()
        assert len(parts) >= 2 and parts[1].isdigit(), f"bad HTTP status line: {status_line!r}"
        headers: dict[str, str] = {}
        while True:
            line = await asyncio.wait_for(reader.readline(), 10)
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        return cls(reader, writer, int(parts[1]), headers)

    async def _more(self) -> str:
        if not self._chunked:
            data = await self.reader.read(65536)
        else:
            size_line = await self.reader.readline()
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            data = b"" if size == 0 else await self.reader.readexactly(size)
            if size:
                await self.reader.readexactly(2)
        if not data:
            raise EOFError("event stream ended")
        return data.decode()

    async def next_event(self, timeout: float = 10) -> tuple[str, Any]:
        """The next event as (type, data parsed as JSON); keep-alive comments are skipped."""

        async def read_one():
            while True:
                self._buf = self._buf.replace("\r\n", "\n")
                while "\n\n" in self._buf:
                    block, self._buf = self._buf.split("\n\n", 1)
                    event, data = "message", []
                    for line in block.split("\n"):
                        if line.startswith(":"):
                            continue
                        field, _, value = line.partition(":")
                        value = value[1:] if value.startswith(" ") else value
                        if field == "event":
                            event = value
                        elif field == "data":
                            data.append(value)
                        elif field == "id":
                            self.last_id = value
                    if data:
                        return event, json.loads("\n".join(data))
                self._buf += await self._more()

        return await asyncio.wait_for(read_one(), timeout)

    async def next_of_type(self, wanted: str, timeout: float = 10) -> dict:
        """The data of the next event of type `wanted`; events of other types are skipped."""
        deadline = time.monotonic() + timeout
        while True:
            name, data = await self.next_event(timeout=max(0.01, deadline - time.monotonic()))
            if name == wanted:
                return data

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()

