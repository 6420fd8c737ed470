"""What all resources of one provider process share per DC/OS cluster (URL and credentials): the
pollers their waits subscribe to and the list answers their diffs read from.

The engine runs one provider process per `pulumi` command and sends it every resource's calls, up
to `--parallel` at once; without sharing, each waiting resource would poll on its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from .poller import Poller
from .snapshots import Snapshots

if TYPE_CHECKING:  # the program process imports this module, and needs no HTTP client
    from .http import DcosHttp

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")

_lock = threading.Lock()
_pollers: dict[tuple[Hashable, str], Poller[Any, Any]] = {}
_snapshots: dict[tuple[Hashable, str], Snapshots[Any]] = {}


def poller(http: DcosHttp, kind: str, read: Callable[[K], T]) -> Poller[K, T]:
    """The process's poller of `kind` for the cluster `http` talks to; `read` serves only when
    it is the first to ask (any client of the same cluster and credentials reads the same)."""
    key = (http.settings, kind)
    with _lock:
        found = _pollers.get(key)
        if found is None:
            found = _pollers[key] = Poller(read, name=kind)
        return cast(Poller[K, T], found)


def snapshots(http: DcosHttp, kind: str, fetch: Callable[[], dict[str, T]]) -> Snapshots[T]:
    key = (http.settings, kind)
    with _lock:
        found = _snapshots.get(key)
        if found is None:
            found = _snapshots[key] = Snapshots(fetch)
        return cast(Snapshots[T], found)


def forget() -> None:
    """Drop every list answer (tests change the cluster behind the process's back)."""
    with _lock:
        for found in _snapshots.values():
            found.forget()
