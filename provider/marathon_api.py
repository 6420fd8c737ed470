"""Thin client for Marathon's /v2 API behind Admin Router (/service/marathon)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .http import DcosApiError, DcosHttp

PREFIX = "/service/marathon"
POLL_SECONDS = 0.5


class AppExists(Exception):
    pass


class AppLocked(Exception):
    """A running deployment blocks the write (Marathon's 409 without force)."""

    def __init__(self, app_id: str, deployments: list[str]) -> None:
        super().__init__(
            f"app {app_id} is locked by deployment(s) {', '.join(deployments) or '?'}; "
            "wait for it, cancel it (DELETE /v2/deployments/<id>) or set force=True to override it"
        )
        self.deployments = deployments


class DeploymentTimeout(Exception):
    pass


@dataclass(frozen=True)
class Change:
    deployment_id: str
    version: str | None


def _app_path(app_id: str) -> str:
    return f"{PREFIX}/v2/apps/{quote(app_id.strip('/'), safe='/')}"


def _flag(value: bool) -> str:
    return "true" if value else "false"


class MarathonClient:
    def __init__(self, http: DcosHttp) -> None:
        self.http = http

    def info(self) -> dict[str, Any]:
        return dict(self.http.request("GET", f"{PREFIX}/v2/info").json())

    def version(self) -> str:
        return str(self.info().get("version", ""))

    def get_app(self, app_id: str) -> dict[str, Any] | None:
        try:
            response = self.http.request("GET", _app_path(app_id), params={"embed": "app.lastTaskFailure"})
        except DcosApiError as error:
            if error.status == 404 and isinstance(error.body, dict):
                return None
            raise
        return dict(response.json()["app"])

    def create_app(self, definition: dict[str, Any], force: bool) -> Change:
        try:
            response = self.http.request(
                "POST", f"{PREFIX}/v2/apps", params={"force": _flag(force)}, body=definition, ok=(201,)
            )
        except DcosApiError as error:
            if error.status == 409 and "already exists" in error.message:
                raise AppExists(error.message) from None
            self._raise_locked(error, definition["id"])
            raise
        body = response.json()
        deployment = response.headers.get("Marathon-Deployment-Id") or body["deployments"][0]["id"]
        return Change(deployment, body.get("version"))

    def replace_app(self, definition: dict[str, Any], force: bool) -> Change:
        """PUT with partialUpdate=false: a full replacement, so fields removed in code are removed."""
        app_id = definition["id"]
        try:
            response = self.http.request(
                "PUT",
                _app_path(app_id),
                params={"force": _flag(force), "partialUpdate": "false"},
                body=definition,
                ok=(200, 201),
            )
        except DcosApiError as error:
            self._raise_locked(error, app_id)
            raise
        body = response.json()
        return Change(body["deploymentId"], body.get("version"))

    def delete_app(self, app_id: str) -> Change | None:
        """None when the app is already gone."""
        try:
            response = self.http.request("DELETE", _app_path(app_id))
        except DcosApiError as error:
            if error.status == 404 and isinstance(error.body, dict):
                return None
            raise
        body = response.json()
        return Change(body["deploymentId"], body.get("version"))

    def deployments(self) -> list[dict[str, Any]]:
        return list(self.http.request("GET", f"{PREFIX}/v2/deployments").json())

    def wait_for_deployment(
        self,
        app_id: str,
        deployment_id: str,
        timeout_seconds: float,
        progress: Callable[[str], None],
    ) -> None:
        """Returns once the deployment is no longer listed; Marathon never fails a deployment on its
        own (it retries tasks forever), so the timeout is ours."""
        deadline = time.monotonic() + timeout_seconds
        last_note = ""
        while True:
            current = next((d for d in self.deployments() if d.get("id") == deployment_id), None)
            if current is None:
                return
            actions = ", ".join(a.get("action", "?") for a in current.get("currentActions", []))
            note = f"deployment {deployment_id}: step {current.get('currentStep')}/{current.get('totalSteps')} {actions}"
            if note != last_note:
                progress(note)
                last_note = note
            if time.monotonic() >= deadline:
                app = self.get_app(app_id)
                failure = (app or {}).get("lastTaskFailure") or {}
                reason = f"; last task failure: {failure.get('message')}" if failure.get("message") else ""
                raise DeploymentTimeout(
                    f"deployment {deployment_id} of {app_id} did not finish within {timeout_seconds:g}s{reason}"
                )
            time.sleep(POLL_SECONDS)

    def wait_until_gone(self, app_id: str, timeout_seconds: float) -> None:
        deadline = time.monotonic() + timeout_seconds
        while self.get_app(app_id) is not None:
            if time.monotonic() >= deadline:
                raise DeploymentTimeout(
                    f"app {app_id} was still present {timeout_seconds:g}s after its deletion"
                )
            time.sleep(POLL_SECONDS)

    @staticmethod
    def _raise_locked(error: DcosApiError, app_id: str) -> None:
        if error.status == 409 and isinstance(error.body, dict) and "locked" in error.message:
            ids = [str(d.get("id")) for d in error.body.get("deployments", []) if isinstance(d, dict)]
            raise AppLocked(app_id, ids) from None
