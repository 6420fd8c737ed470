"""Admin Router in front of the services (spec §1.1, §1.4): its redirects and path rewrites, its
nginx answers for what it cannot resolve, authentication (localdcos.iam), and what only a sandbox
adds: the request log and holding answers back until the state file is written.

With `--auth token` the sandbox's own control API (`/_localdcos/...`) needs an admin token too, as
checked for DC/OS routes: it hands out the IAM signing key and can rewrite every identity.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import Response
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse
from starlette.datastructures import Headers

from localdcos.core.state import CONTROL_PREFIX, SERVICE_SCOPE_KEY, Core, is_control_path
from localdcos.iam import authorize, nginx_page

log = logging.getLogger("localdcos")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MARATHON_PREFIX = "/service/marathon"
SERVICE_NOT_FOUND = "404 Not Found: service not found."
CACHE_NOT_READY = "503 Service Unavailable: invalid Mesos state cache"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_NOT_FOUND_PAGE = nginx_page(404, "Not Found", "The requested resource could not be found.")
# nginx's location for a one-segment service path without its trailing slash (a 301 adds it).
_SERVICE_WITHOUT_SLASH = re.compile(r"/service/[0-9a-zA-Z.-]+")
# Other exact locations whose only job is a 301 adding the slash.
_SLASH_REDIRECTS = frozenset({"/mesos", "/mesos_dns"})


class AdminRouter:
    """ASGI middleware emulating Admin Router in front of the services, and the request log."""

    def __init__(self, app: ASGIApp, core: Core) -> None:
        self.app = app
        self.core = core

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.time()
        path: str = scope["path"]
        method: str = scope["method"]
        query = scope.get("query_string", b"").decode("latin-1")
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
            # The sandbox's own control API is not DC/OS traffic; only the latter is logged. Wall
            # clock seconds, like the finish times the control API reports (a benchmark subtracts them).
            if not is_control_path(path):
                self.core.request_log.append(
                    {
                        "method": method,
                        "path": path,
                        "query": query,
                        "status": status,
                        "start": started,
                        "end": time.time(),
                    }
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
        if _SERVICE_WITHOUT_SLASH.fullmatch(path) or path in _SLASH_REDIRECTS:
            return RedirectResponse(path + "/" + suffix, status_code=301), scope
        if not path.startswith("/service/") and not any(
            path == p or path.startswith(p.rstrip("/") + "/") for p in self.core.mounted_prefixes()
        ):
            return HTMLResponse(_NOT_FOUND_PAGE, status_code=404), scope

        if self.core.options.auth == "token" and not self.core.is_public_path(path):
            denied = authorize(self.core.iam, Headers(scope=scope))
            if denied is not None:
                return denied, scope

        if path.startswith("/service/"):
            resolved = self.core.resolve_service(path)
            if resolved is None:
                return PlainTextResponse(SERVICE_NOT_FOUND, status_code=404), scope
            scope = {**scope, SERVICE_SCOPE_KEY: resolved}
        if path.startswith(MARATHON_PREFIX + "/"):
            if self.core.options.marathon_unavailable:
                return PlainTextResponse(CACHE_NOT_READY, status_code=503), scope
            # Without a leader Mesos lists no Marathon, so Admin Router cannot resolve it; only
            # /v2/leader is let through to show Marathon's own "no leader" answer.
            if not self.core.options.leader and path != MARATHON_PREFIX + "/v2/leader":
                return PlainTextResponse(SERVICE_NOT_FOUND, status_code=404), scope
        return None, scope
