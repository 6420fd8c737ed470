"""The benchmark's figures from the sandbox's records (benchmarks/metrics.py), on made-up records."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from benchmarks.imports import ours_from_importtime
from benchmarks.metrics import OperationMetrics, max_in_flight, measure
from benchmarks.runner import Results, Samples, Settings, table
from benchmarks.targets import OPERATIONS

APP = "/marathon-lb-a"


def request(method: str, path: str, start: float, end: float | None = None) -> dict[str, Any]:
    return {
        "method": method,
        "path": path,
        "query": "",
        "status": 200,
        "start": start,
        "end": end or start + 0.01,
    }


def test_overlapping_changes_are_in_flight_together() -> None:
    assert max_in_flight([(0, 2), (0.5, 2.5), (2.5, 3)]) == 2
    assert max_in_flight([(0, 1), (1, 2)]) == 1  # one ends as the next begins
    assert max_in_flight([]) == 0


def test_calls_writes_and_the_completion_seen() -> None:
    requests = [
        request("POST", "/service/marathon/v2/apps", 10.0),
        request("GET", "/service/marathon/v2/deployments", 11.0),
        # Began before the deployment finished: cannot have seen it end.
        request("GET", "/service/marathon/v2/deployments", 12.25, 12.40),
        request("GET", "/service/marathon/v2/deployments", 12.35, 12.37),
        request("GET", f"/service/marathon/v2/apps{APP}", 12.38),
        request("GET", "/service/marathon/v2/deployments", 99.0),  # after the operation
    ]
    deployments = [
        {"id": "d1", "affectedApps": [APP], "created": 10.01, "finished": 12.30, "outcome": "success"},
        {"id": "old", "affectedApps": [APP], "created": 1.0, "finished": 3.0, "outcome": "success"},
    ]
    found = measure(requests, deployments, [], since=9.9, until=13.0, kind="marathon")
    assert (found.calls, found.writes, found.in_flight) == (5, 1, 1)
    assert [round(d, 3) for d in found.seen_delays] == [0.07]


def test_pool_plans_and_dcos_deploys_app_polls() -> None:
    plans = [
        {"pool": "p", "namespace": "dcos-edgelb/pools", "created": 1.0, "finished": 3.0, "kind": "install"},
        {"pool": "q", "namespace": "dcos-edgelb/pools", "created": 1.1, "finished": 3.1, "kind": "install"},
    ]
    requests = [
        request("GET", "/service/dcos-edgelb/pools/p/v1/plans/deploy", 3.05, 3.06),
        request("GET", "/service/dcos-edgelb/pools/q/v1/plans/deploy", 3.05, 3.06),  # too early for q
        request("GET", "/service/dcos-edgelb/pools/q/v1/plans/deploy", 3.15, 3.16),
    ]
    found = measure(requests, [], plans, since=0.0, until=4.0, kind="edgelb")
    assert found.in_flight == 2
    assert [round(d, 3) for d in found.seen_delays] == [0.06, 0.06]
    # dcos-deploy learns of a deployment's end by reading the app.
    polls = [request("GET", f"/service/marathon/v2/apps{APP}/", 13.0, 13.02)]
    deployment = [{"affectedApps": [APP], "created": 1.0, "finished": 12.5, "outcome": "success"}]
    assert [round(d, 2) for d in measure(polls, deployment, [], 0.0, 20.0).seen_delays] == [0.52]


def test_import_times_count_only_what_comes_after_the_baseline() -> None:
    text = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:       100 |        100 |   grpc._cython",
            "import time:       500 |      90000 | pulumi",
            "import time:        50 |        400 |     pydantic.version",
            "import time:       200 |      45000 | provider.marathon_app",
            "import time:       100 |      60000 | provider.http",
        ]
    )
    assert ours_from_importtime(text, "dill, pulumi") == 105000


def test_the_report_table_has_ratios_and_dashes_where_nothing_was_measured() -> None:
    settings = Settings(sizes=(1,), vias=("marathon-lb",), reps=1, peer=True)
    results: Results = defaultdict(Samples)
    for operation in OPERATIONS:
        results[("marathon-lb", 1, "floor", operation)] = Samples(seconds=[1.0])
        results[("marathon-lb", 1, "project", operation)] = Samples(
            seconds=[1.5], metrics=[OperationMetrics(3, 0, 0, ())]
        )
    lines = table(results, settings, "marathon-lb").splitlines()
    assert lines[2].startswith("| 1 | up | 1.50 | 1.00 | 1.50 | 3 (0) | — | — | — |")
    assert len(lines) == 2 + len(OPERATIONS)
