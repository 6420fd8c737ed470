"""Warnings go to the engine whose address the provider process got; elsewhere to stderr."""

from __future__ import annotations

import pytest

from provider import diagnostics


def test_engine_address_is_the_first_non_flag_argument() -> None:
    assert diagnostics.engine_address(["x", "--logtostderr", "-v=9", "127.0.0.1:40123"]) == "127.0.0.1:40123"
    assert diagnostics.engine_address(["x", "localhost:5"]) == "localhost:5"
    # pytest's own arguments (paths, -k expressions) are never taken for an engine.
    assert diagnostics.engine_address(["pytest", "-q", "tests/provider"]) is None
    assert diagnostics.engine_address(["pytest", "http://127.0.0.1:8080"]) is None
    assert diagnostics.engine_address(["x"]) is None


def test_without_an_engine_warnings_go_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    diagnostics.warning("pool p: cannot read the live pool")
    assert "warning: pool p: cannot read the live pool" in capsys.readouterr().err
