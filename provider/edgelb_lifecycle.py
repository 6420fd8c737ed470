"""EdgeLBPool's writes: create (or take over), converge, delete.

After a POST or PUT whose answer is uncertain (a 5xx such as Edge-LB's own 10 s timeout, which
comes although the pool was stored, or a lost answer) the stored pool is accepted only when it is
exactly what was sent, marker included; anything else may be somebody else's pool and the original
error stands. Only a real failure (the plan did not complete in time) rolls back a create.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import diagnostics, ownership
from .base import WriteSpec
from .edgelb_api import EdgeLBClient, PoolExists
from .edgelb_normalize import change_kind, marker_of, namespace_of, settled_as, with_marker
from .edgelb_wait import Before, before_relaunch, wait_deployed, wait_uninstalled
from .errors import DeploymentFailed, ProviderError
from .projection import integral_numbers
from .waiting import MAX_WRITES, Deadline, read_until, write_once

CHANGE_NOTES = {
    "relaunch": "this change relaunches the pool's load-balancer tasks",
    "reload": "this change reloads HAProxy in the running load-balancer tasks",
    "none": "no configuration change; re-applying the pool",
    "create": "creating the pool",
}


@dataclass(frozen=True)
class PoolSpec(WriteSpec):
    pool: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.pool["name"])

    @property
    def namespace(self) -> str:
        return namespace_of(self.pool)

    @property
    def body(self) -> dict[str, Any]:
        """What to POST/PUT: integers where Edge-LB's Go decoder wants int32 (the engine carries
        every number as a float), and the owner's marker."""
        return with_marker(dict(integral_numbers(self.pool)), self.owner)


@dataclass(frozen=True)
class Result:
    live: dict[str, Any]
    state: str
    change: str


class Lifecycle:
    def __init__(self, client: EdgeLBClient) -> None:
        self.client = client

    def _progress(self, name: str) -> Callable[[str], None]:
        return lambda message: diagnostics.progress(f"pool {name}", message)

    def _read(self, name: str, deadline: Deadline) -> dict[str, Any] | None:
        return read_until(deadline, lambda: self.client.get_pool(name), f"pool {name}")

    def _stored_as_sent(self, spec: PoolSpec) -> Callable[[], bool]:
        def check() -> bool:
            stored = self.client.get_pool(spec.name)
            return stored is not None and settled_as(spec.pool, spec.owner, stored)

        return check

    def _post(self, spec: PoolSpec, deadline: Deadline) -> None:
        write_once(
            lambda: self.client.create_pool(spec.body), self._stored_as_sent(spec), deadline, spec.name, 1
        )

    def _deployed(
        self, spec: PoolSpec, deadline: Deadline, change: str, before: Before | None = None
    ) -> Result:
        state = wait_deployed(
            self.client, spec.name, spec.namespace, deadline, self._progress(spec.name), before
        )
        live = self._read(spec.name, deadline)
        if live is None:
            raise DeploymentFailed(f"pool {spec.name} vanished while it was being deployed")
        return Result(live, state, change)

    # -- create -------------------------------------------------------------------------------------

    def create(self, spec: PoolSpec) -> Result:
        deadline = Deadline(spec.timeout)
        try:
            self._post(spec, deadline)
        except PoolExists:
            live = self._read(spec.name, deadline)
            if live is None:
                raise ProviderError(
                    f"pool {spec.name} existed a moment ago and is gone now; run `pulumi up` again"
                ) from None
            return self._take_over(spec, live, deadline)
        self._progress(spec.name)("created, waiting for its load-balancer tasks")
        return ownership.settled_or_rolled_back(
            "pool", lambda: self._deployed(spec, deadline, "create"), lambda: self._roll_back(spec)
        )

    def _take_over(self, spec: PoolSpec, live: dict[str, Any], deadline: Deadline) -> Result:
        ownership.check_take_over("pool", spec.name, marker_of(live), spec.owner, spec.adopt)
        self._progress(spec.name)("taking over the existing pool")
        result = ownership.settled_in_place("pool", lambda: self._converge(spec, live, deadline))
        return Result(result.live, result.state, "adopt")

    def _roll_back(self, spec: PoolSpec) -> str:
        return ownership.roll_back_note(
            "pool", lambda: self._remove(spec.name, spec.namespace, Deadline(spec.timeout)), "deleted"
        )

    # -- converge / update --------------------------------------------------------------------------

    def _converge(self, spec: PoolSpec, live: dict[str, Any] | None, deadline: Deadline) -> Result:
        progress = self._progress(spec.name)
        if live is not None and settled_as(spec.pool, spec.owner, live):
            progress("the stored pool already is as declared; waiting for its deploy plan")
            return self._deployed(spec, deadline, "none")
        kind = change_kind(live, spec.body) if live is not None else "create"
        progress(CHANGE_NOTES[kind])
        if live is None:
            self._post(spec, deadline)
            return self._deployed(spec, deadline, kind)
        before = (
            before_relaunch(self.client, spec.name, spec.namespace, deadline) if kind == "relaunch" else None
        )

        def put() -> bool:
            return self.client.replace_pool(spec.body) is not None

        if write_once(put, self._stored_as_sent(spec), deadline, spec.name, 1) is False:
            progress("was deleted meanwhile; creating it again")
            self._post(spec, deadline)
            return self._deployed(spec, deadline, "create")
        return self._deployed(spec, deadline, kind, before)

    def update(self, spec: PoolSpec) -> Result:
        deadline = Deadline(spec.timeout)
        live = self._read(spec.name, deadline)
        if live is None:
            self._progress(spec.name)("no longer exists in Edge-LB; creating it again")
        else:
            ownership.check_update("pool", spec.name, marker_of(live), spec.owner, spec.adopt)
        return self._converge(spec, live, deadline)

    # -- delete -------------------------------------------------------------------------------------

    def _remove(self, name: str, namespace: str, deadline: Deadline) -> None:
        write_once(
            lambda: self.client.delete_pool(name),
            lambda: self.client.get_pool(name) is None,
            deadline,
            name,
            MAX_WRITES,
        )
        self._progress(name)("deleted, waiting for its scheduler to uninstall")
        wait_uninstalled(self.client, name, namespace, deadline)

    def delete(self, name: str, namespace: str, owner: str | None, timeout: float) -> None:
        deadline = Deadline(timeout)
        live = self._read(name, deadline)
        if ownership.left_to_its_owner("pool", name, marker_of(live) if live is not None else None, owner):
            return
        if live is None:
            self._progress(name)("already gone; making sure its scheduler is uninstalled")
            wait_uninstalled(self.client, name, namespace, deadline)
            return
        self._remove(name, namespace_of(live), deadline)
