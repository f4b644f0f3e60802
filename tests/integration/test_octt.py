"""The OCA compliance test tool's (OCTT) OCPP 1.6J cases for a central system, as our own tests: one test per case,
named after its id, in the order of the tool's test case document ("Test case document OCTT for OCPP 1.6",
chapter 3, System Under Test Central System; 77 cases with TC_083 and TC_088 of the 2025 edition). docs/COMPLIANCE.md
lists every case with its test.

Each test plays the tool: `Tool` is the tool's simulated charge point (the `ocpp` library, which holds every message
both ways to the OCPP 1.6 schemas), it runs the case's steps, and checks what the tool checks: the central system's
answers, and the fields of the requests the operator makes it send. The operator's step in the tool's flow ("Execute
RemoteStartTransaction") is a REST command here (`op`). Where the case leaves a trace in ocppd (a session, a
reservation's status, a firmware status) the test checks that too. One ocppd serves a whole module, as the tool tests
one running central system; each case has its own charge point identity and idTags.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from ocpp.routing import on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action

from harness import (
    DEFAULT_TOKEN,
    Ocppd,
    Peer,
    async_wait_until,
    basic_auth,
    energy_sample,
    free_port,
    handshake_refusal,
    iso_now,
    open_ws,
    parse_time,
    quote_id,
    run,
    serve_peer,
)
from pki import certificates, client_tls, ec_key, key_pem, make_csr, make_station_pki, public_der, sign_csr

HEARTBEAT_INTERVAL = 300
CONNECTOR = 1  # the tool's <Configured connectorId>; its charge point has one connector
KEY = "0123456789abcdef0123"  # an AuthorizationKey (security profiles 1 and 2)
FIRMWARE = "https://firmware.example.com/octt/firmware-2.0.bin"
UPLOADS = "ftp://octt:octt@uploads.example.com/"


# ---------------------------------------------------------------------------------------------
# The central system under test: one per module, as the tool tests one
# ---------------------------------------------------------------------------------------------


def start_csms(ocppd_bin: Path, workdir: Path, *args: str, tls_ca: Path | None = None) -> Ocppd:
    csms = Ocppd(ocppd_bin, workdir, name="csms", args=["--heartbeat-interval", str(HEARTBEAT_INTERVAL), *args],
                 token=DEFAULT_TOKEN, tls_ca=tls_ca)
    return csms.start()


@pytest.fixture(scope="module")
def csms(ocppd_bin, tmp_path_factory):
    ocppd = start_csms(ocppd_bin, tmp_path_factory.mktemp("octt-csms"))
    yield ocppd
    ocppd.stop()


@pytest.fixture(scope="module")
def station_pki(tmp_path_factory) -> Path:
    return make_station_pki(tmp_path_factory.mktemp("octt-pki"))


@pytest.fixture(scope="module")
def secure_csms(ocppd_bin, tmp_path_factory, station_pki):
    """TLS on its port (profiles 2 and 3), a plain port beside it (profiles 0 and 1), and a station CA that signs
    the stations' CSRs and is the CA of their client certificates."""
    plain = free_port()
    ocppd = start_csms(
        ocppd_bin, tmp_path_factory.mktemp("octt-secure-csms"),
        "--tls-cert", str(station_pki / "server.pem"), "--tls-key", str(station_pki / "server.key"),
        "--tls-client-ca", str(station_pki / "ca.pem"), "--plain-port", str(plain),
        "--station-ca-cert", str(station_pki / "ca.pem"), "--station-ca-key", str(station_pki / "ca.key"),
        tls_ca=station_pki / "ca.pem",
    )
    ocppd.plain_port = plain
    yield ocppd
    ocppd.stop()


@pytest.fixture(autouse=True)
def _logs_on_failure(request):
    """A failing case shows the module's ocppd log (conftest adds the logs of `_ocppd_instances`)."""
    request.node._ocppd_instances = [
        request.getfixturevalue(name) for name in ("csms", "secure_csms") if name in request.fixturenames
    ]


def case_id(request) -> str:
    """OCTT-TC_003 for test_tc_003_...: the charge point identity of a case."""
    parts = request.node.name.split("_")
    number = [parts[2]] + ([parts[3]] if parts[3].isdigit() else [])
    return "OCTT-TC_" + "_".join(number)


def tag(csms: Ocppd, name: str, **fields) -> str:
    """An idTag the central system knows (Accepted unless `fields` say otherwise)."""
    csms.create_tag(name, **fields)
    return name


# ---------------------------------------------------------------------------------------------
# The tool's charge point
# ---------------------------------------------------------------------------------------------


class Tool(Peer):
    """The tool's simulated charge point: answers every central-system request (with `answers[action]`, else the
    answer of a charger that does what it is asked) and keeps each request as it came (camelCase)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.received: list[tuple[str, dict]] = []
        self.answers: dict[str, dict] = {}

    async def _handle_call(self, msg):
        self.received.append((msg.action, msg.payload))
        return await super()._handle_call(msg)

    def last(self, action: str) -> dict:
        """The last request of `action` the central system sent."""
        sent = [payload for name, payload in self.received if name == action]
        assert sent, f"the central system sent no {action}; it sent {[name for name, _ in self.received]}"
        return sent[-1]

    def _answer(self, action: str, **default):
        return getattr(call_result, action)(**self.answers.get(action, default))

    @on(Action.cancel_reservation)
    def _cancel_reservation(self, **_):
        return self._answer("CancelReservation", status="Accepted")

    @on(Action.change_availability)
    def _change_availability(self, **_):
        return self._answer("ChangeAvailability", status="Accepted")

    @on(Action.change_configuration)
    def _change_configuration(self, **_):
        return self._answer("ChangeConfiguration", status="Accepted")

    @on(Action.clear_cache)
    def _clear_cache(self, **_):
        return self._answer("ClearCache", status="Accepted")

    @on(Action.clear_charging_profile)
    def _clear_charging_profile(self, **_):
        return self._answer("ClearChargingProfile", status="Accepted")

    @on(Action.get_composite_schedule)
    def _get_composite_schedule(self, **_):
        return self._answer("GetCompositeSchedule", status="Rejected")

    @on(Action.get_configuration)
    def _get_configuration(self, **_):
        return self._answer("GetConfiguration", configuration_key=[], unknown_key=[])

    @on(Action.get_diagnostics)
    def _get_diagnostics(self, **_):
        return self._answer("GetDiagnostics", file_name="diagnostics.zip")

    @on(Action.get_local_list_version)
    def _get_local_list_version(self, **_):
        return self._answer("GetLocalListVersion", list_version=0)

    @on(Action.remote_start_transaction)
    def _remote_start_transaction(self, **_):
        return self._answer("RemoteStartTransaction", status="Accepted")

    @on(Action.remote_stop_transaction)
    def _remote_stop_transaction(self, **_):
        return self._answer("RemoteStopTransaction", status="Accepted")

    @on(Action.reserve_now)
    def _reserve_now(self, **_):
        return self._answer("ReserveNow", status="Accepted")

    @on(Action.reset)
    def _reset(self, **_):
        return self._answer("Reset", status="Accepted")

    @on(Action.send_local_list)
    def _send_local_list(self, **_):
        return self._answer("SendLocalList", status="Accepted")

    @on(Action.set_charging_profile)
    def _set_charging_profile(self, **_):
        return self._answer("SetChargingProfile", status="Accepted")

    @on(Action.trigger_message)
    def _trigger_message(self, **_):
        return self._answer("TriggerMessage", status="Accepted")

    @on(Action.unlock_connector)
    def _unlock_connector(self, **_):
        return self._answer("UnlockConnector", status="Unlocked")

    @on(Action.update_firmware)
    def _update_firmware(self, **_):
        return self._answer("UpdateFirmware")

    @on(Action.certificate_signed)
    def _certificate_signed(self, **_):
        return self._answer("CertificateSigned", status="Accepted")

    @on(Action.delete_certificate)
    def _delete_certificate(self, **_):
        return self._answer("DeleteCertificate", status="Accepted")

    @on(Action.extended_trigger_message)
    def _extended_trigger_message(self, **_):
        return self._answer("ExtendedTriggerMessage", status="Accepted")

    @on(Action.get_installed_certificate_ids)
    def _get_installed_certificate_ids(self, **_):
        return self._answer("GetInstalledCertificateIds", status="NotFound")

    @on(Action.get_log)
    def _get_log(self, **_):
        return self._answer("GetLog", status="Accepted", filename="security.log")

    @on(Action.install_certificate)
    def _install_certificate(self, **_):
        return self._answer("InstallCertificate", status="Accepted")

    @on(Action.signed_update_firmware)
    def _signed_update_firmware(self, **_):
        return self._answer("SignedUpdateFirmware", status="Accepted")

    # The tool's reusable states and steps; each checks what the tool checks.

    async def booted(self, **fields) -> None:
        """Booted: BootNotification Accepted, then Available for the charge point and its connector."""
        answer = await self.boot(vendor="OCTT", model="OCTT-CP", **fields)
        assert answer.status == "Accepted" and answer.interval == HEARTBEAT_INTERVAL, answer
        parse_time(answer.current_time)
        for connector in (0, CONNECTOR):
            await self.status(connector, "Available")

    async def authorized(self, id_tag: str, expected: str = "Accepted") -> dict:
        """Authorized: Authorize with `id_tag`, idTagInfo.status checked."""
        info = (await self.send(call.Authorize(id_tag=id_tag))).id_tag_info
        assert info["status"] == expected, info
        return info

    async def start_session(self, id_tag: str, expected: str = "Accepted", meter_start: int = 1000, **kw) -> int:
        """StartTransaction, idTagInfo.status checked; the transaction id."""
        answer = await self.start_tx(CONNECTOR, id_tag, meter_start, **kw)
        assert answer.id_tag_info["status"] == expected, answer.id_tag_info
        assert answer.transaction_id > 0
        return answer.transaction_id

    async def charging(self, id_tag: str, **kw) -> int:
        """Charging: Authorized, Preparing, StartTransaction (Accepted), Charging; the transaction id."""
        await self.authorized(id_tag)
        await self.status(CONNECTOR, "Preparing")
        transaction_id = await self.start_session(id_tag, **kw)
        await self.status(CONNECTOR, "Charging")
        return transaction_id

    async def stop_session(self, transaction_id: int, reason: str, meter_stop: int = 5000, **kw) -> None:
        answer = await self.stop_tx(transaction_id, meter_stop, reason=reason, **kw)
        assert answer.id_tag_info is None or answer.id_tag_info["status"] == "Accepted", answer


@contextlib.asynccontextmanager
async def tool(csms: Ocppd, cp_id: str, *, boot: bool = True, ws=None, **boot_fields):
    """The tool's charge point connected (on `ws` when given: TLS, credentials) and, with `boot`, Booted (its
    BootNotification with `boot_fields`)."""
    if ws is None:
        ws = await open_ws(csms.ws_url(cp_id))
    assert ws.subprotocol == "ocpp1.6"
    async with serve_peer(ws, cp_id, peer_class=Tool) as cp:
        if boot:
            await cp.booted(**boot_fields)
        yield cp


async def op(csms: Ocppd, cp: Tool, command: str, body: dict | None = None) -> dict:
    """The operator makes the central system send a request (a REST command); the charge point's answer."""
    resp = await csms.aapi("POST", f"/api/admin/{quote_id(cp.id)}/{command}", json=body or {})
    assert resp.status_code == 200, resp.text
    return resp.json()


def session(csms: Ocppd, transaction_id: int) -> dict:
    found = csms.session(transaction_id)
    assert found is not None, transaction_id
    return found


def connector(csms: Ocppd, cp_id: str) -> dict:
    found = csms.connector(cp_id, CONNECTOR)
    assert found is not None, cp_id
    return found


def assert_no_session(csms: Ocppd, cp_id: str) -> None:
    """The connector went back to Available and no session was recorded."""
    assert connector(csms, cp_id)["status"] == "Available"
    assert csms.get(f"/api/sessions?cpId={quote_id(cp_id)}").json() == []


def reservation(csms: Ocppd, reservation_id: int) -> dict:
    return next(r for r in csms.get("/api/reservations?limit=1000").json() if r["reservationId"] == reservation_id)


def in_seconds(seconds: float) -> str:
    return iso_now(seconds)


# ---------------------------------------------------------------------------------------------
# 3.1-3.3 Booting, charging sessions, the authorization cache
# ---------------------------------------------------------------------------------------------


def test_tc_001_cold_boot_charge_point(csms, request):
    cp_id = case_id(request)

    async def case():
        async with tool(csms, cp_id) as cp:
            heartbeat = await cp.send(call.Heartbeat())
            return parse_time(heartbeat.current_time), csms.station(cp_id)

    now, station = run(case())
    assert abs((now - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 60
    assert station["registrationStatus"] == "Accepted" and station["vendor"] == "OCTT" and station["connected"]
    assert [(c["connectorId"], c["status"]) for c in station["connectors"]] == [(0, "Available"), (1, "Available")]


def test_tc_003_regular_charging_session_plugin_first(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            await cp.status(CONNECTOR, "Preparing")
            await cp.authorized(id_tag)
            transaction_id = await cp.start_session(id_tag)
            await cp.status(CONNECTOR, "Charging")
            return transaction_id

    transaction_id = run(case())
    recorded = session(csms, transaction_id)
    assert (recorded["cpId"], recorded["connectorId"], recorded["idTag"], recorded["active"]) == (cp_id, 1, id_tag, True)
    assert connector(csms, cp_id)["status"] == "Charging"


def test_tc_004_1_regular_charging_session_identification_first(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            return await cp.charging(id_tag)

    assert session(csms, run(case()))["active"]


def test_tc_004_2_regular_charging_session_identification_first_connection_timeout(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            await cp.authorized(id_tag)
            await cp.status(CONNECTOR, "Preparing")
            await cp.status(CONNECTOR, "Available")  # ConnectionTimeOut: no cable plugged in

    run(case())
    assert_no_session(csms, cp_id)


def test_tc_005_1_ev_side_disconnected(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            transaction_id = await cp.charging(id_tag)
            await cp.status(CONNECTOR, "SuspendedEV")
            await cp.stop_session(transaction_id, "EVDisconnected")
            await cp.status(CONNECTOR, "Finishing")
            await cp.status(CONNECTOR, "Available")
            return transaction_id

    recorded = session(csms, run(case()))
    assert (recorded["active"], recorded["stopReason"], recorded["energyWh"]) == (False, "EVDisconnected", 4000)


def test_tc_007_regular_start_charging_session_cached_id(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            await cp.status(CONNECTOR, "Preparing")
            transaction_id = await cp.start_session(id_tag)  # from the charger's cache: no Authorize
            await cp.status(CONNECTOR, "Charging")
            return transaction_id

    assert session(csms, run(case()))["idTag"] == id_tag


def test_tc_061_clear_authorization_data_in_authorization_cache(csms, request):
    async def case():
        async with tool(csms, case_id(request)) as cp:
            assert await op(csms, cp, "clear-cache") == {"status": "Accepted"}
            return cp.last("ClearCache")

    assert run(case()) == {}


# ---------------------------------------------------------------------------------------------
# 3.4 Remote start and stop, 3.5 Reset, 3.6 Unlock connector
# ---------------------------------------------------------------------------------------------


def test_tc_010_remote_start_charging_session_cable_plugged_in_first(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            await cp.status(CONNECTOR, "Preparing")
            assert await op(csms, cp, "start-transaction", {"idTag": id_tag, "connectorId": CONNECTOR}) == {"status": "Accepted"}
            assert cp.last("RemoteStartTransaction") == {"idTag": id_tag, "connectorId": CONNECTOR}
            await cp.authorized(id_tag)
            transaction_id = await cp.start_session(id_tag)
            await cp.status(CONNECTOR, "Charging")
            return transaction_id

    assert session(csms, run(case()))["active"]


def test_tc_011_1_remote_start_charging_session_remote_start_first(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            assert await op(csms, cp, "start-transaction", {"idTag": id_tag, "connectorId": CONNECTOR}) == {"status": "Accepted"}
            assert cp.last("RemoteStartTransaction")["idTag"] == id_tag
            await cp.authorized(id_tag)
            await cp.status(CONNECTOR, "Preparing")
            transaction_id = await cp.start_session(id_tag)
            await cp.status(CONNECTOR, "Charging")
            return transaction_id

    assert session(csms, run(case()))["idTag"] == id_tag


def test_tc_011_2_remote_start_charging_session_time_out(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            assert await op(csms, cp, "start-transaction", {"idTag": id_tag}) == {"status": "Accepted"}
            await cp.authorized(id_tag)
            await cp.status(CONNECTOR, "Preparing")
            await cp.status(CONNECTOR, "Available")  # no cable within ConnectionTimeOut

    run(case())
    assert_no_session(csms, cp_id)


def test_tc_012_remote_stop_charging_session(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            transaction_id = await cp.charging(id_tag)
            assert await op(csms, cp, "stop-transaction", {"transactionId": transaction_id}) == {"status": "Accepted"}
            assert cp.last("RemoteStopTransaction") == {"transactionId": transaction_id}
            await cp.stop_session(transaction_id, "Remote")
            await cp.status(CONNECTOR, "Finishing")
            await cp.status(CONNECTOR, "Available")
            return transaction_id

    recorded = session(csms, run(case()))
    assert (recorded["active"], recorded["stopReason"]) == (False, "Remote")


def reset_case(csms: Ocppd, cp_id: str, kind: str) -> None:
    async def case():
        async with tool(csms, cp_id) as cp:
            assert await op(csms, cp, "reset", {"type": kind}) == {"status": "Accepted"}
            assert cp.last("Reset") == {"type": kind}
        # The charge point reboots: a new connection, BootNotification Accepted, every connector Available.
        async with tool(csms, cp_id):
            pass

    run(case())
    assert csms.station(cp_id)["registrationStatus"] == "Accepted"


def test_tc_013_hard_reset(csms, request):
    reset_case(csms, case_id(request), "Hard")


def test_tc_014_soft_reset(csms, request):
    reset_case(csms, case_id(request), "Soft")


def unlock_case(csms: Ocppd, cp_id: str, answer: str, connector_id: int = CONNECTOR) -> None:
    async def case():
        async with tool(csms, cp_id) as cp:
            cp.answers["UnlockConnector"] = {"status": answer}
            assert await op(csms, cp, "unlock-connector", {"connectorId": connector_id}) == {"status": answer}
            assert cp.last("UnlockConnector") == {"connectorId": connector_id}

    run(case())


def test_tc_017_1_unlock_connector_no_charging_session_running_not_fixed_cable(csms, request):
    unlock_case(csms, case_id(request), "Unlocked")


def test_tc_017_2_unlock_connector_no_charging_session_running_fixed_cable(csms, request):
    unlock_case(csms, case_id(request), "NotSupported")


def test_tc_018_1_unlock_connector_with_charging_session_not_fixed_cable(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            transaction_id = await cp.charging(id_tag)
            assert await op(csms, cp, "unlock-connector", {"connectorId": CONNECTOR}) == {"status": "Unlocked"}
            await cp.status(CONNECTOR, "Finishing")
            await cp.stop_session(transaction_id, "UnlockCommand")
            await cp.status(CONNECTOR, "Available")
            return transaction_id

    recorded = session(csms, run(case()))
    assert (recorded["active"], recorded["stopReason"]) == (False, "UnlockCommand")


# ---------------------------------------------------------------------------------------------
# 3.7 Configuration, 3.8-3.10 what is refused, 3.11 power failure, 3.12 offline, 3.13 configuration keys
# ---------------------------------------------------------------------------------------------

CONFIGURATION = [
    {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
    {"key": "MeterValueSampleInterval", "readonly": False, "value": "30"},
    {"key": "NumberOfConnectors", "readonly": True, "value": "1"},
    {"key": "SupportedFeatureProfiles", "readonly": True,
     "value": "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger"},
    {"key": "LocalAuthListEnabled", "readonly": False, "value": "true"},
    {"key": "ChargeProfileMaxStackLevel", "readonly": True, "value": "10"},
]


def test_tc_019_1_retrieve_all_configuration_keys(csms, request):
    cp_id = case_id(request)

    async def case():
        async with tool(csms, cp_id) as cp:
            cp.answers["GetConfiguration"] = {"configuration_key": CONFIGURATION}
            answer = await op(csms, cp, "get-configuration")
            assert not cp.last("GetConfiguration").get("key"), "all keys: key empty or left out"
            return answer

    assert run(case())["configurationKey"] == CONFIGURATION
    assert {c["key"]: c["value"] for c in csms.station(cp_id)["configuration"]} == {c["key"]: c["value"] for c in CONFIGURATION}


def test_tc_019_2_retrieve_specific_configuration_key(csms, request):
    async def case():
        async with tool(csms, case_id(request)) as cp:
            cp.answers["GetConfiguration"] = {"configuration_key": CONFIGURATION[3:4], "unknown_key": []}
            answer = await op(csms, cp, "get-configuration", {"key": ["SupportedFeatureProfiles"]})
            assert cp.last("GetConfiguration") == {"key": ["SupportedFeatureProfiles"]}
            return answer

    assert run(case()) == {"configurationKey": CONFIGURATION[3:4], "unknownKey": []}


def test_tc_021_change_set_configuration(csms, request):
    cp_id = case_id(request)

    async def case():
        async with tool(csms, cp_id) as cp:
            body = {"key": "MeterValueSampleInterval", "value": "60"}
            assert await op(csms, cp, "change-configuration", body) == {"status": "Accepted"}
            assert cp.last("ChangeConfiguration") == body

    run(case())
    assert {"key": "MeterValueSampleInterval", "value": "60"}.items() <= next(
        c for c in csms.station(cp_id)["configuration"] if c["key"] == "MeterValueSampleInterval").items()


def authorize_case(csms: Ocppd, cp_id: str, id_tag: str, expected: str) -> None:
    async def case():
        async with tool(csms, cp_id) as cp:
            await cp.authorized(id_tag, expected)

    run(case())


def test_tc_023_1_start_charging_session_authorize_invalid(csms, request):
    authorize_case(csms, case_id(request), "OCTT-UNKNOWN-TAG", "Invalid")


def test_tc_023_2_start_charging_session_authorize_expired(csms, request):
    cp_id = case_id(request)
    authorize_case(csms, cp_id, tag(csms, cp_id, expiryDate="2020-01-01T00:00:00Z"), "Expired")


def test_tc_023_3_start_charging_session_authorize_blocked(csms, request):
    cp_id = case_id(request)
    blocked = tag(csms, cp_id)
    assert csms.post(f"/api/rfid/{quote_id(blocked)}/block").status_code == 200
    authorize_case(csms, cp_id, blocked, "Blocked")


def test_tc_024_start_charging_session_lock_failure(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            await cp.authorized(id_tag)
            await cp.status(CONNECTOR, "Preparing")
            await cp.status(CONNECTOR, "Faulted", error_code="ConnectorLockFailure")

    run(case())
    assert {"status": "Faulted", "errorCode": "ConnectorLockFailure"}.items() <= connector(csms, cp_id).items()


def test_tc_026_remote_start_charging_session_rejected(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            cp.answers["RemoteStartTransaction"] = {"status": "Rejected"}
            return await op(csms, cp, "start-transaction", {"idTag": id_tag, "connectorId": CONNECTOR})

    assert run(case()) == {"status": "Rejected"}


def test_tc_028_remote_stop_transaction_rejected(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            transaction_id = await cp.charging(id_tag)
            cp.answers["RemoteStopTransaction"] = {"status": "Rejected"}
            assert await op(csms, cp, "stop-transaction", {"transactionId": transaction_id}) == {"status": "Rejected"}
            return transaction_id

    assert session(csms, run(case()))["active"], "a refused remote stop leaves the session running"


def test_tc_030_unlock_connector_unlock_failure(csms, request):
    unlock_case(csms, case_id(request), "UnlockFailed")


def test_tc_031_unlock_connector_unknown_connector(csms, request):
    unlock_case(csms, case_id(request), "NotSupported", connector_id=CONNECTOR + 1)


def test_tc_032_1_power_failure_boot_charging_point_configured_to_stop_transactions(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            transaction_id = await cp.charging(id_tag)
        # Power back: BootNotification Accepted, the connector Finishing, then the transaction stopped as PowerLoss.
        async with tool(csms, cp_id, boot=False) as cp:
            answer = await cp.boot(vendor="OCTT", model="OCTT-CP")
            assert answer.status == "Accepted"
            await cp.status(0, "Available")
            await cp.status(CONNECTOR, "Finishing")
            await cp.stop_session(transaction_id, "PowerLoss")
            return transaction_id

    recorded = session(csms, run(case()))
    assert (recorded["active"], recorded["stopReason"]) == (False, "PowerLoss")


def test_tc_037_1_offline_start_transaction_valid_idtag(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)
    offline_start = iso_now(-600)

    async def case():
        async with tool(csms, cp_id):
            pass
        # Started while offline; sent from its queue once the connection is back.
        async with tool(csms, cp_id, boot=False) as cp:
            transaction_id = await cp.start_session(id_tag, timestamp=offline_start)
            await cp.status(CONNECTOR, "Charging")
            return transaction_id

    recorded = session(csms, run(case()))
    assert parse_time(recorded["startedAt"]) == parse_time(offline_start) and recorded["active"]


def test_tc_037_3_offline_start_transaction_invalid_idtag_stop_transaction_on_invalid_id_true(csms, request):
    cp_id = case_id(request)

    async def case():
        async with tool(csms, cp_id):
            pass
        async with tool(csms, cp_id, boot=False) as cp:
            transaction_id = await cp.start_session("OCTT-OFFLINE-UNKNOWN", "Invalid", timestamp=iso_now(-600))
            await cp.status(CONNECTOR, "Charging")
            await cp.stop_tx(transaction_id, 1200, reason="DeAuthorized")
            await cp.status(CONNECTOR, "Finishing")
            return transaction_id

    recorded = session(csms, run(case()))
    assert (recorded["active"], recorded["stopReason"], recorded["energyWh"]) == (False, "DeAuthorized", 200)


def test_tc_039_offline_transaction(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)
    started, stopped = iso_now(-900), iso_now(-300)

    async def case():
        async with tool(csms, cp_id):
            pass
        async with tool(csms, cp_id, boot=False) as cp:
            transaction_id = await cp.start_session(id_tag, timestamp=started)
            await cp.stop_session(transaction_id, "Local", meter_stop=3500, timestamp=stopped)
            return transaction_id

    recorded = session(csms, run(case()))
    assert (recorded["active"], recorded["stopReason"], recorded["energyWh"]) == (False, "Local", 2500)
    assert parse_time(recorded["stoppedAt"]) == parse_time(stopped)


def change_configuration_case(csms: Ocppd, cp_id: str, body: dict, answer: str) -> None:
    async def case():
        async with tool(csms, cp_id) as cp:
            cp.answers["ChangeConfiguration"] = {"status": answer}
            assert await op(csms, cp, "change-configuration", body) == {"status": answer}
            assert cp.last("ChangeConfiguration") == body

    run(case())


def test_tc_040_1_configuration_keys_not_supported(csms, request):
    change_configuration_case(csms, case_id(request), {"key": "OCTTUnknownKey", "value": "1"}, "NotSupported")


def test_tc_040_2_configuration_keys_invalid_value(csms, request):
    change_configuration_case(csms, case_id(request), {"key": "MeterValueSampleInterval", "value": "-1"}, "Rejected")


# ---------------------------------------------------------------------------------------------
# 3.14 Local authorization list, 3.15 firmware, 3.16 diagnostics
# ---------------------------------------------------------------------------------------------


def local_list_version_case(csms: Ocppd, cp_id: str, version: int) -> None:
    async def case():
        async with tool(csms, cp_id) as cp:
            cp.answers["GetLocalListVersion"] = {"list_version": version}
            assert await op(csms, cp, "get-local-list-version") == {"listVersion": version}

    run(case())
    assert csms.station(cp_id)["localListVersion"] == version


def test_tc_042_1_get_local_list_version_not_supported(csms, request):
    local_list_version_case(csms, case_id(request), -1)


def test_tc_042_2_get_local_list_version_empty(csms, request):
    local_list_version_case(csms, case_id(request), 0)


def send_local_list_case(csms: Ocppd, cp_id: str, answer: str, update_type: str = "Full") -> dict:
    entries = [{"idTag": f"{cp_id}-A", "idTagInfo": {"status": "Accepted"}},
               {"idTag": f"{cp_id}-B", "idTagInfo": {"status": "Blocked"}}]

    async def case():
        async with tool(csms, cp_id) as cp:
            cp.answers["SendLocalList"] = {"status": answer}
            if update_type == "Differential":  # the tool may read the version first
                cp.answers["GetLocalListVersion"] = {"list_version": 4}
                assert await op(csms, cp, "get-local-list-version") == {"listVersion": 4}
            body = {"listVersion": 5, "updateType": update_type, "localAuthorizationList": entries}
            assert await op(csms, cp, "send-local-list", body) == {"status": answer}
            sent = cp.last("SendLocalList")
            assert sent["updateType"] == update_type and sent["listVersion"] == 5
            assert all("idTagInfo" in entry for entry in sent["localAuthorizationList"]), sent
            return sent

    run(case())
    return csms.station(cp_id)


def test_tc_043_1_send_local_authorization_list_not_supported(csms, request):
    station = send_local_list_case(csms, case_id(request), "NotSupported")
    assert station["localListVersion"] is None and not station["localList"], "a refused list is not the station's"


def test_tc_043_3_send_local_authorization_list_failed(csms, request):
    station = send_local_list_case(csms, case_id(request), "Failed")
    assert station["localListVersion"] is None and not station["localList"], "a refused list is not the station's"


def test_tc_043_4_send_local_authorization_list_full(csms, request):
    cp_id = case_id(request)
    station = send_local_list_case(csms, cp_id, "Accepted")
    assert station["localListVersion"] == 5
    assert {(e["idTag"], e["status"]) for e in station["localList"]} == {(f"{cp_id}-A", "Accepted"), (f"{cp_id}-B", "Blocked")}


def test_tc_043_5_send_local_authorization_list_differential(csms, request):
    station = send_local_list_case(csms, case_id(request), "Accepted", update_type="Differential")
    assert station["localListVersion"] == 5


def firmware_case(csms: Ocppd, cp_id: str, statuses: list[str], after_reboot: str | None = None) -> str:
    """UpdateFirmware, then the charger's FirmwareStatusNotifications; with `after_reboot`, it installs (Unavailable,
    Installing), reboots (Booted) and reports that status. The firmware status ocppd then shows."""
    async def case():
        async with tool(csms, cp_id) as cp:
            body = {"location": FIRMWARE, "retrieveDate": iso_now()}
            assert await op(csms, cp, "update-firmware", body) == {}
            assert cp.last("UpdateFirmware")["location"] == FIRMWARE
            for status in statuses:
                await cp.send(call.FirmwareStatusNotification(status=status))
            if after_reboot:
                await cp.status(CONNECTOR, "Unavailable")
                await cp.send(call.FirmwareStatusNotification(status="Installing"))
        if after_reboot:
            async with tool(csms, cp_id) as cp:
                await cp.send(call.FirmwareStatusNotification(status=after_reboot))

    run(case())
    return csms.station(cp_id)["firmwareStatus"]


def test_tc_044_1_firmware_update_download_and_install(csms, request):
    assert firmware_case(csms, case_id(request), ["Downloading", "Downloaded"], after_reboot="Installed") == "Installed"


def test_tc_044_2_firmware_update_download_failed(csms, request):
    assert firmware_case(csms, case_id(request), ["Downloading", "DownloadFailed"]) == "DownloadFailed"


def test_tc_044_3_firmware_update_installation_failed(csms, request):
    status = firmware_case(csms, case_id(request), ["Downloading", "Downloaded"], after_reboot="InstallationFailed")
    assert status == "InstallationFailed"


def diagnostics_case(csms: Ocppd, cp_id: str, last: str) -> dict:
    async def case():
        async with tool(csms, cp_id) as cp:
            assert await op(csms, cp, "get-diagnostics", {"location": UPLOADS}) == {"fileName": "diagnostics.zip"}
            assert cp.last("GetDiagnostics")["location"] == UPLOADS
            for status in ("Uploading", last):
                await cp.send(call.DiagnosticsStatusNotification(status=status))

    run(case())
    return csms.station(cp_id)


def test_tc_045_1_get_diagnostics(csms, request):
    assert diagnostics_case(csms, case_id(request), "Uploaded")["diagnosticsStatus"] == "Uploaded"


def test_tc_045_2_get_diagnostics_upload_failed(csms, request):
    assert diagnostics_case(csms, case_id(request), "UploadFailed")["diagnosticsStatus"] == "UploadFailed"


# ---------------------------------------------------------------------------------------------
# 3.17 Reservations
# ---------------------------------------------------------------------------------------------


async def reserve(csms: Ocppd, cp: Tool, id_tag: str, connector_id: int = CONNECTOR, answer: str = "Accepted",
                  expiry: str | None = None, **extra) -> int:
    """ReserveNow as the tool checks it (connector, idTag, expiryDate); the reservationId ocppd gave it."""
    cp.answers["ReserveNow"] = {"status": answer}
    body = {"connectorId": connector_id, "idTag": id_tag, "expiryDate": expiry or in_seconds(3600), **extra}
    assert await op(csms, cp, "reserve-now", body) == {"status": answer}
    sent = cp.last("ReserveNow")
    assert (sent["connectorId"], sent["idTag"]) == (connector_id, id_tag) and parse_time(sent["expiryDate"])
    assert {k: sent[k] for k in extra} == extra
    return sent["reservationId"]


def test_tc_046_reservation_of_a_connector_transaction(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            reservation_id = await reserve(csms, cp, id_tag)
            await cp.status(CONNECTOR, "Reserved")
            transaction_id = await cp.charging(id_tag, reservation_id=reservation_id)
            return reservation_id, transaction_id

    reservation_id, transaction_id = run(case())
    assert reservation(csms, reservation_id)["status"] == "Used"
    assert session(csms, transaction_id)["reservationId"] == reservation_id


def test_tc_047_reservation_of_a_connector_expire(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            reservation_id = await reserve(csms, cp, id_tag, expiry=in_seconds(4))
            await cp.status(CONNECTOR, "Reserved")
            assert reservation(csms, reservation_id)["status"] == "Accepted"
            await async_wait_until(lambda: reservation(csms, reservation_id)["status"] == "Expired", timeout=10,
                                   what="the reservation to expire")
            await cp.status(CONNECTOR, "Available")

    run(case())


def refused_reservation_case(csms: Ocppd, cp_id: str, answer: str, before=None) -> None:
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            if before:
                await before(cp)
            return await reserve(csms, cp, id_tag, answer=answer)

    assert reservation(csms, run(case()))["status"] == answer


def test_tc_048_1_reservation_of_a_connector_faulted(csms, request):
    refused_reservation_case(csms, case_id(request), "Faulted")


def test_tc_048_2_reservation_of_a_connector_occupied(csms, request):
    async def plugged_in(cp: Tool):
        await cp.status(CONNECTOR, "Preparing")

    refused_reservation_case(csms, case_id(request), "Occupied", plugged_in)


def test_tc_048_3_reservation_of_a_connector_unavailable(csms, request):
    async def made_unavailable(cp: Tool):
        body = {"connectorId": CONNECTOR, "type": "Inoperative"}
        assert await op(csms, cp, "change-availability", body) == {"status": "Accepted"}
        assert cp.last("ChangeAvailability") == body
        await cp.status(CONNECTOR, "Unavailable")

    refused_reservation_case(csms, case_id(request), "Unavailable", made_unavailable)


def test_tc_048_4_reservation_of_a_connector_rejected(csms, request):
    refused_reservation_case(csms, case_id(request), "Rejected")


def test_tc_049_reservation_of_a_charge_point_transaction(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            reservation_id = await reserve(csms, cp, id_tag, connector_id=0)
            await cp.status(CONNECTOR, "Reserved")
            transaction_id = await cp.charging(id_tag, reservation_id=reservation_id)
            return reservation_id, transaction_id

    reservation_id, transaction_id = run(case())
    assert (reservation(csms, reservation_id)["connectorId"], reservation(csms, reservation_id)["status"]) == (0, "Used")
    assert session(csms, transaction_id)["reservationId"] == reservation_id


def test_tc_051_cancel_reservation(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            reservation_id = await reserve(csms, cp, id_tag)
            await cp.status(CONNECTOR, "Reserved")
            assert await op(csms, cp, "cancel-reservation", {"reservationId": reservation_id}) == {"status": "Accepted"}
            assert cp.last("CancelReservation") == {"reservationId": reservation_id}
            await cp.status(CONNECTOR, "Available")
            return reservation_id

    assert reservation(csms, run(case()))["status"] == "Cancelled"


def test_tc_052_cancel_reservation_rejected(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            reservation_id = await reserve(csms, cp, id_tag)
            await cp.status(CONNECTOR, "Reserved")
            cp.answers["CancelReservation"] = {"status": "Rejected"}
            unknown = reservation_id + 100_000
            assert await op(csms, cp, "cancel-reservation", {"reservationId": unknown}) == {"status": "Rejected"}
            assert cp.last("CancelReservation")["reservationId"] != reservation_id
            return reservation_id

    assert reservation(csms, run(case()))["status"] == "Accepted", "the reservation the charger holds stays"


def test_tc_053_use_a_reserved_connector_with_parentidtag(csms, request):
    cp_id = case_id(request)
    parent = tag(csms, f"{cp_id}-PARENT")
    reserved_for = tag(csms, f"{cp_id}-A", parentIdTag=parent)
    sibling = tag(csms, f"{cp_id}-B", parentIdTag=parent)

    async def case():
        async with tool(csms, cp_id) as cp:
            reservation_id = await reserve(csms, cp, reserved_for, parentIdTag=parent)
            await cp.status(CONNECTOR, "Reserved")
            # Another card of the same group: Accepted, and its parentIdTag lets the charger honour the reservation.
            info = await cp.authorized(sibling)
            assert info.get("parent_id_tag") == parent, info
            await cp.status(CONNECTOR, "Preparing")
            transaction_id = await cp.start_session(sibling, reservation_id=reservation_id)
            await cp.status(CONNECTOR, "Charging")
            await cp.stop_session(transaction_id, "Local")
            await cp.status(CONNECTOR, "Finishing")
            return reservation_id

    assert reservation(csms, run(case()))["status"] == "Used"


# ---------------------------------------------------------------------------------------------
# 3.18 Remote trigger, 3.19 smart charging, 3.20 data transfer
# ---------------------------------------------------------------------------------------------


def test_tc_054_trigger_message(csms, request):
    cp_id = case_id(request)

    async def case():
        async with tool(csms, cp_id) as cp:
            triggered = {
                "MeterValues": call.MeterValues(connector_id=CONNECTOR, meter_value=[energy_sample("1000")]),
                "Heartbeat": call.Heartbeat(),
                "StatusNotification": call.StatusNotification(connector_id=CONNECTOR, error_code="NoError", status="Available"),
                "DiagnosticsStatusNotification": call.DiagnosticsStatusNotification(status="Idle"),
                "FirmwareStatusNotification": call.FirmwareStatusNotification(status="Idle"),
            }
            for message, sent in triggered.items():
                body = {"requestedMessage": message}
                if message in ("MeterValues", "StatusNotification"):
                    body["connectorId"] = CONNECTOR
                assert await op(csms, cp, "trigger-message", body) == {"status": "Accepted"}
                assert cp.last("TriggerMessage") == body
                await cp.send(sent)  # answered, or the send raises

    run(case())
    assert csms.station(cp_id)["firmwareStatus"] == "Idle"


def test_tc_055_trigger_message_rejected(csms, request):
    async def case():
        async with tool(csms, case_id(request)) as cp:
            cp.answers["TriggerMessage"] = {"status": "Rejected"}
            body = {"requestedMessage": "MeterValues", "connectorId": CONNECTOR + 1}  # NumberOfConnectors + 1
            assert await op(csms, cp, "trigger-message", body) == {"status": "Rejected"}
            assert cp.last("TriggerMessage") == body

    run(case())


def absolute_profile(profile_id: int, purpose: str, stack_level: int = 1, **extra) -> dict:
    return {
        "chargingProfileId": profile_id, "stackLevel": stack_level, "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute", "validFrom": iso_now(-60), "validTo": iso_now(86400), **extra,
        "chargingSchedule": {"duration": 3600, "startSchedule": iso_now(), "chargingRateUnit": "A",
                             "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 6.0}]},
    }


def test_tc_056_central_smart_charging_txdefaultprofile(csms, request):
    cp_id = case_id(request)
    profile = absolute_profile(5601, "TxDefaultProfile")

    async def case():
        async with tool(csms, cp_id) as cp:
            body = {"connectorId": CONNECTOR, "csChargingProfiles": profile}
            assert await op(csms, cp, "set-charging-profile", body) == {"status": "Accepted"}
            sent = cp.last("SetChargingProfile")
            sent_profile = sent["csChargingProfiles"]
            assert sent["connectorId"] == CONNECTOR
            assert {k: sent_profile[k] for k in ("chargingProfilePurpose", "chargingProfileKind", "stackLevel")} == {
                "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute", "stackLevel": 1}
            assert {"validFrom", "validTo"} <= set(sent_profile) and "transactionId" not in sent_profile
            assert "recurrencyKind" not in sent_profile
            schedule = sent_profile["chargingSchedule"]
            assert "startSchedule" in schedule and schedule["chargingRateUnit"] == "A"
            assert schedule["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 6.0}]

    run(case())
    assert [p["chargingProfileId"] for p in csms.station(cp_id)["chargingProfiles"]] == [5601]


def test_tc_057_central_smart_charging_txprofile(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            transaction_id = await cp.charging(id_tag)
            profile = absolute_profile(5701, "TxProfile", transactionId=transaction_id)
            body = {"connectorId": CONNECTOR, "csChargingProfiles": profile}
            assert await op(csms, cp, "set-charging-profile", body) == {"status": "Accepted"}
            sent = cp.last("SetChargingProfile")["csChargingProfiles"]
            assert (sent["chargingProfilePurpose"], sent["transactionId"]) == ("TxProfile", transaction_id)
            assert {"validFrom", "validTo"} <= set(sent) and {"startSchedule", "duration"} <= set(sent["chargingSchedule"])

    run(case())
    assert [p["chargingProfileId"] for p in csms.station(cp_id)["chargingProfiles"]] == [5701]


def test_tc_066_get_composite_schedule(csms, request):
    schedule = {"duration": 600, "start_schedule": iso_now(), "charging_rate_unit": "W",
                "charging_schedule_period": [{"start_period": 0, "limit": 11000.0}]}

    async def case():
        async with tool(csms, case_id(request)) as cp:
            cp.answers["GetCompositeSchedule"] = {"status": "Accepted", "connector_id": CONNECTOR,
                                                  "schedule_start": iso_now(), "charging_schedule": schedule}
            body = {"connectorId": CONNECTOR, "duration": 600, "chargingRateUnit": "W"}
            answer = await op(csms, cp, "get-composite-schedule", body)
            assert cp.last("GetCompositeSchedule") == body
            return answer

    answer = run(case())
    assert answer["status"] == "Accepted" and answer["connectorId"] == CONNECTOR
    assert answer["chargingSchedule"]["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 11000.0}]


def test_tc_067_clear_charging_profile(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)

    async def case():
        async with tool(csms, cp_id) as cp:
            transaction_id = await cp.charging(id_tag)
            # As the 2025 edition: a ChargePointMaxProfile, a TxDefaultProfile and a TxProfile at one stack level.
            for connector_id, profile in [
                (0, absolute_profile(6701, "ChargePointMaxProfile")),
                (CONNECTOR, absolute_profile(6702, "TxDefaultProfile")),
                (CONNECTOR, absolute_profile(6703, "TxProfile", transactionId=transaction_id)),
            ]:
                body = {"connectorId": connector_id, "csChargingProfiles": profile}
                assert await op(csms, cp, "set-charging-profile", body) == {"status": "Accepted"}
            def kept() -> list[int]:
                return sorted(p["chargingProfileId"] for p in csms.station(cp_id)["chargingProfiles"])

            assert kept() == [6701, 6702, 6703]
            for criteria, left in [
                ({"id": 6701}, [6702, 6703]),
                ({"connectorId": CONNECTOR, "chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 1}, [6703]),
                ({}, []),
            ]:
                assert await op(csms, cp, "clear-charging-profile", criteria) == {"status": "Accepted"}
                assert cp.last("ClearChargingProfile") == criteria
                assert kept() == left, criteria

    run(case())
    assert csms.station(cp_id)["chargingProfiles"] == []


def test_tc_059_remote_start_transaction_with_charging_profile(csms, request):
    cp_id = case_id(request)
    id_tag = tag(csms, cp_id)
    profile = {"chargingProfileId": 5901, "stackLevel": 1, "chargingProfilePurpose": "TxProfile",
               "chargingProfileKind": "Relative",
               "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]}}

    async def case():
        async with tool(csms, cp_id) as cp:
            body = {"idTag": id_tag, "connectorId": CONNECTOR, "chargingProfile": profile}
            assert await op(csms, cp, "start-transaction", body) == {"status": "Accepted"}
            sent = cp.last("RemoteStartTransaction")
            assert (sent["idTag"], sent["connectorId"]) == (id_tag, CONNECTOR)
            sent_profile = sent["chargingProfile"]
            assert sent_profile["chargingProfilePurpose"] == "TxProfile" and "transactionId" not in sent_profile
            assert sent_profile["chargingProfileKind"] == "Relative" and "startSchedule" not in sent_profile["chargingSchedule"]
            assert sent_profile["chargingSchedule"]["chargingSchedulePeriod"][0]["startPeriod"] == 0
            await cp.authorized(id_tag)
            await cp.status(CONNECTOR, "Preparing")
            transaction_id = await cp.start_session(id_tag)
            await cp.status(CONNECTOR, "Charging")
            return transaction_id

    assert session(csms, run(case()))["active"]


def test_tc_064_data_transfer_to_a_central_system(csms, request):
    async def case():
        async with tool(csms, case_id(request)) as cp:
            return await cp.send(call.DataTransfer(vendor_id="org.openchargealliance.octt", message_id="TestMessage",
                                                   data="OCTT"))

    answer = run(case())
    # The central system implements no such vendor: UnknownVendorId, and no data (OCPP 1.6 §4.3).
    assert (answer.status, answer.data) == ("UnknownVendorId", None)


# ---------------------------------------------------------------------------------------------
# 3.21 Security (the white paper "Improved security for OCPP 1.6-J"): profiles, certificates, logs, firmware
# ---------------------------------------------------------------------------------------------


def put_station(csms: Ocppd, cp_id: str, **fields) -> None:
    resp = csms.put(f"/api/stations/{quote_id(cp_id)}", json=fields)
    assert resp.status_code in (200, 201), resp.text


def basic_bytes(cp_id: str, password: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(cp_id.encode() + b":" + password).decode()}


async def wss(csms: Ocppd, station_pki: Path, cp_id: str, password: str | bytes | None = KEY, certificate=None):
    """A wss:// connection to the secure central system, with Basic credentials and/or a client certificate."""
    context = client_tls(station_pki)
    if certificate is not None:
        context.load_cert_chain(*certificate)
    headers = None if password is None else basic_bytes(cp_id, password if isinstance(password, bytes) else password.encode())
    return await open_ws(csms.ws_url(cp_id), headers=headers, ssl=context)


def plain_url(csms: Ocppd, cp_id: str) -> str:
    return f"ws://127.0.0.1:{csms.plain_port}/ocpp/{quote_id(cp_id)}"


def test_tc_073_update_charge_point_password_for_http_basic_authentication(csms, request):
    cp_id = case_id(request)
    put_station(csms, cp_id, securityProfile=1, authorizationKey=KEY)
    # The 2025 edition: the new AuthorizationKey is hex, at most 40 digits for a password of 16 to 20 bytes.
    new_password = bytes(range(0xA0, 0xB4))
    new_key = new_password.hex()

    async def case():
        ws = await open_ws(csms.ws_url(cp_id), headers=basic_auth(cp_id, KEY))
        async with tool(csms, cp_id, ws=ws) as cp:
            body = {"key": "AuthorizationKey", "value": new_key}
            assert await op(csms, cp, "change-configuration", body) == {"status": "Accepted"}
            assert cp.last("ChangeConfiguration") == body
            put_station(csms, cp_id, authorizationKey=new_key)  # the operator's step in the tool's flow
        # Back with the new password: its bytes (as the tool sends it) or the digits; the old one is refused.
        for password in (new_password, new_key.encode()):
            ws = await open_ws(csms.ws_url(cp_id), headers=basic_bytes(cp_id, password))
            async with tool(csms, cp_id, ws=ws):
                pass
        assert (await handshake_refusal(csms.ws_url(cp_id), headers=basic_auth(cp_id, KEY))).status_code == 401

    run(case())
    assert csms.station(cp_id)["hasAuthorizationKey"]


def certificate_case(csms: Ocppd, station_pki: Path, tmp_path: Path, cp_id: str, answer: str) -> tuple[list, object]:
    """ExtendedTriggerMessage SignChargePointCertificate, the CSR, and the CertificateSigned the station CA makes. As
    the 2025 edition: the CSR's CN is the charge point's serial number (from its BootNotification)."""
    put_station(csms, cp_id, securityProfile=2, authorizationKey=KEY)
    key = ec_key()
    serial = "SN-" + cp_id

    async def case():
        ws = await wss(csms, station_pki, cp_id)
        async with tool(csms, cp_id, ws=ws, charge_point_serial_number=serial) as cp:
            cp.answers["CertificateSigned"] = {"status": answer}
            body = {"requestedMessage": "SignChargePointCertificate"}
            assert await op(csms, cp, "extended-trigger-message", body) == {"status": "Accepted"}
            assert cp.last("ExtendedTriggerMessage") == body, "no connectorId"
            signed = await cp.send(call.SignCertificate(csr=make_csr(key, serial)))
            assert signed.status == "Accepted"
            await async_wait_until(lambda: any(a == "CertificateSigned" for a, _ in cp.received), timeout=10,
                                   what="CertificateSigned")
            chain = certificates(cp.last("CertificateSigned")["certificateChain"])
            # ocppd has the charger's answer: the certificate bound to the station, or the request rejected.
            decided = "signed" if answer == "Accepted" else "rejected"
            path = f"/api/certificate-requests?cpId={quote_id(cp_id)}"
            await async_wait_until(lambda: [r["status"] for r in csms.get(path).json()] == [decided], timeout=10,
                                   what=f"the certificate request {decided}")
            if answer == "Rejected":
                await cp.send(call.SecurityEventNotification(type="InvalidChargePointCertificate", timestamp=iso_now(),
                                                             tech_info=None))
            return chain

    chain = run(case())
    leaf = chain[0]
    assert public_der(leaf) == public_der(key), "the certificate carries the CSR's key"
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == serial
    assert isinstance(leaf.public_key(), ec.EllipticCurvePublicKey) and leaf.public_key().key_size >= 224
    (tmp_path / "cp.pem").write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain))
    (tmp_path / "cp.key").write_bytes(key_pem(key))
    return chain, (tmp_path / "cp.pem", tmp_path / "cp.key")


def test_tc_074_update_charge_point_certificate_by_request_of_central_system(secure_csms, station_pki, tmp_path, request):
    cp_id = case_id(request)
    _, certificate = certificate_case(secure_csms, station_pki, tmp_path, cp_id, "Accepted")

    async def back_with_it():
        put_station(secure_csms, cp_id, securityProfile=3)
        async with tool(secure_csms, cp_id, ws=await wss(secure_csms, station_pki, cp_id, None, certificate)):
            return secure_csms.station(cp_id)

    station = run(back_with_it())
    assert station["connectedSecurityProfile"] == 3 and station["certificate"]["serialNumber"]


def test_tc_075_1_install_a_certificate_on_the_charge_point_manufacturer_root_certificate(secure_csms, station_pki, request):
    install_case(secure_csms, station_pki, case_id(request), "ManufacturerRootCertificate")


def test_tc_075_2_install_a_certificate_on_the_charge_point_central_system_root_certificate(secure_csms, station_pki, request):
    install_case(secure_csms, station_pki, case_id(request), "CentralSystemRootCertificate")


HASH_DATA = {"hashAlgorithm": "SHA256", "issuerNameHash": "5a" * 32, "issuerKeyHash": "a5" * 32, "serialNumber": "01"}


def snake(data: dict) -> dict:
    return {"hash_algorithm": data["hashAlgorithm"], "issuer_name_hash": data["issuerNameHash"],
            "issuer_key_hash": data["issuerKeyHash"], "serial_number": data["serialNumber"]}


def install_case(csms: Ocppd, station_pki: Path, cp_id: str, certificate_type: str) -> None:
    put_station(csms, cp_id, securityProfile=2, authorizationKey=KEY)
    root = (station_pki / "ca.pem").read_text()

    async def case():
        async with tool(csms, cp_id, ws=await wss(csms, station_pki, cp_id)) as cp:
            body = {"certificateType": certificate_type, "certificate": root}
            assert await op(csms, cp, "install-certificate", body) == {"status": "Accepted"}
            assert cp.last("InstallCertificate") == body
            cp.answers["GetInstalledCertificateIds"] = {"status": "Accepted", "certificate_hash_data": [snake(HASH_DATA)]}
            answer = await op(csms, cp, "get-installed-certificate-ids", {"certificateType": certificate_type})
            assert cp.last("GetInstalledCertificateIds") == {"certificateType": certificate_type}
            assert answer == {"status": "Accepted", "certificateHashData": [HASH_DATA]}

    run(case())


def test_tc_076_delete_a_specific_certificate_from_the_charge_point(secure_csms, station_pki, request):
    cp_id = case_id(request)
    put_station(secure_csms, cp_id, securityProfile=2, authorizationKey=KEY)

    async def case():
        async with tool(secure_csms, cp_id, ws=await wss(secure_csms, station_pki, cp_id)) as cp:
            for algorithm, digits in (("SHA256", 64), ("SHA384", 96), ("SHA512", 128)):  # as the 2025 edition
                installed = {**HASH_DATA, "hashAlgorithm": algorithm, "issuerNameHash": "5a" * (digits // 2),
                             "issuerKeyHash": "a5" * (digits // 2)}
                cp.answers["GetInstalledCertificateIds"] = {"status": "Accepted", "certificate_hash_data": [snake(installed)]}
                answer = await op(secure_csms, cp, "get-installed-certificate-ids",
                                  {"certificateType": "CentralSystemRootCertificate"})
                hash_data = answer["certificateHashData"][0]
                assert await op(secure_csms, cp, "delete-certificate", {"certificateHashData": hash_data}) == {"status": "Accepted"}
                assert cp.last("DeleteCertificate") == {"certificateHashData": installed}

    run(case())


def test_tc_077_invalid_charge_point_certificate_security_event(secure_csms, station_pki, tmp_path, request):
    cp_id = case_id(request)
    certificate_case(secure_csms, station_pki, tmp_path, cp_id, "Rejected")
    requests_ = secure_csms.get(f"/api/certificate-requests?cpId={quote_id(cp_id)}").json()
    assert [r["status"] for r in requests_] == ["rejected"]
    events = secure_csms.get(f"/api/stations/{quote_id(cp_id)}/security-events").json()
    assert [e["type"] for e in events] == ["InvalidChargePointCertificate"]


def test_tc_078_invalid_central_system_certificate_security_event(secure_csms, station_pki, request):
    cp_id = case_id(request)
    put_station(secure_csms, cp_id, securityProfile=2, authorizationKey=KEY)

    async def case():
        async with tool(secure_csms, cp_id, ws=await wss(secure_csms, station_pki, cp_id)) as cp:
            cp.answers["InstallCertificate"] = {"status": "Rejected"}
            body = {"certificateType": "CentralSystemRootCertificate", "certificate": (station_pki / "ca.pem").read_text()}
            assert await op(secure_csms, cp, "install-certificate", body) == {"status": "Rejected"}
            await cp.send(call.SecurityEventNotification(type="InvalidCentralSystemCertificate", timestamp=iso_now(),
                                                         tech_info=None))

    run(case())
    events = secure_csms.get(f"/api/stations/{quote_id(cp_id)}/security-events").json()
    assert [e["type"] for e in events] == ["InvalidCentralSystemCertificate"]


def test_tc_079_get_security_log(secure_csms, station_pki, request):
    cp_id = case_id(request)
    put_station(secure_csms, cp_id, securityProfile=2, authorizationKey=KEY)

    async def case():
        async with tool(secure_csms, cp_id, ws=await wss(secure_csms, station_pki, cp_id)) as cp:
            answer = await op(secure_csms, cp, "get-log", {"logType": "SecurityLog", "log": {"remoteLocation": UPLOADS}})
            assert answer == {"status": "Accepted", "filename": "security.log"}
            sent = cp.last("GetLog")
            assert (sent["logType"], sent["log"]["remoteLocation"]) == ("SecurityLog", UPLOADS)
            for status in ("Uploading", "Uploaded"):
                await cp.send(call.LogStatusNotification(status=status, request_id=sent["requestId"]))
            return sent["requestId"]

    request_id = run(case())
    station = secure_csms.station(cp_id)
    assert (station["logStatus"], station["logRequestId"]) == ("Uploaded", request_id)


def signed_firmware_case(csms: Ocppd, station_pki: Path, cp_id: str, signature: str, statuses: list[str]) -> int:
    put_station(csms, cp_id, securityProfile=2, authorizationKey=KEY)
    signing = (station_pki / "ca.pem").read_text()

    async def case():
        async with tool(csms, cp_id, ws=await wss(csms, station_pki, cp_id)) as cp:
            firmware = {"location": FIRMWARE, "retrieveDateTime": iso_now(), "signingCertificate": signing,
                        "signature": signature}
            assert await op(csms, cp, "signed-update-firmware", {"firmware": firmware}) == {"status": "Accepted"}
            sent = cp.last("SignedUpdateFirmware")
            assert {k: sent["firmware"][k] for k in ("location", "signingCertificate", "signature")} == {
                "location": FIRMWARE, "signingCertificate": signing, "signature": signature}
            request_id = sent["requestId"]
            for status in statuses:
                if status == "InstallRebooting":
                    break
                if status == "Installing":
                    await cp.status(CONNECTOR, "Unavailable")
                await cp.send(call.SignedFirmwareStatusNotification(status=status, request_id=request_id))
        if "InstallRebooting" in statuses:
            async with tool(csms, cp_id, ws=await wss(csms, station_pki, cp_id), boot=False) as cp:
                await cp.send(call.SignedFirmwareStatusNotification(status="InstallRebooting", request_id=request_id))
                await cp.booted()
                await cp.send(call.SecurityEventNotification(type="FirmwareUpdated", timestamp=iso_now(), tech_info=None))
                await cp.send(call.SignedFirmwareStatusNotification(status="Installed", request_id=request_id))
        return request_id

    return run(case())


def test_tc_080_secure_firmware_update(secure_csms, station_pki, request):
    cp_id = case_id(request)
    statuses = ["Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting"]
    request_id = signed_firmware_case(secure_csms, station_pki, cp_id, base64.b64encode(b"a valid signature").decode(), statuses)
    station = secure_csms.station(cp_id)
    assert (station["firmwareStatus"], station["firmwareRequestId"]) == ("Installed", request_id)
    events = secure_csms.get(f"/api/stations/{quote_id(cp_id)}/security-events").json()
    assert [e["type"] for e in events] == ["FirmwareUpdated"]


def test_tc_081_secure_firmware_update_invalid_signature(secure_csms, station_pki, request):
    cp_id = case_id(request)
    request_id = signed_firmware_case(secure_csms, station_pki, cp_id, base64.b64encode(b"not the signature").decode(),
                                      ["Downloading", "Downloaded", "InvalidSignature"])
    station = secure_csms.station(cp_id)
    assert (station["firmwareStatus"], station["firmwareRequestId"]) == ("InvalidSignature", request_id)


def test_tc_083_upgrade_charge_point_security_profile_accepted(secure_csms, station_pki, request):
    cp_id = case_id(request)
    put_station(secure_csms, cp_id, securityProfile=1, authorizationKey=KEY)

    async def case():
        ws = await open_ws(plain_url(secure_csms, cp_id), headers=basic_auth(cp_id, KEY))
        async with tool(secure_csms, cp_id, ws=ws) as cp:
            assert secure_csms.station(cp_id)["connectedSecurityProfile"] == 1
            body = {"key": "SecurityProfile", "value": "2"}
            assert await op(secure_csms, cp, "change-configuration", body) == {"status": "Accepted"}
            assert cp.last("ChangeConfiguration") == body
            assert await op(secure_csms, cp, "reset", {"type": "Hard"}) == {"status": "Accepted"}
            assert cp.last("Reset") == {"type": "Hard"}
        # Until the station is back on the new profile, the old one still works (a failed upgrade locks nobody out).
        async with tool(secure_csms, cp_id, ws=await open_ws(plain_url(secure_csms, cp_id), headers=basic_auth(cp_id, KEY))):
            assert secure_csms.station(cp_id)["securityProfile"] == 1
        # Back on profile 2: accepted (Booted), and from then on profile 2 is what ocppd requires of it, with no
        # operator step: the tool tries the old profile right away and it is refused; the new one still works.
        async with tool(secure_csms, cp_id, ws=await wss(secure_csms, station_pki, cp_id)):
            station = secure_csms.station(cp_id)
            assert (station["connectedSecurityProfile"], station["securityProfile"]) == (2, 2)
            refused = await handshake_refusal(plain_url(secure_csms, cp_id), headers=basic_auth(cp_id, KEY))
            assert refused.status_code == 403
        async with tool(secure_csms, cp_id, ws=await wss(secure_csms, station_pki, cp_id)):
            pass

    run(case())


def test_tc_085_basic_authentication_valid_username_password_combination(csms, request):
    cp_id = case_id(request)
    put_station(csms, cp_id, securityProfile=1, authorizationKey=KEY)

    async def case():
        refused = await handshake_refusal(csms.ws_url(cp_id))
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Basic")
        ws = await open_ws(csms.ws_url(cp_id), headers=basic_auth(cp_id, KEY))
        async with tool(csms, cp_id, ws=ws):
            return csms.station(cp_id)

    assert run(case())["connectedSecurityProfile"] == 1


# The white paper's suites for TLS 1.2 (an ECDSA certificate here, as the test's PKI makes); TLS 1.3 has its own.
TLS12_SUITES = {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384"}
TLS13_SUITES = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}


def test_tc_086_tls_server_side_certificate_valid_certificate(secure_csms, station_pki, request):
    cp_id = case_id(request)
    put_station(secure_csms, cp_id, securityProfile=2, authorizationKey=KEY)

    async def case():
        # The white paper's suites for TLS 1.2, offered alone: the server must agree to one of them.
        context = client_tls(station_pki)
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384")
        ws = await open_ws(secure_csms.ws_url(cp_id), headers=basic_auth(cp_id, KEY), ssl=context)
        tls = ws.transport.get_extra_info("ssl_object")
        negotiated = (tls.version(), tls.cipher()[0])
        server = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))
        async with tool(secure_csms, cp_id, ws=ws):
            pass
        # And with the client's defaults (TLS 1.3 here): still one of the allowed suites.
        ws = await wss(secure_csms, station_pki, cp_id)
        tls13 = ws.transport.get_extra_info("ssl_object")
        async with tool(secure_csms, cp_id, ws=ws):
            return negotiated, (tls13.version(), tls13.cipher()[0]), server

    (version, suite), (version13, suite13), server = run(case())
    assert version == "TLSv1.2" and suite in TLS12_SUITES
    assert version13 == "TLSv1.3" and suite13 in TLS13_SUITES
    # The certificate ocppd presents is the one it was given (its CN, the server's name, is the operator's to choose).
    assert server == x509.load_pem_x509_certificate((station_pki / "server.pem").read_bytes())
    assert server.serial_number > 0 and server.public_key().key_size >= 224


def test_tc_087_tls_client_side_certificate_valid_certificate(secure_csms, station_pki, tmp_path, request):
    cp_id = case_id(request)
    put_station(secure_csms, cp_id, securityProfile=3)
    key = ec_key()
    (tmp_path / "cp.pem").write_text(sign_csr(make_csr(key, cp_id), station_pki))
    (tmp_path / "cp.key").write_bytes(key_pem(key))

    async def case():
        ws = await wss(secure_csms, station_pki, cp_id, None, (tmp_path / "cp.pem", tmp_path / "cp.key"))
        assert ws.transport.get_extra_info("ssl_object").version() in ("TLSv1.2", "TLSv1.3")
        async with tool(secure_csms, cp_id, ws=ws):
            return secure_csms.station(cp_id)

    assert run(case())["connectedSecurityProfile"] == 3


def test_tc_088_websocket_subprotocol_negotiation(csms, request):
    cp_id = case_id(request)

    async def case():
        refused = await handshake_refusal(csms.ws_url(cp_id), subprotocols=["ocpp0.1"])
        assert refused.status_code == 400
        ws = await open_ws(csms.ws_url(cp_id), subprotocols=["ocpp0.1", "ocpp1.6"])
        assert ws.response.headers.get_all("Sec-WebSocket-Protocol") == ["ocpp1.6"]
        async with tool(csms, cp_id, ws=ws):
            pass

    run(case())
