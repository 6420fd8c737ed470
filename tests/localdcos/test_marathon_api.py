"""Marathon emulation over real HTTP: status codes, bodies, defaults and deployments (spec §1)."""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.sandbox import Sandbox
from tests.seed_documents import seed_app

MARATHON = "/service/marathon"
SEED_APP: dict[str, Any] = seed_app()
LOCKED = (
    "App is locked by one or more deployments. Override with the option '?force=true'. "
    "View details at '/v2/deployments/<DEPLOYMENT_ID>'."
)
DEPLOY_SECONDS = 0.1


class Marathon:
    """Thin client for one sandbox (auth none: Admin Router auth is tested in test_server.py)."""

    def __init__(self, box: Sandbox) -> None:
        self.box = box

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.box.request(method, MARATHON + path, **kwargs)

    def post_app(self, app: dict[str, Any], **kwargs: Any) -> requests.Response:
        return self.call("POST", "/v2/apps", json=app, **kwargs)

    def app(self, app_id: str) -> dict[str, Any]:
        response = self.call("GET", f"/v2/apps{app_id}")
        assert response.status_code == 200, response.text
        app: dict[str, Any] = response.json()["app"]
        return app

    def deployments(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.call("GET", "/v2/deployments").json()
        return result

    def wait_done(self, timeout: float = 10.0) -> None:
        self.box.wait_until(lambda: self.deployments() == [], timeout, what="deployments done")

    def deployed(self, app: dict[str, Any]) -> dict[str, Any]:
        response = self.post_app(app)
        assert response.status_code == 201, response.text
        self.wait_done()
        return self.app(app["id"])


@pytest.fixture(scope="module")
def shared_box() -> Iterator[Sandbox]:
    with Sandbox("--deploy-seconds", str(DEPLOY_SECONDS), auth="none") as box:
        yield box


@pytest.fixture
def api(shared_box: Sandbox) -> Iterator[Marathon]:
    yield Marathon(shared_box)
    # Knobs a test changed must not leak into the next one.
    shared_box.control(
        deploy_seconds=DEPLOY_SECONDS,
        stall_deployments=False,
        max_running_deployments=100,
        marathon_version="1.10.6",
    )


@pytest.fixture
def fresh(open_sandbox: Sandbox) -> Marathon:
    """An empty sandbox, for tests about global state such as port assignment."""
    return Marathon(open_sandbox)


def unique(name: str = "app") -> str:
    return f"/t{uuid.uuid4().hex[:8]}/{name}"


def simple(app_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": app_id, "cmd": "sleep 1000", "cpus": 0.01, "mem": 8, **fields}


# -- POST and read-back ------------------------------------------------------------------------------


def test_post_seed_app_answers_201_with_the_unassigned_app(fresh: Marathon) -> None:
    response = fresh.post_app(SEED_APP)
    assert response.status_code == 201
    body = response.json()
    assert response.headers["Location"] == "/marathon-lb-kubernetes-cluster"
    deployment_id = response.headers["Marathon-Deployment-Id"]
    assert body["deployments"] == [{"id": deployment_id}]
    # Built before service ports are assigned; no versionInfo yet.
    assert body["portDefinitions"] == [{"port": 0, "protocol": "tcp"}]
    assert "versionInfo" not in body
    assert body["tasks"] == []
    assert [body[k] for k in ("tasksStaged", "tasksRunning", "tasksHealthy", "tasksUnhealthy")] == [
        0,
        0,
        0,
        0,
    ]
    assert body["labels"] == SEED_APP["labels"]
    assert body["version"].endswith("Z")


def test_seed_app_reads_back_with_all_defaults(fresh: Marathon) -> None:
    app = fresh.deployed(SEED_APP)
    definition = {
        k: v
        for k, v in app.items()
        if k
        not in (
            "version",
            "versionInfo",
            "tasks",
            "tasksStaged",
            "tasksRunning",
            "tasksHealthy",
            "tasksUnhealthy",
            "deployments",
        )
    }
    assert definition == {
        "id": "/marathon-lb-kubernetes-cluster",
        "cmd": "tail -F /dev/null",
        "instances": 1,
        "cpus": 0.001,
        "mem": 16.0,
        "disk": 0.0,
        "gpus": 0,
        "executor": "",
        "backoffSeconds": 1,
        "backoffFactor": 1.15,
        "maxLaunchDelaySeconds": 300,
        "container": {"type": "MESOS", "volumes": []},
        "upgradeStrategy": {"minimumHealthCapacity": 1, "maximumOverCapacity": 1},
        "unreachableStrategy": {"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0},
        "killSelection": "YOUNGEST_FIRST",
        "requirePorts": False,
        "networks": [{"mode": "host"}],
        "portDefinitions": [{"port": 10000, "protocol": "tcp"}],
        "labels": SEED_APP["labels"],
        "role": "slave_public",
    }
    assert isinstance(app["mem"], float) and isinstance(app["cpus"], float) and isinstance(app["disk"], float)
    for omitted in (
        "env",
        "constraints",
        "fetch",
        "healthChecks",
        "args",
        "acceptedResourceRoles",
        "lastTaskFailure",
    ):
        assert omitted not in app
    assert app["versionInfo"] == {"lastScalingAt": app["version"], "lastConfigChangeAt": app["version"]}
    assert app["deployments"] == []
    assert (app["tasksRunning"], app["tasksStaged"], app["tasksHealthy"]) == (1, 0, 0)
    [task] = app["tasks"]
    assert task["state"] == "TASK_RUNNING"
    assert task["host"] == "127.0.0.1"
    assert task["appId"] == "/marathon-lb-kubernetes-cluster"
    assert task["id"].startswith("marathon-lb-kubernetes-cluster.")
    assert len(task["ports"]) == 1 and task["servicePorts"] == [10000]
    assert task["ipAddresses"] == [{"ipAddress": "127.0.0.1", "protocol": "IPv4"}]
    assert task["slaveId"] and task["version"] == app["version"] and "startedAt" in task


def test_defaults_follow_the_marathon_version(api: Marathon) -> None:
    api.box.control(marathon_version="1.7.0")
    info = api.call("GET", "/v2/info").json()
    assert info["version"] == "1.7.0"
    app = api.deployed(simple(unique()))
    assert app["maxLaunchDelaySeconds"] == 3600
    assert "role" not in app


def test_omitted_port_definitions_get_one_default_port_and_empty_list_none(fresh: Marathon) -> None:
    app = fresh.deployed({"id": "/a", "cmd": "x"})
    assert app["portDefinitions"] == [{"port": 10000, "name": "default", "protocol": "tcp"}]
    assert (app["instances"], app["cpus"], app["mem"]) == (1, 1.0, 128.0)
    assert fresh.deployed({"id": "/b", "cmd": "x", "portDefinitions": []})["portDefinitions"] == []


def test_service_ports_count_up_and_are_reused_on_update(fresh: Marathon) -> None:
    ports = {"portDefinitions": [{"port": 0}, {"port": 0, "name": "admin", "labels": {"k": "v"}}]}
    first = fresh.deployed(simple("/one", **ports))
    assert first["portDefinitions"] == [
        {"port": 10000, "protocol": "tcp"},
        {"port": 10001, "protocol": "tcp", "name": "admin", "labels": {"k": "v"}},
    ]
    second = fresh.deployed(simple("/two", portDefinitions=[{"port": 0}, {"port": 10005}]))
    assert [p["port"] for p in second["portDefinitions"]] == [10002, 10005]
    # Sending 0 again keeps the port the app already had.
    response = fresh.call("PUT", "/v2/apps/two", json={"portDefinitions": [{"port": 0}, {"port": 10005}]})
    assert response.status_code == 200
    fresh.wait_done()
    assert [p["port"] for p in fresh.app("/two")["portDefinitions"]] == [10002, 10005]
    assert fresh.app("/one")["tasks"][0]["servicePorts"] == [10000, 10001]


# -- validation ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("patch", "path", "code"),
    [
        ({"labels": {"HAPROXY_0_PORT": 6443}}, "/labels/HAPROXY_0_PORT", "error.expected.jsstring"),
        ({"env": {"A": 1}}, "/env/A", "error.expected.jsstring"),
        ({"id": "/Bad_Id"}, "/id", "error.pattern"),
        ({"cpus": 0.0001}, "/cpus", "error.min"),
        ({"cpus": 0}, "/cpus", "error.min"),
        ({"cpus": "1"}, "/cpus", "error.expected.jsnumber"),
        ({"mem": -1}, "/mem", "error.min"),
        ({"disk": -1}, "/disk", "error.min"),
        ({"instances": -1}, "/instances", "error.min"),
        ({"instances": 1.5}, "/instances", "error.expected.int"),
        ({"backoffFactor": 0.5}, "/backoffFactor", "error.min"),
        (
            {"upgradeStrategy": {"minimumHealthCapacity": 1.5}},
            "/upgradeStrategy/minimumHealthCapacity",
            "error.max",
        ),
        (
            {"upgradeStrategy": {"maximumOverCapacity": -0.1}},
            "/upgradeStrategy/maximumOverCapacity",
            "error.min",
        ),
        ({"container": {"type": "FOO"}}, "/container/type", "error.unknown.enum.literal"),
        ({"portDefinitions": [{"port": 70000}]}, "/portDefinitions(0)/port", "error.max"),
        ({"requirePorts": "yes"}, "/requirePorts", "error.expected.jsboolean"),
        ({"killSelection": "RANDOM"}, "/killSelection", "error.unknown.enum.literal"),
    ],
)
def test_raml_errors_are_422_invalid_json_with_a_details_list(
    api: Marathon, patch: dict[str, Any], path: str, code: str
) -> None:
    app = {**copy.deepcopy(SEED_APP), "id": unique(), **patch}
    response = api.post_app(app)
    assert response.status_code == 422, response.text
    assert response.json() == {"message": "Invalid JSON", "details": [{"path": path, "errors": [code]}]}


def test_missing_id_is_a_raml_error(api: Marathon) -> None:
    response = api.post_app({"cmd": "x"})
    assert response.status_code == 422
    assert response.json()["details"] == [{"path": "/id", "errors": ["error.path.missing"]}]


def test_zero_mem_is_accepted(api: Marathon) -> None:
    assert api.post_app(simple(unique(), mem=0)).status_code == 201


def not_valid(path: str, message: str) -> dict[str, Any]:
    return {"message": "Object is not valid", "details": [{"path": path, "errors": [message]}]}


NEEDS_CMD = "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."


def test_semantic_validation_is_422_object_is_not_valid(api: Marathon) -> None:
    no_cmd = api.post_app({"id": unique(), "cpus": 0.1})
    assert (no_cmd.status_code, no_cmd.json()) == (422, not_valid("/", NEEDS_CMD))
    both = api.post_app({"id": unique(), "cmd": "x", "args": ["y"]})
    assert (both.status_code, both.json()) == (422, not_valid("/", NEEDS_CMD))
    reserved = api.post_app(simple(unique("restart")))
    assert reserved.status_code == 422
    assert reserved.json() == not_valid(
        "/id", "must not end with any of the following reserved keywords: restart, tasks, versions"
    )
    container_only = api.post_app(
        {"id": unique(), "container": {"type": "DOCKER", "docker": {"image": "nginx"}}}
    )
    assert container_only.status_code == 201


def test_apps_and_groups_may_not_share_an_id_both_ways(api: Marathon) -> None:
    parent = unique("svc")
    api.deployed(simple(parent))
    nested = api.post_app(simple(parent + "/proxy"))
    assert (nested.status_code, nested.json()) == (
        422,
        not_valid("/", "Groups and Applications may not have the same identifier."),
    )
    child = unique("child")
    api.deployed(simple(child))
    group = child.rsplit("/", 1)[0]
    clash = api.post_app(simple(group))
    assert clash.status_code == 422
    assert clash.json()["details"][0]["errors"] == [
        "Groups and Applications may not have the same identifier."
    ]
    # Deleting the app leaves its group: the clash remains.
    assert api.call("DELETE", f"/v2/apps{child}").status_code == 200
    api.wait_done()
    assert api.post_app(simple(group)).status_code == 422


def test_body_level_errors(api: Marathon) -> None:
    broken = api.call("POST", "/v2/apps", data='{"id": "/x",', headers={"Content-Type": "application/json"})
    assert broken.status_code == 400
    assert broken.json()["message"] == "Invalid JSON"
    assert isinstance(broken.json()["details"], str)
    empty = api.call("POST", "/v2/apps", data="", headers={"Content-Type": "application/json"})
    assert empty.status_code == 400
    assert empty.json()["message"] == "Please specify data in JSON format"
    assert isinstance(empty.json()["details"], str)
    wrong_type = api.call("POST", "/v2/apps", data="{}", headers={"Content-Type": "text/plain"})
    assert (wrong_type.status_code, wrong_type.json()) == (415, {"message": "Unsupported Media Type"})
    not_object = api.call("POST", "/v2/apps", json=[1])
    assert not_object.status_code == 422
    assert not_object.json()["details"] == [{"path": "/", "errors": ["error.expected.jsobject"]}]


def test_post_of_an_existing_app_is_409(api: Marathon) -> None:
    app = simple(unique())
    api.deployed(app)
    response = api.post_app(app)
    assert (response.status_code, response.json()) == (
        409,
        {"message": f"An app with id [{app['id']}] already exists."},
    )


def test_id_normalization(api: Marathon) -> None:
    base = unique("x").rsplit("/", 1)[0]
    response = api.post_app(simple(f"/{base}//a//b/"))
    assert response.status_code == 201
    assert response.json()["id"] == f"{base}/a/b"
    relative = api.post_app(simple(f"{base.lstrip('/')}/rel/../c"))
    assert relative.json()["id"] == f"{base}/c"
    # For PUT the path id wins over the body's.
    put = api.call("PUT", f"/v2/apps{base}/put", json=simple("/somewhere/else"))
    assert put.status_code == 201
    assert put.headers["Location"] == f"{base}/put"
    api.wait_done()
    assert api.call("GET", "/v2/apps/somewhere/else").status_code == 404
    assert api.app(f"{base}/put")["id"] == f"{base}/put"


def test_unknown_ids_are_404_with_marathon_messages(api: Marathon) -> None:
    for method, path in [
        ("GET", "/v2/apps/nope"),
        ("PATCH", "/v2/apps/nope"),
        ("DELETE", "/v2/apps/nope"),
        ("GET", "/v2/apps/nope/versions"),
        ("GET", "/v2/apps/nope/tasks"),
        ("POST", "/v2/apps/nope/restart"),
    ]:
        response = api.call(method, path, json={"cmd": "x"} if method == "PATCH" else None)
        assert (response.status_code, response.json()) == (404, {"message": "App '/nope' does not exist"}), (
            path
        )
    group = api.call("GET", "/v2/apps/nogroup/*")
    assert (group.status_code, group.json()) == (404, {"message": "Group '/nogroup' does not exist"})
    deployment = api.call("DELETE", "/v2/deployments/abc")
    assert (deployment.status_code, deployment.json()) == (
        404,
        {"message": "DeploymentPlan abc does not exist"},
    )


# -- updates -------------------------------------------------------------------------------------------


def test_put_partial_update_keeps_absent_fields_and_replaces_labels(api: Marathon) -> None:
    app_id = unique()
    before = api.deployed(simple(app_id, labels={"A": "1", "B": "2"}, env={"X": "1"}))
    response = api.call("PUT", f"/v2/apps{app_id}", json={"labels": {"C": "3"}})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"deploymentId", "version"}
    assert response.headers["Marathon-Deployment-Id"] == body["deploymentId"]
    api.wait_done()
    after = api.app(app_id)
    assert after["labels"] == {"C": "3"}
    assert after["env"] == {"X": "1"} and after["cmd"] == "sleep 1000" and after["mem"] == 8.0
    assert after["version"] == body["version"] != before["version"]
    assert after["versionInfo"]["lastConfigChangeAt"] == after["version"]


def test_put_full_replacement_resets_to_defaults(api: Marathon) -> None:
    app_id = unique()
    api.deployed(simple(app_id, labels={"A": "1"}, instances=2))
    response = api.call("PUT", f"/v2/apps{app_id}?partialUpdate=false", json={"cmd": "other"})
    assert response.status_code == 200
    api.wait_done()
    app = api.app(app_id)
    assert (app["cmd"], app["labels"], app["instances"], app["mem"]) == ("other", {}, 1, 128.0)


def test_version_in_put_body_is_a_rollback(api: Marathon) -> None:
    app_id = unique()
    original = api.deployed(simple(app_id, labels={"V": "1"}))
    api.call("PUT", f"/v2/apps{app_id}", json={"labels": {"V": "2"}})
    api.wait_done()
    # Echoing the old GET answer back reverts to that version, whatever else the body says.
    echoed = {**original, "labels": {"V": "3"}}
    assert api.call("PUT", f"/v2/apps{app_id}", json=echoed).status_code == 200
    api.wait_done()
    assert api.app(app_id)["labels"] == {"V": "1"}
    missing = api.call("PUT", f"/v2/apps{app_id}", json={"version": "2001-01-01T00:00:00.000Z"})
    assert (missing.status_code, missing.json()) == (
        404,
        {"message": f"App '{app_id}' does not exist in version 2001-01-01T00:00:00.000Z"},
    )


def test_no_op_update_answers_200_without_a_new_version(api: Marathon) -> None:
    app_id = unique()
    before = api.deployed(simple(app_id))
    first = api.call("PUT", f"/v2/apps{app_id}", json={"cmd": "sleep 1000"})
    second = api.call("PUT", f"/v2/apps{app_id}", json={"cmd": "sleep 1000"})
    assert first.status_code == second.status_code == 200
    assert first.json()["deploymentId"] != second.json()["deploymentId"]
    assert api.deployments() == []
    after = api.app(app_id)
    assert (after["version"], after["versionInfo"]) == (before["version"], before["versionInfo"])
    assert [t["id"] for t in after["tasks"]] == [t["id"] for t in before["tasks"]]


def test_put_creates_a_missing_app_with_201(api: Marathon) -> None:
    app_id = unique()
    response = api.call("PUT", f"/v2/apps{app_id}", json=simple(app_id))
    assert response.status_code == 201
    assert response.headers["Location"] == app_id
    assert set(response.json()) == {"deploymentId", "version"}


def test_patch_updates_but_never_creates(api: Marathon) -> None:
    app_id = unique()
    assert api.call("PATCH", f"/v2/apps{app_id}", json={"cmd": "x"}).status_code == 404
    api.deployed(simple(app_id, env={"A": "1"}))
    response = api.call("PATCH", f"/v2/apps{app_id}", json={"instances": 2})
    assert response.status_code == 200
    api.wait_done()
    app = api.app(app_id)
    assert (app["instances"], app["tasksRunning"], app["env"]) == (2, 2, {"A": "1"})


def test_scale_only_change_is_a_scale_deployment(api: Marathon) -> None:
    api.box.control(deploy_seconds=5)
    app_id = unique()
    api.post_app(simple(app_id))
    api.call("DELETE", f"/v2/deployments/{api.deployments()[0]['id']}?force=true")
    before = api.app(app_id)
    response = api.call("PUT", f"/v2/apps{app_id}", json={"instances": 3})
    [deployment] = api.deployments()
    assert deployment["steps"] == [{"actions": [{"action": "ScaleApplication", "app": app_id}]}]
    assert deployment["id"] == response.json()["deploymentId"]
    api.box.control(deploy_seconds=DEPLOY_SECONDS)
    api.wait_done()
    after = api.app(app_id)
    assert after["tasksRunning"] == 3
    assert after["versionInfo"]["lastConfigChangeAt"] == before["versionInfo"]["lastConfigChangeAt"]
    assert after["versionInfo"]["lastScalingAt"] == after["version"] != before["version"]


def test_put_and_patch_of_a_list_of_apps(api: Marathon) -> None:
    a, b = unique(), unique()
    api.deployed(simple(a))
    response = api.call("PUT", "/v2/apps", json=[{"id": a, "instances": 2}, simple(b)])
    assert response.status_code == 200
    api.wait_done()
    assert api.app(a)["instances"] == 2 and api.app(b)["tasksRunning"] == 1
    assert api.call("PATCH", "/v2/apps", json=[{"id": unique(), "cmd": "x"}]).status_code == 404


# -- deployments, locks and tasks --------------------------------------------------------------------------


def test_deployment_lifecycle_and_step_names(api: Marathon) -> None:
    api.box.control(deploy_seconds=30)
    app_id = unique()
    created = api.post_app(simple(app_id))
    [start] = api.deployments()
    assert start["id"] == created.headers["Marathon-Deployment-Id"]
    assert start["affectedApps"] == [app_id] and start["affectedPods"] == []
    assert start["steps"] == [
        {"actions": [{"action": "StartApplication", "app": app_id}]},
        {"actions": [{"action": "ScaleApplication", "app": app_id}]},
    ]
    assert start["totalSteps"] == 2 and start["currentStep"] in (1, 2)
    assert start["currentActions"][0]["readinessCheckResults"] == []
    assert api.app(app_id)["deployments"] == [{"id": start["id"]}]

    restart = api.call("PUT", f"/v2/apps{app_id}?force=true", json={"cmd": "sleep 2000"})
    [config] = api.deployments()
    assert config["id"] == restart.json()["deploymentId"] != start["id"]
    assert config["steps"] == [{"actions": [{"action": "RestartApplication", "app": app_id}]}]

    deleted = api.call("DELETE", f"/v2/apps{app_id}")
    assert deleted.status_code == 200
    [stop] = api.deployments()
    assert stop["steps"] == [{"actions": [{"action": "StopApplication", "app": app_id}]}]
    # Until the stop is done the app is still visible, with its deployment.
    assert api.app(app_id)["deployments"] == [{"id": stop["id"]}]
    api.box.control(deploy_seconds=DEPLOY_SECONDS)
    api.wait_done()
    assert api.call("GET", f"/v2/apps{app_id}").status_code == 404


def test_writes_meet_the_lock_until_the_deployment_is_done(api: Marathon) -> None:
    api.box.control(deploy_seconds=30)
    app_id = unique()
    deployment_id = api.post_app(simple(app_id)).headers["Marathon-Deployment-Id"]
    expected = {"message": LOCKED, "deployments": [{"id": deployment_id}]}
    for method, path, body in [
        ("PUT", f"/v2/apps{app_id}", {"cmd": "x"}),
        ("PATCH", f"/v2/apps{app_id}", {"cmd": "x"}),
        ("POST", f"/v2/apps{app_id}/restart", None),
        ("DELETE", f"/v2/apps{app_id}?force=false", None),
    ]:
        response = api.call(method, path, json=body)
        assert (response.status_code, response.json()) == (409, expected), method
    forced = api.call("PUT", f"/v2/apps{app_id}?force=true", json={"cmd": "x"})
    assert forced.status_code == 200
    assert [d["id"] for d in api.deployments()] == [forced.json()["deploymentId"]]
    # DELETE is forced by default.
    assert api.call("DELETE", f"/v2/apps{app_id}").status_code == 200


def test_restart_runs_old_and_new_tasks_side_by_side(api: Marathon) -> None:
    api.box.control(deploy_seconds=0.6)
    app_id = unique()
    api.post_app(simple(app_id))
    api.wait_done()
    [old] = api.app(app_id)["tasks"]
    response = api.call("POST", f"/v2/apps{app_id}/restart")
    assert response.status_code == 200
    both = api.box.wait_until(
        lambda: (
            [t for t in api.app(app_id)["tasks"] if t["state"] == "TASK_RUNNING"]
            if len([t for t in api.app(app_id)["tasks"] if t["state"] == "TASK_RUNNING"]) == 2
            else None
        ),
        timeout=5,
        interval=0.02,
        what="two running tasks during the restart",
    )
    assert old["id"] in {t["id"] for t in both}
    api.wait_done()
    [new] = api.app(app_id)["tasks"]
    assert new["id"] != old["id"] and new["state"] == "TASK_RUNNING"
    assert new["version"] == api.app(app_id)["version"]


def test_kill_first_upgrade_strategy_never_runs_two_tasks(api: Marathon) -> None:
    api.box.control(deploy_seconds=0.6)
    app_id = unique()
    api.post_app(simple(app_id, upgradeStrategy={"minimumHealthCapacity": 0, "maximumOverCapacity": 0}))
    api.wait_done()
    api.call("PUT", f"/v2/apps{app_id}", json={"labels": {"NEW": "1"}})
    deadline = time.monotonic() + 0.6
    while time.monotonic() < deadline:
        assert len(api.app(app_id)["tasks"]) <= 1
        time.sleep(0.05)
    api.wait_done()
    assert api.app(app_id)["tasksRunning"] == 1


def test_tasks_endpoint_and_embed(api: Marathon) -> None:
    app_id = unique()
    api.deployed(simple(app_id, instances=2, labels={"team": "a", "tier": "web"}))
    tasks = api.call("GET", f"/v2/apps{app_id}/tasks").json()["tasks"]
    assert len(tasks) == 2
    safe = app_id.strip("/").replace("/", "_")
    assert all(t["id"].startswith(safe + ".") for t in tasks)
    assert len({t["ports"][0] for t in tasks}) == 2
    listing = api.call("GET", "/v2/apps", params={"id": app_id.upper()}).json()["apps"]
    assert [a["id"] for a in listing] == [app_id]
    assert "tasks" not in listing[0] and listing[0]["tasksRunning"] == 2 and listing[0]["deployments"] == []
    embedded = api.call("GET", "/v2/apps", params={"id": app_id, "embed": "apps.tasks"}).json()["apps"]
    assert len(embedded[0]["tasks"]) == 2
    selected = api.call("GET", "/v2/apps", params={"label": "team==a,tier in (web, db)"}).json()["apps"]
    assert app_id in [a["id"] for a in selected]
    assert api.call("GET", "/v2/apps", params={"label": "team!=a", "id": app_id}).json()["apps"] == []
    group = app_id.rsplit("/", 1)[0]
    assert [a["id"] for a in api.call("GET", f"/v2/apps{group}/*").json()["*"]] == [app_id]


def test_versions(api: Marathon) -> None:
    app_id = unique()
    first = api.deployed(simple(app_id))
    api.call("PUT", f"/v2/apps{app_id}", json={"cmd": "sleep 5"})
    api.wait_done()
    second = api.app(app_id)
    versions = api.call("GET", f"/v2/apps{app_id}/versions").json()
    assert versions == {"versions": [second["version"], first["version"]]}
    old = api.call("GET", f"/v2/apps{app_id}/versions/{first['version']}").json()
    assert old["cmd"] == "sleep 1000" and "tasks" not in old and "tasksRunning" not in old
    missing = api.call("GET", f"/v2/apps{app_id}/versions/2001-01-01T00:00:00.000Z")
    assert missing.status_code == 404
    assert missing.json()["message"] == f"App '{app_id}' does not exist in version 2001-01-01T00:00:00.000Z"


def test_cancel_deployment_with_rollback_and_with_force(api: Marathon) -> None:
    api.box.control(deploy_seconds=30)
    app_id = unique()
    first = api.post_app(simple(app_id)).headers["Marathon-Deployment-Id"]
    rollback = api.call("DELETE", f"/v2/deployments/{first}")
    assert rollback.status_code == 200
    assert set(rollback.json()) == {"deploymentId", "version"}
    [revert] = api.deployments()
    assert revert["id"] == rollback.json()["deploymentId"]
    assert revert["steps"] == [{"actions": [{"action": "StopApplication", "app": app_id}]}]
    forced = api.call("DELETE", f"/v2/deployments/{revert['id']}?force=true")
    assert (forced.status_code, forced.content) == (202, b"")
    assert api.deployments() == []


def test_stalled_deployment_never_finishes_and_reports_task_failures(api: Marathon) -> None:
    api.box.control(stall_deployments=True, deploy_seconds=0.1)
    app_id = unique()
    api.post_app(simple(app_id))
    app = api.box.wait_until(
        lambda: (a := api.app(app_id)).get("lastTaskFailure") and a, timeout=5, what="a task failure"
    )
    failure = app["lastTaskFailure"]
    assert failure["state"] == "TASK_FAILED" and failure["appId"] == app_id
    assert "no offers matched" in failure["message"]
    assert set(failure) >= {"host", "taskId", "timestamp", "version"}
    time.sleep(0.3)
    app = api.app(app_id)
    assert len(app["deployments"]) == 1 and app["tasksRunning"] == 0 and app["tasksStaged"] == 1
    assert app["tasks"][0]["state"] == "TASK_STAGING"
    # Retries get fresh task ids.
    assert app["tasks"][0]["id"] != failure["taskId"]
    api.box.control(stall_deployments=False)
    api.wait_done()
    assert api.app(app_id)["tasksRunning"] == 1
    # Not listed when there never was a failure.
    other = api.deployed(simple(unique()))
    assert "lastTaskFailure" not in other


def test_too_many_deployments_is_403(api: Marathon) -> None:
    api.box.control(max_running_deployments=1, deploy_seconds=30)
    assert api.post_app(simple(unique())).status_code == 201
    response = api.post_app(simple(unique()))
    assert response.status_code == 403
    assert response.json()["message"].startswith("Max number (1) of running deployments is achieved.")
    api.box.control(deploy_seconds=DEPLOY_SECONDS)
    api.wait_done()


def test_info_leader_and_ping(api: Marathon) -> None:
    info = api.call("GET", "/v2/info").json()
    assert info["name"] == "marathon" and info["version"] == "1.10.6"
    config = info["marathon_config"]
    assert (config["local_port_min"], config["local_port_max"], config["mesos_role"]) == (
        10000,
        20000,
        "slave_public",
    )
    assert api.call("GET", "/v2/leader").json() == {"leader": info["leader"]}
    ping = api.call("GET", "/ping")
    assert (ping.status_code, ping.text) == (200, "pong")
    assert ping.headers["Content-Type"].startswith("text/plain")
    unknown = api.call("GET", "/v2/unknown")
    assert unknown.status_code == 404 and unknown.json() == {"message": "URI not found"}
