"""Replacements that keep the same app id or pool name, through the plain `pulumi` CLI: the live
object must never be deleted by its own replacement (an outage), nor kept twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.support import FIRST, copy_test_project
from tests.faults.cli_support import (
    APP_PATH,
    APP_PROJECT,
    APP_TYPE,
    POOL_PATH,
    POOL_PROJECT,
    POOL_TYPE,
    app_stack,
    assert_converged,
    owner_of,
    pool_stack,
    program_stack,
)
from tests.faults.harness import APP_ID, APPS, POOL_NAME, POOLS, apps, writes
from tests.faults.proxy import FaultProxy
from tests.pulumi_cli import PulumiCli
from tests.sandbox import Sandbox
from tests.seed_documents import seed_pool

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def quick_pools(sandbox: Sandbox) -> None:
    sandbox.control(pool_deploy_seconds=0.3, pool_delete_seconds=0.2)


def test_edgelb_namespace_change(tmp_path: Path, engine: Path, sandbox: Sandbox, proxy: FaultProxy) -> None:
    """Edge-LB refuses a namespace change (400): it is a replacement, the old pool deleted first
    (two pools must never hold the same ports)."""
    stack = pool_stack(tmp_path, engine, sandbox, proxy)
    stack.cli.up().check()
    stack.set_pool({**seed_pool(), "namespace": "dev/pools"})
    preview = stack.cli.preview().check()
    assert "1 to replace" in preview.output
    up = stack.cli.up().check()
    assert "1 replaced" in up.output
    sent = [(s.method, s.path) for s in proxy.seen if s.method in ("POST", "DELETE")]
    assert sent == [("POST", POOLS), ("DELETE", POOL_PATH), ("POST", POOLS)]  # delete before create
    assert [r["status"] for r in writes(sandbox, "PUT", POOL_PATH)] == []  # never the refused PUT
    live = sandbox.request("GET", POOL_PATH, token=sandbox.admin_token()).json()
    assert live["namespace"] == "dev/pools"
    assert_converged(stack, pools_=(POOL_NAME,))


def test_up_replace_of_an_app(tmp_path: Path, engine: Path, sandbox: Sandbox, proxy: FaultProxy) -> None:
    """`pulumi up --replace` asks the provider no diff: the engine creates the replacement first
    (it takes the app over with a new generation), then deletes the original, which leaves it."""
    stack = app_stack(tmp_path, engine, sandbox, proxy)
    stack.cli.up().check()
    [original] = stack.resources(APP_TYPE)
    up = stack.cli.up("--replace", original["urn"]).check()
    assert "1 replaced" in up.output
    assert "was not deleted: a newer create of this resource took it over" in up.output
    assert writes(sandbox, "DELETE", APP_PATH) == []
    [replacement] = stack.resources(APP_TYPE)
    assert replacement["outputs"]["generation"] != original["outputs"]["generation"]
    assert apps(sandbox)[0]["labels"]["PULUMI_GENERATION"] == replacement["outputs"]["generation"]
    assert_converged(stack, apps_=(APP_ID,), owner=owner_of(APP_PROJECT, "app"))


def test_up_replace_of_a_pool(tmp_path: Path, engine: Path, sandbox: Sandbox, proxy: FaultProxy) -> None:
    """A pool is replaced delete-first by resource option, `--replace` included: one pool at the end."""
    stack = pool_stack(tmp_path, engine, sandbox, proxy)
    stack.cli.up().check()
    [original] = stack.resources(POOL_TYPE)
    up = stack.cli.up("--replace", original["urn"]).check()
    assert "1 replaced" in up.output
    methods = [s.method for s in proxy.seen if s.method in ("POST", "DELETE")]
    assert methods == ["POST", "DELETE", "POST"]
    assert_converged(stack, pools_=(POOL_NAME,), owner=owner_of(POOL_PROJECT, "pool"))


@pytest.mark.parametrize("kind", ["app", "pool"])
def test_a_renamed_resource(
    kind: str, tmp_path: Path, engine: Path, sandbox: Sandbox, proxy: FaultProxy
) -> None:
    """A new resource name is a new URN: the engine creates the renamed resource first (it takes
    the object over silently: same stack), then deletes the old one, which leaves it."""
    make = app_stack if kind == "app" else pool_stack
    stack = make(tmp_path, engine, sandbox, proxy)
    stack.cli.up().check()
    stack.configure(resourceName=f"renamed-{kind}")
    preview = stack.cli.preview().check()
    assert "1 to create" in preview.output and "1 to delete" in preview.output
    up = stack.cli.up().check()
    project = APP_PROJECT if kind == "app" else POOL_PROJECT
    new_owner = owner_of(project, f"renamed-{kind}")
    assert "taking over the existing" in up.output
    assert f"was not deleted: it now belongs to resource 'renamed-{kind}'" in up.output
    path = APP_PATH if kind == "app" else POOL_PATH
    assert writes(sandbox, "DELETE", path) == []
    if kind == "app":
        assert_converged(stack, apps_=(APP_ID,), owner=new_owner)
    else:
        assert_converged(stack, pools_=(POOL_NAME,), owner=new_owner)


def test_a_renamed_component(tmp_path: Path, engine: Path, sandbox: Sandbox, proxy: FaultProxy) -> None:
    """The project's program: the exposure moves from `cluster` (component named after the cluster)
    to `clusterFrom` another stack with its own `resourceName`. Same cluster, same app id; the
    component and its child get new names."""
    stack = program_stack(tmp_path, engine, sandbox, proxy)
    stack.configure(cluster=json.dumps(FIRST))
    stack.cli.up().check()
    assert apps(sandbox)[0]["labels"]["PULUMI_OWNER"].endswith("#kubernetes-cluster-marathon-app")

    platform_dir = copy_test_project("cluster_name", tmp_path)
    platform = PulumiCli(platform_dir, stack.cli.state_dir, "platform", bin_dir=engine)
    platform.set_config("clusterName", FIRST["name"])
    platform.up().check()

    stack.cli.run("config", "rm", "cluster").check()
    settings = {k: v for k, v in FIRST.items() if k != "name"}
    source = {"stack": "organization/e2e-cluster-name/platform", "resourceName": "k8s-api", **settings}
    stack.configure(clusterFrom=json.dumps(source))
    preview = stack.cli.preview().check()
    assert "2 to create" in preview.output and "2 to delete" in preview.output  # component + child
    up = stack.cli.up().check()
    assert "was not deleted: it now belongs to resource 'k8s-api-marathon-app'" in up.output
    assert writes(sandbox, "DELETE", APP_PATH) == []
    assert [r["status"] for r in writes(sandbox, "POST", APPS)] == [201, 409]
    assert_converged(stack, apps_=(APP_ID,), owner=owner_of("dcos-kubernetes-api", "k8s-api-marathon-app"))
