"""`python -m stackrun [--cwd DIR] --stack NAME up|preview|refresh|destroy|outputs|config ...`"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pulumi import automation as auto

from .runner import StackRunner


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stackrun", description=__doc__)
    parser.add_argument("--cwd", type=Path, default=Path.cwd(), help="the Pulumi project directory")
    parser.add_argument("--stack", required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="deploy (pulumi up --yes)")
    preview = commands.add_parser("preview", help="show what up would change")
    preview.add_argument("--expect-no-changes", action="store_true")
    commands.add_parser("refresh", help="read the live state into the stack (pulumi refresh --yes)")
    commands.add_parser("destroy", help="delete everything the stack manages (pulumi destroy --yes)")
    outputs = commands.add_parser("outputs", help="print the stack outputs as JSON")
    outputs.add_argument("--show-secrets", action="store_true")
    config = commands.add_parser("config", help="set a config value (pulumi config set)")
    config.add_argument("key")
    config.add_argument("value")
    config.add_argument("--secret", action="store_true")
    args = parser.parse_args(argv)

    runner = StackRunner(args.cwd, args.stack)
    try:
        if args.command == "up":
            runner.up()
        elif args.command == "preview":
            runner.preview(expect_no_changes=args.expect_no_changes)
        elif args.command == "refresh":
            runner.refresh()
        elif args.command == "destroy":
            runner.destroy()
        elif args.command == "config":
            runner.set_config(args.key, args.value, secret=args.secret)
        elif args.command == "outputs":
            values = {
                k: (v.value if args.show_secrets or not v.secret else "[secret]")
                for k, v in runner.outputs().items()
            }
            print(json.dumps(values, indent=2, sort_keys=True))
    except auto.CommandError as error:
        # The engine's own output (already streamed) says what failed; keep the tail short.
        print(f"stackrun: pulumi {args.command} failed", file=sys.stderr)
        if "expect_no_changes" in str(error) or "no changes were expected" in str(error):
            print("stackrun: the preview found changes where none were expected", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
