"""ocppctl in the field (issue #19): a wrong URL fails at once with a sentence a technician understands, every error
reads plainly, and sessions come out as CSV for accounting (checked against the JSON with Python's csv module)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import socket
import threading
import time

from ocpp.v16 import call

from harness import assert_problem, connect_peer, free_port, iso_now, run
from test_ocppctl import ResettablePeer, ctl, ctl_env, ocppctl_binary

# What no message of ocppctl may show: library internals.
INTERNALS = re.compile(r"errno|NIO|Error\(|HTTPClient|IOError|Optional\(")


def plain(message: str) -> None:
    """One line that says what failed, without internals, its parentheses balanced."""
    message = message.strip()
    assert message, "no message"
    assert not INTERNALS.search(message), message
    depth = 0
    for char in message:
        depth += {"(": 1, ")": -1}.get(char, 0)
        assert depth >= 0, f"unbalanced parentheses: {message}"
    assert depth == 0, f"unbalanced parentheses: {message}"


def timed(ocppd, tmp_path, *args, env=None):
    started = time.monotonic()
    result = ctl(ocppd, tmp_path, *args, env=env)
    return result, time.monotonic() - started


def no_server_env(ocppd, tmp_path) -> dict:
    env = ctl_env(ocppd, tmp_path)
    env.pop("OCPPCTL_SERVER")
    return env


def test_a_wrong_server_fails_at_once_with_a_plain_sentence(ocppd, tmp_path):
    env = no_server_env(ocppd, tmp_path)
    # Nothing listens there: refused, well under a second.
    port = free_port()
    result, took = timed(ocppd, tmp_path, "stations", "list", "--server", f"http://127.0.0.1:{port}", "--token", "x", env=env)
    assert result.returncode == 7 and took < 2, (result.returncode, took, result.stderr)
    assert result.stderr.strip() == (
        f"ocppctl: cannot reach ocppd at http://127.0.0.1:{port}: connection refused (is ocppd running, is the port right?)")
    # A name that does not resolve.
    result, took = timed(ocppd, tmp_path, "stations", "--server", "http://no-such-host.invalid:3000", env=env)
    assert result.returncode == 7 and took < 3, (result.returncode, took, result.stderr)
    assert "unknown host no-such-host.invalid (is the name in --server right?)" in result.stderr
    plain(result.stderr)
    # An address with no route to it (the documentation prefix): refused by the network, or at the connect timeout.
    result, took = timed(ocppd, tmp_path, "stations", "--server", "http://[2001:db8::1]:3000", "--connect-timeout", "2", env=env)
    assert result.returncode == 7 and took < 4, (result.returncode, took, result.stderr)
    assert "no route to the host" in result.stderr or "no connection within 2 s" in result.stderr, result.stderr
    plain(result.stderr)


def test_a_server_that_accepts_but_never_answers_fails_after_the_connect_timeout(ocppd, tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        env = no_server_env(ocppd, tmp_path)
        result, took = timed(ocppd, tmp_path, "stations", "--server", f"http://127.0.0.1:{port}", "--connect-timeout", "1",
                             env=env)
        assert result.returncode == 7 and 0.9 < took < 3, (result.returncode, took, result.stderr)
        assert result.stderr.strip() == (
            f"ocppctl: http://127.0.0.1:{port} accepted the connection but did not answer within 1 s "
            "(is it ocppd on that port? raise --connect-timeout)")
        # The default is 5 s, not the 40 s a command may wait for its charger.
        result, took = timed(ocppd, tmp_path, "stations", "--server", f"http://127.0.0.1:{port}", env=env)
        assert result.returncode == 7 and 4.5 < took < 8, (result.returncode, took)
        assert accepted, "the connections reached the listener"
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


class SilentPeer(ResettablePeer):
    """Takes its time over every Reset."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, silent=True, **kwargs)


def test_every_error_class_reads_plainly(ocppd, tmp_path):
    messages: dict[str, str] = {}

    def record(name: str, *args, code: int, env=None) -> None:
        result = ctl(ocppd, tmp_path, *args, env=env)
        assert result.returncode == code, (name, result.returncode, result.stdout, result.stderr)
        messages[name] = result.stderr

    env = no_server_env(ocppd, tmp_path)
    record("refused", "stations", "--server", f"http://127.0.0.1:{free_port()}", code=7, env=env)
    record("unknown host", "stations", "--server", "http://no-such-host.invalid", code=7, env=env)
    record("TLS to a plain port", "stations", "--server", ocppd.base_url.replace("http://", "https://"), "--connect-timeout", "2",
           code=7, env=env)
    bad_token = ctl_env(ocppd, tmp_path, OCPPCTL_TOKEN="wrong")
    record("wrong token", "stations", code=8, env=bad_token)
    record("unknown station", "stations", "show", "NOPE-FIELD", code=3)
    assert ocppd.put("/api/stations/FIELD-OFF", json={}).status_code in (200, 201)
    record("offline station", "reset", "FIELD-OFF", code=4)
    record("bad body", "sites", "set", "FIELD", "--limit", "-3", "--unit", "A", code=2)
    record("bad option", "stations", "--connect-timeout", "0", code=2)

    async def silent():
        async with connect_peer(ocppd, "FIELD-SILENT", peer_class=SilentPeer) as peer:
            await peer.boot()
            env = ctl_env(ocppd, tmp_path)
            proc = await asyncio.create_subprocess_exec(
                str(ocppctl_binary()), "reset", "FIELD-SILENT", "--timeout", "1", env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            _, err = await asyncio.wait_for(proc.communicate(), 30)
            assert proc.returncode == 6, err
            messages["command timeout"] = err.decode()

    run(silent())
    for name, message in messages.items():
        assert message.startswith("ocppctl: "), (name, message)
        plain(message)
    assert "TLS" in messages["TLS to a plain port"], messages["TLS to a plain port"]


def test_sessions_come_out_as_csv_the_same_as_the_json(ocppd, tmp_path):
    ocppd.create_tag("CSV-TAG")
    ocppd.create_tag("CSV, \"quoted\"")

    async def charge():
        async with connect_peer(ocppd, "CSV-1") as peer:
            await peer.boot()
            for n, tag in enumerate(["CSV-TAG", "CSV, \"quoted\"", "CSV-TAG"]):
                started = await peer.start_tx(1, tag, meter_start=n * 1000)
                await peer.send(call.MeterValues(connector_id=1, transaction_id=started.transaction_id, meter_value=[
                    {"timestamp": iso_now(), "sampledValue": [
                        {"value": str(n * 1000 + 250), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                        {"value": "7.4", "measurand": "Power.Active.Import", "unit": "kW"}]}]))
                if n < 2:
                    await peer.stop_tx(started.transaction_id, meter_stop=n * 1000 + 500)

    run(charge())
    listed = ocppd.get("/api/sessions", params={"limit": 1000}).json()
    assert len(listed) == 3

    def as_csv(**kw):
        resp = ocppd.get("/api/sessions", **kw)
        assert resp.status_code == 200, resp.text
        assert resp.headers["Content-Type"].startswith("text/csv"), resp.headers
        assert "X-Total-Count" not in resp.headers
        return list(csv.DictReader(io.StringIO(resp.content.decode(), newline="")))

    by_format = as_csv(params={"format": "csv"})
    assert as_csv(headers={"Accept": "text/csv"}) == by_format
    assert len(by_format) == 3

    def cell(value) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else json.dumps(value)

    for row, session in zip(by_format, listed):
        assert set(session) <= set(row), (set(session) - set(row))
        assert {k: row[k] for k in session} == {k: cell(v) for k, v in session.items()}, (row, session)
    assert [row["idTag"] for row in by_format] == ["CSV-TAG", "CSV, \"quoted\"", "CSV-TAG"][::-1]
    # The active session's last power and meter time (also in JSON: top shows them on load).
    active = next(s for s in listed if s["active"])
    assert active.get("lastPowerW") == 7400 and active.get("lastMeterValueAt"), json.dumps(active)
    # Filters as the JSON list; no paging.
    only_active = as_csv(params={"format": "csv", "active": "true", "limit": "1"})
    assert [r["transactionId"] for r in only_active] == [str(active["transactionId"])]
    assert as_csv(params={"format": "csv", "until": "2000-01-01T00:00:00Z"}) == []
    assert_problem(ocppd.get("/api/sessions", params={"format": "xml"}), 400, mentions="format")

    # One session's meter values.
    values = ocppd.get(f"/api/sessions/{active['transactionId']}/meter-values").json()
    resp = ocppd.get(f"/api/sessions/{active['transactionId']}/meter-values", params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(resp.content.decode(), newline="")))
    assert [{k: r[k] for k in v} for r, v in zip(rows, values)] == [{k: cell(x) for k, x in v.items()} for v in values]
    assert len(rows) == len(values) == 2

    # ocppctl sessions export: the same bytes, written whole, with a count.
    target = tmp_path / "sessions.csv"
    exported = ctl(ocppd, tmp_path, "sessions", "export", "-O", str(target))
    assert exported.returncode == 0, exported.stderr
    assert f"exported 3 sessions to {target}" in exported.stderr
    assert list(csv.DictReader(io.StringIO(target.read_text(), newline=""))) == by_format
    station_only = ctl(ocppd, tmp_path, "sessions", "export", "--station", "NOPE", "-O", "-")
    assert station_only.returncode == 0 and station_only.stdout.splitlines()[0].startswith("transactionId,cpId,")
    assert len(station_only.stdout.splitlines()) == 1 and "exported 0 sessions" in station_only.stderr
    assert not list(tmp_path.glob(".sessions.csv.part-*")), "no partial file left"


def test_shell_and_top_say_the_same_at_once(ocppd, tmp_path):
    import shlex
    import subprocess
    import uuid

    port = free_port()
    server = f"http://127.0.0.1:{port}"
    env = no_server_env(ocppd, tmp_path)
    # The shell runs each line; a refused server is said at once, per line.
    started = time.monotonic()
    shell = subprocess.run([str(ocppctl_binary()), "shell", "--server", server], input="stations\nsessions list\n",
                           capture_output=True, text=True, env=env, timeout=30)
    assert time.monotonic() - started < 3 and shell.returncode == 7, (shell.returncode, shell.stderr)
    assert shell.stderr.count("connection refused (is ocppd running, is the port right?)") == 2, shell.stderr
    plain(shell.stderr.splitlines()[0])
    # A command group alone names its subcommands, whatever global options the shell carries.
    group = subprocess.run([str(ocppctl_binary()), "shell", "--server", server], input="sites\n", capture_output=True,
                           text=True, env=env, timeout=30)
    assert group.returncode == 2 and "'sites' needs a subcommand: list, show, set, rm" in group.stderr, group.stderr
    # top shows it in its header at once and keeps trying.
    name = f"topfield-{uuid.uuid4().hex[:8]}"
    command = f"env OCPPCTL_SERVER={server} OCPPCTL_TOKEN=x XDG_CONFIG_HOME={tmp_path} {shlex.quote(str(ocppctl_binary()))} top"
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "160", "-y", "10", command], check=True)
    try:
        deadline = time.monotonic() + 3
        screen = ""
        while time.monotonic() < deadline and "connection refused" not in screen:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout
            time.sleep(0.1)
        assert "LOST: cannot reach ocppd at" in screen and "connection refused" in screen, screen
        assert "(reconnecting)" in screen
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
