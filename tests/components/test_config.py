"""Reading the program's stack configuration: one check, every mistake named by its config path."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.config import ConfigError, ProgramConfig, parse_program_config
from tests.components.helpers import PEM, PROJECT, ROOT

HEADER = f"invalid stack configuration for project {PROJECT!r}:"


def parse(token: object = None, **raw: object) -> ProgramConfig:
    return parse_program_config(raw, token=token)


def config_error(token: object = None, **raw: object) -> list[str]:
    """The message's lines, without the header and the project prefix."""
    with pytest.raises(ConfigError) as caught:
        parse(token, **raw)
    header, *lines = str(caught.value).split("\n")
    assert header == HEADER
    assert all(line.startswith(f"  {PROJECT}:") for line in lines), lines
    return [line.removeprefix(f"  {PROJECT}:") for line in lines]


def test_clusters_list_with_camel_case_keys() -> None:
    program = parse(
        clusters=[
            {
                "name": "dev/kubernetes01",
                "via": "marathon-lb",
                "publicHost": "127.0.0.1",
                "backendTls": "verify",
                "frontendCaPem": PEM,
            },
            {"name": "prod/k8s", "via": "edge-lb", "port": "7443", "statsBindAddress": "0.0.0.0", "count": 2},
        ]
    )
    first, second = program.named
    assert (first.path, second.path) == ("clusters[0]", "clusters[1]")
    assert (first.resource_name, second.resource_name) == ("dev-kubernetes01", "prod-k8s")
    assert first.exposure.public_host == "127.0.0.1"
    assert first.frontend_ca_pem == PEM
    assert second.frontend_ca_pem is None
    assert second.exposure.port == 7443  # numeric strings from `pulumi config set --path` are accepted
    assert second.exposure.via == "edge-lb"
    assert program.referenced is None
    assert program.kubeconfig_token is None


def test_single_cluster_object_and_token() -> None:
    program = parse(token="abc.def", cluster={"name": "kubernetes-cluster", "adopt": True})
    (only,) = program.named
    assert only.path == "cluster"
    assert only.exposure.via == "marathon-lb"
    assert only.exposure.adopt is True
    assert program.kubeconfig_token == "abc.def"


def test_cluster_from_stack_reference() -> None:
    program = parse(
        clusterFrom={
            "stack": "org/k8s/dev",
            "via": "edge-lb",
            "publicHost": "k8s.example.com",
            "port": 7443,
            "frontendCaPem": PEM,
        }
    )
    assert program.named == ()
    source = program.referenced
    assert source is not None
    assert (source.source.stack, source.source.output) == ("org/k8s/dev", "clusterName")
    assert source.resource_name == "org-k8s-dev"
    assert source.via == "edge-lb"
    assert source.frontend_ca_pem == PEM
    resolved = source.exposure_for("dev/kubernetes01")
    assert (resolved.cluster_name, resolved.port, resolved.public_host) == (
        "dev/kubernetes01",
        7443,
        "k8s.example.com",
    )


def test_cluster_from_resource_name_and_late_name_errors() -> None:
    program = parse(clusterFrom={"stack": "org/k8s/dev", "output": "name", "resourceName": "mine"})
    source = program.referenced
    assert source is not None
    assert source.resource_name == "mine"
    with pytest.raises(ConfigError) as caught:
        source.exposure_for("Not_Valid")
    assert (
        f"{PROJECT}:clusterFrom.output (cluster 'Not_Valid' from stack 'org/k8s/dev'): must be lowercase"
    ) in str(caught.value)
    with pytest.raises(
        ConfigError, match=r"clusterFrom.output: output 'name' of stack 'org/k8s/dev' must be"
    ):
        source.exposure_for(42)


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        ({}, "(config): set exactly one of clusters, cluster, clusterFrom (found: none)"),
        (
            {"cluster": {"name": "a"}, "clusters": [{"name": "b"}]},
            "(config): set exactly one of clusters, cluster, clusterFrom (found: clusters, cluster)",
        ),
        ({"clusters": []}, "clusters: List should have at least 1 item after validation, not 0"),
        ({"clusters": ["a"]}, "clusters[0]: must be an object of settings; got str 'a'"),
        ({"clusterz": []}, "clusterz: is not a known option (did you mean 'cluster'?)"),
        ({"clusters": [{"via": "edge-lb"}]}, "clusters[0].name: is required"),
        (
            {"clusters": [{"name": "a", "via": "haproxy"}]},
            "clusters[0].via (cluster 'a'): must be one of marathon-lb, edge-lb; got 'haproxy'",
        ),
        (
            {"cluster": {"name": "a", "port": True}},
            "cluster.port (cluster 'a'): must be an integer; got bool True",
        ),
        (
            {"cluster": {"name": "a", "port": "x"}},
            "cluster.port (cluster 'a'): must be an integer; got str 'x'",
        ),
        (
            {"cluster": {"name": "a", "public_host": "h"}},
            "cluster.public_host (cluster 'a'): is not a known option (did you mean 'publicHost'?)",
        ),
        # The token is a separate secret key, never part of a plain cluster object.
        (
            {"cluster": {"name": "a", "kubeconfigToken": "t"}},
            "cluster.kubeconfigToken (cluster 'a'): is not a known",
        ),
        (
            {"cluster": {"name": "a", "waitTimeoutSeconds": 0}},
            "cluster.waitTimeoutSeconds (cluster 'a'): must be greater than 0; got 0",
        ),
        (
            {"cluster": {"name": "a", "frontendCaPem": "nope"}},
            "cluster.frontendCaPem (cluster 'a'): must be PEM text containing '-----BEGIN CERTIFICATE-----'",
        ),
        ({"clusterFrom": {"output": "name"}}, "clusterFrom.stack: is required"),
        ({"clusterFrom": {"stack": ""}}, "clusterFrom.stack: String should have at least 1 character"),
        (
            {"clusterFrom": {"stack": "s", "name": "a"}},
            "clusterFrom.name: is not allowed: the cluster name is the referenced stack's output",
        ),
        (
            {"clusterFrom": {"stack": "s", "statsPort": 0}},
            "clusterFrom.statsPort: must be a port in 1..65535; got 0",
        ),
    ],
)
def test_mistakes_name_the_config_path(raw: dict[str, Any], line: str) -> None:
    lines = config_error(**raw)
    assert any(got.startswith(line) for got in lines), lines


def test_rule_errors_name_entry_cluster_and_camel_case_key() -> None:
    lines = config_error(clusters=[{"name": "ok"}, {"name": "b", "via": "edge-lb", "statsPort": 6443}])
    assert lines == ["clusters[1].statsPort (cluster 'b'): must differ from port: both are 6443"]
    lines = config_error(cluster={"name": "Dev"})
    assert lines[0].startswith("cluster.name (cluster 'Dev'): must be lowercase")


def test_every_mistake_is_reported_at_once() -> None:
    lines = config_error(
        token="a b",
        clusters=[{"name": "a", "port": 0}, {"name": "b", "sslCert": "x", "frontendCaPem": 1}],
    )
    assert [line.split(":", 1)[0] for line in lines] == [
        "clusters[0].port (cluster 'a')",
        "clusters[1].sslCert (cluster 'b')",
        "clusters[1].frontendCaPem (cluster 'b')",
        "kubeconfigToken",
    ]


def test_a_bad_token_is_named_but_never_echoed() -> None:
    lines = config_error(token="secret value", cluster={"name": "a"})
    assert lines == ["kubeconfigToken: must be a single token without whitespace or quotes"]


def test_stack_wide_clashes_name_both_paths() -> None:
    lines = config_error(clusters=[{"name": "dev/k8s"}, {"name": "devk8s", "port": 6444}])
    assert lines == [
        "clusters[1].name (cluster 'devk8s'): apiserver VIP 'apiserver.devk8s.l4lb.thisdcos.directory' "
        "is also used by cluster 'dev/k8s' (clusters[0].name)"
    ]
    lines = config_error(
        clusters=[{"name": "a", "port": 6090}, {"name": "b", "via": "edge-lb", "port": 6444}]
    )
    assert lines == [
        "clusters[1].statsPort (cluster 'b'): public port '6090' is also used by cluster 'a' (clusters[0].port)"
    ]


def test_unset_keys_are_ignored() -> None:
    assert parse(clusters=None, cluster={"name": "a"}, clusterFrom=None).named[0].path == "cluster"


@pytest.mark.parametrize("stack", ["local", "dev", "prod"])
def test_committed_stack_files_are_valid(stack: str) -> None:
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    values = document["config"]
    raw = {key.split(":", 1)[1]: value for key, value in values.items() if key.startswith(f"{PROJECT}:")}
    program = parse_program_config(raw)
    assert program.named
    expected_via = {"local": "marathon-lb", "dev": "marathon-lb", "prod": "edge-lb"}[stack]
    assert {c.exposure.via for c in program.named} == {expected_via}
    # Connection settings belong to the provider's namespace, never to ours.
    assert all(key.split(":", 1)[0] in {PROJECT, "dcos"} for key in values)
