"""Edge-LB's defaults, in one place: the canonical pool that diffs compare."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from . import projection
from .edgelb_model import EdgeLBPoolDefinition, RewriteHttp

#: Fields Edge-LB picks itself (its bundled package version, its own service account).
SERVER_ASSIGNED = frozenset({"packageVersion", "principal", "secretName"})
#: Pool fields whose change makes the pool scheduler relaunch the load-balancer tasks; a change
#: anywhere else only re-renders haproxy.cfg, which the running tasks reload.
RELAUNCH_FIELDS = frozenset(
    {
        "count",
        "cpus",
        "cpusAdminOverhead",
        "mem",
        "memAdminOverhead",
        "disk",
        "constraints",
        "ports",
        "secrets",
        "environmentVariables",
        "role",
        "virtualNetworks",
        "packageName",
        "packageVersion",
        "autoCertificate",
    }
)


def canonical(pool: dict[str, Any]) -> dict[str, Any]:
    """Defaults filled at every level, as Edge-LB stores and answers a pool."""
    pool = dict(projection.integral_numbers(pool))
    try:
        model = EdgeLBPoolDefinition.model_validate(pool)
    except ValidationError:
        return pool
    for backend in model.haproxy.backends:
        # Only HTTP backends get header rewriting, and then with every switch on.
        if backend.rewriteHttp is None and backend.protocol in ("HTTP", "HTTPS"):
            backend.rewriteHttp = RewriteHttp()
    dumped = model.model_dump(mode="json", exclude_none=True)
    # A frontend's name is computed when absent and never stored.
    for frontend in dumped["haproxy"]["frontends"]:
        if "name" not in frontend:
            frontend.pop("name", None)
    return dict(projection.integral_numbers(dumped))


def live_view(desired: dict[str, Any] | None, live: dict[str, Any]) -> dict[str, Any]:
    declared = desired or {}
    return projection.live_view(declared, canonical(declared), canonical(live), SERVER_ASSIGNED)


def differs(desired: dict[str, Any], live: dict[str, Any]) -> bool:
    return live_view(desired, live) != desired


def _reserved_ports(pool: dict[str, Any]) -> set[int]:
    """The ports the pool reserves on its agent: `ports` when given, else stats and every frontend."""
    if pool.get("ports"):
        return set(pool["ports"])
    haproxy = pool.get("haproxy") or {}
    ports = {frontend.get("bindPort") for frontend in haproxy.get("frontends") or []}
    ports.add((haproxy.get("stats") or {}).get("bindPort"))
    return {p for p in ports if isinstance(p, int)}


def change_kind(old: dict[str, Any], new: dict[str, Any]) -> str:
    """'relaunch' when the load-balancer tasks restart (their resources or reserved ports change),
    'reload' when only haproxy.cfg changes and the running HAProxy reloads, else 'none'."""
    before, after = canonical(old), canonical(new)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    if changed & RELAUNCH_FIELDS or _reserved_ports(before) != _reserved_ports(after):
        return "relaunch"
    return "reload" if changed else "none"
