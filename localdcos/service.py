"""The contract between the sandbox core and each emulated DC/OS service.

The core (server.py) owns what sits in front of every service on a real cluster (Admin Router's
auth, the request log, persistence, the control API); each service module owns its own routes and
state and knows nothing of the others' internals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from fastapi import APIRouter


@dataclass
class SandboxOptions:
    """Every tunable of the sandbox; set from the command line and live-editable through
    `PATCH /_localdcos/control` so tests can change behaviour without a restart."""

    # Marathon
    marathon_version: str = "1.10.6"
    deploy_seconds: float = 0.3
    stall_deployments: bool = False
    # When stalled, tasks fail with this message (Marathon keeps retrying; lastTaskFailure shows it).
    stall_failure_message: str = "Failed to launch container: no offers matched (emulated stall)"
    leader: bool = True
    # Admin Router answers 503 text pages for Marathon (its Mesos state cache is not ready), to test
    # client retries; `leader=False` instead gives Admin Router's 404 "service not found".
    marathon_unavailable: bool = False
    # Marathon's --max_running_deployments: beyond it a write gets a 403 that is not about permissions.
    max_running_deployments: int = 100
    # IAM / Admin Router: "token" is Enterprise-style (every route but login and the CA needs a token),
    # "none" an open cluster without authentication.
    auth: Literal["none", "token"] = "token"
    token_ttl_seconds: int = 5 * 24 * 3600
    # Mesos frameworks (DC/OS service names) whose kube-control-plane tasks pools can select.
    clusters: list[str] = field(default_factory=lambda: ["kubernetes-cluster"])
    # Edge-LB
    pool_deploy_seconds: float = 0.5
    pool_delete_seconds: float = 0.3
    stall_pools: bool = False
    # Edge-LB's trap: answer 500 after storing a pool, as its 10 s internal timeout does.
    edgelb_timeout_trap: bool = False
    # How long the trapped request hangs before its 500 (the real one takes its full 10 s).
    edgelb_trap_delay_seconds: float = 0.0
    # What `GET /service/edgelb/version` answers.
    edgelb_version: str = "v1.5.1"
    # Marathon-LB (always emulated: GET /marathon-lb/_haproxy_getconfig). Its command line: --group,
    # the image version, and the ports its shared frontends bind (tests move them to free ones).
    mlb_group: str = "external"
    mlb_version: str = "1.14.2"
    mlb_http_port: int = 80
    mlb_https_port: int = 443
    mlb_stats_port: int = 9090
    mlb_appid_port: int = 9091
    # MLB's global maxconn is 50000; HAProxy would need ~100k file descriptors for it, which a
    # sandbox rarely may open. Only the size of the limit differs; its shape does not.
    mlb_maxconn: int = 4096
    # `timeout client` of MLB's defaults section (the one that cuts idle kubectl streams).
    haproxy_client_timeout: str = "30s"
    # Run real HAProxy processes for Marathon-LB and every running Edge-LB pool, and a fake
    # kube-apiserver per cluster (read at start only).
    haproxy: bool = False
    # How often the sandbox looks for changes to put into HAProxy (and to Marathon-LB's view).
    haproxy_poll_seconds: float = 0.3
    # The fake apiservers' idle time before a watch sends its one event.
    apiserver_watch_idle_seconds: float = 60.0


class EmulatedService(Protocol):
    """One emulated DC/OS service, mounted by the core under its Admin Router prefix."""

    #: Key of this service's section in the state file.
    name: str
    #: Admin Router prefix, e.g. "/service/marathon".
    prefix: str

    def router(self) -> APIRouter: ...

    def snapshot(self) -> dict[str, Any]:
        """JSON-serializable state, written to the state file after every write request."""
        ...

    def restore(self, data: dict[str, Any]) -> None:
        """Load what snapshot() returned (on start with --state-file)."""
        ...


class SandboxExtension(Protocol):
    """A sandbox part next to the services, such as the emulated Marathon-LB: on DC/OS it is not
    behind Admin Router, so its routes need no token; it sees every service request; it lives as
    long as the app."""

    #: Where its router is mounted.
    prefix: str

    def router(self) -> APIRouter: ...

    async def observe(self) -> None:
        """Called on the event loop under the core lock before (and after writing) requests, and
        every `haproxy_poll_seconds`: the one safe moment to read service state."""
        ...

    def start(self) -> None: ...

    def stop(self) -> None:
        """Blocking, bounded; called off the event loop at shutdown."""
        ...
