"""One list read for the diffs of many resources: `pulumi preview` of twenty apps asks Marathon once.

A `Snapshots` holds the last answer of a list call (every app this provider could own, every pool)
for a short time. It only ever serves diffs and only ever says what an object looked like; every
write still reads its object fresh first. What it serves is never older than `ttl`, and never
older than what this process did to the object itself: a write to an object (while it is in
flight, and any list read that began before it ended) or the end of a wait for it hides the object
from every list read made before, so the next diff of it reads again. An object the list does not
show is "not known" rather than "gone": the caller reads it alone, so a list filter (say, on the
owner label) can never make an object look deleted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

#: How long a list answer serves diffs. A preview's diffs come within a fraction of a second.
TTL_SECONDS = 2.0


@dataclass
class _Snapshot(Generic[T]):
    started: float
    #: When the answer arrived; its age counts from there (a slow list is not stale on arrival).
    finished: float | None = None
    items: dict[str, T] = field(default_factory=dict)
    done: threading.Event = field(default_factory=threading.Event)
    failed: bool = False


class Snapshots(Generic[T]):
    """`fetch()` returns every object of the list call by key; `get(key)` answers from the last
    fetch while it is fresh for that key, fetching (once, for all concurrent callers) otherwise."""

    def __init__(
        self,
        fetch: Callable[[], dict[str, T]],
        ttl: float = TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._current: _Snapshot[T] | None = None
        self._touched: dict[str, float] = {}
        self._writing: dict[str, int] = {}
        #: How many list reads were made in all (for tests and curious callers).
        self.fetches = 0

    def get(self, key: str) -> tuple[bool, T | None]:
        """(True, object) when a fresh list answer shows the object; (False, None) when the caller
        must read it alone (not in the list, touched by this process since, or the list failed)."""
        with self._lock:
            if self._writing.get(key):
                return False, None
            snapshot = self._current
            if snapshot is None or not self._usable(snapshot, key):
                snapshot = _Snapshot(self._clock())
                self._current = snapshot
                owner = True
            else:
                owner = False
        if owner:
            self._fill(snapshot)
        else:
            snapshot.done.wait()
        with self._lock:
            if snapshot.failed or not self._fresh_for(snapshot, key) or self._writing.get(key):
                return False, None
        found = snapshot.items.get(key)
        return (True, found) if found is not None else (False, None)

    def touch(self, key: str) -> None:
        """This process changed or waited for the object: older list answers no longer show it."""
        with self._lock:
            self._touched[key] = self._clock()

    @contextmanager
    def writing(self, key: str) -> Iterator[None]:
        """Around a write: the object is hidden while it is in flight, and touched when it ends."""
        with self._lock:
            self._writing[key] = self._writing.get(key, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                self._writing[key] -= 1
                if not self._writing[key]:
                    del self._writing[key]
                self._touched[key] = self._clock()

    def forget(self) -> None:
        with self._lock:
            self._current = None

    # -- internals -----------------------------------------------------------------------------------

    def _usable(self, snapshot: _Snapshot[T], key: str) -> bool:
        """A snapshot still being filled counts as fresh for a key it began after touching."""
        if snapshot.done.is_set() and snapshot.failed:
            return False
        return self._fresh_for(snapshot, key)

    def _fresh_for(self, snapshot: _Snapshot[T], key: str) -> bool:
        if snapshot.started <= self._touched.get(key, float("-inf")):
            return False
        return snapshot.finished is None or self._clock() - snapshot.finished < self.ttl

    def _fill(self, snapshot: _Snapshot[T]) -> None:
        try:
            self.fetches += 1
            snapshot.items = self._fetch()
        except Exception:
            # The callers read alone, and meet (and report) whatever the cluster answers them.
            snapshot.failed = True
        finally:
            with self._lock:
                snapshot.finished = self._clock()
            snapshot.done.set()
