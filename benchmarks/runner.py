"""The benchmark's rounds: one sandbox, every contender on every (via, N), interleaved, each
operation timed and measured against the sandbox's own records."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.metrics import OperationMetrics, measure
from benchmarks.targets import OPERATIONS, FloorTarget, PeerTarget, ProjectTarget, Target, cluster_names
from tests.pulumi_cli import engine_bin
from tests.sandbox import Sandbox

KIND = {"marathon-lb": "marathon", "edge-lb": "edgelb"}


@dataclass(frozen=True)
class Settings:
    sizes: tuple[int, ...] = (1, 5, 20)
    vias: tuple[str, ...] = ("marathon-lb", "edge-lb")
    reps: int = 3
    peer_reps: int = 1
    peer: bool = True
    deploy_seconds: float = 2.25
    parallel: int = 32
    #: Log every call of the project's operations (method and path, counted).
    show_calls: bool = False


@dataclass
class Samples:
    seconds: list[float] = field(default_factory=list)
    metrics: list[OperationMetrics] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


# (via, N, contender label, operation) -> samples
Results = dict[tuple[str, int, str, str], Samples]


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def run(settings: Settings) -> tuple[Results, dict[str, str]]:
    engine = engine_bin()
    names = cluster_names(max(settings.sizes))
    seconds = str(settings.deploy_seconds)
    flags = ["--deploy-seconds", seconds, "--pool-deploy-seconds", seconds, "--pool-delete-seconds", seconds]
    for name in names:
        flags += ["--cluster", name]
    results: Results = defaultdict(Samples)
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, Sandbox(*flags, auth="token") as sandbox:
        token = sandbox.admin_token()
        contenders: dict[tuple[str, int], list[Target]] = {}
        for via in settings.vias:
            for count in settings.sizes:
                work = Path(tmp) / f"{via}-{count}"
                found: list[Target] = [
                    FloorTarget(count, work / "floor", engine, settings.parallel),
                    ProjectTarget(
                        via, count, work / "project", engine, sandbox.url, token, settings.parallel
                    ),
                ]
                if settings.peer and via == "edge-lb" and edgelb_unreachable(sandbox, token):
                    note = (
                        "dcos-deploy has no edge-lb figures: its edgelb module calls "
                        "`/service/edgelb/api/...`, which Edge-LB does not serve (dcos-api.md §3.2)"
                    )
                    notes += [] if note in notes else [note]
                elif settings.peer:
                    found.append(PeerTarget(via, count, work / "peer", sandbox.url, token))
                contenders[(via, count)] = found
        for rep in range(settings.reps):
            for count in settings.sizes:
                for via in settings.vias:
                    for target in contenders[(via, count)]:
                        if isinstance(target, PeerTarget) and rep >= settings.peer_reps:
                            continue
                        _round(sandbox, target, via, count, rep, results, settings.show_calls)
    return results, {**machine(settings), "notes": " ".join(notes)}


def edgelb_unreachable(sandbox: Sandbox, token: str) -> bool:
    """dcos-deploy's edgelb module talks to `/service/edgelb/api/...` (it appends `/api` to its
    api_server option, whatever it is set to); Edge-LB answers below `/service/edgelb/` (dcos-api.md
    §3.2), so there it waits two minutes for an API that never answers, then fails."""
    answer = sandbox.request("GET", "/service/edgelb/api/ping", token=token)
    if answer.status_code != 200:
        log(
            f"dcos-deploy left out for edge-lb: its Edge-LB API path /service/edgelb/api/ping answers "
            f"{answer.status_code}"
        )
        return True
    return False


def _round(
    sandbox: Sandbox, target: Target, via: str, count: int, rep: int, results: Results, show_calls: bool
) -> None:
    log(f"round {rep + 1}: {target.label}, {count} x {via}")
    target.prepare()
    for operation in OPERATIONS:
        samples = results[(via, count, target.label, operation)]
        sandbox.clear_requests()
        since = time.time()
        try:
            samples.seconds.append(target.run(operation))
        except Exception as error:  # a failed run is reported, and the round goes on
            samples.failures.append(str(error)[-2000:])
            log(f"{target.label} {operation} failed: {str(error)[-2000:]}")
            if operation != "destroy":
                continue
        until = time.time()
        if target.label != "floor":
            requests = sandbox.requests()
            if show_calls:
                seen = Counter(f"{r['method']} {r['path']}" for r in requests)
                log(f"{target.label} {operation}: " + ", ".join(f"{n} x {c}" for c, n in seen.most_common()))
            samples.metrics.append(
                measure(
                    requests,
                    sandbox.deployment_history(),
                    sandbox.plan_history(),
                    since,
                    until,
                    KIND[via],
                )
            )


def machine(settings: Settings) -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "settings": (
            f"deployments {settings.deploy_seconds:g} s, `--parallel {settings.parallel}`, medians of "
            f"{settings.reps} (dcos-deploy: {settings.peer_reps}), runs interleaved"
        ),
    }


# -- the report ----------------------------------------------------------------------------------


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _calls(samples: Samples) -> str:
    if not samples.metrics:
        return "—"
    calls = statistics.median([m.calls for m in samples.metrics])
    writes = statistics.median([m.writes for m in samples.metrics])
    return f"{calls:g} ({writes:g})"


def _in_flight(samples: Samples) -> str:
    values = [m.in_flight for m in samples.metrics]
    return "—" if not values or max(values) == 0 else f"{statistics.median(values):g}"


def _seen(samples: Samples) -> str:
    delays = [d for m in samples.metrics for d in m.seen_delays]
    return "—" if not delays else f"{statistics.median(delays):.2f} / {max(delays):.2f}"


def _time(samples: Samples) -> str:
    text = _seconds(_median(samples.seconds))
    return f"{text} ({len(samples.failures)} failed)" if samples.failures else text


def table(results: Results, settings: Settings, via: str) -> str:
    peer = settings.peer
    header = [
        "N",
        "operation",
        "project s",
        "floor s",
        "ratio",
        "calls (writes)",
        "in flight",
        "seen med / max s",
    ]
    if peer:
        header += ["dcos-deploy s", "its calls (writes)", "its seen med / max s"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for count in settings.sizes:
        for operation in OPERATIONS:
            project = results[(via, count, "project", operation)]
            floor = results[(via, count, "floor", operation)]
            mine, base = _median(project.seconds), _median(floor.seconds)
            ratio = f"{mine / base:.2f}" if mine is not None and base else "—"
            row = [
                str(count),
                operation,
                _time(project),
                _time(floor),
                ratio,
                _calls(project),
                _in_flight(project),
                _seen(project),
            ]
            if peer:
                other = results.get((via, count, "dcos-deploy", operation), Samples())
                row += [_time(other), _calls(other), _seen(other)]
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def report(results: Results, settings: Settings, facts: dict[str, str]) -> str:
    parts = [
        f"{facts['date']}; {facts['machine']}; Python {facts['python']}; {facts['settings']}."
        + (f" {facts['notes']}." if facts.get("notes") else ""),
    ]
    for via in settings.vias:
        parts += ["", f"**via {via}**", "", table(results, settings, via)]
    failures = [
        f"- {key[2]} {key[3]} ({key[1]} x {key[0]}): {text.splitlines()[-1] if text else '?'}"
        for key, samples in sorted(results.items())
        for text in samples.failures
    ]
    if failures:
        parts += ["", "Failures:", *failures]
    return "\n".join(parts)
