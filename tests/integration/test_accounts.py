"""Operator accounts (PRODUCT.md §11, issue #18): named tokens with roles, every route held to its role, and the audit
log of every write and command, against a real ocppd (and the ocpp package as the charge point)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import sqlite3
import time

import pytest
import requests
from ocpp.routing import on
from ocpp.v16 import call_result
from ocpp.v16.enums import Action

from harness import Peer, SseStream, assert_problem, connect_peer, quote_id, run, total_count, wait_until
from test_ocppctl import ctl, ctl_env, ocppctl_binary

ROLES = ["viewer", "technician", "admin"]

# Every /api operation and the role it needs. A route the router serves that is not here fails
# test_every_route_needs_its_role_and_no_more: a new route must be given its role.
ROUTE_ROLES: dict[str, str] = {
    "GET /api/openapi.json": "viewer",
    "POST /api/token/rotate": "admin",
    "GET /api/token": "viewer",
    "GET /api/tokens": "viewer",
    "POST /api/tokens": "admin",
    "DELETE /api/tokens/{name}": "admin",
    "GET /api/audit": "viewer",
    "GET /api/webhooks": "viewer",
    "POST /api/webhooks": "admin",
    "GET /api/webhooks/{id}": "viewer",
    "DELETE /api/webhooks/{id}": "admin",
    "GET /api/webhooks/{id}/deliveries": "viewer",
    "POST /api/webhooks/{id}/test": "admin",
    "GET /api/stations": "viewer",
    "GET /api/stations/connected/list": "viewer",
    "GET /api/stations/unknown": "viewer",
    "GET /api/stations/{cpId}": "viewer",
    "PUT /api/stations/{cpId}": "admin",
    "DELETE /api/stations/{cpId}": "admin",
    "GET /api/stations/{cpId}/status-history": "viewer",
    "GET /api/stations/{cpId}/security-events": "viewer",
    "GET /api/sessions": "viewer",
    "GET /api/sessions/{id}": "viewer",
    "GET /api/sessions/{id}/meter-values": "viewer",
    "GET /api/sessions/station/{cpId}": "viewer",
    "GET /api/rfid": "viewer",
    "POST /api/rfid": "admin",
    "GET /api/rfid/unknown": "viewer",
    "GET /api/rfid/{tagId}": "viewer",
    "DELETE /api/rfid/{tagId}": "admin",
    "POST /api/rfid/{tagId}/block": "technician",
    "POST /api/rfid/{tagId}/activate": "technician",
    "GET /api/reservations": "viewer",
    "POST /api/admin/{cpId}/{command}": "technician",
    "GET /api/commands": "viewer",
    "GET /api/events": "viewer",
    "GET /api/security-events": "viewer",
    "GET /api/certificate-requests": "viewer",
    "GET /api/certificate-requests/{id}": "viewer",
    "POST /api/certificate-requests/{id}/sign": "admin",
    "POST /api/certificate-requests/{id}/reject": "admin",
    "GET /api/files": "viewer",
    "GET /api/files/{id}": "viewer",
    "DELETE /api/files/{id}": "admin",
    "POST /api/firmware": "technician",
    "GET /api/sites": "viewer",
    "GET /api/sites/{siteId}": "viewer",
    "PUT /api/sites/{siteId}": "admin",
    "DELETE /api/sites/{siteId}": "admin",
    "GET /api/cluster/nodes": "viewer",
}

# Values for the path parameters: nothing by these names exists, so an allowed request changes nothing that matters.
PARAMETERS = {"cpId": "RBAC-NOPE", "id": "999999", "tagId": "RBAC-NOPE", "siteId": "RBAC-NOPE", "name": "rbac-nope",
              "command": "reset"}


def make_token(ocppd, name: str, role: str, **fields) -> str:
    resp = ocppd.post("/api/tokens", json={"name": name, "role": role, **fields})
    assert resp.status_code == 201, f"POST /api/tokens {name}: {resp.status_code} {resp.text}"
    body = resp.json()
    assert (body["name"], body["role"]) == (name, role) and re.fullmatch(r"[0-9a-f]{64}", body["token"]), body
    return body["token"]


def audit(ocppd, **query) -> list[dict]:
    resp = ocppd.get("/api/audit", params={"limit": 1000, **query})
    assert resp.status_code == 200, resp.text
    return resp.json()


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: quote_id(PARAMETERS[m.group(1)]), path)


def call_as(ocppd, token: str, method: str, path: str) -> requests.Response:
    # The event stream is opened and closed as soon as its status is known.
    return ocppd.api(method, concrete(path), token=token, stream=(path == "/api/events"), timeout=15)


def test_every_route_needs_its_role_and_no_more(ocppd):
    tokens = {role: make_token(ocppd, f"rbac-{role}", role) for role in ROLES}

    # The routes the server documents (a test elsewhere holds the document to the router) are exactly the table's, and
    # the document says the same role.
    document = ocppd.get("/api/openapi.json").json()
    served = {f"{method.upper()} {path}": operation.get("x-ocppd-role")
              for path, operations in document["paths"].items() if path.startswith("/api/")
              for method, operation in operations.items()}
    assert set(served) - set(ROUTE_ROLES) == set(), "routes without a role in this test's table"
    assert set(ROUTE_ROLES) - set(served) == set(), "routes in the table the server does not have"
    assert {route: role for route, role in served.items()} == ROUTE_ROLES

    rank = {role: n for n, role in enumerate(ROLES)}
    for route, needed in sorted(ROUTE_ROLES.items()):
        method, path = route.split(" ", 1)
        for role in ROLES:
            if route == "POST /api/token/rotate" and role == "admin":
                continue  # would rotate the configured token under the other tests' feet (test_token covers it)
            resp = call_as(ocppd, tokens[role], method, path)
            try:
                if rank[role] < rank[needed]:
                    problem = assert_problem(resp, 403, mentions=needed)
                    assert problem["role"] == needed and f"rbac-{role}" in problem["detail"], problem
                else:
                    assert resp.status_code not in (401, 403), f"{role} on {route}: {resp.status_code} {resp.text[:300]}"
            finally:
                resp.close()

    # Without a token, or with one that is not known: 401 everywhere.
    for route in ("GET /api/stations", "POST /api/admin/{cpId}/{command}", "POST /api/tokens"):
        method, path = route.split(" ", 1)
        assert_problem(ocppd.api(method, concrete(path), token=None), 401)
        assert_problem(ocppd.api(method, concrete(path), token="0" * 64), 401)

    # Every write route is in the audit log, once per attempt, under the token that tried: refused below its role,
    # with the route's own answer above it.
    entries = audit(ocppd)
    for route, needed in ROUTE_ROLES.items():
        method, path = route.split(" ", 1)
        if method == "GET":
            continue
        tried = [e for e in entries if e["method"] == method and e["path"] == concrete(path) and e["token"].startswith("rbac-")]
        expected = {f"rbac-{role}" for role in ROLES} - ({"rbac-admin"} if route == "POST /api/token/rotate" else set())
        assert {e["token"] for e in tried} == expected and len(tried) == len(expected), (route, tried)
        for entry in tried:
            below = rank[entry["token"].removeprefix("rbac-")] < rank[needed]
            assert (entry["status"] == 403) == below, (route, entry)
            if "{cpId}" in path:
                assert entry["cpId"] == PARAMETERS["cpId"], entry

    # Refusals are in the audit log, under the token that tried.
    refused = audit(ocppd, token="rbac-viewer")
    assert any(e["method"] == "PUT" and e["path"] == "/api/stations/RBAC-NOPE" and e["status"] == 403 for e in refused), refused
    assert all(e["method"] != "GET" for e in audit(ocppd)), "reads are not audited"


def test_tokens_are_created_listed_expire_and_are_removed_at_once(ocppd):
    secret = make_token(ocppd, "ops-script", "viewer")
    me = ocppd.get("/api/token", token=secret)
    assert me.status_code == 200 and me.json() == {"name": "ops-script", "role": "viewer", "expiresAt": None}, me.text
    assert ocppd.get("/api/token").json()["name"] == "api-token" and ocppd.get("/api/token").json()["role"] == "admin"

    listed = ocppd.get("/api/tokens")
    assert listed.status_code == 200 and total_count(listed) == 1
    assert [t["name"] for t in listed.json()] == ["ops-script"]
    assert all("token" not in t for t in listed.json()), "a listed token shows no secret"
    assert secret not in listed.text

    # Bad bodies: 400 naming the field; a taken name (or the configured token's): 409.
    assert_problem(ocppd.post("/api/tokens", json={"name": "x", "role": "root"}), 400, mentions="role")
    assert_problem(ocppd.post("/api/tokens", json={"role": "viewer"}), 400, mentions="name")
    assert_problem(ocppd.post("/api/tokens", json={"name": "has space", "role": "viewer"}), 400, mentions="name")
    assert_problem(ocppd.post("/api/tokens", json={"name": "x" * 65, "role": "viewer"}), 400, mentions="name")
    assert_problem(ocppd.post("/api/tokens", json={"name": "old", "role": "viewer", "expiresAt": "2020-01-01T00:00:00Z"}),
                   400, mentions="expiresAt")
    assert_problem(ocppd.post("/api/tokens", json={"name": "bad", "role": "viewer", "expiresAt": "tomorrow"}),
                   400, mentions="expiresAt")
    assert_problem(ocppd.post("/api/tokens", json={"name": "ops-script", "role": "admin"}), 409)
    assert_problem(ocppd.post("/api/tokens", json={"name": "api-token", "role": "admin"}), 409)
    assert [t["name"] for t in ocppd.get("/api/tokens").json()] == ["ops-script"], "nothing refused was kept"

    # A token that expires: it works until then, then 401 saying so.
    expires = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    short = make_token(ocppd, "short-lived", "technician", expiresAt=expires)
    assert ocppd.get("/api/stations", token=short).status_code == 200
    wait_until(lambda: ocppd.get("/api/stations", token=short).status_code == 401, timeout=10, what="the token to expire")
    assert_problem(ocppd.get("/api/stations", token=short), 401, mentions="expired")

    # Removing one: it stops at once, and its open event streams end; another token's stream goes on.
    other = make_token(ocppd, "dashboard", "viewer")

    async def scenario():
        doomed = await SseStream.open(ocppd, "/api/events", token=secret)
        alive = await SseStream.open(ocppd, "/api/events", token=other)
        assert doomed.status == 200 and alive.status == 200
        try:
            removed = await ocppd.aapi("DELETE", "/api/tokens/ops-script")
            assert removed.status_code == 200 and removed.json()["name"] == "ops-script", removed.text
            assert "token" not in removed.json()
            assert (await ocppd.aapi("GET", "/api/stations", token=secret)).status_code == 401
            ended = False
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    await doomed.next_event(timeout=max(0.05, deadline - time.monotonic()))
                except EOFError:
                    ended = True
                    break
                except asyncio.TimeoutError:
                    break
            assert ended, "the removed token's event stream must end"
            # The other stream still carries events: the removal itself, then a new one.
            revoked = await alive.next_of_type("token.revoked")
            assert revoked["name"] == "ops-script" and revoked["cpId"] is None
            assert (await ocppd.aapi("PUT", "/api/sites/ACC-SITE", json={"limit": 32, "unit": "A"})).status_code == 201
            assert (await alive.next_of_type("site.changed"))["siteId"] == "ACC-SITE"
        finally:
            await doomed.close()
            await alive.close()

    run(scenario())
    assert_problem(ocppd.delete("/api/tokens/ops-script"), 404)
    assert_problem(ocppd.delete("/api/tokens/api-token"), 409)
    assert sorted(t["name"] for t in ocppd.get("/api/tokens").json()) == ["dashboard", "short-lived"]


def test_tokens_survive_a_restart(ocppd):
    secret = make_token(ocppd, "kept", "technician")
    ocppd.restart()
    assert ocppd.get("/api/token", token=secret).json()["role"] == "technician"


class ConfigurablePeer(Peer):
    @on(Action.reset)
    async def on_reset(self, type, **kwargs):
        return call_result.Reset(status="Rejected")

    @on(Action.change_configuration)
    async def on_change_configuration(self, key, value, **kwargs):
        return call_result.ChangeConfiguration(status="Accepted")


def test_every_write_and_command_is_in_the_audit_log_without_secrets(ocppd):
    tech = make_token(ocppd, "field-tech", "technician")
    viewer = make_token(ocppd, "wallboard", "viewer")

    assert ocppd.put("/api/stations/AUD-1", json={"authorizationKey": "0123456789abcdef0123", "description": "bay"}).status_code \
        in (200, 201)
    assert ocppd.post("/api/rfid", json={"idTag": "AUD-TAG"}).status_code == 201
    assert ocppd.post("/api/rfid/AUD-TAG/block", token=tech).status_code == 200
    assert ocppd.put("/api/stations/AUD-1", token=viewer, json={"description": "x"}).status_code == 403
    assert ocppd.put("/api/sites/AUD-SITE", json={"limit": 40, "unit": "A"}).status_code == 201
    assert ocppd.put("/api/sites/AUD-SITE", json={"limit": -1, "unit": "A"}).status_code == 400

    async def commands():
        async with connect_peer(ocppd, "AUD-2", peer_class=ConfigurablePeer) as peer:
            await peer.boot()
            reset = await ocppd.aapi("POST", "/api/admin/AUD-2/reset", token=tech, json={"type": "Soft"})
            assert reset.status_code == 200 and reset.json() == {"status": "Rejected"}, reset.text
            changed = await ocppd.aapi("POST", "/api/admin/AUD-2/change-configuration", token=tech,
                                       json={"key": "AuthorizationKey", "value": "fedcba9876543210fedc"})
            assert changed.status_code == 200, changed.text
        offline = await ocppd.aapi("POST", "/api/admin/AUD-2/reset", token=tech, json={"type": "Hard"})
        assert offline.status_code == 409

    run(commands())

    entries = audit(ocppd)
    text = json.dumps(entries)
    for secret in ("0123456789abcdef0123", "fedcba9876543210fedc"):
        assert secret not in text, "a secret reached the audit log"
    for entry in entries:
        assert set(entry) == {"id", "at", "token", "method", "path", "cpId", "command", "body", "status", "result"}, entry

    def find(**match) -> dict:
        hits = [e for e in entries if all(e[k] == v for k, v in match.items())]
        assert len(hits) == 1, f"{match}: {hits}"
        return hits[0]

    station = find(method="PUT", path="/api/stations/AUD-1", token="api-token", status=201)
    assert station["cpId"] == "AUD-1" and json.loads(station["body"]) == {"authorizationKey": "***", "description": "bay"}
    find(method="POST", path="/api/rfid", status=201)
    block = find(method="POST", path="/api/rfid/AUD-TAG/block", token="field-tech")
    assert block["status"] == 200 and block["cpId"] is None
    refused = find(method="PUT", path="/api/stations/AUD-1", token="wallboard")
    assert refused["status"] == 403 and "admin" in refused["result"]
    find(method="PUT", path="/api/sites/AUD-SITE", status=201)
    bad = find(method="PUT", path="/api/sites/AUD-SITE", status=400)
    assert "limit" in bad["result"]
    reset = find(command="reset", status=200)
    assert (reset["token"], reset["cpId"], reset["path"]) == ("field-tech", "AUD-2", "/api/admin/AUD-2/reset")
    assert json.loads(reset["body"]) == {"type": "Soft"} and json.loads(reset["result"]) == {"status": "Rejected"}
    configured = find(command="change-configuration")
    assert json.loads(configured["body"]) == {"key": "AuthorizationKey", "value": "***"}
    assert json.loads(configured["result"]) == {"status": "Accepted"}
    offline = find(command="reset", status=409)
    assert offline["result"] and "AUD-2" in offline["result"]
    made = [json.loads(e["body"]) for e in entries if e["method"] == "POST" and e["path"] == "/api/tokens"]
    assert sorted((b["name"], b["role"]) for b in made) == [("field-tech", "technician"), ("wallboard", "viewer")]

    # Newest first; filters by token, station and time; paged with the total.
    assert [e["id"] for e in entries] == sorted((e["id"] for e in entries), reverse=True)
    assert {e["token"] for e in audit(ocppd, token="field-tech")} == {"field-tech"}
    assert len(audit(ocppd, token="field-tech")) == 4
    assert {e["cpId"] for e in audit(ocppd, cpId="AUD-2")} == {"AUD-2"}
    first = min(e["at"] for e in entries)
    assert audit(ocppd, until="2000-01-01T00:00:00Z") == []
    assert len(audit(ocppd, since=first)) == len(entries)
    page = ocppd.get("/api/audit", params={"limit": 2, "offset": 1})
    assert total_count(page) == len(entries) and [e["id"] for e in page.json()] == [e["id"] for e in entries[1:3]]
    assert_problem(ocppd.get("/api/audit", params={"since": "yesterday"}), 400, mentions="since")


def test_audit_entries_are_events_and_ocppctl_manages_tokens_and_reads_the_audit(ocppd, tmp_path):
    # tokens add prints the secret once; it logs ocppctl in as that token.
    made = ctl(ocppd, tmp_path, "tokens", "add", "night-shift", "--role", "technician")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", secret) and "shown this once" in made.stderr
    listed = ctl(ocppd, tmp_path, "tokens", "list")
    assert listed.returncode == 0 and "night-shift" in listed.stdout and "technician" in listed.stdout
    assert secret not in listed.stdout
    as_json = json.loads(ctl(ocppd, tmp_path, "tokens", "list", "-o", "json").stdout)
    assert [t["name"] for t in as_json] == ["night-shift"]
    assert ctl(ocppd, tmp_path, "tokens", "add", "bad", "--role", "root").returncode == 2

    env = ctl_env(ocppd, tmp_path)
    env.pop("OCPPCTL_TOKEN")
    env.pop("OCPPCTL_SERVER")
    login = ctl(ocppd, tmp_path, "login", "--server", ocppd.base_url, "--token", secret, env=env)
    assert login.returncode == 0, login.stderr
    assert "as night-shift (technician)" in login.stdout
    # The saved token is the technician's: a write it may not do is refused (exit 8, the role named).
    refused = ctl(ocppd, tmp_path, "sites", "set", "CTL-SITE", "--limit", "32", "--unit", "A", env=env)
    assert refused.returncode == 8 and "admin" in refused.stderr, (refused.returncode, refused.stderr)

    async def follow():
        proc = await asyncio.create_subprocess_exec(
            str(ocppctl_binary()), "audit", "--follow", "-o", "json", env=ctl_env(ocppd, tmp_path),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            await asyncio.sleep(1)  # the stream is open
            assert (await ocppd.aapi("PUT", "/api/sites/CTL-FOLLOW", json={"limit": 16, "unit": "A"})).status_code == 201
            line = await asyncio.wait_for(proc.stdout.readline(), 10)
            entry = json.loads(line)
            assert (entry["type"], entry["method"], entry["path"], entry["status"], entry["token"]) == (
                "audit.entry", "PUT", "/api/sites/CTL-FOLLOW", 201, "api-token")
        finally:
            proc.terminate()
            await proc.wait()

    run(follow())

    table = ctl(ocppd, tmp_path, "audit", "--by", "night-shift")
    assert table.returncode == 0 and "/api/sites/CTL-SITE" in table.stdout and "403" in table.stdout, table.stdout
    removed = ctl(ocppd, tmp_path, "tokens", "rm", "night-shift")
    assert removed.returncode == 0, removed.stderr
    assert ctl(ocppd, tmp_path, "stations", env=env).returncode == 8
    assert ctl(ocppd, tmp_path, "tokens", "rm", "night-shift").returncode == 3
    assert ocppd.get("/api/tokens").json() == []


@pytest.mark.skipif(bool(os.environ.get("OCPPD_TEST_DATABASE_URL")), reason="writes the SQLite file (the store contract prunes on both)")
def test_audit_entries_older_than_the_retention_are_removed(ocppd_factory):
    ocppd = ocppd_factory("--audit-retention-days", "2")
    assert ocppd.put("/api/sites/RET", json={"limit": 10, "unit": "A"}).status_code == 201
    ocppd.stop()
    # Two entries as an older ocppd would have kept them: three days and one day ago.
    now_ms = int(time.time() * 1000)
    database = sqlite3.connect(ocppd.data_dir / "ocppd.sqlite")
    with database:
        for days, path in ((3, "/api/old"), (1, "/api/recent")):
            database.execute(
                "INSERT INTO audit_log (at, token_name, method, path, status) VALUES (?, 'api-token', 'POST', ?, 200)",
                (now_ms - days * 86_400_000, path))
    database.close()
    ocppd.start()
    wait_until(lambda: "/api/old" not in [e["path"] for e in audit(ocppd)], timeout=10, what="the old entry removed")
    assert {"/api/recent", "/api/sites/RET"} <= {e["path"] for e in audit(ocppd)}

