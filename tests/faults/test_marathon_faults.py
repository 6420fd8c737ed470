"""MarathonApp against localdcos behind the fault-injecting proxy: every scenario converges with
exactly one app, the right outputs and no secret in them."""

from __future__ import annotations

import pytest

from provider.errors import DeploymentFailed, OwnershipConflict
from provider.marathon_app import MarathonAppProvider
from provider.ownership import MARKER_KEY
from tests.faults.harness import (
    APP_ID,
    APPS,
    app_inputs,
    apps,
    deployments,
    marathon,
    no_secret_in,
    owner,
    the_app,
    warnings,
    writes,
)
from tests.faults.proxy import FaultProxy, Rule
from tests.sandbox import Sandbox
from tests.seed_documents import seed_app

APP_PATH = f"{APPS}{APP_ID}"


def provider_via(proxy: FaultProxy, sandbox: Sandbox) -> tuple[MarathonAppProvider, str]:
    token = sandbox.admin_token()
    return marathon(proxy.url, token), token


def assert_converged(sandbox: Sandbox, outs: dict[str, object], token: str, resource: str = "app") -> None:
    app = the_app(sandbox)
    assert app["tasksRunning"] == app["instances"] == 1
    assert app["labels"][MARKER_KEY] == owner(resource)
    assert deployments(sandbox) == []
    assert outs["app_id"] == APP_ID and outs["owner"] == owner(resource)
    assert outs["definition"] == seed_app() or MARKER_KEY not in str(outs["definition"])
    no_secret_in(outs, token)


def test_lost_answer_to_post_is_read_back_and_followed(proxy: FaultProxy, sandbox: Sandbox) -> None:
    provider, token = provider_via(proxy, sandbox)
    proxy.add(Rule.drop("POST", f"^{APPS}$"))
    created = provider.create(app_inputs(provider))
    assert created.id == APP_ID
    assert len(writes(sandbox, "POST", APPS)) == 1  # never sent twice
    assert_converged(sandbox, created.outs or {}, token)


def test_504_after_an_applied_post(proxy: FaultProxy, sandbox: Sandbox) -> None:
    provider, token = provider_via(proxy, sandbox)
    proxy.add(Rule.status_after("POST", f"^{APPS}$", 504))
    created = provider.create(app_inputs(provider))
    assert len(writes(sandbox, "POST", APPS)) == 1
    assert_converged(sandbox, created.outs or {}, token)


def test_lost_answer_to_put_waits_for_the_applied_change(proxy: FaultProxy, sandbox: Sandbox) -> None:
    provider, token = provider_via(proxy, sandbox)
    created = provider.create(app_inputs(provider))
    changed = seed_app()
    changed["labels"]["HAPROXY_GROUP"] = "internal"
    proxy.add(Rule.drop("PUT", f"^{APP_PATH}$"))
    updated = provider.update(created.id, created.outs or {}, app_inputs(provider, changed))
    assert len(writes(sandbox, "PUT", APP_PATH)) == 1
    app = the_app(sandbox)
    assert app["labels"]["HAPROXY_GROUP"] == "internal" and app["tasksRunning"] == 1
    outs = updated.outs or {}
    assert outs["definition"]["labels"]["HAPROXY_GROUP"] == "internal"
    no_secret_in(outs, token)


def test_lost_answer_to_delete_still_waits_until_gone(proxy: FaultProxy, sandbox: Sandbox) -> None:
    provider, _ = provider_via(proxy, sandbox)
    created = provider.create(app_inputs(provider))
    sandbox.control(deploy_seconds=1.0)
    proxy.add(Rule.drop("DELETE", f"^{APP_PATH}$"))
    provider.delete(created.id, created.outs or {})
    # The DELETE happened once, and the call returned only once the app was gone for good.
    assert len(writes(sandbox, "DELETE", APP_PATH)) == 1
    assert apps(sandbox) == [] and deployments(sandbox) == []
    # Deleting again (a retried destroy) finds it gone and still returns cleanly.
    provider.delete(created.id, created.outs or {})
    assert apps(sandbox) == []


def test_bursts_of_admin_router_errors_during_the_wait_do_not_roll_back(
    proxy: FaultProxy, sandbox: Sandbox
) -> None:
    provider, token = provider_via(proxy, sandbox)
    sandbox.control(deploy_seconds=1.0)
    proxy.add(
        Rule.service_not_found("/v2/deployments$", times=4),
        Rule.unavailable(f"^{APP_PATH}$", method="GET", times=8),
    )
    created = provider.create(app_inputs(provider))
    assert writes(sandbox, "DELETE", APP_PATH) == []
    assert [s.rule for s in proxy.requests("GET", "/v2/deployments$")].count("respond") == 4
    assert_converged(sandbox, created.outs or {}, token)


def test_leader_gap_after_the_post(proxy: FaultProxy, sandbox: Sandbox) -> None:
    """Marathon loses its leader right after storing the app: Admin Router answers `404 service
    not found` for everything Marathon for two seconds."""
    provider, token = provider_via(proxy, sandbox)
    post = proxy.add(Rule.watch("POST", f"^{APPS}$", times=1))
    proxy.add(Rule.service_not_found("^/service/marathon/", times=None, seconds=2.0, after=post))
    created = provider.create(app_inputs(provider))
    assert len([s for s in proxy.seen if s.rule == "respond"]) >= 2
    assert writes(sandbox, "DELETE", APP_PATH) == []
    assert_converged(sandbox, created.outs or {}, token)


def test_a_real_failure_rolls_back_and_names_the_cause_first(proxy: FaultProxy, sandbox: Sandbox) -> None:
    provider, _ = provider_via(proxy, sandbox)
    sandbox.control(stall_deployments=True)
    with pytest.raises(DeploymentFailed) as failure:
        provider.create(app_inputs(provider, wait_timeout_seconds=2.0))
    message = str(failure.value)
    assert message.startswith(f"the deployment of {APP_ID} did not finish within 2s")
    assert "no offers matched" in message and message.endswith("run `pulumi up` again)")
    assert "removed again" in message and apps(sandbox) == []
    sandbox.control(stall_deployments=False)
    created = provider.create(app_inputs(provider))
    assert_converged(sandbox, created.outs or {}, sandbox.admin_token())


def test_when_the_rollback_fails_too_the_cause_stays_first(proxy: FaultProxy, sandbox: Sandbox) -> None:
    provider, _ = provider_via(proxy, sandbox)
    sandbox.control(stall_deployments=True)
    proxy.add(Rule.respond(f"^{APP_PATH}$", 403, {"message": "Not Authorized"}, method="DELETE", times=None))
    with pytest.raises(DeploymentFailed) as failure:
        provider.create(app_inputs(provider, wait_timeout_seconds=2.0))
    message = str(failure.value)
    assert message.startswith(f"the deployment of {APP_ID} did not finish within 2s")
    assert "removing it failed too" in message and "next `pulumi up` takes it over" in message
    # The app stays, marked as this stack's: the next up takes it over silently and converges.
    proxy.clear()
    sandbox.control(stall_deployments=False)
    created = provider.create(app_inputs(provider))
    assert_converged(sandbox, created.outs or {}, sandbox.admin_token())


def test_stalled_update_then_diff_sees_it_unsettled(proxy: FaultProxy, sandbox: Sandbox) -> None:
    provider, token = provider_via(proxy, sandbox)
    created = provider.create(app_inputs(provider))
    outs = created.outs or {}
    sandbox.control(stall_deployments=True)
    changed = seed_app()
    changed["labels"]["HAPROXY_GROUP"] = "internal"
    desired = app_inputs(provider, changed, wait_timeout_seconds=2.0)
    with pytest.raises(DeploymentFailed, match="did not finish within 2s"):
        provider.update(created.id, outs, desired)
    # The engine keeps the old state; the next preview must not say "no changes".
    with warnings() as said:
        diff = provider.diff(created.id, outs, desired)
    assert diff.changes is True and diff.replaces in (None, [])
    assert any("has not settled" in w and "deployment" in w for w in said), said
    # Once the cluster can run it, the update only waits (the definition is already in place).
    sandbox.control(stall_deployments=False)
    puts = len(writes(sandbox, "PUT", APP_PATH))
    updated = provider.update(created.id, outs, desired)
    assert len(writes(sandbox, "PUT", APP_PATH)) == puts
    assert the_app(sandbox)["labels"]["HAPROXY_GROUP"] == "internal"
    with warnings() as said:
        assert provider.diff(created.id, updated.outs or {}, desired).changes is False
    assert said == []
    no_secret_in(updated.outs, token)


def test_out_of_band_delete_and_edit_converge(proxy: FaultProxy, sandbox: Sandbox) -> None:
    provider, token = provider_via(proxy, sandbox)
    props = app_inputs(provider)
    created = provider.create(props)
    outs = created.outs or {}
    edit = sandbox.request("PUT", APP_PATH, json={"labels": {"HAPROXY_0_PORT": "7443"}}, token=token)
    assert edit.status_code == 200
    sandbox.wait_deployments_done(token)
    assert provider.diff(created.id, outs, props).changes is True
    provider.update(created.id, outs, props)
    assert the_app(sandbox)["labels"]["HAPROXY_0_PORT"] == "6443"

    assert sandbox.request("DELETE", APP_PATH, token=token).status_code == 200
    sandbox.wait_until(lambda: apps(sandbox) == [])
    with warnings() as said:
        assert provider.diff(created.id, outs, props).changes is True
    assert any("no longer exists" in w for w in said)
    updated = provider.update(created.id, outs, props)
    assert_converged(sandbox, updated.outs or {}, token)


def test_same_id_replacement_deletes_first_and_a_rename_keeps_the_app(
    proxy: FaultProxy, sandbox: Sandbox
) -> None:
    provider, token = provider_via(proxy, sandbox)
    old = provider.create(app_inputs(provider, owner=owner("old-name")))
    # `pulumi up --replace` or any same-id replacement: delete first, never create first.
    assert provider.diff(
        old.id, old.outs or {}, app_inputs(provider, owner=owner("old-name"))
    ).delete_before_replace
    # A renamed resource (or component) of the same stack: the engine creates the new resource
    # first, which takes the app over silently, then deletes the old one, which must leave it.
    new = provider.create(app_inputs(provider, owner=owner("new-name")))
    with warnings() as said:
        provider.delete(old.id, old.outs or {})
    assert any("was not deleted" in w and "new-name" in w for w in said)
    assert writes(sandbox, "DELETE", APP_PATH) == []
    assert_converged(sandbox, new.outs or {}, token, resource="new-name")


def test_replace_of_the_same_resource_keeps_the_app(proxy: FaultProxy, sandbox: Sandbox) -> None:
    """`pulumi up --replace` asks no diff(): the engine creates the replacement first, then deletes
    the original. The replacement takes the app over with a new generation; the original's delete
    then leaves it."""
    provider, token = provider_via(proxy, sandbox)
    original = provider.create(app_inputs(provider))
    replacement = provider.create(app_inputs(provider))
    assert (replacement.outs or {})["generation"] != (original.outs or {})["generation"]
    with warnings() as said:
        provider.delete(original.id, original.outs or {})
    assert any("newer create of this resource" in w for w in said)
    assert writes(sandbox, "DELETE", APP_PATH) == []
    assert the_app(sandbox)["labels"]["PULUMI_GENERATION"] == (replacement.outs or {})["generation"]
    assert_converged(sandbox, replacement.outs or {}, token)
    provider.delete(replacement.id, replacement.outs or {})
    assert apps(sandbox) == []


def test_another_stacks_adopt_is_noticed_and_never_overwritten(proxy: FaultProxy, sandbox: Sandbox) -> None:
    provider, token = provider_via(proxy, sandbox)
    ours = app_inputs(provider)
    created = provider.create(ours)
    outs = created.outs or {}
    theirs = owner("their-app", stack="prod")
    with pytest.raises(OwnershipConflict, match="adopt") as refused:
        provider.create(app_inputs(provider, owner=theirs))
    assert "stack organization/dcos-kubernetes-api/dev" in str(refused.value)
    provider.create(app_inputs(provider, owner=theirs, adopt=True))
    assert the_app(sandbox)["labels"][MARKER_KEY] == theirs

    with warnings() as said:
        assert provider.diff(created.id, outs, ours).changes is True
    assert any("prod" in w and "pulumi refresh" in w for w in said)
    puts = len(writes(sandbox, "PUT", APP_PATH))
    with pytest.raises(OwnershipConflict) as stopped:
        provider.update(created.id, outs, ours)
    assert "pulumi refresh" in str(stopped.value) and "adopt" in str(stopped.value)
    assert len(writes(sandbox, "PUT", APP_PATH)) == puts
    with warnings() as said:
        gone = provider.read(created.id, outs)
    assert gone.id is None and any("dropping it from this stack's state" in w for w in said)
    # A destroy of the first stack leaves the other stack's app alone.
    with warnings():
        provider.delete(created.id, outs)
    assert the_app(sandbox)["labels"][MARKER_KEY] == theirs
    assert len(apps(sandbox)) == 1
    no_secret_in(outs, token)
