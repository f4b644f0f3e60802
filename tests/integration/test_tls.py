"""OCPP security profiles 2 and 3 over TLS, HTTPS for the REST API, and certificates reloaded on SIGHUP. Every
certificate is made by a throwaway CA created with `openssl` for the test run (the `pki` fixture)."""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import ssl
import subprocess
import time

import pytest
import requests
import websockets

from harness import async_wait_until, basic_auth, free_port, handshake_refusal, heartbeat_works, open_ws, run
from pki import client_tls

KEY = "0123456789abcdef0123"


@pytest.fixture
def tls_ocppd(ocppd_factory, pki, tmp_path):
    """ocppd with TLS on its port (the server certificate's files are copies, so a test can renew them) and a
    plain port beside it."""
    files = tmp_path / "tls"
    files.mkdir()
    shutil.copy(pki / "server.pem", files / "cert.pem")
    shutil.copy(pki / "server.key", files / "key.pem")
    plain = free_port()
    ocppd = ocppd_factory(
        "--tls-cert", str(files / "cert.pem"), "--tls-key", str(files / "key.pem"),
        "--tls-client-ca", str(pki / "ca.pem"), "--plain-port", str(plain),
        tls_ca=pki / "ca.pem",
    )
    ocppd.plain_port = plain
    ocppd.tls_files = files
    return ocppd


def plain_ws_url(ocppd, cp_id: str) -> str:
    return f"ws://127.0.0.1:{ocppd.plain_port}/ocpp/{cp_id}"


def test_profile_2_station_needs_wss_and_its_key(tls_ocppd, pki):
    ocppd = tls_ocppd
    assert ocppd.put("/api/stations/CP-TLS-2", json={"securityProfile": 2, "authorizationKey": KEY}).status_code in (200, 201)

    async def scenario():
        ws = await open_ws(ocppd.ws_url("CP-TLS-2"), headers=basic_auth("CP-TLS-2", KEY), ssl=client_tls(pki))
        try:
            await heartbeat_works(ws)
        finally:
            await ws.close()
        refused = await handshake_refusal(ocppd.ws_url("CP-TLS-2"), ssl=client_tls(pki))
        assert refused.status_code == 401
        # The right key over plain ws:// is not enough.
        refused = await handshake_refusal(plain_ws_url(ocppd, "CP-TLS-2"), headers=basic_auth("CP-TLS-2", KEY))
        assert refused.status_code == 403
        assert "wss" in refused.body.decode()

    run(scenario())


def test_a_station_that_closes_its_wss_connection_is_disconnected_at_once_and_stop_does_not_wait(tls_ocppd, pki):
    # TLS waits for the peer's close_notify after ocppd closes; a station that sends none (this client does not)
    # stayed "connected" for five seconds, and held up a SIGTERM as long.
    ocppd = tls_ocppd
    assert ocppd.put("/api/stations/CP-TLS-BYE", json={"securityProfile": 2, "authorizationKey": KEY}).status_code in (200, 201)

    def connected() -> bool:
        return ocppd.get("/api/stations/CP-TLS-BYE").json()["connected"]

    async def scenario():
        ws = await open_ws(ocppd.ws_url("CP-TLS-BYE"), headers=basic_auth("CP-TLS-BYE", KEY), ssl=client_tls(pki))
        await heartbeat_works(ws)
        assert connected()
        await ws.close()
        await async_wait_until(lambda: not connected(), timeout=2.5, what="CP-TLS-BYE shown disconnected")
        # Connected again: SIGTERM closes that connection, and the station answers the close.
        ws = await open_ws(ocppd.ws_url("CP-TLS-BYE"), headers=basic_auth("CP-TLS-BYE", KEY), ssl=client_tls(pki))
        await async_wait_until(connected, timeout=5, what="CP-TLS-BYE connected again")
        started = time.monotonic()
        assert await asyncio.to_thread(ocppd.stop) == 0
        assert time.monotonic() - started < 2.5, "SIGTERM waited for a TLS connection's close_notify"
        await ws.wait_closed()

    run(scenario())


def test_profile_3_station_needs_a_client_certificate_for_its_identity(tls_ocppd, pki):
    ocppd = tls_ocppd
    assert ocppd.put("/api/stations/CP-TLS-3", json={"securityProfile": 3}).status_code in (200, 201)

    async def scenario():
        ws = await open_ws(ocppd.ws_url("CP-TLS-3"), ssl=client_tls(pki, "cp3"))
        try:
            await heartbeat_works(ws)
        finally:
            await ws.close()
        for certificate in ("other-cp", None):
            refused = await handshake_refusal(ocppd.ws_url("CP-TLS-3"), ssl=client_tls(pki, certificate))
            assert refused.status_code == 401, certificate  # missing or wrong credentials
        assert (await handshake_refusal(plain_ws_url(ocppd, "CP-TLS-3"))).status_code == 403
        # A certificate of another CA does not get past TLS (under TLS 1.3 the client learns it as the connection
        # closes, before any HTTP answer).
        with pytest.raises((ssl.SSLError, OSError, websockets.exceptions.InvalidMessage)):
            await open_ws(ocppd.ws_url("CP-TLS-3"), ssl=client_tls(pki, "rogue-cp3"))

    run(scenario())


def test_stations_on_profiles_0_and_1_use_either_port_and_rest_answers_on_both(tls_ocppd, pki):
    ocppd = tls_ocppd
    assert ocppd.put("/api/stations/CP-TLS-1", json={"securityProfile": 1, "authorizationKey": KEY}).status_code in (200, 201)

    async def scenario():
        for url, tls in ((ocppd.ws_url("CP-TLS-1"), client_tls(pki)), (plain_ws_url(ocppd, "CP-TLS-1"), None)):
            ws = await open_ws(url, headers=basic_auth("CP-TLS-1", KEY), ssl=tls)
            try:
                await heartbeat_works(ws)
            finally:
                await ws.close()

    run(scenario())
    headers = {"Authorization": f"Bearer {ocppd.token}"}
    assert requests.get(f"{ocppd.base_url}/api/stations", headers=headers, verify=str(pki / "ca.pem"), timeout=10).ok
    assert requests.get(f"http://127.0.0.1:{ocppd.plain_port}/api/stations", headers=headers, timeout=10).ok
    # The TLS port does not speak plain HTTP.
    with pytest.raises(requests.RequestException):
        requests.get(f"http://127.0.0.1:{ocppd.port}/healthz", timeout=5)


def test_only_tls_1_2_and_later(tls_ocppd, pki):
    def handshake(version: ssl.TLSVersion) -> str:
        context = client_tls(pki)
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.minimum_version = version
        context.maximum_version = version
        try:
            with context.wrap_socket(socket.create_connection(("127.0.0.1", tls_ocppd.port), 5),
                                     server_hostname="127.0.0.1") as tls:
                return tls.version()
        except ssl.SSLError as error:
            return f"refused: {error}"

    assert handshake(ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    assert handshake(ssl.TLSVersion.TLSv1_3) == "TLSv1.3"
    old = handshake(ssl.TLSVersion.TLSv1_1)
    # The server's alert, not the client's own refusal to offer TLS 1.1.
    assert old.startswith("refused") and "ALERT_PROTOCOL_VERSION" in old.upper(), old


def test_sighup_reloads_the_certificate_and_keeps_open_connections(tls_ocppd, pki):
    ocppd = tls_ocppd

    def served_certificate() -> bytes:
        context = client_tls(pki)
        with context.wrap_socket(socket.create_connection(("127.0.0.1", ocppd.port), 5),
                                 server_hostname="127.0.0.1") as tls:
            return tls.getpeercert(binary_form=True)

    original = served_certificate()
    renewed = ssl.PEM_cert_to_DER_cert((pki / "server-renewed.pem").read_text())
    assert original != renewed

    async def scenario():
        ws = await open_ws(ocppd.ws_url("CP-TLS-OPEN"), ssl=client_tls(pki))
        try:
            # A broken file first: the certificate in use stays.
            (ocppd.tls_files / "cert.pem").write_text("not a certificate\n")
            ocppd.proc.send_signal(signal.SIGHUP)
            await async_wait_until(lambda: "TLS reload failed" in ocppd.log_tail(), what="the failed reload to be logged")
            assert served_certificate() == original
            shutil.copy(pki / "server-renewed.pem", ocppd.tls_files / "cert.pem")
            shutil.copy(pki / "server-renewed.key", ocppd.tls_files / "key.pem")
            ocppd.proc.send_signal(signal.SIGHUP)
            await async_wait_until(lambda: served_certificate() == renewed, what="new connections to get the renewed certificate")
            await heartbeat_works(ws)  # the connection opened before the reload is still served
        finally:
            await ws.close()

    run(scenario())


@pytest.mark.parametrize(
    "args, mentions",
    [
        (["--tls-cert", "/nonexistent/cert.pem"], "OCPPD_TLS_KEY"),
        (["--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"], "TLS"),
        (["--plain-port", "4999"], "OCPPD_TLS_CERT"),
    ],
)
def test_tls_settings_that_cannot_work_stop_ocppd_with_the_reason(ocppd_bin, tmp_path, args, mentions):
    result = subprocess.run(
        [str(ocppd_bin), "--host", "127.0.0.1", "--port", "0", "--data-dir", str(tmp_path), "--api-token", "t", *args],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode != 0
    assert mentions in result.stdout + result.stderr, result.stdout + result.stderr
