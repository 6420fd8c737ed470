"""What an Edge-LB pool's HAProxy task has around its haproxy.cfg, and `haproxy -c` of that config.

Each pool gets a directory standing in for its task's `$MESOS_SANDBOX`. With `autoCertificate` it
holds the self-signed certificate Edge-LB generates, and `$AUTOCERT` names it, so a frontend's
`crt "$MESOS_SANDBOX/$AUTOCERT"` resolves exactly as on DC/OS (HAProxy expands the variables).
Checks run through the node namespace (see netns.py) with that environment, are cached by the
config's digest, and leave a timestamped line in the pool's log either way.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localdcos.edgelb_models import V2Pool
from localdcos.netns import NodeNamespace
from localdcos.selfsigned import self_signed_pem

AUTOCERT_FILE = "autocert.pem"
_MAX_LOG = 500
_CACHE_SIZE = 256


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    output: str
    at: float
    digest: str

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "output": self.output, "at": self.at, "digest": self.digest}


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1000):03d}Z"


def run_haproxy_check(
    node: NodeNamespace, config: Path, *, env: Mapping[str, str] | None = None, timeout: float = 10.0
) -> tuple[bool, str]:
    """`haproxy -c -f config` inside the node namespace: (valid, HAProxy's output)."""
    command = node.command("haproxy", "-c", "-f", str(config))
    try:
        proc = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, **(env or {})},
        )
    except subprocess.TimeoutExpired:
        return False, f"haproxy -c timed out after {timeout:g}s"
    except OSError as exc:
        return False, f"cannot run haproxy: {exc}"
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


class PoolSandboxes:
    """Per-pool sandbox directories, their `haproxy -c` results and their logs."""

    def __init__(self, root: Path, node: NodeNamespace, *, timeout: float = 10.0) -> None:
        self.root = root
        self.node = node
        self.timeout = timeout
        self._lock = threading.Lock()
        self._check_lock = threading.Lock()
        self._cache: dict[str, CheckResult] = {}
        self._last: dict[str, CheckResult] = {}
        self._logs: dict[str, list[tuple[float, str]]] = {}

    def directory(self, pool: V2Pool) -> Path:
        """The pool's `$MESOS_SANDBOX` (created, with its autoCertificate when the pool asks for one)."""
        # Pool names are unique across namespaces in Edge-LB, so the name alone is a safe key.
        path = self.root / pool.name
        path.mkdir(parents=True, exist_ok=True)
        cert = path / AUTOCERT_FILE
        if pool.auto_certificate and not cert.exists():
            tmp = cert.with_suffix(".tmp")
            tmp.write_bytes(self_signed_pem(f"{pool.name}.edgelb.localdcos"))
            tmp.chmod(0o600)
            os.replace(tmp, cert)
        return path

    def environment(self, pool: V2Pool) -> dict[str, str]:
        env = {"MESOS_SANDBOX": str(self.directory(pool))}
        if pool.auto_certificate:
            env["AUTOCERT"] = AUTOCERT_FILE
        return env

    def check(self, pool: V2Pool, config: str) -> CheckResult:
        """`haproxy -c` of `config` as the pool's task would load it (cached per content)."""
        key = digest(f"{pool.name}\0{pool.auto_certificate}\0{config}")
        with self._lock:
            cached = self._cache.get(key)
        if cached is None:
            with self._check_lock:
                env = self.environment(pool)
                with tempfile.TemporaryDirectory(dir=self.root, prefix=".check-") as tmp:
                    path = Path(tmp) / "haproxy.cfg"
                    path.write_text(config)
                    ok, output = run_haproxy_check(self.node, path, env=env, timeout=self.timeout)
            cached = CheckResult(ok, output, time.time(), digest(config))
            with self._lock:
                if len(self._cache) >= _CACHE_SIZE:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[key] = cached
        with self._lock:
            previous = self._last.get(pool.name)
            self._last[pool.name] = cached
        if previous is None or previous.digest != cached.digest or previous.ok != cached.ok:
            if cached.ok:
                self.note(pool.name, "haproxy -c: configuration is valid")
            else:
                self.note(pool.name, "haproxy -c rejected the configuration:\n" + cached.output)
        return cached

    def last_check(self, name: str) -> CheckResult | None:
        with self._lock:
            return self._last.get(name)

    def note(self, name: str, message: str) -> None:
        with self._lock:
            entries = self._logs.setdefault(name, [])
            entries.append((time.time(), message))
            del entries[:-_MAX_LOG]

    def log(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [{"timestamp": iso(at), "message": message} for at, message in self._logs.get(name, [])]

    def names(self) -> list[str]:
        with self._lock:
            return sorted(set(self._logs) | set(self._last))


def annotate(config: str, result: CheckResult) -> str:
    """The config with HAProxy's complaint appended as comments, so whoever reads it sees it."""
    if result.ok:
        return config
    lines = ["", "# localdcos: `haproxy -c` rejects this configuration:"]
    lines += [f"# {line}" for line in result.output.splitlines()]
    return config.rstrip("\n") + "\n" + "\n".join(lines) + "\n"
