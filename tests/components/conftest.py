"""Fixtures of the component tests (plain helpers are in helpers.py)."""

from __future__ import annotations

import pytest
from pulumi.runtime.mocks import MockMonitor

from tests.components.helpers import DcosMocks, install_mocks


@pytest.fixture
def engine() -> tuple[DcosMocks, MockMonitor]:
    """Pulumi mocks answering like the dynamic providers; a StackReference has no outputs."""
    return install_mocks()
