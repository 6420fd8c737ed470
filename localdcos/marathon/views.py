"""How Marathon shows its state: tasks, AppInfo, deployments, /v2/info and the `label` filter."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from localdcos.common import iso
from localdcos.core.options import SandboxOptions
from localdcos.marathon import normalize
from localdcos.marathon.model import (
    AGENT_ID,
    FRAMEWORK_ID,
    HOST,
    LEADER,
    MAX_VERSIONS,
    TASK_RUNNING,
    TASK_STAGING,
    App,
    Deployment,
    Task,
    safe_path,
)
from localdcos.marathon.simulation import MarathonState


def task_json(app: App, task: Task) -> dict[str, Any]:
    result: dict[str, Any] = {
        "appId": task.app_id,
        "host": HOST,
        "id": task.id,
        "ipAddresses": [{"ipAddress": HOST, "protocol": "IPv4"}],
        "ports": list(task.ports),
        "servicePorts": list(task.service_ports),
        "slaveId": AGENT_ID,
        "agentId": AGENT_ID,
        "state": task.state,
        "stagedAt": iso(task.staged_at),
        "version": task.version,
        "localVolumes": [],
    }
    if task.started_at is not None:
        result["startedAt"] = iso(task.started_at)
    if app.definition.get("healthChecks") and task.state == TASK_RUNNING:
        started = iso(task.started_at or task.staged_at)
        result["healthCheckResults"] = [
            {
                "alive": True,
                "consecutiveFailures": 0,
                "firstSuccess": started,
                "lastFailure": None,
                "lastSuccess": started,
                "lastFailureCause": None,
                "instanceId": f"{safe_path(task.app_id)}.marathon-{task.id.rsplit('.', 1)[-1]}",
            }
            for _ in app.definition["healthChecks"]
        ]
    return result


def _counts(app: App) -> dict[str, int]:
    running = sum(1 for t in app.tasks if t.state == TASK_RUNNING)
    return {
        "tasksStaged": sum(1 for t in app.tasks if t.state == TASK_STAGING),
        "tasksRunning": running,
        # Without health checks Marathon counts no task as healthy.
        "tasksHealthy": running if app.definition.get("healthChecks") else 0,
        "tasksUnhealthy": 0,
    }


def app_info(state: MarathonState, app: App, *, tasks: bool, failure: bool) -> dict[str, Any]:
    info = copy.deepcopy(app.definition)
    info.update(_counts(app))
    app_id = app.definition["id"]
    info["deployments"] = [{"id": d.id} for d in state.deployments.values() if app_id in d.actions]
    if tasks:
        info["tasks"] = [task_json(app, t) for t in app.tasks]
    if failure and app.last_task_failure is not None:
        info["lastTaskFailure"] = copy.deepcopy(app.last_task_failure)
    return info


def deployment_json(state: MarathonState, deployment: Deployment, now: float) -> dict[str, Any]:
    total = deployment.total_steps
    steps = [
        {
            "actions": [
                {"action": acts[i], "app": app_id}
                for app_id, acts in deployment.actions.items()
                if i < len(acts)
            ]
        }
        for i in range(total)
    ]
    if state.stalled(deployment):
        current = total
    else:
        elapsed = (now - deployment.started) / max(state.options.deploy_seconds, 1e-9)
        current = max(1, min(total, 1 + int(elapsed * total)))
    return {
        "id": deployment.id,
        "version": deployment.version,
        "affectedApps": sorted(deployment.actions),
        "affectedPods": [],
        "steps": steps,
        "currentActions": [{**a, "readinessCheckResults": []} for a in steps[current - 1]["actions"]],
        "currentStep": current,
        "totalSteps": total,
    }


def info_json(options: SandboxOptions) -> dict[str, Any]:
    return {
        "name": "marathon",
        "version": options.marathon_version,
        "buildref": "localdcos",
        "elected": options.leader,
        "leader": LEADER if options.leader else None,
        "frameworkId": FRAMEWORK_ID,
        "marathon_config": {
            "master": "zk://zk-1.zk:2181,zk-2.zk:2181,zk-3.zk:2181/mesos",
            "framework_name": "marathon",
            "hostname": HOST,
            "http_port": 8080,
            "https_port": 8443,
            "local_port_min": normalize.LOCAL_PORT_MIN,
            "local_port_max": normalize.LOCAL_PORT_MAX,
            "max_instances_per_offer": 100,
            "mesos_role": normalize.DEFAULT_ROLE,
            "mesos_leader_ui_url": "http://leader.mesos/mesos",
            "features": ["vips", "task_killing", "external_volumes", "gpu_resources"],
            "task_launch_timeout": 86400000,
            "task_reservation_timeout": 20000,
        },
        "zookeeper_config": {
            "zk": "zk://zk-1.zk:2181,zk-2.zk:2181,zk-3.zk:2181/marathon",
            "zk_timeout": 10000,
            "zk_session_timeout": 10000,
            "zk_max_versions": MAX_VERSIONS,
        },
        "http_config": {"http_port": 8080, "https_port": 8443},
    }


def label_selector(selector: str) -> Callable[[dict[str, str]], bool]:
    """Marathon's `label` query: comma-separated `k`, `!k`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`."""
    terms: list[tuple[str, str, set[str]]] = []  # (operator, key, values)
    for term in (t.strip() for t in re.split(r",(?![^()]*\))", selector)):
        if not term:
            continue
        if match := re.fullmatch(r"(\S+)\s+(in|notin)\s+\((.*)\)", term):
            key, op, raw = match.groups()
            terms.append((op, key, {v.strip() for v in raw.split(",")}))
        elif "!=" in term or "==" in term:
            op = "!=" if "!=" in term else "=="
            key, value = (s.strip() for s in term.split(op, 1))
            terms.append((op, key, {value}))
        elif term.startswith("!"):
            terms.append(("absent", term[1:].strip(), set()))
        else:
            terms.append(("present", term, set()))

    def holds(op: str, key: str, values: set[str], labels: dict[str, str]) -> bool:
        value = labels.get(key)
        if op in ("in", "=="):
            return value in values
        if op in ("notin", "!="):
            return value not in values
        return (key in labels) == (op == "present")

    return lambda labels: all(holds(op, key, values, labels) for op, key, values in terms)


def list_apps(
    state: MarathonState,
    *,
    embed: set[str],
    id_filter: str = "",
    cmd_filter: str = "",
    label: str = "",
) -> list[dict[str, Any]]:
    """`GET /v2/apps` with its filters, apps in id order."""
    selector = label_selector(label) if label else None
    apps = []
    for app_id in sorted(state.apps):
        app = state.apps[app_id]
        if id_filter and id_filter.lower() not in app_id.lower():
            continue
        if cmd_filter and cmd_filter not in str(app.definition.get("cmd", "")):
            continue
        if selector is not None and not selector(app.definition.get("labels", {})):
            continue
        failure = bool({"apps.lastTaskFailure", "apps.failures"} & embed)
        info = app_info(state, app, tasks="apps.tasks" in embed, failure=failure)
        if "apps.readiness" in embed:
            # The emulation runs no readiness checks, so none has a result to show.
            info["readinessCheckResults"] = []
        apps.append(info)
    return apps
