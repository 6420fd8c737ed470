"""When a Marathon app has settled, and waiting until it has (or is gone).

Marathon answers a write as soon as the deployment is stored. The app has settled when no
deployment touches it any more (whichever deployments those are: a retried, forced or foreign
write may have replaced ours) and its tasks run, healthy where health checks exist (§1.5).
Marathon never fails a deployment itself, so the deadline is ours; reads that fail on the way are
repeated until it (waiting.py), so only what the cluster finally shows can fail the wait.

Waits do not poll on their own: every wait of the process subscribes to one poller of
`GET /v2/deployments` (poller.py), which reads once per tick (0.1 s) however many apps wait, and
reads an app itself only once no deployment touches it any more.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .errors import DeploymentFailed, ProviderError, WaitInconclusive, is_transient
from .marathon_api import MarathonClient, touching
from .waiting import MAX_WRITES, POLL_SECONDS, Deadline

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
    """The app and the deployments touching it, for a diff: from the process's recent list of
    owned apps when it shows the app (one call serves every diff of a preview), else read alone."""
    known, live = client.snapshots().get(app_id)
    if known and live is not None:
        return live, list(live.get("deployments") or [])
    deployments = client.deployments_touching(app_id)
    return client.get_app(app_id), deployments


class _Watch:
    """One wait's view of the shared deployments poller: each step is the first poll that began
    after the previous one (after the write, the first time), and, once no deployment touches the
    app, a fresh read of the app itself. Reads of the app alone are spaced by POLL_SECONDS while
    it has no deployment but has not come up (tasks failing), not made at every tick."""

    def __init__(self, client: MarathonClient, app_id: str, deadline: Deadline) -> None:
        self.client = client
        self.app_id = app_id
        self.deadline = deadline
        self.subscription = client.watch_deployments()
        self._next_app_read = 0.0

    def step(self) -> tuple[dict[str, Any] | None, list[dict[str, Any]]] | None:
        """(live app or None, deployments touching it), with live None while deployments run;
        None at the deadline. Raises what the reads raised."""
        while True:
            observation = self.subscription.next(self.deadline.remaining())
            if observation is None:
                return None
            deployments = touching(observation.result(), self.app_id)
            if deployments:
                return None, deployments
            if time.monotonic() < self._next_app_read and not self.deadline.expired():
                continue
            live = self.client.get_app(self.app_id)
            self._next_app_read = time.monotonic() + POLL_SECONDS
            return live, list((live or {}).get("deployments") or [])

    def restart(self) -> None:
        self.subscription.restart()

    def close(self) -> None:
        self.subscription.close()
        # What this process waited for has changed: no older list answer may serve its diff.
        self.client.snapshots().touch(self.app_id)


def _final_look(client: MarathonClient, app_id: str) -> dict[str, Any] | None:
    """The app for a failure message (its last task failure), if it can be read at all."""
    try:
        return client.get_app(app_id)
    except ProviderError:
        return None


def wait_settled(
    client: MarathonClient, app_id: str, deadline: Deadline, progress: Progress
) -> dict[str, Any]:
    """The live app once it has settled. DeploymentFailed when, at the deadline, the cluster shows
    it has not; WaitInconclusive when the cluster could not be read until then."""
    shown = ""
    seen: tuple[str, dict[str, Any] | None] | None = None  # what the last successful read showed
    last_error: ProviderError | None = None
    watch = _Watch(client, app_id, deadline)
    try:
        while True:
            try:
                step = watch.step()
            except ProviderError as error:
                if not is_transient(error):
                    raise
                last_error, seen = error, None
            else:
                if step is None:
                    break
                live, deployments = step
                last_error = None
                if live is None and not deployments:
                    raise DeploymentFailed(f"app {app_id} vanished while it was being deployed")
                reason = unsettled(live, deployments) if live is not None else unsettled({}, deployments)
                if reason is None:
                    assert live is not None
                    return live
                seen = (reason, live)
                if reason != shown:
                    progress(reason)
                    shown = reason
            if deadline.expired():
                break
    finally:
        watch.close()
    if seen is None:
        answer = f"last answer: {last_error}" if last_error is not None else "no answer came"
        raise WaitInconclusive(f"could not observe app {app_id} within {deadline.seconds:g}s; {answer}")
    reason, live = seen
    verb = "did not finish" if reason.startswith("deployment") else "did not come up"
    subject = f"the deployment of {app_id}" if verb == "did not finish" else f"app {app_id}"
    if live is None:
        live = _final_look(client, app_id)
    raise DeploymentFailed(f"{subject} {verb} within {deadline.seconds:g}s ({reason}){last_failure(live)}")


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
    last_error: ProviderError | None = None
    watch = _Watch(client, app_id, deadline)
    try:
        while True:
            try:
                step = watch.step()
            except ProviderError as error:
                if not is_transient(error):
                    raise
                last_error = error
            else:
                if step is None:
                    break
                last_error = None
                live, deployments = step
                if live is None and not deployments:
                    return
                if deployments:
                    note = f"being removed by deployment {_ids(deployments)}"
                    if note != shown:
                        progress(note)
                        shown = note
                elif writes < MAX_WRITES:
                    send()
                    watch.restart()
                    continue
            if deadline.expired():
                break
    finally:
        watch.close()
    if last_error is not None:
        raise WaitInconclusive(
            f"could not read app {app_id} within {deadline.seconds:g}s; last answer: {last_error}"
        )
    raise DeploymentFailed(f"app {app_id} was still present {deadline.seconds:g}s after its deletion")
