"""The project program (`__main__.py`) under Pulumi mocks: config in, components and exports out."""

from __future__ import annotations

import json
import re
import runpy
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.settings import get_root_resource

PROGRAM = Path(__file__).resolve().parents[2] / "__main__.py"
PROJECT = "dcos-kubernetes-api"


class ProgramMocks(Mocks):
    def __init__(self, referenced: dict[str, Any] | None = None) -> None:
        self.referenced = referenced or {}

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = {k: v for k, v in args.inputs.items() if k != "__provider"}
        if args.typ == "pulumi:pulumi:StackReference":
            return args.name, {"name": args.name, "outputs": self.referenced}
        if args.typ.endswith(":MarathonApp"):
            return state["definition"]["id"], {**state, "app_id": state["definition"]["id"]}
        if args.typ.endswith(":EdgeLBPool"):
            return state["pool"]["name"], {**state, "pool_name": state["pool"]["name"], "state": "RUNNING"}
        return None, {}

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def run_program(
    config: dict[str, Any], secrets: dict[str, str] | None = None, referenced: dict[str, Any] | None = None
) -> tuple[dict[str, Any], MockMonitor]:
    """Run __main__.py with `config` (project keys) and return its resolved exports."""
    mocks = ProgramMocks(referenced)
    monitor = MockMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack="test", preview=False, monitor=monitor)
    values = {f"{PROJECT}:{k}": json.dumps(v) for k, v in config.items()}
    values.update({f"{PROJECT}:{k}": v for k, v in (secrets or {}).items()})
    pulumi.runtime.set_all_config(values, secret_keys=[f"{PROJECT}:{k}" for k in secrets or {}])
    exports: dict[str, Any] = {}

    def body() -> pulumi.Output[None]:
        runpy.run_path(str(PROGRAM), run_name="__main__")
        stack = get_root_resource()
        assert stack is not None
        outputs: dict[str, Any] = stack.outputs  # type: ignore[attr-defined]
        secret_flags = {f"{k}.secret": pulumi.Output.from_input(v).is_secret() for k, v in outputs.items()}
        return pulumi.Output.all(**outputs, **secret_flags).apply(exports.update)

    pulumi.runtime.test(body)()  # type: ignore[no-untyped-call]
    return exports, monitor


def resource_names(monitor: MockMonitor) -> set[str]:
    return {urn.split("::")[-1] for urn in monitor.get_registered_resources()}


def test_clusters_list_creates_one_component_each_and_exports() -> None:
    exports, monitor = run_program(
        {
            "clusters": [
                {"name": "kubernetes-cluster", "via": "marathon-lb", "publicHost": "127.0.0.1"},
                {"name": "dev/kubernetes01", "via": "edge-lb", "port": 7443},
            ]
        }
    )
    assert {
        "kubernetes-cluster",
        "kubernetes-cluster-marathon-app",
        "dev-kubernetes01",
        "dev-kubernetes01-edgelb-pool",
    } <= resource_names(monitor)
    assert exports["exposures"] == {
        "kubernetes-cluster": {
            "url": "https://127.0.0.1:6443",
            "appId": "/marathon-lb-kubernetes-cluster",
            "vipHost": "apiserver.kubernetes-cluster.l4lb.thisdcos.directory",
            "via": "marathon-lb",
        },
        "dev/kubernetes01": {
            "url": None,
            "poolName": "edgelb-dev-kubernetes01",
            "vipHost": "apiserver.devkubernetes01.l4lb.thisdcos.directory",
            "via": "edge-lb",
        },
    }
    assert exports["clusterName"] == "kubernetes-cluster"
    assert exports["url"] == "https://127.0.0.1:6443"
    assert exports["vipHost"] == "apiserver.kubernetes-cluster.l4lb.thisdcos.directory"
    assert "insecure-skip-tls-verify: true" in exports["kubeconfig"]
    assert exports["kubeconfig.secret"] is False


def test_token_makes_first_kubeconfig_secret() -> None:
    exports, _ = run_program(
        {"cluster": {"name": "kubernetes-cluster", "publicHost": "127.0.0.1"}},
        secrets={"kubeconfigToken": "abc.def"},
    )
    assert exports["kubeconfig.secret"] is True
    assert "token: abc.def" in exports["kubeconfig"]


def test_cluster_from_stack_reference() -> None:
    exports, monitor = run_program(
        {"clusterFrom": {"stack": "org/k8s/dev", "via": "edge-lb", "publicHost": "k8s.example.com"}},
        referenced={"clusterName": "dev/kubernetes01"},
    )
    assert {"org/k8s/dev", "org-k8s-dev", "org-k8s-dev-edgelb-pool"} <= resource_names(monitor)
    assert exports["clusterName"] == "dev/kubernetes01"
    assert exports["exposures"]["dev/kubernetes01"]["poolName"] == "edgelb-dev-kubernetes01"
    assert exports["url"] == "https://k8s.example.com:6443"


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({}, "set exactly one of clusters, cluster, clusterFrom"),
        ({"clusters": [{"name": "a"}, {"name": "b"}]}, "public port '6443' is used by both"),
        (
            {"cluster": {"name": "k8s", "port": 9090}},
            f"{PROJECT}:cluster.port (cluster 'k8s'): 9090 is reserved",
        ),
    ],
)
def test_bad_config_stops_the_program_with_a_clear_message(config: dict[str, Any], fragment: str) -> None:
    with pytest.raises(pulumi.RunError, match=re.escape(fragment)):
        run_program(config)
