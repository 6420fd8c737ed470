"""EdgeLBPool under the real Pulumi engine (plain `pulumi` CLI) against localdcos's Edge-LB over
real HTTP."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.e2e.support import diff_lines, service_writes
from tests.pulumi_cli import PulumiCli, planned_changes
from tests.seed_documents import seed_pool

pytestmark = pytest.mark.e2e

SEED_POOL = seed_pool()
POOL_NAME = SEED_POOL["name"]
POOL_PATH = f"/service/edgelb/v2/pools/{POOL_NAME}"
PLAN_PATH = f"/service/dcos-edgelb/pools/{POOL_NAME}/v1/plans/deploy"


def connect(cli: PulumiCli, sandbox: Any, pool: dict[str, Any]) -> str:
    token: str = sandbox.admin_token()
    cli.set_config("dcos:url", sandbox.url)
    cli.set_config("dcos:token", token, secret=True)
    cli.set_config("pool", json.dumps(pool))
    return token


def live_pool(sandbox: Any, token: str) -> dict[str, Any] | None:
    response = sandbox.request("GET", POOL_PATH, token=token)
    if response.status_code == 404:
        return None
    response.raise_for_status()
    pool: dict[str, Any] = response.json()
    return pool


def test_up_preview_change_refresh_destroy(sandbox: Any, edgelb_project: PulumiCli) -> None:
    cli = edgelb_project
    token = connect(cli, sandbox, SEED_POOL)

    cli.up().check()
    assert live_pool(sandbox, token) is not None
    assert sandbox.request("GET", PLAN_PATH, token=token).status_code == 200
    outputs = cli.outputs()
    assert outputs["poolName"] == POOL_NAME and outputs["state"] == "COMPLETE"
    lbconfig = sandbox.request("GET", f"{POOL_PATH}/lbconfig", token=token).text
    assert "kube-control-plane" in lbconfig or "6443" in lbconfig

    cli.preview(expect_no_changes=True).check()

    changed = copy.deepcopy(SEED_POOL)
    changed["haproxy"]["stats"]["bindAddress"] = "127.0.0.1"
    cli.set_config("pool", json.dumps(changed))
    preview = cli.preview().check()
    assert diff_lines(preview.output, "+ ") == ['+ bindAddress: "127.0.0.1"'], preview.output
    _, plan = cli.preview_json()
    assert planned_changes(plan)["update"] == 1

    up = cli.up().check()
    assert "reloads HAProxy" in up.output
    assert live_pool(sandbox, token)["haproxy"]["stats"]["bindAddress"] == "127.0.0.1"  # type: ignore[index]
    cli.preview(expect_no_changes=True).check()

    # A relaunching change says so.
    relaunched = copy.deepcopy(changed)
    relaunched["count"] = 2
    cli.set_config("pool", json.dumps(relaunched))
    up = cli.up().check()
    assert "relaunches the pool's load-balancer tasks" in up.output
    assert cli.outputs()["lastChange"] == "relaunch"

    # Out-of-band edit: refresh shows it, up converges back.
    edited = live_pool(sandbox, token)
    assert edited is not None
    edited["haproxy"]["stats"]["bindAddress"] = "0.0.0.0"
    assert sandbox.request("PUT", POOL_PATH, json=edited, token=token).status_code == 200
    refresh = cli.refresh("--diff").check()
    assert cli.last_changes()["update"] == 1
    assert "0.0.0.0" in refresh.output
    cli.up().check()
    assert live_pool(sandbox, token)["haproxy"]["stats"]["bindAddress"] == "127.0.0.1"  # type: ignore[index]

    cli.destroy().check()
    assert live_pool(sandbox, token) is None
    assert sandbox.request("GET", PLAN_PATH, token=token).status_code == 404
    assert token not in cli.text and token not in cli.state_files_text()


def test_timeout_trap_converges_to_the_saved_pool(sandbox: Any, edgelb_project: PulumiCli) -> None:
    cli = edgelb_project
    token = connect(cli, sandbox, SEED_POOL)
    sandbox.control(edgelb_timeout_trap=True)
    cli.up().check()
    sandbox.control(edgelb_timeout_trap=False)
    posts = [
        r for r in sandbox.requests() if r["method"] == "POST" and r["path"] == "/service/edgelb/v2/pools"
    ]
    assert [r["status"] for r in posts] == [500]
    pools = sandbox.request("GET", "/service/edgelb/v2/pools", token=token).json()
    assert [p["name"] for p in pools] == [POOL_NAME]
    cli.preview(expect_no_changes=True).check()
    cli.destroy().check()


def test_stalled_pool_times_out_clearly(sandbox: Any, edgelb_project: PulumiCli) -> None:
    cli = edgelb_project
    token = connect(cli, sandbox, SEED_POOL)
    cli.set_config("waitTimeoutSeconds", "3")
    sandbox.control(stall_pools=True)
    result = cli.up()
    assert not result.ok
    assert f"pool {POOL_NAME} did not come up within 3s" in result.output
    assert "deleted again" in result.output
    assert live_pool(sandbox, token) is None


def test_bad_pools_fail_at_preview_without_a_write(sandbox: Any, edgelb_project: PulumiCli) -> None:
    cli = edgelb_project
    bad = copy.deepcopy(SEED_POOL)
    bad["haproxy"]["backends"][0]["services"][0]["mesos"]["frameworkName"] = "/kubernetes-cluster"
    bad["haproxy"]["stats"]["bindPort"] = 6443
    bad["haproxy"]["backends"].append({"name": "orphan", "protocol": "HTTP", "services": []})
    connect(cli, sandbox, bad)
    sandbox.clear_requests()
    result = cli.preview()
    assert not result.ok
    assert "pool.haproxy.backends[0].services[0].mesos.frameworkName" in result.output
    assert "duplicate bindPort: 6443" in result.output
    assert "do not refer to these backends: orphan" in result.output
    assert service_writes(sandbox) == []
