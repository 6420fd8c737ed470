"""Emulated Edge-LB API server (`/service/edgelb`) and, through scheduler.py, its pool schedulers.

Each stored pool gets an emulated SDK scheduler whose API the core mounts at `scheduler_prefix`
(`/service`: the scheduler of a pool in namespace `ns` is the DC/OS service `ns/<name>`); the
sandbox-only routes (`control_router`) show when plans finished.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from localdcos.core.options import SandboxOptions
from localdcos.edgelb import plans
from localdcos.edgelb.binding import BindingError, bind_request
from localdcos.edgelb.model import V2Pool
from localdcos.edgelb.render import DEFAULT_TEMPLATE, render_pool_config
from localdcos.edgelb.scheduler import PoolSchedulerApi
from localdcos.edgelb.store import PoolStore
from localdcos.edgelb.validation import PoolInvalid, check_pool, namespace_change_error
from localdcos.haproxy.check import CheckResult, annotate
from localdcos.mesos import Mesos

#: Response header telling what a create/update does to the pool's tasks:
#: install | relaunch | reload | none (see lifecycle.relaunch_fields()).
UPDATE_HEADER = "X-Localdcos-Pool-Update"
#: Response header of lbconfig: what `haproxy -c` says of it (valid | invalid), when it was checked.
CHECK_HEADER = "X-Localdcos-Haproxy-Check"


def _error(code: int, message: str) -> JSONResponse:
    # Edge-LB's handler errors: JSON with the HTTP status repeated as `code`.
    return JSONResponse({"code": code, "message": message}, status_code=code)


def _pool_not_found(name: str) -> JSONResponse:
    return _error(404, f"pool {name} not found")


def _text(status: int, body: str) -> PlainTextResponse:
    return PlainTextResponse(body, status_code=status)


class EdgeLB:
    name = "edgelb"
    prefix = "/service/edgelb"
    scheduler_prefix = "/service"
    control_prefix = "/_localdcos/edgelb"

    def __init__(self, options: SandboxOptions, mesos: Mesos) -> None:
        self.options = options
        self.mesos = mesos
        self.store = PoolStore(options)
        # `haproxy -c` of a rendered config as the pool's task would run it; set by the sandbox
        # when it can (see sandbox.py). Blocking: called off the event loop.
        self.lbconfig_check: Callable[[V2Pool, str], CheckResult] | None = None

    def pools(self) -> list[V2Pool]:
        return self.store.pools()

    def running_pools(self) -> list[V2Pool]:
        return self.store.running_pools()

    def rendered_config(self, pool: V2Pool) -> str:
        return render_pool_config(pool, self.mesos.tasks())

    # -- API server ---------------------------------------------------------------------------------

    def router(self) -> APIRouter:
        r = APIRouter()
        for method, path, handler in (
            ("GET", "/ping", self.ping),
            ("GET", "/version", self.version),
            ("GET", "/config", self.get_config),
            ("GET", "/pools/{name}", self.get_pool_container),
            ("GET", "/v2/config", self.get_v2_config),
            ("GET", "/v2/pools", self.get_v2_pools),
            ("POST", "/v2/pools", self.create_pool),
            ("GET", "/v2/pools/{name}", self.get_pool),
            ("PUT", "/v2/pools/{name}", self.update_pool),
            ("DELETE", "/v2/pools/{name}", self.delete_pool),
            ("GET", "/v2/pools/{name}/lbconfig", self.get_lbconfig),
            ("GET", "/v2/lbtemplate", self.get_default_template),
            ("GET", "/v2/pools/{name}/lbtemplate", self.get_pool_template),
            ("GET", "/v2/pools/{name}/metadata", self.get_metadata),
        ):
            r.add_api_route(path, handler, methods=[method])
        return r

    def scheduler_router(self) -> APIRouter:
        """SDK scheduler API of every pool, any namespace; mount at `scheduler_prefix`."""
        return PoolSchedulerApi(self.store, self.options).router()

    def service_names(self) -> list[str]:
        """The pool schedulers Admin Router can resolve (`<namespace>/<name>`)."""
        return self.store.service_names()

    def control_router(self) -> APIRouter:
        """GET /plans/history: [{"pool", "namespace", "plan", "deployId", "kind", "created",
        "started", "finished"}], the last 10,000 plans that finished (wall-clock seconds)."""
        r = APIRouter()
        r.add_api_route("/plans/history", self._plan_history, methods=["GET"])
        return r

    async def _plan_history(self) -> Response:
        return JSONResponse(self.store.history())

    async def ping(self) -> Response:
        return _text(200, "pong")

    async def version(self) -> Response:
        return _text(200, self.options.edgelb_version)

    async def get_config(self) -> Response:
        return JSONResponse({"pools": [p.container_json() for p in self.store.pools()]})

    async def get_pool_container(self, name: str) -> Response:
        rec = self.store.record(name)
        if rec is None:
            return _pool_not_found(name)
        return JSONResponse(rec.pool.container_json())

    async def get_v2_config(self) -> Response:
        return JSONResponse({"pools": [p.to_json() for p in self.store.pools()]})

    async def get_v2_pools(self) -> Response:
        return JSONResponse([p.to_json() for p in self.store.pools()])

    async def create_pool(self, request: Request) -> Response:
        try:
            pool = await bind_request(request)
        except BindingError as err:
            return JSONResponse({"code": err.code, "message": err.message}, status_code=err.status)
        if self.store.record(pool.name) is not None:
            return _error(409, f"pool {pool.name} already exists")
        try:
            check_pool(pool)
        except PoolInvalid as err:
            return _error(400, err.message)
        effect = self.store.store(pool, creating=True)
        return await self._answer_stored(pool, effect, "create")

    async def get_pool(self, name: str) -> Response:
        rec = self.store.record(name)
        if rec is None:
            return _pool_not_found(name)
        return JSONResponse(rec.pool.to_json())

    async def update_pool(self, name: str, request: Request) -> Response:
        try:
            pool = await bind_request(request)
        except BindingError as err:
            return JSONResponse({"code": err.code, "message": err.message}, status_code=err.status)
        # Edge-LB looks the pool up by the body's name; the path only feeds the message.
        current = self.store.record(pool.name)
        if current is None:
            return _pool_not_found(name)
        try:
            check_pool(pool)
        except PoolInvalid as err:
            return _error(400, err.message)
        if msg := namespace_change_error(pool.name, current.pool.namespace, pool.namespace):
            return _error(400, msg)
        effect = self.store.store(pool, creating=False)
        return await self._answer_stored(pool, effect, "update")

    async def delete_pool(self, name: str) -> Response:
        if not self.store.delete(name):
            return _pool_not_found(name)
        return Response(status_code=204)

    async def get_lbconfig(self, name: str) -> Response:
        rec = self.store.record(name)
        if rec is None or not rec.ever_deployed:
            return _text(404, "artifact haproxy.cfg not found")
        text = self.rendered_config(rec.pool)
        if self.lbconfig_check is None:
            return _text(200, text)
        result = await asyncio.to_thread(self.lbconfig_check, rec.pool, text)
        # A config HAProxy refuses is still what the pool has; the complaint goes along with it.
        response = _text(200, annotate(text, result))
        response.headers[CHECK_HEADER] = "valid" if result.ok else "invalid"
        return response

    async def get_default_template(self) -> Response:
        return _text(200, DEFAULT_TEMPLATE)

    async def get_pool_template(self, name: str) -> Response:
        if self.store.record(name) is None:
            return _text(404, "artifact haproxy.cfg.ctmpl not found")
        return _text(200, DEFAULT_TEMPLATE)

    async def get_metadata(self, name: str) -> Response:
        rec = self.store.record(name)
        if rec is None:
            return _pool_not_found(name)
        return JSONResponse(plans.metadata(rec.pool, deployed=rec.running(time.time()) is not None))

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

    # -- persistence --------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return self.store.snapshot()

    def restore(self, data: dict[str, Any]) -> None:
        self.store.restore(data)
