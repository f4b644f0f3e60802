"""Files (PRODUCT.md §9), first part: a charger uploads its diagnostics or log to the one-time URL ocppd hands out in
get-diagnostics and get-log without a location (PUT of the raw body, or multipart POST), streamed to disk with its
SHA-256; operators list, download (with Range) and remove kept files; refused and cut uploads keep nothing."""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import os
import re
import socket
import time
import urllib.parse

import requests
from ocpp.routing import on
from ocpp.v16 import call_result
from ocpp.v16.enums import Action

from harness import DEFAULT_TOKEN, Peer, connect_peer, run, wait_until

PUBLIC = "https://csms.example.com"
UPLOAD_URL = re.compile(r"^https://csms\.example\.com/files/upload/([0-9a-f]{64})$")

_pool = concurrent.futures.ThreadPoolExecutor(max_workers=4)


async def rest(ocppd, method: str, path: str, **kwargs):
    return await asyncio.get_running_loop().run_in_executor(_pool, lambda: ocppd.api(method, path, **kwargs))


class UploadingPeer(Peer):
    """Answers GetDiagnostics and GetLog as a charger does, keeping the location it was given."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locations: list[str] = []
        self.log_requests: list[int] = []

    @on(Action.get_diagnostics)
    async def on_get_diagnostics(self, location, **kwargs):
        self.locations.append(location)
        return call_result.GetDiagnostics(file_name="diagnostics.zip")

    @on(Action.get_log)
    async def on_get_log(self, log, log_type, request_id, **kwargs):
        self.locations.append(log["remote_location"])
        self.log_requests.append(request_id)
        return call_result.GetLog(status="Accepted", filename="security.log")


def upload_path(location: str) -> str:
    match = UPLOAD_URL.match(location)
    assert match, f"not ocppd's upload URL under --public-url: {location!r}"
    return f"/files/upload/{match.group(1)}"


def ask_for_upload(ocppd, cp_id: str, command: str, body: dict) -> tuple[str, UploadingPeer, dict]:
    async def scenario():
        async with connect_peer(ocppd, cp_id, peer_class=UploadingPeer) as cp:
            await cp.boot()
            answer = await rest(ocppd, "POST", f"/api/admin/{cp_id}/{command}", json=body)
            return cp, answer

    cp, answer = run(scenario())
    assert answer.status_code == 200, answer.text
    assert len(cp.locations) == 1
    return upload_path(cp.locations[0]), cp, answer.json()


def files_on_disk(ocppd) -> list[str]:
    """The files directory's files, without ocppd's own `.node` (its name for this directory in the store)."""
    return sorted(name for name in os.listdir(ocppd.data_dir / "files") if not name.startswith("."))


def kept(ocppd, cp_id: str) -> list[dict]:
    resp = ocppd.get("/api/files", params={"cpId": cp_id})
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_a_diagnostics_upload_by_put_is_kept_listed_downloaded_with_ranges_and_removed(ocppd_factory):
    ocppd = ocppd_factory("--public-url", PUBLIC + "/")
    cp_id = "CP-FILES-PUT"
    path, _, answer = ask_for_upload(ocppd, cp_id, "get-diagnostics", {})
    assert answer == {"fileName": "diagnostics.zip"}
    content = os.urandom(300_000)
    # No API token: the URL's token is the credential.
    resp = requests.put(ocppd.base_url + path + "?name=../../etc/diag.zip", data=content, timeout=30)
    assert resp.status_code == 201, resp.text
    stored = resp.json()
    assert stored["size"] == len(content) and stored["sha256"] == hashlib.sha256(content).hexdigest()
    assert stored["name"] == "diag.zip" and stored["kind"] == "diagnostics" and stored["cpId"] == cp_id
    assert re.fullmatch(r"[0-9a-f]{32}", stored["id"])
    # Once only.
    again = requests.put(ocppd.base_url + path, data=b"again", timeout=30)
    assert again.status_code == 404 and again.headers["content-type"].startswith("application/problem+json")

    assert [f["id"] for f in kept(ocppd, cp_id)] == [stored["id"]]
    assert kept(ocppd, cp_id)[0]["sha256"] == stored["sha256"]
    download = ocppd.get(f"/api/files/{stored['id']}")
    assert download.status_code == 200 and download.content == content
    assert download.headers["accept-ranges"] == "bytes"
    assert requests.get(ocppd.base_url + f"/api/files/{stored['id']}", timeout=10).status_code == 401
    part = ocppd.get(f"/api/files/{stored['id']}", headers={"Authorization": f"Bearer {DEFAULT_TOKEN}", "Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == content[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(content)}"
    tail = ocppd.get(f"/api/files/{stored['id']}", headers={"Authorization": f"Bearer {DEFAULT_TOKEN}", "Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.content == content[-5:]
    beyond = ocppd.get(f"/api/files/{stored['id']}", headers={"Authorization": f"Bearer {DEFAULT_TOKEN}", "Range": "bytes=900000-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(content)}"

    removed = ocppd.delete(f"/api/files/{stored['id']}")
    assert removed.status_code == 200 and removed.json()["id"] == stored["id"]
    assert ocppd.get(f"/api/files/{stored['id']}").status_code == 404
    assert kept(ocppd, cp_id) == []
    assert files_on_disk(ocppd) == []


def test_a_log_upload_as_multipart_keeps_the_file_part_and_the_logs_request_id(ocppd_factory):
    ocppd = ocppd_factory("--public-url", PUBLIC)
    cp_id = "CP-FILES-LOG"
    path, cp, answer = ask_for_upload(ocppd, cp_id, "get-log", {"logType": "SecurityLog"})
    assert answer == {"status": "Accepted", "filename": "security.log"}
    request_id = cp.log_requests[0]
    assert isinstance(request_id, int) and request_id > 0
    content = b"line one\r\n--not a boundary\r\n" * 5000
    resp = requests.post(
        ocppd.base_url + path, timeout=30,
        files={"file": ("security.log", content, "text/plain")}, data={"note": "ignored field after the file"})
    assert resp.status_code == 201, resp.text
    stored = resp.json()
    assert stored["name"] == "security.log" and stored["kind"] == "log" and stored["requestId"] == request_id
    assert stored["size"] == len(content) and stored["sha256"] == hashlib.sha256(content).hexdigest()
    assert ocppd.get(f"/api/files/{stored['id']}").content == content
    assert [f["kind"] for f in ocppd.get("/api/files", params={"kind": "log"}).json()] == ["log"]
    assert ocppd.get("/api/files", params={"kind": "firmware"}).json() == []
    assert ocppd.get("/api/files", params={"kind": "nonsense"}).status_code == 400


def test_refused_cut_and_unknown_uploads_keep_nothing_and_leave_the_url_to_the_chargers_retry(ocppd_factory):
    ocppd = ocppd_factory("--public-url", PUBLIC, "--max-upload-size", "1024")
    cp_id = "CP-FILES-REFUSE"
    path, _, _ = ask_for_upload(ocppd, cp_id, "get-diagnostics", {"retries": 2})
    # Over the limit, announced or not.
    assert requests.put(ocppd.base_url + path, data=b"x" * 4096, timeout=30).status_code == 413

    def chunked():
        for _ in range(8):
            yield b"y" * 512

    assert requests.put(ocppd.base_url + path, data=chunked(), timeout=30).status_code == 413
    # Cut mid-upload: the connection closes after part of the announced body.
    host, port = "127.0.0.1", ocppd.port
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(f"PUT {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 1000\r\n\r\n".encode() + b"z" * 300)
    # Each failed upload gives its URL back (logged): two refused, one cut.
    wait_until(lambda: ocppd.log_text().count("upload failed; nothing kept") == 3, what="the cut upload to be given up")
    # Unknown tokens, and paths that try to leave /files/upload.
    assert requests.put(ocppd.base_url + "/files/upload/" + "0" * 64, data=b"a", timeout=10).status_code == 404
    assert requests.put(ocppd.base_url + "/files/upload/short", data=b"a", timeout=10).status_code == 404
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(f"PUT /files/upload/../../api/files HTTP/1.1\r\nHost: {host}\r\nContent-Length: 1\r\nConnection: close\r\n\r\na".encode())
        status = sock.recv(100).split(b" ")[1]
    assert status in (b"400", b"404"), status
    assert kept(ocppd, cp_id) == []
    assert files_on_disk(ocppd) == []
    # None of that used the URL up: the charger's retry gets through.
    content = b"diagnostics " * 50
    retry = requests.put(ocppd.base_url + path, data=content, timeout=30)
    assert retry.status_code == 201, retry.text
    assert [f["size"] for f in kept(ocppd, cp_id)] == [len(content)]


def test_a_stalled_upload_is_closed_after_the_idle_timeout_keeps_nothing_and_leaves_the_url(ocppd_factory):
    ocppd = ocppd_factory("--public-url", PUBLIC, "--http-idle-timeout", "1")
    cp_id = "CP-FILES-STALL"
    path, _, _ = ask_for_upload(ocppd, cp_id, "get-diagnostics", {})
    host, port = "127.0.0.1", ocppd.port
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(f"PUT {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 1000\r\n\r\n".encode() + b"z" * 300)
        # The charger goes quiet with 700 bytes to come: ocppd closes the connection, not waiting forever.
        sock.settimeout(15)
        rest_of_answer = b""
        while chunk := sock.recv(4096):
            rest_of_answer += chunk
    wait_until(lambda: "upload failed; nothing kept" in ocppd.log_text(), what="the stalled upload to be given up")
    assert kept(ocppd, cp_id) == []
    assert files_on_disk(ocppd) == []
    # A connection waiting for its answer is not idle: the event stream outlives the timeout.
    events = ocppd.api("GET", "/api/events", stream=True, timeout=10)
    assert events.status_code == 200
    time.sleep(2.5)

    async def station_comes():
        async with connect_peer(ocppd, "CP-FILES-STALL-2") as cp:
            await cp.boot()

    run(station_comes())
    assert any(line == b"event: station.connected" for line in events.iter_lines()), "the event stream ended"
    events.close()
    # The URL is still the charger's: its retry, at a normal pace, is kept.
    retry = requests.put(ocppd.base_url + path, data=b"d" * 1000, timeout=30)
    assert retry.status_code == 201, retry.text
    assert [f["size"] for f in kept(ocppd, cp_id)] == [1000]


def test_without_a_public_url_a_command_without_location_is_refused_and_nothing_is_sent(ocppd):
    cp_id = "CP-FILES-NOURL"

    async def scenario():
        async with connect_peer(ocppd, cp_id, peer_class=UploadingPeer) as cp:
            await cp.boot()
            diagnostics = await rest(ocppd, "POST", f"/api/admin/{cp_id}/get-diagnostics", json={})
            log = await rest(ocppd, "POST", f"/api/admin/{cp_id}/get-log", json={"logType": "DiagnosticsLog"})
            # With a location of its own, the command goes as before.
            given = await rest(ocppd, "POST", f"/api/admin/{cp_id}/get-diagnostics", json={"location": "ftp://diag.example.com/up/"})
            return cp, diagnostics, log, given

    cp, diagnostics, log, given = run(scenario())
    for resp in (diagnostics, log):
        assert resp.status_code == 400 and "public-url" in resp.json()["detail"], resp.text
    assert given.status_code == 200
    assert cp.locations == ["ftp://diag.example.com/up/"]


def test_at_start_files_without_their_row_and_rows_without_their_file_are_removed(ocppd_factory):
    ocppd = ocppd_factory("--public-url", PUBLIC)
    cp_id = "CP-FILES-RESTART"
    paths = [ask_for_upload(ocppd, cp_id, "get-diagnostics", {})[0] for _ in range(2)]
    ids = [requests.put(ocppd.base_url + p, data=f"file {i}".encode(), timeout=30).json()["id"] for i, p in enumerate(paths)]
    ocppd.stop()
    files = ocppd.data_dir / "files"
    (files / "0123456789abcdef0123456789abcdef").write_bytes(b"left by a crash")
    (files / ids[1]).unlink()
    ocppd.start()
    assert files_on_disk(ocppd) == [ids[0]]
    assert [f["id"] for f in kept(ocppd, cp_id)] == [ids[0]]


def test_a_files_directory_new_to_ocppd_forgets_nothing_and_files_under_another_name_are_taken_over(ocppd_factory):
    ocppd = ocppd_factory("--public-url", PUBLIC)
    cp_id = "CP-FILES-MOVED"
    path = ask_for_upload(ocppd, cp_id, "get-diagnostics", {})[0]
    content = b"kept through it all"
    file_id = requests.put(ocppd.base_url + path, data=content, timeout=30).json()["id"]
    files = ocppd.data_dir / "files"
    ocppd.stop()
    # The directory's name for itself is gone (a new --node-id, a restored backup): its files are not strays.
    (files / ".node").unlink()
    ocppd.start()
    assert files_on_disk(ocppd) == [file_id]
    assert ocppd.get(f"/api/files/{file_id}").content == content
    assert "now belong to this one" in ocppd.log_text()
    ocppd.stop()
    # A missing mount: the directory is empty and new; the store keeps the file's record (no download, no loss).
    (files / file_id).rename(ocppd.data_dir / "aside")
    (files / ".node").rename(ocppd.data_dir / "aside.node")
    ocppd.start()
    assert [f["id"] for f in kept(ocppd, cp_id)] == [file_id]
    ocppd.stop()
    # The mount is back: all there again.
    (ocppd.data_dir / "aside").rename(files / file_id)
    (ocppd.data_dir / "aside.node").rename(files / ".node")
    ocppd.start()
    assert ocppd.get(f"/api/files/{file_id}").content == content


class FirmwarePeer(Peer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locations: list[str] = []

    @on(Action.update_firmware)
    async def on_update_firmware(self, location, retrieve_date, **kwargs):
        self.locations.append(location)
        return call_result.UpdateFirmware()

    @on(Action.signed_update_firmware)
    async def on_signed_update_firmware(self, request_id, firmware, **kwargs):
        self.locations.append(firmware["location"])
        return call_result.SignedUpdateFirmware(status="Accepted")


def test_firmware_is_stored_served_to_chargers_with_head_and_ranges_and_named_by_id_in_commands(ocppd_factory):
    ocppd = ocppd_factory("--public-url", PUBLIC)
    image = os.urandom(200_000)
    raw = ocppd.post("/api/firmware", params={"name": "cp 2.0.bin"}, data=image,
                     headers={"Authorization": f"Bearer {DEFAULT_TOKEN}", "Content-Type": "application/octet-stream"})
    assert raw.status_code == 201, raw.text
    stored = raw.json()
    assert stored["kind"] == "firmware" and stored["cpId"] is None and stored["name"] == "cp 2.0.bin"
    assert stored["size"] == len(image) and stored["sha256"] == hashlib.sha256(image).hexdigest()
    assert stored["url"] == f"{PUBLIC}/files/firmware/{stored['id']}/cp%202.0.bin"
    multipart = ocppd.post("/api/firmware", files={"image": ("other.bin", b"other image", "application/octet-stream")})
    assert multipart.status_code == 201 and multipart.json()["name"] == "other.bin", multipart.text
    # Bytes above 0x7F where a part's header name goes (found by schemathesis: the multipart parser of vapor/multipart-kit
    # trapped on them and took ocppd down): refused, ocppd answers on.
    for junk in (b"--B\r\n\xf2\xa2\x8e\x8b--B--\r\n", b"--B\r\n\xf2\xa2: x\r\n\r\nimage\r\n--B--\r\n"):
        refused = ocppd.post("/api/firmware", data=junk, headers={
            "Authorization": f"Bearer {DEFAULT_TOKEN}", "Content-Type": "multipart/form-data; boundary=B"})
        assert refused.status_code == 400, refused.text
    assert ocppd.get("/api/files", params={"kind": "firmware"}).status_code == 200
    nameless = ocppd.post("/api/firmware", data=b"nameless")
    assert nameless.status_code == 201 and re.fullmatch(r"firmware-.*\.bin", nameless.json()["name"]), nameless.text
    assert {f["id"] for f in ocppd.get("/api/files", params={"kind": "firmware"}).json()} == {
        stored["id"], multipart.json()["id"], nameless.json()["id"]}

    # Chargers fetch it without a token, at the URL's path on ocppd; they resume with Range and ask with HEAD.
    path = urllib.parse.urlparse(stored["url"]).path
    whole = requests.get(ocppd.base_url + path, timeout=30)
    assert whole.status_code == 200 and whole.content == image
    head = requests.head(ocppd.base_url + path, timeout=30)
    assert head.status_code == 200 and int(head.headers["content-length"]) == len(image) and head.content == b""
    resumed = requests.get(ocppd.base_url + path, headers={"Range": "bytes=150000-"}, timeout=30)
    assert resumed.status_code == 206 and resumed.content == image[150000:]
    assert resumed.headers["content-range"] == f"bytes 150000-{len(image) - 1}/{len(image)}"
    assert requests.get(ocppd.base_url + f"/files/firmware/{stored['id']}/wrong.bin", timeout=30).status_code == 404
    assert requests.get(ocppd.base_url + f"/files/firmware/{'0' * 32}/cp%202.0.bin", timeout=30).status_code == 404

    cp_id = "CP-FILES-FW"

    async def scenario():
        async with connect_peer(ocppd, cp_id, peer_class=FirmwarePeer) as cp:
            await cp.boot()
            update = await rest(ocppd, "POST", f"/api/admin/{cp_id}/update-firmware",
                                json={"firmwareId": stored["id"], "retrieveDate": "2030-01-01T00:00:00Z"})
            signed = await rest(ocppd, "POST", f"/api/admin/{cp_id}/signed-update-firmware", json={"firmware": {
                "firmwareId": stored["id"], "retrieveDateTime": "2030-01-01T00:00:00Z",
                "signingCertificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "signature": "c2ln"}})
            unknown = await rest(ocppd, "POST", f"/api/admin/{cp_id}/update-firmware",
                                 json={"firmwareId": "f" * 32, "retrieveDate": "2030-01-01T00:00:00Z"})
            return cp, update, signed, unknown

    cp, update, signed, unknown = run(scenario())
    assert update.status_code == 200 and signed.json() == {"status": "Accepted"}, (update.text, signed.text)
    assert unknown.status_code == 400 and unknown.json()["field"] == "firmwareId"
    assert cp.locations == [stored["url"], stored["url"]]


def test_retention_keeps_the_newest_uploads_within_the_total_and_never_removes_firmware(ocppd_factory):
    ocppd = ocppd_factory("--public-url", PUBLIC, "--files-max-total", "2500")
    firmware = ocppd.post("/api/firmware", params={"name": "fw.bin"}, data=b"f" * 5000)
    assert firmware.status_code == 201
    cp_id = "CP-FILES-RETAIN"
    ids = []
    for i in range(3):
        path, _, _ = ask_for_upload(ocppd, cp_id, "get-diagnostics", {})
        ids.append(requests.put(ocppd.base_url + path, data=bytes([i]) * 1000, timeout=30).json()["id"])
    # 3,000 bytes of uploads do not fit in 2,500: the oldest went, the firmware (the operator's) stays.
    assert [f["id"] for f in kept(ocppd, cp_id)] == [ids[2], ids[1]]
    assert files_on_disk(ocppd) == sorted([ids[1], ids[2], firmware.json()["id"]])
