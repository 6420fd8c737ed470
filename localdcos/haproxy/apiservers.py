"""The fake kube-apiservers behind `--haproxy`: one per cluster, on the cluster's own loopback
address and port 6443, with a certificate of the sandbox CA for its VIP name. A cluster whose
address cannot be bound is retried a little later; a cluster that goes takes its apiserver along."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localdcos.common import write_atomically
from localdcos.core.options import SandboxOptions
from localdcos.haproxy.netns import ClusterAddresses
from localdcos.kube import FakeApiServer, apiserver_certificate, apiserver_hostnames
from localdcos.pki import SigningAuthority

log = logging.getLogger("localdcos.haproxy")

APISERVER_PORT = 6443
_RETRY_SECONDS = 5.0


@dataclass
class _ApiServer:
    address: str
    server: FakeApiServer | None = None
    error: str | None = None
    retry_at: float = 0.0

    def status(self) -> dict[str, Any]:
        server = self.server
        return {
            "address": self.address,
            "url": server.url if server is not None else None,
            "error": self.error,
            "requests": [list(r) for r in server.requests] if server is not None else [],
            "openWatches": server.open_watches if server is not None else 0,
        }


class ApiServers:
    def __init__(
        self,
        options: SandboxOptions,
        workdir: Path,
        addresses: ClusterAddresses,
        authority: SigningAuthority,
    ) -> None:
        self.options = options
        self.workdir = workdir
        self.addresses = addresses
        self.authority = authority
        self._lock = threading.Lock()
        # The runtime's thread and a cluster install may sync at once; one start per cluster.
        self._sync_lock = threading.Lock()
        self._closed = False
        self._entries: dict[str, _ApiServer] = {}

    def sync(self, clusters: Sequence[str]) -> None:
        """An apiserver for each of `clusters`, and for no other."""
        with self._sync_lock:
            self._sync(clusters)

    def _sync(self, clusters: Sequence[str]) -> None:
        with self._lock:
            gone = [name for name in self._entries if name not in clusters]
            stopped = [self._entries.pop(name) for name in gone]
        for entry in stopped:
            if entry.server is not None:
                entry.server.stop()
        for name in clusters:
            with self._lock:
                if self._closed:
                    return
                entry = self._entries.setdefault(name, _ApiServer(self.addresses.address(name)))
            if entry.server is None and time.monotonic() >= entry.retry_at:
                self._start(name, entry)

    def _start(self, cluster: str, entry: _ApiServer) -> None:
        directory = self.workdir / cluster.replace("/", "_")
        cert_pem, key_pem = apiserver_certificate(
            self.authority, apiserver_hostnames(cluster), [entry.address]
        )
        cert_file, key_file = directory / "apiserver.crt", directory / "apiserver.key"
        write_atomically(cert_file, cert_pem)
        write_atomically(key_file, key_pem, mode=0o600)
        server = FakeApiServer(
            entry.address,
            APISERVER_PORT,
            cert_file,
            key_file,
            cluster_name=cluster,
            watch_idle_seconds=self.options.apiserver_watch_idle_seconds,
        )
        try:
            server.start()
        except OSError as exc:
            entry.error = f"cannot listen on {entry.address}:{APISERVER_PORT}: {exc}"
            entry.retry_at = time.monotonic() + _RETRY_SECONDS
            log.warning("apiserver of %s: %s", cluster, entry.error)
            return
        with self._lock:
            if not self._closed:
                entry.server, entry.error = server, None
                return
        server.stop()

    def stop(self) -> None:
        """Stop every apiserver; none starts afterwards."""
        with self._lock:
            self._closed = True
            servers = [e.server for e in self._entries.values() if e.server is not None]
        for server in servers:
            server.stop()

    def status(self) -> dict[str, Any]:
        with self._lock:
            entries = dict(self._entries)
        return {name: entry.status() for name, entry in entries.items()}
