"""The SDK scheduler API of every pool, in any namespace (`/service/<namespace>/<name>/v1/...`).

Admin Router resolves the service name (the core's gateway); these routes take the whole service
path and find the pool whose scheduler it names. A deleted pool's scheduler keeps answering with its
uninstall plan until the uninstall is done. While a relaunch restarts the scheduler (lifecycle.py)
the old one answers with its old plan, then none does: Admin Router answers 502 while its cache
still points at the killed scheduler task (the first half of the gap), then its text 404 once the
service has no running task left to resolve.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from localdcos.core.options import SandboxOptions
from localdcos.core.state import SERVICE_SCOPE_KEY
from localdcos.edgelb import lifecycle as lc
from localdcos.edgelb import plans
from localdcos.edgelb.model import V2Pool
from localdcos.edgelb.store import PoolStore
from localdcos.iam import nginx_page

SERVICE_NOT_FOUND = "404 Not Found: service not found."
_BAD_GATEWAY_PAGE = nginx_page(502, "Bad Gateway", "The upstream server is not reachable.")


def _no_service() -> Response:
    # Admin Router's answer for a service it cannot resolve.
    return PlainTextResponse(SERVICE_NOT_FOUND, status_code=404)


def _not_found(what: str, name: str) -> Response:
    return JSONResponse({"message": f"{what} not found: {name}"}, status_code=404)


@dataclass
class _Answering:
    """The scheduler that answers a request: an uninstall's, or a deployment's (old or current)."""

    pool: V2Pool
    deploy_id: str
    deployment: lc.Deployment | None = None
    uninstall: lc.UninstallRecord | None = None

    @property
    def deployed(self) -> bool:
        return self.deployment is not None and self.deployment.deployed


class PoolSchedulerApi:
    def __init__(self, store: PoolStore, options: SandboxOptions) -> None:
        self.store = store
        self.options = options

    def router(self) -> APIRouter:
        r = APIRouter()
        r.add_api_route("/{service:path}/v1/plans", self.plans, methods=["GET"])
        r.add_api_route("/{service:path}/v1/plans/{plan}", self.plan, methods=["GET"])
        r.add_api_route("/{service:path}/v1/pod", self.pods, methods=["GET"])
        r.add_api_route("/{service:path}/v1/pod/{pod}/info", self.pod_info, methods=["GET"])
        r.add_api_route("/{service:path}/v1/endpoints", self.endpoints, methods=["GET"])
        r.add_api_route("/{service:path}/v1/endpoints/{endpoint}", self.endpoint, methods=["GET"])
        return r

    def _lookup(self, request: Request, service: str) -> _Answering | Response:
        resolved = request.scope.get(SERVICE_SCOPE_KEY, service)
        if resolved != service:
            # Admin Router sent it to a shorter service name (e.g. Edge-LB's own API, in front of
            # a pool in namespace `edgelb`): that service has no such path.
            rest = request.url.path.removeprefix(f"/service/{resolved}")
            return JSONResponse({"code": 404, "message": f"path {rest} was not found"}, status_code=404)
        rec = self.store.lookup_service(service)
        if rec is None:
            return _no_service()
        if isinstance(rec, lc.UninstallRecord):
            return _Answering(rec.pool, rec.deploy_id, uninstall=rec)
        now = time.time()
        deployment = rec.scheduler(now)
        if deployment is None:
            return self._gap_answer(rec, now)
        return _Answering(deployment.pool, deployment.deploy_id, deployment=deployment)

    @staticmethod
    def _gap_answer(rec: lc.PoolRecord, now: float) -> Response:
        gap_start = rec.old_until if rec.old is not None else rec.requested
        if now < (gap_start + rec.current.started) / 2:
            return HTMLResponse(_BAD_GATEWAY_PAGE, status_code=502)
        return _no_service()

    async def plans(self, request: Request, service: str) -> Response:
        found = self._lookup(request, service)
        if isinstance(found, Response):
            return found
        return JSONResponse(["deploy"] if found.uninstall is not None else ["deploy", "update"])

    async def plan(self, request: Request, service: str, plan: str) -> Response:
        found = self._lookup(request, service)
        if isinstance(found, Response):
            return found
        if plan != "deploy":
            return _not_found("Plan", plan)
        if found.uninstall is not None:
            status, body = plans.uninstall_plan(found.uninstall)
        else:
            assert found.deployment is not None
            status, body = plans.deploy_plan(found.deployment, self.options)
        return JSONResponse(body, status_code=status)

    async def pods(self, request: Request, service: str) -> Response:
        found = self._lookup(request, service)
        if isinstance(found, Response):
            return found
        return JSONResponse(plans.pod_names(found.pool))

    async def pod_info(self, request: Request, service: str, pod: str) -> Response:
        found = self._lookup(request, service)
        if isinstance(found, Response):
            return found
        info = plans.pod_info(
            found.pool,
            found.deploy_id,
            pod,
            deployed=found.deployed,
            stalled=self.options.stall_pools,
            uninstalling=found.uninstall is not None,
        )
        if info is None:
            return _not_found("Pod", pod)
        return JSONResponse(info)

    async def endpoints(self, request: Request, service: str) -> Response:
        found = self._lookup(request, service)
        if isinstance(found, Response):
            return found
        return JSONResponse(plans.endpoint_names(found.pool, deployed=found.deployed))

    async def endpoint(self, request: Request, service: str, endpoint: str) -> Response:
        found = self._lookup(request, service)
        if isinstance(found, Response):
            return found
        detail = plans.endpoint_detail(found.pool, endpoint, deployed=found.deployed)
        if detail is None:
            return _not_found("Endpoint", endpoint)
        return JSONResponse(detail)
