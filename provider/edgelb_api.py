"""Thin client for the Edge-LB API (/service/edgelb), its pool schedulers (SDK plans) and the
schedulers' Marathon apps.

As marathon_api.py, it reaches what the provider process shares per cluster (shared.py): one
poller of the pending pools' plans for every wait, and the list of pools for diffs; every write
goes through `Snapshots.writing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from . import shared
from .errors import DcosApiError, ProviderError, is_gone
from .marathon_api import app_path
from .poller import Subscription
from .snapshots import Snapshots

if TYPE_CHECKING:  # the program process imports this module, and needs no HTTP client
    from .http import DcosHttp

PREFIX = "/service/edgelb"
DEFAULT_NAMESPACE = "dcos-edgelb/pools"
PLAN_COMPLETE = "COMPLETE"
#: No scheduler answers: not installed yet, restarting, or uninstalled.
PLAN_UNAVAILABLE = "UNAVAILABLE"


class PoolExists(ProviderError):
    """POST found the name taken (Edge-LB's 409); create decides whose pool it is."""


@dataclass(frozen=True)
class Plan:
    status: str
    errors: tuple[str, ...] = ()
    # The SDK builds a plan's phases afresh when its scheduler starts: new ids, new plan.
    phase_ids: frozenset[str] = frozenset()

    @property
    def complete(self) -> bool:
        return self.status == PLAN_COMPLETE


@dataclass(frozen=True)
class SchedulerApp:
    version: str
    deploying: bool


def _pool_path(name: str) -> str:
    return f"{PREFIX}/v2/pools/{quote(name, safe='')}"


def _service(name: str, namespace: str | None) -> str:
    return f"{(namespace or DEFAULT_NAMESPACE).strip('/')}/{name}"


class EdgeLBClient:
    def __init__(self, http: DcosHttp) -> None:
        self.http = http

    def get_pool(self, name: str) -> dict[str, Any] | None:
        path = _pool_path(name)
        response = self.http.request_unless_gone("GET", path)
        return None if response is None else dict(self.http.json(response, "GET", path))

    def pools(self) -> dict[str, dict[str, Any]]:
        """Every pool, by name, as `GET /v2/pools/{name}` shows it: one call for a whole preview."""
        path = f"{PREFIX}/v2/pools"
        found = self.http.json(self.http.request("GET", path), "GET", path)
        return {str(p["name"]): dict(p) for p in found or [] if isinstance(p, dict) and "name" in p}

    def snapshots(self) -> Snapshots[dict[str, Any]]:
        """The process's recent answer of pools() for this cluster, for diffs."""
        return shared.snapshots(self.http, "edgelb-pools", self.pools)

    def pool_for_diff(self, name: str) -> dict[str, Any] | None:
        """The pool from the recent list of pools when it shows it, else read alone."""
        known, live = self.snapshots().get(name)
        return live if known else self.get_pool(name)

    def watch_plan(self, name: str, namespace: str | None) -> Subscription[tuple[str, str | None], Plan]:
        """A subscription to the process's poller of pool plans (one read per pending pool and tick)."""

        def read(key: tuple[str, str | None]) -> Plan:
            return self.plan(*key)

        return shared.poller(self.http, "edgelb-plans", read).subscribe((name, namespace))

    def create_pool(self, pool: dict[str, Any]) -> dict[str, Any]:
        """POST; PoolExists on 409. A 5xx may come although the pool was stored (Edge-LB's 10 s
        internal timeout): the caller reads back."""
        path = f"{PREFIX}/v2/pools"
        try:
            with self.snapshots().writing(str(pool["name"])):
                response = self.http.request("POST", path, body=pool, ok=(200, 201))
        except DcosApiError as error:
            if error.status == 409:
                raise PoolExists(error.message) from None
            raise
        return dict(self.http.json(response, "POST", path))

    def replace_pool(self, pool: dict[str, Any]) -> dict[str, Any] | None:
        """PUT; Edge-LB finds the pool by the body's name, so path and body name are always equal.
        None when the pool does not exist (any more)."""
        path = _pool_path(str(pool["name"]))
        try:
            with self.snapshots().writing(str(pool["name"])):
                response = self.http.request("PUT", path, body=pool)
        except DcosApiError as error:
            if is_gone(error):
                return None
            raise
        return dict(self.http.json(response, "PUT", path))

    def delete_pool(self, name: str) -> bool:
        """False when the pool was already gone."""
        with self.snapshots().writing(name):
            return self.http.request_unless_gone("DELETE", _pool_path(name)) is not None

    def plan(self, name: str, namespace: str | None) -> Plan:
        """The pool scheduler's deploy plan (§3.7). Raises on answers that prove nothing (a 500)."""
        path = f"/service/{_service(name, namespace)}/v1/plans/deploy"
        try:
            response = self.http.request("GET", path, ok=(200, 202, 417))
        except DcosApiError as error:
            # Admin Router's text 404: no scheduler registered under that name (yet, or any more).
            if (error.status == 404 and not is_gone(error)) or error.status in (502, 503, 504):
                return Plan(PLAN_UNAVAILABLE)
            raise
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        status = str(body.get("status") or (PLAN_COMPLETE if response.status_code == 200 else "IN_PROGRESS"))
        phases = frozenset(str(p.get("id")) for p in body.get("phases") or [] if isinstance(p, dict))
        return Plan(status, tuple(str(e) for e in body.get("errors") or []), phases)

    def scheduler_app(self, name: str, namespace: str | None) -> SchedulerApp | None:
        """The pool scheduler's Marathon app, where this account may see it (None otherwise): its
        version changes when Edge-LB has Cosmos relaunch the scheduler."""
        path = app_path(_service(name, namespace))
        try:
            response = self.http.request_unless_gone("GET", path)
            app = self.http.json(response, "GET", path)["app"] if response is not None else None
        except (ProviderError, KeyError, TypeError):
            return None
        if not isinstance(app, dict):
            return None
        return SchedulerApp(str(app.get("version")), bool(app.get("deployments")))
