"""Which servers a pool backend's services select from the Mesos tasks.

Selection follows Edge-LB (1.0.2+, where the `*Pattern` selectors work): only TASK_RUNNING tasks,
`*Pattern` fields are unanchored regex searches, plain fields are string equality, tasks are
taken in task-id order and DiscoveryInfo ports are picked by name (or all, or overridden by a
fixed port).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from localdcos.edgelb.model import Service
from localdcos.mesos import NETWORK_SCOPE_LABEL, TaskView


@dataclass(frozen=True)
class Server:
    kind: str  # "agentip" | "containerip" | "address"
    host: str
    port: int

    @property
    def name(self) -> str:
        return f"{self.kind}_{self.host}_{self.port}"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def _matches(value: str, exact: str, pattern: str) -> bool:
    """A selector field pair: the pattern wins when set; an unset pair matches everything."""
    if pattern:
        try:
            return re.search(pattern, value) is not None
        except re.error:
            # Go would fail the whole render; matching nothing keeps the rest of the pool usable.
            return False
    if exact:
        return value == exact
    return True


def marathon_ids(task_id: str) -> tuple[str, str]:
    """(Marathon service id, pod container name) encoded in a Marathon task id.

    Apps: "group_app.<uuid>" -> "/group/app"; pods: "group_pod.instance-<uuid>.<container>".
    """
    parts = task_id.split(".")
    if len(parts) < 2:
        return "", ""
    container = parts[2] if len(parts) == 3 else ""
    return "/" + "/".join(parts[0].split("_")), container


def select_tasks(service: Service, tasks: Iterable[TaskView]) -> list[TaskView]:
    """The RUNNING tasks a service selector picks, in task-id order."""
    m, s = service.marathon, service.mesos
    # A Marathon selector implies the framework named "marathon".
    framework_name = "marathon" if (m.service_id or m.service_id_pattern) else s.framework_name
    picked: list[TaskView] = []
    for t in tasks:
        service_id, container = marathon_ids(t.task_id)
        if not (
            _matches(service_id, m.service_id, m.service_id_pattern)
            and _matches(container, m.container_name, m.container_name_pattern)
            and _matches(t.name, s.task_name, s.task_name_pattern)
            and _matches(t.task_id, s.task_id, s.task_id_pattern)
            and _matches(t.framework_name, framework_name, s.framework_name_pattern)
            and _matches(t.framework_id, s.framework_id, s.framework_id_pattern)
        ):
            continue
        if t.state == "TASK_RUNNING":
            picked.append(t)
    return sorted(picked, key=lambda t: t.task_id)


def select_servers(service: Service, tasks: Iterable[TaskView]) -> list[Server]:
    ep = service.endpoint
    if ep.type == "ADDRESS":
        return [Server("address", ep.address, ep.port)]
    servers: list[Server] = []
    for t in select_tasks(service, tasks):
        for port in t.ports:
            if ep.port > 0:
                number = ep.port
            elif ep.all_ports or port.name == ep.port_name:
                number = port.number
            else:
                continue
            scope = port.label(NETWORK_SCOPE_LABEL) or "host"
            # Host scope wins over the requested type, as in Edge-LB.
            if scope == "host" or ep.type == "AGENT_IP":
                servers.append(Server("agentip", t.agent_hostname, number))
            elif scope == "container" or ep.type == "CONTAINER_IP":
                servers.extend(Server("containerip", ip, number) for ip in t.container_ips)
    return servers
