"""Shared fixtures: localdcos sandboxes in subprocesses (see tests/sandbox.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sandbox import Sandbox

# Fast deployments keep the suites quick; tests that need other timings pass their own flags.
FAST = ("--deploy-seconds", "0.1")


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """Enterprise-like sandbox: every route but login and the CA needs `Authorization: token=`."""
    with Sandbox(*FAST, auth="token") as box:
        yield box


@pytest.fixture
def open_sandbox() -> Iterator[Sandbox]:
    """Open DC/OS without authentication."""
    with Sandbox(*FAST, auth="none") as box:
        yield box
