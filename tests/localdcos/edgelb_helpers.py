"""What the Edge-LB emulation tests share: the sandbox's Edge-LB as an authenticated client sees it,
and the seed pool with its parts."""

from __future__ import annotations

import copy
import time
from typing import Any

import requests

from tests.sandbox import Sandbox
from tests.seed_documents import seed_pool

SEED: dict[str, Any] = seed_pool()
POOLS = "/service/edgelb/v2/pools"
SCHEDULER = "/service/dcos-edgelb/pools"


class Api:
    """The sandbox's Edge-LB as an authenticated client sees it, plus the sandbox's knobs."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.token = sandbox.admin_token()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.sandbox.request(method, path, token=self.token, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def set_options(self, **knobs: Any) -> None:
        self.sandbox.control(**knobs)

    def add_cluster(self, name: str, **body: Any) -> None:
        # The Mesos framework alone: what pools select from.
        r = self.sandbox.request("POST", "/_localdcos/mesos/clusters", json={"name": name, **body})
        r.raise_for_status()

    def wait_plan(
        self, name: str, status: int, timeout: float = 10.0, scheduler: str = SCHEDULER
    ) -> requests.Response:
        deadline = time.monotonic() + timeout
        while True:
            r = self.get(f"{scheduler}/{name}/v1/plans/deploy")
            if r.status_code == status or time.monotonic() > deadline:
                return r
            time.sleep(0.05)


def seed(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(SEED)
    data.update(changes)
    return data


def frontend(data: dict[str, Any]) -> dict[str, Any]:
    fe: dict[str, Any] = data["haproxy"]["frontends"][0]
    return fe


def backend(data: dict[str, Any]) -> dict[str, Any]:
    be: dict[str, Any] = data["haproxy"]["backends"][0]
    return be


def service(data: dict[str, Any]) -> dict[str, Any]:
    svc: dict[str, Any] = backend(data)["services"][0]
    return svc
