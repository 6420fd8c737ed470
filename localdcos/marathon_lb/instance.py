"""The sandbox's Marathon-LB instance: the haproxy.cfg it would run right now, and its log.

A real MLB follows Marathon's event stream and on every change regenerates its config, checks it
with `haproxy -c` and reloads (build.build_config emulates one such reset). Marathon here only
moves when looked at (its simulation advances lazily), so the sandbox looks around every service
request and every poll interval, stepping through each task transition that fell due in between:
the short moment of a restart in which two tasks run - which MLB >= 1.14 answers by excluding the
app - is seen even when no request happened during it. Snapshots are queued and a worker thread
turns them into configs in order, since checks take a while.

Routes (under /marathon-lb, no token, as MLB is not behind Admin Router):
    GET /_haproxy_getconfig   the config MLB currently runs (real MLB: http://<mlb-agent>:9090/_haproxy_getconfig)
    GET /_localdcos/log       MLB's log lines with timestamps: [{"timestamp", "message"}, ...]
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import shutil
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from localdcos.common import digest, iso
from localdcos.core.options import SandboxOptions
from localdcos.haproxy.netns import NodeNamespace
from localdcos.marathon import Marathon
from localdcos.marathon_lb.build import BuildResult, build_config
from localdcos.marathon_lb.options import MarathonLBOptions

log = logging.getLogger("localdcos.marathon_lb")

SETTLE_TIMEOUT = 30.0
_MAX_LOG = 2000
_MAX_QUEUE = 1000
_CACHE_SIZE = 64


@dataclass(frozen=True)
class MlbConfig:
    """A config MLB wrote: what HAProxy runs and getconfig answers."""

    text: str
    files: dict[str, str]
    digest: str
    generation: int
    at: float


@dataclass(frozen=True)
class _Snapshot:
    at: float
    apps: list[dict[str, Any]]
    options: dict[str, Any]
    key: str


@dataclass
class _State:
    current: MlbConfig | None = None
    excluded: list[tuple[str, str]] = field(default_factory=list)
    last_build_ok: bool | None = None
    log: collections.deque[tuple[float, str]] = field(
        default_factory=lambda: collections.deque(maxlen=_MAX_LOG)
    )


class MarathonLB:
    prefix = "/marathon-lb"

    def __init__(
        self,
        options: SandboxOptions,
        marathon: Marathon,
        *,
        workdir: Path,
        node: NodeNamespace,
    ) -> None:
        self.options = options
        self.marathon = marathon
        self.workdir = workdir
        self.node = node
        self.config_path = workdir / "haproxy.cfg"
        self.stats_socket = workdir / "haproxy.sock"
        self._cond = threading.Condition()
        self._queue: collections.deque[_Snapshot] = collections.deque()
        self._busy = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._last_key: str | None = None
        self._cache: dict[str, BuildResult] = {}
        self._state = _State()
        self._generation = 0
        self._haproxy: Sequence[str]
        if shutil.which("haproxy") is None:
            # `true -c -f <file>` passes every config: without HAProxy nothing can be checked.
            self._haproxy = ("true",)
            self._log(time.time(), "localdcos: haproxy is not installed; configs are not checked")
        else:
            self._haproxy = tuple(node.command("haproxy"))

    # -- observing Marathon (event loop, under the core lock) -------------------------------------

    async def observe(self) -> None:
        now = time.time()
        world = self.marathon.state
        self._capture(now)
        for due in world.due_transitions(now):
            world.advance(due)
            self._capture(due)
        world.advance(now)
        self._capture(now)

    def _capture(self, at: float) -> None:
        # Exactly what MLB asks Marathon for: `GET /v2/apps?embed=apps.tasks`.
        apps = self.marathon.apps_with_tasks()
        # What the checks resolve is part of the input: a new cluster's VIP makes MLB try again.
        options = {**self._option_values(), "hosts": self.node.hosts}
        key = digest(json.dumps([apps, options], sort_keys=True))
        if key == self._last_key:
            return
        self._last_key = key
        with self._cond:
            if len(self._queue) >= _MAX_QUEUE:
                self._queue.popleft()
            self._queue.append(_Snapshot(at, apps, options, key))
            self._cond.notify_all()

    def _option_values(self) -> dict[str, Any]:
        o = self.options
        return {
            "groups": [o.mlb_group],
            "version": o.mlb_version,
            "http_port": o.mlb_http_port,
            "https_port": o.mlb_https_port,
            "stats_port": o.mlb_stats_port,
            "appid_port": o.mlb_appid_port,
            "maxconn": o.mlb_maxconn,
            "default_client_timeout": o.haproxy_client_timeout,
        }

    # -- the worker ---------------------------------------------------------------------------------

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name="marathon-lb", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(15.0)

    def settle(self, timeout: float = SETTLE_TIMEOUT) -> bool:
        """Wait until every snapshot taken so far is turned into a config; False on timeout."""
        with self._cond:
            return self._cond.wait_for(
                lambda: (not self._queue and not self._busy) or self._stopping, timeout
            )

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._queue) or self._stopping)
                if self._stopping:
                    return
                snapshot = self._queue.popleft()
                self._busy = True
            try:
                self._process(snapshot)
            except Exception:  # the worker must outlive any one bad snapshot
                log.exception("Marathon-LB emulation failed on a snapshot")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _mlb_options(self, values: dict[str, Any]) -> MarathonLBOptions:
        return MarathonLBOptions(
            **{k: v for k, v in values.items() if k != "hosts"},
            ssl_certs=self.node.mlb_cert,
            config_path=str(self.config_path),
            stats_socket=str(self.stats_socket),
        )

    def _process(self, snapshot: _Snapshot) -> None:
        try:
            options = self._mlb_options(snapshot.options)
        except ValueError as exc:
            self._log(snapshot.at, f"Marathon-LB refuses to run: {exc}")
            return
        result = self._cache.get(snapshot.key)
        if result is None:
            result = build_config(
                snapshot.apps, options, workdir=self.workdir / "checks", haproxy_command=self._haproxy
            )
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[snapshot.key] = result
        for line in result.log:
            self._log(snapshot.at, line)
        with self._cond:
            state = self._state
            state.excluded, state.last_build_ok = list(result.excluded), result.config is not None
            # None: MLB writes nothing and the previous config stays in force.
            if result.config is None:
                return
            current = state.current
            if current is None or current.text != result.config or current.files != result.files:
                self._generation += 1
                state.current = MlbConfig(
                    result.config, dict(result.files), digest(result.config), self._generation, snapshot.at
                )

    # -- reading ------------------------------------------------------------------------------------

    @property
    def current(self) -> MlbConfig | None:
        with self._cond:
            return self._state.current

    def _log(self, at: float, message: str) -> None:
        with self._cond:
            self._state.log.append((at, message))

    def log_entries(self) -> list[dict[str, Any]]:
        with self._cond:
            return [{"timestamp": iso(at), "time": at, "message": m} for at, m in self._state.log]

    def status(self) -> dict[str, Any]:
        with self._cond:
            current, state = self._state.current, self._state
            return {
                "generation": current.generation if current else 0,
                "configDigest": current.digest if current else None,
                "configPath": str(self.config_path),
                "lastBuildOk": state.last_build_ok,
                "excluded": [{"app": app, "reason": reason} for app, reason in state.excluded],
                "pending": len(self._queue) + int(self._busy),
                "options": asdict(self._mlb_options(self._option_values()))
                if self._valid_options()
                else None,
            }

    def _valid_options(self) -> bool:
        try:
            self._mlb_options(self._option_values())
        except ValueError:
            return False
        return True

    def router(self) -> APIRouter:
        r = APIRouter()
        # The real one is HAProxy itself at http://<mlb-agent>:9090/_haproxy_getconfig (under
        # --haproxy the sandbox's HAProxy answers it too, on mlb_stats_port).
        r.add_api_route("/_haproxy_getconfig", self._getconfig, methods=["GET"])
        r.add_api_route("/_localdcos/log", self._log_route, methods=["GET"])
        return r

    async def _getconfig(self) -> Response:
        await asyncio.to_thread(self.settle)
        current = self.current
        if current is None:
            return PlainTextResponse("Marathon-LB has not written a configuration yet\n", status_code=503)
        return PlainTextResponse(current.text)

    async def _log_route(self) -> Response:
        await asyncio.to_thread(self.settle)
        return JSONResponse(self.log_entries())
