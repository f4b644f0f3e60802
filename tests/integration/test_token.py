"""The REST API's token rotated without a restart: through the API or `ocppd token rotate`; the old token stops
working at once, the new one survives a restart, and neither ever appears in the log."""

from __future__ import annotations

import subprocess

from harness import wait_until


def status_with(ocppd, token: str) -> int:
    return ocppd.get("/api/stations", token=token).status_code


def test_rotating_a_generated_token_through_the_api(ocppd_factory):
    ocppd = ocppd_factory(token=None)
    old = ocppd.token
    resp = ocppd.post("/api/token/rotate")
    assert resp.status_code == 200, resp.text
    new = resp.json()["token"]
    assert len(new) >= 32 and new != old
    assert status_with(ocppd, old) == 401
    assert status_with(ocppd, new) == 200
    assert (ocppd.data_dir / "api-token").read_text().strip() == new
    assert (ocppd.data_dir / "api-token").stat().st_mode & 0o777 == 0o600
    ocppd.stop()
    ocppd.start()
    assert ocppd.token == new
    assert status_with(ocppd, new) == 200 and status_with(ocppd, old) == 401
    log = ocppd.log_tail(10**7)
    assert old not in log and new not in log


def test_ocppd_token_rotate_reaches_the_running_ocppd(ocppd_factory, ocppd_bin):
    ocppd = ocppd_factory(token=None)
    old = ocppd.token
    result = subprocess.run(
        [str(ocppd_bin), "--data-dir", str(ocppd.data_dir), "token", "rotate"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    new = result.stdout.strip()
    assert len(new) >= 32 and new != old
    wait_until(lambda: status_with(ocppd, new) == 200, what="the running ocppd to take the rotated token")
    assert status_with(ocppd, old) == 401
    assert new not in ocppd.log_tail(10**7)


def test_a_configured_token_is_changed_only_in_the_configuration(ocppd_factory, ocppd_bin, tmp_path):
    ocppd = ocppd_factory()
    resp = ocppd.post("/api/token/rotate")
    assert resp.status_code == 409 and "configured" in resp.json()["detail"]
    assert status_with(ocppd, ocppd.token) == 200
    result = subprocess.run(
        [str(ocppd_bin), "--data-dir", str(tmp_path), "token", "rotate"],
        capture_output=True, text=True, timeout=30, env={"OCPPD_API_TOKEN": "set-here", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0 and "configured" in result.stderr
    assert not (tmp_path / "api-token").exists()
