"""The life of a stored pool and its scheduler (an SDK service), evaluated lazily.

Nothing runs in the background: a pool's state is a function of wall-clock timestamps and the
live sandbox options, recomputed on each request. A deployment completes `pool_deploy_seconds`
after it started unless `stall_pools` is on (no offer ever matches); an uninstall ends
`pool_delete_seconds` after the DELETE, and until then the scheduler keeps answering with its
uninstall plan (which the SDK serves under the name "deploy"); plans.py renders what that API
answers from these records.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from localdcos.core.options import SandboxOptions
from localdcos.edgelb.model import V2Pool

# Top-level pool fields that Edge-LB hands to the pool scheduler as package options: all but the
# pool's identity and its haproxy section. Changing any of them (or, while `ports` is empty, any
# frontend or stats bindPort, since the reserved ports derive from them) makes the scheduler
# relaunch the load-balancer tasks; a change confined to `haproxy` is only a new haproxy.cfg,
# picked up by a reload inside the tasks.
_RELAUNCH_FIELDS = tuple(
    sorted(
        field.alias or name
        for name, field in V2Pool.model_fields.items()
        if (field.alias or name) not in ("apiVersion", "haproxy", "name")
    )
)

UpdateEffect = Literal["relaunch", "reload", "none"]


def relaunch_fields() -> tuple[str, ...]:
    """Pool fields whose change relaunches the pool's tasks (see also `update_effect`)."""
    return _RELAUNCH_FIELDS


def update_effect(old: V2Pool, new: V2Pool) -> UpdateEffect:
    """What a PUT from `old` to `new` does to the running pool."""
    a, b = old.to_json(), new.to_json()
    if any(a.get(f) != b.get(f) for f in _RELAUNCH_FIELDS) or old.bind_ports() != new.bind_ports():
        return "relaunch"
    if a.get("haproxy") != b.get("haproxy"):
        return "reload"
    return "none"


@dataclass
class PoolRecord:
    """A stored pool and its current deployment."""

    pool: V2Pool
    deploy_id: str
    deploy_started: float
    deployed: bool = False
    # haproxy.cfg exists once tasks ran; it then survives later (re)deployments.
    ever_deployed: bool = False

    @classmethod
    def new(cls, pool: V2Pool, now: float) -> PoolRecord:
        return cls(pool=pool, deploy_id=str(uuid.uuid4()), deploy_started=now)

    def redeploy(self, now: float) -> None:
        self.deploy_id, self.deploy_started, self.deployed = str(uuid.uuid4()), now, False

    def refresh(self, now: float, options: SandboxOptions) -> None:
        if (
            not self.deployed
            and not options.stall_pools
            and now - self.deploy_started >= options.pool_deploy_seconds
        ):
            self.deployed = self.ever_deployed = True

    def to_json(self) -> dict[str, Any]:
        return {
            "pool": self.pool.to_json(),
            "deployId": self.deploy_id,
            "deployStarted": self.deploy_started,
            "deployed": self.deployed,
            "everDeployed": self.ever_deployed,
        }


@dataclass
class UninstallRecord:
    pool: V2Pool
    deploy_id: str
    started: float

    def done(self, now: float, options: SandboxOptions) -> bool:
        return now - self.started >= options.pool_delete_seconds

    def to_json(self) -> dict[str, Any]:
        return {"pool": self.pool.to_json(), "deployId": self.deploy_id, "started": self.started}
