"""Fixtures: the real ocppd binary on a free loopback port, always stopped afterwards.

- `ocppd`: a fresh ocppd (policy accept, fixed API token) in a temporary data directory.
- `ocppd_factory(*args, env=..., token=..., data_dir=..., use_flags=...)`: start more, or with
  other settings (`ocppd_factory("--unknown-stations", "pending")`); each result has `restart()`,
  `kill()` (SIGKILL), `terminate()` (SIGTERM) and keeps its data directory across restarts.

When a test fails, the log of every ocppd it started is attached to the report. With OCPPD_TEST_DATABASE_URL set
(a MariaDB server URL), every ocppd runs on a fresh database of its own on that server instead of SQLite.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness import DEFAULT_TOKEN, TEST_DATABASE_URL, Ocppd, drop_databases, kill_leftovers, ocppd_binary
from pki import make_pki


def pytest_configure(config):
    env = os.environ.get("OCPPD_BIN")
    if env and not (Path(env).is_file() and os.access(env, os.X_OK)):
        raise pytest.UsageError(f"OCPPD_BIN={env} is not an executable file (build ocppd first)")


def pytest_collection_modifyitems(config, items):
    if ocppd_binary() is None:
        skip = pytest.mark.skip(reason="no ocppd binary: set OCPPD_BIN or run scripts/test")
        for item in items:
            item.add_marker(skip)


def pytest_report_header(config):
    return f"ocppd store: {'MariaDB (OCPPD_TEST_DATABASE_URL)' if TEST_DATABASE_URL else 'SQLite'}"


def pytest_sessionfinish(session, exitstatus):
    kill_leftovers()
    drop_databases()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for inst in getattr(item, "_ocppd_instances", []):
            report.sections.append(
                (f"ocppd log: {inst.name} (data dir {inst.data_dir})", inst.log_tail() or "(empty)")
            )


@pytest.fixture(scope="session")
def ocppd_bin() -> Path:
    binary = ocppd_binary()
    assert binary is not None
    return binary


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> Path:
    """A directory of throwaway certificates (see pki.py), made once per run."""
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def ocppd_factory(ocppd_bin, tmp_path, request):
    instances: list[Ocppd] = []
    request.node._ocppd_instances = instances

    def start(
        *args: str,
        env: dict[str, str] | None = None,
        token: str | None = DEFAULT_TOKEN,
        data_dir: Path | None = None,
        use_flags: bool = True,
        start: bool = True,
        tls_ca: Path | None = None,
    ) -> Ocppd:
        name = f"ocppd{len(instances) + 1}"
        inst = Ocppd(
            ocppd_bin,
            tmp_path / name,
            name=name,
            args=args,
            env=env,
            token=token,
            data_dir=data_dir,
            use_flags=use_flags,
            tls_ca=tls_ca,
        )
        instances.append(inst)
        if start:
            inst.start()
        return inst

    yield start

    for inst in instances:
        try:
            inst.stop()
        except Exception:  # teardown must reach every instance
            inst.kill()


@pytest.fixture
def ocppd(ocppd_factory) -> Ocppd:
    return ocppd_factory()
