"""Shell completion of station ids that hold spaces and shell metacharacters (issue #19): bash (its completion function
driven as readline would), fish (`complete -C`) and zsh (in a real terminal under tmux) each offer the ids from the
server and put them on the command line so that the shell reads them back as the very id."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from harness import quote_id
from test_ocppctl import ctl_env, ocppctl_binary

COMPLETIONS = Path(__file__).resolve().parents[2] / "completions"
IDS = ["ODD ONE", "ODD;TWO", "ODD$THREE", "ODD'FOUR"]


@pytest.fixture
def odd_stations(ocppd):
    for cp_id in IDS + ["OTHER"]:
        resp = ocppd.put(f"/api/stations/{quote_id(cp_id)}", json={"registrationStatus": "Accepted"})
        assert resp.status_code in (200, 201), resp.text
    return ocppd


def env_for(ocppd, tmp_path) -> dict:
    env = ctl_env(ocppd, tmp_path)
    env["PATH"] = f"{ocppctl_binary().parent}:{env.get('PATH', '')}"
    return env


def bash_complete(ocppd, tmp_path, words: list[str]) -> list[str]:
    """COMPREPLY for the command line `words` (the last one being typed), as readline asks for it."""
    line = " ".join(words)
    program = (
        f"source {shlex.quote(str(COMPLETIONS / 'ocppctl.bash'))}\n"
        f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})\n"
        f"COMP_CWORD={len(words) - 1}\nCOMP_LINE={shlex.quote(line)}\nCOMP_POINT={len(line)}\n"
        f"_ocppctl ocppctl {shlex.quote(words[-1])} {shlex.quote(words[-2])}\n"
        "printf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, env=env_for(ocppd, tmp_path), timeout=30)
    assert done.returncode == 0, done.stderr
    return [w for w in done.stdout.split("\n") if w]


def test_bash_offers_odd_ids_escaped_so_the_shell_reads_back_the_id(odd_stations, tmp_path):
    ocppd = odd_stations
    offered = bash_complete(ocppd, tmp_path, ["ocppctl", "reset", "ODD"])
    assert sorted(offered) == sorted(_bash_escape(i) for i in IDS), offered
    # Each inserted word is read back by bash as the id itself.
    read_back = [subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, text=True).stdout for word in offered]
    assert sorted(read_back) == sorted(IDS)
    # A word typed with its escapes (or an opening quote) goes on from there.
    assert bash_complete(ocppd, tmp_path, ["ocppctl", "reset", "ODD\\ O"]) == ["ODD\\ ONE"]
    assert bash_complete(ocppd, tmp_path, ["ocppctl", "reset", "ODD\\;"]) == ["ODD\\;TWO"]
    assert bash_complete(ocppd, tmp_path, ["ocppctl", "reset", "\"ODD$"]) == ["ODD\\$THREE"]
    assert bash_complete(ocppd, tmp_path, ["ocppctl", "reset", "OTH"]) == ["OTHER"]


def _bash_escape(text: str) -> str:
    return subprocess.run(["bash", "-c", 'printf %q "$1"', "_", text], capture_output=True, text=True).stdout


class ShellPane:
    """An interactive shell in a real terminal (tmux), with ocppctl's completions loaded by its start-up file."""

    def __init__(self, shell: str, env: dict, home: Path) -> None:
        self.name = f"comp-{shell}-{uuid.uuid4().hex[:8]}"
        kept = {k: v for k, v in env.items() if k in ("PATH", "NO_COLOR") or k.startswith("OCPPCTL_")}
        if shell == "zsh":
            rc = home / ".zshrc"
            rc.write_text(
                f"fpath=({shlex.quote(str(COMPLETIONS))} $fpath)\n"
                f"autoload -U compinit && compinit -u -d {shlex.quote(str(home / 'zcompdump'))}\nPROMPT='READY%% '\n")
            kept["ZDOTDIR"] = str(home)
            start = "zsh -i"
        else:
            config = home / ".config" / "fish" / "config.fish"
            config.parent.mkdir(parents=True)
            config.write_text(
                f"source {shlex.quote(str(COMPLETIONS / 'ocppctl.fish'))}\n"
                "function fish_prompt; echo -n 'READY% '; end\nfunction fish_greeting; end\n")
            start = "fish -i"
        kept.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in kept.items())
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.name, "-x", "120", "-y", "20", f"env -i TERM=xterm {exports} {start}"],
            check=True)
        self.wait_for("READY%", "the prompt")

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True).stdout

    def wait_for(self, text: str, what: str) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if text in self.screen():
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what} ({text!r}); screen:\n{self.screen()}")

    def complete(self, typed: str, expected: str) -> None:
        """Types `typed`, presses Tab, and waits for the command line to read `expected`; then clears the line."""
        # (tmux reads a ";" argument as its command separator: it is sent escaped, on its own.)
        for part in typed.replace(";", "\0;\0").split("\0"):
            if part:
                subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", "\\;" if part == ";" else part], check=True)
        subprocess.run(["tmux", "send-keys", "-t", self.name, "Tab"], check=True)
        self.wait_for(expected, f"{typed!r} to complete")
        subprocess.run(["tmux", "send-keys", "-t", self.name, "C-u"], check=True)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_complete_odd_ids_on_the_command_line_in_a_real_terminal(odd_stations, tmp_path, shell):
    if shutil.which(shell) is None or shutil.which("tmux") is None:
        pytest.skip(f"needs {shell} and tmux (scripts/test installs them)")
    home = tmp_path / shell
    home.mkdir()
    pane = ShellPane(shell, env_for(odd_stations, tmp_path), home)
    try:
        pane.complete("ocppctl reset ODD\\ O", "ocppctl reset ODD\\ ONE")
        pane.complete("ocppctl reset ODD\\;", "ocppctl reset ODD\\;TWO")
        pane.complete("ocppctl reset OTH", "ocppctl reset OTHER")
    finally:
        pane.close()
