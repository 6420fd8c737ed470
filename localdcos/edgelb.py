"""Emulated Edge-LB API server (`/service/edgelb`) and its pool schedulers.

Pool configs are kept in memory (Edge-LB keeps them in ZooKeeper); each stored pool gets an
emulated SDK scheduler whose API the core mounts at `scheduler_prefix`. Only pools in the default
namespace `dcos-edgelb/pools` have a reachable scheduler API; other namespaces are stored and
rendered but their schedulers answer nowhere.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from localdcos import edgelb_lifecycle as lc
from localdcos.edgelb_models import DEFAULT_NAMESPACE, BindingError, V2Pool, parse_pool_body, pool_from_json
from localdcos.edgelb_render import DEFAULT_TEMPLATE, render_pool_config
from localdcos.edgelb_validation import PoolInvalid, check_pool, namespace_change_error
from localdcos.mesos import Mesos
from localdcos.pool_sandbox import CheckResult, annotate
from localdcos.service import SandboxOptions

log = logging.getLogger("localdcos.edgelb")

#: Response header telling what a create/update does to the pool's tasks:
#: install | relaunch | reload | none (see edgelb_lifecycle.relaunch_fields()).
UPDATE_HEADER = "X-Localdcos-Pool-Update"
#: Response header of lbconfig: what `haproxy -c` says of it (valid | invalid), when it was checked.
CHECK_HEADER = "X-Localdcos-Haproxy-Check"
SERVICE_NOT_FOUND = "404 Not Found: service not found."


def _error(code: int, message: str) -> JSONResponse:
    # Edge-LB's handler errors: JSON with the HTTP status repeated as `code`.
    return JSONResponse({"code": code, "message": message}, status_code=code)


def _text(status: int, body: str) -> PlainTextResponse:
    return PlainTextResponse(body, status_code=status)


class EdgeLB:
    name = "edgelb"
    prefix = "/service/edgelb"
    scheduler_prefix = "/service/dcos-edgelb/pools"

    def __init__(self, options: SandboxOptions, mesos: Mesos) -> None:
        self.options = options
        self.mesos = mesos
        self._lock = threading.RLock()
        # Insertion-ordered like Edge-LB's config list (new pools are appended).
        self._pools: dict[str, lc.PoolRecord] = {}
        self._uninstalling: dict[str, lc.UninstallRecord] = {}
        # `haproxy -c` of a rendered config as the pool's task would run it; set by the sandbox
        # when it can (see pool_sandbox.py). Blocking: called off the event loop.
        self.lbconfig_check: Callable[[V2Pool, str], CheckResult] | None = None

    # ----------------------------------------------------------------- state

    def _record(self, name: str) -> lc.PoolRecord | None:
        with self._lock:
            rec = self._pools.get(name)
            if rec is not None:
                rec.refresh(time.time(), self.options)
            return rec

    def _uninstall(self, name: str) -> lc.UninstallRecord | None:
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

    def rendered_config(self, pool: V2Pool) -> str:
        return render_pool_config(pool, self.mesos.tasks())

    def _store(self, pool: V2Pool, *, creating: bool) -> str:
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

    async def _answer_stored(self, pool: V2Pool, effect: str, verb: str) -> Response:
        headers = {UPDATE_HEADER: effect}
        if self.options.edgelb_timeout_trap:
            # Edge-LB's 10 s context expires while Cosmos is still working: the pool is stored
            # and being deployed, yet the client is told it failed.
            await asyncio.sleep(max(0.0, self.options.edgelb_trap_delay_seconds))
            endpoint = "package/install" if verb == "create" else "cosmos/service/update"
            message = (
                f"unable to {verb} pool {pool.name}: "
                f'Post "https://leader.mesos/{endpoint}": context deadline exceeded'
            )
            return JSONResponse({"code": 500, "message": message}, status_code=500, headers=headers)
        return JSONResponse(pool.to_json(), headers=headers)

    async def _lbconfig(self, pool: V2Pool) -> Response:
        text = self.rendered_config(pool)
        if self.lbconfig_check is None:
            return _text(200, text)
        result = await asyncio.to_thread(self.lbconfig_check, pool, text)
        # A config HAProxy refuses is still what the pool has; the complaint goes along with it.
        response = _text(200, annotate(text, result))
        response.headers[CHECK_HEADER] = "valid" if result.ok else "invalid"
        return response

    # ----------------------------------------------------------------- API server

    def router(self) -> APIRouter:
        r = APIRouter()

        @r.get("/ping")
        async def ping() -> Response:
            return _text(200, "pong")

        @r.get("/version")
        async def version() -> Response:
            return _text(200, self.options.edgelb_version)

        @r.get("/config")
        async def get_config() -> Response:
            return JSONResponse({"pools": [p.container_json() for p in self.pools()]})

        @r.get("/pools/{name}")
        async def get_pool_container(name: str) -> Response:
            rec = self._record(name)
            if rec is None:
                return _error(404, f"pool {name} not found")
            return JSONResponse(rec.pool.container_json())

        @r.get("/v2/config")
        async def get_v2_config() -> Response:
            return JSONResponse({"pools": [p.to_json() for p in self.pools()]})

        @r.get("/v2/pools")
        async def get_v2_pools() -> Response:
            return JSONResponse([p.to_json() for p in self.pools()])

        @r.post("/v2/pools")
        async def create_pool(request: Request) -> Response:
            try:
                pool = await _bind(request)
            except BindingError as err:
                return JSONResponse({"code": err.code, "message": err.message}, status_code=err.status)
            if self._record(pool.name) is not None:
                return _error(409, f"pool {pool.name} already exists")
            try:
                check_pool(pool)
            except PoolInvalid as err:
                return _error(400, err.message)
            effect = self._store(pool, creating=True)
            return await self._answer_stored(pool, effect, "create")

        @r.get("/v2/pools/{name}")
        async def get_pool(name: str) -> Response:
            rec = self._record(name)
            if rec is None:
                return _error(404, f"pool {name} not found")
            return JSONResponse(rec.pool.to_json())

        @r.put("/v2/pools/{name}")
        async def update_pool(name: str, request: Request) -> Response:
            try:
                pool = await _bind(request)
            except BindingError as err:
                return JSONResponse({"code": err.code, "message": err.message}, status_code=err.status)
            # Edge-LB looks the pool up by the body's name; the path only feeds the message.
            current = self._record(pool.name)
            if current is None:
                return _error(404, f"pool {name} not found")
            try:
                check_pool(pool)
            except PoolInvalid as err:
                return _error(400, err.message)
            if msg := namespace_change_error(pool.name, current.pool.namespace, pool.namespace):
                return _error(400, msg)
            effect = self._store(pool, creating=False)
            return await self._answer_stored(pool, effect, "update")

        @r.delete("/v2/pools/{name}")
        async def delete_pool(name: str) -> Response:
            with self._lock:
                rec = self._pools.pop(name, None)
                if rec is None:
                    return _error(404, f"pool {name} not found")
                # The config is gone at once; the scheduler's uninstall runs on asynchronously.
                self._uninstalling[name] = lc.UninstallRecord(rec.pool, rec.deploy_id, time.time())
            log.info("edgelb pool %s deleted; uninstalling", name)
            return Response(status_code=204)

        @r.get("/v2/pools/{name}/lbconfig")
        async def get_lbconfig(name: str) -> Response:
            rec = self._record(name)
            if rec is None or not rec.ever_deployed:
                return _text(404, "artifact haproxy.cfg not found")
            return await self._lbconfig(rec.pool)

        @r.get("/v2/lbtemplate")
        async def get_default_template() -> Response:
            return _text(200, DEFAULT_TEMPLATE)

        @r.get("/v2/pools/{name}/lbtemplate")
        async def get_pool_template(name: str) -> Response:
            if self._record(name) is None:
                return _text(404, "artifact haproxy.cfg.ctmpl not found")
            return _text(200, DEFAULT_TEMPLATE)

        @r.get("/v2/pools/{name}/metadata")
        async def get_metadata(name: str) -> Response:
            rec = self._record(name)
            if rec is None:
                return _error(404, f"pool {name} not found")
            return JSONResponse(lc.metadata(rec.pool, deployed=rec.deployed))

        return r

    # ----------------------------------------------------------------- pool schedulers

    def scheduler_router(self) -> APIRouter:
        """SDK scheduler API of every default-namespace pool; mount at `scheduler_prefix`."""
        r = APIRouter()

        def lookup(name: str) -> lc.PoolRecord | lc.UninstallRecord | None:
            rec = self._record(name)
            if rec is not None:
                return rec if rec.pool.namespace == DEFAULT_NAMESPACE else None
            gone = self._uninstall(name)
            return gone if gone is not None and gone.pool.namespace == DEFAULT_NAMESPACE else None

        @r.get("/{name}/v1/plans")
        async def plans(name: str) -> Response:
            rec = lookup(name)
            if rec is None:
                return _text(404, SERVICE_NOT_FOUND)
            return JSONResponse(["deploy"] if isinstance(rec, lc.UninstallRecord) else ["deploy", "update"])

        @r.get("/{name}/v1/plans/{plan}")
        async def plan(name: str, plan: str) -> Response:
            rec = lookup(name)
            if rec is None:
                return _text(404, SERVICE_NOT_FOUND)
            if plan != "deploy":
                return JSONResponse({"message": f"Plan not found: {plan}"}, status_code=404)
            if isinstance(rec, lc.UninstallRecord):
                status, body = lc.uninstall_plan(rec)
            else:
                status, body = lc.deploy_plan(rec, self.options)
            return JSONResponse(body, status_code=status)

        @r.get("/{name}/v1/pod")
        async def pods(name: str) -> Response:
            rec = lookup(name)
            if rec is None:
                return _text(404, SERVICE_NOT_FOUND)
            return JSONResponse(lc.pod_names(rec.pool))

        @r.get("/{name}/v1/pod/{pod}/info")
        async def pod_info(name: str, pod: str) -> Response:
            rec = lookup(name)
            if rec is None:
                return _text(404, SERVICE_NOT_FOUND)
            uninstalling = isinstance(rec, lc.UninstallRecord)
            info = lc.pod_info(
                rec.pool,
                rec.deploy_id,
                pod,
                deployed=isinstance(rec, lc.PoolRecord) and rec.deployed,
                stalled=self.options.stall_pools,
                uninstalling=uninstalling,
            )
            if info is None:
                return JSONResponse({"message": f"Pod not found: {pod}"}, status_code=404)
            return JSONResponse(info)

        @r.get("/{name}/v1/endpoints")
        async def endpoints(name: str) -> Response:
            rec = lookup(name)
            if rec is None:
                return _text(404, SERVICE_NOT_FOUND)
            deployed = isinstance(rec, lc.PoolRecord) and rec.deployed
            return JSONResponse(lc.endpoint_names(rec.pool, deployed=deployed))

        @r.get("/{name}/v1/endpoints/{endpoint}")
        async def endpoint(name: str, endpoint: str) -> Response:
            rec = lookup(name)
            if rec is None:
                return _text(404, SERVICE_NOT_FOUND)
            deployed = isinstance(rec, lc.PoolRecord) and rec.deployed
            detail = lc.endpoint_detail(rec.pool, endpoint, deployed=deployed)
            if detail is None:
                return JSONResponse({"message": f"Endpoint not found: {endpoint}"}, status_code=404)
            return JSONResponse(detail)

        return r

    # ----------------------------------------------------------------- persistence

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


_JSON_MIME = "application/json"


async def _bind(request: Request) -> V2Pool:
    content_type = request.headers.get("content-type")
    # go-openapi rejects any other declared media type; an absent one is taken leniently.
    if content_type and content_type.split(";")[0].strip().lower() != _JSON_MIME:
        raise BindingError(
            415, 415, f'unsupported media type "{content_type}", only [{_JSON_MIME}] are allowed'
        )
    return parse_pool_body(await request.body())
