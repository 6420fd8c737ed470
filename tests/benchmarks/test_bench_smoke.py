"""`make bench` runs end to end on its smallest setting (one app, 0.1 s deployments, one round):
the report comes out with every operation. Nothing here looks at a time."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.pulumi_cli import REPO

pytestmark = pytest.mark.e2e


def test_the_benchmark_runs_and_reports_every_operation() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    rows = [line for line in completed.stdout.splitlines() if line.startswith("| 1 |")]
    assert [row.split(" | ")[1] for row in rows] == [
        "up",
        "preview",
        "up (no change)",
        "one-field change",
        "destroy",
    ]
    assert "failed" not in completed.stdout
