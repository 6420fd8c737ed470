"""The product on the data path: after `pulumi up`, real kubectl reaches the fake apiserver through
real HAProxy (Marathon-LB, then Edge-LB), and the seed recipe's defects are shown fixed.

One `--haproxy` sandbox serves the whole module (its frontends bind *:6443, so only one may run on a
host). Marathon-LB's defaults-section `timeout client` is cut to 2 s so that an idle watch of 5 s
outlives it; every address is on loopback.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.e2e.support import FIRST, copy_program, copy_test_project, set_clusters
from tests.localdcos.helpers import EXCLUSION, Node, mlb_port_flags, require_free_apiserver_port
from tests.pulumi_cli import PulumiCli
from tests.sandbox import Sandbox
from tests.seed_documents import seed_app

pytestmark = [pytest.mark.e2e, pytest.mark.haproxy]

CLIENT_TIMEOUT_SECONDS = 2
WATCH_IDLE_SECONDS = 5
APP_ID = "/marathon-lb-kubernetes-cluster"
MLB_FRONTEND = "frontend marathon-lb-kubernetes-cluster_6443"
KUBE_TOKEN = "e2e-kube-token-7f3a"


@pytest.fixture(scope="module")
def node() -> Iterator[Node]:
    require_free_apiserver_port()
    box = Sandbox(
        "--haproxy",
        *("--deploy-seconds", "0.5", "--pool-deploy-seconds", "0.3"),
        *mlb_port_flags(),
        *("--haproxy-client-timeout", f"{CLIENT_TIMEOUT_SECONDS}s"),
        *("--apiserver-watch-idle-seconds", str(WATCH_IDLE_SECONDS)),
        *("--haproxy-poll-seconds", "0.1"),
    )
    try:
        yield Node(box)
    finally:
        box.close()


@pytest.fixture
def stack(node: Node, tmp_path: Path, engine: Path) -> Iterator[PulumiCli]:
    cli = PulumiCli(copy_program(tmp_path / "exposure"), tmp_path / "state", bin_dir=engine)
    cli.set_config("dcos:url", node.box.url)
    cli.set_config("dcos:token", node.token, secret=True)
    # kubectl needs a credential (the fake apiserver takes any bearer token); it lands in the
    # kubeconfig output, which is therefore a secret.
    cli.set_config("dcos-kubernetes-api:kubeconfigToken", KUBE_TOKEN, secret=True)
    yield cli
    cli.destroy().check()


def kubectl(kubeconfig: Path, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    # A private HOME: kubectl caches discovery there.
    env = {**os.environ, "HOME": str(kubeconfig.parent), "KUBECONFIG": str(kubeconfig)}
    return subprocess.run(
        ["kubectl", *args], check=False, capture_output=True, text=True, timeout=timeout, env=env
    )


def write_kubeconfig(cli: PulumiCli, path: Path) -> Path:
    assert cli.outputs()["kubeconfig"] == "[secret]"
    path.write_text(cli.outputs(show_secrets=True)["kubeconfig"])
    path.chmod(0o600)
    return path


def mlb_frontends(node: Node) -> list[str]:
    return [line for line in node.getconfig().splitlines() if line.startswith("frontend ")]


def appid_request(node: Node) -> requests.Response:
    """Marathon-LB's shared plain-HTTP frontend, asked for the dummy app by header."""
    port = node.status()["marathonLb"]["options"]["appid_port"]
    return requests.get(f"http://127.0.0.1:{port}/version", headers={"X-Marathon-App-Id": APP_ID}, timeout=5)


def pool_serving(node: Node, name: str) -> bool:
    entry = node.status()["pools"].get(name)
    return bool(entry and entry["process"] and entry["process"]["pid"])


def test_kubectl_through_marathon_lb_then_edge_lb(node: Node, stack: PulumiCli, tmp_path: Path) -> None:
    set_clusters(stack, [FIRST])
    stack.up().check()
    node.wait_mlb_running(MLB_FRONTEND)
    kubeconfig = write_kubeconfig(stack, tmp_path / "kubeconfig")
    assert "https://127.0.0.1:6443" in kubeconfig.read_text()
    assert KUBE_TOKEN not in stack.state_files_text() and KUBE_TOKEN not in stack.text

    version = kubectl(kubeconfig, "version", "-o", "json")
    assert version.returncode == 0, version.stderr
    assert json.loads(version.stdout)["serverVersion"]["gitVersion"] == "v1.32.0-localdcos"
    namespaces = kubectl(kubeconfig, "get", "namespaces")
    assert namespaces.returncode == 0, namespaces.stderr
    assert {"default", "kube-system", "kube-public"} <= set(namespaces.stdout.split())

    # (a) An idle watch outlives the client timeout: the event after 5 s of silence arrives.
    watch = subprocess.Popen(
        ["kubectl", "get", "namespaces", "--watch", "--output-watch-events", "--request-timeout=0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HOME": str(tmp_path), "KUBECONFIG": str(kubeconfig)},
    )
    try:
        time.sleep(WATCH_IDLE_SECONDS + CLIENT_TIMEOUT_SECONDS)
        assert watch.poll() is None, watch.stderr.read() if watch.stderr else ""
    finally:
        watch.terminate()
        out, _ = watch.communicate(timeout=10)
    assert "MODIFIED" in out and "default" in out

    # (b) The plain-HTTP 9091 frontend does not route to the API.
    answer = appid_request(node)
    assert answer.status_code != 200 and "gitVersion" not in answer.text

    # (c) A forced restart runs two tasks for a moment: the config stays valid and 6443 stays up.
    mark = time.time()
    restart = node.api("POST", f"/service/marathon/v2/apps{APP_ID}/restart", params={"force": "true"})
    assert restart.status_code == 200
    deadline = time.monotonic() + 10
    seen_two_servers = False
    while time.monotonic() < deadline:
        config = node.getconfig()
        assert MLB_FRONTEND in config
        seen_two_servers |= config.count(" apiserver.kubernetes-cluster.l4lb.thisdcos.directory:6443 ") == 2
        if not node.api("GET", "/service/marathon/v2/deployments").json() and seen_two_servers:
            break
        time.sleep(0.05)
    assert seen_two_servers, "the restart never ran two tasks at once"
    assert not [e for e in node.mlb_log() if e["time"] >= mark and EXCLUSION in e["message"]]
    node.wait_mlb_running(MLB_FRONTEND)
    assert kubectl(kubeconfig, "get", "namespaces").returncode == 0

    # Switching to Edge-LB: the pool's HAProxy now answers on 6443, Marathon-LB no longer does.
    set_clusters(stack, [{**FIRST, "via": "edge-lb"}])
    stack.up().check()
    node.box.wait_until(lambda: MLB_FRONTEND not in node.getconfig(), 15, interval=0.1, what="MLB drops 6443")
    node.box.wait_until(lambda: pool_serving(node, "edgelb-kubernetes-cluster"), 15, what="pool HAProxy")
    lbconfig = node.api("GET", "/service/edgelb/v2/pools/edgelb-kubernetes-cluster/lbconfig").text
    assert "bind 127.0.0.1:6090" in lbconfig  # (e) stats private
    kubeconfig = write_kubeconfig(stack, tmp_path / "kubeconfig")
    namespaces = kubectl(kubeconfig, "get", "namespaces")
    assert namespaces.returncode == 0, namespaces.stderr
    assert "kube-system" in namespaces.stdout


def test_no_input_gets_a_directive_into_haproxy(node: Node, stack: PulumiCli) -> None:
    """(d) Label values reach haproxy.cfg verbatim, so the component refuses whatever could carry a
    directive, at preview, before any write."""
    before = node.getconfig()
    attempts = [
        {"haproxyGroup": "external\n  bind *:9999"},
        {"sslCert": "/etc/ssl/cert.pem\n  stats enable"},
        {"sslCert": "/etc/ssl/{serverName}.pem"},
        {"connectTimeout": "10s # comment"},
        {"apiserverAddress": "evil.example.com:6443 check\n  server x 1.2.3.4:1"},
    ]
    for attempt in attempts:
        set_clusters(stack, [{**FIRST, **attempt}])
        node.box.clear_requests()
        assert not stack.preview().ok, attempt
        writes = [
            r for r in node.box.requests() if r["method"] != "GET" and r["path"].startswith("/service/")
        ]
        assert writes == [], attempt
    assert node.getconfig() == before


def test_the_seed_recipe_shows_the_defects_the_component_fixes(
    node: Node, tmp_path: Path, engine: Path
) -> None:
    """The recipe's own app, deployed as it is: reachable over plain HTTP through 9091, and refused
    by HAProxy during a restart. Both are what (b) and (c) fix."""
    cli = PulumiCli(copy_test_project("marathon_app", tmp_path), tmp_path / "state", bin_dir=engine)
    cli.set_config("dcos:url", node.box.url)
    cli.set_config("dcos:token", node.token, secret=True)
    cli.set_config("definition", json.dumps(seed_app()))
    cli.up().check()
    try:
        node.wait_mlb_running(MLB_FRONTEND)
        answer = appid_request(node)
        assert answer.status_code == 200 and "gitVersion" in answer.text  # the API without TLS

        mark = time.time()
        restart = node.api("POST", f"/service/marathon/v2/apps{APP_ID}/restart", params={"force": "true"})
        assert restart.status_code == 200
        node.box.wait_deployments_done(token=node.token, timeout=15)
        assert [e for e in node.mlb_log() if e["time"] >= mark and EXCLUSION in e["message"]]
    finally:
        cli.destroy().check()
