"""A cluster of three ocppd on a three-node Galera cluster, stations behind nginx, driven by the `ocpp` package's charge
point: any node answers for every station, events of every node reach every stream, and a node or a database node that
dies loses nothing a station was answered."""

from __future__ import annotations

import asyncio
import base64
import collections
import hashlib
import os
import time

import requests

from cluster import Fleet, Station, aapi, api, samples_stored
from harness import DEFAULT_TOKEN, SseStream, async_wait_until, connect_peer, open_ws, run, wait_until

STATIONS = 30


async def start_fleet_stations(fleet: Fleet, count: int, prefix: str) -> list[Station]:
    stations = [Station(fleet.nginx.ws_url(f"{prefix}{i:02d}"), f"{prefix}{i:02d}") for i in range(count)]
    for station in stations:
        station.start()
    await asyncio.gather(*(station.wait_connected() for station in stations))
    return stations


async def stop_all(stations: list[Station]) -> None:
    await asyncio.gather(*(station.stop() for station in stations))


def other_node(fleet: Fleet, node_id: str):
    return next(node for node in fleet.nodes if node.node_id != node_id)


def test_thirty_stations_over_three_nodes_each_commanded_through_a_node_that_does_not_hold_it(fleet: Fleet):
    async def scenario():
        stations = await start_fleet_stations(fleet, STATIONS, "CP-SPREAD-")
        try:
            owners = await async_wait_until(
                lambda: (o := fleet.owners()) and all(o.get(s.cp_id) for s in stations) and o, what="every station owned")
            # Every node's view is the same, cluster-wide.
            for node in fleet.nodes:
                assert (await asyncio.to_thread(fleet.owners, node)) == owners
                listed = (await aapi(node, "GET", "/api/stations/connected/list", params={"limit": 100})).json()
                assert {s["id"] for s in listed} >= {s.cp_id for s in stations}
            assert set(owners.values()) == {node.node_id for node in fleet.nodes}, "nginx spread them over every node"
            nodes = (await aapi(fleet.nodes[0], "GET", "/api/cluster/nodes")).json()
            counts = collections.Counter(owners[s.cp_id] for s in stations)
            assert {n["id"]: n["stations"] for n in nodes} == dict(counts)
            assert all(n["alive"] and n["url"].startswith("http://127.0.0.1:") for n in nodes)

            async def command(station: Station):
                via = other_node(fleet, owners[station.cp_id])
                return await aapi(via, "POST", f"/api/admin/{station.cp_id}/reset", json={"type": "Soft"})

            answers = await asyncio.gather(*(command(s) for s in stations))
            # Answered exactly as a single node would, status codes included.
            assert [(a.status_code, a.json()) for a in answers] == [(200, {"status": "Accepted"})] * STATIONS
            invalid = await aapi(
                other_node(fleet, owners[stations[0].cp_id]), "POST", f"/api/admin/{stations[0].cp_id}/reset",
                json={"type": "Sideways"})
            assert invalid.status_code == 400 and invalid.headers["content-type"].startswith("application/problem+json")
            refused = await aapi(
                other_node(fleet, owners[stations[0].cp_id]), "POST", f"/api/admin/{stations[0].cp_id}/clear-cache", json={})
            assert refused.status_code == 502 and "NotImplemented" in refused.json()["detail"]
            # The command log is the owner's, seen from any node.
            log = (await aapi(fleet.nodes[0], "GET", "/api/commands", params={"limit": 200})).json()
            assert sum(1 for c in log if c["action"] == "Reset") >= STATIONS
        finally:
            await stop_all(stations)
        # Gone from every node's view once they left.
        await async_wait_until(lambda: not any(fleet.owners().values()), what="no station connected")

    run(scenario(), timeout=180)


def test_internal_routes_refuse_everything_without_the_cluster_secret(fleet: Fleet):
    node = fleet.nodes[0]
    for headers in ({}, {"X-Ocppd-Cluster-Secret": "wrong-secret-of-enough-length"}, {"Authorization": "Bearer itest-token-4f1c2a9e7b3d"}):
        resp = api(node, "POST", "/internal/v1/stations/CP-X/call/Reset", json={"type": "Soft"}, headers=headers)
        assert resp.status_code == 401, (headers, resp.status_code)
    document = api(node, "GET", "/api/openapi.json").json()
    assert not [path for path in document["paths"] if "internal" in path]
    assert "/api/cluster/nodes" in document["paths"]


def test_a_station_on_no_live_node_is_409_and_unknown_is_404(fleet: Fleet):
    a, b, _ = fleet.nodes
    assert api(b, "PUT", "/api/stations/CP-ABSENT", json={}).status_code in (200, 201)
    assert api(b, "POST", "/api/admin/CP-ABSENT/reset", json={"type": "Soft"}).status_code == 409
    assert api(b, "POST", "/api/admin/CP-NOWHERE/reset", json={"type": "Soft"}).status_code == 404
    assert api(b, "GET", "/api/stations/CP-ABSENT").json()["node"] is None

    # A station whose node died (and that does not come back elsewhere): not connected, and 409, once the node is dead.
    async def scenario():
        from cluster import FleetPeer

        async with connect_peer(b, "CP-ORPHAN", peer_class=FleetPeer) as cp:
            await cp.boot()
            await async_wait_until(lambda: fleet.owners(a).get("CP-ORPHAN") == "n2", what="owned by n2")
            b.kill()
            station = await async_wait_until(
                lambda: not (s := api(a, "GET", "/api/stations/CP-ORPHAN").json())["connected"] and s, timeout=15,
                what="CP-ORPHAN not connected")
            command = await aapi(a, "POST", "/api/admin/CP-ORPHAN/reset", json={"type": "Soft"})
            listed = await aapi(a, "GET", "/api/stations/connected/list")
            return station, command, listed.json()

    station, command, listed = run(scenario(), timeout=60)
    assert station["node"] is None
    assert command.status_code == 409 and "not connected" in command.json()["detail"]
    assert "CP-ORPHAN" not in {s["id"] for s in listed}


def test_events_of_every_node_reach_one_stream_in_each_stations_order_and_resume_on_another_node(fleet: Fleet):
    statuses = ["Preparing", "Charging", "SuspendedEV", "Charging", "Finishing", "Available"]

    async def scenario():
        stations = await start_fleet_stations(fleet, 9, "CP-EVENTS-")
        stream = await SseStream.open(fleet.nodes[0], "/api/events")
        try:
            await async_wait_until(lambda: all(fleet.owners().get(s.cp_id) for s in stations), what="stations owned")

            async def walk(station: Station):
                for status in statuses:
                    await station.peer.status(1, status)

            await asyncio.gather(*(walk(s) for s in stations))
            seen: dict[str, list[str]] = collections.defaultdict(list)
            ids = []
            while any(len(seen[s.cp_id]) < len(statuses) for s in stations):
                name, data = await stream.next_event(timeout=15)
                if name == "connector.status" and data["cpId"].startswith("CP-EVENTS-"):
                    seen[data["cpId"]].append(data["status"])
                    ids.append(stream.last_id)
            resume_from = stream.last_id
        finally:
            await stream.close()
        # Missed while no stream was open, on stations of every node:
        await asyncio.gather(*(s.peer.status(1, "Unavailable") for s in stations))
        await asyncio.gather(*(s.peer.status(1, "Available") for s in stations))
        resumed = await SseStream.open(fleet.nodes[2], "/api/events", last_event_id=resume_from)
        try:
            missed: dict[str, list[str]] = collections.defaultdict(list)
            while sum(len(v) for v in missed.values()) < 2 * len(stations):
                name, data = await resumed.next_event(timeout=15)
                assert name == "connector.status" and data["cpId"].startswith("CP-EVENTS-"), (name, data)
                missed[data["cpId"]].append(data["status"])
            # Exactly the missed ones: nothing else comes before the next live event.
            await stations[0].peer.status(1, "Preparing")
            name, data = await resumed.next_event(timeout=15)
        finally:
            await resumed.close()
            await stop_all(stations)
        return seen, ids, missed, (name, data)

    seen, ids, missed, live = run(scenario(), timeout=180)
    owners_seen = {cp_id for cp_id in seen}
    assert len(owners_seen) == 9
    for cp_id, got in seen.items():
        assert got == statuses, f"{cp_id}: events out of order: {got}"
    assert all(":" in event_id for event_id in ids), ids[:3]
    assert dict(missed) == {cp_id: ["Unavailable", "Available"] for cp_id in seen}
    assert live[0] == "connector.status" and live[1]["status"] == "Preparing"


def test_a_station_that_reconnects_to_another_node_is_owned_there_and_commands_follow_it(fleet: Fleet):
    a, b, c = fleet.nodes
    cp_id = "CP-MOVER"

    async def scenario():
        from cluster import FleetPeer

        stream = await SseStream.open(c, f"/api/events?cpId={cp_id}")
        try:
            async with connect_peer(a, cp_id, peer_class=FleetPeer) as first:
                await first.boot()
                await async_wait_until(lambda: fleet.owners(c).get(cp_id) == "n1", what="owned by n1")
                async with connect_peer(b, cp_id, peer_class=FleetPeer) as second:
                    await second.boot()
                    # The old node closes its stale socket as soon as it learns.
                    await asyncio.wait_for(first.ws.wait_closed(), 10)
                    await async_wait_until(lambda: fleet.owners(a).get(cp_id) == "n2", what="owned by n2")
                    answer = await aapi(a, "POST", f"/api/admin/{cp_id}/change-configuration",
                                        json={"key": "HeartbeatInterval", "value": "30"})
                    # What a watcher saw: the station came to n2 and never left it.
                    # (The command's audit entry, kept by the node that took the request, may come before the result
                    # the station's node kept.)
                    seen = []
                    while len(seen) < 5:
                        name, data = await stream.next_event(timeout=10)
                        if name != "audit.entry":
                            seen.append((name, data.get("node")))
                    return answer.status_code, answer.json(), seen
        finally:
            await stream.close()

    status, body, seen = run(scenario(), timeout=60)
    assert (status, body) == (200, {"status": "Accepted"})
    assert seen == [("station.connected", "n1"), ("station.booted", None), ("station.connected", "n2"),
                    ("station.booted", None), ("command.result", None)], seen


def test_a_node_that_dies_while_a_command_waits_for_its_station_answers_502(fleet: Fleet):
    a, b, _ = fleet.nodes
    cp_id = "CP-SLOW"

    from cluster import FleetPeer
    from ocpp.routing import on
    from ocpp.v16 import call_result

    class SlowPeer(FleetPeer):
        @on("Reset")
        async def on_reset(self, type, **kwargs):
            await asyncio.sleep(60)
            return call_result.Reset(status="Accepted")

    async def scenario():
        async with connect_peer(b, cp_id, peer_class=SlowPeer) as cp:
            await cp.boot()
            await async_wait_until(lambda: fleet.owners(a).get(cp_id) == "n2", what="owned by n2")
            began = time.monotonic()
            waiting = asyncio.create_task(aapi(a, "POST", f"/api/admin/{cp_id}/reset", json={"type": "Soft"}))
            await asyncio.sleep(1)
            b.kill()
            answer = await asyncio.wait_for(waiting, 20)
            return answer, time.monotonic() - began

    answer, took = run(scenario(), timeout=60)
    assert answer.status_code == 502, answer.text
    assert "n2" in answer.json()["detail"] and answer.json()["node"] == "n2"
    assert took < 10


def test_kill_9_of_a_node_its_stations_come_back_and_nothing_answered_is_lost(fleet: Fleet):
    async def scenario():
        stations = await start_fleet_stations(fleet, 12, "CP-KILL-")
        try:
            await async_wait_until(lambda: all(fleet.owners().get(s.cp_id) for s in stations), what="stations owned")
            charging = [asyncio.create_task(s.charge(1000, samples=40, interval=0.1)) for s in stations]
            await asyncio.sleep(1.0)
            victim = fleet.nodes[1]
            before = {cp for cp, node in fleet.owners().items() if node == victim.node_id}
            assert before, "the victim held stations"
            victim.kill()
            killed_at = time.monotonic()
            survivor = fleet.nodes[0]
            await async_wait_until(
                lambda: all((o := fleet.owners(survivor)).get(cp) not in (None, victim.node_id) for cp in before),
                timeout=10, interval=0.2, what="the victim's stations back on other nodes")
            back_after = time.monotonic() - killed_at
            await asyncio.wait_for(asyncio.gather(*charging), 90)
            cp = next(iter(before))
            owner = fleet.owners(survivor)[cp]
            command = await aapi(
                next(n for n in fleet.nodes if n.node_id not in (owner, victim.node_id)), "POST",
                f"/api/admin/{cp}/reset", json={"type": "Hard"})
            # The dead node's row ages out: dead within a few seconds of its last renewal.
            nodes = await async_wait_until(
                lambda: not (n := api(survivor, "GET", "/api/cluster/nodes").json())[1]["alive"] and n, timeout=15,
                what="n2 dead")
            return stations, back_after, command, nodes
        finally:
            await stop_all(stations)

    stations, back_after, command, nodes = run(scenario(), timeout=180)
    assert back_after < 10
    assert command.status_code == 200 and command.json() == {"status": "Accepted"}
    assert {n["id"]: n["alive"] for n in nodes} == {"n1": True, "n2": False, "n3": True}
    survivor = fleet.nodes[0]
    for station in stations:
        assert len(station.acknowledged) == 40
        stored = samples_stored(survivor, station.transaction_id)
        missing = {wh for _, wh in station.acknowledged} - stored
        assert not missing, f"{station.cp_id}: acknowledged but not stored: {sorted(missing)}"


def test_kill_9_of_a_database_node_the_others_stay_primary_and_nothing_answered_is_lost(fleet: Fleet):
    galera = fleet.galera

    async def scenario():
        stations = await start_fleet_stations(fleet, 9, "CP-DBKILL-")
        try:
            await async_wait_until(lambda: all(fleet.owners().get(s.cp_id) for s in stations), what="stations owned")
            charging = [asyncio.create_task(s.charge(5000, samples=40, interval=0.1)) for s in stations]
            await asyncio.sleep(1.0)
            await asyncio.to_thread(galera.kill, 3)
            # The node on the dead database is not ready; the others are, and stay Primary.
            await async_wait_until(lambda: api(fleet.nodes[2], "GET", "/readyz").status_code == 503, timeout=15,
                                   what="n3 not ready")
            await async_wait_until(lambda: all(galera.status(i)["wsrep_cluster_size"] == "2" for i in (1, 2)), timeout=20,
                                   what="the survivors to form a cluster of two")
            statuses = [galera.status(i) for i in (1, 2)]
            ready = [api(fleet.nodes[i], "GET", "/readyz").status_code for i in (0, 1)]
            await asyncio.wait_for(asyncio.gather(*charging), 120)
            return stations, statuses, ready
        finally:
            await stop_all(stations)

    try:
        stations, statuses, ready = run(scenario(), timeout=240)
    finally:
        galera.restart(3)
    assert all(s["wsrep_cluster_status"] == "Primary" and s["wsrep_ready"] == "ON" for s in statuses), statuses
    assert ready == [200, 200]
    for station in stations:
        assert len(station.acknowledged) == 40
        stored = samples_stored(fleet.nodes[0], station.transaction_id)
        missing = {wh for _, wh in station.acknowledged} - stored
        assert not missing, f"{station.cp_id}: acknowledged but not stored: {sorted(missing)}"
    # Back in the cluster: n3's database catches up and n3 serves again.
    wait_until(lambda: api(fleet.nodes[2], "GET", "/readyz").status_code == 200, timeout=30, what="n3 ready again")


def test_ocppctl_lists_the_nodes_shows_each_stations_node_and_takes_the_first_server_that_answers(fleet: Fleet, tmp_path):
    import json
    import os
    import subprocess

    from harness import DEFAULT_TOKEN, ocppd_binary

    def ctl(*args: str, servers: list[str]) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OCPPCTL_", "OCPPD_"))}
        env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"), NO_COLOR="1",
                   OCPPCTL_SERVER=",".join(servers), OCPPCTL_TOKEN=DEFAULT_TOKEN)
        return subprocess.run([str(ocppd_binary().parent / "ocppctl"), *args], capture_output=True, text=True, timeout=60, env=env)

    async def scenario():
        stations = await start_fleet_stations(fleet, 3, "CP-CTL-")
        try:
            await async_wait_until(lambda: all(fleet.owners().get(s.cp_id) for s in stations), what="stations owned")
            owners = fleet.owners()
            fleet.nodes[0].kill()  # the first server of the list is down
            servers = [node.base_url for node in fleet.nodes]
            nodes = await asyncio.to_thread(ctl, "cluster", "nodes", servers=servers)
            listing = await asyncio.to_thread(ctl, "stations", "list", servers=servers)
            as_json = await asyncio.to_thread(ctl, "cluster", "nodes", "-o", "json", servers=servers)
            return owners, nodes, listing, as_json
        finally:
            await stop_all(stations)

    owners, nodes, listing, as_json = run(scenario(), timeout=120)
    assert nodes.returncode == 0, nodes.stderr
    assert [line.split()[0] for line in nodes.stdout.splitlines()] == ["NODE", "n1", "n2", "n3"]
    assert {n["id"] for n in json.loads(as_json.stdout)} == {"n1", "n2", "n3"}
    lines = listing.stdout.splitlines()
    assert listing.returncode == 0 and lines[0].split()[:3] == ["STATION", "STATE", "NODE"], listing.stdout
    shown = {line.split()[0]: line.split()[2] for line in lines[1:] if line.startswith("CP-CTL-")}
    # A station of the killed node shows its old node until it reconnects elsewhere, or its new one: never blank.
    assert set(shown) == {f"CP-CTL-{i:02d}" for i in range(3)} and all(node in {"n1", "n2", "n3", "-"} for node in shown.values())
    assert any(shown[cp] == owners[cp] for cp in shown if owners[cp] != "n1")


def test_a_node_whose_database_node_loses_the_primary_component_sends_its_stations_to_the_majority(fleet: Fleet):
    galera, isolated = fleet.galera, fleet.nodes[2]

    async def scenario():
        stations = await start_fleet_stations(fleet, 12, "CP-PART-")
        try:
            await async_wait_until(lambda: all(fleet.owners().get(s.cp_id) for s in stations), what="stations owned")
            before = {cp for cp, node in fleet.owners().items() if node == "n3"}
            assert before, "n3 held stations"
            # A partition, as Galera's own tests make one: node 3 hears nobody, and is a minority of one.
            await asyncio.to_thread(galera.sql, 3, "SET GLOBAL wsrep_provider_options = 'gmcast.isolate = 1'")
            try:
                await async_wait_until(lambda: api(isolated, "GET", "/readyz").status_code == 503, timeout=20,
                                       what="n3 not ready")
                refusal = api(isolated, "GET", "/readyz").json()["detail"]
                # Its stations were sent away and came back, through nginx, to the majority.
                await async_wait_until(
                    lambda: all(fleet.owners(fleet.nodes[0]).get(cp) in ("n1", "n2") for cp in before), timeout=30,
                    interval=0.2, what="n3's stations on n1 and n2")
                # And it takes none meanwhile.
                handshake = await asyncio.to_thread(
                    lambda: __import__("requests").get(f"{isolated.base_url}/ocpp/CP-PART-NEW", timeout=5, headers={
                        "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol": "ocpp1.6"}))
                command = await aapi(fleet.nodes[0], "POST", f"/api/admin/{next(iter(before))}/reset", json={"type": "Soft"})
            finally:
                await asyncio.to_thread(galera.sql, 3, "SET GLOBAL wsrep_provider_options = 'gmcast.isolate = 0'")
            await async_wait_until(lambda: api(isolated, "GET", "/readyz").status_code == 200, timeout=60,
                                   what="n3 ready again")
            return refusal, handshake.status_code, command
        finally:
            await stop_all(stations)

    refusal, handshake, command = run(scenario(), timeout=180)
    assert "Primary" in refusal or "not ready" in refusal, refusal
    assert handshake == 503
    assert command.status_code == 200 and command.json() == {"status": "Accepted"}


def test_with_tls_the_nodes_forward_over_https_and_trust_the_ca_of_their_chain_file(galera, tmp_path):
    from cluster import ClusterNode, FleetPeer
    from harness import Peer, free_port, ocppd_binary, open_ws
    from pki import make_pki

    (tmp_path / "pki").mkdir()
    pki = make_pki(tmp_path / "pki")
    # The node's certificate and, after it, the CA that signed it: the others trust that CA for the node-to-node calls.
    chain = pki / "chain.pem"
    chain.write_text((pki / "server.pem").read_text() + (pki / "ca.pem").read_text())
    database = galera.fresh_database()
    plain = [free_port(), free_port()]
    nodes = [
        ClusterNode(ocppd_binary(), tmp_path / f"t{i}", f"t{i}", galera.url(i, database), tls_ca=pki / "ca.pem",
                    args=["--tls-cert", str(chain), "--tls-key", str(pki / "server.key"), "--plain-port", str(plain[i - 1])])
        for i in (1, 2)
    ]
    try:
        for node in nodes:
            node.start()

        async def scenario():
            ws = await open_ws(f"ws://127.0.0.1:{plain[1]}/ocpp/CP-TLS-FWD")
            peer = FleetPeer("CP-TLS-FWD", ws, response_timeout=20)
            serve = asyncio.create_task(peer.start())
            try:
                await peer.boot()
                await async_wait_until(lambda: api(nodes[0], "GET", "/api/stations/CP-TLS-FWD").json()["node"] == "t2",
                                       what="owned by t2")
                return await aapi(nodes[0], "POST", "/api/admin/CP-TLS-FWD/reset", json={"type": "Soft"})
            finally:
                serve.cancel()
                await ws.close()

        answer = run(scenario(), timeout=60)
        assert answer.status_code == 200 and answer.json() == {"status": "Accepted"}, answer.text
        assert (api(nodes[0], "GET", "/api/cluster/nodes").json()[1]["url"]).startswith("https://")
    finally:
        for node in nodes:
            node.stop()


def test_conflicting_writes_on_two_nodes_are_retried_and_all_succeed(fleet: Fleet):
    galera = fleet.galera
    a, b, _ = fleet.nodes
    assert api(a, "PUT", "/api/stations/CP-HOT", json={}).status_code in (200, 201)

    def conflicts() -> int:
        total = 0
        for index in (1, 2):
            status = galera.sql(index, "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_cert_failures', 'wsrep_local_bf_aborts')")
            total += sum(int(line.split("\t")[1]) for line in status.strip().splitlines())
        return total

    before = conflicts()

    async def scenario():
        # The same row from two nodes at once: Galera lets one commit and fails the other (1213), which ocppd retries.
        async def put(node, n):
            return await aapi(node, "PUT", "/api/stations/CP-HOT", json={"description": f"{node.node_id}-{n}"}, timeout=60)

        return await asyncio.gather(*(put(node, n) for n in range(40) for node in (a, b)))

    answers = run(scenario(), timeout=120)
    assert [r.status_code for r in answers] == [200] * len(answers), [r.text for r in answers if r.status_code != 200][:3]
    assert conflicts() > before, "no write conflict happened: the test proved nothing"


def test_security_extension_across_nodes_csr_signed_through_another_node_events_and_profiles_everywhere(fleet: Fleet, tmp_path):
    """A station on n1 asks for a certificate (no station CA: kept pending); an operator on n2 signs it with their own
    CA's chain, which reaches the station through n1; every node shows the bound certificate, the station's security
    event and the profile its connection satisfied."""
    from ocpp.routing import on
    from ocpp.v16 import call, call_result

    from cluster import FleetPeer
    from pki import ec_key, make_ca, make_csr, sign_csr

    a, b, c = fleet.nodes
    cp_id = "CP-SEC-CLUSTER"
    key = "0123456789abcdef0123"
    make_ca(tmp_path, "operator-ca")
    assert api(b, "PUT", f"/api/stations/{cp_id}", json={"securityProfile": 1, "authorizationKey": key}).status_code in (200, 201)

    class SecurePeer(FleetPeer):
        chains: list[str] = []

        @on("CertificateSigned")
        def on_certificate_signed(self, certificate_chain, **kwargs):
            self.chains.append(certificate_chain)
            return call_result.CertificateSigned(status="Accepted")

    async def scenario():
        from harness import basic_auth

        async with connect_peer(a, cp_id, peer_class=SecurePeer, headers=basic_auth(cp_id, key)) as peer:
            await peer.boot()
            csr = make_csr(ec_key(), cp_id)
            assert (await peer.send(call.SignCertificate(csr=csr))).status == "Accepted"
            await peer.send(call.SecurityEventNotification(
                type="TamperDetectionActivated", timestamp="2026-12-05T10:00:00Z", tech_info="lid opened"))
            pending = (await aapi(b, "GET", "/api/certificate-requests", params={"cpId": cp_id, "status": "pending"})).json()
            assert [r["csr"] for r in pending] == [csr]
            chain = sign_csr(csr, tmp_path, ca="operator-ca")
            signed = await aapi(b, "POST", f"/api/certificate-requests/{pending[0]['id']}/sign", json={"certificateChain": chain})
            assert (signed.status_code, signed.json()) == (200, {"status": "Accepted"}), signed.text
            assert peer.chains == [chain]
            for node in fleet.nodes:
                station = (await aapi(node, "GET", f"/api/stations/{cp_id}")).json()
                assert station["node"] == "n1" and station["connectedSecurityProfile"] == 1, (node.node_id, station)
                assert station["certificate"] and station["certificate"]["serialNumber"]
                request = (await aapi(node, "GET", f"/api/certificate-requests/{pending[0]['id']}")).json()
                assert request["status"] == "signed"
                events = (await aapi(node, "GET", f"/api/stations/{cp_id}/security-events")).json()
                assert [e["type"] for e in events] == ["TamperDetectionActivated"]

    run(scenario(), timeout=60)


def test_files_uploaded_to_any_node_are_downloaded_through_every_node_and_firmware_is_served_by_all(fleet: Fleet):
    """A station on n1 is asked (through n2) for its diagnostics: its upload URL is the cluster's public URL (nginx),
    and whichever node the upload reaches (here n3) keeps it; every node downloads it, whole or a range, forwarding to
    n3. Firmware stored through n2 is fetched by a charger through n1 with HEAD and a Range. With n3 stopped, its
    file is refused naming n3, not lost silently."""
    from ocpp.routing import on
    from ocpp.v16 import call_result

    from cluster import FleetPeer

    a, b, c = fleet.nodes
    cp_id = "CP-FILES-CLUSTER"
    locations: list[str] = []

    class UploadingPeer(FleetPeer):
        @on("GetDiagnostics")
        def on_get_diagnostics(self, location, **kwargs):
            locations.append(location)
            return call_result.GetDiagnostics(file_name="diag.tar.gz")

    async def scenario():
        async with connect_peer(a, cp_id, peer_class=UploadingPeer) as peer:
            await peer.boot()
            answer = await aapi(b, "POST", f"/api/admin/{cp_id}/get-diagnostics", json={})
            assert (answer.status_code, answer.json()) == (200, {"fileName": "diag.tar.gz"}), answer.text

    run(scenario(), timeout=60)
    assert len(locations) == 1 and locations[0].startswith(fleet.public_url + "/files/upload/"), locations
    content = os.urandom(300_000)
    path = locations[0][len(fleet.public_url):]
    uploaded = requests.put(c.base_url + path + "?name=diag.tar.gz", data=content, timeout=30)
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json()["id"]
    digest = "sha-256=:" + base64.b64encode(hashlib.sha256(content).digest()).decode() + ":"
    for node in fleet.nodes:
        whole = api(node, "GET", f"/api/files/{file_id}")
        assert (whole.status_code, whole.content) == (200, content), (node.node_id, whole.status_code)
        assert whole.headers["Repr-Digest"] == digest
        part = api(node, "GET", f"/api/files/{file_id}", headers={"Authorization": f"Bearer {DEFAULT_TOKEN}", "Range": "bytes=1000-1999"})
        assert (part.status_code, part.content) == (206, content[1000:2000]), node.node_id
        assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(content)}"
        listed = api(node, "GET", "/api/files", params={"cpId": cp_id}).json()
        assert [(f["id"], f["kind"], f["size"]) for f in listed] == [(file_id, "diagnostics", len(content))]
    # The URL was for one upload, whichever node is asked again.
    assert requests.put(a.base_url + path, data=b"again", timeout=30).status_code == 404

    image = os.urandom(200_000)
    stored = api(b, "POST", "/api/firmware", params={"name": "fw-2.0.bin"}, data=image)
    assert stored.status_code == 201, stored.text
    url = stored.json()["url"]
    assert url.startswith(fleet.public_url + "/files/firmware/"), url
    on_a = a.base_url + url[len(fleet.public_url):]
    head = requests.head(on_a, timeout=30)
    assert (head.status_code, head.headers["Content-Length"], head.content) == (200, str(len(image)), b"")
    resumed = requests.get(on_a, headers={"Range": "bytes=150000-"}, timeout=30)
    assert (resumed.status_code, resumed.content) == (206, image[150000:])
    assert requests.get(url, timeout=30).content == image  # through nginx, whichever node it picks

    c.stop()
    refused = api(a, "GET", f"/api/files/{file_id}")
    assert refused.status_code in (502, 503) and "n3" in refused.json()["detail"], refused.text


def test_a_site_with_stations_on_several_nodes_is_computed_by_one_node_and_another_takes_it_over(fleet: Fleet):
    """A site is computed by one node at a time (a lease in the store); its stations may be on any node (the profiles go
    through the normal forwarding). When that node stops, another takes the site over within its lease and goes on
    sharing: the limits in force never sum above the site's limit."""
    import contextlib

    from test_sites import get_site, make_site, same

    a, b, c = fleet.nodes
    rec, (x, y, z) = make_site(a, "SITE-CLUSTER", ["CL-X", "CL-Y", "CL-Z"], limit=32, unit="A", fallbackLimit=8)
    # The node where the site was made computes it first; the stations go to the two others.
    holder_id = wait_until(lambda: get_site(a, "SITE-CLUSTER")["node"], timeout=20, what="a node to compute the site")
    holder = fleet.node(holder_id)
    first, second = [node for node in fleet.nodes if node is not holder]

    async def scenario():
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(x.online(first))
            await stack.enter_async_context(y.online(second))
            await stack.enter_async_context(z.online(second))
            tx = await x.start()
            await rec.reach({tx: 32}, timeout=20)
            ty = await y.start()
            await rec.reach({tx: 16, ty: 16}, timeout=20)
            for node in fleet.nodes:
                site = (await aapi(node, "GET", "/api/sites/SITE-CLUSTER")).json()
                assert site["node"] == holder_id and same(site["allocated"], 32), (node.node_id, site)
            # Every profile went through the command path, whichever node sent it.
            commands = (await aapi(first, "GET", "/api/commands", params={"cpId": "CL-X", "limit": 100})).json()
            assert any(c["action"] == "SetChargingProfile" for c in commands)

            await asyncio.get_running_loop().run_in_executor(None, holder.stop)
            tz = await z.start()
            await rec.reach({tx: 10.6, ty: 10.6, tz: 10.6}, timeout=45)
            site = (await aapi(first, "GET", "/api/sites/SITE-CLUSTER")).json()
            assert site["node"] in (first.node_id, second.node_id), site

    run(scenario(), timeout=120)
    rec.assert_clean()
    assert rec.peak <= 32 + 1e-6


def test_tokens_and_the_audit_are_cluster_wide_at_once_and_one_node_delivers_a_webhook_until_another_takes_over(fleet: Fleet):
    """A token made through one node works on every node; removed through another, it stops everywhere at once and its
    event stream on a third node ends. A webhook is delivered by one node (a lease); when that node stops, another
    takes over from the stored position, and the receiver holds every event in each station's order."""
    from test_webhooks import EXPECTED_SESSION, SECRET, Receiver, sessions, station_events

    n1, n2, n3 = fleet.nodes
    made = n1.post("/api/tokens", json={"name": "cl-tech", "role": "technician"})
    assert made.status_code == 201, made.text
    secret = made.json()["token"]
    assert n2.get("/api/token", token=secret).json()["name"] == "cl-tech"

    async def revoke():
        stream = await SseStream.open(n1, "/api/events", token=secret)
        try:
            assert stream.status == 200
            removed = await aapi(n3, "DELETE", "/api/tokens/cl-tech")
            assert removed.status_code == 200, removed.text
            for node in fleet.nodes:
                assert (await aapi(node, "GET", "/api/stations", headers={"Authorization": f"Bearer {secret}"})).status_code == 401
            deadline = time.monotonic() + 5
            while True:
                assert time.monotonic() < deadline, "the removed token's stream on another node must end"
                try:
                    await stream.next_event(timeout=max(0.05, deadline - time.monotonic()))
                except EOFError:
                    break
        finally:
            await stream.close()

    run(revoke())
    # Every node's audit log has the removal made through n3.
    for node in fleet.nodes:
        entries = node.get("/api/audit", params={"limit": 100}).json()
        assert any(e["method"] == "DELETE" and e["path"] == "/api/tokens/cl-tech" and e["status"] == 200 for e in entries)

    receiver = Receiver().start()
    try:
        hook = n2.post("/api/webhooks", json={"url": receiver.url, "events": ["connector.status", "transaction.started",
                                                                                 "transaction.stopped"], "secret": SECRET})
        assert hook.status_code == 201, hook.text
        hook_id = hook.json()["id"]
        holder_id = wait_until(lambda: n1.get(f"/api/webhooks/{hook_id}").json()["node"], timeout=10, what="a delivering node")
        holder = fleet.node(holder_id)
        others = [node for node in fleet.nodes if node is not holder]
        for tag in ("CLW-A", "CLW-B"):
            n1.create_tag(tag)

        async def on_every_node():
            await asyncio.gather(sessions(holder, "CLW-1", "CLW-A", 1), sessions(others[0], "CLW-2", "CLW-B", 1))

        run(on_every_node())
        wait_until(lambda: len(station_events(receiver, "CLW-1")) == 5 and len(station_events(receiver, "CLW-2")) == 5,
                   timeout=30, what="both stations' events")
        holder.stop()
        async def after_the_stop():
            # CLW-1 moves to another node; both go on.
            await asyncio.gather(sessions(others[0], "CLW-1", "CLW-A", 1), sessions(others[1], "CLW-2", "CLW-B", 1))

        run(after_the_stop())
        wait_until(lambda: len(station_events(receiver, "CLW-1")) == 10 and len(station_events(receiver, "CLW-2")) == 10,
                   timeout=60, what="the events after the delivering node stopped")
        assert station_events(receiver, "CLW-1") == EXPECTED_SESSION * 2
        assert station_events(receiver, "CLW-2") == EXPECTED_SESSION * 2
        assert receiver.problems == []
        now_by = others[0].get(f"/api/webhooks/{hook_id}").json()["node"]
        assert now_by in (others[0].node_id, others[1].node_id)
        ids = {r["id"] for r in receiver.requests}
        assert all(":" in i and i.split(":")[0] in ("n1", "n2", "n3") for i in ids), ids
    finally:
        receiver.stop()

