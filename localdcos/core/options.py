"""Every tunable of the sandbox, in one dataclass: the command line has a flag per field and
`PATCH /_localdcos/control` edits them live."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


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
    # Mesos frameworks (DC/OS service names) whose kube-control-plane tasks pools can select. Only
    # the framework: `POST /_localdcos/clusters` (`python -m localdcos cluster add`) installs the
    # whole kubernetes-cluster service, its scheduler app in Marathon included.
    clusters: list[str] = field(default_factory=lambda: ["kubernetes-cluster"])
    # What `/dcos-metadata/dcos-version.json` says (Marathon 1.10 ships with DC/OS 2.1).
    dcos_version: str = "2.1.0"
    # Edge-LB
    pool_deploy_seconds: float = 0.5
    pool_delete_seconds: float = 0.3
    # A relaunch (a PUT changing package options) restarts the pool's scheduler, kill before start:
    # the OLD scheduler still answers its old plan this long, then none answers for the gap (Admin
    # Router: 502, then its text 404), then the NEW scheduler's plan runs `pool_deploy_seconds`.
    pool_scheduler_restart_seconds: float = 0.3
    pool_scheduler_gap_seconds: float = 0.2
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
