"""MarathonApp's writes: create (or take over), converge, delete.

Each write is followed by a wait on what the cluster actually does (marathon_wait.py). Only a real
failure (the deployment did not finish, tasks not running at the deadline) rolls back a create,
and the cause stays the message, followed by what the rollback did or could not do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import diagnostics, ownership
from .base import WriteSpec
from .errors import ProviderError
from .marathon_api import AppExists, MarathonClient
from .marathon_model import canonical_app_id
from .marathon_normalize import generation_of, marker_of, request_body, settled_as
from .marathon_wait import remove, wait_settled
from .waiting import Deadline, read_until, write_once


@dataclass(frozen=True)
class AppSpec(WriteSpec):
    """The inputs that decide a write."""

    definition: dict[str, Any]
    force: bool
    #: New for every create; kept by updates (see marathon_normalize.GENERATION_KEY).
    generation: str

    @property
    def app_id(self) -> str:
        return canonical_app_id(str(self.definition["id"]))


@dataclass(frozen=True)
class Result:
    live: dict[str, Any]
    deployment_id: str | None


class Lifecycle:
    def __init__(self, client: MarathonClient, marathon_version: Callable[[], str]) -> None:
        self.client = client
        self.version = marathon_version

    def _progress(self, app_id: str) -> Callable[[str], None]:
        return lambda message: diagnostics.progress(app_id, message)

    def _read(self, app_id: str, deadline: Deadline) -> dict[str, Any] | None:
        return read_until(deadline, lambda: self.client.get_app(app_id), f"app {app_id}")

    # -- converge: one PUT unless the app already is as declared ------------------------------------

    def _converge(self, spec: AppSpec, live: dict[str, Any] | None, deadline: Deadline) -> str | None:
        app_id = spec.app_id
        if live is not None and settled_as(
            spec.definition, spec.owner, spec.generation, live, self.version()
        ):
            self._progress(app_id)("the live app already is as declared; waiting for it to settle")
            return None
        if live is not None and not spec.force:
            live = self._unlocked(app_id, live, deadline)
        body = request_body(spec.definition, spec.owner, spec.generation)

        def applied() -> bool:
            found = self.client.get_app(app_id)
            return found is not None and settled_as(
                spec.definition, spec.owner, spec.generation, found, self.version()
            )

        deployment = write_once(
            lambda: self.client.replace_app(body, spec.force), applied, deadline, f"app {app_id}"
        )
        self._progress(app_id)(
            f"updated, waiting for deployment {deployment}"
            if deployment
            else "the update is in place, waiting"
        )
        return deployment

    def _unlocked(self, app_id: str, live: dict[str, Any], deadline: Deadline) -> dict[str, Any] | None:
        """Waits (within the deadline) for deployments still touching the app, e.g. those of a run
        killed mid-create, whose lock would refuse the PUT; at the deadline the PUT goes out anyway
        and its 409 names the deployment."""
        shown = ""
        current: dict[str, Any] | None = live
        while current is not None and current.get("deployments") and not deadline.expired():
            ids = ", ".join(str(d.get("id")) for d in current["deployments"])
            if ids != shown:
                self._progress(app_id)(f"waiting for deployment {ids} to finish before changing the app")
                shown = ids
            deadline.pause()
            current = self._read(app_id, deadline)
        return current

    def _settle(self, spec: AppSpec, deadline: Deadline) -> dict[str, Any]:
        return wait_settled(self.client, spec.app_id, deadline, self._progress(spec.app_id))

    # -- create -------------------------------------------------------------------------------------

    def create(self, spec: AppSpec) -> Result:
        deadline = Deadline(spec.timeout)
        app_id = spec.app_id
        body = request_body(spec.definition, spec.owner, spec.generation)
        existing: dict[str, Any] | None = None
        try:
            deployment = write_once(
                lambda: self.client.create_app(body, spec.force),
                lambda: self.client.get_app(app_id) is not None,
                deadline,
                f"app {app_id}",
            )
            if deployment is None:
                # The answer was lost, yet an app is there: this POST's only if it carries its marks.
                existing = self._read(app_id, deadline)
                if existing is not None and (marker_of(existing), generation_of(existing)) == (
                    spec.owner,
                    spec.generation,
                ):
                    # The deployment the lost answer named is the one the app shows.
                    running = existing.get("deployments") or []
                    deployment = str(running[0].get("id")) if running else None
                    existing = None
        except AppExists:
            deployment = None
            existing = self._read(app_id, deadline)
            if existing is None:
                raise ProviderError(
                    f"app {app_id} existed a moment ago and is gone now; run `pulumi up` again"
                ) from None
        if existing is not None:
            return self._take_over(spec, existing, deadline)
        self._progress(app_id)(f"created, waiting for deployment {deployment or '(answer lost)'}")
        live = ownership.settled_or_rolled_back(
            "app", lambda: self._settle(spec, deadline), lambda: self._roll_back(spec)
        )
        return Result(live, deployment)

    def _take_over(self, spec: AppSpec, live: dict[str, Any], deadline: Deadline) -> Result:
        ownership.check_take_over("app", spec.app_id, marker_of(live), spec.owner, spec.adopt)
        self._progress(spec.app_id)("taking over the existing app")
        deployment = self._converge(spec, live, deadline)
        return Result(ownership.settled_in_place("app", lambda: self._settle(spec, deadline)), deployment)

    def _roll_back(self, spec: AppSpec) -> str:
        """A failed create leaves nothing in the stack's state: remove what this call created so the
        cluster does not keep an app no stack knows, and the next `pulumi up` starts clean."""
        progress = self._progress(spec.app_id)
        try:
            live = self.client.get_app(spec.app_id)
        except ProviderError:
            live = None  # the removal below reports what it meets
        if live is not None and (marker_of(live), generation_of(live)) != (spec.owner, spec.generation):
            # Someone took it over meanwhile (the next `pulumi up` after a killed run, an adopt).
            return f"the app was left in place: it now belongs to {ownership.describe(marker_of(live))}" + (
                f", generation {generation_of(live)}" if marker_of(live) == spec.owner else ""
            )
        return ownership.roll_back_note(
            "app", lambda: remove(self.client, spec.app_id, Deadline(spec.timeout), progress), "removed"
        )

    # -- update -------------------------------------------------------------------------------------

    def update(self, spec: AppSpec) -> Result:
        deadline = Deadline(spec.timeout)
        app_id = spec.app_id
        live = self._read(app_id, deadline)
        if live is None:
            self._progress(app_id)("no longer exists on the cluster; creating it again")
        else:
            ownership.check_update("app", app_id, marker_of(live), spec.owner, spec.adopt)
        deployment = self._converge(spec, live, deadline)
        return Result(self._settle(spec, deadline), deployment)

    # -- delete -------------------------------------------------------------------------------------

    def delete(self, app_id: str, owner: str | None, generation: str | None, timeout: float) -> None:
        deadline = Deadline(timeout)
        live = self._read(app_id, deadline)
        if ownership.left_to_its_owner("app", app_id, marker_of(live) if live is not None else None, owner):
            return
        found = generation_of(live) if live is not None else None
        if generation is not None and found is not None and found != generation:
            # `pulumi up --replace`: the replacement (same resource) took the app over first.
            diagnostics.warning(
                f"app {app_id} was not deleted: a newer create of this resource took it over "
                f"(generation {found}; this one was {generation})"
            )
            return
        if live is None:
            self._progress(app_id)("already gone; making sure no deployment still touches it")
        remove(self.client, app_id, deadline, self._progress(app_id))
