"""`--haproxy`: Marathon-LB and Edge-LB on the data path, with real HAProxy on loopback.

One HAProxy runs the emulated Marathon-LB's current config, one more each Edge-LB pool whose tasks
run its lbconfig; behind every emulated cluster a fake kube-apiserver listens on the cluster's own
loopback address, port 6443, where Mesos says its `apiserver` port is. A background thread looks
for changes every `haproxy_poll_seconds` and reloads what changed (`-sf`); the sandbox's shutdown
ends every process it started. All of them run in the node namespace (netns.py), so the configs
keep the names and paths a DC/OS node has.

Without --haproxy only the namespace, the VIP names and the status route exist: Marathon-LB's and
the pools' `haproxy -c` checks use them too.

Routes (under /_localdcos/haproxy):
    GET /status                 processes, configs, checks, apiservers (with their request logs)
    GET /marathon-lb/log        the emulated Marathon-LB's log
    GET /pools/{name}/log       a pool's checks and HAProxy (re)starts
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from localdcos.edgelb import EdgeLB
from localdcos.fake_apiserver import FakeApiServer, SigningAuthority, apiserver_certificate
from localdcos.haproxy_process import HaproxyProcess
from localdcos.marathon import Marathon
from localdcos.mesos import Mesos
from localdcos.mlb_emulation import MarathonLB
from localdcos.netns import ClusterAddresses, NodeNamespace, apiserver_vip
from localdcos.pool_sandbox import PoolSandboxes
from localdcos.service import EmulatedService, SandboxExtension, SandboxOptions

log = logging.getLogger("localdcos.haproxy")

APISERVER_PORT = 6443
_RETRY_SECONDS = 5.0
# The thread's slowest step is one bounded HAProxy start; past this, stop() closes around it.
_JOIN_TIMEOUT = 5.0


@dataclass
class _ApiServer:
    address: str
    server: FakeApiServer | None = None
    error: str | None = None
    retry_at: float = 0.0


class HaproxyRuntime:
    prefix = "/_localdcos/haproxy"

    def __init__(
        self,
        options: SandboxOptions,
        *,
        workdir: Path,
        node: NodeNamespace,
        addresses: ClusterAddresses,
        mlb: MarathonLB,
        edgelb: EdgeLB,
        mesos: Mesos,
        pools: PoolSandboxes,
        authority: SigningAuthority,
    ) -> None:
        self.options = options
        self.enabled = options.haproxy
        self.workdir = workdir
        self.node = node
        self.addresses = addresses
        self.mlb = mlb
        self.edgelb = edgelb
        self.mesos = mesos
        self.pool_files = pools
        self.authority = authority
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._mlb_process = HaproxyProcess(
            "marathon-lb", mlb.workdir, node, stats_socket=mlb.stats_socket, config_file=mlb.config_path
        )
        self._pools: dict[str, HaproxyProcess] = {}
        self._apiservers: dict[str, _ApiServer] = {}
        # The Marathon-LB config generation HAProxy last took on (configs may repeat, so the
        # digest alone cannot tell a test that HAProxy caught up).
        self._mlb_generation = 0

    # -- lifecycle ----------------------------------------------------------------------------------

    async def observe(self) -> None:
        # Before Marathon-LB looks: its checks must already resolve every cluster's VIP.
        self.node.set_hosts(self.addresses.hosts(self.mesos.clusters()))

    def start(self) -> None:
        if not self.enabled:
            return
        self.mesos.place_apiservers(self.addresses.address, APISERVER_PORT)
        self._thread = threading.Thread(target=self._run, name="haproxy-runtime", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End every HAProxy and apiserver this runtime started (bounded)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(_JOIN_TIMEOUT)
        with self._lock:
            processes = [self._mlb_process, *self._pools.values()]
            apiservers = [a.server for a in self._apiservers.values() if a.server is not None]
        # Closing them even if the thread is still busy: a closed HaproxyProcess kills what it
        # starts late, and nothing new is registered once `_stop` is set (checked under `_lock`).
        for process in processes:
            process.stop()
        for server in apiservers:
            server.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.reconcile()
            except Exception:  # one bad round must not end the data path
                log.exception("haproxy runtime: reconcile failed")
            self._stop.wait(max(0.05, self.options.haproxy_poll_seconds))

    # -- reconciling --------------------------------------------------------------------------------

    def reconcile(self) -> None:
        clusters = self.mesos.clusters()
        self.node.set_hosts(self.addresses.hosts(clusters))
        self._sync_apiservers(clusters)
        if self._stop.is_set():
            return
        current = self.mlb.current
        if current is not None and self._mlb_process.apply(current.text, files=current.files):
            self._mlb_generation = current.generation
        self._sync_pools()

    def _sync_apiservers(self, clusters: Sequence[str]) -> None:
        with self._lock:
            gone = [name for name in self._apiservers if name not in clusters]
            stopped = [self._apiservers.pop(name) for name in gone]
        for entry in stopped:
            if entry.server is not None:
                entry.server.stop()
        for name in clusters:
            with self._lock:
                entry = self._apiservers.setdefault(name, _ApiServer(self.addresses.address(name)))
            if entry.server is None and time.monotonic() >= entry.retry_at:
                self._start_apiserver(name, entry)

    def _start_apiserver(self, cluster: str, entry: _ApiServer) -> None:
        directory = self.workdir / "apiservers" / cluster.replace("/", "_")
        directory.mkdir(parents=True, exist_ok=True)
        cert_pem, key_pem = apiserver_certificate(
            self.authority, [apiserver_vip(cluster), "localhost"], [entry.address]
        )
        cert_file, key_file = directory / "apiserver.crt", directory / "apiserver.key"
        cert_file.write_bytes(cert_pem)
        key_file.touch(mode=0o600)
        key_file.write_bytes(key_pem)
        server = FakeApiServer(
            entry.address,
            APISERVER_PORT,
            cert_file,
            key_file,
            cluster_name=cluster,
            watch_idle_seconds=self.options.apiserver_watch_idle_seconds,
        )
        try:
            server.start()
        except OSError as exc:
            entry.error = f"cannot listen on {entry.address}:{APISERVER_PORT}: {exc}"
            entry.retry_at = time.monotonic() + _RETRY_SECONDS
            log.warning("apiserver of %s: %s", cluster, entry.error)
            return
        with self._lock:
            if not self._stop.is_set():
                entry.server, entry.error = server, None
                return
        server.stop()

    def _sync_pools(self) -> None:
        running = {pool.name: pool for pool in self.edgelb.running_pools()}
        with self._lock:
            stopped = {name: self._pools.pop(name) for name in list(self._pools) if name not in running}
        for name, process in stopped.items():
            process.stop()
            self.pool_files.note(name, "pool tasks are gone: haproxy stopped")
        for name, pool in running.items():
            if self._stop.is_set():
                return
            config = self.edgelb.rendered_config(pool)
            # Like the pool's own reload: a config HAProxy rejects leaves the running one in place.
            if not self.pool_files.check(pool, config).ok:
                continue
            with self._lock:
                if self._stop.is_set():
                    return
                found = self._pools.get(name)
                if found is None:
                    directory = self.pool_files.directory(pool)
                    found = self._pools[name] = HaproxyProcess(f"pool {name}", directory, self.node)
                process = found
            reloads, error = process.reloads, process.last_error
            process.apply(config, env=self.pool_files.environment(pool))
            if process.reloads != reloads:
                self.pool_files.note(name, f"haproxy running with the new configuration (pid {process.pid})")
            elif process.last_error and process.last_error != error:
                self.pool_files.note(name, process.last_error)

    # -- inspection ---------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        with self._lock:
            pools = dict(self._pools)
            apiservers = dict(self._apiservers)
        pool_names = sorted(set(pools) | set(self.pool_files.names()))
        return {
            "enabled": self.enabled,
            "namespace": {
                "mode": self.node.mode,
                "note": self.node.note,
                "wrapper": str(self.node.wrapper) if self.node.mode != "none" else None,
                "hosts": self.node.hosts,
            },
            "marathonLb": {
                **self.mlb.status(),
                "process": {**self._mlb_process.status(), "generation": self._mlb_generation},
            },
            "pools": {name: self._pool_status(name, pools.get(name)) for name in pool_names},
            "apiservers": {name: _apiserver_status(entry) for name, entry in apiservers.items()},
        }

    def _pool_status(self, name: str, process: HaproxyProcess | None) -> dict[str, Any]:
        check = self.pool_files.last_check(name)
        return {
            "process": process.status() if process is not None else None,
            "lastCheck": check.to_json() if check is not None else None,
        }

    def router(self) -> APIRouter:
        r = APIRouter()

        @r.get("/status")
        async def status() -> Response:
            return JSONResponse(await asyncio.to_thread(self.status))

        @r.get("/marathon-lb/log")
        async def mlb_log() -> Response:
            await asyncio.to_thread(self.mlb.settle)
            return JSONResponse(self.mlb.log_entries())

        @r.get("/pools/{name}/log")
        async def pool_log(name: str) -> Response:
            return JSONResponse(self.pool_files.log(name))

        return r


def _apiserver_status(entry: _ApiServer) -> dict[str, Any]:
    server = entry.server
    return {
        "address": entry.address,
        "url": server.url if server is not None else None,
        "error": entry.error,
        "requests": [list(r) for r in server.requests] if server is not None else [],
        "openWatches": server.open_watches if server is not None else 0,
    }


def node_extensions(
    options: SandboxOptions,
    services: Sequence[EmulatedService],
    *,
    workdir: Path,
    authority: SigningAuthority,
) -> list[SandboxExtension]:
    """The emulated Marathon-LB and the runtime, wired to the services (observe order matters:
    the runtime publishes VIP names before Marathon-LB checks configs that use them)."""
    marathon = _find(services, Marathon)
    mesos = _find(services, Mesos)
    edgelb = _find(services, EdgeLB)
    node = NodeNamespace(workdir / "node", ca_bundle_pem=authority.ca_cert_pem)
    if node.mode == "none":
        log.warning("HAProxy runs without the node namespace: %s", node.note)
    addresses = ClusterAddresses()
    node.set_hosts(addresses.hosts(mesos.clusters()))
    pools = PoolSandboxes(workdir / "pools", node)
    edgelb.lbconfig_check = pools.check
    mlb = MarathonLB(options, marathon, workdir=workdir / "marathon-lb", node=node)
    runtime = HaproxyRuntime(
        options,
        workdir=workdir,
        node=node,
        addresses=addresses,
        mlb=mlb,
        edgelb=edgelb,
        mesos=mesos,
        pools=pools,
        authority=authority,
    )
    return [runtime, mlb]


_T = TypeVar("_T")


def _find(services: Sequence[EmulatedService], kind: type[_T]) -> _T:
    for service in services:
        if isinstance(service, kind):
            return service
    raise LookupError(f"no {kind.__name__} service")
