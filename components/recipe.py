"""The seed recipe's defects, and the switches that fix them (pure data).

The starting point is the DC/OS recipe "Exposing the Kubernetes API via Marathon-LB or Edge-LB"
(the seed). Its documents have defects; each fix is one flag of `RecipeFixes`, all on by default.
`seed_compatible=True` switches all of them off and reproduces the seed byte for byte.

(a) `frontend_client_timeout`: the seed puts `timeout client` into the *backend*, where HAProxy
    ignores it; the frontend keeps `timeout client 30s` and idle `kubectl logs -f` streams are cut.
    Fix: a `HAPROXY_0_FRONTEND_HEAD` label rendering Marathon-LB's default frontend head plus
    `timeout client`, and no `timeout client` in the backend.
(b) `tcp_mode`: `HAPROXY_0_MODE: http` also registers the app in Marathon-LB's plain-HTTP 9091
    `X-Marathon-App-Id` frontend, so the apiserver is reachable there without TLS to the client.
    Fix: mode `tcp`. TLS is still terminated by the `ssl crt` bind and re-encrypted by the server
    line's `ssl`; in marathon-lb's config() only mode `http` apps get the 9091 ACL and the
    HTTP-only backend options, and the default backend head (`balance`, `mode`) has nothing HTTP-only.
(c) `unique_server_names`: the server line is pasted once per task, and the default upgrade
    strategy runs two tasks during every restart; HAProxy >= 2.0 (Marathon-LB >= 1.14) refuses the
    duplicate server name and the frontend vanishes. Fix: `{serverName}` (unique per task) as the
    server name, so two tasks give two valid lines to the same VIP and the API stays up.
(d) label injection: not a flag; the types in `fields` make newlines, braces, quotes and `#` impossible.
(e) `private_stats` and `edge_lb_stream_timeouts`: Edge-LB binds stats on 0.0.0.0 and keeps the
    template's 30 s client/server timeouts. Fix: stats on `stats_bind_address` (127.0.0.1 by
    default), frontend `timeout client`, backend `timeout server` / `timeout tunnel` miscStrs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class RecipeFixes:
    """One flag per seed defect fixed here; see the module docstring for (a)-(e)."""

    frontend_client_timeout: bool = True  # (a)
    tcp_mode: bool = True  # (b)
    unique_server_names: bool = True  # (c)
    private_stats: bool = True  # (e)
    edge_lb_stream_timeouts: bool = True  # (e)


NO_FIXES: Final = RecipeFixes(
    frontend_client_timeout=False,
    tcp_mode=False,
    unique_server_names=False,
    private_stats=False,
    edge_lb_stream_timeouts=False,
)


def resolve_fixes(seed_compatible: bool, fixes: RecipeFixes | None) -> RecipeFixes:
    if seed_compatible:
        return NO_FIXES
    return fixes if fixes is not None else RecipeFixes()
