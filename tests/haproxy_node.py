"""A `localdcos --haproxy` sandbox as the tests that drive its HAProxies see it (the sandbox's
own runtime tests and the end-to-end tests through real HAProxy)."""

from __future__ import annotations

import hashlib
import socket
from typing import Any

import pytest
import requests

from tests.sandbox import Sandbox
from tests.seed_documents import seed_app

APPS = "/service/marathon/v2/apps"
SEED_APP_ID = "/marathon-lb-kubernetes-cluster"
FRONTEND = "frontend marathon-lb-kubernetes-cluster_6443"
# What Marathon-LB logs when HAProxy refuses the seed app's config and the app is left out.
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


def require_free_apiserver_port() -> None:
    """The seed app's frontend binds *:6443 with SO_REUSEPORT: a second --haproxy sandbox (such as
    the one `make up` leaves running) would silently share the port with this one."""
    with socket.socket() as probe:
        probe.settimeout(0.5)
        if probe.connect_ex(("127.0.0.1", 6443)) == 0:
            pytest.fail(
                "something already listens on 127.0.0.1:6443 (a `make up` sandbox?): run `make down` first"
            )
