"""What one operation did to the sandbox, from its own records: the request log (`start`/`end`
wall-clock seconds per call), Marathon's deployment history and Edge-LB's plan history
(`created`/`finished`). Pure functions over those lists, so they are tested without a sandbox."""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEPLOYMENTS_PATH = "/service/marathon/v2/deployments"
_APP_PATH = re.compile(r"^/service/marathon/v2/apps(/.*?)/?$")
_PLAN_PATH = re.compile(r"^/service/(.+)/v1/plans/deploy$")


@dataclass(frozen=True)
class Change:
    """One deployment (Marathon) or pool plan (Edge-LB) that ran during the operation."""

    created: float
    finished: float
    #: The app ids it touched, or the pool's `<namespace>/<name>` service.
    subjects: tuple[str, ...]
    kind: str  # "marathon" or "edgelb"


@dataclass(frozen=True)
class OperationMetrics:
    calls: int
    writes: int
    in_flight: int
    #: Per finished change: when the client first learnt of it, minus when it finished (seconds).
    seen_delays: tuple[float, ...]


def changes(
    deployments: Iterable[dict[str, Any]], plans: Iterable[dict[str, Any]], since: float, until: float
) -> list[Change]:
    """The deployments and plans created within [since, until]."""
    found = [
        Change(float(d["created"]), float(d["finished"]), tuple(d.get("affectedApps") or ()), "marathon")
        for d in deployments
        if d.get("outcome", "success") == "success" and since <= float(d["created"]) <= until
    ]
    found += [
        Change(
            float(p["created"]),
            float(p["finished"]),
            (f"{str(p.get('namespace') or '').strip('/')}/{p['pool']}".strip("/"),),
            "edgelb",
        )
        for p in plans
        if since <= float(p["created"]) <= until
    ]
    return found


def max_in_flight(intervals: Iterable[tuple[float, float]]) -> int:
    """The most intervals that overlap at one moment."""
    events = sorted(
        [(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals],
        key=lambda event: (event[0], event[1]),  # an end before a start at the same instant
    )
    now = most = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


def observes(request: dict[str, Any], change: Change) -> bool:
    """A read that shows whether the change is over: the deployments list or the app itself
    (dcos-deploy polls the app) for Marathon, the pool's deploy plan for Edge-LB."""
    if request.get("method") != "GET":
        return False
    path = str(request.get("path", ""))
    if change.kind == "marathon":
        if path == DEPLOYMENTS_PATH:
            return True
        match = _APP_PATH.match(path)
        return match is not None and match.group(1) in change.subjects
    match = _PLAN_PATH.match(path)
    return match is not None and match.group(1) in change.subjects


def seen_delays(requests: Sequence[dict[str, Any]], found: Iterable[Change]) -> list[float]:
    """Per change: the end of the first observing read that began after it finished, minus its
    finish (a read begun before cannot show it over). Changes nobody looked at are left out."""
    delays = []
    ordered = sorted(requests, key=lambda r: float(r["start"]))
    for change in found:
        first = next(
            (r for r in ordered if float(r["start"]) >= change.finished and observes(r, change)), None
        )
        if first is not None:
            delays.append(float(first["end"]) - change.finished)
    return delays


def measure(
    requests: Sequence[dict[str, Any]],
    deployments: Iterable[dict[str, Any]],
    plans: Iterable[dict[str, Any]],
    since: float,
    until: float,
    kind: str | None = None,
) -> OperationMetrics:
    """Everything the sandbox recorded for an operation that ran within [since, until]; `kind`
    keeps only Marathon deployments or only pool plans (a pool's scheduler app is deployed by
    Marathon too, which is not the change the operation waits for)."""
    mine = [r for r in requests if since <= float(r["start"]) <= until]
    found = [c for c in changes(deployments, plans, since, until) if kind is None or c.kind == kind]
    return OperationMetrics(
        calls=len(mine),
        writes=sum(1 for r in mine if r.get("method") in WRITE_METHODS),
        in_flight=max_in_flight((c.created, c.finished) for c in found),
        seen_delays=tuple(seen_delays(mine, found)),
    )


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None
