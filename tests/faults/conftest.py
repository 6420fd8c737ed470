"""Fixtures of the fault suite: a sandbox behind a fault-injecting proxy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.proxy import FaultProxy, RecordingServer
from tests.sandbox import Sandbox


@pytest.fixture
def proxy(sandbox: Sandbox) -> Iterator[FaultProxy]:
    with FaultProxy(sandbox.url) as faults:
        yield faults


@pytest.fixture
def elsewhere() -> Iterator[RecordingServer]:
    """Another origin (another port of loopback): whatever reaches it is recorded."""
    with RecordingServer() as server:
        yield server
