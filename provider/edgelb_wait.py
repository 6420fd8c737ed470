"""Waiting for a pool's scheduler to finish what a write asked for (dcos-api.md §3.7).

A stored pool is not a running pool: its SDK scheduler deploys the load-balancer tasks, and its
deploy plan is COMPLETE once they run. After a change that relaunches them, Edge-LB has Cosmos
update the scheduler's Marathon app and the scheduler restarts; until then the old scheduler
still answers its old COMPLETE plan. So after a relaunch only a plan seen to be new counts: one
seen unavailable or not COMPLETE after the write, one with other phases, or one answered after
the scheduler app's new version finished deploying.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .edgelb_api import PLAN_UNAVAILABLE, EdgeLBClient, Plan, SchedulerApp
from .errors import DeploymentFailed, ProviderError, WaitInconclusive, is_transient
from .waiting import Deadline, read_until

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Before:
    """What the pool's scheduler showed before a relaunching write."""

    plan: Plan
    scheduler: SchedulerApp | None


def before_relaunch(client: EdgeLBClient, name: str, namespace: str | None, deadline: Deadline) -> Before:
    plan = read_until(deadline, lambda: client.plan(name, namespace), f"pool {name}'s deploy plan")
    return Before(plan, client.scheduler_app(name, namespace))


def _is_new(client: EdgeLBClient, name: str, namespace: str | None, plan: Plan, before: Before) -> bool:
    if not plan.complete or not before.plan.complete:
        return True  # the restart has begun, or the old plan was not COMPLETE anyway
    if before.plan.phase_ids and plan.phase_ids != before.plan.phase_ids:
        return True
    if before.scheduler is not None:
        now = client.scheduler_app(name, namespace)
        return now is not None and now.version != before.scheduler.version and not now.deploying
    return False


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
    fresh = before is None
    shown = ""
    seen: Plan | None = None
    last_error: ProviderError | None = None
    while True:
        try:
            plan = client.plan(name, namespace)
            if not fresh:
                assert before is not None
                fresh = _is_new(client, name, namespace, plan, before)
        except ProviderError as error:
            if not is_transient(error):
                raise
            seen, last_error = None, error
        else:
            seen = plan
            if fresh and plan.complete:
                return plan.status
            note = f"pool deploy plan {plan.status}" + ("" if fresh else " (still the previous scheduler's)")
            if note != shown:
                progress(note)
                shown = note
        if deadline.expired():
            if seen is None:
                raise WaitInconclusive(
                    f"could not read pool {name}'s deploy plan within {deadline.seconds:g}s; last answer: {last_error}"
                )
            if not fresh:
                raise DeploymentFailed(
                    f"pool {name}'s scheduler did not pick up the change within {deadline.seconds:g}s "
                    "(its deploy plan is still the previous one)"
                )
            detail = f"; errors: {'; '.join(seen.errors)}" if seen.errors else ""
            raise DeploymentFailed(
                f"pool {name} did not come up within {deadline.seconds:g}s "
                f"(its load-balancer tasks are not running; deploy plan {seen.status}){detail}"
            )
        deadline.pause()


def wait_uninstalled(client: EdgeLBClient, name: str, namespace: str | None, deadline: Deadline) -> None:
    """Until no scheduler answers for the pool any more (the uninstall runs after the DELETE)."""
    while True:
        plan = read_until(deadline, lambda: client.plan(name, namespace), f"pool {name}'s scheduler")
        if plan.status == PLAN_UNAVAILABLE:
            return
        if deadline.expired():
            raise DeploymentFailed(
                f"pool {name}'s scheduler still ran {deadline.seconds:g}s after the pool was deleted"
            )
        deadline.pause()
