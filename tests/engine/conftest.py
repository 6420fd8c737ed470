"""Throwaway Pulumi projects in temporary folders, run with the plain `pulumi` CLI on the engine
scripts/install-pulumi provides (our language host and dynamic-provider host included)."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.pulumi_cli import PulumiCli, engine_bin

VENV = Path(sys.executable).parent.parent  # the project's virtualenv: pulumi and our packages


@pytest.fixture(scope="session")
def engine() -> Path:
    return engine_bin()


@pytest.fixture
def make_project(tmp_path: Path, engine: Path) -> Callable[..., PulumiCli]:
    """`make_project(main_source, files={name: source}, virtualenv=..., main=...)`: writes a project
    (`__main__.py` in its program folder) and returns the CLI on its stack `dev`."""

    def make(
        program: str,
        *,
        files: dict[str, str] | None = None,
        virtualenv: str | None = str(VENV),
        main: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> PulumiCli:
        root = tmp_path / "project"
        program_dir = root / main if main else root
        program_dir.mkdir(parents=True)
        options: dict[str, str] = {"toolchain": "pip"}
        if virtualenv is not None:
            options["virtualenv"] = virtualenv
        settings: dict[str, object] = {
            "name": "engine-test",
            "runtime": {"name": "python", "options": options},
        }
        if main:
            settings["main"] = main
        (root / "Pulumi.yaml").write_text(yaml.safe_dump(settings))
        (program_dir / "__main__.py").write_text(textwrap.dedent(program))
        for name, source in (files or {}).items():
            (program_dir / name).write_text(textwrap.dedent(source))
        return PulumiCli(root, tmp_path / "state", "dev", bin_dir=engine, extra_env=extra_env)

    return make
