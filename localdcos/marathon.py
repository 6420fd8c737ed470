"""Marathon REST API v2 (`/service/marathon`): apps, tasks, versions and deployments (spec §1).

Time is simulated lazily: every request first advances the world to "now" (deployments progress by
wall-clock time since they were stored), so no background threads exist and the state file can be
reloaded after a restart and keep progressing.
"""

from __future__ import annotations

import copy
import datetime
import json
import math
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.routing import Match

from localdcos import marathon_defaults as defaults
from localdcos import marathon_validation as validation
from localdcos.service import SandboxOptions

TASK_STAGING = "TASK_STAGING"
TASK_RUNNING = "TASK_RUNNING"
TASK_KILLING = "TASK_KILLING"
TASK_FAILED = "TASK_FAILED"

HOST = "127.0.0.1"
# One emulated agent; ids look like Mesos ones so clients that parse them do not choke.
AGENT_ID = "6a0e4a4e-6c6c-4c4a-9d8e-6c6f63616c64-S0"
FRAMEWORK_ID = "6a0e4a4e-6c6c-4c4a-9d8e-6c6f63616c64-0001"
LEADER = "127.0.0.1:8080"
HOST_PORT_MIN, HOST_PORT_MAX = 31000, 32000  # the default Mesos agent port resource
MAX_VERSIONS = 50  # Marathon's --max_versions default

# AppInfo fields (and the version stamp) a client may echo back; never part of a definition.
_RUNTIME_FIELDS = (
    "version",
    "versionInfo",
    "tasks",
    "tasksStaged",
    "tasksRunning",
    "tasksHealthy",
    "tasksUnhealthy",
    "deployments",
    "lastTaskFailure",
    "readinessCheckResults",
    "taskStats",
)

_LOCKED_MESSAGE = (
    "App is locked by one or more deployments. Override with the option '?force=true'. "
    "View details at '/v2/deployments/<DEPLOYMENT_ID>'."
)
# The missing space after "one" is Marathon's own (TooManyRunningDeploymentsException).
_TOO_MANY_DEPLOYMENTS = (
    "Max number ({n}) of running deployments is achieved. Wait for existing deployments to complete or cancel one"
    "using force=true parameter. You can increase max deployment number by using --max_running_deployments "
    "parameter but be advised that this can have negative effects on the performance."
)


class MarathonError(Exception):
    """An error answer in Marathon's JSON shape (or an empty body)."""

    def __init__(self, status: int, body: dict[str, Any] | None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body

    def response(self) -> Response:
        if self.body is None:
            return Response(status_code=self.status)
        return JSONResponse(self.body, status_code=self.status)


def _message(status: int, message: str, **extra: Any) -> MarathonError:
    return MarathonError(status, {"message": message, **extra})


def _invalid_json(errors: validation.Errors) -> MarathonError:
    return _message(422, "Invalid JSON", details=validation.details(errors))


def _not_valid(errors: validation.Errors) -> MarathonError:
    return _message(422, "Object is not valid", details=validation.details(errors))


def _app_not_found(app_id: str, version: str | None = None) -> MarathonError:
    suffix = f" in version {version}" if version else ""
    return _message(404, f"App '{app_id}' does not exist{suffix}")


# -- time ----------------------------------------------------------------------------------------


def iso(ts: float) -> str:
    moment = datetime.datetime.fromtimestamp(ts, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _canonical_version(raw: str) -> str:
    try:
        parsed = datetime.datetime.fromisoformat(raw)
    except ValueError:
        return raw
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return iso(parsed.timestamp())


def _flag(request: Request, name: str, default: bool) -> bool:
    # Jersey's boolean params: "true" (any case) is true, anything else given is false.
    value = request.query_params.get(name)
    return default if value is None else value.strip().lower() == "true"


# -- state ---------------------------------------------------------------------------------------


@dataclass
class Task:
    id: str
    app_id: str
    version: str  # the app version the task was launched with
    config_version: str  # that version's lastConfigChangeAt: tasks of an older config get replaced
    state: str
    staged_at: float
    ports: list[int]
    service_ports: list[int]
    started_at: float | None = None


@dataclass
class App:
    definition: dict[str, Any]  # normalized, with version and versionInfo
    versions: dict[str, dict[str, Any]] = field(default_factory=dict)
    tasks: list[Task] = field(default_factory=list)
    last_task_failure: dict[str, Any] | None = None
    # Deleted but its StopApplication deployment still runs: visible to GET, gone for writes.
    deleting: bool = False

    @property
    def config_version(self) -> str:
        return str(self.definition["versionInfo"]["lastConfigChangeAt"])


@dataclass
class Deployment:
    id: str
    version: str
    started: float
    actions: dict[str, list[str]]  # app id -> its action per step
    original: dict[str, dict[str, Any] | None]  # app id -> definition before (None: did not exist)
    launches: bool  # needs new tasks to reach TASK_RUNNING (what a stall blocks)
    promoted: bool = False  # half-time passed: new tasks running, old ones not yet killed

    @property
    def total_steps(self) -> int:
        return max(len(a) for a in self.actions.values())


@dataclass
class Change:
    app_id: str
    target: dict[str, Any] | None  # normalized definition without version; None = delete
    restart: bool = False


def _strip_runtime(definition: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in definition.items() if k not in _RUNTIME_FIELDS}


def _config_key(definition: dict[str, Any]) -> str:
    config = {k: v for k, v in definition.items() if k not in _RUNTIME_FIELDS and k != "instances"}
    return json.dumps(config, sort_keys=True)


def _safe_path(app_id: str) -> str:
    # Marathon task ids: the app path with "/" → "_", then "." and a UUID (TaskIdUtil).
    return "_".join(s for s in app_id.split("/") if s)


def _label_selector(selector: str) -> Callable[[dict[str, str]], bool]:
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


class Marathon:
    """Root Marathon, as reached through Admin Router at /service/marathon."""

    name = "marathon"
    prefix = "/service/marathon"

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.apps: dict[str, App] = {}
        # Groups created implicitly by nested ids; they outlive their apps like in Marathon.
        self.groups: set[str] = set()
        self.deployments: dict[str, Deployment] = {}
        self._last_version_ms = 0

    # -- simulation -------------------------------------------------------------------------------

    def advance(self, now: float | None = None) -> None:
        """Bring deployments and tasks up to `now`."""
        now = time.time() if now is None else now
        d = max(self.options.deploy_seconds, 0.0)
        for deployment in list(self.deployments.values()):
            if self._stalled(deployment):
                continue
            if not deployment.promoted and now >= deployment.started + d / 2:
                for app_id in deployment.actions:
                    if app := self.apps.get(app_id):
                        self._promote(app, deployment.started + d / 2)
                deployment.promoted = True
            if now >= deployment.started + d:
                self._complete(deployment, now)
        busy = {app_id for dep in self.deployments.values() for app_id in dep.actions}
        for app in self.apps.values():
            # Outside deployments Marathon's scheduler still keeps `instances` tasks up (e.g. after
            # a deployment was cancelled), so converge those apps right away.
            if app.definition["id"] not in busy and not app.deleting:
                self._converge(app, now, staged=self.options.stall_deployments)
        if self.options.stall_deployments:
            self._fail_staging_tasks(now)

    def _stalled(self, deployment: Deployment) -> bool:
        return self.options.stall_deployments and deployment.launches

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
                app.tasks[index] = self._new_task(app, now, TASK_STAGING, taken=self._host_ports_in_use())

    def _promote(self, app: App, when: float) -> None:
        for task in app.tasks:
            if task.state == TASK_STAGING and task.config_version == app.config_version:
                task.state = TASK_RUNNING
                task.started_at = when

    def _complete(self, deployment: Deployment, now: float) -> None:
        self.deployments.pop(deployment.id, None)
        for app_id, actions in deployment.actions.items():
            app = self.apps.get(app_id)
            if app is None:
                continue
            if "StopApplication" in actions:
                del self.apps[app_id]
            else:
                self._converge(app, now, staged=False)

    def _converge(self, app: App, now: float, *, staged: bool) -> None:
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
            self._kill_order(app, current)[len(current) - instances :]
            if len(current) > instances
            else current
        )
        app.tasks = current
        taken = self._host_ports_in_use()
        while len(app.tasks) < instances:
            task = self._new_task(app, now, TASK_STAGING if staged else TASK_RUNNING, taken=taken)
            taken.update(task.ports)
            app.tasks.append(task)

    @staticmethod
    def _kill_order(app: App, tasks: list[Task]) -> list[Task]:
        """`tasks` sorted so the ones to kill first come first (killSelection)."""
        youngest_first = app.definition.get("killSelection", "YOUNGEST_FIRST") == "YOUNGEST_FIRST"
        return sorted(tasks, key=lambda t: t.staged_at, reverse=youngest_first)

    def _host_ports_in_use(self) -> set[int]:
        return {port for app in self.apps.values() for task in app.tasks for port in task.ports}

    def _new_task(self, app: App, now: float, state: str, *, taken: set[int]) -> Task:
        definition = app.definition
        svc_ports = defaults.service_ports(definition)
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
            id=f"{_safe_path(definition['id'])}.{uuid.uuid4()}",
            app_id=definition["id"],
            version=definition["version"],
            config_version=app.config_version,
            state=state,
            staged_at=now,
            started_at=now if state == TASK_RUNNING else None,
            ports=ports,
            service_ports=svc_ports,
        )

    # -- the write pipeline -------------------------------------------------------------------------

    def _new_version(self, now: float) -> str:
        # Versions are strictly increasing even for writes within the same millisecond.
        ms = max(int(now * 1000), self._last_version_ms + 1)
        self._last_version_ms = ms
        return iso(ms / 1000)

    def _live(self, app_id: str) -> App | None:
        app = self.apps.get(app_id)
        return None if app is None or app.deleting else app

    def _conflicts(self, app_ids: Iterable[str]) -> list[Deployment]:
        wanted = set(app_ids)
        return [d for d in self.deployments.values() if wanted & set(d.actions)]

    def _cancel(self, deployment: Deployment) -> None:
        self.deployments.pop(deployment.id, None)
        for app_id, actions in deployment.actions.items():
            app = self.apps.get(app_id)
            # The app of a cancelled stop is already gone from Marathon's root group.
            if "StopApplication" in actions and app is not None and app.deleting:
                del self.apps[app_id]

    def _check_group_clash(self, app_id: str) -> None:
        live_ids = {a for a, app in self.apps.items() if not app.deleting}
        if app_id in self.groups or any(g in live_ids for g in validation.parent_groups(app_id)):
            raise _not_valid({"/": [validation.GROUP_APP_CLASH]})

    def _plan(self, changes: list[Change], *, force: bool) -> tuple[str, str]:
        """Validate the changes against the root group, store them and their deployment.
        Returns (deployment id, version)."""
        now = time.time()
        actions: dict[str, list[str]] = {}
        original: dict[str, dict[str, Any] | None] = {}
        planned_ports: set[int] = set()
        for change in changes:
            current = self._live(change.app_id)
            if change.target is None:
                if current is not None:
                    actions[change.app_id] = ["StopApplication"]
                    original[change.app_id] = _strip_runtime(current.definition)
                continue
            if current is None:
                self._check_group_clash(change.app_id)
            previous = current or self.apps.get(change.app_id)
            taken = {
                port
                for other_id, other in self.apps.items()
                if other_id != change.app_id and not other.deleting
                for port in defaults.service_ports(other.definition)
            } | planned_ports
            try:
                defaults.assign_service_ports(change.target, previous.definition if previous else None, taken)
            except defaults.PortRangeExhausted as exc:
                raise _message(500, str(exc)) from exc
            planned_ports.update(defaults.service_ports(change.target))
            if current is None:
                actions[change.app_id] = ["StartApplication", "ScaleApplication"]
                original[change.app_id] = None
            elif change.restart or _config_key(change.target) != _config_key(current.definition):
                actions[change.app_id] = ["RestartApplication"]
            elif change.target["instances"] != current.definition["instances"]:
                actions[change.app_id] = ["ScaleApplication"]
            if current is not None and change.app_id in actions:
                original[change.app_id] = _strip_runtime(current.definition)

        conflicts = self._conflicts(actions)
        if conflicts and not force:
            raise _message(409, _LOCKED_MESSAGE, deployments=[{"id": d.id} for d in conflicts])
        for deployment in conflicts:
            self._cancel(deployment)
        if actions and len(self.deployments) >= self.options.max_running_deployments:
            raise _message(403, _TOO_MANY_DEPLOYMENTS.format(n=self.options.max_running_deployments))

        version = self._new_version(now)
        deployment_id = str(uuid.uuid4())
        if not actions:
            # Nothing changed: a fresh (empty) plan that is finished at once; versions stay put.
            return deployment_id, version
        targets = {c.app_id: c.target for c in changes}
        launches = False
        for app_id, app_actions in actions.items():
            launches |= self._apply(app_id, app_actions, targets.get(app_id), version, now)
        deployment = Deployment(
            id=deployment_id,
            version=version,
            started=now,
            actions=actions,
            original=original,
            launches=launches,
        )
        self.deployments[deployment.id] = deployment
        return deployment_id, version

    def _apply(
        self, app_id: str, actions: list[str], target: dict[str, Any] | None, version: str, now: float
    ) -> bool:
        """Store the new definition and make the deployment's first moves on the tasks. True when
        new tasks have to be launched (which a stall prevents); stopping and scaling down always work."""
        if actions == ["StopApplication"]:
            app = self.apps[app_id]
            app.deleting = True
            for task in app.tasks:
                task.state = TASK_KILLING
            return False
        assert target is not None
        existing = self.apps.get(app_id)
        if "StartApplication" in actions or existing is None:
            version_info = {"lastScalingAt": version, "lastConfigChangeAt": version}
            app = App(definition={})
            self.apps[app_id] = app
            self.groups.update(validation.parent_groups(app_id))
        else:
            app = existing
            old_info = app.definition["versionInfo"]
            if actions == ["ScaleApplication"]:
                version_info = {
                    "lastScalingAt": version,
                    "lastConfigChangeAt": old_info["lastConfigChangeAt"],
                }
            else:
                version_info = {"lastScalingAt": version, "lastConfigChangeAt": version}
        app.definition = {**copy.deepcopy(target), "version": version, "versionInfo": version_info}
        app.versions[version] = copy.deepcopy(app.definition)
        while len(app.versions) > MAX_VERSIONS:
            app.versions.pop(next(iter(app.versions)))

        instances = int(target["instances"])
        taken = self._host_ports_in_use()

        def launch(count: int) -> None:
            for _ in range(count):
                task = self._new_task(app, now, TASK_STAGING, taken=taken)
                taken.update(task.ports)
                app.tasks.append(task)

        if "StartApplication" in actions:
            app.tasks = []
            launch(instances)
            return instances > 0
        if actions == ["ScaleApplication"]:
            current = [t for t in app.tasks if t.state in (TASK_RUNNING, TASK_STAGING)]
            if len(current) > instances:
                doomed = {t.id for t in self._kill_order(app, current)[: len(current) - instances]}
                app.tasks = [t for t in app.tasks if t.id not in doomed]
                return False
            launch(instances - len(current))
            return instances > len(current)
        self._start_restart(app, instances, launch)
        return instances > 0

    def _start_restart(self, app: App, instances: int, launch: Callable[[int], None]) -> None:
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
        doomed = {t.id for t in self._kill_order(app, old_running)[:kill_now]}
        # Old tasks that never ran are simply replaced.
        app.tasks = [t for t in app.tasks if t.state == TASK_RUNNING and t.id not in doomed]
        launch(start_now)

    # -- views --------------------------------------------------------------------------------------

    def _task_json(self, app: App, task: Task) -> dict[str, Any]:
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
                    "instanceId": f"{_safe_path(task.app_id)}.marathon-{task.id.rsplit('.', 1)[-1]}",
                }
                for _ in app.definition["healthChecks"]
            ]
        return result

    def _counts(self, app: App) -> dict[str, int]:
        running = sum(1 for t in app.tasks if t.state == TASK_RUNNING)
        return {
            "tasksStaged": sum(1 for t in app.tasks if t.state == TASK_STAGING),
            "tasksRunning": running,
            # Without health checks Marathon counts no task as healthy.
            "tasksHealthy": running if app.definition.get("healthChecks") else 0,
            "tasksUnhealthy": 0,
        }

    def _app_deployments(self, app_id: str) -> list[dict[str, str]]:
        return [{"id": d.id} for d in self.deployments.values() if app_id in d.actions]

    def _app_info(self, app: App, *, tasks: bool, failure: bool) -> dict[str, Any]:
        info = copy.deepcopy(app.definition)
        info.update(self._counts(app))
        info["deployments"] = self._app_deployments(app.definition["id"])
        if tasks:
            info["tasks"] = [self._task_json(app, t) for t in app.tasks]
        if failure and app.last_task_failure is not None:
            info["lastTaskFailure"] = copy.deepcopy(app.last_task_failure)
        return info

    def _deployment_json(self, deployment: Deployment, now: float) -> dict[str, Any]:
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
        if self._stalled(deployment):
            current = total
        else:
            elapsed = (now - deployment.started) / max(self.options.deploy_seconds, 1e-9)
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

    # -- request helpers ----------------------------------------------------------------------------

    @staticmethod
    async def _json_body(request: Request) -> Any:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise _message(415, "Unsupported Media Type")
        raw = await request.body()
        source = "[Source: (org.eclipse.jetty.server.HttpInputOverHTTP); line: {line}, column: {column}]"
        if not raw.strip():
            raise _message(
                400,
                "Please specify data in JSON format",
                details="No content to map due to end-of-input\n at " + source.format(line=1, column=0),
            )
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except UnicodeDecodeError as exc:
            raise _message(400, "Invalid JSON", details=f"Invalid UTF-8 start byte at {exc.start}") from exc
        except json.JSONDecodeError as exc:
            details = f"{exc.msg}\n at " + source.format(line=exc.lineno, column=exc.colno)
            raise _message(400, "Invalid JSON", details=details) from exc

    def _normalize_new(self, body: dict[str, Any], app_id: str) -> dict[str, Any]:
        raw = {k: v for k, v in body.items() if k not in _RUNTIME_FIELDS}
        return defaults.normalize_app(raw, app_id, self.options.marathon_version)

    def _validate(self, target: dict[str, Any]) -> None:
        role = defaults.DEFAULT_ROLE if defaults.has_role_field(self.options.marathon_version) else None
        errors = validation.semantic_errors(target, default_role=role)
        if errors:
            raise _not_valid(errors)

    def _update_target(self, app_id: str, body: dict[str, Any], partial: bool) -> dict[str, Any]:
        """The normalized definition a PUT/PATCH body asks for (§1.10)."""
        current = self._live(app_id)
        if partial and body.get("version") is not None:
            # Rollback: the rest of the body is ignored.
            version = _canonical_version(str(body["version"]))
            stored = current.versions.get(version) if current else None
            if stored is None:
                raise _app_not_found(app_id, version)
            return _strip_runtime(stored)
        if partial and current is not None:
            merged = _strip_runtime(current.definition)
            for key, value in body.items():
                if key in _RUNTIME_FIELDS or key == "id" or value is None:
                    continue
                merged[key] = copy.deepcopy(value)
            # cmd and args exclude each other: setting one drops the other.
            if body.get("cmd") and body.get("args") is None:
                merged.pop("args", None)
            if body.get("args") and body.get("cmd") is None:
                merged.pop("cmd", None)
            # Deprecated fields in the update replace what they were migrated to.
            if body.get("ports") is not None and body.get("portDefinitions") is None:
                merged.pop("portDefinitions", None)
            if body.get("uris") is not None and body.get("fetch") is None:
                merged.pop("fetch", None)
            if body.get("ipAddress") is not None and body.get("networks") is None:
                merged.pop("networks", None)
            return defaults.normalize_app(merged, app_id, self.options.marathon_version)
        return self._normalize_new(body, app_id)

    def _path_app_id(self, request: Request) -> str:
        return validation.normalize_id(str(request.path_params.get("app_id", "")))

    def _check_path_id(self, app_id: str) -> None:
        problems = validation.id_errors(app_id)
        if problems:
            raise _not_valid({"/id": problems})

    @staticmethod
    def _written(
        deployment_id: str, version: str, status: int = 200, location: str | None = None
    ) -> Response:
        headers = {"Marathon-Deployment-Id": deployment_id}
        if location is not None:
            headers["Location"] = location
        return JSONResponse(
            {"deploymentId": deployment_id, "version": version}, status_code=status, headers=headers
        )

    # -- endpoints ----------------------------------------------------------------------------------

    async def _list_apps(self, request: Request) -> Response:
        query = request.query_params
        embed = set(query.getlist("embed"))
        id_filter = (query.get("id") or "").lower()
        cmd_filter = query.get("cmd") or ""
        selector = _label_selector(query["label"]) if query.get("label") else None
        apps = []
        for app_id in sorted(self.apps):
            app = self.apps[app_id]
            if id_filter and id_filter not in app_id.lower():
                continue
            if cmd_filter and cmd_filter not in str(app.definition.get("cmd", "")):
                continue
            if selector is not None and not selector(app.definition.get("labels", {})):
                continue
            apps.append(
                self._app_info(
                    app,
                    tasks="apps.tasks" in embed,
                    failure=bool({"apps.lastTaskFailure", "apps.failures"} & embed),
                )
            )
        return JSONResponse({"apps": apps})

    async def _create_app(self, request: Request) -> Response:
        force = _flag(request, "force", False)
        body = await self._json_body(request)
        errors = validation.raml_errors(body, require_id=True)
        if errors:
            raise _invalid_json(errors)
        app_id = validation.normalize_id(body["id"])
        target = self._normalize_new(body, app_id)
        self._validate(target)
        if self._live(app_id) is not None:
            raise _message(409, f"An app with id [{app_id}] already exists.")
        # The answer is built before service ports are assigned (§1.3), so it still shows 0.
        answer = copy.deepcopy(target)
        deployment_id, version = self._plan([Change(app_id, target)], force=force)
        answer.update(
            {"version": version, "tasksStaged": 0, "tasksRunning": 0, "tasksHealthy": 0, "tasksUnhealthy": 0}
        )
        answer["tasks"] = []
        answer["deployments"] = [{"id": deployment_id}]
        return JSONResponse(
            answer, status_code=201, headers={"Location": app_id, "Marathon-Deployment-Id": deployment_id}
        )

    async def _update_apps(self, request: Request) -> Response:
        """PUT/PATCH /v2/apps: several apps in one deployment."""
        force = _flag(request, "force", False)
        partial = request.method == "PATCH" or _flag(request, "partialUpdate", True)
        body = await self._json_body(request)
        if not isinstance(body, list):
            raise _invalid_json({"/": ["error.expected.jsarray"]})
        errors: validation.Errors = {}
        for index, item in enumerate(body):
            for path, codes in validation.raml_errors(item, require_id=False).items():
                errors[f"({index}){'' if path == '/' else path}"] = codes
        if errors:
            raise _invalid_json(errors)
        changes = []
        for item in body:
            if not item.get("id"):
                raise _message(422, "App Update must have app id set")
            app_id = validation.normalize_id(item["id"])
            self._check_path_id(app_id)
            if request.method == "PATCH" and self._live(app_id) is None:
                raise _app_not_found(app_id)
            target = self._update_target(app_id, item, partial)
            self._validate(target)
            changes.append(Change(app_id, target))
        deployment_id, version = self._plan(changes, force=force)
        return self._written(deployment_id, version)

    async def _get_app(self, request: Request) -> Response:
        raw_id = str(request.path_params.get("app_id", ""))
        if raw_id in ("", "/"):
            return await self._list_apps(request)
        if raw_id == "*" or (raw_id.endswith("*") and raw_id.rstrip("*").endswith("/")):
            group = validation.normalize_id(raw_id.rstrip("*"))
            if group != "/" and group not in self.groups:
                raise _message(404, f"Group '{group}' does not exist")
            prefix = group.rstrip("/") + "/"
            members = [self.apps[a] for a in sorted(self.apps) if a.startswith(prefix)]
            return JSONResponse({"*": [self._app_info(a, tasks=True, failure=True) for a in members]})
        app_id = validation.normalize_id(raw_id)
        app = self.apps.get(app_id)
        if app is None:
            raise _app_not_found(app_id)
        return JSONResponse({"app": self._app_info(app, tasks=True, failure=True)})

    async def _put_app(self, request: Request) -> Response:
        force = _flag(request, "force", False)
        partial = request.method == "PATCH" or _flag(request, "partialUpdate", True)
        body = await self._json_body(request)
        if not isinstance(body, dict):
            raise _invalid_json({"/": ["error.expected.jsobject"]})
        errors = validation.raml_errors(body, require_id=False)
        if errors:
            raise _invalid_json(errors)
        app_id = self._path_app_id(request)
        self._check_path_id(app_id)
        exists = self._live(app_id) is not None
        if request.method == "PATCH" and not exists:
            raise _app_not_found(app_id)
        target = self._update_target(app_id, body, partial)
        self._validate(target)
        deployment_id, version = self._plan([Change(app_id, target)], force=force)
        if exists:
            return self._written(deployment_id, version)
        return self._written(deployment_id, version, status=201, location=app_id)

    async def _delete_app(self, request: Request) -> Response:
        # DELETE is forced by default, so it never meets the lock (§1.3).
        force = _flag(request, "force", True)
        app_id = self._path_app_id(request)
        if self._live(app_id) is None:
            raise _app_not_found(app_id)
        deployment_id, version = self._plan([Change(app_id, None)], force=force)
        return self._written(deployment_id, version)

    async def _restart_app(self, request: Request) -> Response:
        force = _flag(request, "force", False)
        app_id = self._path_app_id(request)
        app = self._live(app_id)
        if app is None:
            raise _app_not_found(app_id)
        change = Change(app_id, _strip_runtime(app.definition), restart=True)
        deployment_id, version = self._plan([change], force=force)
        return self._written(deployment_id, version)

    async def _app_tasks(self, request: Request) -> Response:
        app_id = self._path_app_id(request)
        app = self.apps.get(app_id)
        if app is None:
            raise _app_not_found(app_id)
        return JSONResponse({"tasks": [self._task_json(app, t) for t in app.tasks]})

    async def _app_versions(self, request: Request) -> Response:
        app_id = self._path_app_id(request)
        app = self.apps.get(app_id)
        if app is None:
            raise _app_not_found(app_id)
        return JSONResponse({"versions": sorted(app.versions, reverse=True)})

    async def _app_version(self, request: Request) -> Response:
        app_id = self._path_app_id(request)
        version = _canonical_version(str(request.path_params["version"]))
        app = self.apps.get(app_id)
        if app is None:
            raise _app_not_found(app_id)
        stored = app.versions.get(version)
        if stored is None:
            raise _app_not_found(app_id, version)
        return JSONResponse(copy.deepcopy(stored))

    async def _list_deployments(self, request: Request) -> Response:
        now = time.time()
        return JSONResponse([self._deployment_json(d, now) for d in self.deployments.values()])

    async def _delete_deployment(self, request: Request) -> Response:
        deployment_id = str(request.path_params["deployment_id"])
        deployment = self.deployments.get(deployment_id)
        if deployment is None:
            raise _message(404, f"DeploymentPlan {deployment_id} does not exist")
        if _flag(request, "force", False):
            # Just abandoned: whatever the deployment achieved so far stays.
            self._cancel(deployment)
            return Response(status_code=202)
        self._cancel(deployment)
        changes = []
        for app_id, before in deployment.original.items():
            if before is not None:
                changes.append(Change(app_id, copy.deepcopy(before)))
            elif self._live(app_id) is not None:
                changes.append(Change(app_id, None))
        deployment_id, version = self._plan(changes, force=True)
        return self._written(deployment_id, version)

    async def _info(self, request: Request) -> Response:
        version = self.options.marathon_version
        return JSONResponse(
            {
                "name": "marathon",
                "version": version,
                "buildref": "localdcos",
                "elected": self.options.leader,
                "leader": LEADER if self.options.leader else None,
                "frameworkId": FRAMEWORK_ID,
                "marathon_config": {
                    "master": "zk://zk-1.zk:2181,zk-2.zk:2181,zk-3.zk:2181/mesos",
                    "framework_name": "marathon",
                    "hostname": HOST,
                    "http_port": 8080,
                    "https_port": 8443,
                    "local_port_min": defaults.LOCAL_PORT_MIN,
                    "local_port_max": defaults.LOCAL_PORT_MAX,
                    "max_instances_per_offer": 100,
                    "mesos_role": defaults.DEFAULT_ROLE,
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
        )

    async def _leader(self, request: Request) -> Response:
        if not self.options.leader:
            raise _message(404, "There is no leader")
        return JSONResponse({"leader": LEADER})

    async def _abdicate(self, request: Request) -> Response:
        # Another master takes over at once; to clients nothing changes.
        return JSONResponse({"message": "Leadership abdicated"})

    async def _ping(self, request: Request) -> Response:
        return PlainTextResponse("pong")

    # -- wiring -------------------------------------------------------------------------------------

    def router(self) -> APIRouter:
        router = APIRouter()
        routes: list[tuple[str, list[str], Callable[[Request], Awaitable[Response]]]] = [
            ("/v2/apps", ["GET"], self._list_apps),
            ("/v2/apps", ["POST"], self._create_app),
            ("/v2/apps", ["PUT", "PATCH"], self._update_apps),
            ("/v2/apps/{app_id:path}/restart", ["POST"], self._restart_app),
            ("/v2/apps/{app_id:path}/tasks", ["GET"], self._app_tasks),
            ("/v2/apps/{app_id:path}/versions/{version}", ["GET"], self._app_version),
            ("/v2/apps/{app_id:path}/versions", ["GET"], self._app_versions),
            ("/v2/apps/{app_id:path}", ["GET"], self._get_app),
            ("/v2/apps/{app_id:path}", ["PUT", "PATCH"], self._put_app),
            ("/v2/apps/{app_id:path}", ["DELETE"], self._delete_app),
            ("/v2/deployments", ["GET"], self._list_deployments),
            ("/v2/deployments/{deployment_id}", ["DELETE"], self._delete_deployment),
            ("/v2/info", ["GET"], self._info),
            ("/v2/leader", ["GET"], self._leader),
            ("/v2/leader", ["DELETE"], self._abdicate),
            ("/ping", ["GET"], self._ping),
        ]
        for path, methods, handler in routes:
            router.add_api_route(path, self._endpoint(handler), methods=methods, include_in_schema=False)
        known = list(router.routes)

        async def unmatched(request: Request) -> Response:
            # A path Marathon knows under another method is a 405 in Jersey, anything else a 404.
            scope = {**request.scope, "path": request.url.path.removeprefix(self.prefix)}
            scope.pop("root_path", None)
            if any(route.matches(scope)[0] == Match.PARTIAL for route in known):
                return JSONResponse({"message": "HTTP 405 Method Not Allowed"}, status_code=405)
            return JSONResponse({"message": "URI not found"}, status_code=404)

        router.add_api_route(
            "/{rest:path}",
            unmatched,
            methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
            include_in_schema=False,
        )
        return router

    def _endpoint(
        self, handler: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            self.advance()
            try:
                return await handler(request)
            except MarathonError as error:
                return error.response()

        return endpoint

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
            "lastVersionMs": self._last_version_ms,
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
        self._last_version_ms = int(data.get("lastVersionMs", 0))


def _reject_constant(name: str) -> Any:
    # Jackson refuses NaN/Infinity; Python's json would accept them.
    raise json.JSONDecodeError(f"Non-standard token '{name}'", name, 0)
