"""One reader for many waiters: a background thread that reads each watched key once per tick.

Twenty resources waiting for their deployments need not ask Marathon twenty times: they subscribe
to one poller, which reads `GET /v2/deployments` (one key) or each pending pool's plan (one key per
pool) once per tick and hands every subscriber the same answer. With one request per tick the tick
can be short, so a finished deployment is seen within about a tick. The thread runs only while
someone waits; a key whose read fails is read less often (doubling up to `max_backoff`), so a
cluster in trouble is not hammered, and reads again at the tick once it answers.

What a subscriber gets is an `Observation`: the answer, or the exception the read raised, and when
the read began. A subscription only ever returns reads that began after it was made (or after the
observation it returned before), so a waiter that subscribes after its write never mistakes an
answer from before the write for the state after it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")

#: Between two reads of a key while someone waits for it.
TICK_SECONDS = 0.1
#: The longest pause between two reads of a key whose reads fail.
MAX_BACKOFF_SECONDS = 1.0
#: Reads of different keys in one round run side by side, up to this many at once.
MAX_PARALLEL_READS = 8


@dataclass(frozen=True)
class Observation(Generic[T]):
    value: T | None
    error: Exception | None
    #: time.monotonic() when the read began
    started: float

    def result(self) -> T:
        """The answer, or the read's exception raised again."""
        if self.error is not None:
            raise self.error
        assert self.value is not None
        return self.value


@dataclass
class _Key(Generic[T]):
    subscribers: int = 0
    latest: Observation[T] | None = None
    failures: int = 0
    due: float = 0.0


class Poller(Generic[K, T]):
    """Reads `read(key)` for every key somebody is subscribed to, once per `tick` seconds."""

    def __init__(
        self,
        read: Callable[[K], T],
        *,
        name: str = "poller",
        tick: float = TICK_SECONDS,
        max_backoff: float = MAX_BACKOFF_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._name = name
        self.tick = tick
        self.max_backoff = max_backoff
        self._clock = clock
        self._changed = threading.Condition()
        self._keys: dict[K, _Key[T]] = {}
        self._thread: threading.Thread | None = None
        self._workers = _Workers(self._observe, name)
        #: How many reads were made in all (for tests and curious callers).
        self.reads = 0

    def subscribe(self, key: K) -> Subscription[K, T]:
        return Subscription(self, key)

    @property
    def running(self) -> bool:
        with self._changed:
            return self._thread is not None

    # -- used by Subscription ------------------------------------------------------------------------

    def _join(self, key: K) -> float:
        with self._changed:
            state = self._keys.setdefault(key, _Key())
            state.subscribers += 1
            if state.subscribers == 1:
                state.due = self._clock()
                state.failures = 0
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._changed.notify_all()
            return self._clock()

    def _leave(self, key: K) -> None:
        with self._changed:
            state = self._keys.get(key)
            if state is None:
                return
            state.subscribers -= 1
            if state.subscribers <= 0:
                del self._keys[key]
            self._changed.notify_all()

    def _wait_for(self, key: K, after: float, timeout: float) -> Observation[T] | None:
        end = self._clock() + timeout
        with self._changed:
            while True:
                state = self._keys.get(key)
                latest = state.latest if state is not None else None
                if latest is not None and latest.started > after:
                    return latest
                remaining = end - self._clock()
                if remaining <= 0:
                    return None
                self._changed.wait(remaining)

    # -- the thread ----------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._changed:
                while True:
                    if not self._keys:
                        # Nobody waits: the thread ends; the next subscriber starts another.
                        self._thread = None
                        return
                    now = self._clock()
                    due = [key for key, state in self._keys.items() if state.due <= now]
                    if due:
                        break
                    self._changed.wait(min(state.due for state in self._keys.values()) - now)
            observations = self._read_all(due)
            with self._changed:
                for key, observation in observations:
                    state = self._keys.get(key)
                    if state is None:
                        continue  # everybody left while it was read
                    state.latest = observation
                    state.failures = state.failures + 1 if observation.error is not None else 0
                    pause = min(self.tick * 2**state.failures, max(self.max_backoff, self.tick))
                    state.due = observation.started + pause
                self._changed.notify_all()

    def _read_all(self, keys: list[K]) -> list[tuple[K, Observation[T]]]:
        if len(keys) == 1:
            return [(keys[0], self._observe(keys[0]))]
        return self._workers.map(keys)

    def _observe(self, key: K) -> Observation[T]:
        started = self._clock()
        self.reads += 1
        try:
            return Observation(self._read(key), None, started)
        except Exception as error:  # handed to the waiters, who decide what it means
            return Observation(None, error, started)


class _Workers(Generic[K, T]):
    """Daemon threads that read keys side by side. They live as long as the process: each keeps
    its HTTP session (and connection) from one round to the next, and none holds up its exit."""

    def __init__(self, observe: Callable[[K], Observation[T]], name: str) -> None:
        self._observe = observe
        self._name = name
        self._tasks: queue.SimpleQueue[tuple[K, queue.SimpleQueue[tuple[K, Observation[T]]]]] = (
            queue.SimpleQueue()
        )
        self._started = 0

    def map(self, keys: list[K]) -> list[tuple[K, Observation[T]]]:
        while self._started < min(len(keys), MAX_PARALLEL_READS):
            self._started += 1
            threading.Thread(target=self._work, name=f"{self._name}-{self._started}", daemon=True).start()
        answers: queue.SimpleQueue[tuple[K, Observation[T]]] = queue.SimpleQueue()
        for key in keys:
            self._tasks.put((key, answers))
        return [answers.get() for _ in keys]

    def _work(self) -> None:
        while True:
            key, answers = self._tasks.get()
            answers.put((key, self._observe(key)))


class Subscription(Generic[K, T]):
    """One waiter's interest in one key; a context manager (leaving ends the interest)."""

    def __init__(self, poller: Poller[K, T], key: K) -> None:
        self._poller = poller
        self.key = key
        self._after = poller._join(key)
        self._open = True

    def next(self, timeout: float) -> Observation[T] | None:
        """The answer of the first read that began after the last one returned here (after the
        subscription, or after `restart()`, the first time); None when none came within `timeout`."""
        observation = self._poller._wait_for(self.key, self._after, max(0.0, timeout))
        if observation is not None:
            self._after = observation.started
        return observation

    def restart(self) -> None:
        """Only reads that begin from now on count (after another write, for instance)."""
        self._after = self._poller._clock()

    def close(self) -> None:
        if self._open:
            self._open = False
            self._poller._leave(self.key)

    def __enter__(self) -> Subscription[K, T]:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
