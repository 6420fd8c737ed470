"""`haproxy -c`: the one way the sandbox asks HAProxy whether it would load a config. Marathon-LB's
reset loop and Edge-LB's lbconfig both run it, as their real counterparts do before a reload."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    output: str
    at: float
    digest: str  # of the config checked

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "output": self.output, "at": self.at, "digest": self.digest}


def run_check(
    haproxy: Sequence[str],
    config: Path,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[bool, str]:
    """`<haproxy> -c -f <config>`: (valid, HAProxy's output). `haproxy` is the command that starts
    HAProxy, e.g. inside the node namespace; `env` is added to the sandbox's environment."""
    argv = [*haproxy, "-c", "-f", str(config)]
    try:
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, **(env or {})},
        )
    except subprocess.TimeoutExpired:
        return False, f"haproxy -c timed out after {timeout:g}s"
    except OSError as exc:
        return False, f"cannot run {argv[0]}: {exc}"
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


def annotate(config: str, result: CheckResult) -> str:
    """The config with HAProxy's complaint appended as comments, so whoever reads it sees it."""
    if result.ok:
        return config
    lines = ["", "# localdcos: `haproxy -c` rejects this configuration:"]
    lines += [f"# {line}" for line in result.output.splitlines()]
    return config.rstrip("\n") + "\n" + "\n".join(lines) + "\n"
