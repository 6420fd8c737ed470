"""Fixtures of the component tests (plain helpers are in helpers.py)."""

from __future__ import annotations

import logging

import pytest
from pulumi.runtime.mocks import MockMonitor

from tests.components.helpers import DcosMocks, install_mocks

# As the real program runs (pulumi-language-python-exec): under mocks nobody awaits the other
# consumers of an Output that failed on purpose, and asyncio would log each of their futures.
logging.getLogger("asyncio").setLevel(logging.CRITICAL)


@pytest.fixture
def engine() -> tuple[DcosMocks, MockMonitor]:
    """Pulumi mocks answering like the dynamic providers; a StackReference has no outputs."""
    return install_mocks()
