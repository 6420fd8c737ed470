"""Comparing pools: a live pool in the shape of the declared one, and what a change does.

Edge-LB's defaults themselves live in edgelb_model.py (`canonical`), nowhere else.
"""

from __future__ import annotations

from typing import Any

from . import projection
from .edgelb_model import canonical
from .ownership import MARKER_KEY, marker_in, with_marker_in, without_marker_in

#: Fields Edge-LB picks itself (its bundled package version, its own service account).
SERVER_ASSIGNED = frozenset({"packageVersion", "principal", "secretName"})
#: Pool fields whose change makes the pool scheduler relaunch the load-balancer tasks; a change
#: anywhere else only re-renders haproxy.cfg, which the running tasks reload. The owner's marker
#: is an environment variable, so writing it relaunches them too.
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


def marker_of(pool: dict[str, Any]) -> str | None:
    return marker_in(pool, "environmentVariables")


def without_marker(pool: dict[str, Any]) -> dict[str, Any]:
    return without_marker_in(pool, "environmentVariables")


def with_marker(pool: dict[str, Any], owner: str) -> dict[str, Any]:
    return with_marker_in(pool, "environmentVariables", {MARKER_KEY: owner})


def live_view(desired: dict[str, Any] | None, live: dict[str, Any]) -> dict[str, Any]:
    declared = desired or {}
    return projection.live_view(
        declared, canonical(declared), canonical(without_marker(live)), SERVER_ASSIGNED
    )


def differs(desired: dict[str, Any], live: dict[str, Any]) -> bool:
    return live_view(desired, live) != desired


def settled_as(desired: dict[str, Any], owner: str, live: dict[str, Any]) -> bool:
    """The stored pool is the desired one, marker included (a write would change nothing)."""
    return marker_of(live) == owner and not differs(desired, live)


def namespace_of(pool: dict[str, Any]) -> str:
    return str(canonical(pool).get("namespace") or "dcos-edgelb/pools")


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
    for field in SERVER_ASSIGNED - set(after):
        before.pop(field, None)  # picked by Edge-LB when not declared: not a change
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    if changed & RELAUNCH_FIELDS or _reserved_ports(before) != _reserved_ports(after):
        return "relaunch"
    return "reload" if changed else "none"
