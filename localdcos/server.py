"""The sandbox assembled: the emulated services, the parts next to them, and the app that mounts
them behind Admin Router (localdcos.core)."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Response

from localdcos.clusters import KubernetesClusters
from localdcos.core.control import ControlApi
from localdcos.core.gateway import AdminRouter
from localdcos.core.options import SandboxOptions
from localdcos.core.service import EmulatedService, SandboxExtension
from localdcos.core.state import CA_PATH, CONTROL_PREFIX, Core
from localdcos.edgelb import EdgeLB, PoolSandboxes
from localdcos.haproxy.netns import ClusterAddresses, NodeNamespace
from localdcos.haproxy.runtime import HaproxyRuntime
from localdcos.iam import IAM
from localdcos.marathon import Marathon
from localdcos.marathon_lb import MarathonLB
from localdcos.mesos import Mesos
from localdcos.pki import SigningAuthority
from localdcos.system import Health, MesosDns, Metadata

log = logging.getLogger("localdcos")


class Services:
    """The emulated DC/OS services of one sandbox."""

    def __init__(self, options: SandboxOptions) -> None:
        self.iam = IAM(options)
        self.marathon = Marathon(options)
        self.mesos = Mesos(options)
        self.edgelb = EdgeLB(options, self.mesos)
        # Stateless views of the master node (no state file section).
        self.master_node: list[EmulatedService] = [
            MesosDns(self.mesos),
            Metadata(options),
            Health(self.mesos),
        ]

    def all(self) -> list[EmulatedService]:
        # Also the order of the state file's sections.
        return [self.iam, self.marathon, self.mesos, self.edgelb, *self.master_node]


def node_extensions(
    options: SandboxOptions, services: Services, *, workdir: Path, authority: SigningAuthority
) -> list[SandboxExtension]:
    """The cluster installer, the emulated Marathon-LB and the HAProxy runtime, wired to the services
    (observe order matters: the runtime publishes VIP names before Marathon-LB checks configs that
    use them)."""
    node = NodeNamespace(workdir / "node", ca_bundle_pem=authority.ca_cert_pem)
    if node.mode == "none":
        log.warning("HAProxy runs without the node namespace: %s", node.note)
    addresses = ClusterAddresses()
    node.set_hosts(addresses.hosts(services.mesos.clusters()))
    pools = PoolSandboxes(workdir / "pools", node)
    services.edgelb.lbconfig_check = pools.check
    mlb = MarathonLB(options, services.marathon, workdir=workdir / "marathon-lb", node=node)
    runtime = HaproxyRuntime(
        options,
        workdir=workdir,
        node=node,
        addresses=addresses,
        mlb=mlb,
        edgelb=services.edgelb,
        mesos=services.mesos,
        pools=pools,
        authority=authority,
    )
    clusters = KubernetesClusters(services.marathon, services.mesos, network=runtime)
    return [clusters, runtime, mlb]


def create_app(
    core: Core, on_started: Callable[[], None] | None = None, on_stopped: Callable[[], None] | None = None
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for extension in core.extensions:
            extension.start()
        poller = asyncio.create_task(_observe_periodically(core)) if core.extensions else None
        try:
            if on_started is not None:
                on_started()
            yield
        finally:
            if poller is not None:
                poller.cancel()
            for extension in reversed(core.extensions):
                await asyncio.to_thread(extension.stop)
            if on_stopped is not None:
                await asyncio.to_thread(on_stopped)

    app = FastAPI(
        title="localdcos",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
        redirect_slashes=False,
    )

    async def ca_certificate() -> Response:
        return Response(core.ca_pem, media_type="application/x-x509-ca-cert")

    app.add_api_route(CA_PATH, ca_certificate, methods=["GET"])
    app.include_router(ControlApi(core).router(), prefix=CONTROL_PREFIX)
    for extension in core.extensions:
        app.include_router(extension.router(), prefix=extension.prefix)
    for service in core.services:
        app.include_router(service.router(), prefix=service.prefix)
        # Optional extra routers a service may offer, each with its own mount point.
        for router_attr, prefix_attr in (
            ("control_router", "control_prefix"),
            ("scheduler_router", "scheduler_prefix"),
        ):
            make_router = getattr(service, router_attr, None)
            prefix = getattr(service, prefix_attr, None)
            if callable(make_router) and isinstance(prefix, str):
                app.include_router(make_router(), prefix=prefix)
    app.add_middleware(AdminRouter, core=core)
    return app


async def _observe_periodically(core: Core) -> None:
    """Extensions also look without requests: Marathon's deployments move on by themselves."""
    while True:
        await asyncio.sleep(max(0.05, core.options.haproxy_poll_seconds))
        async with core.lock:
            await core.observe()


def print_ready(url: str) -> Callable[[], None]:
    def announce() -> None:
        print(f"localdcos listening on {url}", flush=True)
        sys.stdout.flush()

    return announce
