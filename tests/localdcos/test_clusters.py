"""kubernetes-cluster services installed at runtime (`/_localdcos/clusters`, `python -m localdcos
cluster ...`): the scheduler app, the framework and its control plane, idempotence, persistence."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.sandbox import REPO, Sandbox

APPS = "/service/marathon/v2/apps"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def framework(box: Sandbox, token: str, name: str) -> dict[str, Any] | None:
    state = box.request("GET", "/mesos/master/state", token=token).json()
    return next((f for f in state["frameworks"] if f["name"] == name), None)


def test_add_installs_what_the_package_installs(sandbox: Sandbox) -> None:
    token = sandbox.admin_token()
    added = sandbox.add_cluster("dev/kubernetes01")
    assert added.status_code == 201
    info = added.json()
    assert info["name"] == "dev/kubernetes01" and info["installed"] is True
    assert info["vip"] == "apiserver.devkubernetes01.l4lb.thisdcos.directory:6443"
    assert info["apiserver"] is None  # no --haproxy

    # The scheduler: a Marathon app whose deployment runs like any other.
    assert info["schedulerApp"]["id"] == "/dev/kubernetes01"
    sandbox.wait_deployments_done(token)
    app = sandbox.request("GET", APPS + "/dev/kubernetes01", token=token).json()["app"]
    assert {k: app["labels"][k] for k in ("DCOS_SERVICE_NAME", "DCOS_PACKAGE_FRAMEWORK_NAME")} == {
        "DCOS_SERVICE_NAME": "dev/kubernetes01",
        "DCOS_PACKAGE_FRAMEWORK_NAME": "dev/kubernetes01",
    }
    assert app["labels"]["DCOS_PACKAGE_NAME"] == "kubernetes-cluster"
    assert app["env"]["FRAMEWORK_NAME"] == "dev/kubernetes01"
    assert app["upgradeStrategy"] == {"minimumHealthCapacity": 0, "maximumOverCapacity": 0}
    assert (app["tasksRunning"], [t["state"] for t in app["tasks"]]) == (1, ["TASK_RUNNING"])

    # The framework, named exactly as the service, with its control plane and apiserver port.
    fw = framework(sandbox, token, "dev/kubernetes01")
    assert fw is not None and fw["id"] == info["framework"]["id"]
    (cp,) = [t for t in fw["tasks"] if t["name"] == "kube-control-plane-0-instance"]
    assert cp["state"] == "TASK_RUNNING"
    assert re.fullmatch(rf"dev\.kubernetes01__kube-control-plane-0-instance__{UUID}", cp["id"])
    assert {p["name"]: p["number"] for p in cp["discovery"]["ports"]["ports"]}["apiserver"] == 6443
    assert info["framework"]["controlPlanes"] == [
        {"taskId": cp["id"], "state": "TASK_RUNNING", "host": "127.0.0.1", "apiserverPort": 6443}
    ]

    # A foldered service's id is a group now: nothing may nest under it (spec §1.6).
    nested = {"id": "/dev/kubernetes01/proxy", "cmd": "sleep 1", "cpus": 0.01, "mem": 8}
    assert sandbox.request("POST", APPS, token=token, json=nested).status_code == 422


def test_add_is_idempotent_and_completes_start_time_clusters(sandbox: Sandbox) -> None:
    token = sandbox.admin_token()
    # `--cluster` clusters start with their framework only.
    (start,) = sandbox.clusters()
    assert (start["name"], start["installed"], start["schedulerApp"]) == ("kubernetes-cluster", False, None)
    framework_id = start["framework"]["id"]

    completed = sandbox.add_cluster("kubernetes-cluster")
    assert completed.status_code == 201
    assert completed.json()["framework"]["id"] == framework_id  # kept, not rebuilt
    assert completed.json()["schedulerApp"]["id"] == "/kubernetes-cluster"
    sandbox.wait_deployments_done(token)
    version = completed.json()["schedulerApp"]["version"]

    sandbox.clear_requests()
    again = sandbox.add_cluster("/kubernetes-cluster/")
    assert again.status_code == 200
    assert again.json()["schedulerApp"]["version"] == version
    assert again.json()["framework"]["id"] == framework_id
    assert sandbox.request("GET", "/service/marathon/v2/deployments", token=token).json() == []
    assert [c["installed"] for c in sandbox.clusters()] == [True]


def test_add_refuses_bad_names_and_taken_ids(sandbox: Sandbox) -> None:
    token = sandbox.admin_token()
    for name, needle in (
        ("Dev/K8s", "must fully match"),
        ("dev__k8s", "task id delimiter"),
        ("a" * 64, "exceeds 63 characters"),
        ("", "must not be empty"),
        ("dev/restart", "reserved keywords"),
    ):
        refused = sandbox.add_cluster(name)
        assert refused.status_code == 400, name
        assert needle in refused.json()["message"], (name, refused.json())
    assert sandbox.request("POST", "/_localdcos/clusters", data=b"nope").status_code == 400

    # An app that is not the package's scheduler holds the id: Cosmos refuses to install.
    plain = {"id": "/taken", "cmd": "sleep 1", "cpus": 0.01, "mem": 8}
    assert sandbox.request("POST", APPS, token=token, json=plain).status_code == 201
    taken = sandbox.add_cluster("taken")
    assert taken.status_code == 409 and "not its scheduler" in taken.json()["message"]
    # An app below the name makes it a group: Marathon's own refusal comes back.
    below = {"id": "/team/k8s/app", "cmd": "sleep 1", "cpus": 0.01, "mem": 8}
    assert sandbox.request("POST", APPS, token=token, json=below).status_code == 201
    clash = sandbox.add_cluster("team/k8s")
    assert clash.status_code == 422
    assert clash.json()["marathon"]["details"][0]["errors"] == [
        "Groups and Applications may not have the same identifier."
    ]
    assert "team/k8s" not in [c["name"] for c in sandbox.clusters()]


def test_remove_uninstalls(sandbox: Sandbox) -> None:
    token = sandbox.admin_token()
    assert sandbox.add_cluster("dev/kubernetes01").status_code == 201
    sandbox.wait_deployments_done(token)
    assert sandbox.remove_cluster("dev/kubernetes01").status_code == 204
    assert framework(sandbox, token, "dev/kubernetes01") is None
    sandbox.wait_deployments_done(token)
    assert sandbox.request("GET", APPS + "/dev/kubernetes01", token=token).status_code == 404
    assert sandbox.remove_cluster("dev/kubernetes01").status_code == 404
    assert sandbox.request("GET", "/_localdcos/clusters/dev/kubernetes01").status_code == 404
    assert [c["name"] for c in sandbox.clusters()] == ["kubernetes-cluster"]


def test_installed_clusters_survive_a_restart(tmp_path: Path) -> None:
    with Sandbox("--deploy-seconds", "0.1", state_file=tmp_path / "state.json") as box:
        assert box.add_cluster("dev/kubernetes01").status_code == 201
        box.wait_deployments_done()
        before = box.request("GET", "/_localdcos/clusters/dev/kubernetes01").json()
        box.restart()
        after = box.request("GET", "/_localdcos/clusters/dev/kubernetes01").json()
        assert after == before and after["installed"] is True
        assert box.add_cluster("dev/kubernetes01").status_code == 200


def test_the_routes_need_an_admin_token(sandbox: Sandbox) -> None:
    assert sandbox.request("GET", "/_localdcos/clusters", anonymous=True).status_code == 401
    post = sandbox.request("POST", "/_localdcos/clusters", anonymous=True, json={"name": "x"})
    assert post.status_code == 401
    assert [c["name"] for c in sandbox.clusters()] == ["kubernetes-cluster"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "localdcos", "cluster", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_adds_lists_and_removes(sandbox: Sandbox, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(sandbox.admin_token() + "\n")
    where = ["--url", sandbox.url, "--token-file", str(token_file)]

    added = cli(*where, "add", "dev/kubernetes01")
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("installed: dev/kubernetes01: installed; scheduler app /dev/kubernetes01")
    assert "VIP apiserver.devkubernetes01.l4lb.thisdcos.directory:6443" in added.stdout
    again = cli(*where, "add", "dev/kubernetes01")
    assert again.returncode == 0 and again.stdout.startswith("already installed: dev/kubernetes01")

    listed = cli(*where, "list")
    assert listed.returncode == 0
    assert [line.split(":")[0] for line in listed.stdout.splitlines()] == [
        "kubernetes-cluster",
        "dev/kubernetes01",
    ]
    assert "kubernetes-cluster: incomplete" in listed.stdout

    removed = cli(*where, "remove", "dev/kubernetes01")
    assert (removed.returncode, removed.stdout.strip()) == (0, "removed: dev/kubernetes01")
    missing = cli(*where, "remove", "dev/kubernetes01")
    assert missing.returncode == 1 and "HTTP 404" in missing.stderr

    bad = cli(*where, "add", "Bad_Name")
    assert bad.returncode == 1 and "invalid cluster" in bad.stderr
    anonymous = cli("--url", sandbox.url, "add", "x")
    assert anonymous.returncode == 1 and "HTTP 401" in anonymous.stderr
    unreachable = cli("--url", "http://127.0.0.1:9", "list")
    assert unreachable.returncode == 2 and "cannot reach the sandbox" in unreachable.stderr
