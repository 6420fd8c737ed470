"""The pure haproxy.cfg renderer: selection of Mesos tasks and the HAProxy text for a pool."""

from __future__ import annotations

import copy
import datetime
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from localdcos.edgelb.model import V2Pool
from localdcos.edgelb.render import render_pool_config
from localdcos.edgelb.selection import marathon_ids, select_servers
from localdcos.edgelb.validation import check_pool
from localdcos.mesos import DiscoveryPort, TaskView
from tests.seed_documents import seed_pool

SEED: dict[str, Any] = seed_pool()
HOST = (("network-scope", "host"),)


def task(
    name: str = "kube-control-plane-0-instance",
    *,
    framework: str = "kubernetes-cluster",
    host: str = "10.0.0.5",
    state: str = "TASK_RUNNING",
    ports: tuple[DiscoveryPort, ...] = (DiscoveryPort(6443, "apiserver", labels=HOST),),
    task_id: str | None = None,
    container_ips: tuple[str, ...] = (),
) -> TaskView:
    return TaskView(
        framework_name=framework,
        framework_id=f"fw-{framework}",
        task_id=task_id or f"{framework.replace('/', '.')}__{name}__0000",
        name=name,
        state=state,
        agent_id=f"agent-{host}",
        agent_hostname=host,
        ports=ports,
        container_ips=container_ips,
    )


def pool(**changes: Any) -> V2Pool:
    data = copy.deepcopy(SEED)
    data.update(changes)
    return V2Pool.model_validate(data)


def lines_of(cfg: str, head: str) -> list[str]:
    lines = cfg.splitlines()
    start = lines.index(head)
    body = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        body.append(line.strip())
    return body


def backend_section(cfg: str, name: str) -> list[str]:
    return lines_of(cfg, f"backend {name}")


def servers(cfg: str, backend: str = "kubernetes-cluster") -> list[str]:
    return [line for line in backend_section(cfg, backend) if line.startswith("server ")]


def test_seed_pool_renders_the_documented_config() -> None:
    cfg = render_pool_config(pool(), [task()])
    assert "frontend frontend_0.0.0.0_6443\n" in cfg
    assert '  bind 0.0.0.0:6443 ssl crt "$MESOS_SANDBOX/$AUTOCERT"\n' in cfg
    assert "  default_backend kubernetes-cluster\n" in cfg
    assert servers(cfg) == ["server agentip_10.0.0.5_6443 10.0.0.5:6443 check ssl verify none"]
    section = backend_section(cfg, "kubernetes-cluster")
    assert section[:2] == ["balance roundrobin", "mode http"]
    assert "option forwardfor" in section
    assert "listen stats\n  bind 0.0.0.0:6090\n" in cfg


def test_template_defaults_are_present() -> None:
    cfg = render_pool_config(pool(), [])
    for line in (
        "timeout client 30s",
        "timeout server 30s",
        "timeout tunnel 3600s",
        "default-server init-addr last,libc,none",
    ):
        assert f"  {line}\n" in cfg


# Edge-LB's TLS policy, as its template writes it for binds and for servers.
CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:"
    "DHE-RSA-AES128-SHA256:DHE-RSA-AES256-SHA256:AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256:"
    "AES256-SHA256:!aNULL:!MD5:!DSS"
)


def test_global_and_defaults_are_those_of_real_pools() -> None:
    cfg = render_pool_config(pool(), [])
    glob = lines_of(cfg, "global")
    for line in (
        "max-spread-checks 15000",
        "maxconn 50000",
        f"ssl-default-bind-ciphers {CIPHERS}",
        "ssl-default-bind-options no-sslv3 no-tlsv10 no-tls-tickets",
        f"ssl-default-server-ciphers {CIPHERS}",
        "ssl-default-server-options no-sslv3 no-tlsv10 no-tls-tickets",
        "stats socket /var/run/haproxy/socket",
        "server-state-file global",
        "server-state-base /var/state/haproxy/",
    ):
        assert line in glob
    defaults = lines_of(cfg, "defaults")
    assert defaults[0] == "load-server-state-from-file global"
    for line in ("option http-server-close", "default-server resolve-prefer ipv4"):
        assert line in defaults
    # resolve-prefer comes first: the init-addr line after it must not be read without it.
    assert defaults[-2:] == ["default-server resolve-prefer ipv4", "default-server init-addr last,libc,none"]
    assert lines_of(cfg, "listen stats")[1:3] == ["balance", "mode http"]


def test_only_running_tasks_are_selected() -> None:
    tasks = [
        task(state="TASK_STAGING"),
        task("kube-control-plane-1-instance", host="10.0.0.6", state="TASK_KILLED"),
    ]
    assert servers(render_pool_config(pool(), tasks)) == []


def test_pattern_is_an_unanchored_search_and_takes_all_control_planes_in_task_id_order() -> None:
    tasks = [
        task(
            f"kube-control-plane-{i}-instance",
            host=f"10.0.0.{9 - i}",
            task_id=f"k__kube-control-plane-{i}__x",
        )
        for i in (2, 0, 1)
    ]
    tasks += [task("etcd-0-peer", ports=(DiscoveryPort(6443, "apiserver", labels=HOST),))]
    assert [s.split()[1] for s in servers(render_pool_config(pool(), tasks))] == [
        "agentip_10.0.0.9_6443",
        "agentip_10.0.0.8_6443",
        "agentip_10.0.0.7_6443",
    ]


def test_framework_name_is_exact_and_has_no_leading_slash() -> None:
    data = copy.deepcopy(SEED)
    data["haproxy"]["backends"][0]["services"][0]["mesos"]["frameworkName"] = "/dev/kubernetes01"
    tasks = [task(framework="dev/kubernetes01")]
    assert servers(render_pool_config(V2Pool.model_validate(data), tasks)) == []
    data["haproxy"]["backends"][0]["services"][0]["mesos"]["frameworkName"] = "dev/kubernetes01"
    assert len(servers(render_pool_config(V2Pool.model_validate(data), tasks))) == 1
    # Exact means equal, not contained.
    assert servers(render_pool_config(pool(), [task(framework="kubernetes-cluster-2")])) == []


def test_port_name_all_ports_and_fixed_port() -> None:
    ports = (DiscoveryPort(6443, "apiserver", labels=HOST), DiscoveryPort(10259, "scheduler", labels=HOST))
    t = task(ports=ports)
    svc = pool().haproxy.backends[0].services[0]
    assert [s.port for s in select_servers(svc, [t])] == [6443]
    all_ports = svc.model_copy(update={"endpoint": svc.endpoint.model_copy(update={"all_ports": True})})
    assert [s.port for s in select_servers(all_ports, [t])] == [6443, 10259]
    fixed = svc.model_copy(update={"endpoint": svc.endpoint.model_copy(update={"port": 7443})})
    assert {s.port for s in select_servers(fixed, [t])} == {7443}


def test_container_scope_uses_the_container_ip() -> None:
    t = task(
        ports=(DiscoveryPort(6443, "apiserver", labels=(("network-scope", "container"),)),),
        container_ips=("9.0.0.1",),
    )
    cfg = render_pool_config(pool(), [t])
    assert servers(cfg) == ["server containerip_9.0.0.1_6443 9.0.0.1:6443 check ssl verify none"]


def test_address_endpoint_and_check_options() -> None:
    data = copy.deepcopy(SEED)
    be = data["haproxy"]["backends"][0]
    be["protocol"] = "TCP"
    be["miscStrs"] = ["timeout server 86400s"]
    be["services"] = [
        {
            "endpoint": {
                "type": "ADDRESS",
                "address": "apiserver.kubernetes-cluster.l4lb.thisdcos.directory",
                "port": 6443,
                "check": {"enabled": False},
                "miscStr": "weight 10",
            }
        }
    ]
    data["haproxy"]["frontends"][0].update(protocol="TLS", miscStrs=["timeout client 86400s"])
    cfg = render_pool_config(V2Pool.model_validate(data), [])
    section = backend_section(cfg, "kubernetes-cluster")
    assert "mode tcp" in section
    assert "option forwardfor" not in section
    assert section[-2:] == [
        "timeout server 86400s",
        "server address_apiserver.kubernetes-cluster.l4lb.thisdcos.directory_6443 "
        "apiserver.kubernetes-cluster.l4lb.thisdcos.directory:6443 weight 10",
    ]
    # TLS is passed through: no certificate on the bind line, SNI inspection instead.
    assert "  bind 0.0.0.0:6443\n" in cfg
    assert "  tcp-request content accept if { req_ssl_hello_type 1 }\n" in cfg
    assert "  timeout client 86400s\n" in cfg


def test_custom_check_string_sticky_cookie_and_http_backend_without_ssl() -> None:
    data = copy.deepcopy(SEED)
    be = data["haproxy"]["backends"][0]
    be["protocol"] = "HTTP"
    be["rewriteHttp"] = {"sticky": {}, "host": "example.com", "path": {"fromPath": "/a", "toPath": "/b"}}
    be["services"][0]["endpoint"]["check"] = {"customStr": "inter 5s"}
    cfg = render_pool_config(V2Pool.model_validate(data), [task()])
    (line,) = servers(cfg)
    assert line.startswith("server agentip_10.0.0.5_6443 10.0.0.5:6443 check inter 5s cookie ")
    assert "ssl" not in line
    section = backend_section(cfg, "kubernetes-cluster")
    assert "cookie DCOS_SERVER_ID_FOR_THE_STICKY insert indirect nocache" in section
    assert "http-request set-header Host example.com" in section
    assert "http-request replace-path ^/a(.*)$ /b\\1" in section


def test_link_backend_map_and_redirect() -> None:
    data = copy.deepcopy(SEED)
    data["haproxy"]["frontends"] = [
        {
            "bindPort": 80,
            "protocol": "HTTP",
            "redirectToHttps": {"except": [{"host": "a.example"}, {"pathBeg": "/health"}]},
            "linkBackend": {
                "map": [{"backend": "kubernetes-cluster", "hostEq": "k8s.example", "pathBeg": "/api"}]
            },
        }
    ]
    data["haproxy"]["backends"][0]["protocol"] = "HTTP"
    cfg = render_pool_config(V2Pool.model_validate(data), [])
    assert (
        "  redirect scheme https code 307 unless { req.hdr(host) -i -m reg ^a.example(:.*$)? } || { path_beg /health }\n"
    ) in cfg
    assert (
        "  use_backend kubernetes-cluster if { req.hdr(host) -i -m reg ^k8s.example(:.*$)? } { path_beg /api }\n"
        in cfg
    )


def test_a_task_selected_twice_is_one_server() -> None:
    data = copy.deepcopy(SEED)
    services = data["haproxy"]["backends"][0]["services"]
    services.append(copy.deepcopy(services[0]))
    assert len(servers(render_pool_config(V2Pool.model_validate(data), [task()]))) == 1


def test_invalid_pattern_selects_nothing() -> None:
    data = copy.deepcopy(SEED)
    data["haproxy"]["backends"][0]["services"][0]["mesos"]["taskNamePattern"] = "kube-(control"
    assert servers(render_pool_config(V2Pool.model_validate(data), [task()])) == []


def test_marathon_ids() -> None:
    assert marathon_ids("group_app.8cb5a16a") == ("/group/app", "")
    assert marathon_ids("grp_pod.instance-b540.web") == ("/grp/pod", "web")
    assert marathon_ids("nodots") == ("", "")


def test_every_section_is_well_formed() -> None:
    cfg = render_pool_config(pool(), [task()])
    for line in cfg.splitlines():
        assert (
            line == ""
            or line.startswith(("  ", "#"))
            or re.fullmatch(r"(global|defaults|(listen|frontend|backend) \S+)", line)
        )


def _self_signed_pem(path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localdcos")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


# Every feature of the schema at once: frontends of all four protocols, map rules, redirects,
# rewrites, sticky sessions, custom checks, container-scope and ADDRESS servers.
KITCHEN_SINK: dict[str, Any] = {
    "name": "kitchen-sink",
    "autoCertificate": True,
    "haproxy": {
        "stats": {"bindPort": 9090, "bindAddress": "127.0.0.1"},
        "frontends": [
            {
                "bindPort": 80,
                "protocol": "HTTP",
                "redirectToHttps": {"except": [{"host": "a.example", "pathBeg": "/x"}, {}]},
                "miscStrs": ["timeout client 86400s"],
                "linkBackend": {
                    "defaultBackend": "web",
                    "map": [
                        {
                            "backend": "web",
                            "hostEq": "k.example",
                            "pathBeg": "/api",
                            "pathEnd": ".json",
                            "pathReg": "^/v",
                        },
                        {"backend": "web", "hostReg": "^w.*"},
                    ],
                },
            },
            {
                "bindPort": 443,
                "protocol": "HTTPS",
                "certificates": ["$AUTOCERT"],
                "bindModifier": "alpn h2,http/1.1",
                "linkBackend": {
                    "defaultBackend": "web",
                    "map": [
                        {"backend": "web", "hostEq": "k.example"},
                        {"backend": "web", "hostReg": "^w", "pathBeg": "/z"},
                    ],
                },
            },
            {
                "bindPort": 6443,
                "protocol": "TLS",
                "certificates": ["$AUTOCERT"],
                "linkBackend": {
                    "defaultBackend": "k8s",
                    "map": [{"backend": "k8s", "hostEq": "k8s.example"}],
                },
            },
            {
                "bindPort": 7000,
                "protocol": "TCP",
                "linkBackend": {"map": [{"backend": "tcp", "pathBeg": "/"}]},
            },
        ],
        "backends": [
            {
                "name": "web",
                "protocol": "HTTP",
                "balance": "leastconn",
                "customCheck": {
                    "httpchk": True,
                    "httpchkMiscStr": "GET /healthz",
                    "miscStr": "http-check expect status 200",
                },
                "rewriteHttp": {
                    "host": "internal.example",
                    "path": {"fromPath": "/api/", "toPath": "/"},
                    "sticky": {},
                },
                "miscStrs": ["timeout server 86400s"],
                "services": [
                    {
                        "mesos": {
                            "frameworkName": "kubernetes-cluster",
                            "taskNamePattern": "kube-control-plane",
                        },
                        "endpoint": {
                            "portName": "apiserver",
                            "check": {"customStr": "inter 2s"},
                            "miscStr": "weight 5",
                        },
                    },
                    {
                        "mesos": {"frameworkName": "kubernetes-cluster", "taskName": "etcd-0-peer"},
                        "endpoint": {"allPorts": True, "type": "CONTAINER_IP"},
                    },
                ],
            },
            {
                "name": "k8s",
                "protocol": "HTTPS",
                "rewriteHttp": {"sticky": {"customStr": "cookie SRV insert"}},
                "services": [
                    {
                        "mesos": {
                            "frameworkName": "kubernetes-cluster",
                            "taskNamePattern": "kube-control-plane",
                        },
                        "endpoint": {"portName": "apiserver"},
                    }
                ],
            },
            {
                "name": "tcp",
                "protocol": "TCP",
                "customCheck": {"sslHelloChk": True},
                "services": [{"endpoint": {"type": "ADDRESS", "address": "127.0.0.1", "port": 6443}}],
            },
        ],
    },
}
DYNAMIC_STATS: dict[str, Any] = {
    "name": "dynamic-stats",
    "haproxy": {
        "stats": {"bindPort": 0},
        "frontends": [{"bindPort": 8080, "protocol": "TCP", "linkBackend": {"defaultBackend": "b"}}],
        "backends": [
            {
                "name": "b",
                "protocol": "TCP",
                "services": [{"endpoint": {"type": "ADDRESS", "address": "127.0.0.1", "port": 80}}],
            }
        ],
    },
}
CONTAINER = (("network-scope", "container"),)
KITCHEN_TASKS = [
    task(),
    task("kube-control-plane-1-instance", host="10.0.0.6"),
    task(
        "etcd-0-peer",
        ports=(
            DiscoveryPort(2379, "client", labels=CONTAINER),
            DiscoveryPort(2380, "peer", labels=CONTAINER),
        ),
        container_ips=("9.0.0.1",),
    ),
]


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed")
@pytest.mark.parametrize(
    ("pool_json", "tasks"),
    [
        (SEED, [task()]),
        (KITCHEN_SINK, KITCHEN_TASKS),
        ({"name": "empty"}, []),
        (DYNAMIC_STATS, []),
    ],
    ids=["seed", "kitchen-sink", "empty", "dynamic-stats"],
)
def test_real_haproxy_accepts_the_output(
    tmp_path: Path, pool_json: dict[str, Any], tasks: list[TaskView]
) -> None:
    p = V2Pool.model_validate(pool_json)
    check_pool(p)
    _self_signed_pem(tmp_path / "autocert.pem")
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(render_pool_config(p, tasks))
    env = {**os.environ, "MESOS_SANDBOX": str(tmp_path), "AUTOCERT": "autocert.pem"}
    result = subprocess.run(
        ["haproxy", "-c", "-f", str(cfg)], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
