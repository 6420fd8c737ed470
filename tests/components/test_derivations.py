"""Derived names, the Marathon app and the Edge-LB pool, one fix flag at a time."""

from __future__ import annotations

import base64
import json
import string
from dataclasses import replace

import pytest
import yaml

from components import derivations as d
from components import names
from components.kubeconfig import SELF_SIGNED_NOTE, render_kubeconfig
from components.spec import ExposureSpec
from components.validation import validate_exposure

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


def spec(**values: object) -> ExposureSpec:
    return validate_exposure({"cluster_name": "kubernetes-cluster", **values})


# --- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cluster", "vip"),
    [
        ("kubernetes-cluster", "apiserver.kubernetes-cluster.l4lb.thisdcos.directory"),
        ("dev/kubernetes01", "apiserver.devkubernetes01.l4lb.thisdcos.directory"),
        ("a/b/c.d", "apiserver.abc.d.l4lb.thisdcos.directory"),
    ],
)
def test_vip_host_removes_every_slash_and_keeps_dots(cluster: str, vip: str) -> None:
    assert d.vip_host(cluster) == vip


def test_app_id_and_pool_name_are_top_level_with_slashes_as_dashes() -> None:
    assert d.marathon_app_id("kubernetes-cluster") == "/marathon-lb-kubernetes-cluster"
    assert d.marathon_app_id("dev/kubernetes01") == "/marathon-lb-dev-kubernetes01"
    assert d.default_pool_name("dev/kubernetes01") == "edgelb-dev-kubernetes01"
    # Never nested under the cluster's own id (an app may not share its id with a group).
    assert not d.marathon_app_id("dev/kubernetes01").startswith("/dev/kubernetes01/")


def test_seed_server_name_drops_non_alphanumerics() -> None:
    assert names.seed_server_name("kubernetes-cluster") == "kubernetescluster"
    assert names.seed_server_name("dev/kubernetes01") == "devkubernetes01"


def test_upstream_defaults_to_vip_6443_and_apiserver_address_overrides() -> None:
    assert names.upstream(spec()) == ("apiserver.kubernetes-cluster.l4lb.thisdcos.directory", 6443)
    assert names.upstream(spec(apiserver_address="10.0.0.5:443")) == ("10.0.0.5", 443)


def test_url_only_when_public_host_known() -> None:
    assert d.exposure_url(spec()) is None
    assert d.exposure_url(spec(public_host="k8s.example.com", port=7443)) == "https://k8s.example.com:7443"


# --- Marathon app ---------------------------------------------------------------------------------


def test_dummy_app_shape() -> None:
    app = d.marathon_app_definition(spec())
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
    labels = d.marathon_app_definition(spec())["labels"]
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
    for value in d.marathon_app_definition(spec(port=7443), seed_compatible=seed_compatible)[
        "labels"
    ].values():
        assert isinstance(value, str)


def test_frontend_head_renders_like_marathon_lb_default_plus_client_timeout() -> None:
    head = d.marathon_app_definition(spec(client_timeout="1h"))["labels"]["HAPROXY_0_FRONTEND_HEAD"]
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
    labels = d.marathon_app_definition(
        spec(backend_tls="verify", apiserver_address="api.internal:6443"), seed_compatible=seed_compatible
    )["labels"]
    fields = {name for _, name, _, _ in string.Formatter().parse(labels["HAPROXY_0_BACKEND_SERVER_OPTIONS"])}
    assert fields <= {None, *MLB_SERVER_PLACEHOLDERS}
    labels["HAPROXY_0_BACKEND_SERVER_OPTIONS"].format(**MLB_SERVER_PLACEHOLDERS)


def test_server_line_renders_unique_name_per_task() -> None:
    template = d.marathon_app_definition(spec())["labels"]["HAPROXY_0_BACKEND_SERVER_OPTIONS"]
    task_a = template.format(**{**MLB_SERVER_PLACEHOLDERS, "serverName": "a_10_0_0_1_1"})
    task_b = template.format(**{**MLB_SERVER_PLACEHOLDERS, "serverName": "b_10_0_0_2_2"})
    servers = [
        line.split()[1] for line in (task_a + task_b).splitlines() if line.strip().startswith("server ")
    ]
    assert servers == ["a_10_0_0_1_1", "b_10_0_0_2_2"]


def test_backend_tls_verify_uses_ca_file() -> None:
    options = d.marathon_app_definition(spec(backend_tls="verify", ca_file="/etc/ca.pem"))["labels"][
        "HAPROXY_0_BACKEND_SERVER_OPTIONS"
    ]
    assert options.endswith(":6443 ssl verify required ca-file /etc/ca.pem\n")


def test_inputs_flow_into_labels() -> None:
    labels = d.marathon_app_definition(
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
    base = d.marathon_app_definition(spec())
    no_tcp = d.marathon_app_definition(spec(), fixes=replace(d.RecipeFixes(), tcp_mode=False))
    assert no_tcp["labels"]["HAPROXY_0_MODE"] == "http"
    assert {k: v for k, v in no_tcp["labels"].items() if k != "HAPROXY_0_MODE"} == {
        k: v for k, v in base["labels"].items() if k != "HAPROXY_0_MODE"
    }

    no_head = d.marathon_app_definition(spec(), fixes=replace(d.RecipeFixes(), frontend_client_timeout=False))
    assert "HAPROXY_0_FRONTEND_HEAD" not in no_head["labels"]
    assert "  timeout client 86400s\n" in no_head["labels"]["HAPROXY_0_BACKEND_SERVER_OPTIONS"]

    shared = d.marathon_app_definition(spec(), fixes=replace(d.RecipeFixes(), unique_server_names=False))
    assert "upgradeStrategy" not in shared
    assert " server kubernetescluster " in shared["labels"]["HAPROXY_0_BACKEND_SERVER_OPTIONS"]


def test_seed_compatible_overrides_explicit_fixes() -> None:
    assert d.resolve_fixes(True, d.RecipeFixes()) == d.NO_FIXES
    assert d.resolve_fixes(False, None) == d.RecipeFixes()


# --- Edge-LB pool -----------------------------------------------------------------------------------


def test_default_pool_exactly() -> None:
    assert d.edge_lb_pool(spec(cluster_name="dev/kubernetes01", via="edge-lb")) == {
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
    pool = d.edge_lb_pool(
        spec(via="edge-lb", certificate_secret="k8s/apiserver-tls", certificate_secret_file="tls")
    )
    assert "autoCertificate" not in pool
    assert pool["secrets"] == [{"secret": "k8s/apiserver-tls", "file": "tls"}]
    assert pool["haproxy"]["frontends"][0]["certificates"] == ["$SECRETS/tls"]


def test_pool_with_explicit_certificates_keeps_autocert_flag_consistent() -> None:
    pool = d.edge_lb_pool(spec(via="edge-lb", certificates=["$ENVFILE/cert"]))
    assert "autoCertificate" not in pool
    assert pool["haproxy"]["frontends"][0]["certificates"] == ["$ENVFILE/cert"]


def test_pool_inputs_flow_through() -> None:
    pool = d.edge_lb_pool(
        spec(
            via="edge-lb",
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
    public = d.edge_lb_pool(spec(via="edge-lb"), fixes=replace(d.RecipeFixes(), private_stats=False))
    assert public["haproxy"]["stats"] == {"bindPort": 6090}
    short = d.edge_lb_pool(spec(via="edge-lb"), fixes=replace(d.RecipeFixes(), edge_lb_stream_timeouts=False))
    assert "miscStrs" not in short["haproxy"]["frontends"][0]
    assert "miscStrs" not in short["haproxy"]["backends"][0]


# --- TLS decision and kubeconfig ---------------------------------------------------------------------


def test_self_signed_detection() -> None:
    assert d.frontend_certificate_is_self_signed(spec())
    assert not d.frontend_certificate_is_self_signed(spec(ssl_cert="/etc/ssl/signed.pem"))
    assert d.frontend_certificate_is_self_signed(spec(via="edge-lb"))
    assert not d.frontend_certificate_is_self_signed(spec(via="edge-lb", certificate_secret="k8s/tls"))


def test_kubeconfig_self_signed_says_why_verification_is_skipped() -> None:
    text = render_kubeconfig(name="kubernetes-cluster", url="https://127.0.0.1:6443", self_signed=True)
    assert text.startswith("# TLS verification is skipped")
    assert "insecure-skip-tls-verify: true" in text
    assert "certificate-authority-data" not in text
    assert "token" not in text.split("\n", 3)[-1]
    assert "self-signed" in SELF_SIGNED_NOTE


def test_kubeconfig_with_ca_and_token() -> None:
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    text = render_kubeconfig(name="c", url="https://k:6443", self_signed=True, ca_pem=pem, token="abc.def")
    doc = yaml.safe_load(text)
    cluster = doc["clusters"][0]["cluster"]
    assert "insecure-skip-tls-verify" not in cluster
    assert base64.b64decode(cluster["certificate-authority-data"]).decode() == pem
    assert doc["users"] == [{"name": "c", "user": {"token": "abc.def"}}]
    assert doc["contexts"][0]["context"] == {"cluster": "c", "user": "c"}
    assert doc["current-context"] == "c"
