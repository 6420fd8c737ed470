"""The emulated Mesos master's HTTP side: a minimal read-only `GET /mesos/master/state` and
`/master/state-summary`, and the sandbox-only control routes that register clusters and move tasks
between states."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException
from fastapi.responses import Response

from localdcos.common import CLUSTER_NAME, MASTER_HOST
from localdcos.mesos import summary
from localdcos.mesos.model import Framework, Task
from localdcos.mesos.registry import MesosRegistry


def _task_json(fw: Framework, t: Task) -> dict[str, Any]:
    status: dict[str, Any] = {"state": t.state, "timestamp": 0.0}
    if t.container_ips:
        status["container_status"] = {
            "network_infos": [{"ip_addresses": [{"ip_address": ip} for ip in t.container_ips]}]
        }
    return {
        "id": t.task_id,
        "name": t.name,
        "framework_id": fw.framework_id,
        "executor_id": "",
        "slave_id": t.agent_id,
        "state": t.state,
        "statuses": [status],
        "discovery": {
            "visibility": "EXTERNAL",
            "name": t.name,
            "ports": {
                "ports": [
                    {
                        "number": p.number,
                        "name": p.name,
                        "protocol": p.protocol,
                        "labels": {"labels": [{"key": k, "value": v} for k, v in p.labels]},
                    }
                    for p in t.ports
                ]
            },
        },
    }


class Mesos(MesosRegistry):
    """The Mesos master as Admin Router exposes it at /mesos."""

    name = "mesos"
    prefix = "/mesos"
    control_prefix = "/_localdcos/mesos"

    def state_json(self) -> dict[str, Any]:
        with self._lock:  # one consistent view, though tasks may change state at any time
            return self._state_json()

    def _state_json(self) -> dict[str, Any]:
        frameworks = [
            {
                "id": fw.framework_id,
                "name": fw.name,
                "active": True,
                "role": "*",
                "tasks": [_task_json(fw, t) for t in fw.tasks],
                "completed_tasks": [],
            }
            for fw in self.frameworks()
        ]
        slaves = summary.state_slaves(self.agents())
        return {
            "version": summary.MESOS_VERSION,
            "cluster": CLUSTER_NAME,
            "leader": f"master@{MASTER_HOST}:5050",
            "hostname": MASTER_HOST,
            "activated_slaves": len(slaves),
            "frameworks": frameworks,
            "slaves": slaves,
        }

    async def _master_state(self) -> dict[str, Any]:
        return self.state_json()

    async def _state_summary(self) -> dict[str, Any]:
        with self._lock:
            return summary.state_summary(self.frameworks(), self.agents())

    def all_agents(self) -> list[dict[str, Any]]:
        """Every agent (`id`, `hostname`, `public`), the public one included."""
        return summary.agents(self.agents())

    def router(self) -> APIRouter:
        r = APIRouter()
        for path in ("/master/state", "/master/state.json"):
            r.add_api_route(path, self._master_state, methods=["GET"])
        r.add_api_route("/master/state-summary", self._state_summary, methods=["GET"])
        return r

    # -- control ------------------------------------------------------------------------------------

    def control_router(self) -> APIRouter:
        """Sandbox-only hooks; the core mounts this at `control_prefix` (`/_localdcos/mesos`).

        GET    /clusters                 -> ["kubernetes-cluster", ...]
        POST   /clusters                 {"name", "apiserverPort"?, "apiserverHost"?, "controlPlanes"?}
                                         (re-)registers a cluster; 201 {"clusters": [...]}
        DELETE /clusters/{name:path}     204, or 404 if unknown
        POST   /task-state               {"framework", "task", "state": "TASK_..."} -> {"updated": n}
        """
        r = APIRouter()
        r.add_api_route("/clusters", self._list_clusters, methods=["GET"])
        r.add_api_route("/clusters", self._post_cluster, methods=["POST"], status_code=201)
        r.add_api_route("/clusters/{name:path}", self._delete_cluster, methods=["DELETE"], status_code=204)
        r.add_api_route("/task-state", self._post_task_state, methods=["POST"])
        return r

    async def _list_clusters(self) -> list[str]:
        return self.clusters()

    async def _post_cluster(self, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        try:
            self.add_cluster(
                str(body["name"]),
                control_planes=int(body.get("controlPlanes", 1)),
                apiserver_host=str(body["apiserverHost"]) if "apiserverHost" in body else None,
                apiserver_port=int(body["apiserverPort"]) if "apiserverPort" in body else None,
            )
        except (KeyError, ValueError, TypeError) as err:
            raise HTTPException(400, f"invalid cluster: {err}") from err
        return {"clusters": self.clusters()}

    async def _delete_cluster(self, name: str) -> Response:
        if not self.remove_cluster(name):
            raise HTTPException(404, f"cluster {name} not found")
        return Response(status_code=204)

    async def _post_task_state(self, body: Annotated[dict[str, Any], Body()]) -> dict[str, int]:
        try:
            n = self.set_task_state(str(body["framework"]), str(body["task"]), str(body["state"]))
        except KeyError as err:
            raise HTTPException(404, f"not found: {err}") from err
        except ValueError as err:
            raise HTTPException(400, str(err)) from err
        return {"updated": n}
