"""ocppd's command line: --version, --help, refused settings, and a config file end to end."""

from __future__ import annotations

import re
import subprocess

import requests

from harness import DEFAULT_TOKEN, free_port


def test_version_prints_the_version_and_exits_zero(ocppd_bin):
    done = subprocess.run([str(ocppd_bin), "--version"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    assert re.fullmatch(r"\d+\.\d+\.\d+\s*", done.stdout), done.stdout


def test_help_names_every_setting_and_its_environment_variable(ocppd_bin):
    done = subprocess.run([str(ocppd_bin), "--help"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    for flag, variable in [
        ("--port", "PORT"), ("--data-dir", "OCPPD_DATA_DIR"), ("--database", "DATABASE_URL"),
        ("--api-token", "OCPPD_API_TOKEN"), ("--call-timeout", "OCPPD_CALL_TIMEOUT"),
        ("--heartbeat-interval", "HEARTBEAT_INTERVAL"), ("--unknown-stations", "OCPPD_UNKNOWN_STATIONS"),
        ("--ping-interval", "OCPPD_PING_INTERVAL"), ("--log-level", "LOG_LEVEL"), ("--config", "OCPPD_CONFIG"),
    ]:
        assert flag in done.stdout and variable in done.stdout, f"{flag}/{variable} missing from --help"


def test_a_bad_setting_is_one_clear_error_and_a_nonzero_exit(ocppd_bin, tmp_path):
    done = subprocess.run(
        [str(ocppd_bin), "--data-dir", str(tmp_path), "--host", "127.0.0.1", "--unknown-stations", "maybe"],
        capture_output=True, text=True, timeout=30,
    )
    assert done.returncode != 0
    assert "maybe" in done.stderr and "accept, pending or reject" in done.stderr


def test_settings_come_from_a_config_file(ocppd_bin, tmp_path):
    port = free_port()
    config = tmp_path / "ocppd.conf"
    config.write_text(
        f"# like the original gateway's .env\nPORT={port}\nOCPPD_API_TOKEN='{DEFAULT_TOKEN}'\n"
        f"OCPPD_DATA_DIR={tmp_path / 'data'}\nHEARTBEAT_INTERVAL=77\n"
    )
    proc = subprocess.Popen(
        [str(ocppd_bin), "--host", "127.0.0.1", "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        import time

        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "ocppd did not start from its config file"
            time.sleep(0.1)
        resp = requests.get(
            f"http://127.0.0.1:{port}/api/stations", headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}, timeout=5
        )
        assert resp.status_code == 200
        assert (tmp_path / "data" / "ocppd.sqlite").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_cluster_mode_on_sqlite_is_a_clear_start_up_error_and_the_secret_is_never_printed(ocppd_bin, tmp_path):
    secret = "a-cluster-secret-nobody-may-read"
    for env in ({"OCPPD_NODE_ID": "n1", "OCPPD_NODE_URL": "http://127.0.0.1:1", "OCPPD_CLUSTER_SECRET": secret},
                {"OCPPD_NODE_ID": "n1"}):
        done = subprocess.run(
            [str(ocppd_bin), "--data-dir", str(tmp_path), "--host", "127.0.0.1", "--port", str(free_port())],
            capture_output=True, text=True, timeout=30, env={"PATH": "/usr/bin:/bin", **env},
        )
        assert done.returncode != 0
        assert "MariaDB" in done.stderr and "OCPPD_NODE_ID" in done.stderr, done.stderr
        assert secret not in done.stdout + done.stderr
    # Cluster settings without a node id are a mistake too, not silently ignored.
    done = subprocess.run(
        [str(ocppd_bin), "--data-dir", str(tmp_path), "--host", "127.0.0.1", "--cluster-secret", secret],
        capture_output=True, text=True, timeout=30,
    )
    assert done.returncode != 0 and "OCPPD_NODE_ID" in done.stderr and secret not in done.stderr
