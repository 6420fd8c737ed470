"""One supervised HAProxy process: start, reload with `-sf` as the load balancers do, stop.

A reload starts a new HAProxy next to the old one; once the new one has bound its listeners it tells
the old one to stop accepting (`-sf <old pid>`), and the old one exits when its last connection
ends. With a stats socket that has `expose-fd listeners` (Marathon-LB's head) the new process also
takes over the old listening sockets (`-x`), so not even a SYN is lost. Every process is tracked
until it is gone; `stop()` ends them all within bounded time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from localdcos.common import digest, write_atomically
from localdcos.haproxy.netns import NodeNamespace

log = logging.getLogger("localdcos.haproxy")

# Tuning a real node gets from its environment, not from the config under test: HAProxy 2.6 refuses
# to start when it cannot raise the FD limit to what `maxconn` needs (`strict-limits` is on by
# default) and Edge-LB's template asks for 50000 connections; here it starts with what it gets.
RUNTIME_GLOBALS = "global\n  no strict-limits\n"
_READY_TIMEOUT = 5.0
_STOP_TIMEOUT = 3.0
# A config that failed to start is tried again only after this long (or when it changes).
_RETRY_SECONDS = 5.0
_BIND = re.compile(r"^\s*bind\s+(\S+)", re.MULTILINE)


def bind_ports(config: str) -> set[int]:
    """TCP ports the config listens on (`bind <addr>:<port>` lines; ranges ignored)."""
    ports = set()
    for address in _BIND.findall(config):
        port = address.rsplit(":", 1)[-1]
        if port.isdigit():
            ports.add(int(port))
    return ports


def listening_ports(pid: int) -> set[int] | None:
    """TCP ports `pid` holds a listening socket on (None: /proc cannot tell)."""
    inodes = set()
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    for name in names:
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{name}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            # Field 3 is the state (0A = LISTEN), field 9 the socket inode.
            if len(fields) > 9 and fields[3] == "0A" and fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _pdeathsig_prefix() -> list[str]:
    # If the sandbox dies without cleaning up (SIGKILL), the kernel takes its HAProxies with it.
    return ["setpriv", "--pdeathsig", "KILL"] if shutil.which("setpriv") else []


@dataclass
class _Running:
    proc: subprocess.Popen[bytes]
    started: float
    stderr: IO[bytes]


class HaproxyProcess:
    """The HAProxy of one load balancer (Marathon-LB, or one Edge-LB pool)."""

    def __init__(
        self,
        name: str,
        directory: Path,
        node: NodeNamespace,
        *,
        stats_socket: Path | None = None,
        config_file: Path | None = None,
    ) -> None:
        self.name = name
        self.directory = directory
        self.node = node
        self.stats_socket = stats_socket
        self.config_file = config_file or directory / "haproxy.cfg"
        self.runtime_file = directory / "localdcos-runtime.cfg"
        self.log_file = directory / "haproxy.log"
        # _lock guards the state and is only ever held briefly (status() must not wait for a
        # start); _apply_lock serializes the slow (re)loads.
        self._lock = threading.RLock()
        self._apply_lock = threading.Lock()
        self._closed = False
        self._failed: tuple[str, float] | None = None
        self._current: _Running | None = None
        self._draining: list[_Running] = []
        self._digest: str | None = None  # of the config and its files
        self._config_digest: str | None = None  # of the config alone (what getconfig serves)
        self.last_reload: float | None = None
        self.last_error: str | None = None
        self.reloads = 0

    # -- state ----------------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        with self._lock:
            running = self._current
            return running.proc.pid if running is not None and running.proc.poll() is None else None

    def pids(self) -> list[int]:
        """Every process of ours still alive, the current one first."""
        with self._lock:
            self._reap()
            procs = ([self._current] if self._current else []) + self._draining
            return [r.proc.pid for r in procs if r.proc.poll() is None]

    @property
    def config_digest(self) -> str | None:
        """SHA-256 of the config the live process runs."""
        return self._config_digest if self.pid is not None else None

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {
                "pid": self.pid,
                "pids": self.pids(),
                "config": str(self.config_file),
                "configDigest": self.config_digest,
                "lastReload": self.last_reload,
                "reloads": self.reloads,
                "lastError": self.last_error,
                "log": str(self.log_file),
            }

    def _reap(self) -> None:
        still = []
        for running in self._draining:
            if running.proc.poll() is None:
                still.append(running)
            else:
                running.stderr.close()
        self._draining = still

    # -- (re)load ---------------------------------------------------------------------------------

    def apply(
        self, config: str, *, files: Mapping[str, str] | None = None, env: Mapping[str, str] | None = None
    ) -> bool:
        """Make HAProxy run `config` (plus the files it refers to); True once it does.

        Unchanged config and a live process: nothing happens. A config the new process refuses
        leaves the old one serving (`last_error` says why)."""
        files = dict(files or {})
        wanted = digest(config + "\0" + "\0".join(f"{k}\0{v}" for k, v in sorted(files.items())))
        with self._apply_lock:
            with self._lock:
                self._reap()
                if self._closed:
                    return False
                if self._current is not None and self._current.proc.poll() is not None:
                    # It died on its own; what replaces it starts afresh, without -sf.
                    self._current.stderr.close()
                    self._current = None
                if self._digest == wanted and self.pid is not None:
                    return True
                if self._failed and self._failed[0] == wanted and time.monotonic() < self._failed[1]:
                    return False
                old = self._current if self.pid is not None else None
            self.directory.mkdir(parents=True, exist_ok=True)
            for path, content in files.items():
                write_atomically(Path(path), content)
            write_atomically(self.config_file, config)
            write_atomically(self.runtime_file, RUNTIME_GLOBALS)
            self.last_error = None
            started = self._spawn(old, env, bind_ports(config))
            with self._lock:
                if started is None:
                    self._failed = (wanted, time.monotonic() + _RETRY_SECONDS)
                    return False
                if self._closed:
                    # stop() ran while this one was starting: it must not outlive the sandbox.
                    _terminate([started], _STOP_TIMEOUT)
                    return False
                if old is not None:
                    self._draining.append(old)
                self._current, self._digest, self._failed = started, wanted, None
                self._config_digest = digest(config)
                self.last_reload = time.time()
                self.reloads += 1
                return True

    def _spawn(self, old: _Running | None, env: Mapping[str, str] | None, ports: set[int]) -> _Running | None:
        argv = ["haproxy", "-f", str(self.config_file), "-f", str(self.runtime_file)]
        if old is not None:
            if self.stats_socket is not None and self.stats_socket.exists():
                argv += ["-x", str(self.stats_socket)]
            argv += ["-sf", str(old.proc.pid)]
        stderr = self.log_file.open("ab")
        stderr.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(argv)}\n".encode())
        stderr.flush()
        try:
            proc = subprocess.Popen(
                [*_pdeathsig_prefix(), *self.node.command(*argv)],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                env={**os.environ, **(env or {})},
                # Its own session: a Ctrl-C meant for the sandbox must not skip our orderly stop.
                start_new_session=True,
            )
        except OSError as exc:
            stderr.close()
            self.last_error = f"cannot start haproxy: {exc}"
            return None
        running = _Running(proc, time.time(), stderr)
        if self._wait_ready(running, ports):
            log.info("%s: haproxy %s running (replacing %s)", self.name, proc.pid, old and old.proc.pid)
            return running
        stderr.close()
        self.last_error = f"haproxy exited with {proc.returncode}:\n{_tail(self.log_file)}"
        log.warning("%s: %s", self.name, self.last_error)
        return None

    def _wait_ready(self, running: _Running, ports: set[int]) -> bool:
        """Until the new process holds all its listeners; False if it died first."""
        start = time.monotonic()
        while (elapsed := time.monotonic() - start) < _READY_TIMEOUT:
            if running.proc.poll() is not None:
                return False
            held = listening_ports(running.proc.pid)
            if held is not None and ports <= held:
                return True
            # Without /proc, being alive a moment after start is the best sign there is.
            if held is None and elapsed >= 0.5:
                return True
            time.sleep(0.02)
        if running.proc.poll() is not None:
            return False
        self.last_error = f"still not listening on all of {sorted(ports)} after {_READY_TIMEOUT:g}s"
        return True

    # -- stop -------------------------------------------------------------------------------------

    def stop(self, timeout: float = _STOP_TIMEOUT) -> None:
        """End every process of this load balancer: SIGTERM, then SIGKILL after `timeout`."""
        with self._lock:
            self._closed = True
            procs = ([self._current] if self._current else []) + self._draining
            self._current, self._draining, self._digest, self._config_digest = None, [], None, None
        _terminate(procs, timeout)


def _terminate(procs: list[_Running], timeout: float) -> None:
    for running in procs:
        with contextlib.suppress(ProcessLookupError):
            running.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for running in procs:
        try:
            running.proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            running.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                running.proc.wait(timeout)
        running.stderr.close()


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
