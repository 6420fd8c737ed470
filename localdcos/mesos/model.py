"""What the emulated Mesos master knows of frameworks and tasks: only what Edge-LB's selection needs
(framework names and ids, task names, ids, states, agent hostnames and DiscoveryInfo ports with their
labels)."""

from __future__ import annotations

from dataclasses import dataclass, field

TASK_STATES = frozenset(
    {
        "TASK_STAGING",
        "TASK_STARTING",
        "TASK_RUNNING",
        "TASK_KILLING",
        "TASK_FINISHED",
        "TASK_FAILED",
        "TASK_KILLED",
        "TASK_ERROR",
        "TASK_LOST",
        "TASK_DROPPED",
        "TASK_UNREACHABLE",
        "TASK_GONE",
        "TASK_GONE_BY_OPERATOR",
        "TASK_UNKNOWN",
    }
)
DEFAULT_APISERVER_HOST = "127.0.0.1"
DEFAULT_APISERVER_PORT = 6443
NETWORK_SCOPE_LABEL = "network-scope"


@dataclass(frozen=True)
class DiscoveryPort:
    number: int
    name: str
    protocol: str = "tcp"
    labels: tuple[tuple[str, str], ...] = ()

    def label(self, key: str) -> str | None:
        # Mesos labels are a list, not a map: the last occurrence wins, as in Edge-LB's scan.
        found = None
        for k, v in self.labels:
            if k == key:
                found = v
        return found


@dataclass(frozen=True)
class TaskView:
    """One Mesos task as a selector sees it (flattened with its framework and agent)."""

    framework_name: str
    framework_id: str
    task_id: str
    name: str
    state: str
    agent_id: str
    agent_hostname: str
    ports: tuple[DiscoveryPort, ...]
    container_ips: tuple[str, ...] = ()


@dataclass
class Task:
    name: str
    task_id: str
    state: str
    agent_id: str
    ports: list[DiscoveryPort]
    container_ips: list[str] = field(default_factory=list)


@dataclass
class Framework:
    name: str
    framework_id: str
    tasks: list[Task]
