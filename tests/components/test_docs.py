"""The README's option tables are generated from the models and kept current."""

from __future__ import annotations

from pathlib import Path

import pytest

from components import ExposureModel, docs
from components.config import ClusterFromSource
from components.settings import Spelling, key_of


def test_readme_tables_are_current() -> None:
    text = docs.README.read_text()
    assert docs.render_readme(text) == text, "README.md is stale: run .venv/bin/python -m components.docs"


def test_check_mode_reports_a_stale_readme_and_the_default_mode_rewrites_it(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    current = docs.README.read_text()
    readme.write_text(current.replace("| `statsPort` |", "| `statsport` |"))
    assert docs.main(["--check"], readme) == 1
    assert docs.main([], readme) == 0
    assert readme.read_text() == current
    assert docs.main(["--check"], readme) == 0


def test_every_option_is_documented() -> None:
    tables = docs.render_tables()
    for name in ExposureModel.model_fields:
        assert f"| `{key_of(ExposureModel, name, Spelling.CONFIG)}` |" in tables, name
    for name in ClusterFromSource.model_fields:
        assert f"`clusterFrom.{key_of(ClusterFromSource, name, Spelling.CONFIG)}`" in tables
    assert "| `frontendCaPem` |" in tables
    assert "`kubeconfigToken`" in tables


def test_readme_without_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="options:begin"):
        docs.render_readme("# no tables here\n")
