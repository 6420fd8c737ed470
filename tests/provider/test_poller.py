"""The shared poller (provider/poller.py) with fake reads: no cluster, real threads, short ticks."""

from __future__ import annotations

import threading
import time

import pytest

from provider.poller import Poller


class Reads:
    """A fake read: counts calls per key, answers from `answers` (an exception is raised)."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.answers: dict[str, object] = {}
        self.lock = threading.Lock()

    def __call__(self, key: str) -> object:
        with self.lock:
            self.calls[key] = self.calls.get(key, 0) + 1
            answer = self.answers.get(key, f"answer of {key}")
        if isinstance(answer, Exception):
            raise answer
        return answer


def wait_stopped(poller: Poller[str, object], timeout: float = 2.0) -> None:
    end = time.monotonic() + timeout
    while poller.running and time.monotonic() < end:
        time.sleep(0.01)
    assert not poller.running


def test_many_waiters_of_one_key_share_each_read() -> None:
    reads = Reads()
    poller: Poller[str, object] = Poller(reads, tick=0.05)
    subscriptions = [poller.subscribe("deployments") for _ in range(20)]
    seen = [s.next(2.0) for s in subscriptions]
    for _ in range(3):
        seen = [s.next(2.0) for s in subscriptions]
    for s in subscriptions:
        s.close()
    # Four observations each for twenty waiters, from a handful of reads, not eighty (the bound
    # leaves room for a slow machine, where more ticks pass while the waiters take their turns).
    assert all(o is not None and o.result() == "answer of deployments" for o in seen)
    assert 4 <= reads.calls["deployments"] < 40


def test_only_reads_begun_after_subscribing_count() -> None:
    """A waiter that subscribes after its write never gets an answer read before it."""
    gate = threading.Event()
    began: list[float] = []

    def slow(key: str) -> str:
        began.append(time.monotonic())
        gate.wait(2.0)
        return "old" if len(began) == 1 else "new"

    poller: Poller[str, str] = Poller(slow, tick=0.01)
    first = poller.subscribe("k")
    time.sleep(0.05)  # the first read is under way
    second = poller.subscribe("k")
    gate.set()
    # The first waiter may get the read under way (or a later one: the latest is what counts).
    assert first.next(2.0) is not None
    observation = second.next(2.0)
    assert observation is not None and observation.result() == "new"
    assert observation.started > began[0]
    first.close()
    second.close()


def test_each_observation_is_a_new_read() -> None:
    reads = Reads()
    poller: Poller[str, object] = Poller(reads, tick=0.02)
    with poller.subscribe("k") as subscription:
        one = subscription.next(1.0)
        two = subscription.next(1.0)
        assert one is not None and two is not None and two.started > one.started
        subscription.restart()
        three = subscription.next(1.0)
        assert three is not None and three.started > two.started


def test_errors_reach_the_waiter_and_back_off() -> None:
    reads = Reads()
    reads.answers["k"] = RuntimeError("503 from Admin Router")
    poller: Poller[str, object] = Poller(reads, tick=0.01, max_backoff=0.08)
    with poller.subscribe("k") as subscription:
        observation = subscription.next(1.0)
        assert observation is not None and isinstance(observation.error, RuntimeError)
        with pytest.raises(RuntimeError, match="503"):
            observation.result()
        time.sleep(0.4)
    # 0.01, 0.02, 0.04, then every 0.08 s: about 8 reads in 0.4 s, not 40.
    assert reads.calls["k"] <= 10


def test_one_read_per_pending_key_and_tick() -> None:
    reads = Reads()
    poller: Poller[str, object] = Poller(reads, tick=0.05)
    # Three waiters for each of five pools: still one read per pool and tick.
    subscriptions = [poller.subscribe(f"pool-{i}") for i in range(5) for _ in range(3)]
    for s in subscriptions:
        assert s.next(2.0) is not None
    time.sleep(0.22)
    for s in subscriptions:
        s.close()
    assert set(reads.calls) == {f"pool-{i}" for i in range(5)}
    assert all(1 <= n <= 8 for n in reads.calls.values()), reads.calls


def test_the_thread_stops_when_nobody_waits_and_starts_again() -> None:
    reads = Reads()
    poller: Poller[str, object] = Poller(reads, tick=0.01)
    with poller.subscribe("k") as subscription:
        assert subscription.next(1.0) is not None
    wait_stopped(poller)
    calls = reads.calls["k"]
    time.sleep(0.1)
    assert reads.calls["k"] == calls  # no read while nothing is pending
    with poller.subscribe("k") as subscription:
        assert subscription.next(1.0) is not None
    assert reads.calls["k"] > calls


def test_next_gives_up_at_its_timeout() -> None:
    def never(key: str) -> str:
        time.sleep(1.0)
        return key

    poller: Poller[str, str] = Poller(never, tick=0.01)
    with poller.subscribe("k") as subscription:
        start = time.monotonic()
        assert subscription.next(0.1) is None
        assert time.monotonic() - start < 0.5
