"""The Python steps of `make up` (scripts/up), on the project's virtualenv:

    python scripts/main_job.py clusters URL < config    the names of the clusters the program exposes
    python scripts/main_job.py report STACK             the outputs, and the kubeconfig into .state/
    python scripts/main_job.py probe SECONDS URL        every exposure answers /version, or exit 1

`clusters` reads `pulumi config --json` and parses it with the program's own parser
(`components.config.parse_program_config`), so the names are exactly the ones `pulumi up` deploys.
URL is the sandbox's, for the hints printed. `report` and `probe` read `.state/outputs.json`
(written by scripts/up, 0600).
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from components.config import PROGRAM_KEYS, ConfigError, parse_program_config

OUTPUTS = Path(".state/outputs.json")
LOG = ".state/localdcos.log"


def _config_value(entry: dict[str, Any]) -> object:
    """What `pulumi.Config.get_object` returns for one `pulumi config --json` entry."""
    if "objectValue" in entry:
        return entry["objectValue"]
    value = entry.get("value")
    try:
        return json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return value


def clusters(config_json: str, project: str, sandbox_url: str) -> tuple[list[str], list[str]]:
    """(cluster names, messages for the user) from the stack's `pulumi config --json`."""
    config: dict[str, dict[str, Any]] = json.loads(config_json or "{}")
    raw = {
        key: _config_value(config[f"{project}:{key}"]) for key in PROGRAM_KEYS if f"{project}:{key}" in config
    }
    try:
        # The kubeconfig token is not needed for the names (and is not shown without --show-secrets).
        program = parse_program_config(raw, project=project)
    except ConfigError as error:
        return [], [f"{error}\n(no cluster is provisioned in the sandbox; `pulumi up` refuses this config)"]
    names = [cluster.exposure.cluster_name for cluster in program.named]
    notes = []
    if program.referenced is not None:
        source = program.referenced.source
        notes.append(
            f"clusterFrom: the cluster name comes from output {source.output!r} of stack {source.stack!r}, "
            "known only when that reference resolves during `pulumi up`; add that cluster to the sandbox "
            f"yourself: .venv/bin/python -m localdcos cluster --url {sandbox_url} --token-file .state/token "
            "add NAME"
        )
    return names, notes


def report(stack: str) -> None:
    """The exposures, and the first cluster's kubeconfig written to .state/kubeconfig-STACK (0600)."""
    outputs: dict[str, Any] = json.loads(OUTPUTS.read_text())
    kubeconfig = outputs.get("kubeconfig")
    path = Path(f".state/kubeconfig-{stack}")
    if kubeconfig:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            handle.write(kubeconfig)
    else:
        path.unlink(missing_ok=True)  # not a stale one from an earlier config
    print()
    for name, exposure in sorted((outputs.get("exposures") or {}).items()):
        target = exposure.get("appId") or exposure.get("poolName")
        url = exposure.get("url") or "(set publicHost)"
        print(f"cluster {name}: exposed via {exposure.get('via')} ({target}) at {url}")
        print(f"  backend: {exposure.get('vipHost')}")
        if kubeconfig and name == outputs.get("clusterName"):
            print(f"  kubeconfig: {path}")


def _answers(url: str, context: ssl.SSLContext) -> str | None:
    """None when `url` answers like an API server's /version, else what it did instead."""
    try:
        with urllib.request.urlopen(url, context=context, timeout=3) as response:  # noqa: S310 (https only)
            if response.status == 200 and "gitVersion" in response.read().decode(errors="replace"):
                return None
            return f"HTTP {response.status}"
    except urllib.error.HTTPError as error:  # e.g. HAProxy's 503 when no server is available
        return f"HTTP {error.code} {error.reason}"
    except Exception as error:  # refused, reset, timed out, TLS, HTTP 503: all mean not (yet)
        return str(getattr(error, "reason", None) or error)


def _haproxy_enabled(sandbox_url: str) -> bool | None:
    """Whether the sandbox runs real HAProxy (None: it cannot tell)."""
    try:
        token = Path(".state/token").read_text().strip()
        request = urllib.request.Request(  # noqa: S310 (the sandbox's own URL)
            f"{sandbox_url}/_localdcos/haproxy/status", headers={"Authorization": f"token={token}"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return bool(json.loads(response.read())["enabled"])
    except (OSError, ValueError, KeyError):
        return None


def probe(seconds: float, sandbox_url: str) -> int:
    """Every exposure with a URL answers /version within `seconds` (one deadline for all)."""
    # The sandbox's load balancers serve a self-signed certificate: not verified here.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    exposures: dict[str, Any] = json.loads(OUTPUTS.read_text()).get("exposures") or {}
    deadline = time.monotonic() + seconds
    failed = []
    for name, exposure in sorted(exposures.items()):
        if not exposure.get("url"):
            continue
        url = exposure["url"] + "/version"
        while (last := _answers(url, context)) is not None and time.monotonic() < deadline:
            time.sleep(0.5)
        if last is None:
            print(f"  {url} answers")
        else:
            failed.append(f"cluster {name}: {url} did not answer within {seconds:g}s ({last})")
    for line in failed:
        print(f"make up: {line}; see {LOG}", file=sys.stderr)
    if failed:
        if _haproxy_enabled(sandbox_url) is False:
            print(
                "make up: the sandbox runs without real HAProxy (LOCALDCOS_ARGS replaced --haproxy), "
                "so nothing serves the exposures' ports; `make down`, then `make up` without it",
                file=sys.stderr,
            )
        print(
            "make up: what the sandbox's load balancers run and check:\n"
            f'  curl -sS -H "Authorization: token=$(cat .state/token)" {sandbox_url}/_localdcos/haproxy/status\n'
            "make up: the clusters the sandbox has:\n"
            f"  .venv/bin/python -m localdcos cluster --url {sandbox_url} --token-file .state/token list",
            file=sys.stderr,
        )
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    command, *args = argv
    if command == "clusters":
        project = str(yaml.safe_load(Path("Pulumi.yaml").read_text())["name"])
        names, notes = clusters(sys.stdin.read(), project, args[0])
        for note in notes:
            print(f"make up: {note}", file=sys.stderr)
        print("\n".join(names))
        return 0
    if command == "report":
        report(args[0])
        return 0
    if command == "probe":
        return probe(float(args[0]), args[1])
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
