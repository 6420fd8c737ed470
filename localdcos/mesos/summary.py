"""`GET /mesos/master/state-summary`: Mesos' summary of agents and frameworks (what DC/OS's CLI and
dcos-deploy read the cluster name from), built from the same registry as `/master/state`.

The agents are those of the kubernetes-cluster tasks plus the public agent where Marathon's tasks
and the load balancers run; each carries the task-state counts Mesos adds per agent and framework.
"""

from __future__ import annotations

from typing import Any

from localdcos.common import CLUSTER_NAME, MASTER_HOST, PUBLIC_AGENT_HOST, PUBLIC_AGENT_ID
from localdcos.mesos.model import Framework

MESOS_VERSION = "1.10.0"
# The task states Mesos counts in a summary (its TaskStateSummary).
_COUNTED_STATES = (
    "TASK_STAGING",
    "TASK_STARTING",
    "TASK_RUNNING",
    "TASK_KILLING",
    "TASK_FINISHED",
    "TASK_KILLED",
    "TASK_FAILED",
    "TASK_LOST",
    "TASK_ERROR",
    "TASK_UNREACHABLE",
)
# What one sandbox agent offers; only the shape matters to clients.
_AGENT_RESOURCES = {
    "cpus": 4.0,
    "mem": 14019.0,
    "disk": 35572.0,
    "gpus": 0.0,
    "ports": "[1025-2180, 2182-3887, 3889-5049, 5052-8079, 8082-8180, 8182-32000]",
}
_NO_RESOURCES = {"cpus": 0.0, "mem": 0.0, "disk": 0.0, "gpus": 0.0}


def agents(registry_agents: dict[str, str]) -> list[dict[str, Any]]:
    """Every agent: the registry's (private) ones and the public agent, with their role."""
    listed = [
        {"id": agent_id, "hostname": host, "public": False} for agent_id, host in registry_agents.items()
    ]
    listed.append({"id": PUBLIC_AGENT_ID, "hostname": PUBLIC_AGENT_HOST, "public": True})
    return listed


def _attributes(agent: dict[str, Any]) -> dict[str, str]:
    # DC/OS marks public agents with this attribute (and their slave_public reservation).
    return {"public_ip": "true"} if agent["public"] else {}


def state_slaves(registry_agents: dict[str, str]) -> list[dict[str, Any]]:
    """The `slaves` of `/master/state`."""
    return [
        {
            "id": a["id"],
            "hostname": a["hostname"],
            "pid": f"slave(1)@{a['hostname']}:5051",
            "active": True,
            "attributes": _attributes(a),
        }
        for a in agents(registry_agents)
    ]


def _counts(states: list[str]) -> dict[str, int]:
    return {state: states.count(state) for state in _COUNTED_STATES}


def state_summary(frameworks: list[Framework], registry_agents: dict[str, str]) -> dict[str, Any]:
    slaves = []
    for agent in agents(registry_agents):
        here = [(fw, t) for fw in frameworks for t in fw.tasks if t.agent_id == agent["id"]]
        resources = dict(_AGENT_RESOURCES)
        slaves.append(
            {
                "id": agent["id"],
                "pid": f"slave(1)@{agent['hostname']}:5051",
                "hostname": agent["hostname"],
                "registered_time": 1_700_000_000.0,
                "resources": resources,
                "used_resources": dict(_NO_RESOURCES),
                "offered_resources": dict(_NO_RESOURCES),
                "reserved_resources": {"slave_public": resources} if agent["public"] else {},
                "unreserved_resources": {} if agent["public"] else resources,
                "attributes": _attributes(agent),
                "active": True,
                "version": MESOS_VERSION,
                "capabilities": ["MULTI_ROLE", "HIERARCHICAL_ROLE", "RESERVATION_REFINEMENT"],
                **_counts([t.state for _, t in here]),
                "framework_ids": sorted({fw.framework_id for fw, _ in here}),
            }
        )
    summaries = [
        {
            "id": fw.framework_id,
            "name": fw.name,
            "pid": f"scheduler-{fw.framework_id}@{MASTER_HOST}:0",
            "used_resources": dict(_NO_RESOURCES),
            "offered_resources": dict(_NO_RESOURCES),
            "capabilities": ["MULTI_ROLE", "RESERVATION_REFINEMENT"],
            "hostname": PUBLIC_AGENT_HOST,
            "webui_url": "",
            "active": True,
            "connected": True,
            "recovered": False,
            **_counts([t.state for t in fw.tasks]),
            "slave_ids": sorted({t.agent_id for t in fw.tasks}),
        }
        for fw in frameworks
    ]
    return {"hostname": MASTER_HOST, "cluster": CLUSTER_NAME, "slaves": slaves, "frameworks": summaries}
