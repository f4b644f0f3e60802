"""The security extension's ocppctl commands (PRODUCT.md §4 and §8): `stations set-profile`, `stations
renew-certificate`, `certificate-requests list|sign|reject` and `security-events [--follow]`, run as the real
binary against a real ocppd and a simulated station that does what the white paper has a charger do: it sends a CSR
when asked (ExtendedTriggerMessage SignChargePointCertificate), keeps the chain it is sent, keeps the authorization
key it is given and, told SecurityProfile N, reconnects on profile N (wss with Basic, or wss with its certificate).

ocppctl has no way to trust a private CA (AsyncHTTPClient's default trust store only), so with TLS it talks to
ocppd's --plain-port (http://), as it would on the loopback of the machine ocppd runs on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pty
import re
import subprocess
import threading
from pathlib import Path

import pytest
from ocpp.routing import after, on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action

from harness import (
    Peer,
    _serve,
    async_wait_until,
    basic_auth,
    free_port,
    handshake_refusal,
    iso_now,
    open_ws,
    parse_time,
    quote_id,
    run,
)
from pki import certificates, client_tls, ec_key, make_csr, public_der, sign_csr
from test_ocppctl import NOT_FOUND, OFFLINE, OK, REFUSED, TIMEOUT, ctl_env, ocppctl_binary
from test_security import KEY, ca_ocppd, put_station, station_pki, with_certificate  # noqa: F401 (station_pki: fixture)

# ---------------------------------------------------------------------------------------------
# A station that lives across its connections
# ---------------------------------------------------------------------------------------------


class StationPeer(Peer):
    """One connection of a SimStation: answers what a charger with the security extension answers."""

    def __init__(self, station: "SimStation", ws):
        super().__init__(station.cp_id, ws, response_timeout=20)
        self.station = station
        self.ws = ws
        self.accepted_profile: int | None = None

    @on(Action.extended_trigger_message)
    def on_extended_trigger_message(self, requested_message, **kwargs):
        return call_result.ExtendedTriggerMessage(status="Accepted")

    @after(Action.extended_trigger_message)
    def after_extended_trigger_message(self, requested_message, **kwargs):
        if requested_message == "SignChargePointCertificate":
            self.station.spawn(self.station.send_csr(self))

    @on(Action.certificate_signed)
    def on_certificate_signed(self, certificate_chain, **kwargs):
        leaf = certificates(certificate_chain)[0]
        keys = [k for k in self.station.pending_keys if public_der(k) == public_der(leaf)]
        if not keys:
            return call_result.CertificateSigned(status="Rejected")
        self.station.chain, self.station.private_key = certificate_chain, keys[0]
        return call_result.CertificateSigned(status="Accepted")

    @on(Action.install_certificate)
    def on_install_certificate(self, certificate_type, certificate, **kwargs):
        self.station.installed.append((certificate_type, certificate))
        return call_result.InstallCertificate(status="Accepted")

    @on(Action.change_configuration)
    def on_change_configuration(self, key, value, **kwargs):
        station = self.station
        if key == "AuthorizationKey":
            station.authorization_key = value
            return call_result.ChangeConfiguration(status="Accepted")
        if key == "SecurityProfile":
            # The white paper: never lower, and not without the credentials of the new profile.
            wanted = int(value)
            if wanted < station.profile or (wanted == 3 and station.chain is None) or (
                wanted == 2 and station.authorization_key is None
            ):
                return call_result.ChangeConfiguration(status="Rejected")
            station.profile_changes.append(wanted)
            self.accepted_profile = wanted
            return call_result.ChangeConfiguration(status="Accepted")
        return call_result.ChangeConfiguration(status="NotSupported")

    @after(Action.change_configuration)
    def after_change_configuration(self, key, value, **kwargs):
        # Only once the answer is out (the library runs this after sending it), and only for an accepted one.
        wanted, self.accepted_profile = self.accepted_profile, None
        if key == "SecurityProfile" and wanted is not None:
            self.station.spawn(self.station.switch_profile(wanted))


class SimStation:
    """A charge point that keeps its authorization key, key pair and certificate chain across connections, and
    reconnects on the security profile it is told to use (after answering the ChangeConfiguration).

    `csr_cn`: the CN it puts in its CSRs (its identity unless given). `stubborn`: it accepts a new SecurityProfile
    but comes back on its old one, as a charger whose upgrade failed.
    """

    def __init__(self, ocppd, cp_id: str, directory: Path, pki: Path | None = None, *, key: str | None = None,
                 csr_cn: str | None = None, stubborn: bool = False):
        self.ocppd = ocppd
        self.cp_id = cp_id
        self.directory = directory / "station-files" / cp_id
        self.directory.mkdir(parents=True, exist_ok=True)
        self.pki = pki
        self.authorization_key = key
        self.csr_cn = csr_cn or cp_id
        self.stubborn = stubborn
        self.profile = -1
        self.peer: StationPeer | None = None
        self._serving: asyncio.Task | None = None
        self.connections: list[int] = []  # the profile of each connection, in order
        self.profile_changes: list[int] = []  # SecurityProfile values accepted
        self.csrs: list[str] = []
        self.sign_answers: list[str] = []
        self.pending_keys: list = []
        self.chain: str | None = None
        self.private_key = None
        self.installed: list[tuple[str, str]] = []
        self.errors: list[BaseException] = []
        self._tasks: set[asyncio.Task] = set()

    async def __aenter__(self) -> "SimStation":
        return self

    async def __aexit__(self, *exc) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.disconnect()

    def check(self) -> None:
        """Fails with what went wrong in the station's background work (CSR, reconnection)."""
        assert not self.errors, f"{self.cp_id}: {self.errors!r}"

    def spawn(self, coro) -> None:
        async def guarded():
            try:
                await coro
            except Exception as error:  # reported by check()
                self.errors.append(error)

        task = asyncio.get_running_loop().create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def url(self, profile: int) -> str:
        plain = getattr(self.ocppd, "plain_port", None)
        if profile <= 1 and plain:
            return f"ws://127.0.0.1:{plain}/ocpp/{quote_id(self.cp_id)}"
        return self.ocppd.ws_url(self.cp_id)

    async def connect(self, profile: int) -> None:
        """Connects as a station on `profile` does (1, 2: Basic with its key; 2, 3: TLS; 3: its certificate), boots."""
        headers = basic_auth(self.cp_id, self.authorization_key) if profile in (1, 2) else None
        context = None
        if profile == 2:
            context = client_tls(self.pki)
        elif profile == 3:
            context = with_certificate(self.pki, self.directory, self.chain, self.private_key)
        ws = await open_ws(self.url(profile), headers=headers, ssl=context)
        self.peer = StationPeer(self, ws)
        self._serving = asyncio.get_running_loop().create_task(_serve(self.peer))
        self.profile = profile
        self.connections.append(profile)
        await self.peer.boot()

    async def disconnect(self) -> None:
        if self.peer is not None:
            with contextlib.suppress(Exception):
                await self.peer.ws.close()
        if self._serving is not None:
            self._serving.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._serving
        self.peer = self._serving = None

    async def send_csr(self, peer: StationPeer) -> None:
        key = ec_key()
        csr = make_csr(key, self.csr_cn)
        self.pending_keys.append(key)
        self.csrs.append(csr)
        self.sign_answers.append((await peer.send(call.SignCertificate(csr=csr))).status)

    async def switch_profile(self, profile: int) -> None:
        """What a charger does after accepting SecurityProfile: drops its connection and opens one on the new profile
        (a stubborn one on its old profile)."""
        back_on = self.profile if self.stubborn else profile
        await self.disconnect()
        await self.connect(back_on)

    async def send_event(self, event_type: str, timestamp: str, tech_info: str | None = None) -> None:
        await self.peer.send(call.SecurityEventNotification(type=event_type, timestamp=timestamp, tech_info=tech_info))


# ---------------------------------------------------------------------------------------------
# ocppd and ocppctl
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def tls_ocppd(ocppd_factory, station_pki):
    """ocppd with the station CA (which also signed its server certificate and is its --tls-client-ca) on a wss://
    port, and a plain port for profile 0 and 1 stations and for ocppctl."""
    plain = free_port()
    ocppd = ca_ocppd(ocppd_factory, station_pki, "--plain-port", str(plain))
    ocppd.plain_port = plain
    return ocppd


def env_for(ocppd, tmp_path) -> dict:
    plain = getattr(ocppd, "plain_port", None)
    return ctl_env(ocppd, tmp_path, **({"OCPPCTL_SERVER": f"http://127.0.0.1:{plain}"} if plain else {}))


async def actl(ocppd, tmp_path, *args, stdin: bytes | None = None, timeout: float = 60) -> tuple[int, str, str]:
    """ocppctl run to its end without blocking the loop that serves the simulated stations."""
    proc = await asyncio.create_subprocess_exec(
        str(ocppctl_binary()), *args, env=env_for(ocppd, tmp_path),
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return proc.returncode, out.decode(), err.decode()


def ctl(ocppd, tmp_path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([str(ocppctl_binary()), *args], capture_output=True, text=True, timeout=60,
                          env=env_for(ocppd, tmp_path))


class OnTerminal:
    """ocppctl in the background with its output on a pseudo-terminal, as an operator runs it: each line can be read
    as it is printed."""

    def __init__(self, ocppd, tmp_path, *args):
        leader, follower = pty.openpty()
        self.proc = subprocess.Popen([str(ocppctl_binary()), *args], stdin=subprocess.DEVNULL, stdout=follower,
                                     stderr=follower, env=env_for(ocppd, tmp_path))
        os.close(follower)
        self._leader = leader
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        pending = b""
        while True:
            try:
                data = os.read(self._leader, 4096)
            except OSError:  # EIO: the process and its terminal are gone
                break
            if not data:
                break
            pending += data
            *complete, pending = pending.split(b"\n")
            self.lines.extend(line.decode().rstrip("\r") for line in complete)
        if pending:
            self.lines.append(pending.decode().rstrip("\r"))

    async def line(self, pattern: str, timeout: float = 15) -> re.Match:
        def found():
            return next((m for m in map(re.compile(pattern).search, list(self.lines)) if m), None)

        return await async_wait_until(found, timeout=timeout, interval=0.05, what=f"a line matching {pattern!r}")

    async def wait(self, timeout: float = 30) -> int:
        code = await asyncio.to_thread(self.proc.wait, timeout)
        await asyncio.to_thread(self._reader.join, 5)
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(5)
        os.close(self._leader)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


def station(ocppd, cp_id: str) -> dict:
    return ocppd.station(cp_id)


async def astation(ocppd, cp_id: str) -> dict:
    return await asyncio.to_thread(ocppd.station, cp_id)


def in_order(lines: list[str], expected: list[str]) -> bool:
    """Each of `expected` is contained in a line, in that order (other lines may come between)."""
    position = 0
    for line in lines:
        if position < len(expected) and expected[position] in line:
            position += 1
    return position == len(expected)


def leaf_serial(chain: str) -> int:
    return certificates(chain)[0].serial_number


# ---------------------------------------------------------------------------------------------
# stations set-profile
# ---------------------------------------------------------------------------------------------


def test_set_profile_3_from_2_gets_a_certificate_and_moves_the_station_step_by_step(tls_ocppd, station_pki, tmp_path):
    ocppd, cp_id = tls_ocppd, "CTL-SEC-P3"
    put_station(ocppd, cp_id, securityProfile=2, authorizationKey=KEY)
    root_ca = station_pki / "ca.pem"

    async def scenario():
        async with SimStation(ocppd, cp_id, tmp_path, station_pki, key=KEY) as cp:
            await cp.connect(2)
            assert (await astation(ocppd, cp_id))["connectedSecurityProfile"] == 2
            done = await actl(ocppd, tmp_path, "stations", "set-profile", cp_id, "3", "--root-ca", str(root_ca),
                              "--wait", "20")
            assert done[0] == OK, done
            after_command = await astation(ocppd, cp_id)
            # On profile 3 the key alone no longer opens a connection.
            key_only = await handshake_refusal(ocppd.ws_url(cp_id), headers=basic_auth(cp_id, KEY),
                                               ssl=client_tls(station_pki))
            cp.check()
            return done, after_command, key_only.status_code, cp

    (code, out, err), after_command, key_only, cp = run(scenario())
    assert code == OK, (out, err)
    assert cp.installed == [("CentralSystemRootCertificate", root_ca.read_text())]
    assert cp.chain is not None and cp.sign_answers == ["Accepted"]
    assert cp.profile_changes == [3] and cp.connections == [2, 3]
    certificate = after_command["certificate"]
    assert certificate and int(certificate["serialNumber"], 16) == leaf_serial(cp.chain)
    lines = out.splitlines()
    assert all(line.startswith(f"{cp_id}: ") for line in lines), out
    assert in_order(lines, [
        "CentralSystemRootCertificate installed",
        "asked to renew its certificate",
        f"certificate {certificate['serialNumber']} issued",
        "SecurityProfile 3 accepted; waiting for the station to reconnect on it",
        "reconnected on profile 3; ocppd now requires it",
    ]), out
    assert after_command["securityProfile"] == 3
    assert after_command["connectedSecurityProfile"] == 3
    assert key_only == 401


def test_set_profile_2_from_0_sets_a_key_and_the_station_comes_back_on_wss_with_it(tls_ocppd, station_pki, tmp_path):
    ocppd, cp_id = tls_ocppd, "CTL-SEC-P2"
    put_station(ocppd, cp_id, securityProfile=0)

    async def scenario():
        async with SimStation(ocppd, cp_id, tmp_path, station_pki) as cp:
            await cp.connect(0)
            assert (await astation(ocppd, cp_id))["connectedSecurityProfile"] == 0
            done = await actl(ocppd, tmp_path, "stations", "set-profile", cp_id, "2", "--wait", "20")
            assert done[0] == OK, done
            after_command = await astation(ocppd, cp_id)
            # ocppd holds the key the station was given: the plain port no longer takes the station, even with it.
            plain = await handshake_refusal(cp.url(0), headers=basic_auth(cp_id, cp.authorization_key or "-"))
            cp.check()
            return done, after_command, plain.status_code, cp

    (code, out, err), after_command, plain, cp = run(scenario())
    assert code == OK, (out, err)
    assert re.fullmatch(r"[0-9a-f]{32}", cp.authorization_key or ""), cp.authorization_key
    assert cp.profile_changes == [2] and cp.connections == [0, 2]  # back on wss with Basic and that key
    assert in_order(out.splitlines(), [
        f"{cp_id}: authorization key set on the station and in ocppd",
        f"{cp_id}: SecurityProfile 2 accepted; waiting for the station to reconnect on it",
        f"{cp_id}: reconnected on profile 2; ocppd now requires it",
    ]), out
    assert cp.authorization_key not in out + err
    assert after_command["securityProfile"] == 2 and after_command["hasAuthorizationKey"]
    assert after_command["connectedSecurityProfile"] == 2
    assert plain == 403


def test_a_station_that_comes_back_on_its_old_profile_times_out_and_keeps_it(tls_ocppd, station_pki, tmp_path):
    ocppd, cp_id = tls_ocppd, "CTL-SEC-STUBBORN"
    put_station(ocppd, cp_id, securityProfile=2, authorizationKey=KEY)

    async def scenario():
        async with SimStation(ocppd, cp_id, tmp_path, station_pki, key=KEY, stubborn=True) as cp:
            await cp.connect(2)
            done = await actl(ocppd, tmp_path, "stations", "set-profile", cp_id, "3", "--wait", "5")
            assert done[0] == TIMEOUT, done
            after_command = await astation(ocppd, cp_id)
            # Still accepted on profile 2: a new connection with Basic works.
            await cp.disconnect()
            await cp.connect(2)
            await cp.peer.send(call.Heartbeat())
            again = await astation(ocppd, cp_id)
            cp.check()
            return done, after_command, again, cp

    (code, out, err), after_command, again, cp = run(scenario())
    assert code == TIMEOUT, (out, err)
    assert cp.profile_changes == [3] and cp.connections == [2, 2, 2]
    assert f"{cp_id} did not reconnect on profile 3 within 5 s" in err, err
    assert "still accepts it on profile 2" in err, err
    assert "SecurityProfile 3 accepted" in out and "ocppd now requires it" not in out, out
    assert after_command["certificate"], "the certificate step came first"
    assert after_command["securityProfile"] == 2
    assert after_command["connectedSecurityProfile"] == 2
    assert again["securityProfile"] == 2 and again["connectedSecurityProfile"] == 2


# ---------------------------------------------------------------------------------------------
# stations renew-certificate and certificate-requests
# ---------------------------------------------------------------------------------------------


def test_renew_certificate_without_a_station_ca_waits_for_the_operator_to_sign(ocppd, pki, tmp_path):
    cp_id = "CTL-SEC-RENEW"
    chain_file = tmp_path / "chain.pem"

    async def scenario():
        async with SimStation(ocppd, cp_id, tmp_path) as cp:
            await cp.connect(0)
            renew = OnTerminal(ocppd, tmp_path, "stations", "renew-certificate", cp_id, "--wait", "30")
            try:
                asked = await renew.line(r"certificate request (\d+) is pending: "
                                         r"sign it \(ocppctl certificate-requests sign (\d+) CHAIN\.pem\)")
                request_id = asked.group(1)
                assert asked.group(2) == request_id
                assert renew.proc.poll() is None, "renew-certificate stopped before the request was signed"
                await async_wait_until(lambda: cp.sign_answers, what="ocppd's answer to the CSR")
                assert len(cp.csrs) == 1 and cp.sign_answers == ["Accepted"]
                chain_file.write_text(sign_csr(cp.csrs[0], pki))
                signed = await actl(ocppd, tmp_path, "certificate-requests", "sign", request_id, str(chain_file))
                code = await renew.wait()
            finally:
                renew.close()
            cp.check()
            return request_id, signed, code, renew.output, cp

    request_id, signed, code, output, cp = run(scenario())
    assert signed[0] == OK, signed
    assert signed[1].strip() == f"request {request_id}: CertificateSigned Accepted"
    assert cp.chain == chain_file.read_text()
    serial = format(leaf_serial(cp.chain), "X")
    assert code == OK, output
    assert re.search(rf"^{cp_id}: new certificate {serial}, valid until ", output, re.MULTILINE), output
    assert station(ocppd, cp_id)["certificate"]["serialNumber"] == serial

    listed = ctl(ocppd, tmp_path, "certificate-requests", "list", "--station", cp_id, "-o", "json")
    assert listed.returncode == OK, listed.stderr
    requests = json.loads(listed.stdout)
    assert [(r["id"], r["cpId"], r["status"]) for r in requests] == [(int(request_id), cp_id, "signed")]
    table = ctl(ocppd, tmp_path, "certificate-requests", "list", "--status", "signed")
    assert table.stdout.splitlines()[0].split() == ["ID", "STATION", "STATUS", "RECEIVED", "REASON"]
    assert any(line.split()[:3] == [request_id, cp_id, "signed"] for line in table.stdout.splitlines()), table.stdout
    assert "(none)" in ctl(ocppd, tmp_path, "certificate-requests", "list", "--status", "pending").stdout

    again = ctl(ocppd, tmp_path, "certificate-requests", "reject", request_id)
    assert again.returncode not in (OK, NOT_FOUND), again
    assert "not pending" in again.stderr, again.stderr
    unknown = ctl(ocppd, tmp_path, "certificate-requests", "reject", "999999")
    assert unknown.returncode == NOT_FOUND, unknown


def test_sign_reads_the_chain_from_stdin_and_a_request_signed_already_is_no_offline_station(ocppd, pki, tmp_path):
    cp_id = "CTL-SEC-STDIN"

    async def scenario():
        async with SimStation(ocppd, cp_id, tmp_path) as cp:
            await cp.connect(0)
            await cp.send_csr(cp.peer)
            [request] = (await asyncio.to_thread(ocppd.get, f"/api/certificate-requests?cpId={cp_id}")).json()
            chain = sign_csr(cp.csrs[0], pki)
            signed = await actl(ocppd, tmp_path, "certificate-requests", "sign", str(request["id"]), "-",
                                stdin=chain.encode())
            again = await actl(ocppd, tmp_path, "certificate-requests", "sign", str(request["id"]), "-",
                               stdin=chain.encode())
            cp.check()
            return request["id"], chain, signed, again, cp

    request_id, chain, signed, again, cp = run(scenario())
    assert signed[0] == OK, signed
    assert cp.chain == chain
    # The station is connected all along: what went wrong is the request, as `reject` of a signed one says.
    assert "not pending" in again[2], again
    assert again[0] not in (OK, OFFLINE), f"exit {again[0]} says the station is not connected: {again[2]!r}"


def test_renew_certificate_whose_csr_is_rejected_is_refused_with_the_reason(ocppd_factory, station_pki, tmp_path):
    ocppd = ca_ocppd(ocppd_factory, station_pki, tls=False)
    cp_id = "CTL-SEC-WRONG-CN"

    async def scenario():
        async with SimStation(ocppd, cp_id, tmp_path, csr_cn="CTL-SEC-SOMEONE-ELSE") as cp:
            await cp.connect(0)
            done = await actl(ocppd, tmp_path, "stations", "renew-certificate", cp_id, "--wait", "20")
            cp.check()
            return done, cp

    (code, out, err), cp = run(scenario())
    assert code == REFUSED, (out, err)
    assert cp.sign_answers == ["Rejected"] and cp.chain is None
    [request] = ocppd.get(f"/api/certificate-requests?cpId={cp_id}").json()
    assert request["status"] == "rejected" and request["reason"]
    assert f"certificate request {request['id']} of {cp_id} was rejected: {request['reason']}" in err, err
    assert station(ocppd, cp_id).get("certificate") is None


# ---------------------------------------------------------------------------------------------
# security-events
# ---------------------------------------------------------------------------------------------


def test_security_events_lists_newest_first_and_follow_prints_new_ones_as_json_lines(ocppd, tmp_path):
    first, second = "CTL-SEC-EV-1", "CTL-SEC-EV-2"
    tamper = ("TamperDetectionActivated", iso_now(-60), "lid opened")
    invalid = ("InvalidMessages", iso_now(-120), None)  # sent after the tamper event, but happened before it

    async def scenario():
        async with SimStation(ocppd, first, tmp_path) as one, SimStation(ocppd, second, tmp_path) as two:
            await one.connect(0)
            await two.connect(0)
            for event in (tamper, invalid):
                await one.send_event(*event)
            await two.send_event("StartupOfTheDevice", iso_now(-30))
            listed = await actl(ocppd, tmp_path, "security-events", first, "-o", "json")
            api = (await asyncio.to_thread(ocppd.get, f"/api/stations/{first}/security-events")).json()
            table = await actl(ocppd, tmp_path, "security-events", first)
            everyone = await actl(ocppd, tmp_path, "security-events", "-o", "json")
            everyone_table = await actl(ocppd, tmp_path, "security-events")

            follow = await asyncio.create_subprocess_exec(
                str(ocppctl_binary()), "security-events", "--follow", "-o", "json", env=env_for(ocppd, tmp_path),
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
            try:
                # Until the follower has subscribed, events pass it by: the second station sends until one shows.
                probe = None
                for _ in range(40):
                    await two.send_event("SettingSystemTime", iso_now(), "probe")
                    with contextlib.suppress(asyncio.TimeoutError):
                        probe = await asyncio.wait_for(follow.stdout.readline(), 0.5)
                        break
                assert probe, "security-events --follow printed nothing"
                new = ("FirmwareUpdated", iso_now(), "v2")
                await one.send_event(*new)
                lines = [json.loads(probe)]
                while lines[-1].get("cpId") != first:
                    lines.append(json.loads(await asyncio.wait_for(follow.stdout.readline(), 10)))
                assert follow.returncode is None, "the follower stopped"
            finally:
                if follow.returncode is None:
                    follow.terminate()
                await follow.wait()
            return listed, api, table, everyone, everyone_table, lines, new

    listed, api, table, everyone, everyone_table, lines, new = run(scenario())
    assert listed[0] == OK, listed
    events = json.loads(listed[1])
    assert events == api  # the API's JSON as it is
    assert [e["type"] for e in events] == ["TamperDetectionActivated", "InvalidMessages"]  # newest first
    assert [parse_time(e["timestamp"]) for e in events] == [parse_time(tamper[1]), parse_time(invalid[1])]
    assert events[0]["techInfo"] == "lid opened"

    assert table[0] == OK, table
    rows = table[1].splitlines()
    assert rows[0].split() == ["AT", "STATION", "TYPE", "TECH", "INFO"]
    assert [next(t for t in ("TamperDetectionActivated", "InvalidMessages") if t in row) for row in rows[1:3]] == [
        "TamperDetectionActivated", "InvalidMessages"]
    assert "lid opened" in rows[1] and first in rows[1]

    assert everyone[0] == OK, everyone
    assert sorted((e["cpId"], e["type"]) for e in json.loads(everyone[1])) == sorted(
        [(first, "TamperDetectionActivated"), (first, "InvalidMessages"), (second, "StartupOfTheDevice")])
    assert everyone_table[0] == OK and first in everyone_table[1] and second in everyone_table[1], everyone_table

    # Every station's events, one JSON object per line: the probes of the second, then the first's new one.
    assert all(line["type"] == "security.event" for line in lines), lines
    assert {line["cpId"] for line in lines[:-1]} <= {second}
    assert lines[0]["eventType"] == "SettingSystemTime"
    last = lines[-1]
    assert (last["cpId"], last["eventType"], last["techInfo"]) == (first, new[0], new[2])
    assert parse_time(last["timestamp"]) == parse_time(new[1])
    parse_time(last["at"])


# ---------------------------------------------------------------------------------------------
# Live output in a pipe (scripts, `| tee`, CI logs): what a waiting or following command prints must come out when
# printed, in order, not when the process ends (stdout to a pipe is block-buffered unless flushed).
# ---------------------------------------------------------------------------------------------


def test_renew_certificate_says_which_request_to_sign_while_it_waits_also_in_a_pipe(ocppd, pki, tmp_path):
    """A script runs renew-certificate with its output in a pipe and must see the request id while the command waits
    for it to be signed."""
    cp_id = "CTL-SEC-PIPE"

    async def scenario():
        async with SimStation(ocppd, cp_id, tmp_path) as cp:
            await cp.connect(0)
            renew = await asyncio.create_subprocess_exec(
                str(ocppctl_binary()), "stations", "renew-certificate", cp_id, "--wait", "15",
                env=env_for(ocppd, tmp_path), stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
            try:
                await async_wait_until(lambda: cp.csrs, what="the station's CSR")
                seen: list[str] = []
                with contextlib.suppress(asyncio.TimeoutError):
                    while not any("certificate request" in line for line in seen):
                        seen.append((await asyncio.wait_for(renew.stdout.readline(), 4)).decode())
                running = renew.returncode is None
            finally:
                if renew.returncode is None:
                    renew.kill()
                await renew.wait()
            return seen, running

    seen, running = run(scenario())
    assert running and any("certificate request" in line for line in seen), (
        f"while renew-certificate waited, its piped output showed only {seen!r}")


def test_security_events_follow_in_a_pipe_prints_the_list_before_new_events(ocppd, tmp_path):
    cp_id = "CTL-SEC-PIPE-EV"

    async def scenario():
        async with SimStation(ocppd, cp_id, tmp_path) as cp:
            await cp.connect(0)
            await cp.send_event("StartupOfTheDevice", iso_now(-10))
            follow = await asyncio.create_subprocess_exec(
                str(ocppctl_binary()), "security-events", cp_id, "--follow", env=env_for(ocppd, tmp_path),
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
            lines: list[str] = []
            try:
                for _ in range(40):  # until the follower has subscribed
                    await cp.send_event("SettingSystemTime", iso_now(), "probe")
                    with contextlib.suppress(asyncio.TimeoutError):
                        lines.append((await asyncio.wait_for(follow.stdout.readline(), 0.5)).decode())
                        break
                with contextlib.suppress(asyncio.TimeoutError):
                    while len(lines) < 3:
                        lines.append((await asyncio.wait_for(follow.stdout.readline(), 2)).decode())
            finally:
                if follow.returncode is None:
                    follow.terminate()
                await follow.wait()
            return lines

    lines = run(scenario())
    assert lines and lines[0].split()[:2] == ["AT", "STATION"], f"piped output of security-events --follow: {lines!r}"
    # The list (newest first) may open with probes sent before the follower listed: the older event is in it all the same.
    assert any("StartupOfTheDevice" in line for line in lines[1:]), lines
