"""The parts of a cluster test, all real processes: a Galera cluster of three mariadbd (scripts/galera-test-cluster),
three ocppd nodes, one per database node, and nginx in front of them for the stations (and for REST, as an operator's
load balancer would be)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import secrets
import shutil
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

import requests
from ocpp.routing import on
from ocpp.v16 import call, call_result

from harness import (
    DEFAULT_TOKEN,
    Ocppd,
    Peer,
    energy_sample,
    free_port,
    open_ws,
    quote_id,
    wait_until,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "galera-test-cluster"
SECRET = "cluster-secret-" + secrets.token_hex(8)


class Galera:
    """The Galera cluster of scripts/galera-test-cluster."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.dir = env["GALERA_DIR"]
        self.size = int(env["GALERA_NODES"])
        self._databases = 0

    @classmethod
    def start(cls, workdir: Path) -> "Galera":
        env_file = workdir / "galera.env"
        done = subprocess.run([str(SCRIPT), "start", "--env-file", str(env_file)], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"the Galera cluster did not start:\n{done.stdout}\n{done.stderr}"
        env = {}
        for line in env_file.read_text().splitlines():
            key, _, value = line.partition("=")
            env[key] = value
        return cls(env)

    def url(self, index: int, database: str | None = None) -> str:
        url = self.env[f"GALERA_URL_{index}"]
        if database is None:
            return url
        return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path=f"/{database}"))

    def sql(self, index: int, statement: str) -> str:
        url = urllib.parse.urlsplit(self.url(index))
        env = dict(os.environ, MYSQL_PWD=urllib.parse.unquote(url.password or ""))
        done = subprocess.run(
            ["mariadb", "--batch", "--skip-column-names", "--protocol=TCP", "--host", url.hostname, "--port", str(url.port),
             "--user", urllib.parse.unquote(url.username), "-e", statement],
            env=env, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, f"mariadb client on node {index} failed on {statement!r}: {done.stderr.strip()}"
        return done.stdout

    def fresh_database(self) -> str:
        self._databases += 1
        name = f"ocpp_cluster_{os.getpid()}_{self._databases}"
        self.sql(1, f"CREATE DATABASE {name}")
        return name

    def status(self, index: int) -> dict[str, str]:
        text = self.sql(index, "SHOW GLOBAL STATUS WHERE Variable_name IN "
                               "('wsrep_ready', 'wsrep_cluster_status', 'wsrep_cluster_size', 'wsrep_local_state_comment')")
        return dict(line.split("\t", 1) for line in text.strip().splitlines())

    def _script(self, *args: str, timeout: float = 120) -> None:
        done = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"galera-test-cluster {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"

    def kill(self, index: int) -> None:
        self._script("kill", self.dir, str(index))

    def restart(self, index: int) -> None:
        self._script("restart", self.dir, str(index), timeout=180)

    def stop(self) -> None:
        self._script("stop", self.dir)


class ClusterNode(Ocppd):
    """An ocppd node: its database node, its node id, and its own URL as --node-url (it keeps its port on restarts)."""

    def __init__(self, binary: Path, workdir: Path, node_id: str, database_url: str, args=(), tls_ca: Path | None = None) -> None:
        super().__init__(binary, workdir, name=node_id, args=["--database", database_url, "--node-id", node_id,
                                                             "--cluster-secret", SECRET, *args], tls_ca=tls_ca)
        self.node_id = node_id
        self.fixed_port = free_port()

    def command(self, port: int) -> list[str]:
        return super().command(port) + ["--node-url", f"{'https' if self.tls_ca else 'http'}://127.0.0.1:{port}"]


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    upstream ocppd {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://ocppd;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_read_timeout 3600s;
            proxy_buffering off;
            proxy_connect_timeout 1s;
            proxy_next_upstream error timeout http_502 http_503;
        }}
    }}
}}
"""


class Nginx:
    """nginx balancing the stations' WebSockets (and REST) over the nodes; a node that refuses is skipped."""

    def __init__(self, directory: Path, ports: list[int], port: int | None = None) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=3s;" for port in ports)
        config = directory / "nginx.conf"
        config.write_text(NGINX_CONF.format(dir=directory, port=self.port, servers=servers))
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        assert Path(binary).exists(), "nginx is not installed (scripts/test installs it)"
        self.proc = subprocess.Popen([binary, "-c", str(config), "-p", str(directory), "-e", str(directory / "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_until(lambda: self._answers() or self.proc.poll() is not None, timeout=10, what="nginx to listen")
        assert self.proc.poll() is None, f"nginx did not start: {self.proc.stderr.read().decode()}"

    def _answers(self) -> bool:
        with contextlib.suppress(requests.RequestException):
            return requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200
        return False

    def ws_url(self, cp_id: str) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp/{quote_id(cp_id)}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Fleet:
    """Three ocppd nodes on a fresh database of the Galera cluster, node i on database node i, behind nginx."""

    def __init__(self, galera: Galera, workdir: Path, binary: Path) -> None:
        self.galera = galera
        self.workdir = workdir
        self.binary = binary
        self.nodes: list[ClusterNode] = []
        self.nginx: Nginx | None = None
        # nginx is how chargers reach the cluster: the nodes' --public-url, known before they start.
        self.public_port = free_port()
        self.public_url = f"http://127.0.0.1:{self.public_port}"

    def start(self) -> None:
        database = self.galera.fresh_database()
        for index in range(1, self.galera.size + 1):
            node = ClusterNode(self.binary, self.workdir / f"n{index}", f"n{index}", self.galera.url(index, database),
                               args=["--public-url", self.public_url, "--webhook-allow-private"])
            self.nodes.append(node)
            # One after another: the first migrates the new database.
            node.start()
        self.nginx = Nginx(self.workdir / "nginx", [node.port for node in self.nodes], port=self.public_port)
        wait_until(lambda: all(n["alive"] for n in self.nodes[0].get("/api/cluster/nodes").json())
                   and len(self.nodes[0].get("/api/cluster/nodes").json()) == len(self.nodes),
                   timeout=15, what="every node alive")

    def stop(self) -> None:
        if self.nginx:
            self.nginx.stop()
        for node in self.nodes:
            try:
                node.stop()
            except Exception:
                node.kill()

    def node(self, node_id: str) -> ClusterNode:
        return next(n for n in self.nodes if n.node_id == node_id)

    def owners(self, via: ClusterNode | None = None) -> dict[str, str | None]:
        """Station id -> owning node id, as one node's GET /api/stations says."""
        resp = (via or self.nodes[0]).get("/api/stations", params={"limit": 1000})
        assert resp.status_code == 200, resp.text
        return {s["id"]: s["node"] for s in resp.json()}


class FleetPeer(Peer):
    @on("Reset")
    def on_reset(self, type, **kwargs):
        return call_result.Reset(status="Accepted")

    @on("ChangeConfiguration")
    def on_change_configuration(self, key, value, **kwargs):
        return call_result.ChangeConfiguration(status="Accepted")


class Station:
    """A charger that stays connected through nginx: when its socket closes (its node died, or sent it away) it
    reconnects after a moment, boots and carries on, as chargers do. It can run a session whose meter values it sends
    every `interval`; each value ocppd acknowledged is recorded, to be looked for in the store afterwards."""

    def __init__(self, url: str, cp_id: str) -> None:
        self.url = url
        self.cp_id = cp_id
        self.peer: FleetPeer | None = None
        self.connections = 0
        self.connected = asyncio.Event()
        self.acknowledged: list[tuple[int, int]] = []  # (transactionId, Wh) of MeterValues answered
        self.transaction_id: int | None = None
        self._task: asyncio.Task | None = None
        self._stopping = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while not self._stopping:
            try:
                ws = await open_ws(self.url, open_timeout=5)
            except Exception:
                await asyncio.sleep(0.3)
                continue
            self.peer = FleetPeer(self.cp_id, ws, response_timeout=20)
            self.peer.ws = ws
            self.connections += 1
            serve = asyncio.create_task(self.peer.start())
            try:
                await self.peer.boot()
                self.connected.set()
                await serve
            except Exception:
                pass
            finally:
                self.connected.clear()
                serve.cancel()
                with contextlib.suppress(BaseException):
                    await serve
                with contextlib.suppress(Exception):
                    await ws.close()
            if not self._stopping:
                await asyncio.sleep(0.3)

    async def wait_connected(self, timeout: float = 15) -> None:
        await asyncio.wait_for(self.connected.wait(), timeout)

    async def charge(self, meter_start: int, samples: int, interval: float = 0.1) -> None:
        """Starts a session and sends `samples` meter values, riding out reconnects: a value without an answer is sent
        again once connected, as a charger's queue does."""
        await self.wait_connected()
        answer = await self.peer.start_tx(1, "TAG-" + self.cp_id, meter_start)
        self.transaction_id = answer.transaction_id
        value = meter_start
        for _ in range(samples):
            value += 10
            while True:
                try:
                    await self.wait_connected(timeout=30)
                    await self.peer.send(call.MeterValues(
                        connector_id=1, transaction_id=self.transaction_id,
                        meter_value=[energy_sample(str(value))]))
                    self.acknowledged.append((self.transaction_id, value))
                    break
                except Exception:
                    await asyncio.sleep(0.2)
            await asyncio.sleep(interval)

    async def stop(self) -> None:
        self._stopping = True
        if self.peer is not None:
            with contextlib.suppress(Exception):
                await self.peer.ws.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task


# REST calls from async scenarios run here, not in asyncio's default executor: the `ocpp` package checks every message
# against its schema in that executor, and a few commands waiting 30 s for their stations there would stall the very
# stations that are to answer them.
_rest_pool = concurrent.futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="rest")


async def aapi(node: Ocppd, method: str, path: str, **kw) -> requests.Response:
    """`api` from an async scenario, on a thread pool of its own."""
    return await asyncio.get_running_loop().run_in_executor(_rest_pool, lambda: api(node, method, path, **kw))


def api(node: Ocppd, method: str, path: str, headers: dict | None = None, **kw) -> requests.Response:
    """A REST call with the API token, unless `headers` say otherwise."""
    headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"} if headers is None else headers
    return requests.request(method, f"{node.base_url}{path}", headers=headers, timeout=kw.pop("timeout", 40),
                            verify=node.verify, **kw)


def samples_stored(node: Ocppd, transaction_id: int) -> set[int]:
    resp = api(node, "GET", f"/api/sessions/{transaction_id}/meter-values", params={"limit": 1000})
    assert resp.status_code == 200, resp.text
    return {int(float(v["value"])) for v in resp.json()}


def first(items: list[Any]) -> Any:
    return items[0]
