"""Fixtures of the cluster tests: one Galera cluster for the whole run, and for each test a fresh database on it with
three ocppd nodes (one per database node) behind nginx. Everything is always stopped, whatever happens."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from harness import kill_leftovers, ocppd_binary  # noqa: E402
from cluster import Fleet, Galera  # noqa: E402


def pytest_collection_modifyitems(config, items):
    if ocppd_binary() is None:
        skip = pytest.mark.skip(reason="no ocppd binary: set OCPPD_BIN or run scripts/test")
        for item in items:
            item.add_marker(skip)


def pytest_sessionfinish(session, exitstatus):
    kill_leftovers()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        fleet = getattr(item, "_fleet", None)
        if fleet is not None:
            for node in fleet.nodes:
                report.sections.append((f"ocppd log: {node.name}", node.log_tail(20000) or "(empty)"))


@pytest.fixture(scope="session")
def galera(tmp_path_factory):
    cluster = Galera.start(tmp_path_factory.mktemp("galera"))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def fleet(galera, tmp_path, request):
    fleet = Fleet(galera, tmp_path, ocppd_binary())
    request.node._fleet = fleet
    try:
        fleet.start()
        yield fleet
    finally:
        fleet.stop()
