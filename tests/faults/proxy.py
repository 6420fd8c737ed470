"""A fault-injecting HTTP proxy on loopback, in front of a localdcos sandbox.

It forwards every request to the upstream (the sandbox) unless a rule says otherwise. A rule
matches by method and path (a regular expression searched in the path without its query) and
applies `times` requests, or for `seconds` once started, or both; with `after`, it starts only
once another rule has fired. What a rule does:

* `drop`: forward, then close the connection without answering (the write happened, its answer
  is lost);
* `status_after`: forward, then answer `status` instead of the real answer (e.g. a 504 after the
  write was applied);
* `respond`: answer `status`/`body` without forwarding (Admin Router's text `404 Not Found:
  service not found.` during a leader change, 503 pages, a 307 to another origin, a canned plan);
* `delay`: wait `delay` seconds, then forward;
* `watch`: forward normally; only marks the rule as fired (a trigger for `after`).

Every request is recorded (method, path, headers, body), so tests can assert what was sent where.
The same class without upstream is a recording server (`RecordingServer`) that answers 200 `{}`.
Used by the provider-level fault tests and meant for the CLI-level ones: point `dcos:url` at
`proxy.url`.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import urlsplit

SERVICE_NOT_FOUND = b"404 Not Found: service not found."
UNAVAILABLE_PAGE = (
    b"<html>\n<head><title>503 Service Temporarily Unavailable</title></head>\n<body>\n"
    b"<center><h1>503 Service Temporarily Unavailable</h1></center>\n<hr><center>Admin Router</center>\n"
    b"</body>\n</html>\n"
)
GATEWAY_TIMEOUT_PAGE = (
    b"<html>\n<head><title>504 Gateway Time-out</title></head>\n<body>\n"
    b"<center><h1>504 Gateway Time-out</h1></center>\n<hr><center>Admin Router</center>\n</body>\n</html>\n"
)
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-connection"}
)
UPSTREAM_TIMEOUT = 30.0


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    rule: str | None  # the action applied, if any


@dataclass(eq=False)
class Rule:
    action: str
    method: str | None = None
    path: str = ""
    times: int | None = 1
    seconds: float | None = None
    after: Rule | None = None
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hits: int = 0
    first_hit: float | None = None

    # -- constructors --------------------------------------------------------------------------------

    @classmethod
    def drop(cls, method: str, path: str, times: int = 1) -> Rule:
        return cls("drop", method, path, times)

    @classmethod
    def status_after(cls, method: str, path: str, status: int = 504, times: int = 1) -> Rule:
        return cls(
            "status_after",
            method,
            path,
            times,
            status=status,
            body=GATEWAY_TIMEOUT_PAGE,
            content_type="text/html",
        )

    @classmethod
    def respond(
        cls,
        path: str,
        status: int,
        body: bytes | dict[str, Any] | list[Any] = b"",
        *,
        method: str | None = None,
        times: int | None = 1,
        seconds: float | None = None,
        after: Rule | None = None,
        headers: dict[str, str] | None = None,
    ) -> Rule:
        content_type = "text/plain"
        if isinstance(body, dict | list):
            body, content_type = json.dumps(body).encode(), "application/json"
        elif body.lstrip().startswith(b"<html"):
            content_type = "text/html"
        return cls(
            "respond", method, path, times, seconds, after, status, body, content_type, dict(headers or {})
        )

    @classmethod
    def service_not_found(cls, path: str, **window: Any) -> Rule:
        """Admin Router without a resolvable service (a Marathon leader change)."""
        return cls.respond(path, 404, SERVICE_NOT_FOUND, **window)

    @classmethod
    def unavailable(cls, path: str, **window: Any) -> Rule:
        return cls.respond(path, 503, UNAVAILABLE_PAGE, **window)

    @classmethod
    def redirect(cls, path: str, location: str, status: int = 307, **window: Any) -> Rule:
        return cls.respond(path, status, b"", headers={"Location": location}, **window)

    @classmethod
    def slow(cls, method: str | None, path: str, delay: float, times: int | None = 1) -> Rule:
        return cls("delay", method, path, times, delay=delay)

    @classmethod
    def watch(cls, method: str | None, path: str, times: int | None = None) -> Rule:
        return cls("watch", method, path, times)

    # -- matching ------------------------------------------------------------------------------------

    def applies(self, method: str, path: str, now: float) -> bool:
        if self.method is not None and method != self.method:
            return False
        if not re.search(self.path, path):
            return False
        if self.after is not None and self.after.first_hit is None:
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        if self.seconds is not None:
            start = self.after.first_hit if self.after is not None else self.first_hit
            if start is not None and now - start > self.seconds:
                return False
        return True

    def fire(self, now: float) -> None:
        self.hits += 1
        if self.first_hit is None:
            self.first_hit = now


class FaultProxy:
    """`with FaultProxy(sandbox.url) as proxy:` then talk to `proxy.url`."""

    def __init__(self, upstream: str | None) -> None:
        self.upstream = urlsplit(upstream) if upstream else None
        self.rules: list[Rule] = []
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)
        self._thread.start()

    def add(self, *rules: Rule) -> Rule:
        with self._lock:
            self.rules.extend(rules)
        return rules[-1]

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def requests(self, method: str | None = None, path: str = "") -> list[Seen]:
        """What reached the proxy; `path` is searched in the path without its query."""
        with self._lock:
            return [
                s
                for s in self.seen
                if (method is None or s.method == method) and re.search(path, urlsplit(s.path).path)
            ]

    def _match(self, method: str, path: str) -> Rule | None:
        now = time.monotonic()
        with self._lock:
            for rule in self.rules:
                if rule.applies(method, path, now):
                    rule.fire(now)
                    return rule
        return None

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def _forward(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        assert self.upstream is not None
        connection = http.client.HTTPConnection(
            self.upstream.hostname or "127.0.0.1", self.upstream.port or 80, timeout=UPSTREAM_TIMEOUT
        )
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP and k.lower() != "host"}
            sent["Host"] = self.upstream.netloc
            connection.request(method, target, body=body or None, headers=sent)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class RecordingServer(FaultProxy):
    """Another origin that records what reaches it and answers 200 `{}` (a credential trap)."""

    def __init__(self) -> None:
        super().__init__(None)


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: the test output is what matters

        def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in _HOP_BY_HOP and name.lower() not in (
                    "content-length",
                    "date",
                    "server",
                ):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = urlsplit(self.path).path
            rule = proxy._match(self.command, path)
            proxy._record(
                Seen(self.command, self.path, dict(self.headers.items()), body, rule.action if rule else None)
            )
            if proxy.upstream is None:
                self._answer(200, [("Content-Type", "application/json")], b"{}")
                return
            if rule is not None and rule.action == "respond":
                headers = [("Content-Type", rule.content_type), *rule.headers.items()]
                self._answer(rule.status, headers, rule.body)
                return
            if rule is not None and rule.action == "delay":
                time.sleep(rule.delay)
            status, headers, answer = proxy._forward(
                self.command, self.path, dict(self.headers.items()), body
            )
            if rule is not None and rule.action == "drop":
                # The upstream did the work; the client never hears of it.
                self.close_connection = True
                return
            if rule is not None and rule.action == "status_after":
                self._answer(rule.status, [("Content-Type", rule.content_type)], rule.body)
                return
            self._answer(status, headers, answer)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    return Handler
