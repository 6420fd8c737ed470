"""Marathon's write path: a set of changes checked against the root group, turned into one
deployment plan and stored, with the plan's first moves on the tasks (spec §1.3, §1.8)."""

from __future__ import annotations

import copy
import math
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from localdcos.common import iso
from localdcos.marathon import normalize, validation
from localdcos.marathon.errors import LOCKED_MESSAGE, TOO_MANY_DEPLOYMENTS, message, not_valid
from localdcos.marathon.model import (
    MAX_VERSIONS,
    TASK_KILLING,
    TASK_RUNNING,
    TASK_STAGING,
    App,
    Change,
    Deployment,
    config_key,
    strip_runtime,
)
from localdcos.marathon.simulation import MarathonState


def _new_version(state: MarathonState, now: float) -> str:
    # Versions are strictly increasing even for writes within the same millisecond.
    ms = max(int(now * 1000), state.last_version_ms + 1)
    state.last_version_ms = ms
    return iso(ms / 1000)


def _conflicts(state: MarathonState, app_ids: Iterable[str]) -> list[Deployment]:
    wanted = set(app_ids)
    return [d for d in state.deployments.values() if wanted & set(d.actions)]


def cancel(state: MarathonState, deployment: Deployment, outcome: str = "cancelled") -> None:
    """Drop `deployment`; what it achieved so far stays."""
    state.deployments.pop(deployment.id, None)
    state.record_finished(deployment, time.time(), outcome)
    for app_id, actions in deployment.actions.items():
        app = state.apps.get(app_id)
        # The app of a cancelled stop is already gone from Marathon's root group.
        if "StopApplication" in actions and app is not None and app.deleting:
            del state.apps[app_id]


def _check_group_clash(state: MarathonState, app_id: str) -> None:
    live_ids = {a for a, app in state.apps.items() if not app.deleting}
    if app_id in state.groups or any(g in live_ids for g in validation.parent_groups(app_id)):
        raise not_valid({"/": [validation.GROUP_APP_CLASH]})


def _actions(
    state: MarathonState, changes: list[Change]
) -> tuple[dict[str, list[str]], dict[str, dict[str, Any] | None]]:
    """Each changed app's deployment actions and its definition before; assigns service ports."""
    actions: dict[str, list[str]] = {}
    original: dict[str, dict[str, Any] | None] = {}
    planned_ports: set[int] = set()
    for change in changes:
        current = state.live(change.app_id)
        if change.target is None:
            if current is not None:
                actions[change.app_id] = ["StopApplication"]
                original[change.app_id] = strip_runtime(current.definition)
            continue
        if current is None:
            _check_group_clash(state, change.app_id)
        previous = current or state.apps.get(change.app_id)
        taken = {
            port
            for other_id, other in state.apps.items()
            if other_id != change.app_id and not other.deleting
            for port in normalize.service_ports(other.definition)
        } | planned_ports
        try:
            normalize.assign_service_ports(change.target, previous.definition if previous else None, taken)
        except normalize.PortRangeExhausted as exc:
            raise message(500, str(exc)) from exc
        planned_ports.update(normalize.service_ports(change.target))
        if current is None:
            actions[change.app_id] = ["StartApplication", "ScaleApplication"]
            original[change.app_id] = None
        elif change.restart or config_key(change.target) != config_key(current.definition):
            actions[change.app_id] = ["RestartApplication"]
        elif change.target["instances"] != current.definition["instances"]:
            actions[change.app_id] = ["ScaleApplication"]
        if current is not None and change.app_id in actions:
            original[change.app_id] = strip_runtime(current.definition)
    return actions, original


def plan(state: MarathonState, changes: list[Change], *, force: bool) -> tuple[str, str]:
    """Validate the changes against the root group, store them and their deployment.
    Returns (deployment id, version)."""
    now = time.time()
    actions, original = _actions(state, changes)
    conflicts = _conflicts(state, actions)
    if conflicts and not force:
        raise message(409, LOCKED_MESSAGE, deployments=[{"id": d.id} for d in conflicts])
    for deployment in conflicts:
        cancel(state, deployment, "superseded")
    limit = state.options.max_running_deployments
    if actions and len(state.deployments) >= limit:
        raise message(403, TOO_MANY_DEPLOYMENTS.format(n=limit))

    version = _new_version(state, now)
    deployment_id = str(uuid.uuid4())
    if not actions:
        # Nothing changed: a fresh (empty) plan that is finished at once; versions stay put.
        return deployment_id, version
    targets = {c.app_id: c.target for c in changes}
    launches = False
    for app_id, app_actions in actions.items():
        launches |= _apply(state, app_id, app_actions, targets.get(app_id), version, now)
    state.deployments[deployment_id] = Deployment(
        id=deployment_id,
        version=version,
        started=now,
        actions=actions,
        original=original,
        launches=launches,
    )
    return deployment_id, version


def _store(
    state: MarathonState, app_id: str, actions: list[str], target: dict[str, Any], version: str
) -> App:
    """Store the app's new definition as a new version."""
    existing = state.apps.get(app_id)
    if "StartApplication" in actions or existing is None:
        version_info = {"lastScalingAt": version, "lastConfigChangeAt": version}
        app = App(definition={})
        state.apps[app_id] = app
        state.groups.update(validation.parent_groups(app_id))
    else:
        app = existing
        old_info = app.definition["versionInfo"]
        changed = version if actions != ["ScaleApplication"] else old_info["lastConfigChangeAt"]
        version_info = {"lastScalingAt": version, "lastConfigChangeAt": changed}
    app.definition = {**copy.deepcopy(target), "version": version, "versionInfo": version_info}
    app.versions[version] = copy.deepcopy(app.definition)
    while len(app.versions) > MAX_VERSIONS:
        app.versions.pop(next(iter(app.versions)))
    return app


def _apply(
    state: MarathonState,
    app_id: str,
    actions: list[str],
    target: dict[str, Any] | None,
    version: str,
    now: float,
) -> bool:
    """Store the new definition and make the deployment's first moves on the tasks. True when
    new tasks have to be launched (which a stall prevents); stopping and scaling down always work."""
    if actions == ["StopApplication"]:
        stopping = state.apps[app_id]
        stopping.deleting = True
        for task in stopping.tasks:
            task.state = TASK_KILLING
        return False
    assert target is not None
    app = _store(state, app_id, actions, target, version)
    instances = int(target["instances"])
    taken = state.host_ports_in_use()

    def launch(count: int) -> None:
        for _ in range(count):
            task = state.new_task(app, now, TASK_STAGING, taken=taken)
            taken.update(task.ports)
            app.tasks.append(task)

    if "StartApplication" in actions:
        app.tasks = []
        launch(instances)
        return instances > 0
    if actions == ["ScaleApplication"]:
        current = [t for t in app.tasks if t.state in (TASK_RUNNING, TASK_STAGING)]
        if len(current) > instances:
            doomed = {t.id for t in state.kill_order(app, current)[: len(current) - instances]}
            app.tasks = [t for t in app.tasks if t.id not in doomed]
            return False
        launch(instances - len(current))
        return instances > len(current)
    _start_restart(state, app, instances, launch)
    return instances > 0


def _start_restart(state: MarathonState, app: App, instances: int, launch: Callable[[int], None]) -> None:
    """First moves of a rolling restart under the app's upgradeStrategy: with the default
    (1, 1) the new tasks start next to the old ones, which only go once the new run."""
    strategy = app.definition["upgradeStrategy"]
    old_running = [t for t in app.tasks if t.state == TASK_RUNNING]
    min_healthy = min(math.ceil(instances * strategy["minimumHealthCapacity"]), len(old_running))
    max_capacity = instances + math.floor(instances * strategy["maximumOverCapacity"])
    kill_now = max(0, len(old_running) - min_healthy)
    start_now = max(0, min(instances, max_capacity - (len(old_running) - kill_now)))
    if start_now == 0 and instances > 0:
        # Full capacity and no room above it: make room for one new task at a time.
        kill_now, start_now = min(kill_now + 1, len(old_running)), 1
    doomed = {t.id for t in state.kill_order(app, old_running)[:kill_now]}
    # Old tasks that never ran are simply replaced.
    app.tasks = [t for t in app.tasks if t.state == TASK_RUNNING and t.id not in doomed]
    launch(start_now)
