"""Parsing and checking the program's stack configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config import (
    ConfigError,
    ProgramConfig,
    check_exposures,
    config_key,
    parse_program_config,
)

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "dcos-kubernetes-api"


def parse(**raw: object) -> ProgramConfig:
    return parse_program_config(raw)


def config_error(**raw: object) -> str:
    with pytest.raises(ConfigError) as caught:
        check_exposures(parse(**raw))
    return str(caught.value)


def test_clusters_list_with_camel_case_keys() -> None:
    program = parse(
        clusters=[
            {
                "name": "dev/kubernetes01",
                "via": "marathon-lb",
                "publicHost": "127.0.0.1",
                "backendTls": "verify",
            },
            {"name": "prod/k8s", "via": "edge-lb", "port": "7443", "statsBindAddress": "0.0.0.0", "count": 2},
        ]
    )
    (path0, first), (path1, second) = program.named_clusters()
    assert (path0, path1) == ("clusters[0]", "clusters[1]")
    assert first.public_host == "127.0.0.1"
    assert second.port == 7443  # numeric strings from `pulumi config set --path` are accepted
    specs = check_exposures(program)
    assert [s.cluster_name for s in specs] == ["dev/kubernetes01", "prod/k8s"]
    assert specs[0].backend_tls == "verify"
    assert specs[1].stats_bind_address == "0.0.0.0"


def test_single_cluster_object() -> None:
    program = parse(cluster={"name": "kubernetes-cluster"})
    assert program.named_clusters()[0][0] == "cluster"
    assert check_exposures(program)[0].via == "marathon-lb"


def test_cluster_from_stack_reference() -> None:
    program = parse(clusterFrom={"stack": "org/k8s/dev", "via": "edge-lb", "publicHost": "k8s.example.com"})
    source = program.cluster_from
    assert source is not None
    assert source.output == "clusterName"
    assert source.component_name() == "org-k8s-dev"
    assert program.named_clusters() == []
    assert check_exposures(program) == []
    args = source.to_args("dev/kubernetes01")
    # Only exposure settings become Args: stack/output/resourceName stay behind.
    assert args == {"cluster_name": "dev/kubernetes01", "via": "edge-lb", "public_host": "k8s.example.com"}


def test_to_args_leaves_absent_keys_to_component_defaults() -> None:
    program = parse(cluster={"name": "k8s", "adopt": True, "waitTimeoutSeconds": 60, "frontendCaPem": "x"})
    assert program.cluster is not None
    assert program.cluster.to_args("k8s") == {
        "cluster_name": "k8s",
        "adopt": True,
        "wait_timeout_seconds": 60.0,
        "frontend_ca_pem": "x",
    }


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({}, "set exactly one of clusters, cluster, clusterFrom (found: none)"),
        (
            {"cluster": {"name": "a"}, "clusters": [{"name": "b"}]},
            "set exactly one of clusters, cluster, clusterFrom (found: clusters, cluster)",
        ),
        ({"clusters": []}, f"{PROJECT}:clusters: List should have at least 1 item"),
        ({"clusters": [{"via": "edge-lb"}]}, f"{PROJECT}:clusters[0].name: Field required"),
        ({"clusters": [{"name": "a", "via": "haproxy"}]}, f"{PROJECT}:clusters[0].via: Input should be"),
        (
            {"cluster": {"name": "a", "port": True}},
            f"{PROJECT}:cluster.port: Value error, must be an integer",
        ),
        ({"cluster": {"name": "a", "port": "x"}}, f"{PROJECT}:cluster.port: Input should be a valid integer"),
        ({"cluster": {"name": "a", "public_host": "h"}}, f"{PROJECT}:cluster.public_host: Extra inputs"),
        (
            {"cluster": {"name": "a", "kubeconfigToken": "t"}},
            f"{PROJECT}:cluster.kubeconfigToken: Extra inputs",
        ),
        (
            {"cluster": {"name": "a", "waitTimeoutSeconds": 0}},
            "cluster.waitTimeoutSeconds: Input should be greater",
        ),
        ({"clusterFrom": {"output": "name"}}, f"{PROJECT}:clusterFrom.stack: Field required"),
        ({"clusterFrom": {"stack": ""}}, f"{PROJECT}:clusterFrom.stack: String should have at least 1"),
        ({"clusterz": []}, f"{PROJECT}:clusterz: Extra inputs are not permitted"),
    ],
)
def test_shape_errors_name_the_config_path(raw: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_program_config(raw)
    assert fragment in str(caught.value), str(caught.value)
    assert str(caught.value).startswith(f"invalid stack configuration for project {PROJECT!r}")


def test_unset_keys_are_ignored() -> None:
    assert parse(clusters=None, cluster={"name": "a"}, clusterFrom=None).cluster is not None


def test_rule_errors_name_entry_cluster_and_camel_case_key() -> None:
    message = config_error(clusters=[{"name": "ok"}, {"name": "b", "via": "edge-lb", "statsPort": 6443}])
    assert message == f"{PROJECT}:clusters[1].statsPort (cluster 'b'): must differ from port: both are 6443"
    message = config_error(cluster={"name": "Dev"})
    assert message.startswith(f"{PROJECT}:cluster.name (cluster 'Dev'): must be lowercase")


def test_list_errors_are_reported() -> None:
    message = config_error(clusters=[{"name": "dev/k8s"}, {"name": "devk8s", "port": 6444}])
    assert message.startswith(f"{PROJECT}:clusters: name: apiserver VIP")
    message = config_error(clusters=[{"name": "a"}, {"name": "b"}])
    assert "public port '6443' is used by both 'a' (port) and 'b' (port)" in message


def test_config_key_spelling() -> None:
    assert config_key("cluster_name") == "name"
    assert config_key("stats_bind_address") == "statsBindAddress"


@pytest.mark.parametrize("stack", ["local", "dev", "prod"])
def test_committed_stack_files_are_valid(stack: str) -> None:
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    values = document["config"]
    raw = {key.split(":", 1)[1]: value for key, value in values.items() if key.startswith(f"{PROJECT}:")}
    specs = check_exposures(parse_program_config(raw))
    assert specs
    expected_via = {"local": "marathon-lb", "dev": "marathon-lb", "prod": "edge-lb"}[stack]
    assert {s.via for s in specs} == {expected_via}
    # Connection settings belong to the provider's namespace, never to ours.
    assert all(key.split(":", 1)[0] in {PROJECT, "dcos"} for key in values)
