"""When a Marathon app has settled, and waiting until it has (or is gone).

Marathon answers a write as soon as the deployment is stored. The app has settled when no
deployment touches it any more (whichever deployments those are: a retried, forced or foreign
write may have replaced ours) and its tasks run, healthy where health checks exist (§1.5).
Marathon never fails a deployment itself, so the deadline is ours; reads that fail on the way are
repeated until it (waiting.py), so only what the cluster finally shows can fail the wait.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import DeploymentFailed, ProviderError, WaitInconclusive, is_transient
from .marathon_api import MarathonClient
from .waiting import MAX_WRITES, Deadline, read_until

Progress = Callable[[str], None]


def _ids(deployments: list[dict[str, Any]]) -> str:
    return ", ".join(str(d.get("id")) for d in deployments) or "?"


def last_failure(live: dict[str, Any] | None) -> str:
    message = ((live or {}).get("lastTaskFailure") or {}).get("message")
    return f"; last task failure: {message}" if message else ""


def unsettled(live: dict[str, Any], deployments: list[dict[str, Any]]) -> str | None:
    """Why the app is not (yet) what its definition asks for, or None when it is."""
    if deployments:
        return f"deployment {_ids(deployments)} is still running"
    wanted = int(live.get("instances") or 0)
    running = int(live.get("tasksRunning") or 0)
    if running < wanted:
        return f"only {running} of {wanted} tasks are running"
    healthy = int(live.get("tasksHealthy") or 0)
    if live.get("healthChecks") and healthy < wanted:
        return f"only {healthy} of {wanted} tasks are healthy"
    return None


def observe(client: MarathonClient, app_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    deployments = client.deployments_touching(app_id)
    return client.get_app(app_id), deployments


def wait_settled(
    client: MarathonClient, app_id: str, deadline: Deadline, progress: Progress
) -> dict[str, Any]:
    """The live app once it has settled. DeploymentFailed when, at the deadline, the cluster shows
    it has not; WaitInconclusive when the cluster could not be read until then."""
    shown = ""
    seen: tuple[str, dict[str, Any] | None] | None = None  # what the last successful read showed
    last_error: ProviderError | None = None
    while True:
        try:
            live, deployments = observe(client, app_id)
        except ProviderError as error:
            if not is_transient(error):
                raise
            last_error, seen = error, None
        else:
            last_error = None
            if live is None and not deployments:
                raise DeploymentFailed(f"app {app_id} vanished while it was being deployed")
            reason = unsettled(live, deployments) if live is not None else "it is being deployed"
            if reason is None:
                assert live is not None
                return live
            seen = (reason, live)
            if reason != shown:
                progress(reason)
                shown = reason
        if deadline.expired():
            if seen is None:
                raise WaitInconclusive(
                    f"could not observe app {app_id} within {deadline.seconds:g}s; last answer: {last_error}"
                )
            reason, live = seen
            verb = "did not finish" if reason.startswith("deployment") else "did not come up"
            subject = f"the deployment of {app_id}" if verb == "did not finish" else f"app {app_id}"
            raise DeploymentFailed(
                f"{subject} {verb} within {deadline.seconds:g}s ({reason}){last_failure(live)}"
            )
        deadline.pause()


def remove(client: MarathonClient, app_id: str, deadline: Deadline, progress: Progress) -> None:
    """DELETE, then wait until the app is gone and no deployment touches it. A DELETE whose answer
    was lost, or that finds the app gone (404) on a second try, still waits; a DELETE that the
    read-back shows never happened (the app is there and nothing removes it) is sent again."""
    writes = 0

    def send() -> None:
        nonlocal writes
        writes += 1
        try:
            client.delete_app(app_id)
        except ProviderError as error:
            if not is_transient(error):
                raise
            # Uncertain: what the cluster shows next decides.

    send()
    shown = ""
    while True:
        live, deployments = read_until(deadline, lambda: observe(client, app_id), f"app {app_id}")
        if live is None and not deployments:
            return
        if deployments:
            note = f"being removed by deployment {_ids(deployments)}"
            if note != shown:
                progress(note)
                shown = note
        elif writes < MAX_WRITES:
            send()
            continue
        if deadline.expired():
            raise DeploymentFailed(f"app {app_id} was still present {deadline.seconds:g}s after its deletion")
        deadline.pause()
