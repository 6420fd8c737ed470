"""Thin client for Marathon's /v2 API behind Admin Router (/service/marathon).

Besides the calls themselves it reaches what the provider process shares per cluster (shared.py):
the one poller of `GET /v2/deployments` that waits subscribe to, and the list of owned apps that
diffs read from. Every write goes through `Snapshots.writing`, so no diff is ever answered from a
list read that may predate it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from . import shared
from .errors import DcosApiError, ProviderError
from .ownership import MARKER_KEY
from .poller import Subscription
from .snapshots import Snapshots

if TYPE_CHECKING:  # the program process imports this module, and needs no HTTP client
    from .http import DcosHttp

PREFIX = "/service/marathon"
#: Every app any stack's MarathonApp wrote carries the owner label (ownership.py).
OWNED_APPS = {"label": MARKER_KEY, "embed": "apps.lastTaskFailure"}


class AppExists(ProviderError):
    """POST found the id taken (Marathon's 409); create decides whose app it is."""


class AppLocked(ProviderError):
    """A running deployment blocks the write (Marathon's 409 without force)."""

    def __init__(self, app_id: str, deployments: list[str]) -> None:
        super().__init__(
            f"app {app_id} is locked by deployment(s) {', '.join(deployments) or '?'}; "
            "wait for it, cancel it (DELETE /v2/deployments/<id>) or set force=True to override it"
        )
        self.deployments = deployments


def app_path(app_id: str) -> str:
    return f"{PREFIX}/v2/apps/{quote(app_id.strip('/'), safe='/')}"


def _flag(value: bool) -> str:
    return "true" if value else "false"


def canonical(app_id: str) -> str:
    return "/" + app_id.strip("/")


class MarathonClient:
    def __init__(self, http: DcosHttp) -> None:
        self.http = http

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, path, **kwargs)
        return self.http.json(response, method, path)

    def info(self) -> dict[str, Any]:
        return dict(self._json("GET", f"{PREFIX}/v2/info"))

    def version(self) -> str:
        return str(self.info().get("version", ""))

    def get_app(self, app_id: str) -> dict[str, Any] | None:
        path = app_path(app_id)
        response = self.http.request_unless_gone("GET", path, params={"embed": "app.lastTaskFailure"})
        if response is None:
            return None
        return dict(self.http.json(response, "GET", path)["app"])

    def owned_apps(self) -> dict[str, dict[str, Any]]:
        """Every app with an owner label, by id, as `GET /v2/apps/{id}` shows it (deployments and
        the last task failure embedded): one call for all the apps of a preview."""
        path = f"{PREFIX}/v2/apps"
        apps = self._json("GET", path, params=OWNED_APPS)["apps"]
        return {str(app["id"]): dict(app) for app in apps if isinstance(app, dict) and "id" in app}

    def snapshots(self) -> Snapshots[dict[str, Any]]:
        """The process's recent answer of owned_apps() for this cluster, for diffs."""
        return shared.snapshots(self.http, "marathon-apps", self.owned_apps)

    def deployments(self) -> list[dict[str, Any]]:
        return list(self._json("GET", f"{PREFIX}/v2/deployments"))

    def deployments_touching(self, app_id: str) -> list[dict[str, Any]]:
        """Every running deployment that changes the app: waits follow these, not one id, since a
        retried or forced write, or somebody else's, may have replaced the one we started."""
        return touching(self.deployments(), app_id)

    def watch_deployments(self) -> Subscription[str, list[dict[str, Any]]]:
        """A subscription to the process's one poller of `GET /v2/deployments` for this cluster."""

        def read(_key: str) -> list[dict[str, Any]]:
            return self.deployments()

        return shared.poller(self.http, "marathon-deployments", read).subscribe("")

    def create_app(self, definition: dict[str, Any], force: bool) -> str:
        """POST; returns the deployment id."""
        try:
            with self.snapshots().writing(canonical(definition["id"])):
                response = self.http.request(
                    "POST", f"{PREFIX}/v2/apps", params={"force": _flag(force)}, body=definition, ok=(201,)
                )
        except DcosApiError as error:
            if error.status == 409 and "already exists" in error.message:
                raise AppExists(error.message) from None
            self._raise_locked(error, definition["id"])
            raise
        return str(response.headers.get("Marathon-Deployment-Id") or "")

    def replace_app(self, definition: dict[str, Any], force: bool) -> str:
        """PUT with partialUpdate=false: a full replacement, so fields removed in code are removed.
        Creates the app when it does not exist."""
        app_id = definition["id"]
        try:
            with self.snapshots().writing(canonical(app_id)):
                response = self.http.request(
                    "PUT",
                    app_path(app_id),
                    params={"force": _flag(force), "partialUpdate": "false"},
                    body=definition,
                    ok=(200, 201),
                )
        except DcosApiError as error:
            self._raise_locked(error, app_id)
            raise
        return str(response.headers.get("Marathon-Deployment-Id") or "")

    def delete_app(self, app_id: str) -> str | None:
        """DELETE (forced by default, so never locked); None when the app was already gone."""
        with self.snapshots().writing(canonical(app_id)):
            response = self.http.request_unless_gone("DELETE", app_path(app_id))
        return None if response is None else str(response.headers.get("Marathon-Deployment-Id") or "")

    @staticmethod
    def _raise_locked(error: DcosApiError, app_id: str) -> None:
        if error.status == 409 and isinstance(error.body, dict) and "locked" in error.message:
            ids = [str(d.get("id")) for d in error.body.get("deployments", []) if isinstance(d, dict)]
            raise AppLocked(app_id, ids) from None


def touching(deployments: list[dict[str, Any]], app_id: str) -> list[dict[str, Any]]:
    return [d for d in deployments if app_id in (d.get("affectedApps") or [])]
