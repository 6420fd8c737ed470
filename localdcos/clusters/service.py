"""`/_localdcos/clusters`: install, list and uninstall kubernetes-cluster services at runtime.

GET    /clusters              [ClusterInfo, ...] for every cluster Mesos or Marathon knows
POST   /clusters              {"name", "controlPlanes"?: 1} -> 201 ClusterInfo when anything had to be
                              created, 200 when the service was complete already (a no-op)
GET    /clusters/{name:path}  ClusterInfo, 404 if neither its app nor its framework exists
DELETE /clusters/{name:path}  204: the scheduler app is deleted (a Marathon deployment) and the
                              framework with its tasks goes; 404 if there is nothing to remove

An install makes what the package makes, in that order: the scheduler app `/<name>` in Marathon (a
real deployment: its task runs after `deploy_seconds`), the Mesos framework `<name>` with RUNNING
`kube-control-plane-<i>-instance` tasks and their `apiserver` port, and with `--haproxy` the VIP's
entry in the node's hosts file and a fake apiserver behind it, started before the answer. Clusters
named by `--cluster` at start have the framework only; adding them completes them. Everything
persists with the services' own state (Marathon's apps, Mesos' frameworks).

ClusterInfo: {"name", "installed", "schedulerApp": {"id", "version", "tasksRunning", "instances",
"deployments"} | null, "framework": {"id", "name", "controlPlanes": [{"taskId", "state", "host",
"apiserverPort"}]} | null, "vip": "apiserver.<name without slashes>.l4lb.thisdcos.directory:6443",
"apiserver": {"address", "url", "error"} | null}
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from localdcos.clusters import package
from localdcos.common import apiserver_vip
from localdcos.marathon import Marathon
from localdcos.marathon.errors import MarathonError
from localdcos.mesos import Mesos

VIP_PORT = 6443


class ClusterNetwork(Protocol):
    """What a cluster needs from the load-balancer node (the HAProxy runtime)."""

    def sync_clusters(self) -> None:
        """Make the VIP names and (with `--haproxy`) the apiservers follow Mesos' clusters now."""
        ...

    def apiserver(self, cluster: str) -> dict[str, Any] | None:
        """The cluster's fake apiserver (`address`, `url`, `error`), or None without one."""
        ...


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"message": message, **extra}, status_code=status)


class KubernetesClusters:
    """A sandbox extension (its routes sit under the control API, so they need the admin token)."""

    prefix = "/_localdcos/clusters"

    def __init__(self, marathon: Marathon, mesos: Mesos, network: ClusterNetwork | None = None) -> None:
        self.marathon = marathon
        self.mesos = mesos
        self.network = network

    # -- SandboxExtension ---------------------------------------------------------------------------

    async def observe(self) -> None:
        pass

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def router(self) -> APIRouter:
        r = APIRouter()
        r.add_api_route("", self._list, methods=["GET"])
        r.add_api_route("", self._add, methods=["POST"])
        r.add_api_route("/{name:path}", self._get, methods=["GET"])
        r.add_api_route("/{name:path}", self._remove, methods=["DELETE"])
        return r

    # -- what exists --------------------------------------------------------------------------------

    def _scheduler_app(self, name: str) -> dict[str, Any] | None:
        app = self.marathon.live_app("/" + name)
        return app if app is not None and package.is_scheduler_app(app, name) else None

    def names(self) -> list[str]:
        names = list(self.mesos.clusters())
        for app in self.marathon.apps_with_tasks():
            service = str((app.get("labels") or {}).get("DCOS_SERVICE_NAME", ""))
            if service and service not in names and self._scheduler_app(service) is not None:
                names.append(service)
        return names

    def describe(self, name: str) -> dict[str, Any]:
        app = self._scheduler_app(name)
        framework = next((fw for fw in self.mesos.frameworks() if fw.name == name), None)
        agents = self.mesos.agents()
        return {
            "name": name,
            "installed": app is not None and framework is not None,
            "schedulerApp": None
            if app is None
            else {
                "id": app["id"],
                "version": app["version"],
                "instances": app["instances"],
                "tasksRunning": app["tasksRunning"],
                "deployments": app["deployments"],
            },
            "framework": None
            if framework is None
            else {
                "id": framework.framework_id,
                "name": framework.name,
                "controlPlanes": [
                    {
                        "taskId": t.task_id,
                        "state": t.state,
                        "host": agents.get(t.agent_id, ""),
                        "apiserverPort": next((p.number for p in t.ports if p.name == "apiserver"), None),
                    }
                    for t in framework.tasks
                    if t.name.startswith("kube-control-plane-")
                ],
            },
            "vip": f"{apiserver_vip(name)}:{VIP_PORT}",
            "apiserver": self.network.apiserver(name) if self.network is not None else None,
        }

    # -- routes -------------------------------------------------------------------------------------

    async def _list(self) -> Response:
        return JSONResponse([self.describe(name) for name in self.names()])

    async def _get(self, name: str) -> Response:
        name = package.service_name(name)
        if self._scheduler_app(name) is None and name not in self.mesos.clusters():
            return _error(404, f"cluster {name} is not installed")
        return JSONResponse(self.describe(name))

    async def _add(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
            name = package.service_name(str(body["name"]))
            control_planes = int(body.get("controlPlanes", 1))
        except (ValueError, KeyError, TypeError):
            return _error(400, 'body must be {"name": "<service name>", "controlPlanes": 1}')
        problems = package.name_problems(name)
        if control_planes < 1:
            problems.append("controlPlanes must be >= 1")
        if problems:
            return _error(400, f"invalid cluster {name!r}: " + "; ".join(problems))

        created = False
        existing = self.marathon.live_app("/" + name)
        if existing is None:
            try:
                self.marathon.submit("/" + name, package.scheduler_app(name))
            except MarathonError as error:
                # What Marathon told Cosmos, e.g. the group/app id clash, with its status.
                return _error(
                    error.status,
                    f"cannot install {name}: Marathon refused its scheduler app",
                    marathon=error.body,
                )
            created = True
        elif not package.is_scheduler_app(existing, name):
            return _error(409, f"cannot install {name}: app /{name} exists and is not its scheduler")
        if name not in self.mesos.clusters():
            self.mesos.add_cluster(name, control_planes=control_planes)
            created = True
        await self._sync()
        return JSONResponse(self.describe(name), status_code=201 if created else 200)

    async def _remove(self, name: str) -> Response:
        name = package.service_name(name)
        app = self._scheduler_app(name)
        framework = name in self.mesos.clusters()
        if app is None and not framework:
            return _error(404, f"cluster {name} is not installed")
        if app is not None:
            self.marathon.submit(app["id"], None)
        if framework:
            self.mesos.remove_cluster(name)
        await self._sync()
        return Response(status_code=204)

    async def _sync(self) -> None:
        if self.network is not None:
            # Binds sockets and writes files: off the event loop (the core lock stays held).
            await asyncio.to_thread(self.network.sync_clusters)
