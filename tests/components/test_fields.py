"""The field rules (components/fields.py) through the exposure model: each refusal names its field."""

from __future__ import annotations

import pytest

from components import ExposureInputError, validate_exposure
from components.edge_lb import EDGE_LB
from components.marathon_lb import MARATHON_LB
from tests.components.helpers import exposure, refused

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
    assert EDGE_LB.narrow(spec).stats_bind_address == "127.0.0.1"
    assert MARATHON_LB.narrow(spec).haproxy_group == "external"


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


def test_refuses_unknown_input_and_suggests_the_right_spelling() -> None:
    refused("colour", "is not a known option", colour="red")
    assert "did you mean 'public_host'" in refused("publichost", "is not a known option", publichost="h").rule
    # Args are Python names: the config spelling is an unknown key here.
    refused("publicHost", "is not a known option", publicHost="h")


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
    refused("backend_tls", "must be one of 'none' or 'verify'", backend_tls="strict")


# --- ports ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("port", [0, -1, 65536])
def test_refuses_ports_out_of_range(port: int) -> None:
    refused("port", "1..65535", port=port)
    refused("port", "1..65535", port=port, via="edge-lb")


def test_every_problem_is_reported_at_once() -> None:
    error = refused("port", "1..65535", port=0, public_host="a b", client_timeout="1 s")
    assert [p.field for p in error.problems] == ["port", "public_host", "client_timeout"]


# --- HAProxy-significant text -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "group",
    ["", "external, internal", "ext\nernal", "ext{x}", "a,,b", ",a", "ext#", 'ext"', "ext'", "a b", "*"],
)
def test_refuses_haproxy_group_that_is_not_a_token_list(group: str) -> None:
    refused("haproxy_group", "comma-separated list of names", haproxy_group=group)


def test_accepts_haproxy_group_lists() -> None:
    spec = MARATHON_LB.narrow(exposure(haproxy_group="external,internal_2"))
    assert spec.haproxy_group == "external,internal_2"


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
        # Unicode digits: str.isdigit() takes them, HAProxy and int() do not read them as a port.
        ("10.0.0.5:\uff16\uff14\uff14\uff13", "must be 'host:port'"),
        ("10.0.0.5:\u00b2", "must be 'host:port'"),
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


# --- Edge-LB options (checked whatever `via` is) ------------------------------------------------


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"pool_name": "Edge"}, "must match ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"),
        ({"pool_name": "edge_lb"}, "must match"),
        ({"pool_name": "edge-"}, "must match"),
        ({"pool_name": "p" * 48}, "at most 47 characters"),
    ],
)
def test_refuses_bad_pool_names(values: dict[str, object], fragment: str) -> None:
    refused("pool_name", fragment, via="edge-lb", **values)


def test_refuses_count_below_one() -> None:
    refused("count", "at least 1", via="edge-lb", count=0)


@pytest.mark.parametrize("address", ["*", "0.0.0.0:9", "localhost", "::1", "[::]", ""])
def test_refuses_bad_stats_bind_address(address: str) -> None:
    refused("stats_bind_address", "IPv4", via="edge-lb", stats_bind_address=address)


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
        ({"certificate_secret": "k8s/tls\n"}, "certificate_secret", "DC/OS secret path"),
        ({"certificate_secret": "/k8s/tls"}, "certificate_secret", "DC/OS secret path"),
        ({"certificate_secret": "k8s tls"}, "certificate_secret", "DC/OS secret path"),
        ({"certificate_secret_file": "-tls"}, "certificate_secret_file", "Edge-LB secret file"),
        ({"certificate_secret_file": "tls.pem"}, "certificate_secret_file", "Edge-LB secret file"),
    ],
)
def test_refuses_bad_certificates(values: dict[str, object], field: str, fragment: str) -> None:
    refused(field, fragment, via="edge-lb", **values)


@pytest.mark.parametrize("via", ["marathon-lb", "edge-lb"])
def test_options_of_either_balancer_are_checked_whatever_via_is(via: str) -> None:
    """A later switch of `via` must not surface an old mistake."""
    refused("stats_bind_address", "IPv4", via=via, stats_bind_address="*")
    refused("haproxy_group", "comma-separated", via=via, haproxy_group="a b")
