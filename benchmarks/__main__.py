"""`python -m benchmarks [--sizes 1,5,20] [--vias marathon-lb,edge-lb] [--reps 3] ...`: prints a
Markdown table per load balancer (and writes it to `--output`, if given)."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.runner import Settings, report, run


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part)


def _words(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(",") if part)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--sizes", type=_ints, default=Settings.sizes, help="exposures per stack (1,5,20)")
    parser.add_argument("--vias", type=_words, default=Settings.vias, help="marathon-lb,edge-lb")
    parser.add_argument("--reps", type=int, default=Settings.reps, help="rounds; medians are over them")
    parser.add_argument("--peer-reps", type=int, default=Settings.peer_reps, help="rounds of dcos-deploy")
    parser.add_argument("--no-peer", action="store_true", help="leave dcos-deploy out")
    parser.add_argument("--deploy-seconds", type=float, default=Settings.deploy_seconds)
    parser.add_argument("--parallel", type=int, default=Settings.parallel, help="pulumi --parallel")
    parser.add_argument(
        "--smoke", action="store_true", help="one tiny round (1 app, 0.1 s deployments, no peer)"
    )
    parser.add_argument("--show-calls", action="store_true", help="log the calls of every operation")
    parser.add_argument("--output", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    if args.smoke:
        settings = Settings(
            sizes=(1,),
            vias=("marathon-lb",),
            reps=1,
            peer=False,
            deploy_seconds=0.1,
            show_calls=args.show_calls,
        )
    else:
        settings = Settings(
            sizes=args.sizes,
            vias=args.vias,
            reps=args.reps,
            peer_reps=min(args.peer_reps, args.reps),
            peer=not args.no_peer,
            deploy_seconds=args.deploy_seconds,
            parallel=args.parallel,
            show_calls=args.show_calls,
        )
    results, facts = run(settings)
    text = report(results, settings, facts)
    print(text)
    if args.output is not None:
        args.output.write_text(text + "\n")


if __name__ == "__main__":
    main()
