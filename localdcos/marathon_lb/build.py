"""One Marathon-LB reset: generate the config (render.py), `haproxy -c` it, and when HAProxy refuses
it rebuild app by app (MLB 1.12.1-1.15.0).

Input is what Marathon answers for `GET /v2/apps?embed=apps.tasks`; output is the text MLB would
write, plus MLB's two failure classes (see `build_config`):

* a Python-side error while generating (unknown template placeholder, `int()` of a bad label, ...)
  freezes the LB: no config at all, the previous one stays;
* a config HAProxy rejects is rebuilt app by app, and each app whose addition breaks `haproxy -c`
  is excluded while the rest is used.

Emulated: groups (incl. per-port), strict mode / ENABLED, the MLB app skipped, one service per
service-port index, PORT/MODE/SSL_CERT/BIND_ADDR/BIND_OPTIONS/BALANCE/STICKY, per-port template
labels, health-check templates, the 9091 X-Marathon-App-Id frontend (optionally via map file),
simple VHOST routing on the shared 80/443 frontends, task selection by state (per version) and
health, stable server ids from 1.12.2. Not emulated (labels accepted, nothing rendered): AUTH, PATH,
REDIRECT_TO_HTTPS, USE_HSTS, proxy/redirect paths, network ACLs, zero-downtime deployment groups,
grouping HTTPS by vhost, service-port auto-assignment for IP-per-task apps.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from localdcos.haproxy.check import DEFAULT_TIMEOUT, run_check
from localdcos.marathon_lb.options import MarathonLBOptions
from localdcos.marathon_lb.render import Rendered, render
from localdcos.marathon_lb.services import Resolver, resolve_host


@dataclass
class BuildResult:
    config: str | None  # None: generation failed, MLB keeps the previous config
    excluded: list[tuple[str, str]] = field(default_factory=list)  # (app id, haproxy's complaint)
    log: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # map files to write next to the config


def check_config(
    text: str,
    haproxy_command: Sequence[str] = ("haproxy",),
    *,
    workdir: Path,
    files: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[bool, str]:
    """`<haproxy_command> -c -f <file>` of `text`; (valid, HAProxy's output).

    `files` maps paths the config refers to (map files, the getconfig file) to their future
    content: they are staged in `workdir` and the config is pointed at the staged copies, as MLB
    does for its map files, so a check never depends on what is installed yet.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir, prefix="mlb-check-") as tmp:
        staged = text
        # Longest first, so a path that prefixes another cannot clobber it.
        for i, (path, content) in enumerate(sorted((files or {}).items(), key=lambda kv: -len(kv[0]))):
            copy = Path(tmp) / f"{i}-{PurePosixPath(path).name}"
            copy.write_text(content)
            staged = staged.replace(path, str(copy))
        config = Path(tmp) / "haproxy.cfg"
        config.write_text(staged)
        return run_check(haproxy_command, config, timeout=timeout)


def _complaint(output: str) -> str:
    alerts = [line for line in output.splitlines() if "[ALERT]" in line and "Fatal errors" not in line]
    return "\n".join(alerts) or output


def build_config(
    apps: list[dict[str, Any]],
    options: MarathonLBOptions,
    *,
    workdir: Path,
    haproxy_command: Sequence[str] = ("haproxy",),
    timeout: float = DEFAULT_TIMEOUT,
    resolve: Resolver = resolve_host,
) -> BuildResult:
    """One MLB reset: generate, `haproxy -c`, and on failure rebuild app by app.

    `config` is None when MLB would write nothing (Python-side error, or no app left once the
    offending ones are excluded); the caller then keeps serving the previous config.
    """
    log: list[str] = []

    def check(rendered: Rendered) -> tuple[bool, str]:
        staged = {options.config_path: rendered.text, **rendered.files(options)}
        return check_config(rendered.text, haproxy_command, workdir=workdir, files=staged, timeout=timeout)

    try:
        full = render(apps, options, resolve, log)
        ok, output = check(full)
        if ok:
            return BuildResult(full.text, [], log, full.files(options))
        log += ["haproxy returned non-zero when checking config", output]
        kept: list[dict[str, Any]] = []
        excluded: list[tuple[str, str]] = []
        last_valid: Rendered | None = None
        for app in apps:
            kept.append(app)
            candidate = render(kept, options, resolve, [])
            ok, output = check(candidate)
            if ok:
                last_valid = candidate
                continue
            log.append(f"invalid configuration caused by app {app['id']}; it will be excluded")
            kept.pop()
            excluded.append((app["id"], _complaint(output)))
        if not kept or last_valid is None:
            log.append("A valid config file could not be generated after excluding all apps! skipping reload")
            return BuildResult(None, excluded, log)
        return BuildResult(last_valid.text, excluded, log, last_valid.files(options))
    except Exception as exc:  # MLB catches everything at this level and keeps the old config.
        log.append(f"Unexpected error! {type(exc).__name__}: {exc}")
        return BuildResult(None, [], log)
