"""Provider-level helpers shared by tests/provider and tests/faults: configured providers, checked
inputs with an owner, what is on the sandbox, and the warnings a call sent."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pulumi.dynamic import Config, ConfigureRequest

from provider import diagnostics, target_service
from provider.base import forget_probes
from provider.edgelb_pool import EdgeLBPoolProvider
from provider.marathon_app import MarathonAppProvider
from tests.sandbox import Sandbox
from tests.seed_documents import seed_app, seed_pool

APPS = "/service/marathon/v2/apps"
POOLS = "/service/edgelb/v2/pools"
APP_ID = "/marathon-lb-kubernetes-cluster"
POOL_NAME = "edgelb-kubernetes-cluster"


def owner(resource: str = "app", stack: str = "dev", project: str = "dcos-kubernetes-api") -> str:
    return f"organization/{project}/{stack}#{resource}"


def configured(provider: Any, url: str, **config: str) -> Any:
    """The provider after the engine's configure(): `dcos:url` plus `dcos:<key>` values."""
    values = {"dcos:url": url, **{f"dcos:{k}": v for k, v in config.items()}}
    provider.configure(ConfigureRequest(Config(values, "dcos-kubernetes-api")))
    target_service.forget()
    forget_probes()
    return provider


def marathon(url: str, token: str, **config: str) -> MarathonAppProvider:
    provider: MarathonAppProvider = configured(MarathonAppProvider(), url, token=token, **config)
    return provider


def edgelb(url: str, token: str, **config: str) -> EdgeLBPoolProvider:
    provider: EdgeLBPoolProvider = configured(EdgeLBPoolProvider(), url, token=token, **config)
    return provider


def checked(provider: Any, field: str, document: dict[str, Any], **inputs: Any) -> dict[str, Any]:
    inputs.setdefault("owner", owner())
    inputs.setdefault("wait_timeout_seconds", 10.0)
    result = provider.check({}, {field: copy.deepcopy(document), **inputs})
    assert [(f.property, f.reason) for f in result.failures] == []
    return dict(result.inputs)


def app_inputs(
    provider: MarathonAppProvider, definition: dict[str, Any] | None = None, **inputs: Any
) -> dict[str, Any]:
    return checked(provider, "definition", definition or seed_app(), **inputs)


def pool_inputs(
    provider: EdgeLBPoolProvider, pool: dict[str, Any] | None = None, **inputs: Any
) -> dict[str, Any]:
    inputs.setdefault("owner", owner("pool"))
    return checked(provider, "pool", pool or seed_pool(), **inputs)


def apps(sandbox: Sandbox) -> list[dict[str, Any]]:
    response = sandbox.request("GET", APPS, token=sandbox.admin_token())
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()["apps"]
    return found


def pools(sandbox: Sandbox) -> list[dict[str, Any]]:
    response = sandbox.request("GET", POOLS, token=sandbox.admin_token())
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()
    return found


def the_app(sandbox: Sandbox) -> dict[str, Any]:
    """The one app on the sandbox (every scenario ends with exactly one)."""
    found = apps(sandbox)
    assert [a["id"] for a in found] == [APP_ID]
    return found[0]


def the_pool(sandbox: Sandbox) -> dict[str, Any]:
    found = pools(sandbox)
    assert [p["name"] for p in found] == [POOL_NAME]
    return found[0]


def deployments(sandbox: Sandbox) -> list[dict[str, Any]]:
    response = sandbox.request("GET", "/service/marathon/v2/deployments", token=sandbox.admin_token())
    found: list[dict[str, Any]] = response.json()
    return found


def writes(sandbox: Sandbox, method: str, path: str) -> list[dict[str, Any]]:
    """The requests of one kind that reached the sandbox (its own log)."""
    return [r for r in sandbox.requests() if r["method"] == method and r["path"] == path]


def no_secret_in(outputs: Any, *secrets: str) -> None:
    text = repr(outputs)
    for secret in secrets:
        assert secret not in text


@contextmanager
def warnings() -> Iterator[list[str]]:
    """Collects the warnings provider calls send to the engine."""
    collected: list[str] = []
    diagnostics.sink = collected.append
    try:
        yield collected
    finally:
        diagnostics.sink = None
