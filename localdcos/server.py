"""The sandbox core: what sits in front of every service on a real cluster (Admin Router's auth,
paths and error pages), plus what only a sandbox has: the request log, the state file and the
control API under `/_localdcos/`."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field, fields
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import Headers

from localdcos.edgelb import EdgeLB
from localdcos.iam import COOKIE_NAME, IAM, InvalidToken
from localdcos.marathon import Marathon
from localdcos.mesos import Mesos
from localdcos.service import EmulatedService, SandboxExtension, SandboxOptions

log = logging.getLogger("localdcos")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOGIN_PATH = "/acs/api/v1/auth/login"
CA_PATH = "/ca/dcos-ca.crt"
CONTROL_PREFIX = "/_localdcos"
MARATHON_PREFIX = "/service/marathon"
# Admin Router's error pages are nginx pages, never JSON (§1.4).
SERVICE_NOT_FOUND = "404 Not Found: service not found."
CACHE_NOT_READY = "503 Service Unavailable: invalid Mesos state cache"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _nginx_page(status: int, reason: str, text: str) -> str:
    return (
        f"<html>\n<head><title>{status} {reason}</title></head>\n<body>\n"
        f"<center><h1>{status} {reason}</h1></center>\n<p>{text}</p>\n"
        "<hr><center>Admin Router</center>\n</body>\n</html>\n"
    )


_UNAUTHORIZED_PAGE = _nginx_page(
    401,
    "Unauthorized",
    "Authentication is required: log in and send the token as 'Authorization: token=...'.",
)
_FORBIDDEN_PAGE = _nginx_page(403, "Forbidden", "You are not authorized to access this resource.")
_NOT_FOUND_PAGE = _nginx_page(404, "Not Found", "The requested resource could not be found.")


def _options_adapter() -> TypeAdapter[SandboxOptions]:
    return TypeAdapter(SandboxOptions)


@dataclass
class Core:
    """Everything the Admin Router layer and the control API act on."""

    options: SandboxOptions
    iam: IAM
    services: list[EmulatedService]
    ca_pem: bytes = b""
    state_file: Path | None = None
    request_log: list[dict[str, Any]] = field(default_factory=list)
    # Parts next to the services (emulated Marathon-LB, --haproxy); see SandboxExtension.
    extensions: list[SandboxExtension] = field(default_factory=list)
    # One lock around all service state: requests to services, their persistence and the control
    # API run one at a time, so a snapshot never sees a half-done write.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def mounted_prefixes(self) -> list[str]:
        """Every path prefix something answers under; elsewhere Admin Router's nginx has no location."""
        prefixes = [CA_PATH, CONTROL_PREFIX, *(e.prefix for e in self.extensions)]
        for service in self.services:
            for attr in ("prefix", "control_prefix", "scheduler_prefix"):
                prefix = getattr(service, attr, None)
                if isinstance(prefix, str):
                    prefixes.append(prefix)
        return prefixes

    def service_roots(self) -> set[str]:
        """`/service/<name>` for every mounted service (what Admin Router can resolve)."""
        roots = set()
        for service in self.services:
            for attr in ("prefix", "scheduler_prefix"):
                prefix = getattr(service, attr, None)
                if isinstance(prefix, str) and prefix.startswith("/service/"):
                    roots.add("/".join(prefix.split("/")[:3]))
        return roots

    def is_extension_path(self, path: str) -> bool:
        return any(path == e.prefix or path.startswith(e.prefix + "/") for e in self.extensions)

    async def observe(self) -> None:
        """Let the extensions look at the services; call with `lock` held."""
        for extension in self.extensions:
            try:
                await extension.observe()
            except Exception:  # an observer's bug must not fail the request that triggered it
                log.exception("%s: observe failed", type(extension).__name__)

    def persist(self) -> None:
        if self.state_file is None:
            return
        data = {service.name: service.snapshot() for service in self.services}
        tmp = self.state_file.with_name(self.state_file.name + ".tmp")
        tmp.write_text(json.dumps(data, sort_keys=True))
        # It holds the IAM signing key and passwords.
        tmp.chmod(0o600)
        os.replace(tmp, self.state_file)

    def load(self) -> None:
        if self.state_file is None or not self.state_file.exists():
            return
        text = self.state_file.read_text()
        if not text.strip():
            return
        data = json.loads(text)
        for service in self.services:
            if isinstance(data.get(service.name), dict):
                service.restore(data[service.name])


def make_services(options: SandboxOptions) -> tuple[IAM, list[EmulatedService]]:
    iam = IAM(options)
    mesos = Mesos(options)
    services: list[EmulatedService] = [iam, Marathon(options), mesos, EdgeLB(options, mesos)]
    return iam, services


# -- Admin Router ------------------------------------------------------------------------------------


def _presented_token(headers: Headers) -> str | None:
    """The token as Admin Router finds it: `token=`/`Bearer` header, else the cookie (§4)."""
    authorization = headers.get("authorization")
    if authorization is not None:
        if authorization.startswith("token="):
            return authorization.removeprefix("token=").strip()
        if authorization[:7].lower() == "bearer ":
            return authorization[7:].strip()
        return None
    raw_cookie = headers.get("cookie")
    if not raw_cookie:
        return None
    try:
        cookie: SimpleCookie = SimpleCookie(raw_cookie)
    except CookieError:
        return None
    morsel = cookie.get(COOKIE_NAME)
    return morsel.value if morsel is not None else None


class AdminRouter:
    """ASGI middleware emulating Admin Router in front of the services, and the request log."""

    def __init__(self, app: ASGIApp, core: Core) -> None:
        self.app = app
        self.core = core

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"]
        query = scope.get("query_string", b"").decode("latin-1")
        control = path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")
        status = 500
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            messages.append(message)

        try:
            early, scope = self._gate(scope, path, query)
            if early is not None:
                await early(scope, receive, capture)
            elif path.startswith(CONTROL_PREFIX + "/requests"):
                # Readable while a slow service request holds the lock.
                await self.app(scope, receive, capture)
            else:
                # Responses are held back until the state file is written: a client that sees the
                # answer may kill the sandbox and still find its write after a restart.
                async with self.core.lock:
                    # Extensions see the state each request starts from and each write leaves.
                    await self.core.observe()
                    await self.app(scope, receive, capture)
                    if method not in _SAFE_METHODS:
                        self._persist()
                        await self.core.observe()
        finally:
            # The sandbox's own control API is not DC/OS traffic; only the latter is logged.
            if not control:
                self.core.request_log.append(
                    {"method": method, "path": path, "query": query, "status": status}
                )
        for message in messages:
            await send(message)

    def _persist(self) -> None:
        try:
            self.core.persist()
        except OSError as exc:
            log.error("could not write the state file: %s", exc)

    def _gate(self, scope: Scope, path: str, query: str) -> tuple[Response | None, Scope]:
        """Admin Router's own answers (redirects, auth, unresolvable services), or None to proxy."""
        suffix = f"?{query}" if query else ""
        if path == "/marathon":
            return RedirectResponse("/marathon/" + suffix, status_code=307), scope
        if path.startswith("/marathon/"):
            # Deprecated alias, rewritten internally (§1.1).
            path = "/service" + path
            scope = {**scope, "path": path, "raw_path": path.encode()}
        roots = self.core.service_roots()
        if path in roots:
            return RedirectResponse(path + "/" + suffix, status_code=301), scope
        if not path.startswith("/service/") and not any(
            path == p or path.startswith(p.rstrip("/") + "/") for p in self.core.mounted_prefixes()
        ):
            return HTMLResponse(_NOT_FOUND_PAGE, status_code=404), scope

        exempt = (
            path in (LOGIN_PATH, CA_PATH)
            or path.startswith(CONTROL_PREFIX + "/")
            or path == CONTROL_PREFIX
            or self.core.is_extension_path(path)
        )
        if not exempt and self.core.options.auth == "token":
            denied = self._authorize(Headers(scope=scope))
            if denied is not None:
                return denied, scope

        if path.startswith("/service/") and "/".join(path.split("/")[:3]) not in roots:
            return PlainTextResponse(SERVICE_NOT_FOUND, status_code=404), scope
        if path.startswith(MARATHON_PREFIX + "/"):
            if self.core.options.marathon_unavailable:
                return PlainTextResponse(CACHE_NOT_READY, status_code=503), scope
            # Without a leader Mesos lists no Marathon, so Admin Router cannot resolve it; only
            # /v2/leader is let through to show Marathon's own "no leader" answer.
            if not self.core.options.leader and path != MARATHON_PREFIX + "/v2/leader":
                return PlainTextResponse(SERVICE_NOT_FOUND, status_code=404), scope
        return None, scope

    def _authorize(self, headers: Headers) -> Response | None:
        token = _presented_token(headers)
        challenge = {"WWW-Authenticate": "acsjwt"}
        if not token:
            return HTMLResponse(_UNAUTHORIZED_PAGE, status_code=401, headers=challenge)
        try:
            uid = self.core.iam.verify(token)
        except InvalidToken:
            return HTMLResponse(_UNAUTHORIZED_PAGE, status_code=401, headers=challenge)
        if not self.core.iam.has_permission(uid):
            return HTMLResponse(_FORBIDDEN_PAGE, status_code=403)
        return None


# -- control API ---------------------------------------------------------------------------------------


def _control_router(core: Core) -> APIRouter:
    router = APIRouter()
    option_names = {f.name for f in fields(SandboxOptions)}

    @router.get("/control")
    async def get_control() -> dict[str, Any]:
        return asdict(core.options)

    @router.patch("/control")
    async def patch_control(request: Request) -> Response:
        try:
            patch = json.loads(await request.body() or b"{}")
        except ValueError:
            return JSONResponse({"message": "body must be a JSON object"}, status_code=400)
        if not isinstance(patch, dict):
            return JSONResponse({"message": "body must be a JSON object"}, status_code=400)
        unknown = sorted(set(patch) - option_names)
        if unknown:
            return JSONResponse({"message": f"unknown option(s): {', '.join(unknown)}"}, status_code=400)
        try:
            merged = _options_adapter().validate_python({**asdict(core.options), **patch})
        except ValidationError as exc:
            return JSONResponse({"message": "invalid option value", "details": exc.errors()}, status_code=400)
        # Services hold this very object: update it in place.
        for name in patch:
            setattr(core.options, name, getattr(merged, name))
        return JSONResponse(asdict(core.options))

    @router.get("/requests")
    async def get_requests() -> list[dict[str, Any]]:
        return list(core.request_log)

    @router.delete("/requests")
    async def clear_requests() -> Response:
        core.request_log.clear()
        return Response(status_code=204)

    @router.post("/tokens/expire")
    async def expire_tokens() -> Response:
        core.iam.revoke_all()
        return Response(status_code=204)

    @router.post("/tokens")
    async def issue_token(request: Request) -> Response:
        """A token for any known uid without its credentials (e.g. for a no-permission user)."""
        try:
            body = json.loads(await request.body())
            uid = str(body["uid"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"message": 'body must be {"uid": "..."}'}, status_code=400)
        if uid not in {i.uid for i in core.iam.identities()}:
            return JSONResponse({"message": f"unknown uid {uid}"}, status_code=404)
        return JSONResponse({"token": core.iam.issue_token(uid)})

    @router.get("/identities")
    async def list_identities() -> list[dict[str, Any]]:
        return [{"uid": i.uid, "kind": i.kind, "permission": i.permission} for i in core.iam.identities()]

    @router.put("/users/{uid}")
    async def put_user(uid: str, request: Request) -> Response:
        body = await _json_object(request)
        if body is None or not isinstance(body.get("password"), str):
            return JSONResponse({"message": 'body must be {"password": "...", "permission": true}'}, 400)
        core.iam.add_user(uid, body["password"], permission=bool(body.get("permission", True)))
        return Response(status_code=204)

    @router.put("/service-accounts/{uid}")
    async def put_service_account(uid: str, request: Request) -> Response:
        body = await _json_object(request)
        if body is None or not isinstance(body.get("public_key"), str):
            return JSONResponse({"message": 'body must be {"public_key": "<PEM>", "permission": true}'}, 400)
        try:
            core.iam.add_service_account(
                uid, body["public_key"], permission=bool(body.get("permission", True))
            )
        except ValueError as exc:
            return JSONResponse({"message": str(exc)}, status_code=400)
        return Response(status_code=204)

    @router.delete("/identities/{uid}")
    async def delete_identity(uid: str) -> Response:
        return Response(status_code=204 if core.iam.remove(uid) else 404)

    @router.get("/state")
    async def state() -> dict[str, Any]:
        return {service.name: service.snapshot() for service in core.services}

    return router


async def _json_object(request: Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.body())
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


# -- assembly ------------------------------------------------------------------------------------------


def create_app(
    core: Core, on_started: Callable[[], None] | None = None, on_stopped: Callable[[], None] | None = None
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for extension in core.extensions:
            extension.start()
        poller = asyncio.create_task(_observe_periodically(core)) if core.extensions else None
        try:
            if on_started is not None:
                on_started()
            yield
        finally:
            if poller is not None:
                poller.cancel()
            for extension in reversed(core.extensions):
                await asyncio.to_thread(extension.stop)
            if on_stopped is not None:
                await asyncio.to_thread(on_stopped)

    app = FastAPI(
        title="localdcos",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
        redirect_slashes=False,
    )

    @app.get(CA_PATH)
    async def ca_certificate() -> Response:
        return Response(core.ca_pem, media_type="application/x-x509-ca-cert")

    app.include_router(_control_router(core), prefix=CONTROL_PREFIX)
    for extension in core.extensions:
        app.include_router(extension.router(), prefix=extension.prefix)
    for service in core.services:
        app.include_router(service.router(), prefix=service.prefix)
        # Optional extra routers a service may offer, each with its own mount point.
        for router_attr, prefix_attr in (
            ("control_router", "control_prefix"),
            ("scheduler_router", "scheduler_prefix"),
        ):
            make_router = getattr(service, router_attr, None)
            prefix = getattr(service, prefix_attr, None)
            if callable(make_router) and isinstance(prefix, str):
                app.include_router(make_router(), prefix=prefix)
    app.add_middleware(AdminRouter, core=core)
    return app


async def _observe_periodically(core: Core) -> None:
    """Extensions also look without requests: Marathon's deployments move on by themselves."""
    while True:
        await asyncio.sleep(max(0.05, core.options.haproxy_poll_seconds))
        async with core.lock:
            await core.observe()


def print_ready(url: str) -> Callable[[], None]:
    def announce() -> None:
        print(f"localdcos listening on {url}", flush=True)
        sys.stdout.flush()

    return announce
