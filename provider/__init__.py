"""Pulumi dynamic provider for the DC/OS APIs that expose a Kubernetes cluster's API server.

The names below are imported on first use (PEP 562), not with the package: the provider process
unpickles `provider.marathon_app.MarathonAppProvider` or `provider.edgelb_pool.EdgeLBPoolProvider`
and should load only that resource's modules, not the other's models and validation.
`from provider import MarathonApp, EdgeLBPool` works as before.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .edgelb_model import EdgeLBPoolDefinition
    from .edgelb_pool import EdgeLBPool, EdgeLBPoolProvider
    from .marathon_app import MarathonApp, MarathonAppProvider
    from .marathon_model import MarathonAppDefinition

_WHERE = {
    "EdgeLBPool": "edgelb_pool",
    "EdgeLBPoolDefinition": "edgelb_model",
    "EdgeLBPoolProvider": "edgelb_pool",
    "MarathonApp": "marathon_app",
    "MarathonAppDefinition": "marathon_model",
    "MarathonAppProvider": "marathon_app",
}

__all__ = [
    "EdgeLBPool",
    "EdgeLBPoolDefinition",
    "EdgeLBPoolProvider",
    "MarathonApp",
    "MarathonAppDefinition",
    "MarathonAppProvider",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
