"""The list answers diffs share (provider/snapshots.py), with a fake list read and a fake clock."""

from __future__ import annotations

import threading
from typing import Any

from provider.snapshots import Snapshots


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Listing:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.items: dict[str, dict[str, Any]] = {"/a": {"id": "/a"}, "/b": {"id": "/b"}}
        self.calls = 0
        self.fail = False

    def __call__(self) -> dict[str, dict[str, Any]]:
        self.calls += 1
        self.clock.now += 0.01  # a list read takes a moment
        if self.fail:
            raise RuntimeError("503")
        return dict(self.items)


def make(ttl: float = 2.0) -> tuple[Snapshots[dict[str, Any]], Listing, Clock]:
    clock = Clock()
    listing = Listing(clock)
    return Snapshots(listing, ttl=ttl, clock=clock), listing, clock


def test_one_list_read_serves_every_diff_while_fresh() -> None:
    snapshots, listing, clock = make()
    assert snapshots.get("/a") == (True, {"id": "/a"})
    assert snapshots.get("/b") == (True, {"id": "/b"})
    clock.now += 1.0
    assert snapshots.get("/a")[0] is True
    assert listing.calls == 1
    clock.now += 1.5  # older than the TTL: read again
    assert snapshots.get("/a")[0] is True
    assert listing.calls == 2


def test_an_object_missing_from_the_list_is_unknown_not_gone() -> None:
    snapshots, _, _ = make()
    assert snapshots.get("/unmarked") == (False, None)


def test_a_write_hides_the_object_from_older_answers() -> None:
    snapshots, listing, clock = make()
    snapshots.get("/a")
    with snapshots.writing("/a"):
        clock.now += 0.1
        # In flight: neither the old answer nor a new one serves it.
        assert snapshots.get("/a") == (False, None)
    assert listing.calls == 1
    clock.now += 0.1
    # After the write only a list read begun later may serve it; other objects keep the old one.
    assert snapshots.get("/b") == (True, {"id": "/b"})
    assert listing.calls == 1
    assert snapshots.get("/a") == (True, {"id": "/a"})
    assert listing.calls == 2


def test_the_end_of_a_wait_counts_as_a_change() -> None:
    snapshots, listing, clock = make()
    snapshots.get("/a")
    clock.now += 0.1
    snapshots.touch("/a")
    clock.now += 0.1
    assert snapshots.get("/a")[0] is True
    assert listing.calls == 2


def test_a_failed_list_read_sends_callers_to_read_alone() -> None:
    snapshots, listing, clock = make()
    listing.fail = True
    assert snapshots.get("/a") == (False, None)
    listing.fail = False
    clock.now += 0.01
    assert snapshots.get("/a") == (True, {"id": "/a"})


def test_concurrent_diffs_wait_for_one_read() -> None:
    started = threading.Event()
    release = threading.Event()
    calls = []

    def slow() -> dict[str, dict[str, Any]]:
        calls.append(1)
        started.set()
        release.wait(2.0)
        return {f"/{i}": {"id": f"/{i}"} for i in range(10)}

    snapshots: Snapshots[dict[str, Any]] = Snapshots(slow)
    results: list[tuple[bool, Any]] = []
    threads = [threading.Thread(target=lambda i=i: results.append(snapshots.get(f"/{i}"))) for i in range(10)]
    threads[0].start()
    started.wait(2.0)
    for thread in threads[1:]:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(2.0)
    assert len(calls) == 1
    assert sorted(r[1]["id"] for r in results) == sorted(f"/{i}" for i in range(10))
