"""The OCPP 1.6 security extension (PRODUCT.md §8): certificates for stations (SignCertificate, the station CA,
pending requests an operator signs), profile 3 with an issued certificate, the seven new commands, and what
stations report (SecurityEventNotification, LogStatusNotification, SignedFirmwareStatusNotification).

Keys, CSRs and chains are made in the test with the `cryptography` package (pki.py); the station CA is a throwaway
one made with `openssl` per module, which also signs ocppd's server certificate and is its --tls-client-ca.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import functools
import json
import re
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from ocpp.routing import on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action

from harness import (
    Peer,
    SseStream,
    assert_callresult,
    assert_problem,
    assert_utc,
    async_wait_until,
    basic_auth,
    connect_peer,
    handshake_refusal,
    heartbeat_works,
    open_ws,
    parse_time,
    quote_id,
    raw_call,
    recv_frame,
    run,
    serve_peer,
    total_count,
    wait_until,
)
from pki import (
    certificates,
    client_tls,
    ec_key,
    key_pem,
    load_certificate,
    make_csr,
    make_station_pki,
    public_der,
    sign_csr,
    with_broken_signature,
)

KEY = "0123456789abcdef0123"
ORG = "ACME Charging"


# REST calls from the scenarios run on a pool of their own: the ocpp library validates payloads in the event loop's
# default executor, which a REST call waiting for the station's answer must never hold.
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="rest")


async def off_loop(fn, *args, **kwargs):
    return await asyncio.get_running_loop().run_in_executor(_POOL, functools.partial(fn, *args, **kwargs))


async def rest(ocppd, method: str, path: str, **kwargs):
    return await off_loop(ocppd.api, method, path, **kwargs)


@pytest.fixture(scope="module")
def station_pki(tmp_path_factory) -> Path:
    return make_station_pki(tmp_path_factory.mktemp("station-pki"))


def ca_ocppd(ocppd_factory, station_pki: Path, *args: str, tls: bool = True):
    """ocppd with `station_pki`'s CA as its station CA and, with `tls`, as its --tls-client-ca on a wss:// port."""
    flags = ["--station-ca-cert", str(station_pki / "ca.pem"), "--station-ca-key", str(station_pki / "ca.key"), *args]
    if tls:
        flags += ["--tls-cert", str(station_pki / "server.pem"), "--tls-key", str(station_pki / "server.key"),
                  "--tls-client-ca", str(station_pki / "ca.pem")]
    return ocppd_factory(*flags, tls_ca=station_pki / "ca.pem" if tls else None)


class CsrPeer(Peer):
    """A charge point that asks for certificates and keeps every chain ocppd sends it (answering Accepted)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.chains: list[str] = []

    @on(Action.certificate_signed)
    def on_certificate_signed(self, certificate_chain, **kwargs):
        self.chains.append(certificate_chain)
        return call_result.CertificateSigned(status="Accepted")

    async def sign(self, csr: str) -> str:
        return (await self.send(call.SignCertificate(csr=csr))).status


def serve(ws, cp_id: str, peer_class: type[Peer] = CsrPeer):
    """serve_peer with a CsrPeer."""
    return serve_peer(ws, cp_id, peer_class=peer_class)


def with_certificate(station_pki: Path, directory: Path, chain: str, key) -> ssl.SSLContext:
    """A client TLS context that trusts the station CA and presents `chain` with `key`."""
    (directory / "issued.pem").write_text(chain)
    (directory / "issued.key").write_bytes(key_pem(key))
    context = client_tls(station_pki)
    context.load_cert_chain(directory / "issued.pem", directory / "issued.key")
    return context


def common_name(name: x509.Name) -> str:
    return name.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


def check_issued(chain: str, key, cn: str, station_pki: Path, days: int) -> x509.Certificate:
    """The chain ocppd issued: a leaf with the CSR's subject and key, signed by the CA, for TLS clients, valid `days`;
    then the CA."""
    certs = certificates(chain)
    ca = load_certificate(station_pki / "ca.pem")
    assert len(certs) >= 2, f"the chain has {len(certs)} certificate(s), expected the leaf and the CA"
    leaf = certs[0]
    assert certs[1] == ca, "the chain's second certificate is not the station CA"
    leaf.verify_directly_issued_by(ca)
    assert common_name(leaf.subject) == cn
    assert public_der(leaf) == public_der(key), "the leaf does not carry the CSR's key"
    usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.CLIENT_AUTH in usages
    expected = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days)
    assert abs(leaf.not_valid_after_utc - expected) < dt.timedelta(days=1), (leaf.not_valid_after_utc, expected)
    return leaf


def bound_certificate(ocppd, cp_id: str) -> dict | None:
    return (ocppd.station(cp_id) or {}).get("certificate")


def check_bound(ocppd, cp_id: str, leaf: x509.Certificate) -> None:
    """GET /api/stations/{cpId} names the leaf: serial in hex without colons, its notAfter."""
    cert = ocppd.station(cp_id)["certificate"]
    serial = cert["serialNumber"]
    assert isinstance(serial, str) and ":" not in serial, serial
    assert int(serial, 16) == leaf.serial_number, (serial, format(leaf.serial_number, "X"))
    assert abs(assert_utc(cert["notAfter"]) - leaf.not_valid_after_utc) < dt.timedelta(seconds=1)


def certificate_requests(ocppd, query: str = "") -> tuple[list[dict], int]:
    resp = ocppd.get(f"/api/certificate-requests{query}")
    assert resp.status_code == 200, resp.text[:300]
    return resp.json(), total_count(resp)


def same_text(a: str, b: str) -> bool:
    return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()


def put_station(ocppd, cp_id: str, **fields) -> None:
    resp = ocppd.put(f"/api/stations/{quote_id(cp_id)}", json=fields)
    assert resp.status_code in (200, 201), f"PUT station {cp_id}: {resp.status_code} {resp.text[:300]}"


async def connected_profile(ocppd, cp_id: str):
    return (await off_loop(ocppd.station, cp_id))["connectedSecurityProfile"]


# ---------------------------------------------------------------------------------------------
# SignCertificate with a station CA
# ---------------------------------------------------------------------------------------------


def test_csr_signed_by_the_station_ca_gives_a_certificate_for_profile_3(ocppd_factory, station_pki, tmp_path):
    ocppd = ca_ocppd(ocppd_factory, station_pki, "--station-cert-days", "30")
    cp_id = "CP-SEC-CSR"
    put_station(ocppd, cp_id, securityProfile=2, authorizationKey=KEY)
    key = ec_key()
    csr = make_csr(key, cp_id)

    async def profile_2():
        ws = await open_ws(ocppd.ws_url(cp_id), headers=basic_auth(cp_id, KEY), ssl=client_tls(station_pki))
        async with serve(ws, cp_id) as cp:
            await cp.boot()
            assert await connected_profile(ocppd, cp_id) == 2
            assert await cp.sign(csr) == "Accepted"
            await async_wait_until(lambda: cp.chains, what="CertificateSigned to reach the station")
            # Bound once the station has accepted the chain.
            await async_wait_until(lambda: bound_certificate(ocppd, cp_id), what="the certificate on the station")
            return list(cp.chains)

    chains = run(profile_2())
    assert len(chains) == 1, chains
    leaf = check_issued(chains[0], key, cp_id, station_pki, days=30)
    check_bound(ocppd, cp_id, leaf)
    listed = wait_until(
        lambda: [r for r in certificate_requests(ocppd, f"?cpId={cp_id}")[0] if r["status"] == "signed"],
        what="the request to be listed as signed",
    )
    assert len(listed) == 1 and listed[0]["cpId"] == cp_id and same_text(listed[0]["csr"], csr)
    context = with_certificate(station_pki, tmp_path, chains[0], key)

    async def profile_3():
        # Still profile 2 in the store: the certificate is stronger than the key and admits the station (2 -> 3).
        ws = await open_ws(ocppd.ws_url(cp_id), ssl=context)
        try:
            await heartbeat_works(ws)
            assert await connected_profile(ocppd, cp_id) == 3
        finally:
            await ws.close()
        await off_loop(put_station, ocppd, cp_id, securityProfile=3)
        ws = await open_ws(ocppd.ws_url(cp_id), ssl=context)
        try:
            await heartbeat_works(ws)
            assert await connected_profile(ocppd, cp_id) == 3
        finally:
            await ws.close()
        # On profile 3 the key alone no longer does.
        key_only = await handshake_refusal(
            ocppd.ws_url(cp_id), headers=basic_auth(cp_id, KEY), ssl=client_tls(station_pki)
        )
        assert key_only.status_code == 401

    run(profile_3())


def test_a_certificate_whose_cn_is_the_serial_number_admits_only_its_own_station(ocppd_factory, station_pki, tmp_path):
    ocppd = ca_ocppd(ocppd_factory, station_pki)
    owner, other, impostor = "CP-SEC-SERIAL", "CP-SEC-OTHER", "CP-SEC-IMPOSTOR"
    put_station(ocppd, other, securityProfile=3)
    key = ec_key()

    async def scenario():
        ws = await open_ws(ocppd.ws_url(owner), ssl=client_tls(station_pki))
        async with serve(ws, owner) as cp:
            await cp.boot(charge_point_serial_number="SN-12345")
            assert await cp.sign(make_csr(key, "SN-12345")) == "Accepted"
            await async_wait_until(lambda: cp.chains, what="CertificateSigned to reach the station")
            await async_wait_until(lambda: bound_certificate(ocppd, owner), what="the certificate on the station")
            chain = cp.chains[0]
        # Reporting another station's identity as one's serial number does not get a certificate in its name.
        ws = await open_ws(ocppd.ws_url(impostor), ssl=client_tls(station_pki))
        async with serve(ws, impostor) as cp:
            await cp.boot(charge_point_serial_number=other)
            assert await cp.sign(make_csr(ec_key(), other)) == "Rejected"
            assert cp.chains == []
        return chain

    chain = run(scenario())
    leaf = check_issued(chain, key, "SN-12345", station_pki, days=365)
    check_bound(ocppd, owner, leaf)
    assert [r["status"] for r in certificate_requests(ocppd, f"?cpId={impostor}")[0]] == ["rejected"]
    put_station(ocppd, owner, securityProfile=3)
    context = with_certificate(station_pki, tmp_path, chain, key)

    async def profile_3():
        ws = await open_ws(ocppd.ws_url(owner), ssl=context)
        try:
            await heartbeat_works(ws)
        finally:
            await ws.close()
        # The certificate is bound to its station: it admits no other identity.
        assert (await handshake_refusal(ocppd.ws_url(other), ssl=context)).status_code == 401

    run(profile_3())


def test_csrs_that_do_not_qualify_are_rejected_and_kept_with_the_reason(ocppd_factory, station_pki):
    ocppd = ca_ocppd(ocppd_factory, station_pki, "--station-cert-organization", ORG, tls=False)
    cp_id = "CP-SEC-REJECT"
    rejected = {
        "wrong CN": make_csr(ec_key(), "CP-SOMEBODY-ELSE", ORG),
        "broken signature": with_broken_signature(make_csr(ec_key(), cp_id, ORG)),
        "RSA 1024": make_csr(rsa.generate_private_key(public_exponent=65537, key_size=1024), cp_id, ORG),
        "garbage": "this is not a certificate request",
        "no organization": make_csr(ec_key(), cp_id),
    }
    key = ec_key()

    async def scenario():
        async with connect_peer(ocppd, cp_id, peer_class=CsrPeer) as cp:
            await cp.boot()
            answers = {name: await cp.sign(csr) for name, csr in rejected.items()}
            assert await cp.sign(make_csr(key, cp_id, ORG)) == "Accepted"
            await async_wait_until(lambda: cp.chains, what="CertificateSigned to reach the station")
            # Connected until ocppd has the station's answer (the chain is kept before the answer goes out).
            await async_wait_until(
                lambda: certificate_requests(ocppd, f"?cpId={cp_id}&status=signed")[1] == 1, what="the signed request")
            return answers, list(cp.chains)

    answers, chains = run(scenario())
    assert answers == {name: "Rejected" for name in rejected}
    # ocppd's CALLs to a station go out in order: had a rejected CSR been signed, its chain would have come first.
    assert len(chains) == 1
    leaf = check_issued(chains[0], key, cp_id, station_pki, days=365)
    assert leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == ORG
    kept, total = certificate_requests(ocppd, f"?cpId={cp_id}&status=rejected")
    assert total == len(rejected) == len(kept)
    for request in kept:
        assert request["status"] == "rejected" and request["cpId"] == cp_id
        assert isinstance(request["reason"], str) and request["reason"].strip(), request
    assert sorted(r["csr"].strip() for r in kept) == sorted(csr.strip() for csr in rejected.values())


# ---------------------------------------------------------------------------------------------
# SignCertificate without a station CA: the operator signs or rejects
# ---------------------------------------------------------------------------------------------


def test_without_a_station_ca_requests_wait_for_the_operator_to_sign_or_reject(ocppd, pki):
    cp_id = "CP-SEC-MANUAL"
    key, second_key, other_key = ec_key(), ec_key(), ec_key()
    first, second = make_csr(key, cp_id), make_csr(second_key, cp_id)
    chain, second_chain = sign_csr(first, pki), sign_csr(second, pki)

    def pending_request(csr: str) -> dict:
        def listed():
            items, _ = certificate_requests(ocppd, f"?cpId={cp_id}&status=pending")
            return [r for r in items if same_text(r["csr"], csr)]

        return wait_until(listed, what="the CSR to be listed pending")[0]

    async def scenario():
        async with connect_peer(ocppd, cp_id, peer_class=CsrPeer) as cp:
            await cp.boot()
            assert await cp.sign(first) == "Accepted"
            request = await off_loop(pending_request, first)
            assert {"id", "cpId", "csr", "status", "receivedAt"} <= set(request)
            assert (request["cpId"], request["status"]) == (cp_id, "pending")
            assert_utc(request["receivedAt"])
            assert cp.chains == []  # nothing is signed until the operator does

            path = f"/api/certificate-requests/{request['id']}"
            signed = await rest(ocppd, "POST", f"{path}/sign", json={"certificateChain": chain})
            assert signed.status_code == 200, signed.text[:300]
            assert signed.json() == {"status": "Accepted"}
            assert cp.chains == [chain]
            await async_wait_until(
                lambda: [r for r in certificate_requests(ocppd, f"?cpId={cp_id}")[0]
                         if r["id"] == request["id"] and r["status"] == "signed"],
                what="the request to be signed",
            )
            assert_problem(await rest(ocppd, "POST", f"{path}/sign", json={"certificateChain": chain}), 409)

            assert await cp.sign(second) == "Accepted"
            pending = await off_loop(pending_request, second)
            path = f"/api/certificate-requests/{pending['id']}"
            assert_problem(await rest(ocppd, "POST", f"{path}/sign", json={"certificateChain": "not a chain"}), 400)
            wrong_key = sign_csr(make_csr(other_key, cp_id), pki)
            assert_problem(await rest(ocppd, "POST", f"{path}/sign", json={"certificateChain": wrong_key}), 400)
            refused = await rest(ocppd, "POST", f"{path}/reject", json={})
            assert refused.status_code == 200, refused.text[:300]
            assert refused.json()["status"] == "rejected" and refused.json()["id"] == pending["id"]
            assert_problem(await rest(ocppd, "POST", f"{path}/reject", json={}), 409)
            assert_problem(await rest(ocppd, "POST", f"{path}/sign", json={"certificateChain": second_chain}), 409)
            for action, body in (("sign", {"certificateChain": chain}), ("reject", {})):
                unknown = await rest(ocppd, "POST", f"/api/certificate-requests/999999999/{action}", json=body)
                assert_problem(unknown, 404)

            # A CSR that does not parse is Rejected without a CA too.
            assert await cp.sign("this is not a certificate request") == "Rejected"
            return list(cp.chains)

    chains = run(scenario())
    assert chains == [chain]
    leaf = certificates(chain)[0]
    wait_until(lambda: bound_certificate(ocppd, cp_id), what="the certificate on the station")
    check_bound(ocppd, cp_id, leaf)
    items, total = certificate_requests(ocppd, f"?cpId={cp_id}")
    assert total == 3
    assert [r["status"] for r in items] == ["rejected", "rejected", "signed"]  # newest first
    assert items[0]["reason"]
    page, total = certificate_requests(ocppd, f"?cpId={cp_id}&limit=1&offset=2")
    assert total == 3 and [r["id"] for r in page] == [items[2]["id"]]


# ---------------------------------------------------------------------------------------------
# The seven commands
# ---------------------------------------------------------------------------------------------


class SecurityCommandsPeer(Peer):
    """Answers the security extension's commands with canned answers and records every CALL as it came (camelCase)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.received: list[tuple[str, dict]] = []

    async def _handle_call(self, msg):
        self.received.append((msg.action, msg.payload))
        return await super()._handle_call(msg)

    @on(Action.certificate_signed)
    def on_certificate_signed(self, **kwargs):
        return call_result.CertificateSigned(status="Rejected")

    @on(Action.delete_certificate)
    def on_delete_certificate(self, **kwargs):
        return call_result.DeleteCertificate(status="NotFound")

    @on(Action.extended_trigger_message)
    def on_extended_trigger_message(self, **kwargs):
        return call_result.ExtendedTriggerMessage(status="Accepted")

    @on(Action.get_installed_certificate_ids)
    def on_get_installed_certificate_ids(self, **kwargs):
        return call_result.GetInstalledCertificateIds(
            status="Accepted",
            certificate_hash_data=[{"hash_algorithm": "SHA256", "issuer_name_hash": "a1" * 32,
                                    "issuer_key_hash": "b2" * 32, "serial_number": "1A2B3C"}],
        )

    @on(Action.get_log)
    def on_get_log(self, **kwargs):
        return call_result.GetLog(status="Accepted", filename="security.log")

    @on(Action.install_certificate)
    def on_install_certificate(self, **kwargs):
        return call_result.InstallCertificate(status="Accepted")

    @on(Action.signed_update_firmware)
    def on_signed_update_firmware(self, **kwargs):
        return call_result.SignedUpdateFirmware(status="InvalidCertificate")


_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def normalized(value):
    """A payload with its date-times as instants (ocppd may write `...00Z` as `...00.000Z`)."""
    if isinstance(value, dict):
        return {k: normalized(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalized(v) for v in value]
    if isinstance(value, str) and _DATE_TIME.fullmatch(value):
        return parse_time(value)
    return value


def test_every_security_command_reaches_the_station_and_returns_its_answer(ocppd, station_pki):
    cp_id = "CP-SEC-COMMANDS"
    pem = (station_pki / "ca.pem").read_text()
    hash_data = {"hashAlgorithm": "SHA256", "issuerNameHash": "c3" * 32, "issuerKeyHash": "d4" * 32,
                 "serialNumber": "0F1E2D"}
    firmware = {"location": "https://127.0.0.1/fw.bin", "retrieveDateTime": "2099-01-01T00:00:00Z",
                "signingCertificate": pem, "signature": "c2lnbmF0dXJl"}
    # (REST command, body, OCPP action, the station's answer as JSON)
    commands = [
        ("certificate-signed", {"certificateChain": pem}, "CertificateSigned", {"status": "Rejected"}),
        ("delete-certificate", {"certificateHashData": hash_data}, "DeleteCertificate", {"status": "NotFound"}),
        ("extended-trigger-message", {"requestedMessage": "SignChargePointCertificate"}, "ExtendedTriggerMessage",
         {"status": "Accepted"}),
        ("extended-trigger-message", {"requestedMessage": "StatusNotification", "connectorId": 1},
         "ExtendedTriggerMessage", {"status": "Accepted"}),
        ("get-installed-certificate-ids", {"certificateType": "CentralSystemRootCertificate"},
         "GetInstalledCertificateIds",
         {"status": "Accepted", "certificateHashData": [{"hashAlgorithm": "SHA256", "issuerNameHash": "a1" * 32,
                                                         "issuerKeyHash": "b2" * 32, "serialNumber": "1A2B3C"}]}),
        ("get-log", {"log": {"remoteLocation": "ftp://127.0.0.1/logs"}, "logType": "SecurityLog"}, "GetLog",
         {"status": "Accepted", "filename": "security.log"}),
        ("get-log", {"log": {"remoteLocation": "ftp://127.0.0.1/logs", "oldestTimestamp": "2026-01-01T00:00:00Z"},
                     "logType": "DiagnosticsLog", "requestId": 42, "retries": 2}, "GetLog",
         {"status": "Accepted", "filename": "security.log"}),
        ("install-certificate", {"certificateType": "ManufacturerRootCertificate", "certificate": pem},
         "InstallCertificate", {"status": "Accepted"}),
        ("signed-update-firmware", {"firmware": firmware, "retryInterval": 30}, "SignedUpdateFirmware",
         {"status": "InvalidCertificate"}),
    ]
    invalid = [
        ("extended-trigger-message", {"requestedMessage": "Nope"}),
        ("install-certificate", {"certificateType": "ManufacturerRootCertificate"}),
        ("delete-certificate", {"certificateHashData": {**hash_data, "hashAlgorithm": "MD5"}}),
    ]

    async def scenario():
        async with connect_peer(ocppd, cp_id, peer_class=SecurityCommandsPeer) as cp:
            await cp.boot()
            # Invalid by the schema: 400 and nothing sent (the valid commands after them are all the station gets).
            for command, body in invalid:
                assert_problem(await rest(ocppd, "POST", f"/api/admin/{cp_id}/{command}", json=body), 400)
            for command, body, _, expected in commands:
                resp = await rest(ocppd, "POST", f"/api/admin/{cp_id}/{command}", json=body)
                assert resp.status_code == 200, f"{command}: {resp.status_code} {resp.text[:500]}"
                assert resp.json() == expected, command
            return list(cp.received)

    received = run(scenario())
    assert [action for action, _ in received] == [action for _, _, action, _ in commands]
    for (command, body, _, _), (_, payload) in zip(commands, received):
        if command in ("get-log", "signed-update-firmware") and "requestId" not in body:
            # The central system's to allocate when omitted.
            assert isinstance(payload.get("requestId"), int), f"{command}: no integer requestId in {payload}"
            payload = {k: v for k, v in payload.items() if k != "requestId"}
        assert normalized(payload) == normalized(body), command


# ---------------------------------------------------------------------------------------------
# Schema violations in both directions
# ---------------------------------------------------------------------------------------------


def test_invalid_security_messages_get_callerror_and_an_invalid_answer_gets_502(ocppd):
    cp_id = "CP-SEC-SCHEMA"

    async def scenario():
        ws = await open_ws(ocppd.ws_url(cp_id))
        try:
            boot = {"chargePointVendor": "ACME", "chargePointModel": "Raw"}
            assert_callresult(await raw_call(ws, "BootNotification", boot))
            for action, payload in (
                ("SecurityEventNotification", {"type": "TamperDetectionActivated"}),  # no timestamp
                ("SecurityEventNotification", {"type": "X" * 51, "timestamp": "2026-01-01T00:00:00Z"}),
                ("SecurityEventNotification", {"type": "StartupOfTheDevice", "timestamp": "yesterday"}),
                ("LogStatusNotification", {"status": "Maybe", "requestId": 1}),
                ("SignedFirmwareStatusNotification", {"requestId": 1}),  # no status
                ("SignCertificate", {}),  # no csr
            ):
                reply = await raw_call(ws, action, payload)
                assert reply[0] == 4, f"{action} {payload}: expected CALLERROR, got {reply}"
            valid = {"type": "StartupOfTheDevice", "timestamp": "2026-01-01T00:00:00Z"}
            assert assert_callresult(await raw_call(ws, "SecurityEventNotification", valid)) == {}

            # The station answers a command with a payload its schema does not allow: 502.
            get_log = {"log": {"remoteLocation": "ftp://127.0.0.1/"}, "logType": "SecurityLog"}
            task = asyncio.create_task(rest(ocppd, "POST", f"/api/admin/{cp_id}/get-log", json=get_log))
            frame = await recv_frame(ws)
            assert frame[0] == 2 and frame[2] == "GetLog", frame
            await ws.send(json.dumps([3, frame[1], {"status": "Maybe"}]))
            assert_problem(await task, 502)
        finally:
            await ws.close()

    run(scenario())
    events = ocppd.get(f"/api/stations/{cp_id}/security-events")
    assert events.status_code == 200 and total_count(events) == 1
    assert [e["type"] for e in events.json()] == ["StartupOfTheDevice"]
    station = ocppd.station(cp_id)
    assert station.get("logStatus") is None and station.get("firmwareStatus") is None
    assert certificate_requests(ocppd, f"?cpId={cp_id}")[1] == 0


# ---------------------------------------------------------------------------------------------
# What stations report
# ---------------------------------------------------------------------------------------------


def whole_seconds(offset: float) -> str:
    t = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(seconds=offset)
    return t.isoformat().replace("+00:00", "Z")


def test_security_events_are_stored_streamed_listed_and_critical_ones_logged(ocppd):
    cp_id = "CP-SEC-EVENTS"
    # Sent in this order, but the second happened first: lists go by the station's timestamp.
    tamper = ("TamperDetectionActivated", whole_seconds(-60), "lid opened")
    invalid = ("InvalidMessages", whole_seconds(-120), None)

    async def scenario():
        stream = await SseStream.open(ocppd, f"/api/events?cpId={cp_id}")
        try:
            async with connect_peer(ocppd, cp_id) as cp:
                await cp.boot()
                for event_type, timestamp, tech_info in (tamper, invalid):
                    await cp.send(
                        call.SecurityEventNotification(type=event_type, timestamp=timestamp, tech_info=tech_info)
                    )
                return [await stream.next_of_type("security.event") for _ in range(2)]
        finally:
            await stream.close()

    streamed = run(scenario())
    for data, (event_type, timestamp, tech_info) in zip(streamed, (tamper, invalid)):
        assert data["type"] == "security.event" and data["cpId"] == cp_id
        assert data["eventType"] == event_type
        assert parse_time(data["timestamp"]) == parse_time(timestamp)
        assert data.get("techInfo") == tech_info
        assert_utc(data["at"])

    resp = ocppd.get(f"/api/stations/{cp_id}/security-events")
    assert resp.status_code == 200 and total_count(resp) == 2
    listed = resp.json()
    assert [e["type"] for e in listed] == ["TamperDetectionActivated", "InvalidMessages"]
    assert [parse_time(e["timestamp"]) for e in listed] == [parse_time(tamper[1]), parse_time(invalid[1])]
    assert listed[0]["techInfo"] == "lid opened" and listed[1].get("techInfo") is None
    for event in listed:
        assert_utc(event["timestamp"])
        assert_utc(event["receivedAt"])
    for offset, expected in ((0, "TamperDetectionActivated"), (1, "InvalidMessages")):
        page = ocppd.get(f"/api/stations/{cp_id}/security-events?limit=1&offset={offset}")
        assert total_count(page) == 2 and [e["type"] for e in page.json()] == [expected]
    assert_problem(ocppd.get("/api/stations/CP-NOBODY/security-events"), 404)

    everyone = ocppd.get(f"/api/security-events?cpId={cp_id}")
    assert everyone.status_code == 200 and total_count(everyone) == 2
    assert [(e["cpId"], e["type"]) for e in everyone.json()] == [
        (cp_id, "TamperDetectionActivated"), (cp_id, "InvalidMessages")
    ]

    def critical_logged():
        return [line for line in ocppd.log_text().splitlines()
                if " warning " in line and "TamperDetectionActivated" in line and cp_id in line]

    wait_until(critical_logged, timeout=5, what="the critical security event logged at warning level")


def test_log_and_signed_firmware_status_notifications_are_kept_on_the_station(ocppd):
    cp_id = "CP-SEC-STATUS"

    async def scenario():
        async with connect_peer(ocppd, cp_id) as cp:
            await cp.boot()
            await cp.send(call.LogStatusNotification(status="Uploading", request_id=7))
            await cp.send(call.SignedFirmwareStatusNotification(status="SignatureVerified", request_id=9))

    run(scenario())
    station = ocppd.station(cp_id)
    assert (station["logStatus"], station["logRequestId"]) == ("Uploading", 7)
    assert (station["firmwareStatus"], station["firmwareRequestId"]) == ("SignatureVerified", 9)
