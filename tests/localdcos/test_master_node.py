"""What a DC/OS master serves besides the services, as dcos-deploy (MaibornWolff/dcos-deploy 0.4)
calls it before anything else, and its `apply` of a few Marathon apps, call by call."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.sandbox import Sandbox

APPS = "/service/marathon/v2/apps"


@pytest.fixture
def token(sandbox: Sandbox) -> str:
    return sandbox.admin_token()


def get(box: Sandbox, path: str, token: str | None = None, **kwargs: Any) -> Any:
    response = box.request("GET", path, token=token, **kwargs)
    assert response.status_code == 200, (path, response.status_code, response.text)
    return response.json()


def test_mesos_dns_answers_a_records(sandbox: Sandbox, token: str) -> None:
    assert get(sandbox, "/mesos_dns/v1/hosts/master.mesos", token) == [
        {"host": "master.mesos.", "ip": "127.0.0.1"}
    ]
    assert get(sandbox, "/mesos_dns/v1/hosts/Leader.Mesos.", token) == [
        {"host": "leader.mesos.", "ip": "127.0.0.1"}
    ]
    # Mesos-DNS answers an unknown name with one empty record, not an error.
    assert get(sandbox, "/mesos_dns/v1/hosts/nothing.mesos", token) == [{"host": "", "ip": ""}]
    agents = get(sandbox, "/mesos_dns/v1/hosts/slave.mesos", token)
    assert [a["ip"] for a in agents] == ["127.0.0.1"]
    # Behind Admin Router like everything else.
    assert sandbox.request("GET", "/mesos_dns/v1/hosts/master.mesos").status_code == 401
    redirect = sandbox.request("GET", "/mesos_dns")
    assert (redirect.status_code, redirect.headers["Location"]) == (301, "/mesos_dns/")


def test_dcos_version_needs_no_token(sandbox: Sandbox, open_sandbox: Sandbox) -> None:
    response = sandbox.request("GET", "/dcos-metadata/dcos-version.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    version = response.json()
    assert set(version) == {"version", "dcos-variant", "dcos-image-commit", "bootstrap-id"}
    assert (version["version"], version["dcos-variant"]) == ("2.1.0", "enterprise")
    assert get(open_sandbox, "/dcos-metadata/dcos-version.json")["dcos-variant"] == "open"
    sandbox.control(dcos_version="2.2.5")
    assert get(sandbox, "/dcos-metadata/dcos-version.json")["version"] == "2.2.5"


def test_state_summary_and_node_health_agree_with_mesos_state(sandbox: Sandbox, token: str) -> None:
    assert sandbox.add_cluster("dev/kubernetes01").status_code == 201
    state = get(sandbox, "/mesos/master/state", token)
    summary = get(sandbox, "/mesos/master/state-summary", token)
    assert (summary["cluster"], summary["hostname"]) == (state["cluster"], state["hostname"])
    assert [s["id"] for s in summary["slaves"]] == [s["id"] for s in state["slaves"]]
    assert [(f["id"], f["name"]) for f in summary["frameworks"]] == [
        (f["id"], f["name"]) for f in state["frameworks"]
    ]
    running = {f["name"]: f["TASK_RUNNING"] for f in summary["frameworks"]}
    assert running == {"kubernetes-cluster": 3, "dev/kubernetes01": 3}
    public = [s for s in summary["slaves"] if s["attributes"].get("public_ip") == "true"]
    assert len(public) == 1 and "slave_public" in public[0]["reserved_resources"]

    # Marathon's tasks run on the public agent Mesos lists.
    sandbox.wait_deployments_done(token)
    (task,) = get(sandbox, APPS + "/dev/kubernetes01", token)["app"]["tasks"]
    assert task["slaveId"] == public[0]["id"]

    nodes = get(sandbox, "/system/health/v1/nodes", token)["nodes"]
    assert [n["role"] for n in nodes] == ["master", "agent", "agent_public"]
    assert all(n["health"] == 0 and n["host_ip"] for n in nodes)
    assert sorted(n["host_ip"] for n in nodes[1:]) == sorted(s["hostname"] for s in summary["slaves"])
    assert sandbox.request("GET", "/system/health/v1/nodes").status_code == 401


def test_dcos_deploy_apply_of_a_few_apps(sandbox: Sandbox) -> None:
    # dcos-deploy logs in with uid/password (plus an `exp` the IAM ignores) and keeps the cookie.
    login = sandbox.request(
        "POST", "/acs/api/v1/auth/login", json={"uid": "admin", "password": "admin-password", "exp": 0}
    )
    token = login.cookies["dcos-acs-auth-cookie"]
    # Its variables: version, variant, cluster name, node counts.
    assert sandbox.request("GET", "/mesos_dns/v1/hosts/master.mesos", token=token).ok
    assert get(sandbox, "/dcos-metadata/dcos-version.json", token)["dcos-variant"] == "enterprise"
    assert get(sandbox, "/mesos/master/state-summary", token)["cluster"] == "localdcos"
    assert {n["role"] for n in get(sandbox, "/system/health/v1/nodes", token)["nodes"]} == {
        "master",
        "agent",
        "agent_public",
    }

    apps: list[dict[str, Any]] = [
        {"id": f"bench/app{i}", "cmd": "sleep 1000", "cpus": 0.01, "mem": 16} for i in range(3)
    ]
    for app in apps:
        # Its state read: a trailing slash and embed=app.counts; 404 means "create".
        missing = sandbox.request("GET", f"{APPS}/{app['id']}/", token=token, params={"embed": "app.counts"})
        assert missing.status_code == 404
    deployment_ids = []
    for app in apps:
        # One PUT /v2/apps (a list) per app, force spelled as Python prints it.
        put = sandbox.request("PUT", APPS, token=token, params={"force": "False"}, json=[app])
        assert put.status_code == 200
        deployment_ids.append(put.json()["deploymentId"])
        # Then it looks for that deployment and waits while it is listed.
        listed = get(sandbox, "/service/marathon/v2/deployments", token)
        assert put.json()["deploymentId"] in [d["id"] for d in listed]
    sandbox.wait_deployments_done(token)
    for app in apps:
        state = get(sandbox, f"{APPS}/{app['id']}/", token, params={"embed": "app.counts"})["app"]
        assert (state["id"], state["tasksRunning"], state["deployments"]) == ("/" + app["id"], 1, [])

    # Re-applying the same definition: a fresh deployment id that is never listed (nothing to do).
    again = sandbox.request("PUT", APPS, token=token, params={"force": "False"}, json=[apps[0]])
    assert again.status_code == 200
    assert again.json()["deploymentId"] not in [
        d["id"] for d in get(sandbox, "/service/marathon/v2/deployments", token)
    ]

    # The sandbox's history of those deployments, for a benchmark's "completion seen" and "in flight".
    history = {h["id"]: h for h in sandbox.deployment_history()}
    for deployment_id, app in zip(deployment_ids, apps, strict=True):
        entry = history[deployment_id]
        assert entry["affectedApps"] == ["/" + app["id"]] and entry["outcome"] == "success"
        assert entry["finished"] == pytest.approx(entry["created"] + 0.1, abs=0.01)
    # Its delete: forced by default, a leading slash doubled in the path.
    delete = sandbox.request("DELETE", f"{APPS}//{apps[2]['id']}", token=token, params={"force": "False"})
    assert delete.status_code == 200


def test_deployment_history_tells_outcomes(sandbox: Sandbox, token: str) -> None:
    sandbox.control(deploy_seconds=5.0)
    app = {"id": "/slow", "cmd": "sleep 1000", "cpus": 0.01, "mem": 16}
    first = sandbox.request("POST", APPS, token=token, json=app).headers["Marathon-Deployment-Id"]
    forced = sandbox.request("PUT", APPS + "/slow", token=token, params={"force": "true"}, json={"mem": 32})
    second = forced.json()["deploymentId"]
    assert (
        sandbox.request("DELETE", f"/service/marathon/v2/deployments/{second}", token=token).status_code
        == 200
    )
    before = time.time()
    outcomes = {h["id"]: h["outcome"] for h in sandbox.deployment_history()}
    assert (outcomes[first], outcomes[second]) == ("superseded", "cancelled")
    assert all(h["finished"] <= before for h in sandbox.deployment_history())
