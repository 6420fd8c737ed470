"""End-to-end fixtures: the real Pulumi engine (built or reused by scripts/install-pulumi) driven
through the plain `pulumi` CLI, a private file backend per test, and the project under test copied
into a temporary folder (helpers in tests/pulumi_cli.py and tests/e2e/support.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import copy_program, copy_test_project
from tests.pulumi_cli import PulumiCli, engine_bin


@pytest.fixture(scope="session")
def engine() -> Path:
    return engine_bin()


@pytest.fixture
def marathon_project(tmp_path: Path, engine: Path) -> PulumiCli:
    return PulumiCli(copy_test_project("marathon_app", tmp_path), tmp_path / "state", bin_dir=engine)


@pytest.fixture
def edgelb_project(tmp_path: Path, engine: Path) -> PulumiCli:
    return PulumiCli(copy_test_project("edgelb_pool", tmp_path), tmp_path / "state", bin_dir=engine)


@pytest.fixture
def exposure_stack(tmp_path: Path, engine: Path, sandbox: Any) -> PulumiCli:
    """The project's own program on a stack `e2e`, connected to the sandbox."""
    cli = PulumiCli(copy_program(tmp_path / "exposure"), tmp_path / "state", bin_dir=engine)
    cli.set_config("dcos:url", sandbox.url)
    cli.set_config("dcos:token", sandbox.admin_token(), secret=True)
    return cli
