"""Marathon's state as the emulation keeps it: apps with their versions and tasks, and running
deployments, plus the constants of the one emulated agent and framework."""

from __future__ import annotations

import copy
import datetime
import json
from dataclasses import dataclass, field
from typing import Any

from localdcos.common import PUBLIC_AGENT_HOST, PUBLIC_AGENT_ID, iso

TASK_STAGING = "TASK_STAGING"
TASK_RUNNING = "TASK_RUNNING"
TASK_KILLING = "TASK_KILLING"
TASK_FAILED = "TASK_FAILED"

HOST = PUBLIC_AGENT_HOST
# One emulated agent; ids look like Mesos ones so clients that parse them do not choke.
AGENT_ID = PUBLIC_AGENT_ID
FRAMEWORK_ID = "6a0e4a4e-6c6c-4c4a-9d8e-6c6f63616c64-0001"
LEADER = "127.0.0.1:8080"
HOST_PORT_MIN, HOST_PORT_MAX = 31000, 32000  # the default Mesos agent port resource
MAX_VERSIONS = 50  # Marathon's --max_versions default

# AppInfo fields (and the version stamp) a client may echo back; never part of a definition.
RUNTIME_FIELDS = (
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
    # The last time the simulation found it stalled: it cannot finish before then.
    stalled_seen: float = 0.0

    @property
    def total_steps(self) -> int:
        return max(len(a) for a in self.actions.values())


@dataclass
class Change:
    app_id: str
    target: dict[str, Any] | None  # normalized definition without version; None = delete
    restart: bool = False


def strip_runtime(definition: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in definition.items() if k not in RUNTIME_FIELDS}


def config_key(definition: dict[str, Any]) -> str:
    """What decides whether a change is a restart: everything but the runtime fields and the scale."""
    config = {k: v for k, v in definition.items() if k not in RUNTIME_FIELDS and k != "instances"}
    return json.dumps(config, sort_keys=True)


def safe_path(app_id: str) -> str:
    # Marathon task ids: the app path with "/" → "_", then "." and a UUID (TaskIdUtil).
    return "_".join(s for s in app_id.split("/") if s)


def canonical_version(raw: str) -> str:
    """A version as a client may write it (any ISO-8601 form) in the form Marathon stores it."""
    try:
        parsed = datetime.datetime.fromisoformat(raw)
    except ValueError:
        return raw
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return iso(parsed.timestamp())
