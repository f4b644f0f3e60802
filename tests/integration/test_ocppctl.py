"""The real ocppctl binary against a real ocppd and a simulated charge point: output, JSON for
scripts, documented exit codes, the event stream, login and the config file."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import subprocess
from pathlib import Path

from ocpp.routing import on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action

from harness import DEFAULT_TOKEN, Peer, connect_peer, ocppd_binary, run

OK, USAGE, NOT_FOUND, OFFLINE, REFUSED, TIMEOUT, UNREACHABLE, UNAUTHORIZED = 0, 2, 3, 4, 5, 6, 7, 8


def ocppctl_binary() -> Path:
    binary = ocppd_binary().parent / "ocppctl"
    assert binary.is_file(), f"{binary} was not built"
    return binary


def ctl_env(ocppd, tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OCPPCTL_", "OCPPD_"))}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), HOME=str(tmp_path), NO_COLOR="1")
    env.update(OCPPCTL_SERVER=ocppd.base_url, OCPPCTL_TOKEN=DEFAULT_TOKEN)
    env.update(extra)
    return env


def ctl(ocppd, tmp_path, *args, env: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ocppctl_binary()), *args], capture_output=True, text=True, timeout=60,
        env=env or ctl_env(ocppd, tmp_path), cwd=cwd,
    )


async def actl(ocppd, tmp_path, *args, env: dict | None = None) -> tuple[int, str, str]:
    """Runs ocppctl without blocking the event loop that serves the simulated charge point."""
    proc = await asyncio.create_subprocess_exec(
        str(ocppctl_binary()), *args, env=env or ctl_env(ocppd, tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


class ResettablePeer(Peer):
    def __init__(self, *args, reset_status: str = "Accepted", silent: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.reset_status = reset_status
        self.silent = silent
        self.resets: list[str] = []
        self.availability: tuple | None = None

    @on(Action.reset)
    async def on_reset(self, type, **kwargs):
        self.resets.append(type)
        if self.silent:
            await asyncio.sleep(5)
        return call_result.Reset(status=self.reset_status)

    @on(Action.get_configuration)
    async def on_get_configuration(self, **kwargs):
        return call_result.GetConfiguration(
            configuration_key=[{"key": "HeartbeatInterval", "readonly": False, "value": "300"}], unknown_key=["Nonsense"])

    @on(Action.change_availability)
    async def on_change_availability(self, connector_id, type, **kwargs):
        self.availability = (connector_id, type)
        return call_result.ChangeAvailability(status="Accepted")


def test_json_output_is_exactly_the_apis_json(ocppd, tmp_path):
    ocppd.post("/api/rfid", json={"idTag": "CTL-TAG-1", "description": "fleet"})
    for args, path in [(["rfid", "list"], "/api/rfid"), (["rfid", "show", "CTL-TAG-1"], "/api/rfid/CTL-TAG-1"),
                       (["stations", "list"], "/api/stations"), (["reservations"], "/api/reservations")]:
        done = ctl(ocppd, tmp_path, *args, "-o", "json")
        assert done.returncode == OK, done.stderr
        assert json.loads(done.stdout) == ocppd.get(path).json()


def test_tables_are_aligned_and_plain_without_a_terminal(ocppd, tmp_path):
    async def scenario():
        async with connect_peer(ocppd, "CTL-CP-1") as cp:
            await cp.boot(vendor="ACME", model="Volt-22")
            await cp.status(1, "Charging")
            await cp.send(call.Heartbeat())
            return await actl(ocppd, tmp_path, "stations", "list")

    code, out, err = run(scenario())
    assert code == OK, err
    lines = out.splitlines()
    header = lines[0]
    assert header.split() == ["STATION", "STATE", "REGISTRATION", "VENDOR", "MODEL", "CONNECTORS", "HEARTBEAT"]
    row = next(line for line in lines if line.startswith("CTL-CP-1"))
    # Columns line up: each value starts where its header does.
    for name, value in [("STATE", "connected"), ("VENDOR", "ACME"), ("CONNECTORS", "1:Charging")]:
        assert row.index(value) == header.index(name), (header, row)
    assert "s ago" in row
    assert "\x1b[" not in out, "colour codes in piped output"


def test_colour_on_a_terminal_but_never_with_no_color(ocppd, tmp_path):
    ocppd.put("/api/stations/CTL-COLOR", json={"registrationStatus": "Accepted"})

    def on_tty(extra_env: dict) -> str:
        env = ctl_env(ocppd, tmp_path)
        env.pop("NO_COLOR")
        env.update(extra_env, TERM="xterm")
        leader, follower = pty.openpty()
        proc = subprocess.Popen([str(ocppctl_binary()), "stations", "list"], stdout=follower, stderr=follower, env=env)
        os.close(follower)
        chunks = []
        while True:
            try:
                data = os.read(leader, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=30)
        os.close(leader)
        return b"".join(chunks).decode()

    assert "\x1b[" in on_tty({})
    assert "\x1b[" not in on_tty({"NO_COLOR": "1"})


def test_exit_codes_say_what_went_wrong(ocppd, tmp_path):
    ocppd.put("/api/stations/CTL-OFFLINE", json={"registrationStatus": "Accepted"})

    async def scenario():
        results = {}
        async with connect_peer(ocppd, "CTL-OK", peer_class=ResettablePeer) as ok_cp:
            await ok_cp.boot()
            results["accepted"] = await actl(ocppd, tmp_path, "reset", "CTL-OK", "--hard")
            assert ok_cp.resets == ["Hard"]
        async with connect_peer(ocppd, "CTL-NO", peer_class=lambda *a, **k: ResettablePeer(*a, reset_status="Rejected", **k)) as no_cp:
            await no_cp.boot()
            results["rejected"] = await actl(ocppd, tmp_path, "reset", "CTL-NO")
        return results

    results = run(scenario())
    assert results["accepted"][0] == OK, results["accepted"]
    assert "Accepted" in results["accepted"][1]
    assert results["rejected"][0] == REFUSED, results["rejected"]
    assert "Rejected" in results["rejected"][2]

    offline = ctl(ocppd, tmp_path, "reset", "CTL-OFFLINE")
    assert offline.returncode == OFFLINE and "not connected" in offline.stderr
    unknown = ctl(ocppd, tmp_path, "stations", "show", "CTL-NOBODY")
    assert unknown.returncode == NOT_FOUND and "CTL-NOBODY" in unknown.stderr
    usage = ctl(ocppd, tmp_path, "reset")
    assert usage.returncode == USAGE and "ocppctl reset --help" in usage.stderr
    bad_token = ctl(ocppd, tmp_path, "stations", "list", "--token", "wrong")
    assert bad_token.returncode == UNAUTHORIZED and "token" in bad_token.stderr
    unreachable = ctl(ocppd, tmp_path, "--server", "http://127.0.0.1:9", "stations", "list")
    assert unreachable.returncode == UNREACHABLE and "cannot reach" in unreachable.stderr
    for done in (offline, unknown, usage, bad_token, unreachable):
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_answers_print_as_each_command_shows_them_and_arguments_take_ocpp_spelling(ocppd, tmp_path):
    async def scenario():
        async with connect_peer(ocppd, "CTL-CONF", peer_class=ResettablePeer) as cp:
            await cp.boot()
            got = await actl(ocppd, tmp_path, "config", "get", "CTL-CONF")
            availability = await actl(ocppd, tmp_path, "availability", "CTL-CONF", "1", "Inoperative")
            return got, availability, cp.availability

    got, availability, sent = run(scenario())
    assert got[0] == OK, got
    header, row = got[1].splitlines()[:2]
    assert header.split() == ["KEY", "VALUE", "READONLY"] and row.split() == ["HeartbeatInterval", "300", "no"], got[1]
    assert "unknown keys: Nonsense" in got[1]
    assert availability[0] == OK, availability
    assert sent == (1, "Inoperative")


def test_station_set_and_history_and_the_server_commands(ocppd, tmp_path):
    done = ctl(ocppd, tmp_path, "stations", "set", "CTL-SET", "--status", "pending", "--description", "bay 7", "-o", "json")
    assert done.returncode == OK, done.stderr
    assert json.loads(done.stdout)["registrationStatus"] == "Pending" and json.loads(done.stdout)["description"] == "bay 7"
    done = ctl(ocppd, tmp_path, "stations", "set", "CTL-SET", "--security-profile", "1", "--authorization-key", "k" * 16)
    assert done.returncode == OK, done.stderr
    assert "key set" in done.stdout and "Pending" in done.stdout
    assert ctl(ocppd, tmp_path, "stations", "set", "CTL-SET", "--no-authorization-key", "--authorization-key", "x" * 16).returncode == USAGE
    accepted = ctl(ocppd, tmp_path, "stations", "accept", "CTL-SET", "--description", "bay 8")
    assert accepted.returncode == OK and "accepted" in accepted.stdout, accepted
    station = ocppd.station("CTL-SET")
    assert station["registrationStatus"] == "Accepted" and station["description"] == "bay 8" and station["hasAuthorizationKey"]

    async def scenario():
        async with connect_peer(ocppd, "CTL-HIST") as cp:
            await cp.boot()
            for status, second in (("Available", 1), ("Preparing", 2), ("Charging", 3)):
                await cp.call(call.StatusNotification(
                    connector_id=1, error_code="NoError", status=status, timestamp=f"2026-01-01T00:00:0{second}Z"))

    run(scenario())
    history = ctl(ocppd, tmp_path, "stations", "history", "CTL-HIST", "--connector", "1", "-o", "json")
    assert history.returncode == OK, history.stderr
    assert [r["status"] for r in json.loads(history.stdout)] == ["Charging", "Preparing", "Available"]
    table = ctl(ocppd, tmp_path, "stations", "history", "CTL-HIST", "--limit", "1")
    assert "Charging" in table.stdout and "Preparing" not in table.stdout and "1 of 3" in table.stdout
    assert ctl(ocppd, tmp_path, "stations", "history", "CTL-NOBODY").returncode == NOT_FOUND

    status = ctl(ocppd, tmp_path, "status", "-o", "json")
    assert status.returncode == OK and json.loads(status.stdout)["status"] == "ready", status
    metrics = ctl(ocppd, tmp_path, "metrics", "ocppd_store")
    assert metrics.returncode == OK and metrics.stdout.strip(), metrics
    assert all("ocppd_store" in line for line in metrics.stdout.splitlines()), metrics.stdout
    openapi = ctl(ocppd, tmp_path, "openapi")
    assert openapi.returncode == OK and json.loads(openapi.stdout)["openapi"].startswith("3.1")
    down = ctl(ocppd, tmp_path, "--server", "http://127.0.0.1:9", "status")
    assert down.returncode == UNREACHABLE


def test_the_command_log_shows_what_was_sent_and_what_came_back(ocppd, tmp_path):
    async def scenario():
        async with connect_peer(ocppd, "CTL-LOG", peer_class=lambda *a, **k: ResettablePeer(*a, reset_status="Rejected", **k)) as cp:
            await cp.boot()
            await actl(ocppd, tmp_path, "reset", "CTL-LOG")

    run(scenario())
    log = ctl(ocppd, tmp_path, "commands", "--station", "CTL-LOG", "-o", "json")
    assert log.returncode == OK, log.stderr
    assert [(r["action"], r["response"]) for r in json.loads(log.stdout)] == [("Reset", {"status": "Rejected"})]
    table = ctl(ocppd, tmp_path, "commands")
    assert table.stdout.splitlines()[0].split() == ["AT", "STATION", "ACTION", "OUTCOME"]
    assert "CTL-LOG" in table.stdout and "Rejected" in table.stdout


def test_token_rotate_prints_the_new_token_and_keeps_a_logged_in_config_working(ocppd_factory, tmp_path):
    ocppd = ocppd_factory(token=None)  # generated, so it can be rotated
    old = (ocppd.data_dir / "api-token").read_text().strip()
    env = ctl_env(ocppd, tmp_path)
    env.pop("OCPPCTL_SERVER")
    env.pop("OCPPCTL_TOKEN")
    assert ctl(ocppd, tmp_path, "login", "--server", ocppd.base_url, "--token", old, env=env).returncode == OK
    rotated = ctl(ocppd, tmp_path, "token", "rotate", env=env)
    assert rotated.returncode == OK, rotated.stderr
    new = rotated.stdout.strip()
    assert new and new != old
    assert ocppd.api("GET", "/api/stations", token=old).status_code == 401
    assert ocppd.api("GET", "/api/stations", token=new).status_code == 200
    # The config file had the old token: it has the new one now, so the next command still works.
    assert ctl(ocppd, tmp_path, "stations", "list", env=env).returncode == OK


def test_a_group_without_its_subcommand_is_a_usage_error(ocppd, tmp_path):
    for group in ("config", "firmware", "local-list", "charging-profile"):
        done = ctl(ocppd, tmp_path, group)
        assert done.returncode == USAGE, (group, done)
        assert "needs a subcommand" in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_events_that_get_no_answer_time_out(tmp_path):
    # A server that takes the connection and never answers: the stream's start is bounded by --connect-timeout, and
    # that is the server not being reachable (7), not a charger's timeout.
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OCPPCTL_", "OCPPD_"))}
        env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"), OCPPCTL_TOKEN="t")
        done = subprocess.run(
            [str(ocppctl_binary()), "--server", f"http://127.0.0.1:{silent.getsockname()[1]}", "--connect-timeout", "1",
             "events", "--count", "1"], capture_output=True, text=True, timeout=30, env=env)
    assert done.returncode == UNREACHABLE, done
    assert "accepted the connection but did not answer within 1 s" in done.stderr, done.stderr


def test_the_config_file_in_home_is_read_with_quotes_and_comments(ocppd, tmp_path):
    env = ctl_env(ocppd, tmp_path)
    env.pop("OCPPCTL_SERVER")
    env.pop("OCPPCTL_TOKEN")
    config = tmp_path / ".config" / "ocppctl" / "config"  # ~/.config, though XDG_CONFIG_HOME points elsewhere
    config.parent.mkdir(parents=True)
    config.write_text(f'# written by hand\nserver = "{ocppd.base_url}"\ntoken=\'{DEFAULT_TOKEN}\'\n')
    done = ctl(ocppd, tmp_path, "rfid", "list", "-o", "json", env=env)
    assert done.returncode == OK, done.stderr


def test_a_charge_point_that_never_answers_is_a_timeout(ocppd_factory, tmp_path):
    ocppd = ocppd_factory("--call-timeout", "1")

    async def scenario():
        async with connect_peer(ocppd, "CTL-SLOW", peer_class=lambda *a, **k: ResettablePeer(*a, silent=True, **k)) as cp:
            await cp.boot()
            return await actl(ocppd, tmp_path, "reset", "CTL-SLOW")

    code, _, err = run(scenario())
    assert code == TIMEOUT, err


def test_events_prints_one_json_object_per_line_as_they_happen(ocppd, tmp_path):
    async def scenario():
        proc = await asyncio.create_subprocess_exec(
            str(ocppctl_binary()), "events", "--station", "CTL-EV", env=ctl_env(ocppd, tmp_path),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            await asyncio.sleep(1.0)  # let it subscribe
            async with connect_peer(ocppd, "CTL-EV") as cp:
                await cp.boot()
                # The first lines arrive while ocppctl is still running: flushed per event.
                first = json.loads(await asyncio.wait_for(proc.stdout.readline(), 10))
                second = json.loads(await asyncio.wait_for(proc.stdout.readline(), 10))
                return [first, second]
        finally:
            proc.terminate()
            await proc.wait()

    events = run(scenario())
    assert [e["type"] for e in events] == ["station.connected", "station.booted"]
    assert all(e["cpId"] == "CTL-EV" and "at" in e for e in events)


def test_login_saves_a_private_config_that_later_commands_use(ocppd, tmp_path):
    env = ctl_env(ocppd, tmp_path)
    env.pop("OCPPCTL_SERVER")
    env.pop("OCPPCTL_TOKEN")
    refused = ctl(ocppd, tmp_path, "login", "--server", ocppd.base_url, "--token", "wrong", env=env)
    assert refused.returncode == UNAUTHORIZED
    done = ctl(ocppd, tmp_path, "login", "--server", ocppd.base_url, "--token", DEFAULT_TOKEN, env=env)
    assert done.returncode == OK, done.stderr
    config = tmp_path / "config" / "ocppctl" / "config"
    assert config.stat().st_mode & 0o777 == 0o600
    later = ctl(ocppd, tmp_path, "rfid", "list", "-o", "json", env=env)
    assert later.returncode == OK, later.stderr


def test_the_token_of_a_local_ocppd_is_found_without_flags(ocppd_factory, tmp_path):
    ocppd = ocppd_factory(token=None)  # generates DATA_DIR/api-token
    env = ctl_env(ocppd, tmp_path)
    env.pop("OCPPCTL_TOKEN")
    # As next to `scripts/run`: the token file is ./data/api-token.
    done = ctl(ocppd, tmp_path, "stations", "list", env=env, cwd=ocppd.data_dir.parent)
    assert ocppd.data_dir.name == "data"
    assert done.returncode == OK, done.stderr


def test_help_documents_the_exit_codes(tmp_path):
    done = subprocess.run([str(ocppctl_binary()), "--help"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    for code in range(0, 9):
        assert f"  {code}  " in done.stdout
    # The man page's EXIT STATUS section lists them too (scripts/generate-docs), not just "0 on success".
    page = (Path(__file__).resolve().parents[2] / "man" / "ocppctl.1").read_text()
    exit_status = page.split('.Sh "EXIT STATUS"', 1)[1]
    assert all(f".It {code}\n" in exit_status for code in range(0, 9)), exit_status
    assert ".Ex -std" not in page


def test_bash_completion_offers_station_ids_and_tags_from_the_server(ocppd, tmp_path):
    ocppd.put("/api/stations/COMP-STATION-1", json={"registrationStatus": "Accepted"})
    ocppd.put("/api/stations/OTHER-STATION", json={"registrationStatus": "Accepted"})
    ocppd.post("/api/rfid", json={"idTag": "COMPTAG-42"})
    script = Path(__file__).resolve().parents[2] / "completions" / "ocppctl.bash"

    def complete(line: str) -> list[str]:
        words = line.split(" ")
        program = (
            f"source {script}\n"
            f"COMP_WORDS=({' '.join(repr(w) for w in words)})\n"
            f"COMP_CWORD={len(words) - 1}\nCOMP_LINE={line!r}\nCOMP_POINT={len(line)}\n"
            "_ocppctl\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
        )
        env = ctl_env(ocppd, tmp_path)
        env["PATH"] = f"{ocppctl_binary().parent}:{env.get('PATH', '')}"
        done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, env=env, timeout=30)
        assert done.returncode == 0, done.stderr
        return [w for w in done.stdout.split() if w]

    assert complete("ocppctl reset COMP") == ["COMP-STATION-1"]
    assert complete("ocppctl rfid block COMPT") == ["COMPTAG-42"]
    assert "reset" in complete("ocppctl res")


def test_several_servers_the_first_that_answers_is_used(ocppd, tmp_path):
    from harness import free_port

    dead = f"http://127.0.0.1:{free_port()}"
    env = ctl_env(ocppd, tmp_path, OCPPCTL_SERVER=f"{dead},{ocppd.base_url}")
    listed = ctl(ocppd, tmp_path, "stations", "list", "-o", "json", env=env)
    assert listed.returncode == OK, listed.stderr
    assert json.loads(listed.stdout) == []
    # Also from the config file, and in `status`, which names the server that answered.
    config = tmp_path / "config" / "ocppctl"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config").write_text(f"server={dead}, {ocppd.base_url}\ntoken={DEFAULT_TOKEN}\n")
    env = ctl_env(ocppd, tmp_path)
    del env["OCPPCTL_SERVER"], env["OCPPCTL_TOKEN"]
    status = ctl(ocppd, tmp_path, "status", env=env)
    assert status.returncode == OK and status.stdout.startswith(ocppd.base_url), (status.stdout, status.stderr)
    # None answers: unreachable, naming the last one tried.
    gone = ctl(ocppd, tmp_path, "status", "--server", f"{dead},http://127.0.0.1:{free_port()}")
    assert gone.returncode == UNREACHABLE, gone.stderr


def test_cluster_nodes_on_a_single_ocppd_says_so(ocppd, tmp_path):
    table = ctl(ocppd, tmp_path, "cluster", "nodes")
    assert table.returncode == OK and "single ocppd" in table.stdout
    listed = ctl(ocppd, tmp_path, "cluster", "nodes", "-o", "json")
    assert listed.returncode == OK and json.loads(listed.stdout) == []
    assert ctl(ocppd, tmp_path, "cluster").returncode == USAGE
    header = ctl(ocppd, tmp_path, "stations", "list").stdout.splitlines()[0]
    assert "NODE" not in header
