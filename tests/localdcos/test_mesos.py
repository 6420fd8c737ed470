"""The emulated Mesos registry: frameworks per cluster, control hooks, master state, persistence."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from localdcos.core.options import SandboxOptions
from localdcos.mesos import Mesos, TaskView
from tests.sandbox import Sandbox

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def by_name(tasks: list[TaskView], framework: str, name: str) -> TaskView:
    (hit,) = [t for t in tasks if t.framework_name == framework and t.name == name]
    return hit


def test_default_cluster_has_a_running_control_plane_with_an_apiserver_port() -> None:
    mesos = Mesos(SandboxOptions())
    tasks = mesos.tasks()
    assert {t.framework_name for t in tasks} == {"kubernetes-cluster"}
    assert {t.name for t in tasks} >= {"kube-control-plane-0-instance", "etcd-0-peer", "kube-node-0-kubelet"}
    cp = by_name(tasks, "kubernetes-cluster", "kube-control-plane-0-instance")
    assert cp.state == "TASK_RUNNING"
    assert cp.agent_hostname == "127.0.0.1"
    assert re.fullmatch(rf"kubernetes-cluster__kube-control-plane-0-instance__{UUID}", cp.task_id)
    (api,) = [p for p in cp.ports if p.name == "apiserver"]
    assert api.number == 6443
    assert api.label("network-scope") == "host"


def test_foldered_cluster_task_ids_use_dots() -> None:
    mesos = Mesos(SandboxOptions(clusters=["kubernetes-cluster", "dev/kubernetes01"]))
    cp = by_name(mesos.tasks(), "dev/kubernetes01", "kube-control-plane-0-instance")
    assert cp.task_id.startswith("dev.kubernetes01__kube-control-plane-0-instance__")


def test_registry_follows_live_option_edits_and_control_methods() -> None:
    options = SandboxOptions()
    mesos = Mesos(options)
    options.clusters.append("dev/kubernetes01")  # what PATCH /_localdcos/control does
    assert mesos.clusters() == ["kubernetes-cluster", "dev/kubernetes01"]
    options.clusters = ["dev/kubernetes01"]
    assert mesos.clusters() == ["dev/kubernetes01"]

    mesos.add_cluster("/prod/k8s", apiserver_port=16443, control_planes=3)
    assert options.clusters == ["dev/kubernetes01", "prod/k8s"]
    cps = sorted(
        (t for t in mesos.tasks() if t.framework_name == "prod/k8s" and "control-plane" in t.name),
        key=lambda t: t.name,
    )
    assert [(t.agent_hostname, t.ports[0].number) for t in cps] == [
        ("127.0.0.1", 16443),
        ("127.0.0.2", 16443),
        ("127.0.0.3", 16443),
    ]
    assert mesos.remove_cluster("prod/k8s")
    assert not mesos.remove_cluster("prod/k8s")
    assert options.clusters == ["dev/kubernetes01"]


def test_set_task_state() -> None:
    mesos = Mesos(SandboxOptions())
    assert mesos.set_task_state("kubernetes-cluster", "kube-control-plane-0-instance", "TASK_KILLED") == 1
    assert (
        by_name(mesos.tasks(), "kubernetes-cluster", "kube-control-plane-0-instance").state == "TASK_KILLED"
    )
    with pytest.raises(ValueError, match="unknown task state"):
        mesos.set_task_state("kubernetes-cluster", "etcd-0-peer", "RUNNING")
    with pytest.raises(KeyError):
        mesos.set_task_state("nope", "etcd-0-peer", "TASK_RUNNING")


def test_snapshot_restore_round_trip() -> None:
    mesos = Mesos(SandboxOptions(clusters=["kubernetes-cluster", "dev/kubernetes01"]))
    mesos.set_task_state("dev/kubernetes01", "etcd-0-peer", "TASK_FAILED")
    data = mesos.snapshot()
    options = SandboxOptions()
    other = Mesos(options)
    other.restore(data)
    assert options.clusters == ["kubernetes-cluster", "dev/kubernetes01"]
    assert sorted(other.tasks(), key=lambda t: t.task_id) == sorted(mesos.tasks(), key=lambda t: t.task_id)
    assert other.snapshot() == data


# ----------------------------------------------------------------------------- over HTTP


def test_master_state_shape(sandbox: Sandbox) -> None:
    assert sandbox.request("GET", "/mesos/master/state").status_code == 401
    state = sandbox.request("GET", "/mesos/master/state", token=sandbox.admin_token()).json()
    (fw,) = state["frameworks"]
    assert fw["name"] == "kubernetes-cluster"
    cp = next(t for t in fw["tasks"] if t["name"] == "kube-control-plane-0-instance")
    assert cp["state"] == "TASK_RUNNING"
    assert cp["framework_id"] == fw["id"]
    port = next(p for p in cp["discovery"]["ports"]["ports"] if p["name"] == "apiserver")
    assert port == {
        "number": 6443,
        "name": "apiserver",
        "protocol": "tcp",
        "labels": {"labels": [{"key": "network-scope", "value": "host"}]},
    }
    assert [s["hostname"] for s in state["slaves"] if s["id"] == cp["slave_id"]] == ["127.0.0.1"]


def state_tasks(sandbox: Sandbox, token: str, framework: str) -> dict[str, dict[str, Any]]:
    state = sandbox.request("GET", "/mesos/master/state", token=token).json()
    (fw,) = [f for f in state["frameworks"] if f["name"] == framework]
    return {t["name"]: t for t in fw["tasks"]}


def test_control_router(sandbox: Sandbox) -> None:
    token = sandbox.admin_token()

    def control(method: str, path: str, **kwargs: Any) -> requests.Response:
        return sandbox.request(method, "/_localdcos/mesos" + path, **kwargs)

    r = control("POST", "/clusters", json={"name": "dev/kubernetes01", "apiserverPort": 7443})
    assert r.status_code == 201
    assert r.json() == {"clusters": ["kubernetes-cluster", "dev/kubernetes01"]}
    cp = state_tasks(sandbox, token, "dev/kubernetes01")["kube-control-plane-0-instance"]
    assert cp["id"].startswith("dev.kubernetes01__kube-control-plane-0-instance__")
    assert [p["number"] for p in cp["discovery"]["ports"]["ports"] if p["name"] == "apiserver"] == [7443]
    assert control("GET", "/clusters").json() == ["kubernetes-cluster", "dev/kubernetes01"]
    body = {"framework": "dev/kubernetes01", "task": "kube-control-plane-0-instance", "state": "TASK_LOST"}
    assert control("POST", "/task-state", json=body).json() == {"updated": 1}
    assert (
        state_tasks(sandbox, token, "dev/kubernetes01")["kube-control-plane-0-instance"]["state"]
        == "TASK_LOST"
    )
    assert control("POST", "/clusters", json={}).status_code == 400
    assert control("DELETE", "/clusters/dev/kubernetes01").status_code == 204
    assert control("DELETE", "/clusters/dev/kubernetes01").status_code == 404
    assert sandbox.control_options()["clusters"] == ["kubernetes-cluster"]
    # Like the rest of the control API, only for an admin.
    assert control("GET", "/clusters", anonymous=True).status_code == 401


def test_clusters_option_is_live(sandbox: Sandbox) -> None:
    sandbox.control(clusters=["kubernetes-cluster", "dev/kubernetes01"])
    token = sandbox.admin_token()
    assert "kube-control-plane-0-instance" in state_tasks(sandbox, token, "dev/kubernetes01")
