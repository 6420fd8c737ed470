"""Deadlines and reads that ride out a cluster's hiccups.

While a change settles, one failed read proves nothing: Admin Router answers `404 service not
found` during a Marathon leader change, 502/503/504 in bursts, a plan endpoint one 500. Reads are
therefore repeated until the operation's deadline; only what they finally show can be a failure.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from .errors import ProviderError, WaitInconclusive, is_transient

T = TypeVar("T")

#: Pause between two polls of a change that settles.
POLL_SECONDS = 0.5


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def expired(self) -> bool:
        return time.monotonic() >= self._end

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def pause(self, seconds: float | None = None) -> None:
        time.sleep(min(POLL_SECONDS if seconds is None else seconds, self.remaining()))


def read_until(deadline: Deadline, read: Callable[[], T], what: str) -> T:
    """`read()`, repeated while it fails transiently; at the deadline the last failure is raised
    as inconclusive (nothing is known to be wrong with the object itself)."""
    while True:
        try:
            return read()
        except ProviderError as error:
            if not is_transient(error):
                raise
            if deadline.expired():
                raise WaitInconclusive(
                    f"could not read {what} within {deadline.seconds:g}s; last answer: {error}"
                ) from None
        deadline.pause()


#: How often a write is sent in all when read-backs show it did not happen.
MAX_WRITES = 3


def write_once(
    write: Callable[[], T],
    applied: Callable[[], bool],
    deadline: Deadline,
    what: str,
    attempts: int = MAX_WRITES,
) -> T | None:
    """A non-idempotent write, never repeated blindly. When its answer is uncertain (lost, or a
    5xx that may come after the change was stored), the object is read back: `applied()` says
    whether the change is there (then None is returned and the caller follows the change it
    finds). Only when the read-back shows it is not does the write go out again, `attempts` times
    in all; then the first failure is raised, as the cause the user should see."""
    first: ProviderError | None = None
    for _ in range(attempts):
        try:
            return write()
        except ProviderError as error:
            if not is_transient(error):
                raise
            first = first or error
        try:
            if read_until(deadline, applied, what):
                return None
        except WaitInconclusive:
            break  # nothing more is known than the write's own failure
        if deadline.expired():
            break
    assert first is not None
    raise first
