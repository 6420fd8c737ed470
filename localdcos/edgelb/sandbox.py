"""What an Edge-LB pool's HAProxy task has around its haproxy.cfg, and `haproxy -c` of that config.

Each pool gets a directory standing in for its task's `$MESOS_SANDBOX`. With `autoCertificate` it
holds the self-signed certificate Edge-LB generates, and `$AUTOCERT` names it, so a frontend's
`crt "$MESOS_SANDBOX/$AUTOCERT"` resolves exactly as on DC/OS (HAProxy expands the variables). A
second directory is the task container's /var, where the rendered config keeps its stats socket
and server-state file (see netns.py). Checks run through the node namespace with that environment,
are cached by the config's digest, and leave a timestamped line in the pool's log either way.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path, PurePosixPath
from typing import Any

from localdcos.common import digest, iso, write_atomically
from localdcos.edgelb.model import V2Pool
from localdcos.edgelb.render import SERVER_STATE_BASE, STATS_SOCKET
from localdcos.haproxy.check import CheckResult, run_check
from localdcos.haproxy.netns import NodeNamespace
from localdcos.pki import self_signed_pem

AUTOCERT_FILE = "autocert.pem"
_MAX_LOG = 500
_CACHE_SIZE = 256


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
            write_atomically(cert, self_signed_pem(f"{pool.name}.edgelb.localdcos"), mode=0o600)
        return path

    def container_var(self, pool: V2Pool) -> Path:
        """The pool task container's /var, with the directories its HAProxy writes to."""
        # A dot never occurs in a pool name, so this cannot be another pool's sandbox.
        var = self.root / f"{pool.name}.var"
        for inside in (PurePosixPath(STATS_SOCKET).parent, PurePosixPath(SERVER_STATE_BASE)):
            (var / inside.relative_to("/var")).mkdir(parents=True, exist_ok=True)
        return var

    def environment(self, pool: V2Pool) -> dict[str, str]:
        env = {"MESOS_SANDBOX": str(self.directory(pool))}
        if pool.auto_certificate:
            env["AUTOCERT"] = AUTOCERT_FILE
        env.update(self.node.container_env(self.container_var(pool)))
        return env

    def runnable(self, pool: V2Pool, config: str) -> str:
        """`config` as the pool's HAProxy can run it here: as it is where the node gives the task a
        /var of its own, else with the container's /var paths moved into `container_var`."""
        if self.node.mounts_var:
            return config
        var = self.container_var(pool)

        def outside(inside: str) -> str:
            return str(var / PurePosixPath(inside).relative_to("/var"))

        socket, state = outside(STATS_SOCKET), outside(SERVER_STATE_BASE) + "/"
        return config.replace(STATS_SOCKET, socket).replace(SERVER_STATE_BASE, state)

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
                    haproxy = self.node.command("haproxy")
                    ok, output = run_check(haproxy, path, env=env, timeout=self.timeout)
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
