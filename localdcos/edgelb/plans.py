"""What a pool scheduler's SDK API answers (plans, pods, endpoints) and Edge-LB's pool metadata,
rendered from the records in lifecycle.py. Ids are stable per deployment, as a client polling a
plan expects."""

from __future__ import annotations

import uuid
from typing import Any

from localdcos.core.options import SandboxOptions
from localdcos.edgelb.lifecycle import Deployment, UninstallRecord
from localdcos.edgelb.model import V2Pool

POOL_AGENT_HOST = "127.0.0.1"
POD_TYPE = "edgelb-pool"


def _stable_id(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def service_name(pool: V2Pool) -> str:
    """The pool scheduler's SDK service name; a pool without a namespace sits at Marathon's root."""
    return f"{pool.namespace}/{pool.name}" if pool.namespace else pool.name


def _task_id(pool: V2Pool, deploy_id: str, task: str) -> str:
    return f"{task}__{_stable_id(service_name(pool), deploy_id, task)}"


def _step(scope: str, name: str, status: str) -> dict[str, Any]:
    return {
        "id": _stable_id(scope, name),
        "status": status,
        "name": name,
        "message": f"'{name}' has status: '{status}'.",
    }


def _phase(scope: str, name: str, strategy: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
    statuses = {s["status"] for s in steps}
    status = (
        "COMPLETE" if statuses <= {"COMPLETE"} else ("PENDING" if statuses == {"PENDING"} else "IN_PROGRESS")
    )
    return {
        "id": _stable_id(scope, name),
        "name": name,
        "steps": steps,
        "status": status,
        "strategy": strategy,
    }


def deploy_plan(record: Deployment, options: SandboxOptions) -> tuple[int, dict[str, Any]]:
    """`GET /v1/plans/deploy` of a pool scheduler: (HTTP status, body)."""
    scope = record.deploy_id
    count = record.pool.count
    if record.deployed:
        server_status, sidecar_status = "COMPLETE", "COMPLETE"
    else:
        # Without matching offers the SDK leaves steps PREPARED; otherwise tasks are starting.
        server_status, sidecar_status = ("PREPARED" if options.stall_pools else "STARTING"), "PENDING"
    phases = [
        _phase(
            scope,
            "edgelb-pool-deploy",
            "parallel",
            [_step(scope, f"{POD_TYPE}-{i}:[server]", server_status) for i in range(count)],
        ),
        _phase(
            scope,
            "sidecar-deploy",
            "parallel",
            [_step(scope, f"{POD_TYPE}-{i}:[sidecar]", sidecar_status) for i in range(count)],
        ),
    ]
    status = "COMPLETE" if record.deployed else "IN_PROGRESS"
    body = {"phases": phases, "errors": [], "status": status, "strategy": "serial"}
    return (200 if record.deployed else 202), body


def uninstall_plan(record: UninstallRecord) -> tuple[int, dict[str, Any]]:
    scope = record.deploy_id + "/uninstall"
    kills = [
        _step(scope, f"kill-task-{_task_id(record.pool, record.deploy_id, t)}", "COMPLETE")
        for t in _task_names(record.pool)
    ]
    phases = [
        _phase(scope, "kill-tasks", "parallel", kills),
        _phase(scope, "unreserve-resources", "parallel", [_step(scope, "unreserve-resources", "STARTING")]),
        _phase(scope, "deregister-service", "serial", [_step(scope, "deregister", "PENDING")]),
    ]
    return 202, {"phases": phases, "errors": [], "status": "IN_PROGRESS", "strategy": "serial"}


def _task_names(pool: V2Pool) -> list[str]:
    return [f"{POD_TYPE}-{i}-{kind}" for i in range(pool.count) for kind in ("server", "sidecar")]


def pod_names(pool: V2Pool) -> list[str]:
    return [f"{POD_TYPE}-{i}" for i in range(pool.count)]


def _task_entry(pool: V2Pool, deploy_id: str, task: str, index: int, goal: str, state: str) -> dict[str, Any]:
    tid = _task_id(pool, deploy_id, task)
    agent = {"value": _stable_id("agent", POOL_AGENT_HOST)}
    labels = [
        {"key": "goal_state", "value": goal},
        {"key": "index", "value": str(index)},
        {"key": "offer_hostname", "value": POOL_AGENT_HOST},
        {"key": "task_type", "value": POD_TYPE},
    ]
    return {
        "info": {"name": task, "taskId": {"value": tid}, "slaveId": agent, "labels": {"labels": labels}},
        "status": {"taskId": {"value": tid}, "state": state, "slaveId": agent, "source": "SOURCE_EXECUTOR"},
    }


def pod_info(
    pool: V2Pool, deploy_id: str, pod: str, *, deployed: bool, stalled: bool, uninstalling: bool
) -> list[dict[str, Any]] | None:
    """`GET /v1/pod/<pod>/info`: one entry per task of the pod, or None for an unknown pod."""
    if pod not in pod_names(pool):
        return None
    index = int(pod.rsplit("-", 1)[1])
    if uninstalling:
        server_state = sidecar_state = "TASK_KILLED"
    elif deployed:
        server_state, sidecar_state = "TASK_RUNNING", "TASK_FINISHED"
    else:
        server_state = "TASK_STAGING" if stalled else "TASK_STARTING"
        sidecar_state = ""
    entries = [_task_entry(pool, deploy_id, f"{pod}-server", index, "RUNNING", server_state)]
    if sidecar_state:
        entries.append(_task_entry(pool, deploy_id, f"{pod}-sidecar", index, "FINISHED", sidecar_state))
    return entries


def _autoip_host(pool: V2Pool) -> str:
    return service_name(pool).replace("/", "") + ".autoip.dcos.thisdcos.directory"


def endpoint_names(pool: V2Pool, *, deployed: bool) -> list[str]:
    """SDK endpoint names, one per reserved port (`p<port>`); none before tasks run."""
    if not deployed:
        return []
    return sorted(f"p{port}" for port in pool.bind_ports())


def endpoint_detail(pool: V2Pool, name: str, *, deployed: bool) -> dict[str, Any] | None:
    if name not in endpoint_names(pool, deployed=deployed):
        return None
    port = name[1:]
    host = _autoip_host(pool)
    return {
        "address": [f"{POOL_AGENT_HOST}:{port}" for _ in pod_names(pool)],
        "dns": [f"{pod}-server.{host}:{port}" for pod in pod_names(pool)],
    }


def metadata(pool: V2Pool, *, deployed: bool) -> dict[str, Any]:
    """`GET /v2/pools/<name>/metadata` (Edge-LB 1.4+): where each frontend can be reached."""
    ips = [POOL_AGENT_HOST] if deployed else []

    def endpoints(port: int) -> list[dict[str, Any]]:
        return [{"port": port, "private": ips, "public": ips}] if deployed else []

    return {
        "name": pool.name,
        "frontends": [
            {"name": fe.effective_name(), "endpoints": endpoints(fe.bind_port)}
            for fe in pool.haproxy.frontends
        ],
        "stats": endpoints(pool.haproxy.stats.bind_port),
    }
