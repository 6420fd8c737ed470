"""Is the DC/OS service an exposure targets installed? Asked of Mesos through Admin Router.

A `kubernetes-cluster` service is a Mesos framework named after the service (`dev/kubernetes01`,
no leading slash) with a running `kube-control-plane-<i>-instance` task (dcos-api.md §5). A typo
in a cluster name otherwise deploys an app or pool that answers 503. The Mesos state is read once
per provider process (one preview or update) and cluster URL.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the program process imports this module, and needs no HTTP client
    from .http import DcosHttp

STATE_PATH = "/mesos/master/state"
CONTROL_PLANE_TASK = "kube-control-plane"

_lock = threading.Lock()
_cache: dict[str, frozenset[str]] = {}


def _served_frameworks(state: Any) -> frozenset[str]:
    names = set()
    for framework in (state or {}).get("frameworks") or []:
        if not isinstance(framework, dict):
            continue
        tasks = framework.get("tasks") or []
        if any(
            isinstance(t, dict)
            and str(t.get("name", "")).startswith(CONTROL_PLANE_TASK)
            and t.get("state") == "TASK_RUNNING"
            for t in tasks
        ):
            names.add(str(framework.get("name")))
    return frozenset(names)


def control_plane_running(http: DcosHttp, service: str) -> bool:
    """True when a framework named `service` runs a kube-control-plane task; raises when Mesos
    cannot be read (the caller turns that into a warning)."""
    with _lock:
        served = _cache.get(http.settings.url)
        if served is None:
            response = http.request("GET", STATE_PATH)
            served = _served_frameworks(http.json(response, "GET", STATE_PATH))
            _cache[http.settings.url] = served
    return service.strip("/") in served


def forget() -> None:
    """Drop the cached Mesos state (tests change the cluster between calls)."""
    with _lock:
        _cache.clear()


def missing_message(service: str, kind: str) -> str:
    return (
        f"target_service {service!r}: no DC/OS service of that name runs a kube-control-plane task "
        f"(no Mesos framework {service!r} with a running kube-control-plane task), so this {kind} "
        "would answer 503: check the cluster name, or install the kubernetes-cluster service first"
    )
