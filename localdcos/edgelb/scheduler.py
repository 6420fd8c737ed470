"""The SDK scheduler API of every pool in the default namespace (`/service/dcos-edgelb/pools/<name>`).

Pools of other namespaces are stored and rendered, but Admin Router reaches their schedulers
elsewhere, which the sandbox does not serve. A deleted pool's scheduler keeps answering with its
uninstall plan until the uninstall is done.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from localdcos.core.options import SandboxOptions
from localdcos.edgelb import lifecycle as lc
from localdcos.edgelb import plans
from localdcos.edgelb.model import DEFAULT_NAMESPACE
from localdcos.edgelb.store import PoolStore

SERVICE_NOT_FOUND = "404 Not Found: service not found."
Scheduler = lc.PoolRecord | lc.UninstallRecord


def _no_service() -> Response:
    # Admin Router's answer for a service it cannot resolve.
    return PlainTextResponse(SERVICE_NOT_FOUND, status_code=404)


def _not_found(what: str, name: str) -> Response:
    return JSONResponse({"message": f"{what} not found: {name}"}, status_code=404)


def _deployed(rec: Scheduler) -> bool:
    return isinstance(rec, lc.PoolRecord) and rec.deployed


class PoolSchedulerApi:
    def __init__(self, store: PoolStore, options: SandboxOptions) -> None:
        self.store = store
        self.options = options

    def router(self) -> APIRouter:
        r = APIRouter()
        r.add_api_route("/{name}/v1/plans", self.plans, methods=["GET"])
        r.add_api_route("/{name}/v1/plans/{plan}", self.plan, methods=["GET"])
        r.add_api_route("/{name}/v1/pod", self.pods, methods=["GET"])
        r.add_api_route("/{name}/v1/pod/{pod}/info", self.pod_info, methods=["GET"])
        r.add_api_route("/{name}/v1/endpoints", self.endpoints, methods=["GET"])
        r.add_api_route("/{name}/v1/endpoints/{endpoint}", self.endpoint, methods=["GET"])
        return r

    def _lookup(self, name: str) -> Scheduler | None:
        rec: Scheduler | None = self.store.record(name)
        if rec is None:
            rec = self.store.uninstall(name)
        return rec if rec is not None and rec.pool.namespace == DEFAULT_NAMESPACE else None

    async def plans(self, name: str) -> Response:
        rec = self._lookup(name)
        if rec is None:
            return _no_service()
        return JSONResponse(["deploy"] if isinstance(rec, lc.UninstallRecord) else ["deploy", "update"])

    async def plan(self, name: str, plan: str) -> Response:
        rec = self._lookup(name)
        if rec is None:
            return _no_service()
        if plan != "deploy":
            return _not_found("Plan", plan)
        if isinstance(rec, lc.UninstallRecord):
            status, body = plans.uninstall_plan(rec)
        else:
            status, body = plans.deploy_plan(rec, self.options)
        return JSONResponse(body, status_code=status)

    async def pods(self, name: str) -> Response:
        rec = self._lookup(name)
        if rec is None:
            return _no_service()
        return JSONResponse(plans.pod_names(rec.pool))

    async def pod_info(self, name: str, pod: str) -> Response:
        rec = self._lookup(name)
        if rec is None:
            return _no_service()
        info = plans.pod_info(
            rec.pool,
            rec.deploy_id,
            pod,
            deployed=_deployed(rec),
            stalled=self.options.stall_pools,
            uninstalling=isinstance(rec, lc.UninstallRecord),
        )
        if info is None:
            return _not_found("Pod", pod)
        return JSONResponse(info)

    async def endpoints(self, name: str) -> Response:
        rec = self._lookup(name)
        if rec is None:
            return _no_service()
        return JSONResponse(plans.endpoint_names(rec.pool, deployed=_deployed(rec)))

    async def endpoint(self, name: str, endpoint: str) -> Response:
        rec = self._lookup(name)
        if rec is None:
            return _no_service()
        detail = plans.endpoint_detail(rec.pool, endpoint, deployed=_deployed(rec))
        if detail is None:
            return _not_found("Endpoint", endpoint)
        return JSONResponse(detail)
