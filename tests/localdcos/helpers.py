"""Helpers for tests that run a `--haproxy` sandbox: free ports, the node (sandbox plus what its
HAProxies serve), TLS and runtime-API probes. Shared by tests/localdcos and tests/e2e."""

from __future__ import annotations

import hashlib
import socket
import ssl
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.x509.oid import NameOID

from tests.sandbox import Sandbox
from tests.seed_documents import seed_app

APPS = "/service/marathon/v2/apps"
POOLS = "/service/edgelb/v2/pools"
SEED_APP_ID = "/marathon-lb-kubernetes-cluster"
FRONTEND = "frontend marathon-lb-kubernetes-cluster_6443"
VIP = "apiserver.kubernetes-cluster.l4lb.thisdcos.directory"
EXCLUSION = "invalid configuration caused by app /marathon-lb-kubernetes-cluster"


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def mlb_port_flags() -> list[str]:
    http, https, stats, appid = free_ports(4)
    return [
        *("--mlb-http-port", str(http), "--mlb-https-port", str(https)),
        *("--mlb-stats-port", str(stats), "--mlb-appid-port", str(appid)),
    ]


class Node:
    """The sandbox and what its HAProxies serve."""

    def __init__(self, box: Sandbox) -> None:
        self.box = box
        self.token = box.admin_token()

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.box.request(method, path, token=self.token, **kwargs)

    def status(self) -> dict[str, Any]:
        response = self.box.request("GET", "/_localdcos/haproxy/status")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def getconfig(self) -> str:
        # Marathon-LB is not behind Admin Router: no token.
        response = self.box.request("GET", "/marathon-lb/_haproxy_getconfig")
        response.raise_for_status()
        return response.text

    def mlb_log(self) -> list[dict[str, Any]]:
        response = self.box.request("GET", "/marathon-lb/_localdcos/log")
        response.raise_for_status()
        entries: list[dict[str, Any]] = response.json()
        return entries

    def wait_mlb_running(self, needle: str, timeout: float = 15.0) -> str:
        """Until getconfig contains `needle` and the MLB HAProxy runs exactly that config."""

        def running() -> str | None:
            config = self.getconfig()
            mlb = self.status()["marathonLb"]
            digest = hashlib.sha256(config.encode()).hexdigest()
            caught_up = mlb["process"]["generation"] == mlb["generation"] and mlb["configDigest"] == digest
            return (
                config
                if needle in config and caught_up and mlb["process"]["configDigest"] == digest
                else None
            )

        config: str = self.box.wait_until(running, timeout, interval=0.1, what=f"MLB HAProxy with {needle!r}")
        return config

    def ensure_seed_app(self) -> None:
        """The recipe's first app deployed and served (tests may run alone)."""
        if self.api("GET", APPS + SEED_APP_ID).status_code == 404:
            assert self.api("POST", APPS, json=seed_app()).status_code == 201
        self.wait_mlb_running(FRONTEND)

    def apiserver(self) -> dict[str, Any]:
        entry: dict[str, Any] = self.status()["apiservers"]["kubernetes-cluster"]
        return entry


def https_get(port: int, path: str, host: str = "127.0.0.1") -> tuple[int, bytes, str]:
    """(status, body, CN of the certificate the listener presented), without verification."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=5) as raw, context.wrap_socket(raw) as tls:
        der = tls.getpeercert(binary_form=True)
        tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := tls.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert der is not None
    return int(head.split()[1]), body, _common_name(der)


def runtime_api(path: Path, command: str) -> str:
    """What HAProxy's stats socket at `path` answers to `command`."""
    with socket.socket(socket.AF_UNIX) as unix:
        unix.settimeout(5)
        unix.connect(str(path))
        unix.sendall(command.encode() + b"\n")
        data = b""
        while chunk := unix.recv(65536):
            data += chunk
    return data.decode(errors="replace")


def _common_name(der: bytes) -> str:
    names = x509.load_der_x509_certificate(der).subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def all_pids(status: dict[str, Any]) -> list[int]:
    pids: list[int] = list(status["marathonLb"]["process"]["pids"])
    for pool in status["pools"].values():
        if pool["process"]:
            pids += pool["process"]["pids"]
    return pids


def require_free_apiserver_port() -> None:
    """The seed app's frontend binds *:6443 with SO_REUSEPORT: a second --haproxy sandbox (such as
    the one `make up` leaves running) would silently share the port with this one."""
    with socket.socket() as probe:
        probe.settimeout(0.5)
        if probe.connect_ex(("127.0.0.1", 6443)) == 0:
            pytest.fail(
                "something already listens on 127.0.0.1:6443 (a `make up` sandbox?): run `make down` first"
            )
