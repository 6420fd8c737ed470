"""Changes made behind the stack's back, through the plain `pulumi` CLI: an object deleted or edited
out of band, and another stack adopting ours."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.cli_support import (
    APP_PATH,
    APP_PROJECT,
    APP_TYPE,
    POOL_PATH,
    app_stack,
    assert_converged,
    assert_no_secret,
    owner_of,
    pool_stack,
)
from tests.faults.harness import APP_ID, APPS, POOL_NAME, apps, writes
from tests.faults.proxy import FaultProxy
from tests.sandbox import Sandbox

pytestmark = pytest.mark.e2e


def test_out_of_band_delete(tmp_path: Path, engine: Path, sandbox: Sandbox, proxy: FaultProxy) -> None:
    sandbox.control(pool_deploy_seconds=0.3, pool_delete_seconds=0.2)
    stack = pool_stack(tmp_path, engine, sandbox, proxy)
    stack.cli.up().check()
    token = sandbox.admin_token()
    assert sandbox.request("DELETE", POOL_PATH, token=token).status_code == 204
    # Before any refresh, preview already says so and plans the way back.
    preview = stack.cli.preview().check()
    assert f"pool {POOL_NAME} no longer exists in Edge-LB; `pulumi up` creates it again" in preview.output
    assert "1 to update" in preview.output
    refresh = stack.cli.refresh().check()
    assert "1 deleted" in refresh.output
    assert stack.resources("pulumi-python:dynamic/dcos:EdgeLBPool") == []
    assert "1 created" in stack.cli.up().check().output
    assert_converged(stack, pools_=(POOL_NAME,))


def test_out_of_band_edit(tmp_path: Path, engine: Path, sandbox: Sandbox, proxy: FaultProxy) -> None:
    stack = app_stack(tmp_path, engine, sandbox, proxy)
    stack.cli.up().check()
    token = sandbox.admin_token()
    live = sandbox.request("GET", APP_PATH, token=token).json()["app"]
    edit = {"labels": {**live["labels"], "HAPROXY_0_PORT": "7443"}}
    assert sandbox.request("PUT", APP_PATH, json=edit, token=token).status_code == 200
    sandbox.wait_deployments_done(token)
    refresh = stack.cli.refresh("--diff").check()
    assert '"6443" => "7443"' in " ".join(refresh.output.split())
    assert "1 updated" in refresh.output
    preview = stack.cli.preview().check()
    assert '"7443" => "6443"' in " ".join(preview.output.split())
    stack.cli.up().check()
    assert sandbox.request("GET", APP_PATH, token=token).json()["app"]["labels"]["HAPROXY_0_PORT"] == "6443"
    assert_converged(stack, apps_=(APP_ID,), owner=owner_of(APP_PROJECT, "app"))


def test_another_stack_adopting_our_app(
    tmp_path: Path, engine: Path, sandbox: Sandbox, proxy: FaultProxy
) -> None:
    ours = app_stack(tmp_path, engine, sandbox, proxy)
    ours.cli.up().check()
    theirs = app_stack(tmp_path, engine, sandbox, proxy, stack="other", adopt="true")
    taken = theirs.cli.up().check()
    assert "taking over the existing app" in taken.output
    other = owner_of(APP_PROJECT, "app", "other")
    assert apps(sandbox)[0]["labels"]["PULUMI_OWNER"] == other

    # Our next preview says the app is no longer ours; `up` refuses to overwrite it.
    preview = ours.cli.preview().check()
    lost = f"app {APP_ID} now belongs to resource 'app' of stack organization/{APP_PROJECT}/other"
    assert lost in preview.output and "no longer to this stack" in preview.output
    puts = len(writes(sandbox, "PUT", APP_PATH))
    refused = ours.cli.up()
    assert not refused.ok and lost in refused.output and "pulumi refresh" in refused.output
    assert len(writes(sandbox, "PUT", APP_PATH)) == puts
    # Refresh releases it from our state; nothing is deleted on the cluster.
    refresh = ours.cli.refresh().check()
    assert "dropping it from this stack's state (nothing is deleted on the cluster)" in refresh.output
    assert ours.resources(APP_TYPE) == []
    # Our program still declares the app: the next up would only create it again, and is told whose
    # it is (set adopt to take it back, or drop it from the program).
    again = ours.cli.up()
    assert not again.ok and "already exists and belongs to" in again.output and "adopt" in again.output
    assert writes(sandbox, "POST", APPS)[-1]["status"] == 409
    assert len(writes(sandbox, "PUT", APP_PATH)) == puts
    assert ours.resources(APP_TYPE) == []
    assert_no_secret(ours)
    assert_converged(theirs, apps_=(APP_ID,), owner=other)
