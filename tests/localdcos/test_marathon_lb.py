"""Marathon-LB emulation: rendering, task/app selection, both failure classes, real `haproxy -c`."""

from __future__ import annotations

import copy
import datetime
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from localdcos.marathon_lb import BuildResult, MarathonLBOptions, build_config, check_config, render_config

needs_haproxy = pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")

VIP = "apiserver.kubernetes-cluster.l4lb.thisdcos.directory:6443"
TIMEOUTS = (
    "  timeout connect 10s\n  timeout client 86400s\n  timeout server 86400s\n  timeout tunnel 86400s\n"
)
SEED_NO_VERIFY = f"{TIMEOUTS}  server kubernetescluster {VIP} ssl verify none\n"
SEED_VERIFY = f"{TIMEOUTS}  server kubernetescluster {VIP} ssl verify required ca-file /mnt/mesos/sandbox/.ssl/ca-bundle.crt\n"

# dcos-api.md §2.4, "Rendered output for the documented dummy app (MLB 1.12.1, one task)".
DOC_FRONTEND = """\
frontend marathon-lb-kubernetes-cluster_6443
  bind *:6443 ssl crt /etc/ssl/cert.pem
  mode http
  use_backend marathon-lb-kubernetes-cluster_6443
"""
DOC_BACKEND = """\
backend marathon-lb-kubernetes-cluster_6443
  balance roundrobin
  mode http
  option forwardfor
  http-request set-header X-Forwarded-Port %[dst_port]
  http-request add-header X-Forwarded-Proto https if { ssl_fc }
  timeout connect 10s
  timeout client 86400s
  timeout server 86400s
  timeout tunnel 86400s
  server kubernetescluster apiserver.kubernetes-cluster.l4lb.thisdcos.directory:6443 ssl verify none
"""
# Marathon's GET fills these in; MLB indexes them directly.
CHECK_DEFAULTS = {
    "gracePeriodSeconds": 300,
    "intervalSeconds": 60,
    "timeoutSeconds": 20,
    "maxConsecutiveFailures": 3,
}


def task(n: int, state: str = "TASK_RUNNING", **extra: Any) -> dict[str, Any]:
    return {"id": f"app.task{n}", "host": "127.0.0.1", "ports": [31000 + n], "state": state, **extra}


def make_app(app_id: str, labels: dict[str, str], tasks: int = 1, ports: int = 1) -> dict[str, Any]:
    return {
        "id": app_id,
        "labels": labels,
        "portDefinitions": [{"port": 10000 + i, "protocol": "tcp"} for i in range(ports)],
        "healthChecks": [],
        "tasks": [{**task(n), "ports": [31000 + 10 * n + i for i in range(ports)]} for n in range(tasks)],
    }


def seed_app(
    server_options: str = SEED_NO_VERIFY, cert: str = "/etc/ssl/cert.pem", tasks: int = 1
) -> dict[str, Any]:
    return make_app(
        "/marathon-lb-kubernetes-cluster",
        {
            "HAPROXY_GROUP": "external",
            "HAPROXY_0_MODE": "http",
            "HAPROXY_0_PORT": "6443",
            "HAPROXY_0_SSL_CERT": cert,
            "HAPROXY_0_BACKEND_SERVER_OPTIONS": server_options,
        },
        tasks=tasks,
    )


def local_seed(cert: str, tasks: int = 1, server_name: str = "kubernetescluster") -> dict[str, Any]:
    """The seed app with a backend address that resolves outside the runner's namespace."""
    options = SEED_NO_VERIFY.replace(VIP, "127.0.0.1:6443").replace("kubernetescluster", server_name)
    return seed_app(options, cert=cert, tasks=tasks)


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "*")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    path = tmp_path_factory.mktemp("ssl") / "cert.pem"
    path.write_bytes(
        certificate.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(path)


@pytest.fixture
def options(cert: str, tmp_path: Path) -> MarathonLBOptions:
    return MarathonLBOptions(
        ssl_certs=cert,
        config_path=str(tmp_path / "haproxy.cfg"),
        stats_socket=str(tmp_path / "haproxy.sock"),
        maxconn=1000,
    )


def build(apps: list[dict[str, Any]], options: MarathonLBOptions, tmp_path: Path) -> BuildResult:
    return build_config(apps, options, workdir=tmp_path / "check")


# ----------------------------------------------------------------------------- pure rendering


@pytest.mark.parametrize("version", ["1.12.1", "1.14.2"])
def test_seed_renders_the_documented_block(version: str) -> None:
    text = render_config([seed_app()], MarathonLBOptions(version=version))
    assert "\n\n" + DOC_FRONTEND in text
    assert text.endswith("\n\n" + DOC_BACKEND)
    appid = text.split("frontend marathon_http_appid_in\n", 1)[1].split("\n\n", 1)[0]
    assert "hdr(x-marathon-app-id) -i /marathon-lb-kubernetes-cluster" in appid
    assert "use_backend marathon-lb-kubernetes-cluster_6443 if app__marathon-lb-kubernetes-cluster" in appid


def test_seed_with_tls_verification() -> None:
    text = render_config([seed_app(SEED_VERIFY)], MarathonLBOptions())
    assert DOC_FRONTEND in text
    verify = DOC_BACKEND.replace(
        "ssl verify none", "ssl verify required ca-file /mnt/mesos/sandbox/.ssl/ca-bundle.crt"
    )
    assert text.endswith(verify)


def test_head_is_sandbox_friendly_and_serves_getconfig(tmp_path: Path) -> None:
    opts = MarathonLBOptions(
        config_path="/run/x/haproxy.cfg",
        stats_socket="/run/x/sock",
        pidfile="/run/x/pid",
        stats_port=19190,
        default_client_timeout="2s",
    )
    text = render_config([], opts)
    head = text.split("\nfrontend ", 1)[0]
    assert "daemon" not in head.split() and "chroot" not in head and "\n  user " not in head
    assert "stats socket /run/x/sock expose-fd listeners" in head
    assert "pidfile /run/x/pid" in head
    assert "timeout client 2s" in head
    assert "bind 0.0.0.0:19190" in head and "stats enable" in head
    assert "monitor-uri /_haproxy_health_check" in head
    assert "file /run/x/haproxy.cfg if getconfig" in head
    for shared in ("marathon_http_in", "marathon_https_in", "marathon_http_appid_in"):
        assert f"frontend {shared}\n" in text


def test_large_configs_still_fit_the_getconfig_buffer() -> None:
    small = render_config([make_app("/web", {"HAPROXY_GROUP": "external"})], MarathonLBOptions())
    assert "tune.bufsize" not in small
    apps = [make_app(f"/app{i}", {"HAPROXY_GROUP": "external"}, tasks=3) for i in range(60)]
    text = render_config(apps, MarathonLBOptions())
    bufsize = int(text.split("tune.bufsize ", 1)[1].split("\n", 1)[0])
    assert bufsize >= len(text) + 2048


def test_shared_frontends_follow_options() -> None:
    opts = MarathonLBOptions(http_port=18080, https_port=18443, appid_port=19091, ssl_certs="/a.pem,/b.pem")
    text = render_config([], opts)
    assert "bind *:18080\n" in text and "bind *:19091\n" in text
    assert "bind *:18443 ssl crt /a.pem crt /b.pem\n" in text
    no_shared = render_config([], MarathonLBOptions(bind_http_https=False))
    assert "marathon_http_in" not in no_shared and "marathon_https_in" not in no_shared
    assert "marathon_http_appid_in" in no_shared


@pytest.mark.parametrize(
    ("labels", "groups", "rendered"),
    [
        ({"HAPROXY_GROUP": "external"}, ["external"], True),
        ({}, ["external"], False),
        ({"HAPROXY_GROUP": "internal"}, ["external"], False),
        ({"HAPROXY_GROUP": "internal,external"}, ["external"], True),
        ({"HAPROXY_GROUP": "internal, external"}, ["external"], False),  # " external": no trimming
        ({"HAPROXY_GROUP": "internal, external"}, [" external"], True),
        ({}, ["*"], True),
        ({"HAPROXY_GROUP": "internal", "HAPROXY_0_GROUP": "external"}, ["external"], True),
        ({"HAPROXY_GROUP": "external", "HAPROXY_0_GROUP": "internal"}, ["external"], False),
    ],
)
def test_group_selection(labels: dict[str, str], groups: list[str], rendered: bool) -> None:
    text = render_config([make_app("/web", labels)], MarathonLBOptions(groups=groups))
    assert ("frontend web_10000\n" in text) is rendered


def test_per_port_group_and_one_service_per_port() -> None:
    app = make_app("/dev/web", {"HAPROXY_GROUP": "external", "HAPROXY_1_GROUP": "internal"}, ports=3)
    text = render_config([app], MarathonLBOptions())
    assert "frontend dev_web_10000\n" in text and "frontend dev_web_10002\n" in text
    assert "dev_web_10001" not in text


def test_strict_mode_and_enabled() -> None:
    labels = {"HAPROXY_GROUP": "external"}
    strict = MarathonLBOptions(strict_mode=True)
    assert "frontend web_10000" not in render_config([make_app("/web", labels)], strict)
    enabled = make_app("/web", {**labels, "HAPROXY_0_ENABLED": "true"})
    assert "frontend web_10000" in render_config([enabled], strict)
    disabled = make_app("/web", {**labels, "HAPROXY_0_ENABLED": "false"})
    assert "frontend web_10000" not in render_config([disabled], MarathonLBOptions())


def test_the_marathon_lb_app_itself_is_skipped() -> None:
    app = make_app("/marathon-lb", {"HAPROXY_GROUP": "external"})
    assert "marathon-lb_10000" not in render_config([app], MarathonLBOptions())
    assert "marathon-lb_10000" in render_config([app], MarathonLBOptions(framework_name=None))


def test_tcp_mode_is_not_registered_on_9091() -> None:
    tcp = make_app("/tcp", {"HAPROXY_GROUP": "external"})
    http = make_app("/web", {"HAPROXY_GROUP": "external", "HAPROXY_0_MODE": "HTTP"})
    text = render_config([tcp, http], MarathonLBOptions())
    appid = text.split("frontend marathon_http_appid_in\n", 1)[1].split("\n\n", 1)[0]
    assert "-i /web\n" in appid and "/tcp" not in appid
    tcp_backend = text.split("\nbackend tcp_10000\n", 1)[1].split("\n\n", 1)[0]
    assert "mode tcp" in tcp_backend and "forwardfor" not in tcp_backend
    web_backend = text.split("\nbackend web_10000\n", 1)[1].split("\n\n", 1)[0]
    assert "mode http" in web_backend and "option forwardfor" in web_backend


def test_mode_defaults_from_http_health_check() -> None:
    app = make_app("/web", {"HAPROXY_GROUP": "external"})
    app["healthChecks"] = [{**CHECK_DEFAULTS, "protocol": "HTTP", "path": "/health", "portIndex": 0}]
    app["tasks"][0]["healthCheckResults"] = [{"alive": True}]
    text = render_config([app], MarathonLBOptions())
    assert "frontend web_10000\n  bind *:10000\n  mode http\n" in text
    assert "  option  httpchk GET /health\n  timeout check 20s\n" in text
    assert "check inter 60s fall 4" in text


def test_bind_labels_balance_and_port() -> None:
    labels = {
        "HAPROXY_GROUP": "external",
        "HAPROXY_0_PORT": "7443",
        "HAPROXY_0_BIND_ADDR": "127.0.0.1",
        "HAPROXY_0_BIND_OPTIONS": "ciphers AES128+EECDH",
        "HAPROXY_0_SSL_CERT": "/c.pem",
        "HAPROXY_0_BALANCE": "leastconn",
    }
    text = render_config([make_app("/web", labels)], MarathonLBOptions())
    assert (
        "frontend web_7443\n  bind 127.0.0.1:7443 ssl crt /c.pem ciphers AES128+EECDH\n  mode tcp\n" in text
    )
    assert "backend web_7443\n  balance leastconn\n" in text


def test_template_labels_are_formatted_per_app() -> None:
    labels = {
        "HAPROXY_GROUP": "external",
        "HAPROXY_0_FRONTEND_HEAD": "\nfrontend {backend}\n  bind {bindAddr}:{servicePort}{sslCert}\n  mode {mode}\n  timeout client 1h\n",
        "HAPROXY_0_BACKEND_HEAD": "\nbackend {backend}\n  balance {balance}\n  mode {mode}\n  # mine\n",
        "HAPROXY_0_FRONTEND_BACKEND_GLUE": "  default_backend {backend}\n",
        "HAPROXY_0_BACKEND_SERVER_OPTIONS": "  server {serverName} {host}:{port} check\n",
    }
    text = render_config([make_app("/web", labels)], MarathonLBOptions())
    assert (
        "frontend web_10000\n  bind *:10000\n  mode tcp\n  timeout client 1h\n  default_backend web_10000\n"
        in text
    )
    assert (
        "backend web_10000\n  balance roundrobin\n  mode tcp\n  # mine\n  server 127_0_0_1_31000 127.0.0.1:31000 check\n"
        in text
    )


def test_server_ids_depend_on_version() -> None:
    app = make_app("/web", {"HAPROXY_GROUP": "external"}, tasks=2)
    new = render_config([app], MarathonLBOptions(version="1.12.2"))
    old = render_config([app], MarathonLBOptions(version="1.12.1"))
    assert "  server 127_0_0_1_31000 127.0.0.1:31000 id " in new
    assert "  server 127_0_0_1_31000 127.0.0.1:31000\n" in old
    assert render_config([app], MarathonLBOptions(version="1.12.2")) == new  # stable


def test_task_states_by_version() -> None:
    app = make_app("/web", {"HAPROXY_GROUP": "external"}, tasks=0)
    app["tasks"] = [task(1, "TASK_STAGING"), task(2, "TASK_KILLING"), task(3, "TASK_UNREACHABLE")]
    old = render_config([app], MarathonLBOptions(version="1.12.1"))
    new = render_config([app], MarathonLBOptions(version="1.14.0"))
    assert ":31001" in old and ":31001" not in new
    assert ":31002" not in old and ":31002" not in new
    assert ":31003" in old and ":31003" in new


def test_health_results_select_tasks() -> None:
    app = make_app("/web", {"HAPROXY_GROUP": "external"}, tasks=0)
    app["healthChecks"] = [{**CHECK_DEFAULTS, "protocol": "TCP", "portIndex": 0}]
    app["tasks"] = [
        task(1, healthCheckResults=[{"alive": True}]),
        task(2, healthCheckResults=[{"alive": False}]),
        task(3),  # no results yet
    ]
    text = render_config([app], MarathonLBOptions())
    assert ":31001" in text and ":31002" not in text and ":31003" not in text
    ignoring = render_config([app], MarathonLBOptions(health_check=False))
    assert ":31002" in ignoring and ":31003" in ignoring


def test_services_without_usable_tasks_are_not_rendered() -> None:
    no_tasks = make_app("/a", {"HAPROXY_GROUP": "external"}, tasks=0)
    no_host = make_app("/b", {"HAPROXY_GROUP": "external"})
    no_host["tasks"][0]["host"] = ""
    unresolved = make_app("/c", {"HAPROXY_GROUP": "external"})
    text = render_config([no_tasks, no_host, unresolved], MarathonLBOptions(), resolve=lambda host: None)
    for name in ("a_10000", "b_10000", "c_10000"):
        assert name not in text


def test_server_options_label_is_emitted_per_task() -> None:
    text = render_config([seed_app(tasks=2)], MarathonLBOptions())
    assert text.count(f"  server kubernetescluster {VIP} ssl verify none\n") == 2
    assert text.count("  timeout tunnel 86400s\n") == 2


def test_vhost_routes_on_shared_frontends() -> None:
    app = make_app("/web", {"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "Web.Example.com"})
    text = render_config([app], MarathonLBOptions())
    http = text.split("frontend marathon_http_in\n", 1)[1].split("\n\n", 1)[0]
    assert "acl host_web_example_com_web hdr(host) -i web.example.com" in http
    https = text.split("frontend marathon_https_in\n", 1)[1].split("\n\n", 1)[0]
    assert "use_backend web_10000 if { ssl_fc_sni web.example.com }" in https
    assert "frontend web_10000\n  bind *:10000\n  mode http\n" in text


# ----------------------------------------------------------------------------- failure class 1


@pytest.mark.parametrize(
    "bad_labels",
    [
        {"HAPROXY_0_BACKEND_SERVER_OPTIONS": "  server x {host}:{port} {nope}\n"},
        {"HAPROXY_0_FRONTEND_HEAD": "\nfrontend {backend}\n  acl a {{ ssl_fc }\n"},
        {"HAPROXY_0_PORT": "6443a"},
        {"HAPROXY_0_AUTH": "realm-only"},
    ],
)
def test_python_side_errors_freeze_every_app(
    bad_labels: dict[str, str], options: MarathonLBOptions, cert: str, tmp_path: Path
) -> None:
    bad = make_app("/bad", {"HAPROXY_GROUP": "external", **bad_labels})
    result = build([local_seed(cert), bad], options, tmp_path)
    assert result.config is None
    assert any(line.startswith("Unexpected error!") for line in result.log)


def test_bad_port_breaks_even_an_app_outside_the_groups(options: MarathonLBOptions, tmp_path: Path) -> None:
    other = make_app("/internal", {"HAPROXY_GROUP": "internal", "HAPROXY_0_PORT": "x"})
    result = build([other], options, tmp_path)
    assert result.config is None and "ValueError" in result.log[-1]


def test_server_id_placeholder_needs_1_12_2(options: MarathonLBOptions, tmp_path: Path) -> None:
    app = make_app(
        "/web",
        {
            "HAPROXY_GROUP": "external",
            "HAPROXY_0_BACKEND_SERVER_OPTIONS": "  server s{serverId} {host}:{port}\n",
        },
    )
    assert "  server s" in render_config([app], MarathonLBOptions(version="1.12.2"))
    options.version = "1.12.1"
    assert build([app], options, tmp_path).config is None


def test_custom_head_must_be_master_worker_ready(options: MarathonLBOptions, tmp_path: Path) -> None:
    options.head_template = "global\n  daemon\n  stats socket /x expose-fd listeners\n"
    result = build([], options, tmp_path)
    assert result.config is None and "Unexpected error!" in result.log[-1]


def test_options_reject_what_mlb_refuses() -> None:
    with pytest.raises(ValueError, match="group"):
        MarathonLBOptions(groups=[])
    with pytest.raises(ValueError, match=r"1\.12\.0"):
        MarathonLBOptions(version="1.12.0")


# ----------------------------------------------------------------------------- haproxy -c


@needs_haproxy
def test_full_config_of_good_apps_passes(options: MarathonLBOptions, cert: str, tmp_path: Path) -> None:
    web = make_app(
        "/dev/web", {"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "a.example,b.example"}, tasks=2, ports=2
    )
    web["healthChecks"] = [{**CHECK_DEFAULTS, "protocol": "HTTP", "path": "/", "portIndex": 0}]
    for t in web["tasks"]:
        t["healthCheckResults"] = [{"alive": True}]
    sticky = make_app(
        "/sticky", {"HAPROXY_GROUP": "external", "HAPROXY_0_STICKY": "true", "HAPROXY_0_MODE": "http"}
    )
    tcp = make_app("/db", {"HAPROXY_GROUP": "external", "HAPROXY_0_BALANCE": "leastconn"}, tasks=3)
    apps = [local_seed(cert), web, sticky, tcp]
    result = build(apps, options, tmp_path)
    assert result.excluded == [] and result.config is not None
    assert result.config == render_config(apps, options)
    ok, output = check_config(result.config, workdir=tmp_path, files={options.config_path: ""})
    assert ok, output


@needs_haproxy
def test_map_mode_passes_with_staged_map_files(options: MarathonLBOptions, cert: str, tmp_path: Path) -> None:
    options.haproxy_map = True
    web = make_app("/web", {"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "web.example"})
    result = build([local_seed(cert), web], options, tmp_path)
    assert result.config is not None, result.log
    app_map, domain_map = options.map_paths()
    assert "app2backend.map" in result.config
    assert (
        result.files[app_map]
        == "/marathon-lb-kubernetes-cluster marathon-lb-kubernetes-cluster_6443\n/web web_10000\n"
    )
    assert result.files[domain_map] == "web.example web_10000\n"


@needs_haproxy
def test_duplicate_server_name_fails_with_two_tasks(
    options: MarathonLBOptions, cert: str, tmp_path: Path
) -> None:
    text = render_config([local_seed(cert, tasks=2)], options)
    ok, output = check_config(text, workdir=tmp_path, files={options.config_path: text})
    assert not ok
    assert "another server named 'kubernetescluster'" in output


@needs_haproxy
def test_duplicate_server_app_is_excluded_and_others_stay(
    options: MarathonLBOptions, cert: str, tmp_path: Path
) -> None:
    good = make_app("/web", {"HAPROXY_GROUP": "external", "HAPROXY_0_MODE": "http"})
    result = build([local_seed(cert, tasks=2), good], options, tmp_path)
    assert result.config is not None
    assert [app_id for app_id, _ in result.excluded] == ["/marathon-lb-kubernetes-cluster"]
    assert "another server named" in result.excluded[0][1]
    assert (
        "invalid configuration caused by app /marathon-lb-kubernetes-cluster; it will be excluded"
        in result.log
    )
    assert "frontend web_10000\n" in result.config and "_6443" not in result.config


@needs_haproxy
def test_server_name_placeholder_makes_two_tasks_valid(
    options: MarathonLBOptions, cert: str, tmp_path: Path
) -> None:
    result = build([local_seed(cert, tasks=2, server_name="{serverName}")], options, tmp_path)
    assert result.excluded == [] and result.config is not None
    assert "  server 127_0_0_1_31000 127.0.0.1:6443 ssl verify none\n" in result.config
    assert "  server 127_0_0_1_31010 127.0.0.1:6443 ssl verify none\n" in result.config


@needs_haproxy
@pytest.mark.parametrize(
    "bad_labels",
    [
        {"HAPROXY_0_BACKEND_SERVER_OPTIONS": "  server s {host}:{port}\n  frobnicate on\n"},
        {"HAPROXY_0_SSL_CERT": "/nonexistent/cert.pem"},
        {"HAPROXY_0_BACKEND_SERVER_OPTIONS": "  server s does-not-resolve.invalid:6443\n"},
    ],
)
def test_haproxy_side_errors_exclude_only_the_app(
    bad_labels: dict[str, str], options: MarathonLBOptions, cert: str, tmp_path: Path
) -> None:
    bad = make_app("/bad", {"HAPROXY_GROUP": "external", **bad_labels})
    result = build([bad, local_seed(cert)], options, tmp_path)
    assert result.config is not None
    assert [app_id for app_id, _ in result.excluded] == ["/bad"]
    assert "bad_10000" not in result.config
    assert "frontend marathon-lb-kubernetes-cluster_6443\n" in result.config


@needs_haproxy
def test_nothing_is_written_when_every_app_is_excluded(options: MarathonLBOptions, tmp_path: Path) -> None:
    options.ssl_certs = str(tmp_path / "missing.pem")  # breaks the shared 443 frontend itself
    result = build([make_app("/web", {"HAPROXY_GROUP": "external"})], options, tmp_path)
    assert result.config is None
    assert result.log[-1].startswith("A valid config file could not be generated")


def test_check_is_bounded_by_a_timeout(tmp_path: Path) -> None:
    ok, output = check_config("", ("sh", "-c", "sleep 5", "sh"), workdir=tmp_path, timeout=0.3)
    assert not ok and "timed out" in output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@needs_haproxy
def test_running_haproxy_serves_getconfig(options: MarathonLBOptions, cert: str, tmp_path: Path) -> None:
    options.http_port, options.https_port = _free_port(), _free_port()
    options.stats_port, options.appid_port = _free_port(), _free_port()
    app = copy.deepcopy(local_seed(cert))
    app["labels"]["HAPROXY_0_PORT"] = str(_free_port())
    result = build([app], options, tmp_path)
    assert result.config is not None
    Path(options.config_path).write_text(result.config)
    proc = subprocess.Popen(
        ["haproxy", "-f", options.config_path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        base = f"http://127.0.0.1:{options.stats_port}"
        deadline = time.monotonic() + 5
        while True:
            try:
                body = urllib.request.urlopen(f"{base}/_haproxy_getconfig", timeout=1).read().decode()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert body == result.config
        assert urllib.request.urlopen(f"{base}/_haproxy_health_check", timeout=1).status == 200
        assert b"Statistics Report" in urllib.request.urlopen(f"{base}/haproxy?stats", timeout=1).read()
    finally:
        proc.terminate()
        proc.wait(timeout=5)
