"""Every refusal of `validation`, with the field named in the message."""

from __future__ import annotations

import pytest

from components.derivations import edge_lb_pool, marathon_app_definition
from components.spec import ExposureSpec
from components.validation import (
    ExposureInputError,
    check_frontend_ca_pem,
    check_kubeconfig_token,
    validate_exposure,
    validate_exposure_list,
)


def exposure(**values: object) -> ExposureSpec:
    return validate_exposure({"cluster_name": "kubernetes-cluster", **values})


def refused(field: str, fragment: str, **values: object) -> ExposureInputError:
    with pytest.raises(ExposureInputError) as caught:
        exposure(**values)
    message = str(caught.value)
    assert caught.value.field == field
    assert message.startswith(f"{field}: "), message
    assert fragment in message, message
    return caught.value


# --- accepted -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["kubernetes-cluster", "dev/kubernetes01", "a", "0", "a.b-c/d.e", "k" * 63, "a/" + "b" * 62],
)
def test_accepts_valid_cluster_names(name: str) -> None:
    assert exposure(cluster_name=name).cluster_name == name


def test_defaults() -> None:
    spec = exposure()
    assert spec.via == "marathon-lb"
    assert spec.port == 6443
    assert spec.stats_bind_address == "127.0.0.1"


def test_error_type_is_a_value_error() -> None:
    assert issubclass(ExposureInputError, ValueError)


# --- cluster name ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "must not be empty"),
        ("/kubernetes-cluster", "without a leading or trailing '/'"),
        ("dev/", "without a leading or trailing '/'"),
        ("Kubernetes", "lowercase"),
        ("kube__cluster", "'__'"),
        ("kube_cluster", "'_'"),
        ("kube cluster", "may only contain"),
        ("kube\ncluster", "may only contain"),
        ("kube{cluster}", "may only contain"),
        ("dev//k8s", "empty folder segment"),
        ("-k8s", "segment '-k8s'"),
        ("k8s-", "segment 'k8s-'"),
        ("dev/./k8s", "segment '.'"),
        ("dev/../k8s", "segment '..'"),
        ("a..b", "segment 'a..b'"),
        ("dev/tasks", "reserved Marathon keyword"),
        ("restart", "reserved Marathon keyword"),
        ("versions", "reserved Marathon keyword"),
        ("k" * 64, "at most 63 characters"),
        ("a/" + "b" * 63, "at most 63 characters"),
    ],
)
def test_refuses_cluster_names(name: str, fragment: str) -> None:
    refused("cluster_name", fragment, cluster_name=name)


def test_cluster_name_is_required() -> None:
    with pytest.raises(ExposureInputError, match=r"^cluster_name: is required"):
        validate_exposure({"via": "edge-lb"})


# --- types and choices ----------------------------------------------------------------------------


def test_refuses_unknown_input() -> None:
    refused("colour", "is not an exposure input", colour="red")


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("port", "6443", "must be an integer"),
        ("port", True, "must be an integer"),
        ("port", 6443.0, "must be an integer"),
        ("count", "1", "must be an integer"),
        ("stats_port", [1], "must be an integer"),
        ("cluster_name", 5, "must be a string"),
        ("ssl_cert", b"/etc/x", "must be a string"),
        ("certificates", "$AUTOCERT", "must be a list of strings"),
        ("certificates", ["$AUTOCERT", 3], "must be a list of strings"),
    ],
)
def test_refuses_wrong_types(field: str, value: object, fragment: str) -> None:
    refused(field, fragment, **{field: value})


def test_refuses_unknown_via() -> None:
    refused("via", "must be one of marathon-lb, edge-lb", via="nginx")


def test_refuses_unknown_backend_tls() -> None:
    refused("backend_tls", "must be one of none, verify", backend_tls="strict")


# --- ports ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("port", [0, -1, 65536])
def test_refuses_ports_out_of_range(port: int) -> None:
    refused("port", "1..65535", port=port)
    refused("port", "1..65535", port=port, via="edge-lb")


@pytest.mark.parametrize("port", [80, 443, 9090, 9091, 10000, 10100, 10101, 10150])
def test_refuses_marathon_lb_reserved_ports(port: int) -> None:
    refused("port", "reserved by Marathon-LB", port=port)


@pytest.mark.parametrize("port", [443, 9090, 10000])
def test_edge_lb_may_use_marathon_lb_ports(port: int) -> None:
    assert exposure(via="edge-lb", port=port).port == port


def test_accepts_ports_next_to_reserved_ranges() -> None:
    assert exposure(port=9999).port == 9999
    assert exposure(port=10151).port == 10151


def test_refuses_stats_port_clash_and_range() -> None:
    refused("stats_port", "must differ from port", via="edge-lb", port=6090)
    refused("stats_port", "1..65535", via="edge-lb", stats_port=0)


# --- HAProxy-significant text -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "group",
    ["", "external, internal", "ext\nernal", "ext{x}", "a,,b", ",a", "ext#", 'ext"', "ext'", "a b", "*"],
)
def test_refuses_haproxy_group_that_is_not_a_token_list(group: str) -> None:
    refused("haproxy_group", "comma-separated list of names", haproxy_group=group)


def test_accepts_haproxy_group_lists() -> None:
    assert exposure(haproxy_group="external,internal_2").haproxy_group == "external,internal_2"


@pytest.mark.parametrize("field", ["ssl_cert", "ca_file"])
@pytest.mark.parametrize(
    "path",
    [
        "cert.pem",
        "/etc/ssl/cert.pem\n  server evil 1.2.3.4:80",
        "/etc/ssl/cert pem",
        "/etc/ssl/{cert}.pem",
        "/etc/ssl/cert.pem#",
        '/etc/"ssl"/cert.pem',
        "/etc/ssl/",
        "/etc//cert.pem",
        "/etc/../cert.pem",
        "/etc/ssl/cert.pem\r",
        "",
    ],
)
def test_refuses_unsafe_paths(field: str, path: str) -> None:
    refused(field, "must be an absolute path", **{field: path})


@pytest.mark.parametrize("field", ["connect_timeout", "client_timeout", "server_timeout", "tunnel_timeout"])
@pytest.mark.parametrize("value", ["", "10 s", "10sec", "s", "-1s", "10s\n", "1.5s", "{x}"])
def test_refuses_bad_timeouts(field: str, value: str) -> None:
    refused(field, "HAProxy time", **{field: value})


@pytest.mark.parametrize("value", ["86400s", "10s", "100", "1ms", "5us", "2m", "1h", "1d"])
def test_accepts_timeouts(value: str) -> None:
    assert exposure(client_timeout=value).client_timeout == value


@pytest.mark.parametrize(
    ("address", "fragment"),
    [
        ("apiserver.internal", "must be 'host:port'"),
        (":6443", "must be 'host:port'"),
        ("host:", "must be 'host:port'"),
        ("host:64a3", "must be 'host:port'"),
        ("host:0", "1..65535"),
        ("host:65536", "1..65535"),
        ("bad host:6443", "DNS name or an IPv4"),
        ("host{x}:6443", "DNS name or an IPv4"),
        ("-host:6443", "DNS name or an IPv4"),
        ("1.2.3.256:6443", "not a valid IPv4"),
        ("[::1]:6443", "DNS name or an IPv4"),
    ],
)
def test_refuses_bad_apiserver_address(address: str, fragment: str) -> None:
    refused("apiserver_address", fragment, apiserver_address=address)


@pytest.mark.parametrize(
    ("host", "fragment"),
    [
        ("k8s.example.com/", "DNS name or an IPv4"),
        ("k8s example", "DNS name or an IPv4"),
        ("https://k8s", "DNS name or an IPv4"),
        ("999.1.1.1", "not a valid IPv4"),
        ("::1", "DNS name or an IPv4"),
        ("a" * 64 + ".com", "longer than 63"),
        ("", "DNS name or an IPv4"),
    ],
)
def test_refuses_bad_public_host(host: str, fragment: str) -> None:
    refused("public_host", fragment, public_host=host)


def test_accepts_public_hosts() -> None:
    assert exposure(public_host="127.0.0.1").public_host == "127.0.0.1"
    assert exposure(public_host="K8s-API.example.com").public_host == "K8s-API.example.com"


# --- Edge-LB ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"pool_name": "Edge"}, "must match ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"),
        ({"pool_name": "edge_lb"}, "must match"),
        ({"pool_name": "edge-"}, "must match"),
        ({"pool_name": "p" * 48}, "at most 47 characters"),
        ({"cluster_name": "k8s.prod"}, "set pool_name explicitly"),
        ({"cluster_name": "k" * 41}, "at most 47 characters"),
    ],
)
def test_refuses_bad_pool_names(values: dict[str, object], fragment: str) -> None:
    refused("pool_name", fragment, via="edge-lb", **values)


def test_dotted_cluster_is_fine_with_explicit_pool_name() -> None:
    assert exposure(via="edge-lb", cluster_name="k8s.prod", pool_name="k8s-prod").pool_name == "k8s-prod"


def test_refuses_count_below_one() -> None:
    refused("count", "at least 1", via="edge-lb", count=0)


@pytest.mark.parametrize("address", ["*", "0.0.0.0:9", "localhost", "::1", "[::]", ""])
def test_refuses_bad_stats_bind_address(address: str) -> None:
    refused("stats_bind_address", "IPv4", via="edge-lb", stats_bind_address=address)


def test_refuses_verify_and_apiserver_address_with_edge_lb() -> None:
    refused("backend_tls", "only 'none' with via=edge-lb", via="edge-lb", backend_tls="verify")
    refused("apiserver_address", "only used with via=marathon-lb", via="edge-lb", apiserver_address="h:1")


@pytest.mark.parametrize(
    ("values", "field", "fragment"),
    [
        ({"certificates": []}, "certificates", "must not be empty"),
        ({"certificates": ["$AUTOCERT", "$AUTOCERT"]}, "certificates", "must not repeat"),
        (
            {"certificates": ["/etc/cert.pem"]},
            "certificates",
            "$AUTOCERT, $SECRETS/<file> or $ENVFILE/<file>",
        ),
        ({"certificates": ["$SECRETS/a b"]}, "certificates", "$AUTOCERT, $SECRETS/<file>"),
        ({"certificates": ["$SECRETS/tls"]}, "certificates", "needs certificate_secret"),
        (
            {
                "certificates": ["$SECRETS/tls"],
                "certificate_secret": "k8s/tls",
                "certificate_secret_file": "other",
            },
            "certificates",
            "needs certificate_secret",
        ),
        ({"certificate_secret": "k8s/tls\n"}, "certificate_secret", "DC/OS secret path"),
        ({"certificate_secret": "/k8s/tls"}, "certificate_secret", "DC/OS secret path"),
        ({"certificate_secret": "k8s tls"}, "certificate_secret", "DC/OS secret path"),
        ({"certificate_secret_file": "-tls"}, "certificate_secret_file", "Edge-LB secret file"),
        ({"certificate_secret_file": "tls.pem"}, "certificate_secret_file", "Edge-LB secret file"),
    ],
)
def test_refuses_bad_certificates(values: dict[str, object], field: str, fragment: str) -> None:
    refused(field, fragment, via="edge-lb", **values)


# --- kubeconfig-only inputs -----------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["a b", "a\nb", 'a"b', ""])
def test_refuses_bad_token_without_echoing_it(token: str) -> None:
    with pytest.raises(ExposureInputError, match=r"^kubeconfig_token: ") as caught:
        check_kubeconfig_token(token)
    if token:
        assert token not in str(caught.value)


@pytest.mark.parametrize("pem", ["not a certificate", 42])
def test_refuses_non_pem_ca(pem: object) -> None:
    with pytest.raises(ExposureInputError, match=r"^frontend_ca_pem: must be PEM"):
        check_frontend_ca_pem(pem)


def test_token_must_be_a_string() -> None:
    with pytest.raises(ExposureInputError, match=r"^kubeconfig_token: "):
        check_kubeconfig_token(123)


# --- no HAProxy syntax can reach a document ------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"backend_tls": "verify"},
        {
            "cluster_name": "dev/kubernetes01",
            "apiserver_address": "api.internal:16443",
            "haproxy_group": "a,b",
        },
    ],
)
def test_derived_documents_carry_no_injection_characters(values: dict[str, object]) -> None:
    """Besides our own line structure, no value contains a newline, CR, brace, '#' or quote."""
    spec = exposure(**values)
    labels = marathon_app_definition(spec)["labels"]
    for key, value in labels.items():
        body = value
        for allowed in (
            "{serverName}",
            "{backend}",
            "{bindAddr}",
            "{servicePort}",
            "{sslCert}",
            "{bindOptions}",
        ):
            body = body.replace(allowed, "")
        body = body.replace("{mode}", "")
        assert not set(body) & set("{}#\"'\r"), key
        if key not in {"HAPROXY_0_BACKEND_SERVER_OPTIONS", "HAPROXY_0_FRONTEND_HEAD"}:
            assert "\n" not in value, key
    pool = edge_lb_pool(exposure(**{k: v for k, v in values.items() if k in {"cluster_name"}}, via="edge-lb"))
    for text in [*pool["haproxy"]["frontends"][0]["miscStrs"], *pool["haproxy"]["backends"][0]["miscStrs"]]:
        assert not set(text) & set("{}#\"'\r\n")


# --- list level --------------------------------------------------------------------------------------


def test_list_accepts_distinct_exposures() -> None:
    validate_exposure_list(
        [
            exposure(cluster_name="dev/kubernetes01", port=6443),
            exposure(cluster_name="prod/kubernetes01", port=6444),
            exposure(cluster_name="edge", via="edge-lb", port=6445, stats_port=6090),
            exposure(cluster_name="edge2", via="edge-lb", port=6446, stats_port=6091),
        ]
    )


@pytest.mark.parametrize(
    ("specs", "field", "fragment"),
    [
        (
            [{"cluster_name": "k8s"}, {"cluster_name": "k8s", "port": 6444}],
            "cluster_name",
            "cluster 'k8s' is used by both",
        ),
        (
            [{"cluster_name": "dev/kubernetes01"}, {"cluster_name": "devkubernetes01", "port": 6444}],
            "cluster_name",
            "apiserver VIP 'apiserver.devkubernetes01.l4lb.thisdcos.directory'",
        ),
        (
            [{"cluster_name": "dev/k8s"}, {"cluster_name": "dev-k8s", "port": 6444}],
            "cluster_name",
            "derived app/pool/resource name 'dev-k8s'",
        ),
        (
            [{"cluster_name": "a"}, {"cluster_name": "b"}],
            "port",
            "public port '6443' is used by both 'a' (port) and 'b' (port)",
        ),
        (
            [{"cluster_name": "a"}, {"cluster_name": "b", "via": "edge-lb"}],
            "port",
            "public port '6443'",
        ),
        (
            [{"cluster_name": "a", "via": "edge-lb"}, {"cluster_name": "b", "via": "edge-lb", "port": 6444}],
            "port",
            "public port '6090' is used by both 'a' (stats_port) and 'b' (stats_port)",
        ),
        (
            [{"cluster_name": "a", "port": 6090}, {"cluster_name": "b", "via": "edge-lb", "port": 6444}],
            "port",
            "'a' (port) and 'b' (stats_port)",
        ),
        (
            [
                {"cluster_name": "a", "via": "edge-lb", "pool_name": "k8s"},
                {"cluster_name": "b", "via": "edge-lb", "pool_name": "k8s", "port": 6444, "stats_port": 6091},
            ],
            "pool_name",
            "Edge-LB pool name 'k8s'",
        ),
    ],
)
def test_list_refusals(specs: list[dict[str, object]], field: str, fragment: str) -> None:
    with pytest.raises(ExposureInputError) as caught:
        validate_exposure_list([validate_exposure(s) for s in specs])
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert fragment in str(caught.value), str(caught.value)
