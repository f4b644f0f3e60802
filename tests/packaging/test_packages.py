"""The Debian packages that scripts/package builds: lintian, their contents, and a whole life on this machine.

OCPP_PACKAGES_DIR names the directory with ocppd_*.deb and ocppctl_*.deb (scripts/test builds them there). The
install test needs root: it installs both packages into this machine with dpkg -i (a throwaway debootstrap root
would need a network), starts the installed ocppd with what its unit gives it (user ocppd, the unit's environment
and umask, /etc/ocppd/ocppd.conf; systemd's sandboxing cannot be tried without systemd running, systemd-analyze
verify checks the unit), lets the installed ocppctl talk to it, reinstalls, enables the unit as an operator would,
then removes and purges the packages and checks what each leaves behind. It runs only on a machine without ocppd's
packages, data or config, and puts it back as it found it, the ocppd user included.
"""

from __future__ import annotations

import grp
import json
import os
import pathlib
import pwd
import re
import shlex
import signal
import socket
import stat
import subprocess
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGES = pathlib.Path(os.environ.get("OCPP_PACKAGES_DIR", ROOT / "dist" / "packages"))
UNIT = pathlib.Path("/lib/systemd/system/ocppd.service")
CONF = pathlib.Path("/etc/ocppd/ocppd.conf")
DATA = pathlib.Path("/var/lib/ocppd")
WANTS = pathlib.Path("/etc/systemd/system/multi-user.target.wants/ocppd.service")

OCPPD_FILES = {
    "etc/ocppd/ocppd.conf",
    "lib/systemd/system/ocppd.service",
    "usr/bin/ocppd",
    "usr/share/bash-completion/completions/ocppd",
    "usr/share/doc/ocppd/changelog.gz",
    "usr/share/doc/ocppd/copyright",
    "usr/share/fish/vendor_completions.d/ocppd.fish",
    "usr/share/lintian/overrides/ocppd",
    "usr/share/man/man8/ocppd.8.gz",
    "usr/share/zsh/vendor-completions/_ocppd",
}
OCPPCTL_FILES = {
    "usr/bin/ocppctl",
    "usr/share/bash-completion/completions/ocppctl",
    "usr/share/doc/ocppctl/changelog.gz",
    "usr/share/doc/ocppctl/copyright",
    "usr/share/fish/vendor_completions.d/ocppctl.fish",
    "usr/share/lintian/overrides/ocppctl",
    "usr/share/man/man1/ocppctl.1.gz",
    "usr/share/zsh/vendor-completions/_ocppctl",
}


def deb(name: str) -> pathlib.Path:
    found = sorted(PACKAGES.glob(f"{name}_*.deb"))
    assert found, f"no {name}_*.deb in {PACKAGES} (scripts/package --out {PACKAGES})"
    return found[-1]


def run(*args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{shlex.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def field(package: pathlib.Path, name: str) -> str:
    return run("dpkg-deb", "--field", str(package), name).stdout.strip()


@pytest.mark.parametrize("name", ["ocppd", "ocppctl"])
def test_lintian_reports_no_error(name: str) -> None:
    result = run("lintian", "--fail-on", "error", "--no-tag-display-limit", str(deb(name)), check=False)
    errors = [line for line in result.stdout.splitlines() if line.startswith("E:")]
    assert result.returncode == 0 and not errors, result.stdout + result.stderr


@pytest.mark.parametrize(("name", "files"), [("ocppd", OCPPD_FILES), ("ocppctl", OCPPCTL_FILES)])
def test_each_package_holds_exactly_its_files(name: str, files: set[str]) -> None:
    entries = {}
    for line in run("dpkg-deb", "--contents", str(deb(name))).stdout.splitlines():
        mode, owners, *_, path = line.split()
        entries[path.removeprefix("./").rstrip("/")] = (mode, owners)
    entries.pop("", None)
    assert {path for path, (mode, _) in entries.items() if mode.startswith("-")} == files
    for path, (mode, owners) in entries.items():
        assert owners == "root/root", f"{path} is owned by {owners}"
        expected = "drwxr-xr-x" if mode.startswith("d") else "-rwxr-xr-x" if path.startswith("usr/bin/") else "-rw-r--r--"
        assert mode == expected, f"{path}: {mode}"


def test_control_fields_dependencies_and_conffile() -> None:
    ocppd, ocppctl = deb("ocppd"), deb("ocppctl")
    version = re.search(r'version = "([^"]+)"', (ROOT / "Sources/Shared/Version.swift").read_text()).group(1)
    for package in (ocppd, ocppctl):
        assert field(package, "Version") == version
        assert field(package, "Architecture") == run("dpkg", "--print-architecture").stdout.strip()
        depends = field(package, "Depends")
        # From dpkg-shlibdeps: the C library with its version, never the Swift runtime (linked in).
        assert re.search(r"\blibc6 \(>= [0-9.]+\)", depends), depends
        assert "swift" not in depends.lower()
    assert {"adduser", "libsqlite3-0", "libmariadb3"} <= names(field(ocppd, "Depends"))
    assert "libedit2" in names(field(ocppctl, "Depends"))
    control = run("dpkg-deb", "--info", str(ocppd), "conffiles").stdout.split()
    assert control == ["/etc/ocppd/ocppd.conf"]
    for script in ("postinst", "prerm", "postrm"):
        run("dpkg-deb", "--info", str(ocppd), script)


def names(depends: str) -> set[str]:
    return {part.split()[0] for alternative in depends.split(",") for part in alternative.split("|")}


def test_the_config_file_lists_every_setting_of_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("### ", 1)[0]
    settings = set()
    for row in table.splitlines():
        cells = row.split("|")
        if row.startswith("| `--") and len(cells) > 3:
            first = cells[2].split(",")[0].strip().strip("`").split("=")[0]
            settings.add(first)
    assert len(settings) > 35
    conf = (ROOT / "dist/debian/ocppd.conf").read_text()
    listed = set(re.findall(r"^#([A-Z_]+)=", conf, re.MULTILINE))
    assert settings - listed == set()
    # Nothing is set by default: every line is a comment or empty, so the defaults of man ocppd hold.
    assert all(not line.strip() or line.startswith("#") for line in conf.splitlines())


@pytest.mark.skipif(not os.environ.get("OCPP_BIN_DIR"), reason="OCPP_BIN_DIR (release binaries) is not set")
def test_scripts_install_puts_programs_pages_and_completions_under_the_prefix(tmp_path: pathlib.Path) -> None:
    prefix = tmp_path / "local"
    run(str(ROOT / "scripts/install"), "--prefix", str(prefix), "--bin-dir", os.environ["OCPP_BIN_DIR"])
    installed_files = {str(path.relative_to(prefix)) for path in prefix.rglob("*") if path.is_file()}
    assert installed_files == {
        "bin/ocppd", "bin/ocppctl", "share/man/man8/ocppd.8", "share/man/man1/ocppctl.1",
        "share/bash-completion/completions/ocppd", "share/bash-completion/completions/ocppctl",
        "share/zsh/site-functions/_ocppd", "share/zsh/site-functions/_ocppctl",
        "share/fish/vendor_completions.d/ocppd.fish", "share/fish/vendor_completions.d/ocppctl.fish",
    }
    version = re.search(r'version = "([^"]+)"', (ROOT / "Sources/Shared/Version.swift").read_text()).group(1)
    for program in ("ocppd", "ocppctl"):
        assert run(str(prefix / "bin" / program), "--version").stdout.strip().endswith(version)
        completion = (prefix / "share/bash-completion/completions" / program).read_text()
        assert not completion.startswith("#!") and f"-F _{program} {program}" in completion
    # Only ocppctl, somewhere else: a technician's laptop.
    laptop = tmp_path / "laptop"
    run(str(ROOT / "scripts/install"), "--only", "ocppctl", "--prefix", str(laptop), "--bin-dir", os.environ["OCPP_BIN_DIR"])
    assert (laptop / "bin/ocppctl").exists() and not (laptop / "bin/ocppd").exists()
    assert run(str(ROOT / "scripts/install"), "--only", "ocppx", "--prefix", str(laptop), check=False).returncode == 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unit_service_settings() -> dict[str, list[str]]:
    """The [Service] settings of the installed unit, each key with its values in order."""
    settings: dict[str, list[str]] = {}
    section = None
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def start_like_the_unit() -> subprocess.Popen[str]:
    """ocppd with what ocppd.service gives it (no systemd runs here): its User= and Group=, a clean environment with
    its Environment= lines and its EnvironmentFile= when present, its UMask= and ExecStart=."""
    unit = unit_service_settings()
    environment = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    for assignment in unit["Environment"]:
        key, value = assignment.split("=", 1)
        environment[key] = value
    for path in unit.get("EnvironmentFile", []):
        optional = path.startswith("-")
        file = pathlib.Path(path.lstrip("-"))
        assert optional or file.exists()
        if file.exists():
            for line in file.read_text().splitlines():
                if line.strip() and not line.startswith("#"):
                    key, value = line.split("=", 1)
                    environment[key] = value
    user, group = unit["User"][0], unit["Group"][0]
    umask = int(unit["UMask"][0], 8)
    argv = ["setpriv", f"--reuid={user}", f"--regid={group}", "--init-groups", "--", *shlex.split(unit["ExecStart"][0])]
    return subprocess.Popen(
        argv, env=environment, cwd="/", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=lambda: os.umask(umask))


def wait_healthy(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the installed ocppd exited {process.returncode}:\n{process.stdout.read()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("the installed ocppd did not answer /healthz within 30 s")


def owner(path: pathlib.Path) -> tuple[str, str, int]:
    info = path.stat()
    return pwd.getpwuid(info.st_uid).pw_name, grp.getgrgid(info.st_gid).gr_name, stat.S_IMODE(info.st_mode)


def installed(name: str) -> str:
    return run("dpkg-query", "-W", "-f=${db:Status-Abbrev}", name, check=False).stdout.strip()


@pytest.mark.skipif(os.geteuid() != 0, reason="dpkg -i into this machine needs root")
def test_install_start_as_the_service_talk_remove_and_purge(tmp_path: pathlib.Path) -> None:
    for name in ("ocppd", "ocppctl"):
        if installed(name) not in ("", "un"):
            pytest.skip(f"the {name} package is on this machine already: not touching it")
    for path in (DATA, CONF.parent, WANTS):
        if path.exists():
            pytest.skip(f"{path} exists on this machine already: not touching it")
    user_existed = subprocess.run(["getent", "passwd", "ocppd"], capture_output=True).returncode == 0
    process = None
    try:
        run("dpkg", "-i", str(deb("ocppd")), str(deb("ocppctl")))
        assert installed("ocppd") == "ii" and installed("ocppctl") == "ii"
        assert not WANTS.exists(), "the package enabled ocppd.service itself"

        account = pwd.getpwnam("ocppd")
        assert account.pw_uid < 1000 and account.pw_shell == "/usr/sbin/nologin" and account.pw_dir == str(DATA)
        assert owner(DATA) == ("ocppd", "ocppd", 0o700)
        assert owner(CONF) == ("root", "ocppd", 0o640)
        assert owner(CONF.parent) == ("root", "ocppd", 0o750)
        for path in ("/usr/bin/ocppd", "/usr/bin/ocppctl"):
            libraries = run("ldd", path).stdout
            assert "swift" not in libraries.lower() and "libFoundation" not in libraries, libraries

        verify = run("systemd-analyze", "verify", str(UNIT), check=False)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        assert "ocppd.service" not in verify.stdout + verify.stderr, verify.stdout + verify.stderr

        # The operator's edit of the conffile: a loopback address and a free port.
        port = free_port()
        CONF.write_text(CONF.read_text() + f"\nOCPPD_HOST=127.0.0.1\nPORT={port}\n")
        process = start_like_the_unit()
        wait_healthy(port, process)
        token_file = DATA / "api-token"
        assert owner(token_file) == ("ocppd", "ocppd", 0o600)
        assert owner(DATA / "ocppd.sqlite")[0] == "ocppd"

        # The installed ocppctl, run as root on this box, finds the generated token by itself.
        home = tmp_path / "home"
        home.mkdir()
        ctl_environment = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
        server = f"http://127.0.0.1:{port}"
        run("/usr/bin/ocppctl", "--server", server, "rfid", "add", "PKG-TAG-1", env=ctl_environment)
        cards = json.loads(run("/usr/bin/ocppctl", "--server", server, "-o", "json", "rfid", "list", env=ctl_environment).stdout)
        assert any(card.get("idTag") == "PKG-TAG-1" for card in (cards.get("items", cards) if isinstance(cards, dict) else cards))
        request = urllib.request.Request(
            f"{server}/api/rfid/PKG-TAG-1", headers={"Authorization": f"Bearer {token_file.read_text().strip()}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.load(response)["idTag"] == "PKG-TAG-1"

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        process = None

        # Installed again (an upgrade's path through the maintainer scripts): the operator's edit and the data stay.
        run("dpkg", "-i", str(deb("ocppd")), str(deb("ocppctl")))
        assert f"PORT={port}" in CONF.read_text() and owner(CONF) == ("root", "ocppd", 0o640)
        assert owner(DATA) == ("ocppd", "ocppd", 0o700) and (DATA / "ocppd.sqlite").exists()
        assert not WANTS.exists(), "the reinstall enabled ocppd.service"
        # What `systemctl enable ocppd` makes; an upgrade keeps it, purging takes it away again.
        run("systemctl", "enable", "ocppd.service")
        assert WANTS.is_symlink()
        run("dpkg", "-i", str(deb("ocppd")))
        assert WANTS.is_symlink(), "an upgrade disabled ocppd.service"

        # Removed: the programs and the unit go; the data, the edited config and the user stay.
        run("dpkg", "-r", "ocppd", "ocppctl")
        assert installed("ocppd") == "rc" and installed("ocppctl") in ("", "un")
        for path in ("/usr/bin/ocppd", "/usr/bin/ocppctl", str(UNIT), "/usr/share/man/man8/ocppd.8.gz"):
            assert not os.path.exists(path), path
        assert (DATA / "ocppd.sqlite").exists() and f"PORT={port}" in CONF.read_text()
        assert subprocess.run(["getent", "passwd", "ocppd"], capture_output=True).returncode == 0

        # Purged: the data and the config go too; the user stays, as Debian packages leave system users.
        run("dpkg", "-P", "ocppd")
        assert installed("ocppd") in ("", "un")
        assert not DATA.exists() and not CONF.parent.exists()
        assert not WANTS.is_symlink() and not WANTS.exists()
        leftovers = run("dpkg", "-S", "ocppd", check=False).stdout
        assert "ocppd:" not in leftovers and "ocppctl:" not in leftovers, leftovers
    finally:
        if process is not None:
            process.kill()
            process.wait()
        subprocess.run(["dpkg", "-P", "ocppd", "ocppctl"], capture_output=True)
        WANTS.unlink(missing_ok=True)
        if not user_existed:
            subprocess.run(["deluser", "--system", "--quiet", "ocppd"], capture_output=True)
            subprocess.run(["delgroup", "--system", "--quiet", "ocppd"], capture_output=True)
