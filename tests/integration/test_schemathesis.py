"""The REST API against its own OpenAPI document, by schemathesis (property-based): no 5xx, no answer that breaks the
document's schemas, no schema-valid request refused, no schema-violating one accepted, the right 405s. Token
rotation is left out (it would change the token under the run) and so is the endless event stream."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SEED = os.environ.get("SCHEMATHESIS_SEED", "1")


def test_schemathesis_finds_nothing(ocppd_factory, tmp_path):
    ocppd = ocppd_factory("--max-api-requests-per-second", "0", "--call-timeout", "1")
    schemathesis = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [
            str(schemathesis), "run", f"{ocppd.base_url}/api/openapi.json",
            "--header", f"Authorization: Bearer {ocppd.token}",
            "--exclude-path", "/api/token/rotate", "--exclude-path", "/api/events",
            "--checks", "all", "--max-examples", "15", "--max-time", "75", "--seed", SEED, "--no-shrink",
            "--report-dir", str(tmp_path),
        ],
        capture_output=True, text=True, timeout=240,
        cwd=tmp_path,  # its example cache (.schemathesis/) stays out of the repository
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
