"""Fixtures of the fault suite: a sandbox behind a fault-injecting proxy, and the engine for the
CLI-level scenarios (tests/faults/test_cli_*.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.proxy import FaultProxy, RecordingServer
from tests.pulumi_cli import engine_bin
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


@pytest.fixture(scope="session")
def engine() -> Path:
    """The real engine for the CLI-level scenarios (built or reused by scripts/install-pulumi)."""
    return engine_bin()
