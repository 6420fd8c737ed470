"""Shared helpers of the component tests: validated exposures, refusals, and Pulumi mocks."""

from __future__ import annotations

import json
import runpy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.settings import get_root_resource

from components import Exposure, ExposureInputError, settings, validate_exposure

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "dcos-kubernetes-api"
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def exposure(**values: object) -> Exposure:
    """Args (snake_case, strict) for the seed's cluster unless `cluster_name` says otherwise."""
    return validate_exposure({"cluster_name": "kubernetes-cluster", **values})


def refused(field: str, fragment: str, **values: object) -> ExposureInputError:
    """Assert that these Args are refused, first of all for `field`, with `fragment` in the rule."""
    with pytest.raises(ExposureInputError) as caught:
        exposure(**values)
    message = str(caught.value)
    assert caught.value.field == field, message
    assert message.startswith(f"{field}: "), message
    assert fragment in caught.value.rule, message
    return caught.value


class DcosMocks(Mocks):
    """Answers like the dynamic providers would after a create; StackReferences return `referenced`."""

    def __init__(self, referenced: Mapping[str, Any] | None = None) -> None:
        self.registered: list[MockResourceArgs] = []
        self.referenced = dict(referenced or {})

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.registered.append(args)
        state = {k: v for k, v in args.inputs.items() if k != "__provider"}
        if args.typ == "pulumi:pulumi:StackReference":
            return args.name, {"name": args.name, "outputs": self.referenced}
        if args.typ.endswith(":MarathonApp"):
            app_id = state["definition"]["id"]
            return app_id, {**state, "app_id": app_id, "version": "2024-01-01T00:00:00Z", "deployment_id": ""}
        if args.typ.endswith(":EdgeLBPool"):
            name = state["pool"]["name"]
            return name, {**state, "pool_name": name, "state": "RUNNING", "last_change": ""}
        return None, {}

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None

    def children(self) -> list[MockResourceArgs]:
        return [r for r in self.registered if r.custom and r.typ != "pulumi:pulumi:StackReference"]


def install_mocks(referenced: Mapping[str, Any] | None = None) -> tuple[DcosMocks, MockMonitor]:
    mocks = DcosMocks(referenced)
    monitor = MockMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack="test", preview=False, monitor=monitor)
    return mocks, monitor


def run(program: Callable[[], Mapping[str, pulumi.Output[Any]]]) -> dict[str, Any]:
    """Run `program` under the installed mocks and return its outputs, resolved."""
    resolved: dict[str, Any] = {}

    def body() -> pulumi.Output[None]:
        return pulumi.Output.all(**program()).apply(resolved.update)

    pulumi.runtime.test(body)()  # type: ignore[no-untyped-call]
    return resolved


def run_program(path: Path, config: Mapping[str, str], secret_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """Run a Pulumi program file with `config` (full keys) under the installed mocks; its exports,
    resolved, plus `<name>.secret` flags."""
    pulumi.runtime.set_all_config(dict(config), secret_keys=list(secret_keys))
    exports: dict[str, Any] = {}

    def body() -> pulumi.Output[None]:
        runpy.run_path(str(path), run_name="__main__")
        stack = get_root_resource()
        assert stack is not None
        outputs: dict[str, Any] = stack.outputs  # type: ignore[attr-defined]
        flags = {f"{k}.secret": pulumi.Output.from_input(v).is_secret() for k, v in outputs.items()}
        return pulumi.Output.all(**outputs, **flags).apply(exports.update)

    pulumi.runtime.test(body)()  # type: ignore[no-untyped-call]
    return exports


def project_config(values: Mapping[str, object], secrets: Mapping[str, str] | None = None) -> dict[str, str]:
    """Project-namespace config as the engine passes it: objects as JSON, secrets as given."""
    config = {f"{PROJECT}:{k}": json.dumps(v) for k, v in values.items()}
    config.update({f"{PROJECT}:{k}": v for k, v in (secrets or {}).items()})
    return config


def resource_names(monitor: MockMonitor) -> set[str]:
    return {urn.split("::")[-1] for urn in monitor.get_registered_resources()}


def count_validations(monkeypatch: pytest.MonkeyPatch) -> list[Mapping[str, object]]:
    """Record the values of every exposure validation from now on (all go through `balancers`)."""
    calls: list[Mapping[str, object]] = []
    original = settings.validate_settings

    def counting(model: Any, values: Mapping[str, object], spelling: Any) -> Any:
        calls.append(values)
        return original(model, values, spelling)

    monkeypatch.setattr("components.balancers.validate_settings", counting)
    return calls


def urn_types(monitor: MockMonitor) -> dict[str, str]:
    """resource name → `<parent type>$<type>` from its URN (the mock monitor keeps one parent level)."""
    return {urn.split("::")[-1]: urn.split("::")[2] for urn in monitor.get_registered_resources()}
