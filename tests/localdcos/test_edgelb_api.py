"""Edge-LB API emulation over HTTP: defaults, validation, quirks, the timeout trap, pool lifecycle."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from localdcos.core.options import SandboxOptions
from localdcos.edgelb import EdgeLB
from localdcos.edgelb.binding import ENUM_FAIL_CODE, REQUIRED_FAIL_CODE
from localdcos.edgelb.lifecycle import relaunch_fields, update_effect
from localdcos.edgelb.model import V2Pool
from localdcos.mesos import Mesos
from tests.localdcos.edgelb_helpers import POOLS, SCHEDULER, SEED, Api, backend, frontend, seed, service
from tests.sandbox import Sandbox


@pytest.fixture
def api(sandbox: Sandbox) -> Api:
    sandbox.control(pool_deploy_seconds=0.3, pool_delete_seconds=0.3)
    return Api(sandbox)


@pytest.fixture(scope="module")
def rejecting_api() -> Iterator[Api]:
    """One sandbox shared by tests whose requests are all rejected (nothing is ever stored)."""
    with Sandbox() as box:
        yield Api(box)


# ----------------------------------------------------------------------------- basics


def test_ping_version_template(api: Api) -> None:
    r = api.get("/service/edgelb/ping")
    assert (r.status_code, r.text) == (200, "pong")
    assert r.headers["content-type"].startswith("text/plain")
    assert api.get("/service/edgelb/version").text == "v1.5.1"
    assert api.get("/service/edgelb/v2/lbtemplate").status_code == 200


def test_seed_pool_round_trip_with_all_defaults(api: Api) -> None:
    r = api.post(POOLS, json=SEED)
    assert r.status_code == 200
    created = r.json()
    got = api.get(f"{POOLS}/edgelb-kubernetes-cluster").json()
    assert got == created
    # §3.6: what GET adds to the documented request.
    for key, value in {
        "namespace": "dcos-edgelb/pools",
        "packageName": "edgelb-pool",
        "role": "slave_public",
        "cpus": 0.9,
        "cpusAdminOverhead": 0.1,
        "mem": 992,
        "memAdminOverhead": 32,
        "disk": 256,
        "constraints": "hostname:UNIQUE",
        "ports": [],
        "secrets": [],
        "virtualNetworks": [],
        "count": 1,
        "autoCertificate": True,
    }.items():
        assert got[key] == value, key
    assert isinstance(got["packageVersion"], str)
    assert got["haproxy"]["stats"] == {"bindAddress": "0.0.0.0", "bindPort": 6090}
    fe = frontend(got)
    assert fe == {
        "bindAddress": "0.0.0.0",
        "bindPort": 6443,
        "certificates": ["$AUTOCERT"],
        "linkBackend": {"defaultBackend": "kubernetes-cluster", "map": []},
        "miscStrs": [],
        "protocol": "HTTPS",
    }
    be = backend(got)
    assert be["balance"] == "roundrobin"
    assert be["miscStrs"] == []
    assert be["rewriteHttp"] == {
        "request": {
            "forwardfor": True,
            "xForwardedPort": True,
            "xForwardedProtoHttpsIfTls": True,
            "setHostHeader": True,
            "rewritePath": True,
        },
        "response": {"rewriteLocation": True},
    }
    assert service(got) == {
        "marathon": {},
        "mesos": {"frameworkName": "kubernetes-cluster", "taskNamePattern": "kube-control-plane"},
        "endpoint": {"type": "AUTO_IP", "port": -1, "portName": "apiserver", "check": {"enabled": True}},
    }
    # Re-submitting what GET returned is a no-op update.
    r = api.put(f"{POOLS}/edgelb-kubernetes-cluster", json=got)
    assert (r.status_code, r.json(), r.headers["X-Localdcos-Pool-Update"]) == (200, got, "none")


def test_listing_endpoints(api: Api) -> None:
    api.post(POOLS, json=SEED)
    pool = api.get(f"{POOLS}/edgelb-kubernetes-cluster").json()
    assert api.get(POOLS).json() == [pool]
    assert api.get("/service/edgelb/v2/config").json() == {"pools": [pool]}
    container = {"apiVersion": "V2", "name": pool["name"], "namespace": "dcos-edgelb/pools", "v2": pool}
    assert api.get("/service/edgelb/config").json() == {"pools": [container]}
    assert api.get("/service/edgelb/pools/edgelb-kubernetes-cluster").json() == container
    r = api.get("/service/edgelb/pools/nope")
    assert (r.status_code, r.json()) == (404, {"code": 404, "message": "pool nope not found"})


# ----------------------------------------------------------------------------- binding errors


def test_malformed_json_is_a_400_parse_error(rejecting_api: Api) -> None:
    r = rejecting_api.post(POOLS, data=b'{"name": ', headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == 400
    assert body["message"].startswith('parsing pool body from "" failed, because ')
    r = rejecting_api.post(POOLS, json={"name": "x", "count": "1"})
    assert r.status_code == 400
    assert "cannot unmarshal string" in r.json()["message"]


def test_missing_body_is_a_422_required(rejecting_api: Api) -> None:
    r = rejecting_api.post(POOLS, data=b"", headers={"Content-Type": "application/json"})
    assert (r.status_code, r.json()) == (422, {"code": 602, "message": "pool in body is required"})


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: frontend(d).update(protocol="HTTP2"),
            "protocol in body should be one of [HTTP HTTPS TCP TLS]",
        ),
        (
            lambda d: backend(d).update(protocol="UDP"),
            "protocol in body should be one of [HTTP HTTPS TCP TLS]",
        ),
        (lambda d: d.update(apiVersion="V3"), "apiVersion in body should be one of [V1 V2]"),
        (
            lambda d: service(d)["endpoint"].update(type="VIP"),
            "type in body should be one of [AUTO_IP AGENT_IP CONTAINER_IP ADDRESS]",
        ),
    ],
)
def test_enum_violations_are_422_606(
    rejecting_api: Api, mutate: Callable[[dict[str, Any]], None], message: str
) -> None:
    data = seed()
    mutate(data)
    r = rejecting_api.post(POOLS, json=data)
    assert (r.status_code, r.json()) == (422, {"code": 606, "message": message})
    assert rejecting_api.get(POOLS).json() == []


def test_binding_codes_are_go_openapis() -> None:
    # go-openapi/errors schema.go: CompositeErrorCode = 422 takes iota 0, then `600 + iota` from
    # InvalidTypeCode on, one up per constant.
    order = ["InvalidTypeCode", "RequiredFailCode", "TooLongFailCode", "TooShortFailCode", "PatternFailCode"]
    codes = {name: 600 + iota for iota, name in enumerate([*order, "EnumFailCode"], start=1)}
    assert (
        (REQUIRED_FAIL_CODE, ENUM_FAIL_CODE)
        == (codes["RequiredFailCode"], codes["EnumFailCode"])
        == (602, 606)
    )


def test_wrong_content_type_is_415(rejecting_api: Api) -> None:
    r = rejecting_api.post(POOLS, data=b"{}", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    assert r.json()["code"] == 415


# ----------------------------------------------------------------------------- validation (400)


def _two_frontends(d: dict[str, Any], second: dict[str, Any]) -> None:
    d["haproxy"]["frontends"].append(
        {"protocol": "TCP", "linkBackend": {"defaultBackend": "kubernetes-cluster"}, **second}
    )


CERT_RE = r"(^\$AUTOCERT$|^(\$ENVFILE|\$SECRETS)/[a-zA-Z0-9_-]+$)"
NAME_RE = "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"
INVALID: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("empty-name", lambda d: d.update(name=""), "pool.name cannot be empty or the empty string"),
    ("bad-name", lambda d: d.update(name="Edge_LB"), f"pool.name: Edge_LB invalid: did not match {NAME_RE}"),
    (
        "bad-namespace-segment",
        lambda d: d.update(namespace="dcos-edgelb/Pools"),
        f"pool.namespace: Pools invalid: did not match {NAME_RE}",
    ),
    (
        "bad-namespace-ends",
        lambda d: d.update(namespace="/pools"),
        "pool.namespace: /pools invalid: did not match ^[a-z0-9](.*[a-z0-9])?$",
    ),
    ("missing-bind-port", lambda d: frontend(d).pop("bindPort"), "invalid bindPort: -1"),
    ("bind-port-range", lambda d: frontend(d).update(bindPort=70000), "invalid bindPort: 70000"),
    ("stats-port-clash", lambda d: d["haproxy"]["stats"].update(bindPort=6443), "duplicate bindPort: 6443"),
    ("frontend-port-clash", lambda d: _two_frontends(d, {"bindPort": 6443}), "duplicate bindPort: 6443"),
    (
        "computed-frontend-name-clash",
        lambda d: _two_frontends(d, {"bindPort": 7000, "name": "frontend_0.0.0.0_6443"}),
        "duplicate frontend.name: frontend_0.0.0.0_6443",
    ),
    (
        "bind-address",
        lambda d: frontend(d).update(bindAddress="*"),
        "frontend.bindAddress invalid character: '*'",
    ),
    (
        "no-protocol",
        lambda d: frontend(d).pop("protocol"),
        "frontend.protocol cannot be empty or the empty string",
    ),
    (
        "https-without-certificates",
        lambda d: frontend(d).pop("certificates"),
        "frontend.protocol HTTPS must have non-empty frontend.certificates",
    ),
    (
        "tls-without-certificates",
        lambda d: frontend(d).update(protocol="TLS", certificates=[]),
        "frontend.protocol TLS must have non-empty frontend.certificates",
    ),
    (
        "certificate-path",
        lambda d: frontend(d).update(certificates=["/etc/ssl/cert.pem"]),
        f"frontend.certificates: /etc/ssl/cert.pem invalid: did not match {CERT_RE}",
    ),
    (
        "redirect-on-https",
        lambda d: frontend(d).update(redirectToHttps={}),
        "frontend.redirectToHttps cannot be set with frontend.protocol HTTPS",
    ),
    (
        "map-without-condition",
        lambda d: frontend(d)["linkBackend"].update(map=[{"backend": "kubernetes-cluster"}]),
        "frontend.linkBackend.map.backend: at least one of the condition fields must be filled out",
    ),
    (
        "backend-name",
        lambda d: backend(d).update(name=""),
        "backend.name cannot be empty or the empty string",
    ),
    (
        "backend-protocol",
        lambda d: backend(d).pop("protocol"),
        "backend.protocol cannot be empty or the empty string",
    ),
    (
        "duplicate-backend",
        lambda d: d["haproxy"]["backends"].append(copy.deepcopy(backend(d))),
        "duplicate backend.name: kubernetes-cluster",
    ),
    ("no-services", lambda d: backend(d).update(services=[]), "backend.services: must have at least 1"),
    (
        "endpoint-without-port",
        lambda d: service(d).update(endpoint={}),
        "server.endpoint.type AUTO_IP must have valid port, portName, portNamePattern, or true allPorts",
    ),
    (
        "no-selector",
        lambda d: service(d).pop("mesos"),
        "server.marathon or server.mesos must be specified, "
        "server.marathon.serviceID cannot be empty or the empty string, "
        "server.mesos.FrameworkName and server.mesos.FrameworkID cannot be empty or the empty string",
    ),
    (
        "mesos-without-task",
        lambda d: service(d).update(mesos={"frameworkName": "kubernetes-cluster"}),
        "server.marathon or server.mesos must be specified, "
        "server.marathon.serviceID cannot be empty or the empty string, "
        "server.mesos.TaskName and server.mesos.TaskID cannot be empty or the empty string",
    ),
    (
        "nonexistent-backend",
        lambda d: frontend(d)["linkBackend"].update(defaultBackend="x"),
        "frontends refer to nonexistent backends: x",
    ),
    (
        "unreferenced-backend",
        lambda d: d["haproxy"]["backends"].append({**copy.deepcopy(backend(d)), "name": "y"}),
        "frontends do not refer to these backends: y",
    ),
    (
        "secret-file",
        lambda d: d.update(secrets=[{"secret": "k8s/cert", "file": "a/b"}]),
        "pool.secrets.file: a/b invalid: did not match ^[a-zA-Z0-9][a-zA-Z0-9_-]*$",
    ),
    (
        "secret-name",
        lambda d: d.update(secrets=[{"file": "cert"}]),
        "pool.secrets.secret cannot be empty or the empty string",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "message"), [(m, msg) for _, m, msg in INVALID], ids=[i for i, _, _ in INVALID]
)
def test_validation_messages(
    rejecting_api: Api, mutate: Callable[[dict[str, Any]], None], message: str
) -> None:
    data = seed()
    mutate(data)
    r = rejecting_api.post(POOLS, json=data)
    assert (r.status_code, r.json()) == (400, {"code": 400, "message": message})
    assert rejecting_api.get(POOLS).json() == []


def test_ports_override_replaces_the_bind_port_check(api: Api) -> None:
    # With `ports` set only those are reserved and checked (Edge-LB's rule), even a -1 bindPort.
    data = seed(ports=[6443, 6090])
    frontend(data).pop("bindPort")
    assert api.post(POOLS, json=data).status_code == 200


# ----------------------------------------------------------------------------- quirks


def test_duplicate_post_is_409(api: Api) -> None:
    assert api.post(POOLS, json=SEED).status_code == 200
    r = api.post(POOLS, json=SEED)
    assert (r.status_code, r.json()) == (
        409,
        {"code": 409, "message": "pool edgelb-kubernetes-cluster already exists"},
    )


def test_put_finds_the_pool_by_the_body_name(api: Api) -> None:
    r = api.put(f"{POOLS}/edgelb-kubernetes-cluster", json=SEED)
    assert (r.status_code, r.json()) == (
        404,
        {"code": 404, "message": "pool edgelb-kubernetes-cluster not found"},
    )
    api.post(POOLS, json=SEED)
    # Path names another (missing) pool: the body's pool is updated anyway.
    r = api.put(f"{POOLS}/elsewhere", json=seed(count=2))
    assert r.status_code == 200
    assert api.get(f"{POOLS}/edgelb-kubernetes-cluster").json()["count"] == 2
    # The path name only shows up in the 404 message.
    r = api.put(f"{POOLS}/edgelb-kubernetes-cluster", json=seed(name="other"))
    assert (r.status_code, r.json()["message"]) == (404, "pool edgelb-kubernetes-cluster not found")


def test_namespace_cannot_change(api: Api) -> None:
    api.post(POOLS, json=SEED)
    r = api.put(f"{POOLS}/edgelb-kubernetes-cluster", json=seed(namespace="other/pools"))
    assert r.status_code == 400
    assert r.json()["message"].startswith(
        "changing namespace currently not supported: please uninstall pool edgelb-kubernetes-cluster "
        "with namespace dcos-edgelb/pools"
    )


def test_delete_is_204_and_immediate(api: Api) -> None:
    api.post(POOLS, json=SEED)
    r = api.delete(f"{POOLS}/edgelb-kubernetes-cluster")
    assert (r.status_code, r.content) == (204, b"")
    assert api.get(f"{POOLS}/edgelb-kubernetes-cluster").status_code == 404
    r = api.delete(f"{POOLS}/edgelb-kubernetes-cluster")
    assert (r.status_code, r.json()) == (
        404,
        {"code": 404, "message": "pool edgelb-kubernetes-cluster not found"},
    )


def test_timeout_trap_stores_then_500_then_409(api: Api) -> None:
    api.set_options(edgelb_timeout_trap=True)
    r = api.post(POOLS, json=SEED)
    assert r.status_code == 500
    assert r.json()["code"] == 500
    assert "context deadline exceeded" in r.json()["message"]
    assert api.get(f"{POOLS}/edgelb-kubernetes-cluster").status_code == 200
    assert api.post(POOLS, json=SEED).status_code == 409
    r = api.put(f"{POOLS}/edgelb-kubernetes-cluster", json=seed(count=2))
    assert r.status_code == 500
    assert api.get(f"{POOLS}/edgelb-kubernetes-cluster").json()["count"] == 2
    api.set_options(edgelb_timeout_trap=False)
    assert api.put(f"{POOLS}/edgelb-kubernetes-cluster", json=seed(count=1)).status_code == 200
    # The stored pool deploys although the client was told it failed.
    assert api.wait_plan("edgelb-kubernetes-cluster", 200).status_code == 200


# ----------------------------------------------------------------------------- lifecycle


def test_deploy_plan_goes_from_202_to_200(api: Api) -> None:
    name = "edgelb-kubernetes-cluster"
    assert api.get(f"{SCHEDULER}/{name}/v1/plans/deploy").status_code == 404
    api.post(POOLS, json=SEED)
    r = api.get(f"{SCHEDULER}/{name}/v1/plans/deploy")
    assert r.status_code == 202
    plan = r.json()
    assert plan["status"] == "IN_PROGRESS"
    assert plan["errors"] == []
    assert [p["name"] for p in plan["phases"]] == ["edgelb-pool-deploy", "sidecar-deploy"]
    assert {"name", "status", "steps"} <= set(plan["phases"][0])
    assert api.get(f"{POOLS}/{name}/lbconfig").text == "artifact haproxy.cfg not found"
    r = api.wait_plan(name, 200)
    assert (r.status_code, r.json()["status"]) == (200, "COMPLETE")
    assert api.get(f"{SCHEDULER}/{name}/v1/pod").json() == ["edgelb-pool-0"]
    info = api.get(f"{SCHEDULER}/{name}/v1/pod/edgelb-pool-0/info").json()
    states = {e["info"]["name"]: e["status"]["state"] for e in info}
    assert states == {"edgelb-pool-0-server": "TASK_RUNNING", "edgelb-pool-0-sidecar": "TASK_FINISHED"}
    assert api.get(f"{SCHEDULER}/{name}/v1/endpoints").json() == ["p6090", "p6443"]
    ep = api.get(f"{SCHEDULER}/{name}/v1/endpoints/p6443").json()
    assert ep["address"] == ["127.0.0.1:6443"]
    meta = api.get(f"{POOLS}/{name}/metadata").json()
    assert meta["frontends"][0]["name"] == "frontend_0.0.0.0_6443"
    assert meta["frontends"][0]["endpoints"][0]["port"] == 6443


def test_stalled_pool_stays_202(api: Api) -> None:
    api.set_options(stall_pools=True)
    api.post(POOLS, json=SEED)
    time.sleep(0.6)
    r = api.get(f"{SCHEDULER}/edgelb-kubernetes-cluster/v1/plans/deploy")
    assert (r.status_code, r.json()["status"]) == (202, "IN_PROGRESS")
    info = api.get(f"{SCHEDULER}/edgelb-kubernetes-cluster/v1/pod/edgelb-pool-0/info").json()
    assert [e["status"]["state"] for e in info] == ["TASK_STAGING"]
    assert api.get(f"{POOLS}/edgelb-kubernetes-cluster/lbconfig").status_code == 404
    # Once offers match again the deployment completes.
    api.set_options(stall_pools=False)
    assert api.wait_plan("edgelb-kubernetes-cluster", 200).status_code == 200


def test_uninstall_keeps_the_scheduler_answering_until_done(api: Api) -> None:
    name = "edgelb-kubernetes-cluster"
    api.post(POOLS, json=SEED)
    api.wait_plan(name, 200)
    assert api.delete(f"{POOLS}/{name}").status_code == 204
    r = api.get(f"{SCHEDULER}/{name}/v1/plans/deploy")
    assert r.status_code == 202
    assert [p["name"] for p in r.json()["phases"]] == [
        "kill-tasks",
        "unreserve-resources",
        "deregister-service",
    ]
    r = api.wait_plan(name, 404)
    assert (r.status_code, r.text) == (404, "404 Not Found: service not found.")


def test_lbconfig_shows_the_control_plane_of_each_cluster(api: Api) -> None:
    api.post(POOLS, json=SEED)
    api.wait_plan("edgelb-kubernetes-cluster", 200)
    cfg = api.get(f"{POOLS}/edgelb-kubernetes-cluster/lbconfig").text
    assert "  server agentip_127.0.0.1_6443 127.0.0.1:6443 check ssl verify none\n" in cfg

    api.add_cluster("dev/kubernetes01", apiserverPort=16443)
    dev = seed(name="edgelb-dev-kubernetes01")
    service(dev)["mesos"]["frameworkName"] = "dev/kubernetes01"
    frontend(dev)["bindPort"] = 16443
    dev["haproxy"]["stats"]["bindPort"] = 16090
    assert api.post(POOLS, json=dev).status_code == 200
    api.wait_plan("edgelb-dev-kubernetes01", 200)
    cfg = api.get(f"{POOLS}/edgelb-dev-kubernetes01/lbconfig").text
    assert "  server agentip_127.0.0.1_16443 127.0.0.1:16443 check ssl verify none\n" in cfg
    assert "agentip_127.0.0.1_6443" not in cfg


def test_requests_need_a_token(sandbox: Sandbox) -> None:
    # Admin Router sits in front of Edge-LB and its pool schedulers alike.
    assert sandbox.request("GET", "/service/edgelb/v2/pools").status_code == 401
    assert sandbox.request("GET", f"{SCHEDULER}/x/v1/plans/deploy").status_code == 401


def _changed(mutate: Callable[[dict[str, Any]], None], base: dict[str, Any] | None = None) -> V2Pool:
    data = copy.deepcopy(base or SEED)
    mutate(data)
    return V2Pool.model_validate(data)


@pytest.mark.parametrize(
    ("mutate", "effect"),
    [
        (lambda d: None, "none"),
        (lambda d: frontend(d).update(miscStrs=["timeout client 86400s"]), "reload"),
        (lambda d: backend(d).update(balance="leastconn"), "reload"),
        (lambda d: d["haproxy"]["stats"].update(bindAddress="127.0.0.1"), "reload"),
        (lambda d: frontend(d).update(bindPort=7443), "relaunch"),
        (lambda d: d["haproxy"]["stats"].update(bindPort=9090), "relaunch"),
        (lambda d: d.update(count=2), "relaunch"),
        (lambda d: d.update(cpus=2), "relaunch"),
        (lambda d: d.update(secrets=[{"secret": "s", "file": "f"}]), "relaunch"),
        (lambda d: d.update(constraints=""), "relaunch"),
        (lambda d: d.update(role="*"), "relaunch"),
        (lambda d: d.update(virtualNetworks=[{"name": "dcos"}]), "relaunch"),
    ],
)
def test_update_effect(mutate: Callable[[dict[str, Any]], None], effect: str) -> None:
    assert update_effect(V2Pool.model_validate(SEED), _changed(mutate)) == effect
    assert {"count", "cpus", "mem", "ports", "secrets", "constraints", "role", "virtualNetworks"} <= set(
        relaunch_fields()
    )


def test_explicit_ports_make_bind_port_changes_a_reload() -> None:
    base = seed(ports=[6443, 7443, 6090])
    assert update_effect(
        V2Pool.model_validate(base), _changed(lambda d: frontend(d).update(bindPort=7443), base)
    ) == ("reload")


# ----------------------------------------------------------------------------- persistence


def test_pools_survive_a_restart(tmp_path: Path) -> None:
    with Sandbox("--pool-deploy-seconds", "0.2", state_file=tmp_path / "state.json") as box:
        api = Api(box)
        assert api.post(POOLS, json=SEED).status_code == 200
        assert api.wait_plan("edgelb-kubernetes-cluster", 200).status_code == 200
        box.restart()
        api = Api(box)
        assert api.get(f"{POOLS}/edgelb-kubernetes-cluster").json()["haproxy"]["stats"]["bindPort"] == 6090
        assert api.get(f"{SCHEDULER}/edgelb-kubernetes-cluster/v1/plans/deploy").status_code == 200
        assert "agentip_127.0.0.1_6443" in api.get(f"{POOLS}/edgelb-kubernetes-cluster/lbconfig").text


def test_snapshot_restore_keeps_pools_lifecycles_and_uninstalls(api: Api) -> None:
    api.set_options(pool_delete_seconds=3600)
    assert api.post(POOLS, json=seed(name="a")).status_code == 200
    api.post(POOLS, json=seed(name="b"))
    api.delete(f"{POOLS}/b")
    data = api.sandbox.state()["edgelb"]
    assert [p["current"]["pool"]["name"] for p in data["pools"]] == ["a"]
    assert [u["pool"]["name"] for u in data["uninstalling"]] == ["b"]
    options = SandboxOptions(pool_delete_seconds=3600)
    restored = EdgeLB(options, Mesos(options))
    restored.restore(data)
    assert restored.snapshot() == data
    assert [p.to_json() for p in restored.pools()] == [api.get(f"{POOLS}/a").json()]
