"""Marathon's world and how it moves: apps, groups, deployments and their tasks over time.

Time is simulated lazily: every request first advances the world to "now" (deployments progress by
wall-clock time since they were stored), so no background threads exist and the state file can be
reloaded after a restart and keep progressing. A deployment promotes its new tasks to TASK_RUNNING
at half of `deploy_seconds` and completes (killing what it replaces) at the end, unless
`stall_deployments` keeps its launches staging.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from dataclasses import asdict
from typing import Any

from localdcos.common import iso
from localdcos.core.options import SandboxOptions
from localdcos.marathon import normalize
from localdcos.marathon.model import (
    AGENT_ID,
    HOST,
    HOST_PORT_MIN,
    TASK_FAILED,
    TASK_RUNNING,
    TASK_STAGING,
    App,
    Deployment,
    Task,
    safe_path,
)

HISTORY_SIZE = 10_000


class MarathonState:
    """Root Marathon's apps, groups and running deployments."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.apps: dict[str, App] = {}
        # Groups created implicitly by nested ids; they outlive their apps like in Marathon.
        self.groups: set[str] = set()
        self.deployments: dict[str, Deployment] = {}
        self.last_version_ms = 0
        # Deployments that left /v2/deployments, oldest first (memory only; see record_finished).
        self.history: deque[dict[str, Any]] = deque(maxlen=HISTORY_SIZE)

    def live(self, app_id: str) -> App | None:
        """The app as writes see it (an app being deleted is gone already)."""
        app = self.apps.get(app_id)
        return None if app is None or app.deleting else app

    def stalled(self, deployment: Deployment) -> bool:
        return self.options.stall_deployments and deployment.launches

    # -- time ---------------------------------------------------------------------------------------

    def advance(self, now: float | None = None) -> None:
        """Bring deployments and tasks up to `now`."""
        now = time.time() if now is None else now
        d = max(self.options.deploy_seconds, 0.0)
        for deployment in list(self.deployments.values()):
            if self.stalled(deployment):
                deployment.stalled_seen = now
                continue
            if not deployment.promoted and now >= deployment.started + d / 2:
                for app_id in deployment.actions:
                    if app := self.apps.get(app_id):
                        self._promote(app, deployment.started + d / 2)
                deployment.promoted = True
            if now >= max(deployment.started + d, deployment.stalled_seen):
                self._complete(deployment, now)
        busy = {app_id for dep in self.deployments.values() for app_id in dep.actions}
        for app in self.apps.values():
            # Outside deployments Marathon's scheduler still keeps `instances` tasks up (e.g. after
            # a deployment was cancelled), so converge those apps right away.
            if app.definition["id"] not in busy and not app.deleting:
                self.converge(app, now, staged=self.options.stall_deployments)
        if self.options.stall_deployments:
            self._fail_staging_tasks(now)

    def due_transitions(self, now: float) -> list[float]:
        """When running deployments promote or finish, where that is already past `now`: the moments
        an observer that looks only now and then must step through to see every task change."""
        d = max(self.options.deploy_seconds, 0.0)
        times = []
        for deployment in self.deployments.values():
            if self.stalled(deployment):
                continue
            if not deployment.promoted:
                times.append(deployment.started + d / 2)
            times.append(deployment.started + d)
        return sorted(t for t in times if t < now)

    def _fail_staging_tasks(self, now: float) -> None:
        """Stalled launches: each staging task fails after a while and Marathon retries it."""
        fail_after = max(self.options.deploy_seconds / 2, 0.05)
        for app in self.apps.values():
            for index, task in enumerate(app.tasks):
                if task.state != TASK_STAGING or now < task.staged_at + fail_after:
                    continue
                app.last_task_failure = {
                    "appId": app.definition["id"],
                    "host": HOST,
                    "message": self.options.stall_failure_message,
                    "state": TASK_FAILED,
                    "taskId": task.id,
                    "timestamp": iso(now),
                    "version": task.version,
                    "slaveId": AGENT_ID,
                }
                app.tasks[index] = self.new_task(app, now, TASK_STAGING, taken=self.host_ports_in_use())

    def _promote(self, app: App, when: float) -> None:
        for task in app.tasks:
            if task.state == TASK_STAGING and task.config_version == app.config_version:
                task.state = TASK_RUNNING
                task.started_at = when

    def record_finished(self, deployment: Deployment, finished: float, outcome: str) -> None:
        """Note when `deployment` left /v2/deployments: `success` (its plan ran through),
        `cancelled` (DELETE /v2/deployments) or `superseded` (a forced change took its apps)."""
        self.history.append(
            {
                "id": deployment.id,
                "version": deployment.version,
                "affectedApps": sorted(deployment.actions),
                "created": deployment.started,
                "finished": finished,
                "outcome": outcome,
            }
        )

    def _complete(self, deployment: Deployment, now: float) -> None:
        self.deployments.pop(deployment.id, None)
        # When the simulated plan ended, not when a request happened to look.
        d = max(self.options.deploy_seconds, 0.0)
        self.record_finished(
            deployment, min(now, max(deployment.started + d, deployment.stalled_seen)), "success"
        )
        for app_id, actions in deployment.actions.items():
            app = self.apps.get(app_id)
            if app is None:
                continue
            if "StopApplication" in actions:
                del self.apps[app_id]
            else:
                self.converge(app, now, staged=False)

    def converge(self, app: App, now: float, *, staged: bool) -> None:
        """Leave exactly `instances` tasks of the current config (running, or staging when stalled)."""
        instances = int(app.definition["instances"])
        current = [
            t
            for t in app.tasks
            if t.config_version == app.config_version and t.state in (TASK_RUNNING, TASK_STAGING)
        ]
        if not staged:
            for task in current:
                if task.state == TASK_STAGING:
                    task.state, task.started_at = TASK_RUNNING, now
        if len(current) == instances and len(current) == len(app.tasks):
            return
        current = (
            self.kill_order(app, current)[len(current) - instances :] if len(current) > instances else current
        )
        app.tasks = current
        taken = self.host_ports_in_use()
        while len(app.tasks) < instances:
            task = self.new_task(app, now, TASK_STAGING if staged else TASK_RUNNING, taken=taken)
            taken.update(task.ports)
            app.tasks.append(task)

    # -- tasks --------------------------------------------------------------------------------------

    @staticmethod
    def kill_order(app: App, tasks: list[Task]) -> list[Task]:
        """`tasks` sorted so the ones to kill first come first (killSelection)."""
        youngest_first = app.definition.get("killSelection", "YOUNGEST_FIRST") == "YOUNGEST_FIRST"
        return sorted(tasks, key=lambda t: t.staged_at, reverse=youngest_first)

    def host_ports_in_use(self) -> set[int]:
        return {port for app in self.apps.values() for task in app.tasks for port in task.ports}

    def new_task(self, app: App, now: float, state: str, *, taken: set[int]) -> Task:
        definition = app.definition
        svc_ports = normalize.service_ports(definition)
        if definition.get("requirePorts"):
            ports = list(svc_ports)
        elif "portDefinitions" in definition or any(
            n.get("mode") == "container/bridge" for n in definition.get("networks", [])
        ):
            ports = []
            candidate = HOST_PORT_MIN
            for _ in svc_ports:
                while candidate in taken or candidate in ports:
                    candidate += 1
                ports.append(candidate)
        else:
            ports = []
        return Task(
            id=f"{safe_path(definition['id'])}.{uuid.uuid4()}",
            app_id=definition["id"],
            version=definition["version"],
            config_version=app.config_version,
            state=state,
            staged_at=now,
            started_at=now if state == TASK_RUNNING else None,
            ports=ports,
            service_ports=svc_ports,
        )

    # -- persistence --------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return {
            "apps": {
                app_id: {
                    "definition": app.definition,
                    "versions": app.versions,
                    "tasks": [asdict(t) for t in app.tasks],
                    "lastTaskFailure": app.last_task_failure,
                    "deleting": app.deleting,
                }
                for app_id, app in self.apps.items()
            },
            "groups": sorted(self.groups),
            "deployments": [asdict(d) for d in self.deployments.values()],
            "lastVersionMs": self.last_version_ms,
        }

    def restore(self, data: dict[str, Any]) -> None:
        self.apps = {
            app_id: App(
                definition=raw["definition"],
                versions=raw.get("versions", {}),
                tasks=[Task(**t) for t in raw.get("tasks", [])],
                last_task_failure=raw.get("lastTaskFailure"),
                deleting=bool(raw.get("deleting", False)),
            )
            for app_id, raw in data.get("apps", {}).items()
        }
        self.groups = set(data.get("groups", []))
        self.deployments = {d["id"]: Deployment(**d) for d in data.get("deployments", [])}
        self.last_version_ms = int(data.get("lastVersionMs", 0))
