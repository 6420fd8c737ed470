"""Edge-LB's pool configs (it keeps them in ZooKeeper) and, per pool, the deployment or uninstall
its scheduler is running. Thread-safe: the HAProxy runtime reads it from its own thread."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from localdcos.core.options import SandboxOptions
from localdcos.edgelb import lifecycle as lc
from localdcos.edgelb.binding import pool_from_json
from localdcos.edgelb.model import V2Pool

log = logging.getLogger("localdcos.edgelb")


class PoolStore:
    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self._lock = threading.RLock()
        # Insertion-ordered like Edge-LB's config list (new pools are appended).
        self._pools: dict[str, lc.PoolRecord] = {}
        self._uninstalling: dict[str, lc.UninstallRecord] = {}

    def record(self, name: str) -> lc.PoolRecord | None:
        """The stored pool `name` with its deployment brought up to now."""
        with self._lock:
            rec = self._pools.get(name)
            if rec is not None:
                rec.refresh(time.time(), self.options)
            return rec

    def uninstall(self, name: str) -> lc.UninstallRecord | None:
        """The still running uninstall of a deleted pool `name`."""
        with self._lock:
            rec = self._uninstalling.get(name)
            if rec is not None and rec.done(time.time(), self.options):
                del self._uninstalling[name]
                return None
            return rec

    def pools(self) -> list[V2Pool]:
        with self._lock:
            return [r.pool for r in self._pools.values()]

    def running_pools(self) -> list[V2Pool]:
        """Pools whose load-balancer tasks run right now (deployment complete)."""
        now = time.time()
        with self._lock:
            for rec in self._pools.values():
                rec.refresh(now, self.options)
            return [r.pool for r in self._pools.values() if r.deployed]

    def store(self, pool: V2Pool, *, creating: bool) -> str:
        """Store `pool` and start whatever deployment it needs; returns the update effect."""
        now = time.time()
        with self._lock:
            old = self._pools.get(pool.name)
            if creating or old is None:
                # A re-created pool supersedes a previous incarnation that is still uninstalling.
                self._uninstalling.pop(pool.name, None)
                self._pools[pool.name] = lc.PoolRecord.new(pool, now)
                effect = "install"
            else:
                old.refresh(now, self.options)
                effect = lc.update_effect(old.pool, pool)
                old.pool = pool
                if effect == "relaunch":
                    old.redeploy(now)
        log.info("edgelb pool %s stored: %s", pool.name, effect)
        return effect

    def delete(self, name: str) -> bool:
        """Drop the config at once; the scheduler's uninstall runs on asynchronously."""
        with self._lock:
            rec = self._pools.pop(name, None)
            if rec is None:
                return False
            self._uninstalling[name] = lc.UninstallRecord(rec.pool, rec.deploy_id, time.time())
        log.info("edgelb pool %s deleted; uninstalling", name)
        return True

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "pools": [r.to_json() for r in self._pools.values()],
                "uninstalling": [u.to_json() for u in self._uninstalling.values()],
            }

    def restore(self, data: dict[str, Any]) -> None:
        with self._lock:
            self._pools = {}
            for item in data.get("pools", []):
                pool = pool_from_json(item["pool"])
                self._pools[pool.name] = lc.PoolRecord(
                    pool=pool,
                    deploy_id=str(item["deployId"]),
                    deploy_started=float(item["deployStarted"]),
                    deployed=bool(item.get("deployed", False)),
                    ever_deployed=bool(item.get("everDeployed", False)),
                )
            self._uninstalling = {}
            for item in data.get("uninstalling", []):
                pool = pool_from_json(item["pool"])
                self._uninstalling[pool.name] = lc.UninstallRecord(
                    pool, str(item["deployId"]), float(item["started"])
                )
