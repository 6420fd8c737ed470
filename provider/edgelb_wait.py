"""Waiting for a pool's scheduler to finish what a write asked for (dcos-api.md §3.7).

A stored pool is not a running pool: its SDK scheduler deploys the load-balancer tasks, and its
deploy plan is COMPLETE once they run. After a change that relaunches them, Edge-LB has Cosmos
update the scheduler's Marathon app and the scheduler restarts; until then the old scheduler
still answers its old COMPLETE plan. So after a relaunch only a plan seen to be new counts: one
seen unavailable or not COMPLETE after the write, one with other phases, or one answered after
the scheduler app's new version finished deploying.

Waits do not poll on their own: they subscribe to the process's one poller of pool plans
(poller.py), which reads each pending pool's plan once per tick (0.1 s), whoever waits for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .edgelb_api import PLAN_UNAVAILABLE, EdgeLBClient, Plan, SchedulerApp
from .errors import DeploymentFailed, ProviderError, WaitInconclusive, is_transient
from .waiting import POLL_SECONDS, Deadline, read_until

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Before:
    """What the pool's scheduler showed before a relaunching write."""

    plan: Plan
    scheduler: SchedulerApp | None


def before_relaunch(client: EdgeLBClient, name: str, namespace: str | None, deadline: Deadline) -> Before:
    plan = read_until(deadline, lambda: client.plan(name, namespace), f"pool {name}'s deploy plan")
    return Before(plan, client.scheduler_app(name, namespace))


class _Freshness:
    """Whether the plans seen after a relaunching write are the new scheduler's (module doc).
    The scheduler's Marathon app is looked at no more often than POLL_SECONDS."""

    def __init__(self, client: EdgeLBClient, name: str, namespace: str | None, before: Before | None) -> None:
        self.client = client
        self.name = name
        self.namespace = namespace
        self.before = before
        self.fresh = before is None
        self._next_look = 0.0

    def see(self, plan: Plan) -> bool:
        if not self.fresh:
            self.fresh = self._is_new(plan)
        return self.fresh

    def _is_new(self, plan: Plan) -> bool:
        before = self.before
        assert before is not None
        if not plan.complete or not before.plan.complete:
            return True  # the restart has begun, or the old plan was not COMPLETE anyway
        if before.plan.phase_ids and plan.phase_ids != before.plan.phase_ids:
            return True
        if before.scheduler is None or time.monotonic() < self._next_look:
            return False
        self._next_look = time.monotonic() + POLL_SECONDS
        now = self.client.scheduler_app(self.name, self.namespace)
        return now is not None and now.version != before.scheduler.version and not now.deploying


def wait_deployed(
    client: EdgeLBClient,
    name: str,
    namespace: str | None,
    deadline: Deadline,
    progress: Progress,
    before: Before | None = None,
) -> str:
    """Until the deploy plan is COMPLETE (a new one, when `before` is given); returns its status.
    DeploymentFailed when at the deadline the plan shows the pool is not up; WaitInconclusive
    when the plan could not be read until then."""
    freshness = _Freshness(client, name, namespace, before)
    shown = ""
    seen: Plan | None = None
    last_error: ProviderError | None = None
    with client.watch_plan(name, namespace) as watch:
        try:
            while True:
                observation = watch.next(deadline.remaining())
                if observation is None:
                    break
                try:
                    plan = observation.result()
                    fresh = freshness.see(plan)
                except ProviderError as error:
                    if not is_transient(error):
                        raise
                    seen, last_error = None, error
                else:
                    seen = plan
                    if fresh and plan.complete:
                        return plan.status
                    note = f"pool deploy plan {plan.status}" + (
                        "" if fresh else " (still the previous scheduler's)"
                    )
                    if note != shown:
                        progress(note)
                        shown = note
                if deadline.expired():
                    break
        finally:
            client.snapshots().touch(name)
    if seen is None:
        answer = f"last answer: {last_error}" if last_error is not None else "no answer came"
        raise WaitInconclusive(
            f"could not read pool {name}'s deploy plan within {deadline.seconds:g}s; {answer}"
        )
    if not freshness.fresh:
        raise DeploymentFailed(
            f"pool {name}'s scheduler did not pick up the change within {deadline.seconds:g}s "
            "(its deploy plan is still the previous one)"
        )
    detail = f"; errors: {'; '.join(seen.errors)}" if seen.errors else ""
    raise DeploymentFailed(
        f"pool {name} did not come up within {deadline.seconds:g}s "
        f"(its load-balancer tasks are not running; deploy plan {seen.status}){detail}"
    )


def wait_uninstalled(client: EdgeLBClient, name: str, namespace: str | None, deadline: Deadline) -> None:
    """Until no scheduler answers for the pool any more (the uninstall runs after the DELETE)."""
    last_error: ProviderError | None = None
    with client.watch_plan(name, namespace) as watch:
        try:
            while True:
                observation = watch.next(deadline.remaining())
                if observation is None:
                    break
                try:
                    plan = observation.result()
                except ProviderError as error:
                    if not is_transient(error):
                        raise
                    last_error = error
                else:
                    last_error = None
                    if plan.status == PLAN_UNAVAILABLE:
                        return
                if deadline.expired():
                    break
        finally:
            client.snapshots().touch(name)
    if last_error is not None:
        raise WaitInconclusive(
            f"could not read pool {name}'s scheduler within {deadline.seconds:g}s; last answer: {last_error}"
        )
    raise DeploymentFailed(
        f"pool {name}'s scheduler still ran {deadline.seconds:g}s after the pool was deleted"
    )
