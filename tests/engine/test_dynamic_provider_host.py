"""Our dynamic-provider host (scripts/engine/dynamic_provider_host.py, started by the
`pulumi-resource-pulumi-python` shim) under the real engine, through the plain `pulumi` CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.pulumi_cli import PATH_WARNING, PulumiCli

pytestmark = pytest.mark.e2e

Make = Callable[..., PulumiCli]

# A provider in a module of the program folder (pickled by reference, so the host must find that
# folder on its path). Every create checks in, then waits until all have checked in or its own
# deadline passes: the highest count seen is how many creates the host served at once, whatever
# the timing.
GATE_PROVIDER = """
import fcntl, json, sys, time
from contextlib import contextmanager

from pulumi.dynamic import CreateResult, ResourceProvider


@contextmanager
def counter(path):
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        state = json.loads(handle.read() or '{"now": 0, "max": 0, "arrived": 0}')
        yield state
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(state))


class Gate(ResourceProvider):
    def create(self, props):
        with counter(props["counter"]) as state:
            state["now"] += 1
            state["arrived"] += 1
            state["max"] = max(state["max"], state["now"])
            state["argv"] = sys.argv[1:]
        deadline = time.monotonic() + props["wait"]
        while time.monotonic() < deadline:
            with counter(props["counter"]) as state:
                if state["arrived"] >= props["expected"]:
                    break
            time.sleep(0.05)
        with counter(props["counter"]) as state:
            state["now"] -= 1
        return CreateResult(props["name"], dict(props))
"""

GATE_PROGRAM = """
import pulumi
from pulumi.dynamic import Resource

from gate import Gate


class GateResource(Resource):
    pass


config = pulumi.Config()
count = config.require_int("count")
for index in range(count):
    GateResource(Gate(), f"gate-{{index}}", {{"name": f"gate-{{index}}", "counter": {counter!r},
             "expected": count, "wait": config.require_float("wait")}})
"""


def gate_project(
    make_project: Make, tmp_path: Path, extra_env: dict[str, str] | None = None
) -> tuple[PulumiCli, Path]:
    counter = tmp_path / "counter.json"
    cli = make_project(
        GATE_PROGRAM.format(counter=str(counter)), files={"gate.py": GATE_PROVIDER}, extra_env=extra_env
    )
    return cli, counter


def test_creates_are_served_concurrently(make_project: Make, tmp_path: Path) -> None:
    """The SDK's own host serves 4 calls at a time; ours is not the bottleneck: 12 creates that
    each wait for all the others all run at once."""
    cli, counter = gate_project(make_project, tmp_path)
    cli.set_config("count", "12")
    cli.set_config("wait", "60")
    result = cli.up("--parallel", "32")
    assert result.ok, result.output
    state = json.loads(counter.read_text())
    assert state["max"] == 12, state
    assert state["arrived"] == 12
    # The engine address stays the first argument that is not a flag, for providers that log to it.
    positional = [arg for arg in state["argv"] if not arg.startswith("-")]
    assert re.fullmatch(r"127\.0\.0\.1:\d+", positional[0]), state["argv"]
    assert PATH_WARNING not in result.output


def test_the_thread_count_can_be_set(make_project: Make, tmp_path: Path) -> None:
    cli, counter = gate_project(make_project, tmp_path, extra_env={"PULUMI_DYNAMIC_PROVIDER_THREADS": "2"})
    cli.set_config("count", "4")
    cli.set_config("wait", "1.5")
    cli.up("--parallel", "32").check()
    assert json.loads(counter.read_text())["max"] == 2


FAILING_PROGRAM = """
import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider


class QuotaExceeded(pulumi.RunError):
    pass


class Failing(ResourceProvider):
    def create(self, props):
        if props["kind"] == "expected":
            raise QuotaExceeded("Marathon refused app /web: quota of 10 apps exceeded (set dcos:quota)")
        return {}["missing key"]  # a bug


class FailingResource(Resource):
    pass


FailingResource(Failing(), "failing", {"kind": pulumi.Config().require("kind")})
"""


def test_a_run_error_from_a_provider_shows_only_its_message(make_project: Make) -> None:
    cli = make_project(FAILING_PROGRAM)
    cli.set_config("kind", "expected")
    result = cli.up()
    assert not result.ok
    assert "Marathon refused app /web: quota of 10 apps exceeded (set dcos:quota)" in result.output
    assert "Traceback" not in result.output and "QuotaExceeded" not in result.output

    # Any other exception is a bug: its traceback is what the user needs to report it.
    cli.set_config("kind", "bug")
    result = cli.up()
    assert not result.ok
    assert "Traceback" in result.output and "KeyError: 'missing key'" in result.output
