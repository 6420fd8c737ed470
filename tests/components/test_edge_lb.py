"""Edge-LB: its rules, the pool, one fix flag at a time, and what it claims on the agents."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from components import edge_lb
from components.edge_lb import EDGE_LB
from components.recipe import RecipeFixes
from components.settings import Exposure
from tests.components.helpers import exposure, refused


def spec(**values: object) -> Exposure:
    return exposure(via="edge-lb", **values)


def derive(value: Exposure, **options: Any) -> dict[str, Any]:
    return EDGE_LB.derive(value, **options)


# --- rules ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("port", [443, 9090, 10000])
def test_edge_lb_may_use_marathon_lb_ports(port: int) -> None:
    assert spec(port=port).port == port


def test_refuses_stats_port_clash_and_range() -> None:
    refused("stats_port", "must differ from port: both are 6090", via="edge-lb", port=6090)
    refused("stats_port", "1..65535", via="edge-lb", stats_port=0)


def test_refuses_what_edge_lb_cannot_honour() -> None:
    refused("backend_tls", "only 'none' with via=edge-lb", via="edge-lb", backend_tls="verify")
    refused("apiserver_address", "only used with via=marathon-lb", via="edge-lb", apiserver_address="h:1")
    # At their defaults they are fine, even when given explicitly.
    assert spec(backend_tls="none").via == "edge-lb"


@pytest.mark.parametrize(
    ("cluster_name", "fragment"),
    [("k8s.prod", "must match"), ("k" * 41, "at most 47 characters")],
)
def test_refuses_a_derived_pool_name_edge_lb_would_refuse(cluster_name: str, fragment: str) -> None:
    error = refused("pool_name", fragment, via="edge-lb", cluster_name=cluster_name)
    assert "set pool_name explicitly" in error.rule
    # Marathon-LB derives no pool name: the same cluster is fine there.
    assert exposure(cluster_name=cluster_name).cluster_name == cluster_name


def test_dotted_cluster_is_fine_with_explicit_pool_name() -> None:
    assert EDGE_LB.narrow(spec(cluster_name="k8s.prod", pool_name="k8s-prod")).pool_name == "k8s-prod"


@pytest.mark.parametrize(
    "values",
    [
        {"certificates": ["$SECRETS/tls"]},
        {
            "certificates": ["$SECRETS/tls"],
            "certificate_secret": "k8s/tls",
            "certificate_secret_file": "other",
        },
    ],
)
def test_a_secrets_certificate_needs_its_secret(values: dict[str, object]) -> None:
    refused(
        "certificates", "needs certificate_secret with certificate_secret_file 'tls'", via="edge-lb", **values
    )


def test_pool_names() -> None:
    assert edge_lb.default_pool_name("dev/kubernetes01") == "edgelb-dev-kubernetes01"
    assert edge_lb.backend_name("dev/kubernetes01") == "dev-kubernetes01"


def test_self_signed_unless_a_secret_certificate() -> None:
    assert EDGE_LB.self_signed(spec())
    assert not EDGE_LB.self_signed(spec(certificate_secret="k8s/tls"))
    assert not EDGE_LB.self_signed(spec(certificates=["$ENVFILE/cert"]))


def test_claims_port_stats_port_and_pool_name() -> None:
    claims = [(c.what, c.key, c.field) for c in EDGE_LB.claims(spec(port=7443, pool_name="k8s"))]
    assert claims == [
        ("public port", "7443", "port"),
        ("public port", "6090", "stats_port"),
        ("Edge-LB pool name", "k8s", "pool_name"),
    ]


# --- the pool -------------------------------------------------------------------------------------


def test_default_pool_exactly() -> None:
    assert derive(spec(cluster_name="dev/kubernetes01")) == {
        "apiVersion": "V2",
        "name": "edgelb-dev-kubernetes01",
        "count": 1,
        "autoCertificate": True,
        "haproxy": {
            "frontends": [
                {
                    "bindPort": 6443,
                    "protocol": "HTTPS",
                    "certificates": ["$AUTOCERT"],
                    "linkBackend": {"defaultBackend": "dev-kubernetes01"},
                    "miscStrs": ["timeout client 86400s"],
                }
            ],
            "backends": [
                {
                    "name": "dev-kubernetes01",
                    "protocol": "HTTPS",
                    "services": [
                        {
                            "mesos": {
                                "frameworkName": "dev/kubernetes01",
                                "taskNamePattern": "kube-control-plane",
                            },
                            "endpoint": {"portName": "apiserver"},
                        }
                    ],
                    "miscStrs": ["timeout server 86400s", "timeout tunnel 86400s"],
                }
            ],
            "stats": {"bindPort": 6090, "bindAddress": "127.0.0.1"},
        },
    }


def test_pool_with_signed_certificate_secret() -> None:
    pool = derive(spec(certificate_secret="k8s/apiserver-tls", certificate_secret_file="tls"))
    assert "autoCertificate" not in pool
    assert pool["secrets"] == [{"secret": "k8s/apiserver-tls", "file": "tls"}]
    assert pool["haproxy"]["frontends"][0]["certificates"] == ["$SECRETS/tls"]


def test_pool_with_explicit_certificates_keeps_autocert_flag_consistent() -> None:
    pool = derive(spec(certificates=["$ENVFILE/cert"]))
    assert "autoCertificate" not in pool
    assert pool["haproxy"]["frontends"][0]["certificates"] == ["$ENVFILE/cert"]


def test_pool_inputs_flow_through() -> None:
    pool = derive(
        spec(
            port=7443,
            pool_name="k8s",
            count=3,
            stats_port=6091,
            stats_bind_address="0.0.0.0",
            client_timeout="1h",
        )
    )
    assert pool["name"] == "k8s"
    assert pool["count"] == 3
    assert pool["haproxy"]["frontends"][0]["bindPort"] == 7443
    assert pool["haproxy"]["frontends"][0]["miscStrs"] == ["timeout client 1h"]
    assert pool["haproxy"]["stats"] == {"bindPort": 6091, "bindAddress": "0.0.0.0"}


def test_pool_fix_flags() -> None:
    public = derive(spec(), fixes=replace(RecipeFixes(), private_stats=False))
    assert public["haproxy"]["stats"] == {"bindPort": 6090}
    short = derive(spec(), fixes=replace(RecipeFixes(), edge_lb_stream_timeouts=False))
    assert "miscStrs" not in short["haproxy"]["frontends"][0]
    assert "miscStrs" not in short["haproxy"]["backends"][0]


def test_pool_carries_no_injection_characters() -> None:
    pool = derive(spec(cluster_name="dev/kubernetes01"))
    for text in [*pool["haproxy"]["frontends"][0]["miscStrs"], *pool["haproxy"]["backends"][0]["miscStrs"]]:
        assert not set(text) & set("{}#\"'\r\n")
