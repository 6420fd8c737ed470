"""What is generated from the settings models (README tables, components/args.py) is current."""

from __future__ import annotations

from pathlib import Path

import pytest

from components import ExposureModel, generate
from components.config import ClusterFromSource
from components.settings import Spelling, key_of


def test_generated_files_are_current() -> None:
    assert generate.main(["--check"]) == 0, "stale: run .venv/bin/python -m components.generate"


def test_check_reports_stale_files_and_the_default_mode_rewrites_them(tmp_path: Path) -> None:
    readme, args = tmp_path / "README.md", tmp_path / "args.py"
    current_readme = generate.README.read_text()
    readme.write_text(current_readme.replace("| `statsPort` |", "| `statsport` |"))
    args.write_text("")
    assert generate.main(["--check"], readme, args) == 1
    assert generate.main([], readme, args) == 0
    assert readme.read_text() == current_readme
    assert args.read_text() == generate.ARGS.read_text()
    assert generate.main(["--check"], readme, args) == 0


def test_every_option_is_documented() -> None:
    tables = generate.render_tables()
    for name in ExposureModel.model_fields:
        assert f"| `{key_of(ExposureModel, name, Spelling.CONFIG)}` |" in tables, name
    for name in ClusterFromSource.model_fields:
        assert f"`clusterFrom.{key_of(ClusterFromSource, name, Spelling.CONFIG)}`" in tables
    assert "| `frontendCaPem` |" in tables
    assert "`kubeconfigToken`" in tables


def test_readme_without_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="options:begin"):
        generate.render_readme("# no tables here\n")
