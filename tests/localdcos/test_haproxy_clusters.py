"""`--haproxy`: a kubernetes-cluster service added while the sandbox runs is reachable through load
balancers created afterwards (real HAProxy), and comes back after a restart with the state file.

Binds 6444 (the second cluster's frontend): run under the 6443 lock like every --haproxy test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.localdcos.helpers import (
    APPS,
    POOLS,
    Node,
    free_ports,
    https_get,
    mlb_port_flags,
    require_free_apiserver_port,
)
from tests.sandbox import Sandbox
from tests.seed_documents import seed_app, seed_pool

pytestmark = [pytest.mark.haproxy]

CLUSTER = "dev/kubernetes01"
VIP = "apiserver.devkubernetes01.l4lb.thisdcos.directory"
POOL = "edgelb-dev-kubernetes01"
POOL_PORT = 6444


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    require_free_apiserver_port()
    box = Sandbox(
        "--haproxy",
        *("--deploy-seconds", "0.1", "--pool-deploy-seconds", "0.2"),
        *mlb_port_flags(),
        *("--haproxy-poll-seconds", "0.1"),
        state_file=tmp_path_factory.mktemp("state") / "state.json",
    )
    try:
        yield Node(box)
    finally:
        box.close()


def apiserver_requests(node: Node) -> list[list[str]]:
    entries: list[list[str]] = node.status()["apiservers"][CLUSTER]["requests"]
    return entries


def wait_pool_serving(node: Node) -> None:
    def serving() -> bool:
        entry = node.status()["pools"].get(POOL)
        return bool(entry and entry["process"] and entry["process"]["pid"])

    node.box.wait_until(serving, 15, interval=0.1, what="pool HAProxy")


def test_added_at_runtime_it_answers_through_an_edgelb_pool(node: Node) -> None:
    added = node.box.add_cluster(CLUSTER)
    assert added.status_code == 201
    info: dict[str, Any] = added.json()
    # The second cluster's own loopback address; the apiserver listens before the answer.
    assert info["apiserver"] == {"address": "127.0.101.1", "url": "https://127.0.101.1:6443", "error": None}
    (plane,) = info["framework"]["controlPlanes"]
    assert (plane["host"], plane["apiserverPort"], plane["state"]) == ("127.0.101.1", 6443, "TASK_RUNNING")
    assert node.status()["namespace"]["hosts"][VIP] == "127.0.101.1"

    pool = seed_pool()
    pool["name"] = POOL
    pool["haproxy"]["frontends"][0]["bindPort"] = POOL_PORT
    pool["haproxy"]["backends"][0]["services"][0]["mesos"]["frameworkName"] = CLUSTER
    (stats_port,) = free_ports(1)
    pool["haproxy"]["stats"] = {"bindPort": stats_port, "bindAddress": "127.0.0.1"}
    assert node.api("POST", POOLS, json=pool).status_code == 200
    plan = f"/service/dcos-edgelb/pools/{POOL}/v1/plans/deploy"
    node.box.wait_until(lambda: node.api("GET", plan).status_code == 200, 10, what="pool deployed")
    wait_pool_serving(node)
    lbconfig = node.api("GET", f"{POOLS}/{POOL}/lbconfig").text
    assert "server agentip_127.0.101.1_6443 127.0.101.1:6443 check ssl verify none" in lbconfig

    before = len(apiserver_requests(node))
    status, body, _ = https_get(POOL_PORT, "/version")
    assert status == 200 and b"gitVersion" in body
    assert ["GET", "/version"] in apiserver_requests(node)[before:]


def test_and_through_a_marathon_lb_app(node: Node) -> None:
    (port,) = free_ports(1)
    app = seed_app()
    app["id"] = "/marathon-lb-dev-kubernetes01"
    app["labels"]["HAPROXY_0_PORT"] = str(port)
    options = app["labels"]["HAPROXY_0_BACKEND_SERVER_OPTIONS"]
    app["labels"]["HAPROXY_0_BACKEND_SERVER_OPTIONS"] = options.replace(
        "kubernetescluster apiserver.kubernetes-cluster.l4lb",
        "devkubernetes01 apiserver.devkubernetes01.l4lb",
    )
    assert node.api("POST", APPS, json=app).status_code == 201
    config = node.wait_mlb_running(f"frontend marathon-lb-dev-kubernetes01_{port}")
    assert f"server devkubernetes01 {VIP}:6443 ssl verify none" in config
    before = len(apiserver_requests(node))
    status, body, _ = https_get(port, "/version")
    assert status == 200 and b"gitVersion" in body
    assert ["GET", "/version"] in apiserver_requests(node)[before:]


def test_a_restart_with_the_state_file_brings_it_back(node: Node) -> None:
    node.box.restart()
    node.token = node.box.admin_token()

    def apiserver_up() -> bool:
        return bool(node.status()["apiservers"].get(CLUSTER, {}).get("url"))

    node.box.wait_until(apiserver_up, 15, interval=0.1, what="apiserver after the restart")
    assert node.box.add_cluster(CLUSTER).status_code == 200
    assert node.status()["namespace"]["hosts"][VIP] == "127.0.101.1"
    wait_pool_serving(node)
    status, body, _ = https_get(POOL_PORT, "/version")
    assert status == 200 and b"gitVersion" in body


def test_removed_it_takes_its_apiserver_and_vip_along(node: Node) -> None:
    assert node.box.remove_cluster(CLUSTER).status_code == 204
    status = node.status()
    assert CLUSTER not in status["apiservers"]
    assert VIP not in status["namespace"]["hosts"]
    assert [c["name"] for c in node.box.clusters()] == ["kubernetes-cluster"]
