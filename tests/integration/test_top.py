"""`ocppctl top` in a real terminal (tmux): live updates from the event stream, keys, layout,
resize, the terminal restored on every way out, reconnection, and 1,000 stations."""

from __future__ import annotations

import asyncio
import os
import shlex
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from ocpp.routing import on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action

from harness import DEFAULT_TOKEN, Peer, connect_peer, ocppd_binary, run

pytestmark = pytest.mark.skipif(subprocess.run(["which", "tmux"], capture_output=True).returncode != 0, reason="tmux missing")


class Pane:
    """A tmux session running `ocppctl top`; always killed by name at the end."""

    def __init__(self, ocppd, tmp_path: Path, columns: int = 80, rows: int = 24, token: str = DEFAULT_TOKEN):
        self.name = f"ocpptop-{uuid.uuid4().hex[:8]}"
        ctl = ocppd_binary().parent / "ocppctl"
        env = f"OCPPCTL_SERVER={ocppd.base_url} OCPPCTL_TOKEN={token} XDG_CONFIG_HOME={tmp_path}"
        command = f"env {env} {shlex.quote(str(ctl))} top; echo TOP-EXIT=$?; sleep 60"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", str(columns), "-y", str(rows), command], check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True).stdout

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def wait_for(self, text: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not on screen within {timeout}s:\n{screen}")
            time.sleep(0.05)

    def top_pid(self) -> int:
        shell = int(subprocess.run(["tmux", "display", "-p", "-t", self.name, "#{pane_pid}"], capture_output=True, text=True).stdout)
        children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
        for pid in children:
            if "ocppctl" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                return int(pid)
        raise AssertionError("ocppctl top is not running")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@pytest.fixture
def pane_factory(tmp_path):
    panes: list[Pane] = []

    def make(ocppd, **kw) -> Pane:
        pane = Pane(ocppd, tmp_path, **kw)
        panes.append(pane)
        return pane

    yield make
    for pane in panes:
        pane.close()


class ResetPeer(Peer):
    @on(Action.reset)
    def on_reset(self, type, **kwargs):
        return call_result.Reset(status="Accepted")


def test_a_status_change_shows_within_a_second_and_keys_work(ocppd, pane_factory):
    pane = pane_factory(ocppd)
    pane.wait_for("live")

    async def scenario():
        async with connect_peer(ocppd, "TOP-CP-1", peer_class=ResetPeer) as cp:
            await cp.boot()
            await cp.status(1, "Available")
            await asyncio.to_thread(pane.wait_for, "TOP-CP-1")
            await cp.status(1, "Faulted", error_code="GroundFailure")
            # Pushed by the event stream: on screen within a second, no polling.
            screen = await asyncio.to_thread(pane.wait_for, "Faulted", 1.0)
            assert "GroundFai" in screen and "faulted 1" in screen

            # r asks, naming the target; y runs it and the answer shows in the status line.
            pane.keys("r")
            await asyncio.to_thread(pane.wait_for, "soft reset TOP-CP-1? y/n")
            pane.keys("y")
            await asyncio.to_thread(pane.wait_for, "soft reset TOP-CP-1: Accepted")

            # Enter opens the detail pane with the station's recent events; a data transfer names its vendor,
            # message and the answer the charger got.
            await cp.send(call.DataTransfer(vendor_id="com.example.x", message_id="m7", data="{}"))
            pane.keys("Enter")
            await asyncio.to_thread(pane.wait_for, "recent events")
            await asyncio.to_thread(pane.wait_for, "data.transfer com.example.x m7 UnknownVendorId")

    run(scenario())
    screen = pane.screen()
    lines = screen.splitlines()
    assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
    assert "q quit" in screen, "footer with the keys"

    # q quits with status 0 and gives the terminal back.
    pane.keys("q")
    after = pane.wait_for("TOP-EXIT=0")
    assert "STATION" not in after


def test_filter_and_sort(ocppd, pane_factory):
    for cp_id in ["FLT-A", "FLT-B", "OTHER-C"]:
        ocppd.put(f"/api/stations/{cp_id}", json={"registrationStatus": "Accepted"})
    pane = pane_factory(ocppd)
    pane.wait_for("OTHER-C")
    pane.keys("/", "F", "L", "T", "Enter")
    screen = pane.wait_for("[/FLT]")
    assert "FLT-A" in screen and "FLT-B" in screen and "OTHER-C" not in screen
    pane.keys("s")
    pane.wait_for("sort(status)")


def test_ctrl_c_and_sigterm_restore_the_terminal(ocppd, pane_factory):
    pane = pane_factory(ocppd)
    pane.wait_for("live")
    pane.keys("C-c")
    assert "STATION" not in pane.wait_for("TOP-EXIT=0")

    pane2 = pane_factory(ocppd)
    pane2.wait_for("live")
    os.kill(pane2.top_pid(), 15)
    assert "STATION" not in pane2.wait_for("TOP-EXIT=0")


def test_a_wrong_token_ends_top_with_the_unauthorized_status_and_a_restored_terminal(ocppd, pane_factory):
    # Waiting will not mend a wrong token, unlike a lost server: top says so and exits 8.
    pane = pane_factory(ocppd, token="wrong-token")
    screen = pane.wait_for("TOP-EXIT=8")
    assert "unauthorized" in screen and "STATION" not in screen


def test_redraws_on_resize_and_uses_a_wider_terminal(ocppd, pane_factory):
    ocppd.put("/api/stations/A-STATION-WITH-A-LONG-NAME-1234", json={"registrationStatus": "Accepted"})
    pane = pane_factory(ocppd)
    narrow = pane.wait_for("A-STATION")
    assert "A-STATION-WITH-A-LONG-NAME-1234" not in narrow  # cut to fit 80 columns
    subprocess.run(["tmux", "resize-window", "-t", pane.name, "-x", "140", "-y", "30"], check=True)
    pane.wait_for("A-STATION-WITH-A-LONG-NAME-1234")


def test_shows_a_lost_server_and_reconnects_by_itself(ocppd, pane_factory):
    ocppd.put("/api/stations/RECONNECT-1", json={"registrationStatus": "Accepted"})
    pane = pane_factory(ocppd)
    pane.wait_for("RECONNECT-1")
    ocppd.fixed_port = ocppd.port
    ocppd.stop()
    pane.wait_for("LOST")
    ocppd.start()
    ocppd.put("/api/stations/RECONNECT-2", json={"registrationStatus": "Accepted"})
    screen = pane.wait_for("RECONNECT-2", 15)
    assert "live" in screen


def test_a_thousand_stations_stay_responsive_and_idle_costs_little(ocppd, pane_factory):
    for i in range(1000):
        ocppd.put(f"/api/stations/BULK-{i:04d}", json={"registrationStatus": "Accepted"})
    pane = pane_factory(ocppd)
    pane.wait_for("stations 1000")
    pane.keys("End")
    pane.wait_for("BULK-0999")
    pane.keys("Home")
    pane.wait_for("BULK-0000")
    pid = pane.top_pid()

    def cpu_ticks() -> int:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    start = cpu_ticks()
    time.sleep(3)
    used = (cpu_ticks() - start) / os.sysconf("SC_CLK_TCK")
    assert used < 0.3, f"top used {used:.2f} s of CPU in 3 s while idle"
