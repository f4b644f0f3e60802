"""Committed-and-acknowledged OCPP messages per second of a real ocppd, and its group commit.

N simulated stations each run the transaction cycle (StartTransaction, MeterValues x k, StopTransaction) as fast as
ocppd answers, one outstanding CALL per station as OCPP allows, for a fixed duration. Every CALLRESULT counts: ocppd
sends a transaction message's answer only after its data is committed. The commits and committed jobs come from
ocppd's /metrics (ocppd_store_commits_total, ocppd_store_jobs_total), read before and after the measured window.

Run through ./run (which builds the release ocppd and starts a private MariaDB); directly:
    python3 bench.py --ocppd PATH [--database URL] [--stations N] [--duration S] [--meter-values K]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import websockets

TOKEN = "bench-token-8d2f6a"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def iso_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def http(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def store_counters(port: int) -> tuple[int, int] | None:
    status, text = http(port, "GET", "/metrics")
    commits = re.search(r"^ocppd_store_commits_total (\d+)", text, re.M)
    jobs = re.search(r"^ocppd_store_jobs_total (\d+)", text, re.M)
    if status != 200 or not commits or not jobs:
        return None
    return int(commits.group(1)), int(jobs.group(1))


class Station:
    def __init__(self, port: int, index: int, meter_values: int) -> None:
        self.url = f"ws://127.0.0.1:{port}/ocpp/BENCH-{index:04d}"
        self.tag = f"BENCH-TAG-{index:04d}"
        self.meter_values = meter_values
        self.ids = (f"m{n}" for n in itertools.count())
        self.acknowledged = 0
        self.errors = 0

    async def call(self, ws, action: str, payload: dict) -> dict | None:
        message_id = next(self.ids)
        await ws.send(json.dumps([2, message_id, action, payload]))
        while True:
            frame = json.loads(await ws.recv())
            if frame[0] == 2:  # ocppd's own CALL (none expected here): answer it so it does not wait
                await ws.send(json.dumps([4, frame[1], "NotImplemented", "", {}]))
                continue
            if frame[1] != message_id:
                continue
            if frame[0] == 3:
                return frame[2]
            self.errors += 1
            return None

    async def run(self, measuring: asyncio.Event, stop: asyncio.Event) -> None:
        async with websockets.connect(self.url, subprotocols=["ocpp1.6"], ping_interval=None, compression=None) as ws:
            await self.call(ws, "BootNotification", {"chargePointVendor": "Bench", "chargePointModel": "Cycle"})
            meter = 0

            async def count(result):
                if result is not None and measuring.is_set() and not stop.is_set():
                    self.acknowledged += 1
                return result

            while not stop.is_set():
                started = await count(
                    await self.call(
                        ws, "StartTransaction", {"connectorId": 1, "idTag": self.tag, "meterStart": meter, "timestamp": iso_now()}
                    )
                )
                if started is None:
                    continue
                tid = started["transactionId"]
                for _ in range(self.meter_values):
                    meter += 100
                    sample = {"value": str(meter), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
                    await count(
                        await self.call(
                            ws,
                            "MeterValues",
                            {"connectorId": 1, "transactionId": tid, "meterValue": [{"timestamp": iso_now(), "sampledValue": [sample]}]},
                        )
                    )
                meter += 100
                await count(
                    await self.call(ws, "StopTransaction", {"transactionId": tid, "meterStop": meter, "timestamp": iso_now()})
                )


async def measure(port: int, stations: int, duration: float, warmup: float, meter_values: int) -> dict:
    fleet = [Station(port, i, meter_values) for i in range(stations)]
    for station in fleet:
        status, text = await asyncio.to_thread(http, port, "POST", "/api/rfid", {"idTag": station.tag})
        assert status == 201, f"POST /api/rfid: {status} {text}"
    measuring, stop = asyncio.Event(), asyncio.Event()
    tasks = [asyncio.create_task(s.run(measuring, stop)) for s in fleet]
    await asyncio.sleep(warmup)
    before = await asyncio.to_thread(store_counters, port)
    measuring.set()
    began = time.monotonic()
    await asyncio.sleep(duration)
    stop.set()
    elapsed = time.monotonic() - began
    after = await asyncio.to_thread(store_counters, port)
    await asyncio.wait_for(asyncio.gather(*tasks), 60)
    acknowledged = sum(s.acknowledged for s in fleet)
    result = {
        "stations": stations,
        "seconds": round(elapsed, 2),
        "acknowledged": acknowledged,
        "messagesPerSecond": round(acknowledged / elapsed, 1),
        "callErrors": sum(s.errors for s in fleet),
    }
    if before and after and after[0] > before[0]:
        commits, jobs = after[0] - before[0], after[1] - before[1]
        result.update(commits=commits, jobs=jobs, jobsPerCommit=round(jobs / commits, 2))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ocppd", required=True, help="the ocppd binary (a release build for figures)")
    parser.add_argument("--database", help="a MariaDB URL (mysql://...); default SQLite in a temporary directory")
    parser.add_argument("--backend", help="the name printed for the backend (default: sqlite or mariadb)")
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--meter-values", type=int, default=3, help="MeterValues per transaction")
    args = parser.parse_args()

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="ocppd-bench-") as data_dir:
        command = [args.ocppd, "--host", "127.0.0.1", "--port", str(port), "--data-dir", data_dir, "--api-token", TOKEN,
                   "--log-level", "warning"]  # fmt: skip
        if args.database:
            command += ["--database", args.database]
        env = {k: v for k, v in os.environ.items() if not k.startswith("OCPPD_") and k not in ("DATABASE_URL", "PORT")}
        log = open(Path(data_dir) / "ocppd.log", "w")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    sys.stderr.write((Path(data_dir) / "ocppd.log").read_text())
                    raise SystemExit(f"ocppd exited with status {process.returncode}")
                try:
                    if http(port, "GET", "/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("ocppd did not answer /healthz within 30 s")
                time.sleep(0.05)
            result = asyncio.run(measure(port, args.stations, args.duration, args.warmup, args.meter_values))
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
    result = {"backend": args.backend or ("mariadb" if args.database else "sqlite"), **result}
    print(json.dumps(result))
    if result["acknowledged"] == 0:
        print("bench: no message was acknowledged", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
