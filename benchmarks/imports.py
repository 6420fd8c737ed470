"""`python -m benchmarks.imports [--root DIR] [--runs 15]`: what each process imports of ours, by
`python -X importtime`, on top of what it imports anyway (the provider host: dill, grpc, pulumi;
the program: pulumi). Medians of fresh interpreters; `--root` measures another checkout (say, an
older commit unpacked with `git archive`) with this virtualenv."""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: (process, what it imports anyway, what it imports of ours)
CASES = (
    (
        "provider process, MarathonApp",
        "dill, grpc, pulumi, pulumi.dynamic",
        "provider.marathon_app, provider.http",
    ),
    (
        "provider process, EdgeLBPool",
        "dill, grpc, pulumi, pulumi.dynamic",
        "provider.edgelb_pool, provider.http",
    ),
    ("program process", "pulumi", "components"),
)
_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")


def ours_microseconds(root: Path, baseline: str, modules: str) -> int:
    """The cumulative import time of the top-level imports `modules` triggers after `baseline`."""
    code = f"import {baseline}\nimport {modules}"
    env = {**os.environ, "PYTHONPATH": str(root)}
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return ours_from_importtime(completed.stderr, baseline)


def ours_from_importtime(text: str, baseline: str) -> int:
    """The sum of the cumulative times of the top-level entries printed after the last top-level
    module of `baseline` (microseconds)."""
    top = [m for m in map(_LINE.match, text.splitlines()) if m and m.group(3) == " "]
    names = {b.strip() for b in baseline.split(",")}
    last_baseline = max(i for i, m in enumerate(top) if m.group(4) in names)
    return sum(int(m.group(2)) for m in top[last_baseline + 1 :])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.imports", description=__doc__)
    parser.add_argument("--root", type=Path, default=REPO)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print(f"| process | imports of ours | median ms ({args.runs} runs, {args.root}) |")
    print("|---|---|---|")
    for process, baseline, modules in CASES:
        times = [ours_microseconds(args.root, baseline, modules) for _ in range(args.runs)]
        print(f"| {process} | `{modules}` | {statistics.median(times) / 1000:.0f} |")


if __name__ == "__main__":
    main()
