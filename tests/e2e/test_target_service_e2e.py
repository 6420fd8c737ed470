"""The exposure's check that its cluster is installed, through the plain `pulumi` CLI with the
project's own program: a warning naming the cluster, or with `requireService` a failed preview
that names it and writes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.support import FIRST, service_writes, set_clusters
from tests.pulumi_cli import PulumiCli

pytestmark = pytest.mark.e2e

MISSING = "dev/not-installed"


def warning_count(output: str) -> int:
    """The CLI's own count, on the stack's row of the progress display (`... create 1 warning`)."""
    found = re.findall(r"pulumi:pulumi:Stack .* (\d+) warnings?$", output, re.MULTILINE)
    return max((int(n) for n in found), default=0)


def test_a_cluster_that_is_not_installed_is_a_warning(sandbox: Any, exposure_stack: PulumiCli) -> None:
    set_clusters(exposure_stack, [{**FIRST, "name": MISSING}])
    sandbox.clear_requests()
    result = exposure_stack.preview(diff=False)
    assert result.ok, result.output
    assert f"target_service {MISSING!r}" in result.output
    assert warning_count(result.output) == 1
    assert "Diagnostics:" in result.output and MISSING in result.output.split("Diagnostics:", 1)[1]
    assert service_writes(sandbox) == []
    # An installed cluster: no warning.
    set_clusters(exposure_stack, [FIRST])
    installed = exposure_stack.preview(diff=False).check()
    assert warning_count(installed.output) == 0 and "target_service" not in installed.output


def test_require_service_fails_the_preview_naming_the_cluster(
    sandbox: Any, exposure_stack: PulumiCli
) -> None:
    set_clusters(exposure_stack, [{**FIRST, "name": MISSING, "requireService": True}])
    sandbox.clear_requests()
    result = exposure_stack.preview()
    assert not result.ok
    assert MISSING in result.output
    assert service_writes(sandbox) == []
    up = exposure_stack.up()
    assert not up.ok and MISSING in up.output
    assert service_writes(sandbox) == []
