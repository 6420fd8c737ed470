"""A fake kube-apiserver behind each emulated cluster's `apiserver` task.

Just enough of the Kubernetes API for real `kubectl` (through the sandbox's real HAProxy) to run
`kubectl version`, `kubectl get namespaces` and an idle `kubectl get namespaces --watch`: version,
health, discovery (aggregated v2/v2beta1 and legacy), the three built-in namespaces as JSON or as a
server-side `meta.k8s.io` Table, and one watch stream shape — idle for `watch_idle_seconds`, one
MODIFIED event for `default`, idle again until the client or the server goes. That shape is what a
load balancer's idle timeouts (HAProxy `timeout client`/`timeout server`/`timeout tunnel`) bite on.

TLS only, HTTP/1.1 only, any or no bearer token. Threaded: one thread per connection, the TLS
handshake included, so a stalled client never holds up the others. The objects it serves are
resources.py's, the HTTP side handler.py's; this module is the server's life and bookkeeping.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from localdcos.common import apiserver_vip, url_host
from localdcos.kube.handler import RequestRecord, Server
from localdcos.kube.resources import Namespaces
from localdcos.pki import SigningAuthority, server_certificate

_HANDSHAKE_TIMEOUT = 10.0
# Long enough for any kubectl keep-alive reuse; bounds the threads half-open clients can pin.
_IDLE_CONNECTION_TIMEOUT = 300.0
_STOP_GRACE = 2.0


def apiserver_hostnames(cluster_name: str) -> list[str]:
    """The DNS SANs a cluster's apiserver certificate carries: its L4LB VIP name and localhost."""
    return [apiserver_vip(cluster_name), "localhost"]


def apiserver_certificate(ca: SigningAuthority, hostnames: list[str], ips: list[str]) -> tuple[bytes, bytes]:
    """A server certificate signed by `ca` with these SANs: `(cert_pem, key_pem)`."""
    return server_certificate(
        ca, [*hostnames, *ips], common_name=hostnames[0] if hostnames else "kube-apiserver"
    )


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
        self.stopping = threading.Event()
        self._records: list[RequestRecord] = []
        self._connections: set[ssl.SSLSocket] = set()
        self._open_watches = 0
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self.namespaces = Namespaces(cluster_name)

    # -- lifecycle

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("already started")
        self.stopping.clear()
        self._server = Server(self, (self.host, self.port))
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
        self.stopping.set()
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
        return f"https://{url_host(self.host)}:{self.port}"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

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

    def wrap(self, raw: socket.socket) -> ssl.SSLSocket | None:
        raw.settimeout(_HANDSHAKE_TIMEOUT)
        try:
            conn = self._context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            # Load balancer TCP health checks connect and hang up without a handshake.
            return None
        conn.settimeout(_IDLE_CONNECTION_TIMEOUT)
        with self._lock:
            if self.stopping.is_set():
                conn.close()
                return None
            self._connections.add(conn)
        return conn

    def release(self, conn: ssl.SSLSocket) -> None:
        try:
            conn.close()
        finally:
            with self._drained:
                self._connections.discard(conn)
                self._drained.notify_all()

    def record(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    @contextmanager
    def watching(self) -> Iterator[None]:
        with self._lock:
            self._open_watches += 1
        try:
            yield
        finally:
            with self._lock:
                self._open_watches -= 1
