"""The life of a stored pool and its scheduler (an SDK service), evaluated lazily.

Nothing runs in the background: a pool's state is a function of wall-clock timestamps and the
live sandbox options, recomputed on each request. A deployment completes `pool_deploy_seconds`
after it started unless `stall_pools` is on (no offer ever matches); an uninstall ends
`pool_delete_seconds` after the DELETE, and until then the scheduler keeps answering with its
uninstall plan (which the SDK serves under the name "deploy"); plans.py renders what that API
answers from these records.

A relaunch (a PUT that changes package options) goes through Cosmos, which updates the pool
scheduler's Marathon app; that app's upgrade strategy kills the old scheduler before it starts the
new one. So for `pool_scheduler_restart_seconds` the OLD scheduler still answers with its old plan,
then for `pool_scheduler_gap_seconds` no scheduler answers at all, then the NEW scheduler's deploy
plan (new ids) runs its `pool_deploy_seconds`. The load-balancer tasks keep running with the old
config until the new scheduler relaunches them. Reload-only PUTs keep the scheduler and its plan.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from localdcos.core.options import SandboxOptions
from localdcos.edgelb.binding import pool_from_json
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
#: Which scheduler answers for a pool right now (see the module docstring).
Phase = Literal["old", "gap", "new"]


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
class Deployment:
    """One scheduler's deploy plan: what it deploys, from when, and whether it is COMPLETE."""

    pool: V2Pool
    deploy_id: str
    started: float
    deployed: bool = False
    finished: float | None = None
    # The last time a refresh found it stalled: it cannot have finished before then.
    stalled_seen: float = 0.0

    def refresh(self, now: float, options: SandboxOptions) -> bool:
        """Bring it up to `now`; True when it has just become COMPLETE."""
        if self.deployed:
            return False
        if options.stall_pools:
            self.stalled_seen = now
            return False
        done_at = max(self.started + options.pool_deploy_seconds, self.stalled_seen)
        if now < done_at:
            return False
        self.deployed, self.finished = True, done_at
        return True

    def to_json(self) -> dict[str, Any]:
        return {
            "pool": self.pool.to_json(),
            "deployId": self.deploy_id,
            "deployStarted": self.started,
            "deployed": self.deployed,
            "finished": self.finished,
            "stalledSeen": self.stalled_seen,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Deployment:
        finished = data.get("finished")
        return cls(
            pool=pool_from_json(data["pool"]),
            deploy_id=str(data["deployId"]),
            started=float(data["deployStarted"]),
            deployed=bool(data.get("deployed", False)),
            finished=float(finished) if finished is not None else None,
            stalled_seen=float(data.get("stalledSeen", 0.0)),
        )


@dataclass
class PoolRecord:
    """A stored pool, the deployment of its current scheduler, and during a relaunch the old
    scheduler that still answers until `old_until`."""

    current: Deployment
    kind: Literal["install", "relaunch"] = "install"
    # When the PUT/POST that started `current` arrived.
    requested: float = 0.0
    old: Deployment | None = None
    old_until: float = 0.0
    # haproxy.cfg exists once tasks ran; it then survives later (re)deployments.
    ever_deployed: bool = False

    @classmethod
    def new(cls, pool: V2Pool, now: float) -> PoolRecord:
        return cls(current=Deployment(pool, str(uuid.uuid4()), now), requested=now)

    @property
    def pool(self) -> V2Pool:
        """The stored config (Edge-LB answers it at once, whichever scheduler runs)."""
        return self.current.pool

    def store(self, pool: V2Pool) -> None:
        """A PUT that needs no relaunch: same scheduler, same plan."""
        self.current.pool = pool

    def relaunch(self, pool: V2Pool, now: float, options: SandboxOptions) -> None:
        if self.phase(now) == "new":
            # The scheduler that runs now is the one Marathon kills.
            self.old, self.old_until = self.current, now + max(options.pool_scheduler_restart_seconds, 0.0)
        # Else a restart is under way already: the same old scheduler goes, the new one waits.
        start = max(self.old_until, now) + max(options.pool_scheduler_gap_seconds, 0.0)
        self.current = Deployment(pool, str(uuid.uuid4()), start)
        self.kind, self.requested = "relaunch", now

    def phase(self, now: float) -> Phase:
        if self.old is not None and now < self.old_until:
            return "old"
        if now < self.current.started:
            return "gap"
        return "new"

    def scheduler(self, now: float) -> Deployment | None:
        """The deployment whose scheduler answers now (None in the gap)."""
        phase = self.phase(now)
        return self.old if phase == "old" else (self.current if phase == "new" else None)

    def running(self, now: float) -> V2Pool | None:
        """The config the pool's load-balancer tasks run now, if they run."""
        if self.phase(now) != "new":
            return self.old.pool if self.old is not None and self.old.deployed else None
        return self.current.pool if self.current.deployed else None

    def refresh(self, now: float, options: SandboxOptions) -> bool:
        """Bring both schedulers up to `now`; True when the current plan has just become COMPLETE."""
        if self.old is not None:
            self.old.refresh(min(now, self.old_until), options)
            if self.phase(now) == "new":
                self.old = None
        if self.phase(now) != "new":
            return False
        done = self.current.refresh(now, options)
        self.ever_deployed |= self.current.deployed
        return done

    def history_entry(self) -> dict[str, Any]:
        return {
            "pool": self.pool.name,
            "namespace": self.pool.namespace,
            "plan": "deploy",
            "deployId": self.current.deploy_id,
            "kind": self.kind,
            "created": self.requested,
            "started": self.current.started,
            "finished": self.current.finished,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "current": self.current.to_json(),
            "kind": self.kind,
            "requested": self.requested,
            "old": self.old.to_json() if self.old is not None else None,
            "oldUntil": self.old_until,
            "everDeployed": self.ever_deployed,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PoolRecord:
        if "current" not in data:  # a state file from before relaunch windows
            current = Deployment(
                pool_from_json(data["pool"]),
                str(data["deployId"]),
                float(data["deployStarted"]),
                deployed=bool(data.get("deployed", False)),
            )
            return cls(
                current=current, requested=current.started, ever_deployed=bool(data.get("everDeployed"))
            )
        old = data.get("old")
        return cls(
            current=Deployment.from_json(data["current"]),
            kind="relaunch" if data.get("kind") == "relaunch" else "install",
            requested=float(data.get("requested", 0.0)),
            old=Deployment.from_json(old) if old is not None else None,
            old_until=float(data.get("oldUntil", 0.0)),
            ever_deployed=bool(data.get("everDeployed", False)),
        )


@dataclass
class UninstallRecord:
    pool: V2Pool
    deploy_id: str
    started: float

    def done(self, now: float, options: SandboxOptions) -> bool:
        return now - self.started >= options.pool_delete_seconds

    def to_json(self) -> dict[str, Any]:
        return {"pool": self.pool.to_json(), "deployId": self.deploy_id, "started": self.started}
