"""`ocppctl shell` in a real terminal: the real binary runs in a tmux pane (send-keys types,
capture-pane reads the screen) against a real ocppd and a simulated charge point."""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from harness import DEFAULT_TOKEN, connect_peer, run
from test_ocppctl import ctl_env, ocppctl_binary

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Terminal:
    """One ocppctl shell in a 120x40 tmux pane. Each terminal has its own tmux server (a private
    socket) and session name, so tests never touch anybody else's tmux."""

    def __init__(self, env: dict, tmp_path: Path, *args: str) -> None:
        self.name = f"ocppctl-shell-{os.getpid()}-{uuid.uuid4().hex[:10]}"
        self.env = env
        self.status_file = tmp_path / f"{self.name}.status"
        self.socket = ""
        self.args = args

    def start(self) -> None:
        command = shlex.join([str(ocppctl_binary()), "shell", *self.args])
        # The pane stays after ocppctl exits, so its last screen and exit status can be read.
        script = f"{command}; echo $? > {shlex.quote(str(self.status_file))}; sleep 600"
        self.tmux("new-session", "-d", "-s", self.name, "-x", "120", "-y", "40", script)
        self.socket = self.tmux("display-message", "-p", "-t", self.name, "#{socket_path}").stdout.strip()

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-L", self.name, *args], env=self.env, capture_output=True, text=True,
                              timeout=10, check=check)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", self.name).stdout

    def lines(self) -> list[str]:
        return [line for line in self.screen().splitlines() if line.strip()]

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", self.name, "-l", "--", text)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.name, *keys)

    def wait_for(self, condition, what: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if condition(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; screen:\n{screen}")
            time.sleep(0.05)

    def wait_for_text(self, text: str, count: int = 1, timeout: float = 15.0) -> str:
        return self.wait_for(lambda s: s.count(text) >= count, f"{count}x {text!r}", timeout)

    def wait_for_line(self, text: str, timeout: float = 15.0) -> str:
        """Waits until the line under the cursor (the last one on screen) is exactly `text`."""
        want = [text.rstrip()]  # capture-pane drops trailing blanks
        return self.wait_for(lambda s: [l.rstrip() for l in s.splitlines() if l.strip()][-1:] == want, f"line {text!r}", timeout)

    def exit_status(self, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while not (self.status_file.exists() and self.status_file.read_text().strip()):
            if time.monotonic() > deadline:
                raise AssertionError(f"ocppctl shell did not exit; screen:\n{self.screen()}")
            time.sleep(0.05)
        return int(self.status_file.read_text())

    def close(self) -> None:
        self.tmux("kill-session", "-t", self.name, check=False)
        # The server ends with its only session but leaves its socket file behind.
        if self.socket:
            Path(self.socket).unlink(missing_ok=True)


@pytest.fixture
def terminal(ocppd, tmp_path):
    """Starts shells with ocppctl's environment (XDG dirs in tmp_path) and closes them all."""
    started: list[Terminal] = []
    env = ctl_env(ocppd, tmp_path, XDG_STATE_HOME=str(tmp_path / "state"))
    env.pop("NO_COLOR")

    def start(*args: str, env_override: dict | None = None) -> Terminal:
        term = Terminal(env_override or env, tmp_path, *args)
        started.append(term)  # before it starts: teardown must reach it whatever happens
        term.start()
        return term

    yield start
    for term in started:
        term.close()


def prompt(ocppd) -> str:
    return f"ocppctl 127.0.0.1:{ocppd.port}> "


def test_prompt_names_the_server_and_commands_run_without_the_prefix(ocppd, terminal):
    async def scenario():
        async with connect_peer(ocppd, "SHELL-CP-1") as cp:
            await cp.boot(vendor="ACME", model="Volt-22")
            await cp.status(1, "Available")

            def in_terminal():
                term = terminal()
                term.wait_for_line(prompt(ocppd).rstrip())
                term.type("stations")
                term.keys("Enter")
                screen = term.wait_for_text(prompt(ocppd), count=2)
                row = next(line for line in screen.splitlines() if line.startswith("SHELL-CP-1"))
                assert "connected" in row and "ACME" in row and "1:Available" in row, screen

            await asyncio.to_thread(in_terminal)

    run(scenario())


def test_a_failing_command_prints_its_error_and_the_shell_goes_on(ocppd, terminal):
    term = terminal()
    term.wait_for_text(prompt(ocppd))
    term.type("stations show NOPE")
    term.keys("Enter")
    screen = term.wait_for_text(prompt(ocppd), count=2)
    assert "ocppctl: unknown station 'NOPE'" in screen
    # Usage errors point at the shell's own help; --version prints and the shell stays.
    term.type("reset")
    term.keys("Enter")
    screen = term.wait_for_text(prompt(ocppd), count=3)
    assert "(see 'help reset')" in screen, screen
    term.type("--version")
    term.keys("Enter")
    term.wait_for_text(prompt(ocppd), count=4)
    term.type("stations show 'two words")
    term.keys("Enter")
    screen = term.wait_for_text(prompt(ocppd), count=5)
    assert "unterminated ' quote" in screen
    assert not term.status_file.exists(), "the shell exited"


def test_global_options_of_the_shell_apply_to_every_line_unless_it_gives_its_own(ocppd, terminal, tmp_path):
    ocppd.put("/api/stations/SHELL-JSON", json={"registrationStatus": "Accepted"})
    env = ctl_env(ocppd, tmp_path, XDG_STATE_HOME=str(tmp_path / "state"))
    env.pop("OCPPCTL_SERVER")
    env.pop("OCPPCTL_TOKEN")
    term = terminal("--server", ocppd.base_url, "--token", DEFAULT_TOKEN, "-o", "json", env_override=env)
    term.wait_for_text(prompt(ocppd))
    term.type("stations show SHELL-JSON")
    term.keys("Enter")
    screen = term.wait_for_text(prompt(ocppd), count=2)
    assert '"id":"SHELL-JSON"' in screen.replace(" ", ""), screen
    term.type("stations show SHELL-JSON -o table")
    term.keys("Enter")
    screen = term.wait_for_text(prompt(ocppd), count=3)
    assert "Registration:" in screen, screen


def test_history_is_kept_between_runs(ocppd, terminal, tmp_path):
    first = terminal()
    first.wait_for_text(prompt(ocppd))
    first.type("stations show HISTORY-CP")
    first.keys("Enter")
    first.wait_for_text(prompt(ocppd), count=2)
    first.type("exit")
    first.keys("Enter")
    assert first.exit_status() == 0
    history = tmp_path / "state" / "ocppctl" / "history"
    assert history.stat().st_mode & 0o777 == 0o600

    second = terminal()
    second.wait_for_text(prompt(ocppd))
    second.keys("Up")
    second.wait_for_line(prompt(ocppd) + "exit")
    second.keys("Up")
    second.wait_for_line(prompt(ocppd) + "stations show HISTORY-CP")


def test_tab_completes_command_names_station_ids_and_tags(ocppd, terminal):
    ocppd.put("/api/stations/COMPLETE-ME-1", json={"registrationStatus": "Accepted"})
    ocppd.post("/api/rfid", json={"idTag": "SHELLTAG-7"})
    term = terminal()
    term.wait_for_text(prompt(ocppd))
    term.type("stati")
    term.keys("Tab")
    term.wait_for_line(prompt(ocppd) + "stations")
    term.type("sh")  # completion added the blank after "stations"
    term.keys("Tab")
    term.wait_for_line(prompt(ocppd) + "stations show")
    term.type("COMPL")
    term.keys("Tab")
    term.wait_for_line(prompt(ocppd) + "stations show COMPLETE-ME-1")
    term.keys("Enter")
    screen = term.wait_for_text(prompt(ocppd), count=2)
    assert "Registration:" in screen
    term.type("rfid show SHELLT")
    term.keys("Tab")
    term.wait_for_line(prompt(ocppd) + "rfid show SHELLTAG-7")
    term.keys("C-u")
    term.type("reset --ha")
    term.keys("Tab")
    term.wait_for_line(prompt(ocppd) + "reset --hard")


def test_help_lists_the_commands_and_shows_one(ocppd, terminal):
    term = terminal()
    term.wait_for_text(prompt(ocppd))
    term.type("help")
    term.keys("Enter")
    screen = term.wait_for_text(prompt(ocppd), count=2)
    for name in ("stations", "reset", "charging-profile", "events", "exit, quit"):
        assert f"  {name} " in screen, screen
    term.type("help reset")
    term.keys("Enter")
    screen = term.wait_for_text(prompt(ocppd), count=3)
    assert "USAGE: ocppctl reset" in screen and "--hard" in screen


def test_ctrl_c_clears_the_line_and_ctrl_d_leaves_with_status_0(ocppd, terminal):
    term = terminal()
    term.wait_for_text(prompt(ocppd))
    term.type("stations show SOMETHING")
    term.wait_for_line(prompt(ocppd) + "stations show SOMETHING")
    term.keys("C-c")
    term.wait_for_line(prompt(ocppd).rstrip())
    assert not term.status_file.exists(), "Ctrl-C ended the shell"
    term.keys("C-d")
    assert term.exit_status() == 0


def test_ctrl_c_ends_top_and_then_still_interrupts_a_command(ocppd, terminal):
    """top ignores SIGINT while it runs (Ctrl-C ends the view through its own loop) and gives the shell its handler back
    when it ends: Ctrl-C then interrupts the next long command, and top can be started again (it left SIGINT ignored,
    so `events` could not be stopped, and its stop flag set, so the next top ended at once)."""
    term = terminal()
    term.wait_for_text(prompt(ocppd))
    term.type("top")
    term.keys("Enter")
    term.wait_for_text("live")
    term.keys("C-c")
    term.wait_for_line(prompt(ocppd).rstrip())
    term.type("events")
    term.keys("Enter")
    time.sleep(1.0)  # connected to the event stream, waiting for events
    term.keys("C-c")
    term.wait_for_line(prompt(ocppd).rstrip())
    assert not term.status_file.exists(), "Ctrl-C ended the shell"
    term.type("top")
    term.keys("Enter")
    term.wait_for_text("live")
    term.keys("q")
    term.wait_for_line(prompt(ocppd).rstrip())


def test_commands_from_a_pipe_run_every_line_and_exit_with_the_last_failure(ocppd, tmp_path):
    ocppd.put("/api/stations/PIPE-CP", json={"registrationStatus": "Accepted"})
    env = ctl_env(ocppd, tmp_path, XDG_STATE_HOME=str(tmp_path / "state"))

    def shell(script: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(ocppctl_binary()), "shell", "-o", "json"], input=script, env=env,
                              capture_output=True, text=True, timeout=60)

    done = shell("stations show PIPE-CP\n")
    assert done.returncode == 0, done.stderr
    assert '"id":"PIPE-CP"' in done.stdout.replace(" ", "")
    # A station that does not exist (3), then one that does: every line runs, the failure is the status.
    failed = shell("stations show PIPE-NOBODY\nstations show PIPE-CP\n")
    assert failed.returncode == 3, failed.stderr
    assert '"id":"PIPE-CP"' in failed.stdout.replace(" ", "") and "PIPE-NOBODY" in failed.stderr
    # The last failure wins; `exit` ends the script with it, and what follows does not run.
    assert shell("stations show PIPE-NOBODY\nreset\nexit\nstations show PIPE-CP\n").returncode == 2
    assert shell("stations show 'unterminated\n").returncode == 2
    assert shell("help\nstations list\n").returncode == 0
