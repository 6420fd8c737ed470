"""Marathon REST API v2 (`/service/marathon`): apps, tasks, versions and deployments (spec §1).

The handlers read the request, let planning.py write and views.py answer; the world they act on
(simulation.py) is advanced to "now" before each of them runs.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.routing import Match

from localdcos.core.options import SandboxOptions
from localdcos.marathon import bodies, planning, validation, views
from localdcos.marathon.errors import MarathonError, app_not_found, invalid_json, message
from localdcos.marathon.model import LEADER, Change, canonical_version, strip_runtime
from localdcos.marathon.simulation import MarathonState

Handler = Callable[[Request], Awaitable[Response]]
_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def _written(deployment_id: str, version: str, status: int = 200, location: str | None = None) -> Response:
    headers = {"Marathon-Deployment-Id": deployment_id}
    if location is not None:
        headers["Location"] = location
    return JSONResponse(
        {"deploymentId": deployment_id, "version": version}, status_code=status, headers=headers
    )


class Marathon:
    """Root Marathon, as reached through Admin Router at /service/marathon."""

    name = "marathon"
    prefix = "/service/marathon"
    control_prefix = "/_localdcos/marathon"

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.state = MarathonState(options)

    def apps_with_tasks(self) -> list[dict[str, Any]]:
        """What `GET /v2/apps?embed=apps.tasks` answers right now (without advancing time)."""
        return views.list_apps(self.state, embed={"apps.tasks"})

    def submit(self, app_id: str, definition: dict[str, Any] | None) -> str:
        """Create (or, with None, delete) an app as a client of the REST API would, for what other
        DC/OS parts install through Marathon (Cosmos' package installs). Returns the deployment id;
        raises MarathonError with the answer Marathon would give."""
        self.state.advance()
        if definition is None:
            return planning.plan(self.state, [Change(app_id, None)], force=True)[0]
        errors = validation.raml_errors(definition, require_id=True)
        if errors:
            raise invalid_json(errors)
        target = bodies.normalize_new(self.state, definition, app_id)
        bodies.validate(self.state, target)
        if self.state.live(app_id) is not None:
            raise message(409, f"An app with id [{app_id}] already exists.")
        return planning.plan(self.state, [Change(app_id, target)], force=False)[0]

    def live_app(self, app_id: str) -> dict[str, Any] | None:
        """The AppInfo of `app_id` (with tasks) as `GET /v2/apps/{id}` shows it, or None when there
        is none or it is being deleted."""
        self.state.advance()
        app = self.state.live(app_id)
        return views.app_info(self.state, app, tasks=True, failure=True) if app is not None else None

    def control_router(self) -> APIRouter:
        """GET /deployments/history: [{"id", "version", "affectedApps", "created", "finished",
        "outcome"}], the last 10,000 deployments that left /v2/deployments (wall-clock seconds)."""
        router = APIRouter()

        async def history() -> Response:
            self.state.advance()
            return JSONResponse(list(self.state.history))

        router.add_api_route("/deployments/history", history, methods=["GET"])
        return router

    # -- apps ---------------------------------------------------------------------------------------

    async def _list_apps(self, request: Request) -> Response:
        query = request.query_params
        apps = views.list_apps(
            self.state,
            embed=set(query.getlist("embed")),
            id_filter=query.get("id") or "",
            cmd_filter=query.get("cmd") or "",
            label=query.get("label") or "",
        )
        return JSONResponse({"apps": apps})

    async def _create_app(self, request: Request) -> Response:
        force = bodies.flag(request, "force", False)
        body = await bodies.json_body(request)
        errors = validation.raml_errors(body, require_id=True)
        if errors:
            raise invalid_json(errors)
        app_id = validation.normalize_id(body["id"])
        target = bodies.normalize_new(self.state, body, app_id)
        bodies.validate(self.state, target)
        if self.state.live(app_id) is not None:
            raise message(409, f"An app with id [{app_id}] already exists.")
        # The answer is built before service ports are assigned (§1.3), so it still shows 0.
        answer = copy.deepcopy(target)
        deployment_id, version = planning.plan(self.state, [Change(app_id, target)], force=force)
        answer.update(
            {"version": version, "tasksStaged": 0, "tasksRunning": 0, "tasksHealthy": 0, "tasksUnhealthy": 0}
        )
        answer["tasks"] = []
        answer["deployments"] = [{"id": deployment_id}]
        return JSONResponse(
            answer, status_code=201, headers={"Location": app_id, "Marathon-Deployment-Id": deployment_id}
        )

    async def _update_apps(self, request: Request) -> Response:
        """PUT/PATCH /v2/apps: several apps in one deployment."""
        force = bodies.flag(request, "force", False)
        partial = request.method == "PATCH" or bodies.flag(request, "partialUpdate", True)
        body = await bodies.json_body(request)
        if not isinstance(body, list):
            raise invalid_json({"/": ["error.expected.jsarray"]})
        errors: validation.Errors = {}
        for index, item in enumerate(body):
            for path, codes in validation.raml_errors(item, require_id=False).items():
                errors[f"({index}){'' if path == '/' else path}"] = codes
        if errors:
            raise invalid_json(errors)
        changes = []
        for item in body:
            if not item.get("id"):
                raise message(422, "App Update must have app id set")
            app_id = validation.normalize_id(item["id"])
            changes.append(self._update_change(request, app_id, item, partial))
        return _written(*planning.plan(self.state, changes, force=force))

    def _update_change(self, request: Request, app_id: str, body: dict[str, Any], partial: bool) -> Change:
        bodies.check_path_id(app_id)
        if request.method == "PATCH" and self.state.live(app_id) is None:
            raise app_not_found(app_id)
        target = bodies.update_target(self.state, app_id, body, partial)
        bodies.validate(self.state, target)
        return Change(app_id, target)

    async def _get_app(self, request: Request) -> Response:
        raw_id = str(request.path_params.get("app_id", ""))
        if raw_id in ("", "/"):
            return await self._list_apps(request)
        if raw_id == "*" or (raw_id.endswith("*") and raw_id.rstrip("*").endswith("/")):
            group = validation.normalize_id(raw_id.rstrip("*"))
            if group != "/" and group not in self.state.groups:
                raise message(404, f"Group '{group}' does not exist")
            prefix = group.rstrip("/") + "/"
            apps = self.state.apps
            members = [apps[a] for a in sorted(apps) if a.startswith(prefix)]
            infos = [views.app_info(self.state, a, tasks=True, failure=True) for a in members]
            return JSONResponse({"*": infos})
        app_id = validation.normalize_id(raw_id)
        app = self.state.apps.get(app_id)
        if app is None:
            raise app_not_found(app_id)
        return JSONResponse({"app": views.app_info(self.state, app, tasks=True, failure=True)})

    async def _put_app(self, request: Request) -> Response:
        force = bodies.flag(request, "force", False)
        partial = request.method == "PATCH" or bodies.flag(request, "partialUpdate", True)
        body = await bodies.json_body(request)
        if not isinstance(body, dict):
            raise invalid_json({"/": ["error.expected.jsobject"]})
        errors = validation.raml_errors(body, require_id=False)
        if errors:
            raise invalid_json(errors)
        app_id = bodies.path_app_id(request)
        exists = self.state.live(app_id) is not None
        change = self._update_change(request, app_id, body, partial)
        deployment_id, version = planning.plan(self.state, [change], force=force)
        if exists:
            return _written(deployment_id, version)
        return _written(deployment_id, version, status=201, location=app_id)

    async def _delete_app(self, request: Request) -> Response:
        # DELETE is forced by default, so it never meets the lock (§1.3).
        force = bodies.flag(request, "force", True)
        app_id = bodies.path_app_id(request)
        if self.state.live(app_id) is None:
            raise app_not_found(app_id)
        return _written(*planning.plan(self.state, [Change(app_id, None)], force=force))

    async def _restart_app(self, request: Request) -> Response:
        force = bodies.flag(request, "force", False)
        app_id = bodies.path_app_id(request)
        app = self.state.live(app_id)
        if app is None:
            raise app_not_found(app_id)
        change = Change(app_id, strip_runtime(app.definition), restart=True)
        return _written(*planning.plan(self.state, [change], force=force))

    async def _app_tasks(self, request: Request) -> Response:
        app_id = bodies.path_app_id(request)
        app = self.state.apps.get(app_id)
        if app is None:
            raise app_not_found(app_id)
        return JSONResponse({"tasks": [views.task_json(app, t) for t in app.tasks]})

    async def _app_versions(self, request: Request) -> Response:
        app_id = bodies.path_app_id(request)
        app = self.state.apps.get(app_id)
        if app is None:
            raise app_not_found(app_id)
        return JSONResponse({"versions": sorted(app.versions, reverse=True)})

    async def _app_version(self, request: Request) -> Response:
        app_id = bodies.path_app_id(request)
        version = canonical_version(str(request.path_params["version"]))
        app = self.state.apps.get(app_id)
        if app is None:
            raise app_not_found(app_id)
        stored = app.versions.get(version)
        if stored is None:
            raise app_not_found(app_id, version)
        return JSONResponse(copy.deepcopy(stored))

    # -- deployments --------------------------------------------------------------------------------

    async def _list_deployments(self, request: Request) -> Response:
        now = time.time()
        return JSONResponse(
            [views.deployment_json(self.state, d, now) for d in self.state.deployments.values()]
        )

    async def _delete_deployment(self, request: Request) -> Response:
        deployment_id = str(request.path_params["deployment_id"])
        deployment = self.state.deployments.get(deployment_id)
        if deployment is None:
            raise message(404, f"DeploymentPlan {deployment_id} does not exist")
        planning.cancel(self.state, deployment)
        if bodies.flag(request, "force", False):
            # Just abandoned: whatever the deployment achieved so far stays.
            return Response(status_code=202)
        changes = []
        for app_id, before in deployment.original.items():
            if before is not None:
                changes.append(Change(app_id, copy.deepcopy(before)))
            elif self.state.live(app_id) is not None:
                changes.append(Change(app_id, None))
        return _written(*planning.plan(self.state, changes, force=True))

    # -- the rest -----------------------------------------------------------------------------------

    async def _info(self, request: Request) -> Response:
        return JSONResponse(views.info_json(self.options))

    async def _leader(self, request: Request) -> Response:
        if not self.options.leader:
            raise message(404, "There is no leader")
        return JSONResponse({"leader": LEADER})

    async def _abdicate(self, request: Request) -> Response:
        # Another master takes over at once; to clients nothing changes.
        return JSONResponse({"message": "Leadership abdicated"})

    async def _ping(self, request: Request) -> Response:
        return PlainTextResponse("pong")

    # -- wiring -------------------------------------------------------------------------------------

    def router(self) -> APIRouter:
        router = APIRouter()
        routes: list[tuple[str, list[str], Handler]] = [
            ("/v2/apps", ["GET"], self._list_apps),
            ("/v2/apps", ["POST"], self._create_app),
            ("/v2/apps", ["PUT", "PATCH"], self._update_apps),
            ("/v2/apps/{app_id:path}/restart", ["POST"], self._restart_app),
            ("/v2/apps/{app_id:path}/tasks", ["GET"], self._app_tasks),
            ("/v2/apps/{app_id:path}/versions/{version}", ["GET"], self._app_version),
            ("/v2/apps/{app_id:path}/versions", ["GET"], self._app_versions),
            ("/v2/apps/{app_id:path}", ["GET"], self._get_app),
            ("/v2/apps/{app_id:path}", ["PUT", "PATCH"], self._put_app),
            ("/v2/apps/{app_id:path}", ["DELETE"], self._delete_app),
            ("/v2/deployments", ["GET"], self._list_deployments),
            ("/v2/deployments/{deployment_id}", ["DELETE"], self._delete_deployment),
            ("/v2/info", ["GET"], self._info),
            ("/v2/leader", ["GET"], self._leader),
            ("/v2/leader", ["DELETE"], self._abdicate),
            ("/ping", ["GET"], self._ping),
        ]
        for path, methods, handler in routes:
            router.add_api_route(path, self._endpoint(handler), methods=methods, include_in_schema=False)
        known = list(router.routes)

        async def unmatched(request: Request) -> Response:
            # A path Marathon knows under another method is a 405 in Jersey, anything else a 404.
            scope = {**request.scope, "path": request.url.path.removeprefix(self.prefix)}
            scope.pop("root_path", None)
            if any(route.matches(scope)[0] == Match.PARTIAL for route in known):
                return JSONResponse({"message": "HTTP 405 Method Not Allowed"}, status_code=405)
            return JSONResponse({"message": "URI not found"}, status_code=404)

        router.add_api_route("/{rest:path}", unmatched, methods=_ALL_METHODS, include_in_schema=False)
        return router

    def _endpoint(self, handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            self.state.advance()
            try:
                return await handler(request)
            except MarathonError as error:
                return error.response()

        return endpoint

    # -- persistence --------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return self.state.snapshot()

    def restore(self, data: dict[str, Any]) -> None:
        self.state.restore(data)
