"""The emulated Mesos master's registry: one framework per kubernetes-cluster service, with its
tasks and the agents they run on. Which clusters exist follows `options.clusters` on every access, so
`PATCH /_localdcos/control` and the control methods below stay in agreement."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from localdcos.core.options import SandboxOptions
from localdcos.mesos.model import (
    DEFAULT_APISERVER_HOST,
    DEFAULT_APISERVER_PORT,
    NETWORK_SCOPE_LABEL,
    TASK_STATES,
    DiscoveryPort,
    Framework,
    Task,
    TaskView,
)


def task_id_prefix(service_name: str) -> str:
    # SDK task ids replace the folder separator with dots (dev/kubernetes01 -> dev.kubernetes01).
    return service_name.strip("/").replace("/", ".")


def _new_task(service: str, task_name: str, agent_id: str, ports: list[DiscoveryPort]) -> Task:
    return Task(
        name=task_name,
        task_id=f"{task_id_prefix(service)}__{task_name}__{uuid.uuid4()}",
        state="TASK_RUNNING",
        agent_id=agent_id,
        ports=ports,
    )


def _host_label() -> tuple[tuple[str, str], ...]:
    return ((NETWORK_SCOPE_LABEL, "host"),)


class MesosRegistry:
    """Registry of Mesos frameworks (one per kubernetes-cluster service) and their tasks."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self._lock = threading.RLock()
        self._frameworks: dict[str, Framework] = {}
        # agent id -> hostname; agents outlive frameworks like real Mesos agents do.
        self._agents: dict[str, str] = {}
        self._cluster_id = str(uuid.uuid4())
        self._framework_seq = 0
        # Where a cluster's apiserver sits unless told otherwise (see place_apiservers).
        self._placement: tuple[Callable[[str], str], int] | None = None
        self._sync()

    # -- registry -----------------------------------------------------------------------------------

    def _agent_for(self, hostname: str) -> str:
        for agent_id, host in self._agents.items():
            if host == hostname:
                return agent_id
        agent_id = f"{self._cluster_id}-S{len(self._agents)}"
        self._agents[agent_id] = hostname
        return agent_id

    def _build_cluster(
        self, service: str, control_planes: int, apiserver_host: str, apiserver_port: int
    ) -> Framework:
        tasks: list[Task] = []
        for i in range(control_planes):
            # HA control planes live on distinct agents; distinct loopback addresses keep the
            # rendered server names unique, as distinct agent hostnames do on a real cluster.
            host = apiserver_host if i == 0 else _nth_loopback(apiserver_host, i)
            agent = self._agent_for(host)
            ports = [
                DiscoveryPort(apiserver_port, "apiserver", labels=_host_label()),
                DiscoveryPort(10259, "scheduler", labels=_host_label()),
            ]
            tasks.append(_new_task(service, f"kube-control-plane-{i}-instance", agent, ports))
        first_agent = self._agent_for(apiserver_host)
        tasks.append(
            _new_task(
                service,
                "etcd-0-peer",
                first_agent,
                [
                    DiscoveryPort(2379, "client", labels=_host_label()),
                    DiscoveryPort(2380, "peer", labels=_host_label()),
                ],
            )
        )
        tasks.append(
            _new_task(
                service,
                "kube-node-0-kubelet",
                first_agent,
                [DiscoveryPort(10250, "kubelet", labels=_host_label())],
            )
        )
        self._framework_seq += 1
        return Framework(
            name=service, framework_id=f"{self._cluster_id}-{self._framework_seq:04d}", tasks=tasks
        )

    def _default_apiserver(self, cluster: str) -> tuple[str, int]:
        if self._placement is None:
            return DEFAULT_APISERVER_HOST, DEFAULT_APISERVER_PORT
        host_for, port = self._placement
        return host_for(cluster), port

    def place_apiservers(self, host_for: Callable[[str], str], port: int) -> None:
        """Put every cluster's apiserver (now and for clusters added later without explicit
        endpoints) at `host_for(cluster):port`, where the sandbox runs one (--haproxy)."""
        with self._lock:
            self._sync()
            self._placement = (host_for, port)
            for name, fw in list(self._frameworks.items()):
                host = host_for(name)
                first = next((t for t in fw.tasks if t.name == "kube-control-plane-0-instance"), None)
                if (
                    first is not None
                    and self._agents.get(first.agent_id) == host
                    and any(p.name == "apiserver" and p.number == port for p in first.ports)
                ):
                    continue
                planes = sum(1 for t in fw.tasks if t.name.startswith("kube-control-plane-"))
                self._frameworks[name] = self._build_cluster(name, max(planes, 1), host, port)

    def _sync(self) -> None:
        """Make the registry follow `options.clusters` (read live: the control API may edit it)."""
        with self._lock:
            # Framework names never carry the leading slash a Marathon id would.
            wanted = [c.strip("/") for c in self.options.clusters if c.strip("/")]
            for gone in [n for n in self._frameworks if n not in wanted]:
                del self._frameworks[gone]
            for cluster in wanted:
                if cluster not in self._frameworks:
                    self._frameworks[cluster] = self._build_cluster(
                        cluster, 1, *self._default_apiserver(cluster)
                    )

    def add_cluster(
        self,
        name: str,
        *,
        control_planes: int = 1,
        apiserver_host: str | None = None,
        apiserver_port: int | None = None,
    ) -> None:
        """Register (or re-register with new endpoints) a kubernetes-cluster framework; endpoints
        left out default to 127.0.0.1:6443, or to where place_apiservers() put apiservers."""
        name = name.strip("/")
        if not name:
            raise ValueError("cluster name must not be empty")
        if control_planes < 1:
            raise ValueError("control_planes must be >= 1")
        with self._lock:
            self._sync()
            default_host, default_port = self._default_apiserver(name)
            self._frameworks[name] = self._build_cluster(
                name,
                control_planes,
                default_host if apiserver_host is None else apiserver_host,
                default_port if apiserver_port is None else apiserver_port,
            )
            if name not in self.options.clusters:
                self.options.clusters.append(name)

    def remove_cluster(self, name: str) -> bool:
        name = name.strip("/")
        with self._lock:
            self._sync()
            existed = name in self._frameworks
            self._frameworks.pop(name, None)
            self.options.clusters[:] = [c for c in self.options.clusters if c != name]
            return existed

    def set_task_state(self, framework: str, task_name: str, state: str) -> int:
        """Set the state of every task of `framework` named `task_name`; returns how many."""
        if state not in TASK_STATES:
            raise ValueError(f"unknown task state {state!r}")
        with self._lock:
            self._sync()
            fw = self._frameworks.get(framework.strip("/"))
            if fw is None:
                raise KeyError(framework)
            hits = [t for t in fw.tasks if t.name == task_name]
            for t in hits:
                t.state = state
            return len(hits)

    def tasks(self) -> list[TaskView]:
        """Every task of every framework, in any state (selection filters on state itself)."""
        with self._lock:
            self._sync()
            return [
                TaskView(
                    framework_name=fw.name,
                    framework_id=fw.framework_id,
                    task_id=t.task_id,
                    name=t.name,
                    state=t.state,
                    agent_id=t.agent_id,
                    agent_hostname=self._agents.get(t.agent_id, ""),
                    ports=tuple(t.ports),
                    container_ips=tuple(t.container_ips),
                )
                for fw in self._frameworks.values()
                for t in fw.tasks
            ]

    def clusters(self) -> list[str]:
        with self._lock:
            self._sync()
            return list(self._frameworks)

    def frameworks(self) -> list[Framework]:
        with self._lock:
            self._sync()
            return list(self._frameworks.values())

    def agents(self) -> dict[str, str]:
        """Agent id -> hostname."""
        with self._lock:
            return dict(self._agents)

    # -- persistence --------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            self._sync()
            return {
                "clusterId": self._cluster_id,
                "frameworkSeq": self._framework_seq,
                "agents": dict(self._agents),
                "frameworks": [
                    {
                        "name": fw.name,
                        "id": fw.framework_id,
                        "tasks": [
                            {
                                "name": t.name,
                                "id": t.task_id,
                                "state": t.state,
                                "agentId": t.agent_id,
                                "containerIps": list(t.container_ips),
                                "ports": [
                                    {
                                        "number": p.number,
                                        "name": p.name,
                                        "protocol": p.protocol,
                                        "labels": [[k, v] for k, v in p.labels],
                                    }
                                    for p in t.ports
                                ],
                            }
                            for t in fw.tasks
                        ],
                    }
                    for fw in self._frameworks.values()
                ],
            }

    def restore(self, data: dict[str, Any]) -> None:
        """Load a snapshot; the restored cluster list becomes `options.clusters` (state wins)."""
        with self._lock:
            self._cluster_id = str(data.get("clusterId", self._cluster_id))
            self._framework_seq = int(data.get("frameworkSeq", len(data.get("frameworks", []))))
            self._agents = {str(k): str(v) for k, v in dict(data.get("agents", {})).items()}
            frameworks: dict[str, Framework] = {}
            for fw in data.get("frameworks", []):
                tasks = [
                    Task(
                        name=str(t["name"]),
                        task_id=str(t["id"]),
                        state=str(t["state"]),
                        agent_id=str(t["agentId"]),
                        container_ips=[str(ip) for ip in t.get("containerIps", [])],
                        ports=[
                            DiscoveryPort(
                                number=int(p["number"]),
                                name=str(p["name"]),
                                protocol=str(p.get("protocol", "tcp")),
                                labels=tuple((str(k), str(v)) for k, v in p.get("labels", [])),
                            )
                            for p in t.get("ports", [])
                        ],
                    )
                    for t in fw.get("tasks", [])
                ]
                frameworks[str(fw["name"])] = Framework(str(fw["name"]), str(fw["id"]), tasks)
            self._frameworks = frameworks
            self.options.clusters[:] = list(frameworks)


def _nth_loopback(host: str, i: int) -> str:
    parts = host.split(".")
    if len(parts) == 4 and parts[0] == "127" and all(p.isdigit() for p in parts):
        return ".".join([*parts[:3], str((int(parts[3]) + i) % 254 or 1)])
    return f"{host}-{i}"
