"""Pool schedulers as Admin Router reaches them: any namespace, reloads that keep the plan, and
relaunches that restart the scheduler (old plan, no scheduler, new plan)."""

from __future__ import annotations

import time

import pytest
import requests

from tests.localdcos.edgelb_helpers import POOLS, SCHEDULER, SEED, Api, frontend, seed
from tests.sandbox import Sandbox

SERVICE_NOT_FOUND = (404, "404 Not Found: service not found.")


@pytest.fixture
def api(sandbox: Sandbox) -> Api:
    sandbox.control(pool_deploy_seconds=0.3, pool_delete_seconds=0.3)
    return Api(sandbox)


def answer(r: requests.Response) -> tuple[int, str]:
    return r.status_code, r.text


def test_a_pool_in_another_namespace_has_its_scheduler_there(api: Api) -> None:
    ns = "/service/team-a/lbs"
    assert api.post(POOLS, json=seed(name="blue", namespace="team-a/lbs")).status_code == 200
    assert api.get(f"{ns}/blue/v1/plans/deploy").status_code == 202
    assert api.wait_plan("blue", 200, scheduler=ns).json()["status"] == "COMPLETE"
    assert api.get(f"{ns}/blue/v1/plans").json() == ["deploy", "update"]
    assert api.get(f"{ns}/blue/v1/pod").json() == ["edgelb-pool-0"]
    info = api.get(f"{ns}/blue/v1/pod/edgelb-pool-0/info").json()
    assert info[0]["info"]["name"] == "edgelb-pool-0-server"
    assert api.get(f"{ns}/blue/v1/endpoints").json() == ["p6090", "p6443"]
    assert api.get(f"{ns}/blue/v1/endpoints/p6443").json()["dns"] == [
        "edgelb-pool-0-server.team-albsblue.autoip.dcos.thisdcos.directory:6443"
    ]
    # Only there: the default namespace, or a wrong one, has no such service.
    assert answer(api.get(f"{SCHEDULER}/blue/v1/plans/deploy")) == SERVICE_NOT_FOUND
    assert answer(api.get("/service/team-a/blue/v1/plans/deploy")) == SERVICE_NOT_FOUND
    assert answer(api.get("/service/team-b/lbs/blue/v1/plans/deploy")) == SERVICE_NOT_FOUND
    # A namespace change is still refused.
    moved = api.put(f"{POOLS}/blue", json=seed(name="blue"))
    assert moved.status_code == 400 and "changing namespace" in moved.json()["message"]
    # Deleted: the uninstall plan answers where the scheduler was, until it is done.
    assert api.delete(f"{POOLS}/blue").status_code == 204
    assert api.get(f"{ns}/blue/v1/plans/deploy").json()["phases"][0]["name"] == "kill-tasks"
    assert answer(api.wait_plan("blue", 404, scheduler=ns)) == SERVICE_NOT_FOUND


def test_a_single_segment_and_a_root_namespace(api: Api) -> None:
    assert api.post(POOLS, json=seed(name="solo", namespace="lbs")).status_code == 200
    assert api.wait_plan("solo", 200, scheduler="/service/lbs").status_code == 200
    # A root-level service name (an empty namespace): /service/<name>/...
    root = seed(name="rooted", namespace="")
    root["haproxy"]["frontends"][0]["bindPort"] = 7443
    root["haproxy"]["stats"]["bindPort"] = 7090
    assert api.post(POOLS, json=root).status_code == 200
    assert api.wait_plan("rooted", 200, scheduler="/service").status_code == 200
    redirect = api.get("/service/rooted")
    assert (redirect.status_code, redirect.headers["Location"]) == (301, "/service/rooted/")


def test_unknown_services_get_admin_routers_text_404(api: Api) -> None:
    for path in (
        f"{SCHEDULER}/nothing/v1/plans/deploy",
        "/service/nothing/v1/plans/deploy",
        "/service/a/b/c/d/e/f/g/h/i/j/k/v1/plans",
    ):
        assert answer(api.get(path)) == SERVICE_NOT_FOUND, path
        assert api.get(path).headers["Content-Type"].startswith("text/plain")


def test_the_shortest_known_prefix_wins(api: Api) -> None:
    # Admin Router resolves `/service/edgelb/...` to Edge-LB's API before it tries longer names,
    # so a pool in namespace `edgelb` cannot be reached through Admin Router.
    assert api.post(POOLS, json=seed(name="hidden", namespace="edgelb")).status_code == 200
    time.sleep(0.4)
    r = api.get("/service/edgelb/hidden/v1/plans/deploy")
    assert r.status_code == 404 and r.text != SERVICE_NOT_FOUND[1]


def _plan_ids(response: requests.Response) -> list[str]:
    return [p["id"] for p in response.json()["phases"]]


def _observe_relaunch(api: Api, name: str, timeout: float = 10.0) -> list[tuple[int, str]]:
    """What a client polling the deploy plan sees, as (status, what) at each change, until the new
    plan is COMPLETE: what = the plan's phase ids, or the text/HTML Admin Router answered."""
    seen: list[tuple[int, str]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = api.get(f"{SCHEDULER}/{name}/v1/plans/deploy")
        content_type = r.headers.get("Content-Type", "")
        what = ",".join(_plan_ids(r)) if content_type.startswith("application/json") else content_type
        if not seen or seen[-1] != (r.status_code, what):
            seen.append((r.status_code, what))
        if len(seen) > 1 and r.status_code == 200:
            return seen
        time.sleep(0.03)
    raise AssertionError(f"the relaunch did not complete: {seen}")


def test_reload_keeps_the_plan(api: Api) -> None:
    name = "edgelb-kubernetes-cluster"
    api.post(POOLS, json=SEED)
    before = _plan_ids(api.wait_plan(name, 200))
    data = seed()
    frontend(data)["miscStrs"] = ["timeout client 86400s"]
    r = api.put(f"{POOLS}/{name}", json=data)
    assert r.headers["X-Localdcos-Pool-Update"] == "reload"
    after = api.get(f"{SCHEDULER}/{name}/v1/plans/deploy")
    assert (after.status_code, _plan_ids(after)) == (200, before)
    assert "  timeout client 86400s\n" in api.get(f"{POOLS}/{name}/lbconfig").text


def test_relaunch_restarts_the_scheduler(api: Api) -> None:
    # Cosmos updates the scheduler's Marathon app (kill before start): the old plan lingers, then no
    # scheduler answers (Admin Router: 502, then its text 404), then the new plan runs.
    api.set_options(pool_scheduler_restart_seconds=0.5, pool_scheduler_gap_seconds=0.6)
    name = "edgelb-kubernetes-cluster"
    api.post(POOLS, json=SEED)
    old = ",".join(_plan_ids(api.wait_plan(name, 200)))
    r = api.put(f"{POOLS}/{name}", json=seed(mem=2048))
    assert r.headers["X-Localdcos-Pool-Update"] == "relaunch"
    # The stored config changes at once; haproxy.cfg stays readable throughout.
    assert api.get(f"{POOLS}/{name}").json()["mem"] == 2048
    seen = _observe_relaunch(api, name)
    assert api.get(f"{POOLS}/{name}/lbconfig").status_code == 200
    statuses = [status for status, _ in seen]
    assert statuses == [200, 502, 404, 202, 200], seen
    assert seen[0][1] == old
    assert seen[1][1].startswith("text/html") and seen[2][1].startswith("text/plain")
    new = seen[3][1]
    assert new != old and seen[4][1] == new
    history = api.sandbox.plan_history()
    assert [(h["kind"], h["pool"]) for h in history] == [("install", name), ("relaunch", name)]
    relaunch = history[1]
    assert relaunch["created"] < relaunch["started"] <= relaunch["finished"]
    assert relaunch["started"] - relaunch["created"] >= 1.1 - 0.01


def test_relaunch_during_a_restart_waits_for_the_same_old_scheduler(api: Api) -> None:
    api.set_options(pool_scheduler_restart_seconds=0.4, pool_scheduler_gap_seconds=0.4)
    name = "edgelb-kubernetes-cluster"
    api.post(POOLS, json=SEED)
    old = _plan_ids(api.wait_plan(name, 200))
    api.put(f"{POOLS}/{name}", json=seed(mem=2048))
    api.put(f"{POOLS}/{name}", json=seed(mem=4096))
    r = api.get(f"{SCHEDULER}/{name}/v1/plans/deploy")
    assert (r.status_code, _plan_ids(r)) == (200, old)
    seen = _observe_relaunch(api, name)
    assert [status for status, _ in seen] == [200, 502, 404, 202, 200], seen
    pods = api.get(f"{SCHEDULER}/{name}/v1/pod/edgelb-pool-0/info").json()
    assert [e["status"]["state"] for e in pods] == ["TASK_RUNNING", "TASK_FINISHED"]
