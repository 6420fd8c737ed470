"""EdgeLBPool under the real Pulumi engine against localdcos's Edge-LB over real HTTP."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pulumi import automation as auto

from tests.e2e.conftest import Engine, count
from tests.e2e.test_marathon_app_e2e import WRITE_METHODS
from tests.provider.test_edgelb_validation import SEED_POOL

pytestmark = pytest.mark.e2e

POOL_NAME = SEED_POOL["name"]
POOL_PATH = f"/service/edgelb/v2/pools/{POOL_NAME}"
PLAN_PATH = f"/service/dcos-edgelb/pools/{POOL_NAME}/v1/plans/deploy"


def connect(engine: Engine, sandbox: Any, pool: dict[str, Any]) -> str:
    token: str = sandbox.admin_token()
    engine.runner.set_config("dcos:url", sandbox.url)
    engine.runner.set_config("dcos:token", token, secret=True)
    engine.runner.set_config("pool", json.dumps(pool))
    return token


def live_pool(sandbox: Any, token: str) -> dict[str, Any] | None:
    response = sandbox.request("GET", POOL_PATH, token=token)
    if response.status_code == 404:
        return None
    response.raise_for_status()
    pool: dict[str, Any] = response.json()
    return pool


def edgelb_writes(sandbox: Any) -> list[dict[str, Any]]:
    return [
        r for r in sandbox.requests() if r["method"] in WRITE_METHODS and r["path"].startswith("/service/")
    ]


def test_up_preview_change_refresh_destroy(sandbox: Any, edgelb_project: Engine) -> None:
    engine = edgelb_project
    token = connect(engine, sandbox, SEED_POOL)

    engine.runner.up()
    assert live_pool(sandbox, token) is not None
    assert sandbox.request("GET", PLAN_PATH, token=token).status_code == 200
    outputs = engine.runner.outputs()
    assert outputs["poolName"].value == POOL_NAME and outputs["state"].value == "COMPLETE"
    lbconfig = sandbox.request("GET", f"{POOL_PATH}/lbconfig", token=token).text
    assert "kube-control-plane" in lbconfig or "6443" in lbconfig

    engine.runner.preview(expect_no_changes=True)

    changed = copy.deepcopy(SEED_POOL)
    changed["haproxy"]["stats"]["bindAddress"] = "127.0.0.1"
    engine.runner.set_config("pool", json.dumps(changed))
    engine.output.clear()
    preview = engine.runner.preview()
    assert count(preview.change_summary, "update") == 1
    changes = [
        " ".join(line.split()) for line in engine.output if "=>" in line or line.strip().startswith("+ ")
    ]
    assert changes == ['+ bindAddress: "127.0.0.1"'], engine.text

    engine.output.clear()
    engine.runner.up()
    assert "reloads HAProxy" in engine.text
    assert live_pool(sandbox, token)["haproxy"]["stats"]["bindAddress"] == "127.0.0.1"  # type: ignore[index]
    engine.runner.preview(expect_no_changes=True)

    # A relaunching change says so.
    relaunched = copy.deepcopy(changed)
    relaunched["count"] = 2
    engine.runner.set_config("pool", json.dumps(relaunched))
    engine.output.clear()
    engine.runner.up()
    assert "relaunches the pool's load-balancer tasks" in engine.text
    assert engine.runner.outputs()["lastChange"].value == "relaunch"

    # Out-of-band edit: refresh shows it, up converges back.
    edited = live_pool(sandbox, token)
    assert edited is not None
    edited["haproxy"]["stats"]["bindAddress"] = "0.0.0.0"
    assert sandbox.request("PUT", POOL_PATH, json=edited, token=token).status_code == 200
    engine.output.clear()
    refresh = engine.runner.refresh()
    assert count(refresh.summary.resource_changes, "update") == 1
    assert "0.0.0.0" in engine.text
    engine.runner.up()
    assert live_pool(sandbox, token)["haproxy"]["stats"]["bindAddress"] == "127.0.0.1"  # type: ignore[index]

    engine.runner.destroy()
    assert live_pool(sandbox, token) is None
    assert sandbox.request("GET", PLAN_PATH, token=token).status_code == 404
    assert token not in engine.text and token not in engine.state_files_text()


def test_timeout_trap_converges_to_the_saved_pool(sandbox: Any, edgelb_project: Engine) -> None:
    engine = edgelb_project
    token = connect(engine, sandbox, SEED_POOL)
    sandbox.control(edgelb_timeout_trap=True)
    engine.runner.up()
    sandbox.control(edgelb_timeout_trap=False)
    posts = [
        r for r in sandbox.requests() if r["method"] == "POST" and r["path"] == "/service/edgelb/v2/pools"
    ]
    assert [r["status"] for r in posts] == [500]
    pools = sandbox.request("GET", "/service/edgelb/v2/pools", token=token).json()
    assert [p["name"] for p in pools] == [POOL_NAME]
    engine.runner.preview(expect_no_changes=True)
    engine.runner.destroy()


def test_stalled_pool_times_out_clearly(sandbox: Any, edgelb_project: Engine) -> None:
    engine = edgelb_project
    token = connect(engine, sandbox, SEED_POOL)
    engine.runner.set_config("waitTimeoutSeconds", "3")
    sandbox.control(stall_pools=True)
    with pytest.raises(auto.CommandError):
        engine.runner.up()
    assert f"pool {POOL_NAME} did not come up within 3s" in engine.text
    assert "deleted again" in engine.text
    assert live_pool(sandbox, token) is None


def test_bad_pools_fail_at_preview_without_a_write(sandbox: Any, edgelb_project: Engine) -> None:
    engine = edgelb_project
    bad = copy.deepcopy(SEED_POOL)
    bad["haproxy"]["backends"][0]["services"][0]["mesos"]["frameworkName"] = "/kubernetes-cluster"
    bad["haproxy"]["stats"]["bindPort"] = 6443
    bad["haproxy"]["backends"].append({"name": "orphan", "protocol": "HTTP", "services": []})
    connect(engine, sandbox, bad)
    sandbox.clear_requests()
    with pytest.raises(auto.CommandError):
        engine.runner.preview()
    assert "pool.haproxy.backends[0].services[0].mesos.frameworkName" in engine.text
    assert "duplicate bindPort: 6443" in engine.text
    assert "do not refer to these backends: orphan" in engine.text
    assert edgelb_writes(sandbox) == []
