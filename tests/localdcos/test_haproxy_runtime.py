"""`--haproxy`: real HAProxy for Marathon-LB and Edge-LB pools, fake apiservers behind VIP names.

Everything runs on loopback: Marathon-LB's shared ports are moved to free ones; the seed app's
frontend binds *:6443 as its label says, so only one such sandbox may run at a time on a host.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.localdcos.helpers import (
    APPS,
    EXCLUSION,
    FRONTEND,
    POOLS,
    SEED_APP_ID,
    VIP,
    Node,
    alive,
    all_pids,
    free_ports,
    https_get,
    mlb_port_flags,
    require_free_apiserver_port,
    runtime_api,
)
from tests.sandbox import Sandbox
from tests.seed_documents import seed_app, seed_document, seed_pool

pytestmark = [
    pytest.mark.haproxy,
]


@pytest.fixture(scope="module")
def node() -> Iterator[Node]:
    require_free_apiserver_port()
    box = Sandbox(
        "--haproxy",
        *("--deploy-seconds", "0.1", "--pool-deploy-seconds", "0.2"),
        *mlb_port_flags(),
        *("--haproxy-poll-seconds", "0.1"),
    )
    try:
        yield Node(box)
    finally:
        box.close()


def test_each_cluster_gets_a_vip_address_and_an_apiserver(node: Node) -> None:
    status = node.status()
    assert status["enabled"] is True
    assert status["namespace"]["mode"] in ("root", "user"), status["namespace"]["note"]
    assert status["namespace"]["hosts"] == {VIP: "127.0.100.1"}
    node.box.wait_until(lambda: node.apiserver()["url"], 10, what="apiserver up")
    assert node.apiserver()["url"] == "https://127.0.100.1:6443"
    # Mesos puts the control plane where the fake apiserver listens, so pools select it.
    state = node.api("GET", "/mesos/master/state").json()
    task = next(
        t for f in state["frameworks"] for t in f["tasks"] if t["name"] == "kube-control-plane-0-instance"
    )
    ports = {p["name"]: p["number"] for p in task["discovery"]["ports"]["ports"]}
    hosts = {s["id"]: s["hostname"] for s in state["slaves"]}
    assert (hosts[task["slave_id"]], ports["apiserver"]) == ("127.0.100.1", 6443)


def test_marathon_lb_serves_the_seed_app_through_real_haproxy(node: Node) -> None:
    assert node.api("POST", APPS, json=seed_app()).status_code == 201
    config = node.wait_mlb_running(FRONTEND)
    assert f"server kubernetescluster {VIP}:6443 ssl verify none" in config
    before = len(node.apiserver()["requests"])

    status, body, cn = https_get(6443, "/version")
    assert status == 200 and b"v1.32.0-localdcos" in body
    # TLS ended at HAProxy with Marathon-LB's self-signed cert, and HAProxy went on to the apiserver.
    assert cn == "*"
    assert ["GET", "/version"] in node.apiserver()["requests"][before:]

    # The real HAProxy serves the very same file on its stats port.
    stats_port = node.status()["marathonLb"]["options"]["stats_port"]
    assert requests.get(f"http://127.0.0.1:{stats_port}/_haproxy_getconfig", timeout=5).text == config


def test_backend_tls_is_verified_against_the_dcos_ca_bundle(node: Node) -> None:
    # The recipe's second app: `verify required ca-file /mnt/mesos/sandbox/.ssl/ca-bundle.crt`.
    # Its own port here, so it does not share *:6443 with the first one.
    (port,) = free_ports(1)
    app = seed_document("marathon-lb-verify-required")
    app["id"] = "/marathon-lb-kubernetes-cluster-verified"
    app["labels"]["HAPROXY_0_PORT"] = str(port)
    assert node.api("POST", APPS, json=app).status_code == 201
    node.wait_mlb_running(f"frontend marathon-lb-kubernetes-cluster-verified_{port}")
    status, body, _ = https_get(port, "/version")
    assert status == 200 and b"gitVersion" in body


def test_kubectl_reaches_the_apiserver_through_marathon_lb(node: Node, tmp_path: Path) -> None:
    node.ensure_seed_app()
    (tmp_path / "config").write_text("apiVersion: v1\nkind: Config\n")
    kubectl = ["kubectl", "--kubeconfig", str(tmp_path / "config"), "--server", "https://127.0.0.1:6443"]
    result = subprocess.run(
        [*kubectl, "--insecure-skip-tls-verify", "--token", "t", "get", "namespaces", "-o", "name"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "namespace/kube-system" in result.stdout.split()


def test_a_restart_with_two_tasks_is_excluded_until_one_is_left(node: Node) -> None:
    node.ensure_seed_app()
    # Default upgrade strategy: the new task runs next to the old one for a moment; with MLB 1.14
    # (HAProxy 2.x) the duplicate server name makes `haproxy -c` fail and the app is excluded -
    # its frontend is gone meanwhile if other apps keep the config valid, else nothing changes.
    app = {**seed_app(), "cmd": "sleep 3600"}
    assert node.api("PUT", APPS + SEED_APP_ID, json=app).status_code == 200
    node.box.wait_deployments_done(token=node.token)
    assert any(EXCLUSION in e["message"] for e in node.mlb_log())
    node.wait_mlb_running(FRONTEND)
    assert https_get(6443, "/version")[0] == 200

    # Kill-before-start: never two tasks, never an exclusion.
    generation = node.status()["marathonLb"]["generation"]
    mark = time.time()
    app = {**seed_app(), "upgradeStrategy": {"minimumHealthCapacity": 0, "maximumOverCapacity": 0}}
    assert node.api("PUT", APPS + SEED_APP_ID, json=app).status_code == 200
    node.box.wait_deployments_done(token=node.token)
    assert not [e for e in node.mlb_log() if e["time"] >= mark and EXCLUSION in e["message"]]
    # Meanwhile the app had no running task, so MLB dropped its frontend and brought it back.
    node.wait_mlb_running(FRONTEND)
    assert node.status()["marathonLb"]["generation"] >= generation + 2
    assert https_get(6443, "/version")[0] == 200


def test_a_pool_gets_its_own_haproxy_with_its_auto_certificate(node: Node) -> None:
    frontend_port, stats_port = free_ports(2)
    pool = seed_pool()
    pool["haproxy"]["frontends"][0]["bindPort"] = frontend_port
    pool["haproxy"]["stats"] = {"bindPort": stats_port, "bindAddress": "127.0.0.1"}
    assert node.api("POST", POOLS, json=pool).status_code == 200

    def serving() -> bool:
        entry = node.status()["pools"].get(pool["name"])
        return bool(entry and entry["process"] and entry["process"]["pid"])

    node.box.wait_until(serving, 15, interval=0.1, what="pool HAProxy")
    lbconfig = node.api("GET", f"{POOLS}/{pool['name']}/lbconfig")
    assert lbconfig.headers["X-Localdcos-Haproxy-Check"] == "valid"
    assert "server agentip_127.0.100.1_6443 127.0.100.1:6443 check ssl verify none" in lbconfig.text

    before = len(node.apiserver()["requests"])
    status, body, cn = https_get(frontend_port, "/version")
    assert status == 200 and b"gitVersion" in body
    assert cn == f"{pool['name']}.edgelb.localdcos"
    assert ["GET", "/version"] in node.apiserver()["requests"][before:]
    health = requests.get(f"http://127.0.0.1:{stats_port}/_haproxy_health_check", timeout=5)
    assert health.status_code == 200
    # Its runtime API is where Edge-LB's template puts it, /var/run/haproxy/socket, in the task
    # container's own /var (a sandbox directory), not on the host.
    config = Path(node.status()["pools"][pool["name"]]["process"]["config"])
    stats_socket = config.parents[1] / f"{pool['name']}.var" / "run" / "haproxy" / "socket"
    assert "Name: HAProxy" in runtime_api(stats_socket, "show info")

    # A change confined to `haproxy` is a reload: the new process takes the socket over.
    first = node.status()["pools"][pool["name"]]["process"]
    pool["haproxy"]["frontends"][0]["miscStrs"] = ["timeout client 86400s"]
    assert node.api("PUT", f"{POOLS}/{pool['name']}", json=pool).status_code == 200

    def reloaded() -> dict[str, Any] | None:
        process: dict[str, Any] = node.status()["pools"][pool["name"]]["process"]
        return process if process["reloads"] > first["reloads"] and process["pid"] else None

    process = node.box.wait_until(reloaded, 15, interval=0.1, what="pool HAProxy reload")
    assert process["pid"] != first["pid"]
    assert f"Pid: {process['pid']}\n" in runtime_api(stats_socket, "show info")


def test_a_pool_config_haproxy_rejects_is_reported_and_not_run(node: Node) -> None:
    pool = seed_pool()
    pool["name"] = "edgelb-bad-directive"
    pool["haproxy"]["frontends"][0]["bindPort"], pool["haproxy"]["stats"]["bindPort"] = free_ports(2)
    # Edge-LB passes miscStrs through unchecked; HAProxy does not know this keyword.
    pool["haproxy"]["frontends"][0]["miscStrs"] = ["no-such-keyword on"]
    assert node.api("POST", POOLS, json=pool).status_code == 200

    def lbconfig() -> requests.Response | None:
        response = node.api("GET", f"{POOLS}/{pool['name']}/lbconfig")
        return response if response.status_code == 200 else None

    response: requests.Response = node.box.wait_until(lbconfig, 10, what="lbconfig")
    assert response.headers["X-Localdcos-Haproxy-Check"] == "invalid"
    assert "# localdcos: `haproxy -c` rejects this configuration:" in response.text
    assert "# [ALERT]" in response.text and "no-such-keyword" in response.text
    log = node.box.request("GET", f"/_localdcos/haproxy/pools/{pool['name']}/log").json()
    assert any("rejected" in e["message"] for e in log)
    time.sleep(0.5)
    assert node.status()["pools"][pool["name"]]["process"] is None


def test_stopping_the_sandbox_ends_every_haproxy(node: Node) -> None:
    # Last in this module: it stops the module's sandbox.
    node.wait_mlb_running("frontend marathon_http_in")
    pids = all_pids(node.status())
    assert pids and all(alive(pid) for pid in pids)
    node.box.stop()
    assert not [pid for pid in pids if alive(pid)]

    # Killed without a chance to clean up, the sandbox still takes its HAProxy along (pdeathsig).
    if shutil.which("setpriv") is None:
        return
    with Sandbox("--haproxy", *mlb_port_flags(), "--cluster", "other") as box:
        other = Node(box)
        other.wait_mlb_running("frontend marathon_http_in")
        status = other.status()
        pids = all_pids(status)
        process = box._proc
        assert process is not None
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        deadline = time.monotonic() + 5
        while [pid for pid in pids if alive(pid)] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in pids if alive(pid)]
        # Nobody was left to remove the node directory.
        shutil.rmtree(Path(status["marathonLb"]["configPath"]).parents[1], ignore_errors=True)
