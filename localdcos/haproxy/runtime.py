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
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from localdcos.core.options import SandboxOptions
from localdcos.edgelb import EdgeLB, PoolSandboxes
from localdcos.haproxy.apiservers import APISERVER_PORT, ApiServers
from localdcos.haproxy.netns import ClusterAddresses, NodeNamespace
from localdcos.haproxy.process import HaproxyProcess
from localdcos.marathon_lb import MarathonLB
from localdcos.mesos import Mesos
from localdcos.pki import SigningAuthority

log = logging.getLogger("localdcos.haproxy")

# The thread's slowest step is one bounded HAProxy start; past this, stop() closes around it.
_JOIN_TIMEOUT = 5.0


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
        self.apiservers = ApiServers(options, workdir / "apiservers", addresses, authority)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._mlb_process = HaproxyProcess(
            "marathon-lb", mlb.workdir, node, stats_socket=mlb.stats_socket, config_file=mlb.config_path
        )
        self._pools: dict[str, HaproxyProcess] = {}
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
        # Closing them even if the thread is still busy: a closed HaproxyProcess kills what it
        # starts late, and nothing new is registered once `_stop` is set (checked under `_lock`).
        for process in processes:
            process.stop()
        self.apiservers.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.reconcile()
            except Exception:  # one bad round must not end the data path
                log.exception("haproxy runtime: reconcile failed")
            self._stop.wait(max(0.05, self.options.haproxy_poll_seconds))

    # -- reconciling --------------------------------------------------------------------------------

    def sync_clusters(self) -> None:
        """VIP names (always) and apiservers (once started with --haproxy) for Mesos' clusters, now:
        what a cluster added at runtime needs before a load balancer can reach it. Blocking."""
        clusters = self.mesos.clusters()
        self.node.set_hosts(self.addresses.hosts(clusters))
        if self._thread is not None and not self._stop.is_set():
            self.apiservers.sync(clusters)

    def apiserver(self, cluster: str) -> dict[str, Any] | None:
        """The fake apiserver of `cluster` (`address`, `url`, `error`), None without --haproxy."""
        if not self.enabled:
            return None
        entry = self.apiservers.status().get(cluster)
        return {k: entry[k] for k in ("address", "url", "error")} if entry is not None else None

    def reconcile(self) -> None:
        self.sync_clusters()
        if self._stop.is_set():
            return
        current = self.mlb.current
        if current is not None and self._mlb_process.apply(current.text, files=current.files):
            self._mlb_generation = current.generation
        self._sync_pools()

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
            process.apply(self.pool_files.runnable(pool, config), env=self.pool_files.environment(pool))
            if process.reloads != reloads:
                self.pool_files.note(name, f"haproxy running with the new configuration (pid {process.pid})")
            elif process.last_error and process.last_error != error:
                self.pool_files.note(name, process.last_error)

    # -- inspection ---------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        with self._lock:
            pools = dict(self._pools)
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
            "apiservers": self.apiservers.status(),
        }

    def _pool_status(self, name: str, process: HaproxyProcess | None) -> dict[str, Any]:
        check = self.pool_files.last_check(name)
        return {
            "process": process.status() if process is not None else None,
            "lastCheck": check.to_json() if check is not None else None,
        }

    def router(self) -> APIRouter:
        r = APIRouter()
        r.add_api_route("/status", self._get_status, methods=["GET"])
        r.add_api_route("/marathon-lb/log", self._mlb_log, methods=["GET"])
        r.add_api_route("/pools/{name}/log", self._pool_log, methods=["GET"])
        return r

    async def _get_status(self) -> Response:
        return JSONResponse(await asyncio.to_thread(self.status))

    async def _mlb_log(self) -> Response:
        await asyncio.to_thread(self.mlb.settle)
        return JSONResponse(self.mlb.log_entries())

    async def _pool_log(self, name: str) -> Response:
        return JSONResponse(self.pool_files.log(name))
