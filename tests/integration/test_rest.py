"""The REST API as an operator's script sees it: auth, errors, lists, resources, OpenAPI."""

from __future__ import annotations

import re
import stat
import time

import pytest
import requests
from ocpp.v16 import call

from harness import (
    DEFAULT_TOKEN,
    SseStream,
    assert_problem,
    assert_utc,
    connect_peer,
    energy_sample,
    iso_now,
    quote_id,
    run,
    total_count,
)

# ---------------------------------------------------------------------------------------------
# Authentication
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-authorization"),
        pytest.param({"Authorization": "Bearer wrong-token"}, id="wrong-token"),
        pytest.param({"Authorization": f"Basic {DEFAULT_TOKEN}"}, id="wrong-scheme"),
        pytest.param({"Authorization": "Bearer "}, id="empty-token"),
    ],
)
def test_api_requires_the_bearer_token(ocppd, headers):
    resp = ocppd.get("/api/stations", token=None, headers=headers)
    assert_problem(resp, 401)
    assert ocppd.get("/api/stations").status_code == 200


def test_health_readiness_and_metrics_need_no_token(ocppd):
    for path in ("/healthz", "/readyz"):
        resp = requests.get(ocppd.base_url + path, timeout=10)
        assert resp.status_code == 200, f"{path}: {resp.status_code}"

    # Some traffic first, so that counters exist.
    async def traffic():
        async with connect_peer(ocppd, "CP-METRICS") as cp:
            await cp.boot()

    run(traffic())
    ocppd.get("/api/stations")
    resp = requests.get(ocppd.base_url + "/metrics", timeout=10)
    assert resp.status_code == 200
    assert resp.headers.get("Content-Type", "").startswith("text/plain")
    sample = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?P<labels>\{.*\})?\s+(?P<value>\S+)(\s+-?\d+)?$")
    samples = 0
    for line in resp.text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            if line.startswith("# TYPE"):
                assert len(line.split()) == 4, f"bad TYPE line: {line!r}"
            continue
        m = sample.match(line)
        assert m, f"not Prometheus text format: {line!r}"
        float(m.group("value"))  # NaN, +Inf and -Inf parse too
        samples += 1
    assert samples > 0, "no metric samples in /metrics"
    # The group-commit counters of the store (the boot was written): jobs / commits is the mean batch size.
    commits = re.search(r"^ocppd_store_commits_total (\d+)$", resp.text, re.M)
    jobs = re.search(r"^ocppd_store_jobs_total (\d+)$", resp.text, re.M)
    assert commits and jobs, "no ocppd_store_commits_total / ocppd_store_jobs_total in /metrics"
    assert int(jobs.group(1)) >= int(commits.group(1)) >= 1


def test_generated_token_is_written_mode_0600_and_works(ocppd_factory):
    ocppd = ocppd_factory(token=None)
    path = ocppd.data_dir / "api-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(ocppd.token) >= 16, "a generated token must be long enough to resist guessing"
    assert ocppd.get("/api/stations").status_code == 200
    assert_problem(ocppd.get("/api/stations", token="x" + ocppd.token), 401)
    # The same token is kept across restarts, so scripts keep working.
    first = ocppd.token
    ocppd.restart()
    assert ocppd.token == first
    assert ocppd.get("/api/stations").status_code == 200


def test_settings_from_environment(ocppd_factory):
    ocppd = ocppd_factory(use_flags=False, env={"HEARTBEAT_INTERVAL": "77", "OCPPD_UNKNOWN_STATIONS": "accept"})
    assert ocppd.get("/api/stations").status_code == 200
    assert_problem(ocppd.get("/api/stations", token="nope"), 401)

    async def scenario():
        async with connect_peer(ocppd, "CP-ENV") as cp:
            result = await cp.boot()
            assert result.status == "Accepted"
            assert result.interval == 77

    run(scenario())
    if ocppd.database_url is None:  # on MariaDB the store is on the server; DATABASE_URL came from the environment
        assert any(ocppd.data_dir.iterdir()), "OCPPD_DATA_DIR was not used for the store"


def test_secrets_never_appear_in_the_log(ocppd):
    ocppd.get("/api/stations")
    ocppd.get("/api/stations", token="wrong-token-value")
    ocppd.put("/api/stations/CP-SECRET", json={"authorizationKey": "fedcba9876543210fedc", "securityProfile": 1})
    log = ocppd.log_text()
    assert log, "ocppd wrote no log at all"
    assert DEFAULT_TOKEN not in log
    assert "fedcba9876543210fedc" not in log


# ---------------------------------------------------------------------------------------------
# RFID cards
# ---------------------------------------------------------------------------------------------


def test_rfid_card_lifecycle(ocppd):
    created = ocppd.post(
        "/api/rfid", json={"idTag": "CARD-1", "description": "van 7", "expiryDate": "2099-01-01T00:00:00Z"}
    )
    assert created.status_code == 201, created.text
    card = created.json()
    assert card["idTag"] == "CARD-1"
    assert card["status"] == "Accepted"
    assert card["description"] == "van 7"

    assert_problem(ocppd.post("/api/rfid", json={"idTag": "CARD-1"}), 409)

    got = ocppd.get("/api/rfid/CARD-1")
    assert got.status_code == 200
    assert got.json()["idTag"] == "CARD-1"

    blocked = ocppd.post("/api/rfid/CARD-1/block")
    assert blocked.status_code == 200
    assert ocppd.get("/api/rfid/CARD-1").json()["status"] == "Blocked"

    active = ocppd.post("/api/rfid/CARD-1/activate")
    assert active.status_code == 200
    assert ocppd.get("/api/rfid/CARD-1").json()["status"] == "Accepted"

    deleted = ocppd.delete("/api/rfid/CARD-1")
    assert deleted.status_code == 200  # as NestJS answered the original gateway's DELETEs
    assert deleted.json()["idTag"] == "CARD-1" and deleted.json()["status"] == "Accepted"
    assert_problem(ocppd.get("/api/rfid/CARD-1"), 404)
    assert_problem(ocppd.delete("/api/rfid/CARD-1"), 404)
    assert_problem(ocppd.post("/api/rfid/CARD-1/block"), 404)


@pytest.mark.parametrize(
    "method, path, body, field",
    [
        pytest.param("POST", "/api/rfid", {"idTag": 5}, "idTag", id="idTag-not-a-string"),
        pytest.param("POST", "/api/rfid", {"idTag": "X" * 21}, "idTag", id="idTag-longer-than-20"),
        pytest.param("POST", "/api/rfid", {}, "idTag", id="idTag-missing"),
        pytest.param("POST", "/api/rfid", {"idTag": "OK-1", "expiryDate": "someday"}, "expiryDate", id="bad-expiry"),
        pytest.param("POST", "/api/rfid", {"idTag": "OK-2", "parentIdTag": "P" * 21}, "parentIdTag", id="long-parent"),
        pytest.param("POST", "/api/rfid", [1, 2], None, id="body-not-an-object"),
        pytest.param("PUT", "/api/stations/CP-BAD", {"securityProfile": 7}, "securityProfile", id="profile-out-of-range"),
        pytest.param(
            "PUT", "/api/stations/CP-BAD", {"registrationStatus": "Maybe"}, "registrationStatus", id="bad-registration"
        ),
        pytest.param(
            "PUT", "/api/stations/CP-BAD", {"authorizationKey": 12345}, "authorizationKey", id="key-not-a-string"
        ),
    ],
)
def test_invalid_body_is_400_naming_the_field_and_changes_nothing(ocppd, method, path, body, field):
    resp = ocppd.api(method, path, json=body)
    assert_problem(resp, 400, mentions=field)
    assert total_count(ocppd.get("/api/rfid")) == 0
    assert_problem(ocppd.get("/api/stations/CP-BAD"), 404)


def test_body_that_is_not_json_is_400(ocppd):
    resp = ocppd.post("/api/rfid", data="{not json", headers={"Content-Type": "application/json"})
    assert_problem(resp, 400)


# ---------------------------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------------------------


def test_lists_honour_limit_and_offset_with_total_count(ocppd):
    tags = [f"PAGE-{i}" for i in range(5)]
    for tag in tags:
        ocppd.create_tag(tag)

    everything = ocppd.get("/api/rfid")
    assert everything.status_code == 200
    assert isinstance(everything.json(), list), "lists are bare JSON arrays"
    assert total_count(everything) == 5
    assert sorted(c["idTag"] for c in everything.json()) == sorted(tags)

    seen: list[str] = []
    for offset, expected in ((0, 2), (2, 2), (4, 1), (6, 0)):
        page = ocppd.get("/api/rfid", params={"limit": 2, "offset": offset})
        assert page.status_code == 200
        assert total_count(page) == 5, "X-Total-Count is the count without limit and offset"
        assert len(page.json()) == expected
        seen += [c["idTag"] for c in page.json()]
    assert sorted(seen) == sorted(tags), f"pages overlap or miss cards: {seen}"


LIST_PATHS = [
    "/api/stations",
    "/api/stations?connected=true",
    "/api/stations/connected/list",
    "/api/stations/unknown",
    "/api/sessions",
    "/api/sessions/station/CP-LIST",
    "/api/rfid",
    "/api/rfid/unknown",
    "/api/reservations",
]


@pytest.mark.parametrize("path", LIST_PATHS)
def test_list_routes_answer_bare_arrays_with_total_count(ocppd, path):
    assert ocppd.put("/api/stations/CP-LIST", json={}).status_code == 201
    resp = ocppd.get(path)
    assert resp.status_code == 200, f"{path}: {resp.status_code} {resp.text[:200]}"
    assert resp.headers.get("Content-Type", "").startswith("application/json")
    body = resp.json()
    assert isinstance(body, list), f"{path} must answer a bare JSON array, got {type(body).__name__}"
    assert total_count(resp) >= len(body)


def test_connected_filter_lists_only_connected_stations(ocppd):
    assert ocppd.put("/api/stations/CP-ASLEEP", json={}).status_code == 201

    async def scenario():
        async with connect_peer(ocppd, "CP-AWAKE") as cp:
            await cp.boot()
            for path, params in (("/api/stations", {"connected": "true"}), ("/api/stations/connected/list", None)):
                resp = await ocppd.aapi("GET", path, params=params)
                ids = [s["id"] for s in resp.json()]
                assert ids == ["CP-AWAKE"], f"{path}: {ids}"
            everyone = await ocppd.aapi("GET", "/api/stations")
            assert sorted(s["id"] for s in everyone.json()) == ["CP-ASLEEP", "CP-AWAKE"]
            assert total_count(everyone) == 2

    run(scenario())


# ---------------------------------------------------------------------------------------------
# Stations
# ---------------------------------------------------------------------------------------------


def test_put_station_without_a_body_preregisters_it(ocppd):
    # Every field of the body is optional, so no body at all is the same as {}.
    created = ocppd.api("PUT", "/api/stations/CP-BARE")
    assert created.status_code == 201, created.text
    assert created.json()["id"] == "CP-BARE" and created.json()["registrationStatus"] == "Accepted"
    assert ocppd.api("PUT", "/api/stations/CP-BARE").status_code == 200


def test_status_history_lists_every_notification_newest_first(ocppd):
    async def scenario():
        async with connect_peer(ocppd, "CP-HISTORY") as cp:
            await cp.boot()
            # Sent out of order, as a charger replaying its queue may: the history is ordered by the station's times.
            for connector, status, second in ((1, "Preparing", 2), (1, "Available", 1), (2, "Faulted", 3), (0, "Available", 4)):
                await cp.call(call.StatusNotification(
                    connector_id=connector, error_code="NoError", status=status, timestamp=f"2026-01-01T00:00:0{second}Z"))

    run(scenario())
    everything = ocppd.get("/api/stations/CP-HISTORY/status-history")
    assert everything.status_code == 200 and total_count(everything) == 4
    assert [(r["connectorId"], r["status"]) for r in everything.json()] == [
        (0, "Available"), (2, "Faulted"), (1, "Preparing"), (1, "Available")]
    assert all(set(r) >= {"connectorId", "status", "errorCode", "updatedAt"} for r in everything.json())
    one = ocppd.get("/api/stations/CP-HISTORY/status-history", params={"connectorId": 1, "limit": 1})
    assert [r["status"] for r in one.json()] == ["Preparing"] and total_count(one) == 2
    assert_problem(ocppd.get("/api/stations/CP-HISTORY/status-history", params={"connectorId": -1}), 400)
    assert_problem(ocppd.get("/api/stations/CP-NEVER/status-history"), 404)
    # The current status is still the newest, not the last sent.
    connectors = {c["connectorId"]: c["status"] for c in ocppd.station("CP-HISTORY")["connectors"]}
    assert connectors[1] == "Preparing"


def test_put_station_creates_then_updates_and_delete_removes(ocppd):
    created = ocppd.put("/api/stations/CP-REST-1", json={"description": "bay 1"})
    assert created.status_code == 201, created.text
    assert created.json()["id"] == "CP-REST-1"

    updated = ocppd.put("/api/stations/CP-REST-1", json={"description": "bay 2", "registrationStatus": "Rejected"})
    assert updated.status_code == 200, updated.text

    station = ocppd.station("CP-REST-1")
    assert station["description"] == "bay 2"
    assert station["registrationStatus"] == "Rejected"
    assert station["connected"] is False

    deleted = ocppd.delete("/api/stations/CP-REST-1")
    assert deleted.status_code == 200
    assert deleted.json()["id"] == "CP-REST-1" and deleted.json()["description"] == "bay 2"
    assert_problem(ocppd.get("/api/stations/CP-REST-1"), 404)


def test_unknown_station_and_session_are_404_problems(ocppd):
    assert_problem(ocppd.get("/api/stations/CP-NEVER"), 404)
    assert_problem(ocppd.get("/api/sessions/424242"), 404)
    assert_problem(ocppd.get("/api/sessions/424242/meter-values"), 404)


def test_station_ids_in_rest_paths_are_percent_decoded(ocppd):
    cp_id = "CP 77"  # a space: percent-encoded in the path
    assert ocppd.put(f"/api/stations/{quote_id(cp_id)}", json={}).status_code == 201
    assert ocppd.station(cp_id)["id"] == cp_id


# ---------------------------------------------------------------------------------------------
# OpenAPI: the document and the routes agree
# ---------------------------------------------------------------------------------------------

REQUIRED_OPERATIONS = {
    ("get", "/api/stations"),
    ("get", "/api/stations/{}"),
    ("put", "/api/stations/{}"),
    ("delete", "/api/stations/{}"),
    ("get", "/api/stations/connected/list"),
    ("get", "/api/stations/unknown"),
    ("get", "/api/sessions"),
    ("get", "/api/sessions/{}"),
    ("get", "/api/sessions/{}/meter-values"),
    ("get", "/api/sessions/station/{}"),
    ("get", "/api/rfid"),
    ("post", "/api/rfid"),
    ("get", "/api/rfid/{}"),
    ("delete", "/api/rfid/{}"),
    ("post", "/api/rfid/{}/block"),
    ("post", "/api/rfid/{}/activate"),
    ("get", "/api/rfid/unknown"),
    ("get", "/api/reservations"),
    ("post", "/api/admin/{}/{}"),
    ("get", "/api/events"),
}
METHODS = ("get", "put", "post", "delete", "patch")
ADMIN_COMMANDS = (
    "start-transaction stop-transaction change-availability reset unlock-connector get-configuration "
    "change-configuration reserve-now cancel-reservation clear-cache trigger-message data-transfer "
    "get-diagnostics update-firmware get-local-list-version send-local-list set-charging-profile "
    "clear-charging-profile get-composite-schedule"
).split()


def _full_paths(doc: dict) -> dict[str, dict]:
    """Paths of the document with the server's base path in front (servers: [{url: "/api"}] allowed)."""
    base = ""
    servers = doc.get("servers") or []
    if servers and isinstance(servers[0], dict):
        url = servers[0].get("url", "")
        m = re.match(r"^(?:[a-z]+://[^/]+)?(/.*)?$", url)
        base = ((m.group(1) if m else "") or "").rstrip("/")
    return {(p if p.startswith("/api") or not base else base + p): item for p, item in doc["paths"].items()}


def test_openapi_document_is_3_1_and_lists_every_route(ocppd):
    resp = ocppd.get("/api/openapi.json")
    assert resp.status_code == 200
    doc = resp.json()
    assert str(doc.get("openapi", "")).startswith("3.1"), f"openapi: {doc.get('openapi')!r}"
    assert doc.get("info", {}).get("title") and doc["info"].get("version")
    paths = _full_paths(doc)
    ops = {
        (method, re.sub(r"\{[^}]+\}", "{}", path))
        for path, item in paths.items()
        for method in METHODS
        if method in item
    }
    missing = REQUIRED_OPERATIONS - ops
    if ("post", "/api/admin/{}/{}") in missing:
        # Documenting each command as its own path is as good as one templated path.
        per_command = {("post", f"/api/admin/{{}}/{cmd}") for cmd in ADMIN_COMMANDS}
        if per_command <= ops:
            missing.discard(("post", "/api/admin/{}/{}"))
    assert not missing, f"operations missing from the OpenAPI document: {sorted(missing)}"


def test_every_openapi_operation_is_routed(ocppd):
    """Each operation in the document answers something other than 404/405/500/501 when called."""
    cp_id = "CP-OAS"
    tag = "TAG-OAS"
    ocppd.create_tag(tag)

    async def scenario():
        async with connect_peer(ocppd, cp_id) as cp:
            await cp.boot()
            tid = (await cp.start_tx(1, tag, 0, timestamp=iso_now(-10))).transaction_id
            await cp.stop_tx(tid, 100)

            doc = (await ocppd.aapi("GET", "/api/openapi.json")).json()
            operations = []
            for path, item in _full_paths(doc).items():
                for method in METHODS:
                    if method in item:
                        operations.append((method, path))
            # Reads first, then writes, deletions last: each call finds the resources it names.
            order = {"get": 0, "put": 1, "post": 1, "patch": 1, "delete": 2}
            operations.sort(key=lambda op: (order[op[0]], op[1]))

            failures = []
            for method, path in operations:
                url_path, resolvable = _substitute(path, cp_id=cp_id, tag=tag, tid=tid)
                if method == "get" and path.endswith("/events"):
                    stream = await SseStream.open(ocppd, url_path)  # endless: read the status, hang up
                    status = stream.status
                    await stream.close()
                else:
                    kwargs = {"json": {}} if method in ("put", "post", "patch") else {}
                    status = (await ocppd.aapi(method.upper(), url_path, **kwargs)).status_code
                bad = {405, 500, 501} | ({404} if resolvable else set())
                if status in bad:
                    failures.append(f"{method.upper()} {url_path} -> {status}")
            assert not failures, "operations in the OpenAPI document that are not served:\n" + "\n".join(failures)

    run(scenario(), timeout=120)


def _substitute(path: str, *, cp_id: str, tag: str, tid: int) -> tuple[str, bool]:
    """Fills path parameters with ids of resources that exist; False when one could not be."""
    resolvable = True
    segments = path.split("/")
    out = []
    for i, seg in enumerate(segments):
        m = re.fullmatch(r"\{([^}]+)\}", seg)
        if not m:
            out.append(seg)
            continue
        name = m.group(1).lower()
        prev = segments[i - 1].lower() if i else ""
        if "command" in name or "action" in name:
            out.append("reset")
        elif "tag" in name or prev == "rfid":
            out.append(tag)
        elif "reservation" in name or prev == "reservations":
            out.append("1")
            resolvable = False
        elif "transaction" in name or "session" in name or prev == "sessions":
            out.append(str(tid))
        elif name.startswith("cp") or "station" in name or "chargepoint" in name or prev in ("stations", "station", "admin"):
            out.append(quote_id(cp_id))
        else:
            out.append("x")
            resolvable = False
    return "/".join(out), resolvable


# ---------------------------------------------------------------------------------------------
# Live events (Server-Sent Events)
# ---------------------------------------------------------------------------------------------


def test_event_stream_reports_what_happens_at_a_station(ocppd):
    cp_id = "CP-EVENTS"
    wanted = [
        "station.connected",
        "station.booted",
        "connector.status",
        "transaction.started",
        "meter.values",
        "transaction.stopped",
        "station.disconnected",
    ]

    async def scenario():
        stream = await SseStream.open(ocppd, f"/api/events?cpId={cp_id}")
        try:
            assert stream.status == 200
            assert stream.headers.get("content-type", "").startswith("text/event-stream")
            async with connect_peer(ocppd, "CP-OTHER-STATION") as other:
                await other.boot()  # filtered out by ?cpId=
            async with connect_peer(ocppd, cp_id) as cp:
                await cp.boot()
                await cp.status(1, "Preparing")
                tid = (await cp.start_tx(1, "TAG-EV", 0)).transaction_id
                await cp.send(call.MeterValues(connector_id=1, transaction_id=tid, meter_value=[energy_sample("5")]))
                await cp.stop_tx(tid, 10)
            seen: list[tuple[str, dict]] = []
            deadline = time.monotonic() + 10
            while not set(wanted) <= {name for name, _ in seen}:
                left = deadline - time.monotonic()
                assert left > 0, f"missing events {set(wanted) - {n for n, _ in seen}}; got {[n for n, _ in seen]}"
                seen.append(await stream.next_event(timeout=left))
            return tid, seen
        finally:
            await stream.close()

    tid, seen = run(scenario())
    types = [name for name, _ in seen]
    assert (
        types.index("station.connected")
        < types.index("transaction.started")
        < types.index("transaction.stopped")
        < types.index("station.disconnected")
    ), types
    for name, data in seen:
        assert data["type"] == name
        assert data["cpId"] == cp_id, f"?cpId= must filter: {data}"
        assert_utc(data["at"])
    by_type = {name: data for name, data in seen}
    assert by_type["connector.status"]["connectorId"] == 1
    assert by_type["connector.status"]["status"] == "Preparing"
    assert by_type["transaction.started"]["transactionId"] == tid
    assert by_type["transaction.stopped"]["transactionId"] == tid
