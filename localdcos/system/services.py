"""Mesos-DNS, the version metadata and the node health, derived from the Mesos registry (so the
agents they list are the agents Mesos lists) and the sandbox options. None keeps state.

* `GET /mesos_dns/v1/hosts/{host}` answers A records as Mesos-DNS does: `[{"host", "ip"}]` with the
  name lower-cased and ending in a dot, and for a name it does not know one empty record
  `[{"host": "", "ip": ""}]` (never a 404). Known: `master.mesos`, `leader.mesos`, `marathon.mesos`,
  `slave.mesos` (every agent), `<agent hostname>`. Needs a token, like every Admin Router route.
* `GET /dcos-metadata/dcos-version.json` is the one route Admin Router serves without a token
  (the UI and the CLI read it before login), with `Cache-Control: no-cache`.
* `GET /system/health/v1/nodes`: `{"nodes": [{"host_ip", "health", "role"}]}`, role `master`,
  `agent` or `agent_public`, health 0 (healthy).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from localdcos.common import MASTER_HOST
from localdcos.core.options import SandboxOptions
from localdcos.mesos import Mesos

VERSION_PATH = "/dcos-metadata/dcos-version.json"
# Stable made-up build identities, shaped like DC/OS's (a git commit and a bootstrap hash).
_IMAGE_COMMIT = "6d1f3a2c0e0b4f6a8d9c1b2a3f4e5d6c7b8a9f0e"
_BOOTSTRAP_ID = "5b4aa43610c57ee1d60b4aa0751a1fb75824c083"


class _Stateless:
    def snapshot(self) -> dict[str, Any]:
        return {}

    def restore(self, data: dict[str, Any]) -> None:
        pass


class MesosDns(_Stateless):
    name = "mesos_dns"
    prefix = "/mesos_dns"

    def __init__(self, mesos: Mesos) -> None:
        self.mesos = mesos

    def records(self) -> dict[str, list[str]]:
        """A records: name (with its final dot) -> IPs."""
        hosts = [a["hostname"] for a in self.mesos.all_agents()]
        records: dict[str, list[str]] = {
            f"{name}.mesos.": [MASTER_HOST] for name in ("master", "leader", "marathon")
        }
        records["slave.mesos."] = sorted(set(hosts))
        for host in hosts:
            records.setdefault(host.lower().rstrip(".") + ".", [host])
        return records

    def router(self) -> APIRouter:
        r = APIRouter()

        async def host(name: str) -> Response:
            wanted = name.lower()
            wanted = wanted if wanted.endswith(".") else wanted + "."
            ips = self.records().get(wanted, [])
            answer = [{"host": wanted, "ip": ip} for ip in ips] or [{"host": "", "ip": ""}]
            return JSONResponse(answer)

        async def version() -> Response:
            return JSONResponse(
                {
                    "Service": "Mesos-DNS",
                    "URL": "https://github.com/mesosphere/mesos-dns",
                    "Version": "v0.7.0",
                }
            )

        r.add_api_route("/v1/hosts/{name}", host, methods=["GET"])
        r.add_api_route("/v1/version", version, methods=["GET"])
        return r


class Metadata(_Stateless):
    name = "dcos_metadata"
    prefix = "/dcos-metadata"
    public_paths = (VERSION_PATH,)

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options

    def version(self) -> dict[str, str]:
        # Edge-LB and service accounts are Enterprise features; an open sandbox plays open DC/OS.
        variant = "enterprise" if self.options.auth == "token" else "open"
        return {
            "version": self.options.dcos_version,
            "dcos-variant": variant,
            "dcos-image-commit": _IMAGE_COMMIT,
            "bootstrap-id": _BOOTSTRAP_ID,
        }

    def router(self) -> APIRouter:
        r = APIRouter()

        async def version() -> Response:
            return JSONResponse(self.version(), headers={"Cache-Control": "no-cache"})

        r.add_api_route(VERSION_PATH.removeprefix(self.prefix), version, methods=["GET"])
        return r


class Health(_Stateless):
    name = "system_health"
    prefix = "/system/health/v1"

    def __init__(self, mesos: Mesos) -> None:
        self.mesos = mesos

    def nodes(self) -> list[dict[str, Any]]:
        nodes = [{"host_ip": MASTER_HOST, "health": 0, "role": "master"}]
        for agent in self.mesos.all_agents():
            role = "agent_public" if agent["public"] else "agent"
            nodes.append({"host_ip": agent["hostname"], "health": 0, "role": role})
        return nodes

    def router(self) -> APIRouter:
        r = APIRouter()

        async def nodes() -> Response:
            return JSONResponse({"nodes": self.nodes()})

        r.add_api_route("/nodes", nodes, methods=["GET"])
        return r
