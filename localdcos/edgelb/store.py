"""Edge-LB's pool configs (it keeps them in ZooKeeper) and, per pool, the deployment or uninstall
its scheduler is running, with a bounded history of the plans that finished. Thread-safe: the
HAProxy runtime reads it from its own thread."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any

from localdcos.core.options import SandboxOptions
from localdcos.edgelb import lifecycle as lc
from localdcos.edgelb.binding import pool_from_json
from localdcos.edgelb.model import V2Pool
from localdcos.edgelb.plans import service_name

log = logging.getLogger("localdcos.edgelb")

HISTORY_SIZE = 10_000


class PoolStore:
    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self._lock = threading.RLock()
        # Insertion-ordered like Edge-LB's config list (new pools are appended).
        self._pools: dict[str, lc.PoolRecord] = {}
        self._uninstalling: dict[str, lc.UninstallRecord] = {}
        # Finished plans, oldest first (see history()).
        self._history: deque[dict[str, Any]] = deque(maxlen=HISTORY_SIZE)

    def _refresh(self, rec: lc.PoolRecord, now: float) -> None:
        if rec.refresh(now, self.options):
            self._history.append(rec.history_entry())

    def record(self, name: str) -> lc.PoolRecord | None:
        """The stored pool `name` with its deployment brought up to now."""
        with self._lock:
            rec = self._pools.get(name)
            if rec is not None:
                self._refresh(rec, time.time())
            return rec

    def uninstall(self, name: str) -> lc.UninstallRecord | None:
        """The still running uninstall of a deleted pool `name`."""
        with self._lock:
            rec = self._uninstalling.get(name)
            if rec is not None and rec.done(time.time(), self.options):
                self._finish_uninstall(rec)
                return None
            return rec

    def _finish_uninstall(self, rec: lc.UninstallRecord) -> None:
        del self._uninstalling[rec.pool.name]
        self._history.append(
            {
                "pool": rec.pool.name,
                "namespace": rec.pool.namespace,
                "plan": "deploy",
                "deployId": rec.deploy_id + "/uninstall",
                "kind": "uninstall",
                "created": rec.started,
                "started": rec.started,
                "finished": rec.started + self.options.pool_delete_seconds,
            }
        )

    def service_names(self) -> list[str]:
        """SDK service names (`<namespace>/<name>`) of every pool scheduler that exists now."""
        with self._lock:
            for rec in list(self._uninstalling.values()):
                self.uninstall(rec.pool.name)
            pools = [r.pool for r in self._pools.values()] + [u.pool for u in self._uninstalling.values()]
        return [service_name(p) for p in pools]

    def lookup_service(self, service: str) -> lc.PoolRecord | lc.UninstallRecord | None:
        """The pool (or uninstall) whose scheduler is the SDK service `service`."""
        with self._lock:
            for name in list(self._pools):
                rec = self.record(name)
                if rec is not None and service_name(rec.pool) == service:
                    return rec
            for name in list(self._uninstalling):
                gone = self.uninstall(name)
                if gone is not None and service_name(gone.pool) == service:
                    return gone
        return None

    def pools(self) -> list[V2Pool]:
        with self._lock:
            return [r.pool for r in self._pools.values()]

    def running_pools(self) -> list[V2Pool]:
        """What the pools' load-balancer tasks run right now (during a relaunch: the old config)."""
        now = time.time()
        running = []
        with self._lock:
            for rec in self._pools.values():
                self._refresh(rec, now)
                pool = rec.running(now)
                if pool is not None:
                    running.append(pool)
        return running

    def refresh_all(self) -> None:
        with self._lock:
            now = time.time()
            for rec in self._pools.values():
                self._refresh(rec, now)
            for name in list(self._uninstalling):
                self.uninstall(name)

    def history(self) -> list[dict[str, Any]]:
        """Plans that finished, oldest first: `created` (the request), `started` (its scheduler
        ran it from then), `finished` (COMPLETE, or the uninstall done), wall-clock seconds."""
        self.refresh_all()
        with self._lock:
            return list(self._history)

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
                self._refresh(old, now)
                effect = lc.update_effect(old.pool, pool)
                if effect == "relaunch":
                    old.relaunch(pool, now, self.options)
                else:
                    old.store(pool)
        log.info("edgelb pool %s stored: %s", pool.name, effect)
        return effect

    def delete(self, name: str) -> bool:
        """Drop the config at once; the scheduler's uninstall runs on asynchronously."""
        with self._lock:
            rec = self._pools.pop(name, None)
            if rec is None:
                return False
            self._uninstalling[name] = lc.UninstallRecord(rec.pool, rec.current.deploy_id, time.time())
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
                rec = lc.PoolRecord.from_json(item)
                self._pools[rec.pool.name] = rec
            self._uninstalling = {}
            for item in data.get("uninstalling", []):
                pool = pool_from_json(item["pool"])
                self._uninstalling[pool.name] = lc.UninstallRecord(
                    pool, str(item["deployId"]), float(item["started"])
                )
