"""ocppctl's file commands (PRODUCT.md §4 and §9), run as the real binary against a real ocppd started with
--public-url, and a simulated charger (the `ocpp` library) that moves real bytes over HTTP as a charger does.

- `diagnostics CP -O FILE`: ocppctl sends GetDiagnostics without a location (ocppd hands the charger its one-time
  upload URL), prints one progress line per DiagnosticsStatusNotification and, once the upload has arrived, downloads
  it to FILE (or stdout with `-O -`), byte for byte. The charger uploads by PUT (raw body) or multipart POST.
  No fileName in the answer: refused (5); UploadFailed: failed (9); no upload within --wait: timeout (6); unknown
  station 3, disconnected 4, FILE not writable 10. A failure leaves no FILE and nothing partial beside it.
- `logs CP [--type] -O FILE`: the same through GetLog and LogStatusNotification (the requestId ocppd allocated is the
  one the charger reports and the upload carries); Rejected: 5; UploadFailure, BadMessage, PermissionDenied,
  NotSupportedOperation: 9.
- `firmware push CP FILE`: the image is stored in ocppd, the charger gets UpdateFirmware at ocppd's firmware URL,
  fetches it in two parts (resuming with Range) and reports Downloading ... Installed (exit 0); DownloadFailed and
  InstallationFailed: 9; no Installed within --wait: 6; --wait 0 returns once the charger accepted; --at sets
  retrieveDate; a FILE that cannot be read: 10 and nothing sent.
- `files list|get|rm` against GET /api/files, GET and DELETE /api/files/{id}.
- The events ocppd publishes for all this on GET /api/events: diagnostics.status, log.status, firmware.status and
  file.uploaded.

The charger sends its status notifications only after the CALLRESULT of the command (a task spawned by an @after
hook), as the library's router answers a CALL only once its handler has returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import os
import time
from pathlib import Path

import requests
from ocpp.routing import after, on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action

from harness import Peer, SseStream, connect_peer, free_port, parse_time, run
from test_ocppctl import NOT_FOUND, OFFLINE, OK, REFUSED, TIMEOUT, ctl_env, ocppctl_binary

FAILED = 9  # the charge point reported a failed transfer or installation
LOCAL_FILE = 10  # a local file could not be read or written

LOG_FAILURES = ("UploadFailure", "BadMessage", "PermissionDenied", "NotSupportedOperation")


# ---------------------------------------------------------------------------------------------
# ocppd with a public URL, ocppctl
# ---------------------------------------------------------------------------------------------


def public_ocppd(ocppd_factory, *args):
    """ocppd whose --public-url is its own loopback address, so that the charger reaches the URLs it is sent as
    they are."""
    port = free_port()
    ocppd = ocppd_factory("--public-url", f"http://127.0.0.1:{port}", *args, start=False)
    ocppd.fixed_port = port
    return ocppd.start()


class Done:
    """What one ocppctl run did: exit code, stdout (bytes in `raw`, text in `out`), stderr, duration."""

    def __init__(self, code: int, raw: bytes, err: str, seconds: float):
        self.code, self.raw, self.err, self.seconds = code, raw, err, seconds

    @property
    def out(self) -> str:
        return self.raw.decode(errors="replace")

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()

    def __str__(self) -> str:
        out = self.out if len(self.raw) < 4000 else f"<{len(self.raw)} bytes>"
        return f"exit {self.code} after {self.seconds:.1f}s\n--- stdout ---\n{out}\n--- stderr ---\n{self.err}"


async def actl(ocppd, tmp_path, *args, timeout: float = 60) -> Done:
    """ocppctl run to its end without blocking the loop that serves the simulated charger."""
    began = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        str(ocppctl_binary()), *map(str, args), env=ctl_env(ocppd, tmp_path), stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return Done(proc.returncode, out, err.decode(errors="replace"), time.monotonic() - began)


def in_order(lines: list[str], expected: list[str]) -> bool:
    """Each of `expected` is contained in a line, in that order (other lines may come between)."""
    position = 0
    for line in lines:
        if position < len(expected) and expected[position] in line:
            position += 1
    return position == len(expected)


def line_index(lines: list[str], *parts: str) -> int:
    """The index of the first line that contains every one of `parts`, -1 if none."""
    return next((i for i, line in enumerate(lines) if all(part in line for part in parts)), -1)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entries(directory: Path) -> list[str]:
    return sorted(os.listdir(directory))


async def events_until(stream: SseStream, done, timeout: float = 10) -> list[tuple[str, dict]]:
    """Events of the stream, read until `done(events)` holds."""
    seen: list[tuple[str, dict]] = []
    deadline = time.monotonic() + timeout
    while not done(seen):
        try:
            seen.append(await stream.next_event(timeout=max(0.01, deadline - time.monotonic())))
        except asyncio.TimeoutError:
            raise AssertionError(f"the events expected did not come within {timeout}s; got {seen!r}") from None
    return seen


@contextlib.asynccontextmanager
async def events_of(ocppd, cp_id: str):
    stream = await SseStream.open(ocppd, f"/api/events?cpId={cp_id}")
    assert stream.status == 200, stream.status
    try:
        yield stream
    finally:
        await stream.close()


# ---------------------------------------------------------------------------------------------
# The simulated charger
# ---------------------------------------------------------------------------------------------


def http_upload(location: str, content: bytes, how: str, name: str) -> int:
    """Uploads as a charger does: PUT of the raw body, or a multipart/form-data POST with one file part."""
    if how == "put":
        resp = requests.put(location, data=content, headers={"Content-Type": "application/octet-stream"}, timeout=30)
    else:
        resp = requests.post(location, files={"file": (name, content, "application/octet-stream")}, timeout=30)
    assert resp.status_code == 201, f"{how} {location}: {resp.status_code} {resp.text[:300]}"
    return resp.status_code


def http_fetch_in_two_parts(location: str) -> bytes:
    """Fetches a firmware image as a charger whose download broke off does: HEAD for the size, a GET cut after about
    half of the body, then a Range request for the rest."""
    head = requests.head(location, timeout=30)
    assert head.status_code == 200, f"HEAD {location}: {head.status_code}"
    size = int(head.headers["content-length"])
    with requests.get(location, stream=True, timeout=30) as first:
        assert first.status_code == 200, f"GET {location}: {first.status_code}"
        part = first.raw.read(size // 2)
    # The connection is dropped here with the rest of the body unread.
    assert 0 < len(part) < size, (len(part), size)
    rest = requests.get(location, headers={"Range": f"bytes={len(part)}-"}, timeout=30)
    assert rest.status_code == 206, f"GET {location} with Range: {rest.status_code}"
    assert rest.headers["content-range"] == f"bytes {len(part)}-{size - 1}/{size}", rest.headers
    return part + rest.content


class FileStation(Peer):
    """A charger that uploads its diagnostics and logs, and downloads and installs firmware, each in the way its
    mode says; every notification goes after the answer to the command, from a background task.

    diagnostics: put | post | no-file (answers without fileName) | fail (Uploading, UploadFailed) | silent
                 (Uploading, then nothing)
    log:         put | post | rejected | silent | one of LOG_FAILURES
    firmware:    install | DownloadFailed | InstallationFailed | stall (stops at Installing) | silent (answers only)
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.diagnostics = "put"
        self.log = "post"
        self.firmware = "install"
        self.content = os.urandom(300_000)  # what it uploads
        self.diagnostics_requests: list[dict] = []
        self.log_requests: list[dict] = []
        self.firmware_requests: list[dict] = []
        self.sent: list[tuple] = []  # the status notifications sent and answered, in order
        self.fetched: list[bytes] = []  # each firmware image downloaded
        self.errors: list[BaseException] = []
        self._tasks: set[asyncio.Task] = set()

    # -- background work ----------------------------------------------------------------------

    def spawn(self, coro) -> None:
        async def guarded():
            try:
                await coro
            except Exception as error:  # reported by settle()
                self.errors.append(error)

        task = asyncio.get_running_loop().create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self, timeout: float = 20) -> None:
        """Waits for the background work to end; fails with what went wrong in it."""
        tasks = list(self._tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            assert not pending, f"{self.id}: background work still running after {timeout}s"
        assert not self.errors, f"{self.id}: {self.errors!r}"

    async def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # -- GetDiagnostics -------------------------------------------------------------------------

    @on(Action.get_diagnostics)
    def on_get_diagnostics(self, location, **kwargs):
        self.diagnostics_requests.append({"location": location, **kwargs})
        if self.diagnostics == "no-file":
            return call_result.GetDiagnostics()
        return call_result.GetDiagnostics(file_name="diagnostics.zip")

    @after(Action.get_diagnostics)
    def after_get_diagnostics(self, location, **kwargs):
        if self.diagnostics != "no-file":
            self.spawn(self._upload_diagnostics(location, self.diagnostics))

    async def _diagnostics_status(self, status: str) -> None:
        await self.send(call.DiagnosticsStatusNotification(status=status))
        self.sent.append(("diagnostics", status))

    async def _upload_diagnostics(self, location: str, mode: str) -> None:
        await self._diagnostics_status("Uploading")
        if mode == "fail":
            await self._diagnostics_status("UploadFailed")
            return
        if mode == "silent":
            return
        try:
            await asyncio.to_thread(http_upload, location, self.content, mode, "diagnostics.zip")
        except Exception:
            await self._diagnostics_status("UploadFailed")
            raise
        await self._diagnostics_status("Uploaded")

    # -- GetLog -----------------------------------------------------------------------------------

    @on(Action.get_log)
    def on_get_log(self, log, log_type, request_id, **kwargs):
        self.log_requests.append({"log": log, "log_type": log_type, "request_id": request_id, **kwargs})
        if self.log == "rejected":
            return call_result.GetLog(status="Rejected")
        return call_result.GetLog(status="Accepted", filename="station.log")

    @after(Action.get_log)
    def after_get_log(self, log, log_type, request_id, **kwargs):
        if self.log != "rejected":
            self.spawn(self._upload_log(log["remote_location"], request_id, self.log))

    async def _log_status(self, status: str, request_id: int) -> None:
        await self.send(call.LogStatusNotification(status=status, request_id=request_id))
        self.sent.append(("log", status, request_id))

    async def _upload_log(self, location: str, request_id: int, mode: str) -> None:
        if mode in LOG_FAILURES:
            if mode == "UploadFailure":
                await self._log_status("Uploading", request_id)
            await self._log_status(mode, request_id)
            return
        await self._log_status("Uploading", request_id)
        if mode == "silent":
            return
        try:
            await asyncio.to_thread(http_upload, location, self.content, mode, "station.log")
        except Exception:
            await self._log_status("UploadFailure", request_id)
            raise
        await self._log_status("Uploaded", request_id)

    # -- UpdateFirmware ---------------------------------------------------------------------------

    @on(Action.update_firmware)
    def on_update_firmware(self, location, retrieve_date, **kwargs):
        self.firmware_requests.append({"location": location, "retrieve_date": retrieve_date, **kwargs})
        return call_result.UpdateFirmware()

    @after(Action.update_firmware)
    def after_update_firmware(self, location, retrieve_date, **kwargs):
        if self.firmware != "silent":
            self.spawn(self._install(location, self.firmware))

    async def _firmware_status(self, status: str) -> None:
        await self.send(call.FirmwareStatusNotification(status=status))
        self.sent.append(("firmware", status))

    async def _install(self, location: str, mode: str) -> None:
        await self._firmware_status("Downloading")
        if mode == "DownloadFailed":
            await self._firmware_status("DownloadFailed")
            return
        try:
            image = await asyncio.to_thread(http_fetch_in_two_parts, location)
        except Exception:
            await self._firmware_status("DownloadFailed")
            raise
        self.fetched.append(image)
        await self._firmware_status("Downloaded")
        await self._firmware_status("Installing")
        if mode == "stall":
            return
        await self._firmware_status("InstallationFailed" if mode == "InstallationFailed" else "Installed")


@contextlib.asynccontextmanager
async def file_station(ocppd, cp_id: str):
    """A booted FileStation; its background work is cancelled when the block ends."""
    async with connect_peer(ocppd, cp_id, peer_class=FileStation) as cp:
        await cp.boot()
        try:
            yield cp
        finally:
            await cp.cancel_all()


# ---------------------------------------------------------------------------------------------
# diagnostics
# ---------------------------------------------------------------------------------------------


def test_diagnostics_uploaded_by_put_is_downloaded_to_the_file_with_progress_and_events(ocppd_factory, tmp_path):
    ocppd, cp_id = public_ocppd(ocppd_factory), "CTL-FILES-DIAG"
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "diag.zip"

    async def scenario():
        async with file_station(ocppd, cp_id) as cp, events_of(ocppd, cp_id) as stream:
            done = await actl(ocppd, tmp_path, "diagnostics", cp_id, "-O", target, "--wait", "20")
            await cp.settle()
            events = await events_until(stream, lambda seen: ("diagnostics.status", "Uploaded") in [
                (name, data.get("status")) for name, data in seen])
            return done, cp, events

    done, cp, events = run(scenario())
    assert done.code == OK, str(done)
    content = cp.content
    assert target.read_bytes() == content
    assert entries(out_dir) == ["diag.zip"], "something left beside the file"
    # ocppd filled in its one-time upload URL: no location came from ocppctl.
    [request] = cp.diagnostics_requests
    assert request["location"].startswith(f"{ocppd.base_url}/files/upload/"), request
    assert cp.sent == [("diagnostics", "Uploading"), ("diagnostics", "Uploaded")]

    # One progress line per notification (the charger says Uploaded right after its upload, so ocppctl has it before it
    # saves the file), then the line with the path, the size in bytes and the SHA-256.
    lines = done.lines
    uploading = line_index(lines, f"{cp_id}: diagnostics Uploading")
    uploaded = line_index(lines, f"{cp_id}: diagnostics Uploaded")
    summary = line_index(lines, str(target), str(len(content)), sha256(content))
    assert 0 <= uploading < uploaded < summary, str(done)

    [stored] = ocppd.get("/api/files", params={"cpId": cp_id}).json()
    assert (stored["kind"], stored["size"], stored["sha256"]) == ("diagnostics", len(content), sha256(content))

    # What ocppd published on its event stream, in order.
    relevant = [(name, data) for name, data in events if name in ("diagnostics.status", "file.uploaded")]
    assert [(name, data.get("status")) for name, data in relevant] == [
        ("diagnostics.status", "Uploading"), ("file.uploaded", None), ("diagnostics.status", "Uploaded")], relevant
    for name, data in relevant:
        assert data["type"] == name and data["cpId"] == cp_id, data
        parse_time(data["at"])
    uploaded_event = relevant[1][1]
    assert (uploaded_event["id"], uploaded_event["kind"], uploaded_event["size"], uploaded_event["sha256"]) == (
        stored["id"], "diagnostics", len(content), sha256(content))


def test_diagnostics_uploaded_as_multipart_goes_to_stdout_with_the_progress_on_stderr(ocppd_factory, tmp_path):
    ocppd, cp_id = public_ocppd(ocppd_factory), "CTL-FILES-STDOUT"

    async def scenario():
        async with file_station(ocppd, cp_id) as cp:
            cp.diagnostics = "post"
            done = await actl(ocppd, tmp_path, "diagnostics", cp_id, "-O", "-", "--wait", "20")
            await cp.settle()
            return done, cp

    done, cp = run(scenario())
    assert done.code == OK, str(done)
    assert len(done.raw) == len(cp.content) and done.raw == cp.content, "stdout is not exactly the uploaded file"
    progress = [f"{cp_id}: diagnostics Uploading", f"{cp_id}: diagnostics Uploaded"]
    assert in_order(done.err.splitlines(), progress), str(done)
    [stored] = ocppd.get("/api/files", params={"cpId": cp_id}).json()
    assert stored["name"] == "diagnostics.zip" and stored["sha256"] == sha256(cp.content)


def test_diagnostics_refused_failed_or_never_uploaded_ends_with_its_exit_code_and_no_file(ocppd_factory, tmp_path):
    ocppd, cp_id = public_ocppd(ocppd_factory), "CTL-FILES-DIAG-FAIL"
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    async def scenario():
        results = {}
        async with file_station(ocppd, cp_id) as cp:
            for mode, wait in (("no-file", "20"), ("fail", "20"), ("silent", "3")):
                cp.diagnostics = mode
                results[mode] = await actl(ocppd, tmp_path, "diagnostics", cp_id, "-O", out_dir / f"{mode}.zip",
                                           "--wait", wait)
                await cp.settle()
            return results, cp

    results, cp = run(scenario())
    assert len(cp.diagnostics_requests) == 3

    nothing = results["no-file"]
    assert nothing.code == REFUSED, str(nothing)

    failed = results["fail"]
    assert failed.code == FAILED, str(failed)
    assert "UploadFailed" in failed.err, str(failed)
    assert in_order(failed.lines + failed.err.splitlines(), [
        f"{cp_id}: diagnostics Uploading", f"{cp_id}: diagnostics UploadFailed"]), str(failed)

    silent = results["silent"]
    assert silent.code == TIMEOUT, str(silent)
    assert 2.5 <= silent.seconds < 15, str(silent)
    assert f"{cp_id}: diagnostics Uploading" in silent.out, str(silent)

    # No file, and nothing partial beside where it would have been.
    assert entries(out_dir) == []
    assert ocppd.get("/api/files", params={"cpId": cp_id}).json() == []


def test_unknown_and_disconnected_stations_and_an_unwritable_file_have_their_exit_codes(ocppd_factory, tmp_path):
    ocppd, cp_id = public_ocppd(ocppd_factory), "CTL-FILES-CODES"
    known = ocppd.put("/api/stations/CTL-FILES-OFFLINE", json={"registrationStatus": "Accepted"})
    assert known.status_code in (200, 201), known.text
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    missing_dir = tmp_path / "no-such-dir"
    image = tmp_path / "fw.bin"
    image.write_bytes(b"firmware " * 100)

    async def scenario():
        results = {}
        for station, name in (("CTL-FILES-NOBODY", "unknown"), ("CTL-FILES-OFFLINE", "offline")):
            results[name, "diagnostics"] = await actl(
                ocppd, tmp_path, "diagnostics", station, "-O", out_dir / "d.zip", "--wait", "5")
            results[name, "logs"] = await actl(ocppd, tmp_path, "logs", station, "-O", out_dir / "l.log", "--wait", "5")
            results[name, "firmware"] = await actl(ocppd, tmp_path, "firmware", "push", station, image, "--wait", "5")
        async with file_station(ocppd, cp_id) as cp:
            results["unwritable"] = await actl(
                ocppd, tmp_path, "diagnostics", cp_id, "-O", missing_dir / "diag.zip", "--wait", "20")
            await cp.settle()
        return results

    results = run(scenario())
    for (name, command), expected in (
        (("unknown", "diagnostics"), NOT_FOUND), (("unknown", "logs"), NOT_FOUND), (("unknown", "firmware"), NOT_FOUND),
        (("offline", "diagnostics"), OFFLINE), (("offline", "logs"), OFFLINE), (("offline", "firmware"), OFFLINE),
    ):
        assert results[name, command].code == expected, f"{name} {command}: {results[name, command]}"
    assert results["unwritable"].code == LOCAL_FILE, str(results["unwritable"])
    assert str(missing_dir) in results["unwritable"].err, str(results["unwritable"])
    assert not missing_dir.exists()
    assert entries(out_dir) == []


# ---------------------------------------------------------------------------------------------
# logs
# ---------------------------------------------------------------------------------------------


def test_logs_asks_for_the_type_given_and_downloads_the_multipart_upload_of_that_request(ocppd_factory, tmp_path):
    ocppd, cp_id = public_ocppd(ocppd_factory), "CTL-FILES-LOG"
    target = tmp_path / "security.log"

    async def scenario():
        async with file_station(ocppd, cp_id) as cp, events_of(ocppd, cp_id) as stream:
            cp.log = "post"
            cp.content = b"2025-01-01T00:00:00Z tamper detected\r\n--not a boundary\r\n" * 5000
            done = await actl(ocppd, tmp_path, "logs", cp_id, "--type", "SecurityLog", "-O", target, "--wait", "20")
            await cp.settle()
            events = await events_until(stream, lambda seen: ("log.status", "Uploaded") in [
                (name, data.get("status")) for name, data in seen])
            return done, cp, events

    done, cp, events = run(scenario())
    assert done.code == OK, str(done)
    assert target.read_bytes() == cp.content
    [request] = cp.log_requests
    request_id = request["request_id"]
    assert request["log_type"] == "SecurityLog"
    assert isinstance(request_id, int) and request_id > 0
    assert request["log"]["remote_location"].startswith(f"{ocppd.base_url}/files/upload/"), request
    assert cp.sent == [("log", "Uploading", request_id), ("log", "Uploaded", request_id)]

    lines = done.lines
    uploading = line_index(lines, f"{cp_id}: log Uploading")
    uploaded = line_index(lines, f"{cp_id}: log Uploaded")
    summary = line_index(lines, str(target), str(len(cp.content)), sha256(cp.content))
    assert 0 <= uploading < uploaded < summary, str(done)

    [stored] = ocppd.get("/api/files", params={"cpId": cp_id, "kind": "log"}).json()
    assert (stored["name"], stored["sha256"]) == ("station.log", sha256(cp.content))
    relevant = [(name, data) for name, data in events if name in ("log.status", "file.uploaded")]
    assert [(name, data.get("status"), data["requestId"]) for name, data in relevant] == [
        ("log.status", "Uploading", request_id), ("file.uploaded", None, request_id),
        ("log.status", "Uploaded", request_id)], relevant
    assert relevant[1][1]["kind"] == "log" and relevant[1][1]["id"] == stored["id"]


def test_logs_default_type_rejected_request_and_every_failed_upload_status(ocppd_factory, tmp_path):
    ocppd, cp_id = public_ocppd(ocppd_factory), "CTL-FILES-LOG-FAIL"
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    async def scenario():
        results = {}
        async with file_station(ocppd, cp_id) as cp:
            for mode in (*LOG_FAILURES, "rejected"):
                cp.log = mode
                results[mode] = await actl(ocppd, tmp_path, "logs", cp_id, "-O", out_dir / f"{mode}.log",
                                           "--wait", "20")
                await cp.settle()
            return results, cp

    results, cp = run(scenario())
    assert [r["log_type"] for r in cp.log_requests] == ["DiagnosticsLog"] * (len(LOG_FAILURES) + 1)
    request_ids = [r["request_id"] for r in cp.log_requests]
    assert len(set(request_ids)) == len(request_ids), f"ocppd reused a requestId: {request_ids}"
    for status in LOG_FAILURES:
        done = results[status]
        assert done.code == FAILED, f"{status}: {done}"
        assert status in done.err, f"{status}: {done}"
        assert f"{cp_id}: log {status}" in done.out + done.err, f"{status}: {done}"
    assert results["rejected"].code == REFUSED, str(results["rejected"])
    assert "Rejected" in results["rejected"].err, str(results["rejected"])
    assert entries(out_dir) == []
    assert ocppd.get("/api/files", params={"cpId": cp_id}).json() == []


# ---------------------------------------------------------------------------------------------
# firmware push
# ---------------------------------------------------------------------------------------------


def test_firmware_push_stores_the_image_and_follows_the_charger_to_installed(ocppd_factory, tmp_path):
    ocppd, cp_id = public_ocppd(ocppd_factory), "CTL-FILES-FW"
    image = os.urandom(400_000)
    path = tmp_path / "volt-22-2.1.0.bin"
    path.write_bytes(image)

    async def scenario():
        async with file_station(ocppd, cp_id) as cp, events_of(ocppd, cp_id) as stream:
            before = dt.datetime.now(dt.timezone.utc)
            done = await actl(ocppd, tmp_path, "firmware", "push", cp_id, path, "--wait", "20")
            await cp.settle()
            events = await events_until(stream, lambda seen: ("firmware.status", "Installed") in [
                (name, data.get("status")) for name, data in seen])
            return done, cp, events, before

    done, cp, events, before = run(scenario())
    assert done.code == OK, str(done)
    [stored] = ocppd.get("/api/files", params={"kind": "firmware"}).json()
    assert (stored["name"], stored["size"], stored["sha256"]) == (path.name, len(image), sha256(image))
    assert line_index(done.lines, stored["id"], sha256(image)) >= 0, f"no line with the firmware id and sha256: {done}"

    [request] = cp.firmware_requests
    assert request["location"] == f"{ocppd.base_url}/files/firmware/{stored['id']}/{path.name}"
    # Without --at: fetch now.
    assert abs(parse_time(request["retrieve_date"]) - before) < dt.timedelta(seconds=60), request
    assert cp.fetched == [image], "the charger did not get the pushed image"

    statuses = ["Downloading", "Downloaded", "Installing", "Installed"]
    assert cp.sent == [("firmware", s) for s in statuses]
    assert in_order(done.lines, [f"{cp_id}: firmware {s}" for s in statuses]), str(done)
    relevant = [data for name, data in events if name == "firmware.status"]
    assert [data["status"] for data in relevant] == statuses
    assert all(data["requestId"] is None and data["cpId"] == cp_id for data in relevant), relevant


def test_firmware_push_that_fails_or_never_completes_ends_with_its_exit_code(ocppd_factory, tmp_path):
    ocppd, cp_id = public_ocppd(ocppd_factory), "CTL-FILES-FW-FAIL"
    path = tmp_path / "broken.bin"
    path.write_bytes(os.urandom(50_000))

    async def scenario():
        results = {}
        async with file_station(ocppd, cp_id) as cp:
            for mode, wait in (("DownloadFailed", "20"), ("InstallationFailed", "20"), ("stall", "3")):
                cp.firmware = mode
                results[mode] = await actl(ocppd, tmp_path, "firmware", "push", cp_id, path, "--wait", wait)
                await cp.settle()
            return results, cp

    results, cp = run(scenario())
    assert len(cp.firmware_requests) == 3

    download = results["DownloadFailed"]
    assert download.code == FAILED, str(download)
    assert "DownloadFailed" in download.err, str(download)
    assert in_order(download.lines + download.err.splitlines(), [
        f"{cp_id}: firmware Downloading", f"{cp_id}: firmware DownloadFailed"]), str(download)

    install = results["InstallationFailed"]
    assert install.code == FAILED, str(install)
    assert "InstallationFailed" in install.err, str(install)
    up_to_installing = [f"{cp_id}: firmware {s}" for s in ("Downloading", "Downloaded", "Installing")]
    assert in_order(install.lines, [*up_to_installing, f"{cp_id}: firmware InstallationFailed"]), str(install)

    stall = results["stall"]
    assert stall.code == TIMEOUT, str(stall)
    assert 2.5 <= stall.seconds < 15, str(stall)
    assert in_order(stall.lines, up_to_installing), str(stall)
    assert f"{cp_id}: firmware Installed" not in stall.out


def test_firmware_push_wait_0_and_at_set_the_retrieve_date_and_a_missing_file_sends_nothing(ocppd_factory, tmp_path):
    ocppd, cp_id = public_ocppd(ocppd_factory), "CTL-FILES-FW-AT"
    path = tmp_path / "later.bin"
    path.write_bytes(os.urandom(20_000))
    at = "2031-05-06T07:08:09Z"

    async def scenario():
        async with file_station(ocppd, cp_id) as cp:
            cp.firmware = "silent"  # accepts, and reports nothing (it is to fetch later)
            began = dt.datetime.now(dt.timezone.utc)
            in_ten = await actl(ocppd, tmp_path, "firmware", "push", cp_id, path, "--at", "10m", "--wait", "0")
            ended = dt.datetime.now(dt.timezone.utc)
            fixed = await actl(ocppd, tmp_path, "firmware", "push", cp_id, path, "--at", at, "--wait", "0")
            missing = await actl(ocppd, tmp_path, "firmware", "push", cp_id, tmp_path / "missing.bin", "--wait", "5")
            await cp.settle()
            return in_ten, fixed, missing, began, ended, cp

    in_ten, fixed, missing, began, ended, cp = run(scenario())
    assert in_ten.code == OK, str(in_ten)
    assert in_ten.seconds < 10, str(in_ten)
    assert fixed.code == OK, str(fixed)
    assert len(cp.firmware_requests) == 2, "the missing file was sent to the charger"
    first, second = (parse_time(r["retrieve_date"]) for r in cp.firmware_requests)
    ten = dt.timedelta(minutes=10)
    slack = dt.timedelta(seconds=5)
    assert began + ten - slack <= first <= ended + ten + slack, (began, first, ended)
    assert second == parse_time(at)

    assert missing.code == LOCAL_FILE, str(missing)
    assert "missing.bin" in missing.err, str(missing)
    assert {f["name"] for f in ocppd.get("/api/files", params={"kind": "firmware"}).json()} == {"later.bin"}


# ---------------------------------------------------------------------------------------------
# files list | get | rm
# ---------------------------------------------------------------------------------------------


def test_files_list_filters_get_downloads_and_rm_removes(ocppd_factory, tmp_path):
    ocppd = public_ocppd(ocppd_factory)
    first, second = "CTL-FILES-A", "CTL-FILES-B"
    image = os.urandom(30_000)
    firmware = ocppd.post("/api/firmware", params={"name": "fw.bin"}, data=image)
    assert firmware.status_code == 201, firmware.text

    async def scenario():
        async with file_station(ocppd, first) as one, file_station(ocppd, second) as two:
            two.log = "put"
            diag = await ocppd.aapi("POST", f"/api/admin/{first}/get-diagnostics", json={})
            log = await ocppd.aapi("POST", f"/api/admin/{second}/get-log", json={"logType": "SecurityLog"})
            assert diag.status_code == 200 and log.status_code == 200, (diag.text, log.text)
            await one.settle()
            await two.settle()
            return one.content, two.content

    diagnostics, log = run(scenario())
    by_kind = {f["kind"]: f for f in ocppd.get("/api/files").json()}
    assert set(by_kind) == {"diagnostics", "log", "firmware"}
    diag_id, log_id, fw_id = by_kind["diagnostics"]["id"], by_kind["log"]["id"], by_kind["firmware"]["id"]

    def ctl(*args) -> Done:
        return run(actl(ocppd, tmp_path, *args))

    for args, params in (
        ([], {}), (["--station", first], {"cpId": first}), (["--kind", "log"], {"kind": "log"}),
        (["--station", second, "--kind", "diagnostics"], {"cpId": second, "kind": "diagnostics"}),
    ):
        done = ctl("files", "list", *args, "-o", "json")
        assert done.code == OK, f"{args}: {done}"
        assert json.loads(done.out) == ocppd.get("/api/files", params=params).json(), args
    assert [f["id"] for f in json.loads(ctl("files", "list", "--kind", "log", "-o", "json").out)] == [log_id]

    table = ctl("files", "list", "--station", first)
    assert table.code == OK, str(table)
    assert "ID" in table.lines[0].split(), str(table)
    assert diag_id in table.out and log_id not in table.out and fw_id not in table.out, str(table)
    everything = ctl("files", "list")
    assert all(i in everything.out for i in (diag_id, log_id, fw_id)), str(everything)

    for file_id, content in ((diag_id, diagnostics), (log_id, log), (fw_id, image)):
        target = tmp_path / f"{file_id}.bin"
        got = ctl("files", "get", file_id, "-O", target)
        assert got.code == OK, str(got)
        assert target.read_bytes() == content
    nowhere = tmp_path / "unknown.bin"
    unknown = ctl("files", "get", "0" * 32, "-O", nowhere)
    assert unknown.code == NOT_FOUND, str(unknown)
    assert not nowhere.exists()

    removed = ctl("files", "rm", diag_id)
    assert removed.code == OK, str(removed)
    assert ocppd.get(f"/api/files/{diag_id}").status_code == 404
    assert [f["id"] for f in json.loads(ctl("files", "list", "-o", "json").out)] == [
        f["id"] for f in ocppd.get("/api/files").json()]
    assert diag_id not in {f["id"] for f in ocppd.get("/api/files").json()}
    again = ctl("files", "rm", diag_id)
    assert again.code == NOT_FOUND, str(again)
