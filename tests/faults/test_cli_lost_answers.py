"""Lost and late answers, through the plain `pulumi` CLI: the real engine against localdcos behind
the fault proxy. Every write goes out once; the provider reads back what happened and follows it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.faults.cli_support import (
    APP_PATH,
    APP_PROJECT,
    POOL_PATH,
    app_stack,
    assert_converged,
    owner_of,
    pool_stack,
)
from tests.faults.harness import APP_ID, APPS, POOL_NAME, POOLS, writes
from tests.faults.proxy import FaultProxy, Rule
from tests.sandbox import Sandbox
from tests.seed_documents import seed_app, seed_pool

pytestmark = pytest.mark.e2e

MARATHON = "^/service/marathon/"


def test_lost_answer_to_post(tmp_path: Path, engine: Path, sandbox: Sandbox, proxy: FaultProxy) -> None:
    stack = app_stack(tmp_path, engine, sandbox, proxy)
    proxy.add(Rule.drop("POST", f"^{APPS}$"))
    up = stack.cli.up().check()
    assert "created" in up.output
    assert len(writes(sandbox, "POST", APPS)) == 1  # read back, never sent twice
    assert stack.cli.outputs()["deploymentId"]  # the deployment found on the app it read back
    assert_converged(stack, apps_=(APP_ID,), owner=owner_of(APP_PROJECT, "app"))


def test_lost_answer_to_put(tmp_path: Path, engine: Path, sandbox: Sandbox, proxy: FaultProxy) -> None:
    sandbox.control(pool_deploy_seconds=0.3, pool_delete_seconds=0.2)
    stack = pool_stack(tmp_path, engine, sandbox, proxy)
    stack.cli.up().check()
    changed = seed_pool()
    changed["haproxy"]["stats"]["bindAddress"] = "127.0.0.1"
    stack.set_pool(changed)
    proxy.add(Rule.drop("PUT", f"^{POOL_PATH}$"))
    stack.cli.up().check()
    assert len(writes(sandbox, "PUT", POOL_PATH)) == 1
    live = sandbox.request("GET", POOL_PATH, token=sandbox.admin_token()).json()
    assert live["haproxy"]["stats"]["bindAddress"] == "127.0.0.1"
    assert_converged(stack, pools_=(POOL_NAME,))


def test_lost_answer_to_delete(tmp_path: Path, engine: Path, sandbox: Sandbox, proxy: FaultProxy) -> None:
    """A new app id replaces the app (the new one first); the old one's DELETE loses its answer,
    and the provider still waits until the old app is gone."""
    stack = app_stack(tmp_path, engine, sandbox, proxy)
    stack.cli.up().check()
    sandbox.control(deploy_seconds=0.5)
    stack.set_definition({**seed_app(), "id": "/marathon-lb-moved"})
    proxy.add(Rule.drop("DELETE", f"^{APP_PATH}$"))
    up = stack.cli.up().check()
    assert "replaced" in up.output
    assert len(writes(sandbox, "DELETE", APP_PATH)) == 1
    assert_converged(stack, apps_=("/marathon-lb-moved",))


def test_504_after_the_write_was_applied(
    tmp_path: Path, engine: Path, sandbox: Sandbox, proxy: FaultProxy
) -> None:
    stack = app_stack(tmp_path, engine, sandbox, proxy)
    stack.cli.up().check()
    changed = seed_app()
    changed["labels"]["HAPROXY_GROUP"] = "internal"
    stack.set_definition(changed)
    proxy.add(Rule.status_after("PUT", f"^{APP_PATH}$", 504))
    stack.cli.up().check()
    assert [r["status"] for r in writes(sandbox, "PUT", APP_PATH)] == [200]  # applied once
    assert [s.rule for s in proxy.requests("PUT", f"^{APP_PATH}$")] == ["status_after"]
    live = sandbox.request("GET", APP_PATH, token=sandbox.admin_token()).json()["app"]
    assert live["labels"]["HAPROXY_GROUP"] == "internal"
    assert_converged(stack, apps_=(APP_ID,))


def test_admin_router_404_and_503_bursts_during_the_wait(
    tmp_path: Path, engine: Path, sandbox: Sandbox, proxy: FaultProxy
) -> None:
    stack = app_stack(tmp_path, engine, sandbox, proxy)
    sandbox.control(deploy_seconds=1.0)
    proxy.add(
        Rule.service_not_found("/v2/deployments$", times=4),
        Rule.unavailable(f"^{APP_PATH}$", method="GET", times=8),
    )
    stack.cli.up().check()
    assert [s.rule for s in proxy.requests("GET", "/v2/deployments$")].count("respond") == 4
    assert writes(sandbox, "DELETE", APP_PATH) == []  # no rollback of a healthy app
    assert_converged(stack, apps_=(APP_ID,))


def test_leader_gap_during_the_create(
    tmp_path: Path, engine: Path, sandbox: Sandbox, proxy: FaultProxy
) -> None:
    """Marathon loses its leader right after storing the app: for two seconds Admin Router answers
    `404 Not Found: service not found.` for everything Marathon (the sandbox's `leader` knob)."""
    stack = app_stack(tmp_path, engine, sandbox, proxy)
    sandbox.control(deploy_seconds=1.0)
    gap: list[float] = []

    def leader_gap() -> None:
        deadline = time.monotonic() + 120
        while not proxy.requests("POST", f"^{APPS}$") and time.monotonic() < deadline:
            time.sleep(0.02)
        sandbox.control(leader=False)
        gap.append(time.monotonic())
        time.sleep(2.0)
        sandbox.control(leader=True)

    thread = threading.Thread(target=leader_gap, daemon=True)
    thread.start()
    try:
        stack.cli.up().check()
    finally:
        thread.join(timeout=130)
        sandbox.control(leader=True)
    assert gap, "the create never posted"
    refused = [
        r for r in sandbox.requests() if r["status"] == 404 and r["path"].startswith("/service/marathon")
    ]
    assert refused, "the leader gap was not seen"
    assert writes(sandbox, "DELETE", APP_PATH) == []
    assert_converged(stack, apps_=(APP_ID,))


def test_plan_endpoint_bursts_during_a_pool_wait(
    tmp_path: Path, engine: Path, sandbox: Sandbox, proxy: FaultProxy
) -> None:
    """The pool's scheduler answers 500 once, then Admin Router's text 404 and a 503 burst."""
    sandbox.control(pool_deploy_seconds=1.0, pool_delete_seconds=0.2)
    stack = pool_stack(tmp_path, engine, sandbox, proxy)
    plan = f"^/service/dcos-edgelb/pools/{POOL_NAME}/v1/plans/deploy$"
    proxy.add(
        Rule.respond(plan, 500, {"message": "plan manager not ready"}, times=1),
        Rule.service_not_found(plan, times=2),
        Rule.unavailable(plan, times=3),
    )
    stack.cli.up().check()
    assert [s.rule for s in proxy.requests("GET", plan)][:6] == ["respond"] * 6
    assert writes(sandbox, "DELETE", f"{POOLS}/{POOL_NAME}") == []
    assert_converged(stack, pools_=(POOL_NAME,))
