"""Marathon-LB: its rules, names, the dummy app and its labels, one fix flag at a time."""

from __future__ import annotations

import json
import string
from dataclasses import replace
from typing import Any

import pytest

from components import marathon_lb
from components.marathon_lb import MARATHON_LB
from components.recipe import NO_FIXES, RecipeFixes, resolve_fixes
from components.settings import Exposure
from tests.components.helpers import exposure, refused

MLB_SERVER_PLACEHOLDERS = {
    "host": "agent-1.example",
    "host_ipv4": "10.0.0.7",
    "port": 10001,
    "serverName": "agent-1_example_10_0_0_7_10001",
    "serverId": 42,
    "cookieOptions": "",
    "healthCheckOptions": "",
    "otherOptions": "",
}
MLB_FRONTEND_PLACEHOLDERS = {
    "backend": "marathon-lb-kubernetes-cluster_6443",
    "bindAddr": "*",
    "servicePort": 6443,
    "sslCert": " ssl crt /etc/ssl/cert.pem",
    "bindOptions": "",
    "mode": "tcp",
}


def spec(**values: object) -> Exposure:
    return exposure(via="marathon-lb", **values)


def derive(value: Exposure, **options: Any) -> dict[str, Any]:
    return MARATHON_LB.derive(value, **options)


# --- rules and names ------------------------------------------------------------------------------


@pytest.mark.parametrize("port", [80, 443, 9090, 9091, 10000, 10100, 10101, 10150])
def test_refuses_marathon_lb_reserved_ports(port: int) -> None:
    refused("port", "reserved by Marathon-LB", port=port)


def test_accepts_ports_next_to_reserved_ranges() -> None:
    assert exposure(port=9999).port == 9999
    assert exposure(port=10151).port == 10151


def test_app_id_is_top_level_with_slashes_as_dashes() -> None:
    assert marathon_lb.app_id("kubernetes-cluster") == "/marathon-lb-kubernetes-cluster"
    assert marathon_lb.app_id("dev/kubernetes01") == "/marathon-lb-dev-kubernetes01"
    # Never nested under the cluster's own id (an app may not share its id with a group).
    assert not marathon_lb.app_id("dev/kubernetes01").startswith("/dev/kubernetes01/")


def test_seed_server_name_drops_non_alphanumerics() -> None:
    assert marathon_lb.seed_server_name("kubernetes-cluster") == "kubernetescluster"
    assert marathon_lb.seed_server_name("dev/kubernetes01") == "devkubernetes01"


def test_upstream_defaults_to_vip_6443_and_apiserver_address_overrides() -> None:
    assert marathon_lb.upstream(MARATHON_LB.narrow(spec())) == (
        "apiserver.kubernetes-cluster.l4lb.thisdcos.directory",
        6443,
    )
    assert marathon_lb.upstream(MARATHON_LB.narrow(spec(apiserver_address="10.0.0.5:443"))) == (
        "10.0.0.5",
        443,
    )


def test_self_signed_only_with_the_default_certificate() -> None:
    assert MARATHON_LB.self_signed(spec())
    assert not MARATHON_LB.self_signed(spec(ssl_cert="/etc/ssl/signed.pem"))


def test_claims_its_public_port() -> None:
    assert [(c.what, c.key, c.field) for c in MARATHON_LB.claims(spec(port=7443))] == [
        ("public port", "7443", "port")
    ]


# --- Marathon app ---------------------------------------------------------------------------------


def test_dummy_app_shape() -> None:
    app = derive(spec())
    assert app["id"] == "/marathon-lb-kubernetes-cluster"
    assert app["instances"] == 1
    assert app["cmd"] == "tail -F /dev/null"
    assert app["cpus"] == 0.001
    assert app["mem"] == 16
    assert app["container"] == {"type": "MESOS"}
    assert app["portDefinitions"] == [{"protocol": "tcp", "port": 0}]
    assert "upgradeStrategy" not in app  # Marathon's default: start the new task, then stop the old
    json.dumps(app)  # plain JSON data only


def test_default_labels_exactly() -> None:
    labels = derive(spec())["labels"]
    assert labels == {
        "HAPROXY_GROUP": "external",
        "HAPROXY_0_MODE": "tcp",
        "HAPROXY_0_PORT": "6443",
        "HAPROXY_0_SSL_CERT": "/etc/ssl/cert.pem",
        "HAPROXY_0_FRONTEND_HEAD": (
            "\nfrontend {backend}\n  bind {bindAddr}:{servicePort}{sslCert}{bindOptions}\n  mode {mode}\n"
            "  timeout client 86400s\n"
        ),
        "HAPROXY_0_BACKEND_SERVER_OPTIONS": (
            "  timeout connect 10s\n  timeout server 86400s\n  timeout tunnel 86400s\n"
            "  server {serverName} apiserver.kubernetes-cluster.l4lb.thisdcos.directory:6443 ssl verify none\n"
        ),
    }


@pytest.mark.parametrize("seed_compatible", [False, True])
def test_all_label_values_are_strings(seed_compatible: bool) -> None:
    for value in derive(spec(port=7443), seed_compatible=seed_compatible)["labels"].values():
        assert isinstance(value, str)


def test_frontend_head_renders_like_marathon_lb_default_plus_client_timeout() -> None:
    head = derive(spec(client_timeout="1h"))["labels"]["HAPROXY_0_FRONTEND_HEAD"]
    # Marathon-LB renders it with str.format and exactly these placeholders.
    assert head.format(**MLB_FRONTEND_PLACEHOLDERS) == (
        "\nfrontend marathon-lb-kubernetes-cluster_6443\n"
        "  bind *:6443 ssl crt /etc/ssl/cert.pem\n"
        "  mode tcp\n"
        "  timeout client 1h\n"
    )


@pytest.mark.parametrize("seed_compatible", [False, True])
def test_template_labels_use_only_marathon_lb_placeholders(seed_compatible: bool) -> None:
    """An unknown placeholder or stray brace freezes Marathon-LB's config for every app."""
    labels = derive(
        spec(backend_tls="verify", apiserver_address="api.internal:6443"), seed_compatible=seed_compatible
    )["labels"]
    fields = {name for _, name, _, _ in string.Formatter().parse(labels["HAPROXY_0_BACKEND_SERVER_OPTIONS"])}
    assert fields <= {None, *MLB_SERVER_PLACEHOLDERS}
    labels["HAPROXY_0_BACKEND_SERVER_OPTIONS"].format(**MLB_SERVER_PLACEHOLDERS)


def test_server_line_renders_unique_name_per_task() -> None:
    template = derive(spec())["labels"]["HAPROXY_0_BACKEND_SERVER_OPTIONS"]
    task_a = template.format(**{**MLB_SERVER_PLACEHOLDERS, "serverName": "a_10_0_0_1_1"})
    task_b = template.format(**{**MLB_SERVER_PLACEHOLDERS, "serverName": "b_10_0_0_2_2"})
    servers = [
        line.split()[1] for line in (task_a + task_b).splitlines() if line.strip().startswith("server ")
    ]
    assert servers == ["a_10_0_0_1_1", "b_10_0_0_2_2"]


def test_backend_tls_verify_uses_ca_file() -> None:
    options = derive(spec(backend_tls="verify", ca_file="/etc/ca.pem"))["labels"][
        "HAPROXY_0_BACKEND_SERVER_OPTIONS"
    ]
    assert options.endswith(":6443 ssl verify required ca-file /etc/ca.pem\n")


def test_inputs_flow_into_labels() -> None:
    labels = derive(
        spec(
            cluster_name="dev/kubernetes01",
            port=7443,
            haproxy_group="internal,external",
            ssl_cert="/etc/ssl/k8s.pem",
            connect_timeout="5s",
            server_timeout="2h",
            tunnel_timeout="1d",
            apiserver_address="apiserver.internal:16443",
        )
    )["labels"]
    assert labels["HAPROXY_GROUP"] == "internal,external"
    assert labels["HAPROXY_0_PORT"] == "7443"
    assert labels["HAPROXY_0_SSL_CERT"] == "/etc/ssl/k8s.pem"
    assert labels["HAPROXY_0_BACKEND_SERVER_OPTIONS"] == (
        "  timeout connect 5s\n  timeout server 2h\n  timeout tunnel 1d\n"
        "  server {serverName} apiserver.internal:16443 ssl verify none\n"
    )


def test_each_fix_flag_changes_only_its_part() -> None:
    base = derive(spec())
    no_tcp = derive(spec(), fixes=replace(RecipeFixes(), tcp_mode=False))
    assert no_tcp["labels"]["HAPROXY_0_MODE"] == "http"
    assert {k: v for k, v in no_tcp["labels"].items() if k != "HAPROXY_0_MODE"} == {
        k: v for k, v in base["labels"].items() if k != "HAPROXY_0_MODE"
    }

    no_head = derive(spec(), fixes=replace(RecipeFixes(), frontend_client_timeout=False))
    assert "HAPROXY_0_FRONTEND_HEAD" not in no_head["labels"]
    assert "  timeout client 86400s\n" in no_head["labels"]["HAPROXY_0_BACKEND_SERVER_OPTIONS"]

    shared = derive(spec(), fixes=replace(RecipeFixes(), unique_server_names=False))
    assert "upgradeStrategy" not in shared
    assert " server kubernetescluster " in shared["labels"]["HAPROXY_0_BACKEND_SERVER_OPTIONS"]


def test_seed_compatible_overrides_explicit_fixes() -> None:
    assert resolve_fixes(True, RecipeFixes()) == NO_FIXES
    assert resolve_fixes(False, None) == RecipeFixes()


def test_labels_carry_no_injection_characters() -> None:
    """Besides our own line structure and Marathon-LB's placeholders, no value holds a newline,
    CR, brace, '#' or quote."""
    for values in (
        {},
        {"backend_tls": "verify"},
        {
            "cluster_name": "dev/kubernetes01",
            "apiserver_address": "api.internal:16443",
            "haproxy_group": "a,b",
        },
    ):
        for key, value in derive(spec(**values))["labels"].items():
            body = value
            for allowed in (
                "{serverName}",
                "{backend}",
                "{bindAddr}",
                "{servicePort}",
                "{sslCert}",
                "{bindOptions}",
                "{mode}",
            ):
                body = body.replace(allowed, "")
            assert not set(body) & set("{}#\"'\r"), key
            if key not in {"HAPROXY_0_BACKEND_SERVER_OPTIONS", "HAPROXY_0_FRONTEND_HEAD"}:
                assert "\n" not in value, key
