"""`python -m localdcos cluster add|remove|list`: the cluster routes of a running sandbox's control
API, from a shell (e.g. `make up`, once per cluster of a stack). Exit 0 when the sandbox did what
was asked (an `add` of an installed cluster included), 1 with its message otherwise, 2 when it
cannot be reached."""

from __future__ import annotations

import argparse
import json
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

DEFAULT_URL = "http://127.0.0.1:18080"
_TIMEOUT = 30.0


def add_parser(commands: Any) -> None:
    """The `cluster` command and its subcommands, on `commands` (an argparse subparsers object)."""
    cluster = commands.add_parser("cluster", help="add, remove or list kubernetes-cluster services")
    cluster.add_argument(
        "--url",
        default=os.environ.get("LOCALDCOS_URL", DEFAULT_URL),
        help=f"the sandbox's base URL (default $LOCALDCOS_URL or {DEFAULT_URL})",
    )
    cluster.add_argument(
        "--token-file",
        type=Path,
        default=os.environ.get("LOCALDCOS_TOKEN_FILE") or None,
        help="admin token for --auth token (serve --token-file writes one; default $LOCALDCOS_TOKEN_FILE)",
    )
    cluster.add_argument("--ca-file", type=Path, help="CA bundle to verify an https:// sandbox with")
    actions = cluster.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="install the service NAME (no-op when installed)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--control-planes", type=int, default=1, metavar="N")
    remove = actions.add_parser("remove", help="uninstall the service NAME")
    remove.add_argument("name", metavar="NAME")
    listing = actions.add_parser("list", help="the clusters the sandbox knows")
    listing.add_argument("--json", action="store_true", help="print the control API's answer as is")


def _call(args: argparse.Namespace, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    url = args.url.rstrip("/") + "/_localdcos/clusters" + path
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if args.token_file is not None:
        headers["Authorization"] = "token=" + Path(args.token_file).read_text().strip()
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    context = ssl.create_default_context(cafile=str(args.ca_file)) if args.ca_file else None
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT, context=context) as response:  # noqa: S310
            raw = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        raw, status = error.read(), error.code
    text = raw.decode(errors="replace")
    try:
        return status, json.loads(text) if text.strip() else None
    except ValueError:
        return status, text


def _summary(info: dict[str, Any]) -> str:
    app = info.get("schedulerApp") or {}
    framework = info.get("framework") or {}
    planes = framework.get("controlPlanes") or []
    where = ", ".join(f"{p['host']}:{p['apiserverPort']} {p['state']}" for p in planes) or "none"
    apiserver = info.get("apiserver") or {}
    line = (
        f"{info['name']}: {'installed' if info.get('installed') else 'incomplete'}; "
        f"scheduler app {app.get('id', '(none)')} ({app.get('tasksRunning', 0)}/{app.get('instances', 0)} running); "
        f"framework {framework.get('name', '(none)')}; control plane {where}; VIP {info['vip']}"
    )
    if apiserver:
        line += f"; apiserver {apiserver.get('url') or apiserver.get('error') or 'starting'}"
    return line


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "add":
            status, body = _call(args, "POST", "", {"name": args.name, "controlPlanes": args.control_planes})
            ok = status in (200, 201)
            if ok:
                verb = "installed" if status == 201 else "already installed"
                print(f"{verb}: {_summary(body)}")
        elif args.action == "remove":
            status, body = _call(args, "DELETE", "/" + urllib.parse.quote(args.name.strip("/")))
            ok = status == 204
            if ok:
                print(f"removed: {args.name.strip('/')}")
        else:
            status, body = _call(args, "GET", "")
            ok = status == 200
            if ok:
                print(json.dumps(body, indent=2) if args.json else "\n".join(_summary(i) for i in body))
    except (OSError, urllib.error.URLError) as error:
        print(f"cannot reach the sandbox at {args.url}: {error}", file=sys.stderr)
        return 2
    if not ok:
        detail = body.get("message", body) if isinstance(body, dict) else body
        print(f"{args.action} failed (HTTP {status}): {detail}", file=sys.stderr)
        return 1
    return 0
