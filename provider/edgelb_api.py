"""Thin client for the Edge-LB API (/service/edgelb) and its pool schedulers (SDK plans)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from .edgelb_normalize import differs
from .http import DcosApiError, DcosHttp

PREFIX = "/service/edgelb"
DEFAULT_NAMESPACE = "dcos-edgelb/pools"
POLL_SECONDS = 0.5
PLAN_COMPLETE = "COMPLETE"


class PoolExists(Exception):
    pass


class PoolTimeout(Exception):
    pass


def _pool_path(name: str) -> str:
    return f"{PREFIX}/v2/pools/{quote(name, safe='')}"


def _plan_path(name: str, namespace: str | None) -> str:
    return f"/service/{(namespace or DEFAULT_NAMESPACE).strip('/')}/{quote(name, safe='')}/v1/plans/deploy"


class EdgeLBClient:
    def __init__(self, http: DcosHttp) -> None:
        self.http = http

    def get_pool(self, name: str) -> dict[str, Any] | None:
        try:
            return dict(self.http.request("GET", _pool_path(name)).json())
        except DcosApiError as error:
            # Only Edge-LB's own JSON 404 means "no such pool"; Admin Router's text 404 means the
            # Edge-LB API is not reachable right now.
            if error.status == 404 and isinstance(error.body, dict):
                return None
            raise

    def create_pool(self, pool: dict[str, Any]) -> dict[str, Any]:
        """POST; Edge-LB's 10 s internal timeout answers 500 although the pool was stored, so after
        a 500 the stored pool is read back instead of failing or posting a duplicate."""
        name = str(pool["name"])
        try:
            return dict(self.http.request("POST", f"{PREFIX}/v2/pools", body=pool, ok=(200, 201)).json())
        except DcosApiError as error:
            if error.status == 409:
                raise PoolExists(error.message) from None
            if 0 < error.status < 500:
                raise
            stored = self._read_back(name)
            # Accept the read-back only as the pool this call stored: anything else (say, a pool
            # somebody else made while the API was down) must never be claimed or rolled back.
            if stored is None or differs(pool, stored):
                raise
            return stored

    def replace_pool(self, pool: dict[str, Any]) -> dict[str, Any]:
        """PUT; Edge-LB finds the pool by the body's name, so path and body name are always equal."""
        name = str(pool["name"])
        try:
            return dict(self.http.request("PUT", _pool_path(name), body=pool).json())
        except DcosApiError as error:
            if error.status < 500:
                raise
            stored = self._read_back(name)
            if stored is None:
                raise
            return stored

    def _read_back(self, name: str) -> dict[str, Any] | None:
        for _ in range(3):
            try:
                return self.get_pool(name)
            except DcosApiError:
                time.sleep(POLL_SECONDS)
        return None

    def delete_pool(self, name: str) -> bool:
        """False when the pool was already gone."""
        try:
            self.http.request("DELETE", _pool_path(name), ok=(200, 204))
        except DcosApiError as error:
            if error.status == 404 and isinstance(error.body, dict):
                return False
            raise
        return True

    def plan_status(self, name: str, namespace: str | None) -> tuple[str, list[str]] | None:
        """The pool scheduler's deploy plan: (status, errors); None while no scheduler answers."""
        try:
            response = self.http.request("GET", _plan_path(name, namespace), ok=(200, 202, 417))
        except DcosApiError as error:
            if error.status in (404, 502, 503):
                return None
            raise
        try:
            body = response.json()
        except ValueError:
            body = {}
        status = str(body.get("status") or (PLAN_COMPLETE if response.status_code == 200 else "IN_PROGRESS"))
        return status, [str(e) for e in body.get("errors") or []]

    def wait_until_deployed(
        self, name: str, namespace: str | None, timeout_seconds: float, progress: Callable[[str], None]
    ) -> str:
        deadline = time.monotonic() + timeout_seconds
        last = ""
        while True:
            plan = self.plan_status(name, namespace)
            status, errors = plan if plan else ("NOT_STARTED", [])
            if status != last:
                progress(f"pool deploy plan {status}")
                last = status
            if status == PLAN_COMPLETE:
                return status
            if time.monotonic() >= deadline:
                detail = f"; errors: {'; '.join(errors)}" if errors else ""
                raise PoolTimeout(
                    f"pool {name} did not come up within {timeout_seconds:g}s "
                    f"(its load-balancer tasks are not running; deploy plan {status}){detail}"
                )
            time.sleep(POLL_SECONDS)

    def wait_until_uninstalled(self, name: str, namespace: str | None, timeout_seconds: float) -> None:
        deadline = time.monotonic() + timeout_seconds
        while self.plan_status(name, namespace) is not None:
            if time.monotonic() >= deadline:
                raise PoolTimeout(
                    f"pool {name}'s scheduler still ran {timeout_seconds:g}s after the pool was deleted"
                )
            time.sleep(POLL_SECONDS)
