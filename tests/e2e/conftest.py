"""End-to-end fixtures: the real Pulumi engine (built or reused by scripts/install-pulumi), a
hermetic file backend per test, and the project under test copied into a temporary folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from pulumi import automation as auto

from stackrun import StackRunner

REPO = Path(__file__).resolve().parents[2]
PROJECTS = Path(__file__).parent / "projects"
PASSPHRASE = "e2e-passphrase"


@pytest.fixture(scope="session")
def engine_bin() -> Path:
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "install-pulumi")],
        capture_output=True,
        text=True,
        timeout=3000,
        check=True,
    )
    bin_dir = Path(result.stdout.strip().splitlines()[-1])
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    return bin_dir


class Engine:
    """One project directory and stack on a private file backend, with its CLI output kept."""

    def __init__(self, project_dir: Path, state_dir: Path, stack: str = "e2e") -> None:
        self.project_dir = project_dir
        self.state_dir = state_dir
        self.output: list[str] = []
        self.runner = StackRunner(
            project_dir,
            stack,
            state_dir=state_dir,
            extra_env={"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE, "PULUMI_HOME": str(state_dir / "home")},
            on_output=self.output.append,
            on_error=self.output.append,
        )

    @property
    def text(self) -> str:
        return "\n".join(self.output)

    def state_files_text(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")
            for p in self.state_dir.rglob("*")
            if p.is_file() and p.suffix != ".lock"
        )


def count(summary: Mapping[auto.OpType, int] | None, op: str) -> int:
    """How many resources a preview or update summary lists for one operation ("update", ...)."""
    return dict(summary or {}).get(auto.OpType(op), 0)


def copy_project(name: str, destination: Path) -> Path:
    target = destination / name
    shutil.copytree(PROJECTS / name, target)
    settings = target / "Pulumi.yaml"
    venv = Path(sys.executable).parent.parent
    settings.write_text(settings.read_text().replace("VENV_PLACEHOLDER", str(venv)))
    return target


@pytest.fixture
def marathon_project(tmp_path: Path, engine_bin: Path) -> Iterator[Engine]:
    yield Engine(copy_project("marathon_app", tmp_path), tmp_path / "state")


@pytest.fixture
def edgelb_project(tmp_path: Path, engine_bin: Path) -> Iterator[Engine]:
    yield Engine(copy_project("edgelb_pool", tmp_path), tmp_path / "state")
