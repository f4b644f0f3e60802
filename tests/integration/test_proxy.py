"""ocppd behind a TLS-terminating reverse proxy: a real nginx, configured as docs/SECURITY.md says, passes on the
station's address, that it came over TLS, and its client certificate; ocppd believes those headers only from the
addresses in --trusted-proxies, and checks a forwarded certificate against its own client CA.

Stations connect from 127.0.0.2 to 127.0.0.4 (loopback answers all of 127.0.0.0/8); nginx reaches ocppd from
127.0.0.1."""

from __future__ import annotations

import base64
import contextlib
import shutil
import ssl
import subprocess
import urllib.parse
from pathlib import Path

import pytest
import requests

from harness import SseStream, basic_auth, free_port, handshake_refusal, heartbeat_works, open_ws, run, wait_until
from pki import client_tls

KEY = "0123456789abcdef0123"
STATION_ADDRESS = "127.0.0.2"
OTHER_ADDRESS = "127.0.0.3"
THIRD_ADDRESS = "127.0.0.4"

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}

    server {{
        listen 127.0.0.1:{tls_port} ssl;
        listen 127.0.0.1:{plain_port};
        ssl_certificate {pki}/server.pem;
        ssl_certificate_key {pki}/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        # Ask for a client certificate and pass on whatever comes: ocppd checks it against its own CA.
        ssl_verify_client optional_no_ca;

        location / {{
            proxy_pass http://127.0.0.1:{ocppd_port};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert;
            proxy_read_timeout 1h;
        }}
    }}
}}
"""


class Nginx:
    def __init__(self, directory: Path, pki: Path, ocppd_port: int):
        self.directory = directory
        self.tls_port = free_port()
        self.plain_port = free_port()
        for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (directory / temp).mkdir(parents=True, exist_ok=True)
        config = directory / "nginx.conf"
        config.write_text(NGINX_CONF.format(
            dir=directory, pki=pki, tls_port=self.tls_port, plain_port=self.plain_port, ocppd_port=ocppd_port))
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        assert Path(binary).exists(), "nginx is not installed (scripts/test installs it)"
        self.proc = subprocess.Popen([binary, "-c", str(config), "-p", str(directory), "-e", str(directory / "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_until(lambda: self._answers() or self.proc.poll() is not None, timeout=10, what="nginx to listen")
        assert self.proc.poll() is None, f"nginx did not start: {self.proc.stderr.read().decode()}"

    def _answers(self) -> bool:
        with contextlib.suppress(requests.RequestException):
            requests.get(f"http://127.0.0.1:{self.plain_port}/healthz", timeout=1)
            return True
        return False

    def wss(self, cp_id: str) -> str:
        return f"wss://127.0.0.1:{self.tls_port}/ocpp/{urllib.parse.quote(cp_id, safe='')}"

    def ws(self, cp_id: str) -> str:
        return f"ws://127.0.0.1:{self.plain_port}/ocpp/{urllib.parse.quote(cp_id, safe='')}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def behind_nginx(ocppd_factory, pki, tmp_path):
    """ocppd (plain, trusting 127.0.0.1) behind nginx, which terminates TLS."""
    ocppd = ocppd_factory(
        "--trusted-proxies", "127.0.0.1", "--tls-client-ca", str(pki / "ca.pem"), "--unknown-stations", "reject")
    nginx = Nginx(tmp_path / "nginx", pki, ocppd.port)
    try:
        yield ocppd, nginx
    finally:
        nginx.stop()


def seen_at(ocppd, cp_id: str) -> str | None:
    sightings = ocppd.get("/api/stations/unknown").json()
    items = sightings["items"] if isinstance(sightings, dict) else sightings
    return next((item["seenAt"] for item in items if item["id"] == cp_id), None)


def test_profile_3_through_the_proxy_uses_the_forwarded_certificate(behind_nginx, pki):
    ocppd, nginx = behind_nginx
    assert ocppd.put("/api/stations/CP-TLS-3", json={"securityProfile": 3}).status_code in (200, 201)

    async def scenario():
        stream = await SseStream.open(ocppd, "/api/events?cpId=CP-TLS-3")
        try:
            ws = await open_ws(nginx.wss("CP-TLS-3"), ssl=client_tls(pki, "cp3"), source=STATION_ADDRESS)
            try:
                await heartbeat_works(ws)
                assert (await stream.next_of_type("station.connected"))["remoteAddress"] == STATION_ADDRESS
            finally:
                await ws.close()
        finally:
            await stream.close()
        # Another station's certificate, none, or one of a CA ocppd does not know (nginx passes it on unchecked).
        for certificate in ("other-cp", None, "rogue-cp3"):
            refused = await handshake_refusal(nginx.wss("CP-TLS-3"), ssl=client_tls(pki, certificate), source=STATION_ADDRESS)
            assert refused.status_code == 401, certificate
        # Over the proxy's plain port the station is not on TLS, whatever ocppd's own link is.
        assert (await handshake_refusal(nginx.ws("CP-TLS-3"), source=STATION_ADDRESS)).status_code == 403
        # A station that sends the proxy's headers itself, with a real certificate's text but not its key: nginx
        # replaces (or drops) them, and ocppd reads only the configured certificate header.
        pem = (pki / "cp3.pem").read_text()
        der = base64.b64encode(ssl.PEM_cert_to_DER_cert(pem)).decode()
        for claims in ({"X-SSL-Client-Cert": urllib.parse.quote(pem, safe="")}, {"Client-Cert": f":{der}:"},
                       {"X-Forwarded-Proto": "https", "X-SSL-Client-Cert": der}):
            refused = await handshake_refusal(nginx.wss("CP-TLS-3"), ssl=client_tls(pki), headers=claims, source=STATION_ADDRESS)
            assert refused.status_code == 401, claims
            refused = await handshake_refusal(nginx.ws("CP-TLS-3"), headers=claims, source=STATION_ADDRESS)
            assert refused.status_code == 403, claims

    run(scenario())
    log = ocppd.log_text()
    assert "forwarded client certificate ignored: it does not chain to the client CA" in log


def test_profile_2_through_the_proxy_needs_its_tls_side(behind_nginx, pki):
    ocppd, nginx = behind_nginx
    assert ocppd.put("/api/stations/CP-TLS-2", json={"securityProfile": 2, "authorizationKey": KEY}).status_code in (200, 201)

    async def scenario():
        ws = await open_ws(nginx.wss("CP-TLS-2"), headers=basic_auth("CP-TLS-2", KEY), ssl=client_tls(pki))
        try:
            await heartbeat_works(ws)
        finally:
            await ws.close()
        # Plain to the proxy: not TLS, whatever the station claims.
        for claims in ({}, {"X-Forwarded-Proto": "https"}):
            refused = await handshake_refusal(nginx.ws("CP-TLS-2"), headers=basic_auth("CP-TLS-2", KEY) | claims)
            assert refused.status_code == 403, claims

    run(scenario())


def test_the_station_address_is_the_forwarded_one_in_sightings_events_and_limits(ocppd_factory, pki, tmp_path):
    # One handshake per address per 10 s: the second from the same station's address is refused, another address
    # still gets in, although all of them reach ocppd from nginx's 127.0.0.1.
    ocppd = ocppd_factory(
        "--trusted-proxies", "127.0.0.1", "--unknown-stations", "reject", "--max-handshakes-per-second", "0.1")
    nginx = Nginx(tmp_path / "nginx", pki, ocppd.port)
    try:
        async def scenario():
            assert (await handshake_refusal(nginx.ws("CP-NOBODY"), source=STATION_ADDRESS)).status_code == 404
            assert seen_at(ocppd, "CP-NOBODY") == STATION_ADDRESS
            limited = await handshake_refusal(nginx.ws("CP-NOBODY"), source=STATION_ADDRESS)
            assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
            assert (await handshake_refusal(nginx.ws("CP-NOBODY-2"), source=OTHER_ADDRESS)).status_code == 404
            assert seen_at(ocppd, "CP-NOBODY-2") == OTHER_ADDRESS
            # An address a station puts in X-Forwarded-For itself is left of the one nginx adds: not believed.
            claims = {"X-Forwarded-For": "198.51.100.7"}
            assert (await handshake_refusal(nginx.ws("CP-NOBODY-3"), headers=claims, source=THIRD_ADDRESS)).status_code == 404
            assert seen_at(ocppd, "CP-NOBODY-3") == THIRD_ADDRESS

        run(scenario())
    finally:
        nginx.stop()


def test_the_same_headers_from_an_address_that_is_not_a_trusted_proxy_count_for_nothing(ocppd_factory, pki):
    ocppd = ocppd_factory(
        "--trusted-proxies", "10.99.0.0/16", "--tls-client-ca", str(pki / "ca.pem"), "--unknown-stations", "reject")
    assert ocppd.put("/api/stations/CP-TLS-3", json={"securityProfile": 3}).status_code in (200, 201)
    escaped = urllib.parse.quote((pki / "cp3.pem").read_text(), safe="")
    claims = {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https", "X-SSL-Client-Cert": escaped}

    async def scenario():
        refused = await handshake_refusal(ocppd.ws_url("CP-TLS-3"), headers=claims, source=OTHER_ADDRESS)
        assert refused.status_code == 403
        assert (await handshake_refusal(ocppd.ws_url("CP-NOBODY"), headers=claims, source=OTHER_ADDRESS)).status_code == 404
        assert seen_at(ocppd, "CP-NOBODY") == OTHER_ADDRESS

    run(scenario())


def test_trusted_proxies_must_be_addresses(ocppd_bin, tmp_path):
    result = subprocess.run(
        [str(ocppd_bin), "--host", "127.0.0.1", "--port", "0", "--data-dir", str(tmp_path), "--api-token", "t",
         "--trusted-proxies", "proxy.example.com"],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode != 0
    assert "trusted proxy 'proxy.example.com'" in result.stdout + result.stderr
