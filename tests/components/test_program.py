"""The project program (`__main__.py`) under Pulumi mocks: config in, components and exports out."""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pytest
from pulumi.runtime.mocks import MockMonitor

from tests.components.helpers import (
    PEM,
    PROJECT,
    ROOT,
    count_validations,
    install_mocks,
    project_config,
    resource_names,
)
from tests.components.helpers import run_program as run_file

PROGRAM = ROOT / "__main__.py"


def run_program(
    config: dict[str, Any], secrets: dict[str, str] | None = None, referenced: dict[str, Any] | None = None
) -> tuple[dict[str, Any], MockMonitor]:
    """Run __main__.py with `config` (project keys) and return its resolved exports."""
    _, monitor = install_mocks(referenced)
    keys = tuple(f"{PROJECT}:{k}" for k in secrets or {})
    return run_file(PROGRAM, project_config(config, secrets), keys), monitor


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
        (
            {"clusters": [{"name": "a"}, {"name": "b"}]},
            "clusters[1].port (cluster 'b'): public port '6443' is also used by cluster 'a'",
        ),
        (
            {"cluster": {"name": "k8s", "port": 9090}},
            f"{PROJECT}:cluster.port (cluster 'k8s'): 9090 is reserved",
        ),
        (
            {"cluster": {"name": "k8s", "frontendCaPem": "nope"}},
            f"{PROJECT}:cluster.frontendCaPem (cluster 'k8s'): must be PEM text",
        ),
    ],
)
def test_bad_config_stops_the_program_with_a_clear_message(config: dict[str, Any], fragment: str) -> None:
    with pytest.raises(pulumi.RunError, match=re.escape(fragment)):
        run_program(config)


def test_bad_token_stops_the_program_naming_the_key_not_the_value() -> None:
    with pytest.raises(pulumi.RunError) as caught:
        run_program({"cluster": {"name": "k8s"}}, secrets={"kubeconfigToken": "two words"})
    assert f"{PROJECT}:kubeconfigToken: must be a single token" in str(caught.value)
    assert "two words" not in str(caught.value)


def test_frontend_ca_reaches_the_kubeconfig() -> None:
    exports, _ = run_program({"cluster": {"name": "k8s", "publicHost": "127.0.0.1", "frontendCaPem": PEM}})
    assert "certificate-authority-data" in exports["kubeconfig"]
    assert "verified against the given frontend_ca_pem" in exports["tlsNote"]


def test_cluster_from_name_is_checked_when_the_reference_resolves() -> None:
    with pytest.raises(
        Exception,
        match=re.escape(
            "clusterFrom.output (cluster 'Bad_Name' from stack 'org/k8s/dev'): must be lowercase"
        ),
    ):
        run_program({"clusterFrom": {"stack": "org/k8s/dev"}}, referenced={"clusterName": "Bad_Name"})


def test_each_cluster_is_validated_once_on_its_way_to_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_validations(monkeypatch)
    run_program({"clusters": [{"name": "a"}, {"name": "b", "via": "edge-lb", "port": 6444}]})
    assert [c["name"] for c in calls] == ["a", "b"]
