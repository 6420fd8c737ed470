"""Names DC/OS derives from a cluster name, and the component's resource name."""

from __future__ import annotations

import pytest

from components import names


@pytest.mark.parametrize(
    ("cluster", "vip"),
    [
        ("kubernetes-cluster", "apiserver.kubernetes-cluster.l4lb.thisdcos.directory"),
        ("dev/kubernetes01", "apiserver.devkubernetes01.l4lb.thisdcos.directory"),
        ("a/b/c.d", "apiserver.abc.d.l4lb.thisdcos.directory"),
    ],
)
def test_vip_host_removes_every_slash_and_keeps_dots(cluster: str, vip: str) -> None:
    assert names.vip_host(cluster) == vip


def test_flat_name_and_component_name() -> None:
    assert names.flat_name("dev/kubernetes01") == "dev-kubernetes01"
    assert names.component_name("dev/kubernetes01") == "dev-kubernetes01"
    assert names.component_name("org/k8s/dev") == "org-k8s-dev"
    assert names.component_name("org/k8s/dev", "mine") == "mine"


def test_url_only_when_public_host_known() -> None:
    assert names.exposure_url(None, 6443) is None
    assert names.exposure_url("k8s.example.com", 7443) == "https://k8s.example.com:7443"
