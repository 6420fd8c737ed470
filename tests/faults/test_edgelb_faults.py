"""EdgeLBPool against localdcos's Edge-LB behind the fault-injecting proxy: every scenario ends
with exactly one pool, the right outputs and no secret in them."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from provider.edgelb_pool import EdgeLBPoolProvider
from provider.errors import DcosApiError, DeploymentFailed, OwnershipConflict
from provider.ownership import MARKER_KEY
from tests.faults.harness import (
    POOL_NAME,
    POOLS,
    edgelb,
    no_secret_in,
    owner,
    pool_inputs,
    pools,
    the_pool,
    warnings,
    writes,
)
from tests.faults.proxy import FaultProxy, Rule
from tests.sandbox import Sandbox
from tests.seed_documents import seed_pool

POOL_PATH = f"{POOLS}/{POOL_NAME}"
PLAN_PATH = f"/service/dcos-edgelb/pools/{POOL_NAME}/v1/plans/deploy"


@pytest.fixture(autouse=True)
def quick_pools(sandbox: Sandbox) -> None:
    sandbox.control(pool_deploy_seconds=0.3, pool_delete_seconds=0.2)


def provider_via(proxy: FaultProxy, sandbox: Sandbox) -> tuple[EdgeLBPoolProvider, str]:
    token = sandbox.admin_token()
    return edgelb(proxy.url, token), token


def assert_converged(sandbox: Sandbox, outs: dict[str, Any], token: str, resource: str = "pool") -> None:
    pool = the_pool(sandbox)
    assert pool["environmentVariables"][MARKER_KEY] == owner(resource)
    plan = sandbox.request("GET", PLAN_PATH, token=token)
    assert plan.status_code == 200 and plan.json()["status"] == "COMPLETE"
    assert outs["pool_name"] == POOL_NAME and outs["state"] == "COMPLETE"
    assert outs["owner"] == owner(resource) and MARKER_KEY not in repr(outs["pool"])
    no_secret_in(outs, token)


def relaunched(pool: dict[str, Any] | None = None) -> dict[str, Any]:
    changed = copy.deepcopy(pool or seed_pool())
    changed["count"] = 2
    return changed


def test_lost_answer_to_post_is_read_back(proxy: FaultProxy, sandbox: Sandbox) -> None:
    provider, token = provider_via(proxy, sandbox)
    proxy.add(Rule.drop("POST", f"^{POOLS}$"))
    created = provider.create(pool_inputs(provider))
    assert len(writes(sandbox, "POST", POOLS)) == 1
    assert_converged(sandbox, created.outs or {}, token)


def test_500_after_an_applied_put_is_accepted_as_sent(proxy: FaultProxy, sandbox: Sandbox) -> None:
    provider, token = provider_via(proxy, sandbox)
    created = provider.create(pool_inputs(provider))
    changed = seed_pool()
    changed["haproxy"]["stats"]["bindAddress"] = "127.0.0.1"
    proxy.add(Rule.status_after("PUT", f"^{POOL_PATH}$", 500))
    updated = provider.update(created.id, created.outs or {}, pool_inputs(provider, changed))
    assert len(writes(sandbox, "PUT", POOL_PATH)) == 1
    assert the_pool(sandbox)["haproxy"]["stats"]["bindAddress"] == "127.0.0.1"
    outs = updated.outs or {}
    assert outs["pool"]["haproxy"]["stats"]["bindAddress"] == "127.0.0.1" and outs["last_change"] == "reload"
    no_secret_in(outs, token)


def test_a_5xx_never_claims_somebody_elses_pool(proxy: FaultProxy, sandbox: Sandbox) -> None:
    provider, token = provider_via(proxy, sandbox)
    theirs = seed_pool()
    theirs["haproxy"]["stats"]["bindPort"] = 6091
    assert sandbox.request("POST", POOLS, json=theirs, token=token).status_code == 200
    proxy.add(
        Rule.respond(f"^{POOLS}$", 500, {"code": 500, "message": "context deadline exceeded"}, method="POST")
    )
    with pytest.raises(DcosApiError, match="HTTP 500"):
        provider.create(pool_inputs(provider))
    pool = the_pool(sandbox)
    assert pool["haproxy"]["stats"]["bindPort"] == 6091 and "environmentVariables" not in pool
    assert writes(sandbox, "DELETE", POOL_PATH) == [] and writes(sandbox, "PUT", POOL_PATH) == []


def test_lost_answer_to_delete_waits_for_the_uninstall(proxy: FaultProxy, sandbox: Sandbox) -> None:
    provider, token = provider_via(proxy, sandbox)
    created = provider.create(pool_inputs(provider))
    proxy.add(Rule.drop("DELETE", f"^{POOL_PATH}$"))
    provider.delete(created.id, created.outs or {})
    assert len(writes(sandbox, "DELETE", POOL_PATH)) == 1
    assert pools(sandbox) == []
    assert sandbox.request("GET", PLAN_PATH, token=token).status_code == 404
    provider.delete(created.id, created.outs or {})  # a retried destroy finds it gone


def test_plan_errors_during_the_wait_do_not_roll_back(proxy: FaultProxy, sandbox: Sandbox) -> None:
    provider, token = provider_via(proxy, sandbox)
    sandbox.control(pool_deploy_seconds=1.5)
    proxy.add(
        Rule.respond(f"^{PLAN_PATH}$", 500, {"message": "plan manager not ready"}, times=1),
        Rule.service_not_found(f"^{PLAN_PATH}$", times=2),
    )
    created = provider.create(pool_inputs(provider))
    assert writes(sandbox, "DELETE", POOL_PATH) == []
    assert [s.rule for s in proxy.requests("GET", PLAN_PATH)][:3] == ["respond"] * 3
    assert_converged(sandbox, created.outs or {}, token)


def test_a_relaunch_waits_for_the_new_plan(proxy: FaultProxy, sandbox: Sandbox) -> None:
    provider, token = provider_via(proxy, sandbox)
    created = provider.create(pool_inputs(provider))
    old_plan = sandbox.request("GET", PLAN_PATH, token=token).json()
    assert old_plan["status"] == "COMPLETE"
    # For a while after the PUT, the old scheduler still answers its old COMPLETE plan.
    put = proxy.add(Rule.watch("PUT", f"^{POOL_PATH}$"))
    stale = proxy.add(Rule.respond(f"^{PLAN_PATH}$", 200, old_plan, times=None, seconds=1.5, after=put))
    updated = provider.update(created.id, created.outs or {}, pool_inputs(provider, relaunched()))
    assert stale.hits >= 2  # the old COMPLETE was seen, and not taken for the new plan
    after_put = proxy.seen[next(i for i, s in enumerate(proxy.seen) if s.method == "PUT") :]
    plans = [s for s in after_put if s.path == PLAN_PATH]
    assert plans[-1].rule is None  # it returned on a plan the real (new) scheduler answered
    outs = updated.outs or {}
    assert outs["last_change"] == "relaunch" and outs["pool"]["count"] == 2
    assert_converged(sandbox, outs, token)


def test_stalled_relaunch_then_diff_sees_the_plan_unfinished(proxy: FaultProxy, sandbox: Sandbox) -> None:
    provider, token = provider_via(proxy, sandbox)
    created = provider.create(pool_inputs(provider))
    outs = created.outs or {}
    sandbox.control(stall_pools=True)
    desired = pool_inputs(provider, relaunched(), wait_timeout_seconds=2.0)
    with pytest.raises(DeploymentFailed, match="did not come up within 2s"):
        provider.update(created.id, outs, desired)
    with warnings() as said:
        assert provider.diff(created.id, outs, desired).changes is True
    assert any("not COMPLETE" in w for w in said), said
    sandbox.control(stall_pools=False)
    puts = len(writes(sandbox, "PUT", POOL_PATH))
    updated = provider.update(created.id, outs, desired)
    assert len(writes(sandbox, "PUT", POOL_PATH)) == puts  # already stored: it only waited
    assert_converged(sandbox, updated.outs or {}, token)


def test_pool_deleted_out_of_band_is_created_again(proxy: FaultProxy, sandbox: Sandbox) -> None:
    provider, token = provider_via(proxy, sandbox)
    props = pool_inputs(provider)
    created = provider.create(props)
    outs = created.outs or {}
    assert sandbox.request("DELETE", POOL_PATH, token=token).status_code == 204
    with warnings() as said:
        assert provider.diff(created.id, outs, props).changes is True
    assert any("no longer exists" in w for w in said)
    updated = provider.update(created.id, outs, props)
    assert (updated.outs or {})["last_change"] == "create"
    assert_converged(sandbox, updated.outs or {}, token)


def test_a_pool_deleted_between_read_and_put_is_created_again(proxy: FaultProxy, sandbox: Sandbox) -> None:
    provider, token = provider_via(proxy, sandbox)
    created = provider.create(pool_inputs(provider))
    stored = sandbox.request("GET", POOL_PATH, token=token).json()
    assert sandbox.request("DELETE", POOL_PATH, token=token).status_code == 204
    # The update still reads the pool it knew; its PUT then meets Edge-LB's 404.
    proxy.add(Rule.respond(f"^{POOL_PATH}$", 200, stored, method="GET", times=1))
    changed = seed_pool()
    changed["haproxy"]["stats"]["bindAddress"] = "127.0.0.1"
    updated = provider.update(created.id, created.outs or {}, pool_inputs(provider, changed))
    assert [r["status"] for r in writes(sandbox, "PUT", POOL_PATH)] == [404]
    assert (updated.outs or {})["last_change"] == "create"
    assert_converged(sandbox, updated.outs or {}, token)


def test_a_namespace_change_deletes_first(proxy: FaultProxy, sandbox: Sandbox) -> None:
    provider, _ = provider_via(proxy, sandbox)
    created = provider.create(pool_inputs(provider))
    moved = pool_inputs(provider, {**seed_pool(), "namespace": "dev/pools"})
    diff = provider.diff(created.id, created.outs or {}, moved)
    assert diff.changes and diff.replaces == ["pool"] and diff.delete_before_replace is True
    renamed = pool_inputs(provider, {**seed_pool(), "name": "edgelb-other"})
    diff = provider.diff(created.id, created.outs or {}, renamed)
    # Two pools must never hold the same ports: a rename deletes first too.
    assert diff.replaces == ["pool"] and diff.delete_before_replace is True
    the_pool(sandbox)


def test_a_namespace_change_converges(proxy: FaultProxy, sandbox: Sandbox) -> None:
    provider, token = provider_via(proxy, sandbox)
    created = provider.create(pool_inputs(provider))
    provider.delete(created.id, created.outs or {})
    moved = provider.create(
        pool_inputs(provider, {**seed_pool(), "namespace": "dev/pools"}, wait_timeout_seconds=3.0)
    )
    assert the_pool(sandbox)["namespace"] == "dev/pools"
    no_secret_in(moved.outs, token)


def test_a_renamed_resource_takes_the_pool_over_and_the_old_one_leaves_it(
    proxy: FaultProxy, sandbox: Sandbox
) -> None:
    provider, token = provider_via(proxy, sandbox)
    old = provider.create(pool_inputs(provider, owner=owner("old-pool")))
    assert provider.diff(
        old.id, old.outs or {}, pool_inputs(provider, owner=owner("old-pool"))
    ).delete_before_replace
    new = provider.create(pool_inputs(provider, owner=owner("new-pool")))
    with warnings() as said:
        provider.delete(old.id, old.outs or {})
    assert any("was not deleted" in w and "new-pool" in w for w in said)
    assert writes(sandbox, "DELETE", POOL_PATH) == []
    assert_converged(sandbox, new.outs or {}, token, resource="new-pool")


def test_another_stacks_adopt_of_a_pool(proxy: FaultProxy, sandbox: Sandbox) -> None:
    provider, _ = provider_via(proxy, sandbox)
    ours = pool_inputs(provider)
    created = provider.create(ours)
    outs = created.outs or {}
    theirs = owner("their-pool", stack="prod")
    with pytest.raises(OwnershipConflict, match="adopt"):
        provider.create(pool_inputs(provider, owner=theirs))
    provider.create(pool_inputs(provider, owner=theirs, adopt=True))
    with warnings() as said:
        assert provider.diff(created.id, outs, ours).changes is True
    assert any("prod" in w for w in said)
    with pytest.raises(OwnershipConflict, match="pulumi refresh"):
        provider.update(created.id, outs, ours)
    with warnings() as said:
        assert provider.read(created.id, outs).id is None
    assert any("dropping it" in w for w in said)
    with warnings():
        provider.delete(created.id, outs)
    assert the_pool(sandbox)["environmentVariables"][MARKER_KEY] == theirs
