"""A fake kube-apiserver behind each emulated cluster's `apiserver` task.

Just enough of the Kubernetes API for real `kubectl` (through the sandbox's real HAProxy) to run
`kubectl version`, `kubectl get namespaces` and an idle `kubectl get namespaces --watch`: version,
health, discovery (aggregated v2/v2beta1 and legacy), the three built-in namespaces as JSON or as a
server-side `meta.k8s.io` Table, and one watch stream shape — idle for `watch_idle_seconds`, one
MODIFIED event for `default`, idle again until the client or the server goes. That shape is what a
load balancer's idle timeouts (HAProxy `timeout client`/`timeout server`/`timeout tunnel`) bite on.

TLS only, HTTP/1.1 only, any or no bearer token. Threaded: one thread per connection, the TLS
handshake included, so a stalled client never holds up the others.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import select
import socket
import socketserver
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from localdcos.pki import Authority, SigningAuthority, new_authority, server_certificate

__all__ = [
    "Authority",
    "FakeApiServer",
    "RequestRecord",
    "SigningAuthority",
    "apiserver_certificate",
    "apiserver_hostnames",
    "new_authority",
]

GIT_VERSION = "v1.32.0-localdcos"
_JSON = "application/json"
_DISCOVERY_GROUP = "apidiscovery.k8s.io"
_DISCOVERY_VERSIONS = ("v2", "v2beta1")
_TABLE_VERSIONS = ("v1", "v1beta1")
_NAMESPACES = ("default", "kube-public", "kube-system")
_HANDSHAKE_TIMEOUT = 10.0
# Long enough for any kubectl keep-alive reuse; bounds the threads half-open clients can pin.
_IDLE_CONNECTION_TIMEOUT = 300.0
_STOP_GRACE = 2.0


# --- certificates -------------------------------------------------------------------------------


def apiserver_hostnames(cluster_name: str) -> list[str]:
    """The DNS SANs a cluster's apiserver certificate carries: its L4LB VIP name and localhost."""
    return [f"apiserver.{cluster_name.replace('/', '')}.l4lb.thisdcos.directory", "localhost"]


def apiserver_certificate(ca: SigningAuthority, hostnames: list[str], ips: list[str]) -> tuple[bytes, bytes]:
    """A server certificate signed by `ca` with these SANs: `(cert_pem, key_pem)`."""
    return server_certificate(
        ca, [*hostnames, *ips], common_name=hostnames[0] if hostnames else "kube-apiserver"
    )


# --- Kubernetes objects ---------------------------------------------------------------------------


def _timestamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _age(since: datetime.datetime, now: datetime.datetime) -> str:
    """kubectl's short AGE style (a simplified `duration.HumanDuration`)."""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h{minutes % 60}m" if hours < 8 and minutes % 60 else f"{hours}h"
    return f"{hours // 24}d"


_NAMESPACE_COLUMNS = [
    {
        "name": "Name",
        "type": "string",
        "format": "name",
        "description": "Name must be unique within a namespace.",
        "priority": 0,
    },
    {
        "name": "Status",
        "type": "string",
        "format": "",
        "description": "The status of the namespace",
        "priority": 0,
    },
    {
        "name": "Age",
        "type": "string",
        "format": "",
        "description": "CreationTimestamp is a timestamp representing the server time when this object was created.",
        "priority": 0,
    },
]

_NAMESPACE_VERBS = ["get", "list", "watch"]


def _status(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": details or {},
        "code": code,
    }


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    target: str  # path and query as sent
    authorization: bool  # an Authorization header was present (its value is not kept)
    accept: str


@dataclass(frozen=True)
class _Wanted:
    """What the client's Accept header asked for, first acceptable media type wins."""

    table_version: str | None = None
    discovery_version: str | None = None
    media_type: str = _JSON


def _negotiate(accept: str) -> _Wanted:
    for raw in accept.split(","):
        base, *params = (part.strip() for part in raw.split(";"))
        options = dict(p.split("=", 1) for p in params if "=" in p)
        if base not in (_JSON, "*/*", "application/*"):
            continue
        kind, group, version = options.get("as"), options.get("g"), options.get("v")
        if kind is None:
            return _Wanted()
        if kind == "Table" and group == "meta.k8s.io" and version in _TABLE_VERSIONS:
            return _Wanted(table_version=version)
        if kind == "APIGroupDiscoveryList" and group == _DISCOVERY_GROUP and version in _DISCOVERY_VERSIONS:
            media = f"{_JSON};g={_DISCOVERY_GROUP};v={version};as=APIGroupDiscoveryList"
            return _Wanted(discovery_version=version, media_type=media)
    return _Wanted()


def _truthy(query: dict[str, list[str]], name: str) -> bool:
    return query.get(name, [""])[-1].lower() in ("1", "true")


# --- the server ---------------------------------------------------------------------------------


class FakeApiServer:
    """A TLS kube-apiserver look-alike on `host:port` (port 0 picks a free one; see `url`)."""

    def __init__(
        self,
        host: str,
        port: int,
        cert_file: Path,
        key_file: Path,
        *,
        cluster_name: str,
        watch_idle_seconds: float = 60.0,
        aggregated_discovery: bool = True,
    ) -> None:
        self.host = host
        self.port = port
        self.cluster_name = cluster_name
        self.watch_idle_seconds = watch_idle_seconds
        # False answers aggregated-discovery requests with the legacy shapes, as pre-1.26 servers do.
        self.aggregated_discovery = aggregated_discovery
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(cert_file, key_file)
        # kubectl offers h2 first; everything here (and HAProxy in tcp mode) speaks HTTP/1.1.
        self._context.set_alpn_protocols(["http/1.1"])
        self._lock = threading.Lock()
        self._drained = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._records: list[RequestRecord] = []
        self._connections: set[ssl.SSLSocket] = set()
        self._open_watches = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._created = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        self._resource_version = 100
        self._versions = dict.fromkeys(_NAMESPACES, self._resource_version)

    # -- lifecycle

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("already started")
        self._stopping.clear()
        self._server = _Server(self, (self.host, self.port))
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"fake-apiserver-{self.cluster_name}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Close the listener and every connection, watches included; waits at most ~2 s."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            # The plain-socket shutdown wakes a thread blocked reading or selecting on it, without
            # touching the TLS state that thread owns.
            with suppress(OSError):
                socket.socket.shutdown(conn, socket.SHUT_RDWR)
        deadline = time.monotonic() + _STOP_GRACE
        with self._drained:
            while self._connections and (left := deadline - time.monotonic()) > 0:
                self._drained.wait(left)
        if self._thread is not None:
            self._thread.join(_STOP_GRACE)
            self._thread = None

    def __enter__(self) -> FakeApiServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host = self.host
        try:
            if ipaddress.ip_address(host).version == 6:
                host = f"[{host}]"
        except ValueError:
            pass
        return f"https://{host}:{self.port}"

    # -- observations for tests

    @property
    def requests(self) -> list[tuple[str, str]]:
        with self._lock:
            return [(r.method, r.path) for r in self._records]

    @property
    def request_records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    @property
    def open_watches(self) -> int:
        with self._lock:
            return self._open_watches

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._connections)

    # -- connection bookkeeping (called from connection threads)

    def _wrap(self, raw: socket.socket) -> ssl.SSLSocket | None:
        raw.settimeout(_HANDSHAKE_TIMEOUT)
        try:
            conn = self._context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            # Load balancer TCP health checks connect and hang up without a handshake.
            return None
        conn.settimeout(_IDLE_CONNECTION_TIMEOUT)
        with self._lock:
            if self._stopping.is_set():
                conn.close()
                return None
            self._connections.add(conn)
        return conn

    def _release(self, conn: ssl.SSLSocket) -> None:
        try:
            conn.close()
        finally:
            with self._drained:
                self._connections.discard(conn)
                self._drained.notify_all()

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    @contextmanager
    def _watching(self) -> Iterator[None]:
        with self._lock:
            self._open_watches += 1
        try:
            yield
        finally:
            with self._lock:
                self._open_watches -= 1

    # -- resources

    def _server_address(self) -> str:
        return f"{self.host}:{self.port}"

    def _namespace(self, name: str) -> dict[str, Any]:
        with self._lock:
            version = self._versions[name]
        return {
            "kind": "Namespace",
            "apiVersion": "v1",
            "metadata": {
                "name": name,
                "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"localdcos:{self.cluster_name}:namespace:{name}")),
                "resourceVersion": str(version),
                "creationTimestamp": _timestamp(self._created),
                "labels": {"kubernetes.io/metadata.name": name},
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }

    def _touch(self, name: str) -> dict[str, Any]:
        with self._lock:
            self._resource_version += 1
            self._versions[name] = self._resource_version
        return self._namespace(name)

    def _list_version(self) -> str:
        with self._lock:
            return str(self._resource_version)

    def _table(
        self, namespaces: list[dict[str, Any]], version: str, include: str, resource_version: str
    ) -> dict[str, Any]:
        now = datetime.datetime.now(datetime.UTC)
        rows = []
        for ns in namespaces:
            row: dict[str, Any] = {
                "cells": [ns["metadata"]["name"], ns["status"]["phase"], _age(self._created, now)]
            }
            if include == "Object":
                row["object"] = ns
            elif include != "None":
                row["object"] = {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": f"meta.k8s.io/{version}",
                    "metadata": ns["metadata"],
                }
            rows.append(row)
        return {
            "kind": "Table",
            "apiVersion": f"meta.k8s.io/{version}",
            "metadata": {"resourceVersion": resource_version},
            "columnDefinitions": _NAMESPACE_COLUMNS,
            "rows": rows,
        }

    def _core_resources(self) -> list[dict[str, Any]]:
        return [
            {
                "name": "namespaces",
                "singularName": "namespace",
                "namespaced": False,
                "kind": "Namespace",
                "verbs": _NAMESPACE_VERBS,
                "shortNames": ["ns"],
            }
        ]

    def _discovery(self, version: str, core: bool) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        if core:
            items.append(
                {
                    "metadata": {"creationTimestamp": None},
                    "versions": [
                        {
                            "version": "v1",
                            "resources": [
                                {
                                    "resource": "namespaces",
                                    "responseKind": {"group": "", "version": "v1", "kind": "Namespace"},
                                    "scope": "Cluster",
                                    "singularResource": "namespace",
                                    "verbs": _NAMESPACE_VERBS,
                                    "shortNames": ["ns"],
                                }
                            ],
                            "freshness": "Current",
                        }
                    ],
                }
            )
        return {
            "kind": "APIGroupDiscoveryList",
            "apiVersion": f"{_DISCOVERY_GROUP}/{version}",
            "metadata": {},
            "items": items,
        }


class _Server(ThreadingHTTPServer):
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
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the FQDN of the bind address: a DNS round trip for nothing.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # Runs in the connection's own thread, so a slow handshake blocks nobody else.
        conn = self.owner._wrap(request)
        if conn is None:
            return
        try:
            _Handler(conn, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            self.owner._release(conn)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away mid-request is normal here


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "localdcos-kube-apiserver"
    sys_version = ""
    server: _Server
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

    def _json(self, payload: dict[str, Any], code: int = 200, content_type: str = _JSON) -> None:
        self._send(code, json.dumps(payload, separators=(",", ":")).encode(), content_type)

    def _not_found(self, details: dict[str, Any] | None = None, message: str | None = None) -> None:
        text = message or "the server could not find the requested resource"
        self._json(_status(404, "NotFound", text, details), 404)

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
        self.owner._record(
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
        wanted = _negotiate(self.headers.get("Accept", ""))
        owner = self.owner
        if not owner.aggregated_discovery:
            wanted = _Wanted(table_version=wanted.table_version)

        if path == "/version":
            self._json(_version())
        elif path in ("/healthz", "/livez", "/readyz"):
            self._send(200, b"ok", "text/plain; charset=utf-8")
        elif path == "/api":
            if wanted.discovery_version:
                self._json(
                    owner._discovery(wanted.discovery_version, core=True), content_type=wanted.media_type
                )
            else:
                self._json(
                    {
                        "kind": "APIVersions",
                        "versions": ["v1"],
                        "serverAddressByClientCIDRs": [
                            {"clientCIDR": "0.0.0.0/0", "serverAddress": owner._server_address()}
                        ],
                    }
                )
        elif path == "/apis":
            if wanted.discovery_version:
                self._json(
                    owner._discovery(wanted.discovery_version, core=False), content_type=wanted.media_type
                )
            else:
                self._json({"kind": "APIGroupList", "apiVersion": "v1", "groups": []})
        elif path == "/api/v1":
            self._json(
                {"kind": "APIResourceList", "groupVersion": "v1", "resources": owner._core_resources()}
            )
        elif (path == "/api/v1/namespaces" and _truthy(query, "watch")) or path == "/api/v1/watch/namespaces":
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

    def _list(self, wanted: _Wanted, query: dict[str, list[str]]) -> None:
        owner = self.owner
        version = owner._list_version()
        items = [owner._namespace(n) for n in _NAMESPACES]
        if wanted.table_version:
            self._json(owner._table(items, wanted.table_version, self._include(query), version))
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

    def _get(self, name: str, wanted: _Wanted, query: dict[str, list[str]]) -> None:
        owner = self.owner
        if name not in _NAMESPACES:
            self._not_found({"name": name, "kind": "namespaces"}, f'namespaces "{name}" not found')
            return
        ns = owner._namespace(name)
        if wanted.table_version:
            version = ns["metadata"]["resourceVersion"]
            self._json(owner._table([ns], wanted.table_version, self._include(query), version))
        else:
            self._json(ns)

    def _watch(self, wanted: _Wanted, query: dict[str, list[str]]) -> None:
        owner = self.owner
        timeout = query.get("timeoutSeconds", [""])[-1]
        # kube-apiserver treats a missing or zero timeoutSeconds as "its own default"; ours is none.
        deadline = time.monotonic() + int(timeout) if timeout.isdigit() and int(timeout) else None
        self.send_response(200)
        self.send_header("Content-Type", _JSON)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.flush()  # headers now, as kube-apiserver does: the client sees the watch open
        if self.command == "HEAD":
            return
        # The stream ends with the connection whichever way the watch ends.
        self.close_connection = True
        with owner._watching():
            event_at = time.monotonic() + owner.watch_idle_seconds
            if not self._idle_until(event_at if deadline is None else min(event_at, deadline)):
                return
            if deadline is not None and time.monotonic() >= deadline:
                self._chunk(b"")
                return
            ns = owner._touch("default")
            obj: dict[str, Any] = ns
            if wanted.table_version:
                rv = ns["metadata"]["resourceVersion"]
                obj = owner._table([ns], wanted.table_version, self._include(query), rv)
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
        stopping = self.owner._stopping
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


def _version() -> dict[str, str]:
    return {
        "major": "1",
        "minor": "32",
        "gitVersion": GIT_VERSION,
        "gitCommit": "0" * 40,
        "gitTreeState": "clean",
        "buildDate": "2024-12-11T18:00:00Z",
        "goVersion": "go1.23.3",
        "compiler": "gc",
        "platform": "linux/amd64",
    }
