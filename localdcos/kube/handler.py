"""The fake apiserver's HTTP side: a threading server that does each connection's TLS handshake in
that connection's own thread, and the handler that answers kubectl (HTTP/1.1 only)."""

from __future__ import annotations

import json
import select
import socket
import socketserver
import ssl
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from localdcos.kube.resources import (
    JSON,
    NAMESPACES,
    Wanted,
    core_resources,
    discovery,
    negotiate,
    status,
    truthy,
    version_json,
)

if TYPE_CHECKING:
    from localdcos.kube.apiserver import FakeApiServer


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    target: str  # path and query as sent
    authorization: bool  # an Authorization header was present (its value is not kept)
    accept: str


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # stop() bounds its own wait for connection threads instead of joining them forever.
    block_on_close = False
    allow_reuse_address = True
    # The sandbox's HAProxy binds *:port too; Linux hands connections to the more specific bind.
    allow_reuse_port = True

    def __init__(self, owner: FakeApiServer, address: tuple[str, int]) -> None:
        self.owner = owner
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the FQDN of the bind address: a DNS round trip for nothing.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # Runs in the connection's own thread, so a slow handshake blocks nobody else.
        conn = self.owner.wrap(request)
        if conn is None:
            return
        try:
            Handler(conn, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            self.owner.release(conn)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away mid-request is normal here


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "localdcos-kube-apiserver"
    sys_version = ""
    server: Server
    connection: ssl.SSLSocket

    def log_message(self, format: str, *args: Any) -> None:
        pass  # requests are recorded in memory instead

    @property
    def owner(self) -> FakeApiServer:
        return self.server.owner

    # -- plumbing

    def _send(self, code: int, body: bytes, content_type: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, payload: dict[str, Any], code: int = 200, content_type: str = JSON) -> None:
        self._send(code, json.dumps(payload, separators=(",", ":")).encode(), content_type)

    def _not_found(self, details: dict[str, Any] | None = None, message: str | None = None) -> None:
        text = message or "the server could not find the requested resource"
        self._json(status(404, "NotFound", text, details), 404)

    def _drain_body(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True  # not worth decoding chunked bodies nobody should send

    # -- dispatch

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def _other(self) -> None:
        self._drain_body()
        self._record()
        self._not_found()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _other

    def _record(self) -> None:
        self.owner.record(
            RequestRecord(
                method=self.command,
                path=urlsplit(self.path).path,
                target=self.path,
                authorization="Authorization" in self.headers,
                accept=self.headers.get("Accept", ""),
            )
        )

    def _handle(self) -> None:
        self._record()
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        query = parse_qs(parts.query)
        wanted = negotiate(self.headers.get("Accept", ""))
        owner = self.owner
        if not owner.aggregated_discovery:
            wanted = Wanted(table_version=wanted.table_version)

        if path == "/version":
            self._json(version_json())
        elif path in ("/healthz", "/livez", "/readyz"):
            self._send(200, b"ok", "text/plain; charset=utf-8")
        elif path == "/api":
            if wanted.discovery_version:
                self._json(discovery(wanted.discovery_version, core=True), content_type=wanted.media_type)
            else:
                self._json(
                    {
                        "kind": "APIVersions",
                        "versions": ["v1"],
                        "serverAddressByClientCIDRs": [
                            {"clientCIDR": "0.0.0.0/0", "serverAddress": owner.address}
                        ],
                    }
                )
        elif path == "/apis":
            if wanted.discovery_version:
                self._json(discovery(wanted.discovery_version, core=False), content_type=wanted.media_type)
            else:
                self._json({"kind": "APIGroupList", "apiVersion": "v1", "groups": []})
        elif path == "/api/v1":
            self._json({"kind": "APIResourceList", "groupVersion": "v1", "resources": core_resources()})
        elif (path == "/api/v1/namespaces" and truthy(query, "watch")) or path == "/api/v1/watch/namespaces":
            self._watch(wanted, query)
        elif path == "/api/v1/namespaces":
            self._list(wanted, query)
        elif path.startswith("/api/v1/namespaces/") and path.count("/") == 4:
            self._get(path.rsplit("/", 1)[1], wanted, query)
        else:
            self._not_found()

    # -- namespaces

    def _include(self, query: dict[str, list[str]]) -> str:
        return query.get("includeObject", ["Metadata"])[-1]

    def _list(self, wanted: Wanted, query: dict[str, list[str]]) -> None:
        owner = self.owner
        version = owner.namespaces.list_version()
        items = [owner.namespaces.get(n) for n in NAMESPACES]
        if wanted.table_version:
            self._json(owner.namespaces.table(items, wanted.table_version, self._include(query), version))
            return
        for item in items:  # list items carry no kind/apiVersion, as from the real apiserver
            del item["kind"], item["apiVersion"]
        self._json(
            {
                "kind": "NamespaceList",
                "apiVersion": "v1",
                "metadata": {"resourceVersion": version},
                "items": items,
            }
        )

    def _get(self, name: str, wanted: Wanted, query: dict[str, list[str]]) -> None:
        owner = self.owner
        if name not in NAMESPACES:
            self._not_found({"name": name, "kind": "namespaces"}, f'namespaces "{name}" not found')
            return
        ns = owner.namespaces.get(name)
        if wanted.table_version:
            version = ns["metadata"]["resourceVersion"]
            self._json(owner.namespaces.table([ns], wanted.table_version, self._include(query), version))
        else:
            self._json(ns)

    def _watch(self, wanted: Wanted, query: dict[str, list[str]]) -> None:
        owner = self.owner
        timeout = query.get("timeoutSeconds", [""])[-1]
        # kube-apiserver treats a missing or zero timeoutSeconds as "its own default"; ours is none.
        deadline = time.monotonic() + int(timeout) if timeout.isdigit() and int(timeout) else None
        self.send_response(200)
        self.send_header("Content-Type", JSON)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.flush()  # headers now, as kube-apiserver does: the client sees the watch open
        if self.command == "HEAD":
            return
        # The stream ends with the connection whichever way the watch ends.
        self.close_connection = True
        with owner.watching():
            event_at = time.monotonic() + owner.watch_idle_seconds
            if not self._idle_until(event_at if deadline is None else min(event_at, deadline)):
                return
            if deadline is not None and time.monotonic() >= deadline:
                self._chunk(b"")
                return
            ns = owner.namespaces.touch("default")
            obj: dict[str, Any] = ns
            if wanted.table_version:
                rv = ns["metadata"]["resourceVersion"]
                obj = owner.namespaces.table([ns], wanted.table_version, self._include(query), rv)
            line = json.dumps({"type": "MODIFIED", "object": obj}, separators=(",", ":")) + "\n"
            if not self._chunk(line.encode()):
                return
            if self._idle_until(deadline):
                self._chunk(b"")

    def _chunk(self, data: bytes) -> bool:
        """Write one chunk (empty: the terminating one); False if the client is gone."""
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        except (OSError, ssl.SSLError):
            return False
        return True

    def _idle_until(self, deadline: float | None) -> bool:
        """Wait, sending nothing, until `deadline`; False if the client left or the server stops."""
        stopping = self.owner.stopping
        while not stopping.is_set():
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return True
            # A client does not talk while its watch is streaming: readable means EOF or reset.
            # The short cap keeps stop() prompt even if its socket shutdown raced with us.
            readable, _, _ = select.select([self.connection], [], [], min(0.5, left) if left else 0.5)
            if readable:
                return False
        return False
