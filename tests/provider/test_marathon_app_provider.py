"""MarathonAppProvider's CRUD called directly, against localdcos over real HTTP."""

from __future__ import annotations

import copy
from typing import Any

import dill  # type: ignore[import-untyped]
import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.output import Unknown

from provider.edgelb_pool import EdgeLBPoolProvider
from provider.marathon_api import AppLocked
from provider.marathon_app import MarathonAppProvider
from provider.marathon_lifecycle import AppSpec
from tests.faults.harness import marathon, owner
from tests.sandbox import Sandbox
from tests.seed_documents import seed_app

SEED_APP: dict[str, Any] = seed_app()

APP_PATH = "/service/marathon/v2/apps/marathon-lb-kubernetes-cluster"


@pytest.fixture
def provider(sandbox: Sandbox) -> MarathonAppProvider:
    return marathon(sandbox.url, sandbox.admin_token())


def inputs(provider: MarathonAppProvider, **changes: Any) -> dict[str, Any]:
    result = provider.check(
        {},
        {"definition": copy.deepcopy(SEED_APP), "owner": owner(), "wait_timeout_seconds": 10.0, **changes},
    )
    assert result.failures == []
    return dict(result.inputs)


def test_create_returns_every_input_and_the_deployment(provider: MarathonAppProvider) -> None:
    props = inputs(provider)
    created = provider.create(props)
    assert created.id == "/marathon-lb-kubernetes-cluster"
    outs = created.outs or {}
    assert outs["definition"] == SEED_APP and outs["app_id"] == created.id
    assert outs["deployment_id"] and outs["version"]
    assert {"force", "adopt", "wait_timeout_seconds"} <= set(outs)
    assert provider.diff(created.id, outs, props).changes is False


def test_locked_update_names_the_deployment_and_force_overrides(
    provider: MarathonAppProvider, sandbox: Sandbox
) -> None:
    props = inputs(provider)
    created = provider.create(props)
    sandbox.control(stall_deployments=True)
    token = sandbox.admin_token()
    blocked = sandbox.request("PUT", APP_PATH, json={"instances": 2}, token=token)
    blocking = blocked.json()["deploymentId"]
    changed = inputs(provider, definition={**SEED_APP, "labels": {"HAPROXY_GROUP": "internal"}})
    # The update waits for the blocking deployment within its deadline, then its PUT meets the lock.
    with pytest.raises(AppLocked, match=blocking):
        provider.update(created.id, created.outs or {}, {**changed, "wait_timeout_seconds": 1.5})
    assert [
        d["id"] for d in sandbox.request("GET", "/service/marathon/v2/deployments", token=token).json()
    ] == [blocking]
    sandbox.control(stall_deployments=False)
    forced = {**changed, "force": True}
    updated = provider.update(created.id, created.outs or {}, forced)
    assert (updated.outs or {})["definition"]["labels"] == {"HAPROXY_GROUP": "internal"}


def test_a_changed_id_is_a_replacement(provider: MarathonAppProvider) -> None:
    props = inputs(provider)
    created = provider.create(props)
    moved = inputs(provider, definition={**SEED_APP, "id": "/marathon-lb-other"})
    diff = provider.diff(created.id, created.outs or {}, moved)
    # Another id: the new app first, then the old one goes.
    assert diff.changes and diff.replaces == ["definition"] and diff.delete_before_replace is False
    # The same id can only be replaced by deleting first (`pulumi up --replace`).
    assert provider.diff(created.id, created.outs or {}, props).delete_before_replace is True


def test_delete_waits_and_treats_a_missing_app_as_gone(
    provider: MarathonAppProvider, sandbox: Sandbox
) -> None:
    created = provider.create(inputs(provider))
    provider.delete(created.id, created.outs or {})
    assert sandbox.request("GET", APP_PATH, token=sandbox.admin_token()).status_code == 404
    provider.delete(created.id, created.outs or {})


def test_read_of_a_deleted_app_drops_it(provider: MarathonAppProvider) -> None:
    created = provider.create(inputs(provider))
    provider.delete(created.id, created.outs or {})
    gone = provider.read(created.id, created.outs or {})
    assert gone.id is None and gone.outs == {}


def test_provider_pickles_without_credentials(sandbox: Sandbox) -> None:
    """The engine pickles the provider into state; after configure() and a call it holds no secret."""
    token = sandbox.admin_token()
    provider = MarathonAppProvider()
    provider.configure(ConfigureRequest(Config({"dcos:url": sandbox.url, "dcos:token": token}, "project")))
    provider.create(inputs(provider))
    pickled = dill.dumps(provider, recurse=True)
    assert token.encode() not in pickled
    assert b"DcosHttp" not in pickled and b"ConnectionSettings" not in pickled


def test_check_names_bad_behaviour_inputs_without_any_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DCOS_URL", "http://127.0.0.1:9")
    result = MarathonAppProvider().check(
        {},
        {"definition": seed_app(), "owner": owner(), "force": "yes", "adopt": 1, "wait_timeout_seconds": 0},
    )
    assert {f.property for f in result.failures} == {"force", "adopt", "wait_timeout_seconds"}
    assert result.inputs["definition"]["id"] == "/marathon-lb-kubernetes-cluster"


def test_an_unknown_id_in_preview_is_a_possible_replacement() -> None:
    state: dict[str, Any] = {
        "definition": seed_app(),
        "app_id": "/marathon-lb-kubernetes-cluster",
        "owner": owner(),
    }
    unknown_id = {**state, "definition": {**seed_app(), "id": Unknown()}}  # type: ignore[no-untyped-call]
    assert MarathonAppProvider().diff("/marathon-lb-kubernetes-cluster", state, unknown_id).replaces == [
        "definition"
    ]
    wholly = {**state, "definition": Unknown()}  # type: ignore[no-untyped-call]
    assert MarathonAppProvider().diff("/marathon-lb-kubernetes-cluster", state, wholly).replaces == [
        "definition"
    ]
    pool_state = {"pool": {"name": "p"}, "pool_name": "p", "owner": owner()}
    unknown_name = {**pool_state, "pool": {"name": Unknown()}}  # type: ignore[no-untyped-call]
    diff = EdgeLBPoolProvider().diff("p", pool_state, unknown_name)
    assert diff.replaces == ["pool"] and diff.delete_before_replace is True


def test_an_app_without_marker_from_an_older_stack_gets_one_by_an_update(
    provider: MarathonAppProvider, sandbox: Sandbox
) -> None:
    token = sandbox.admin_token()
    assert (
        sandbox.request("POST", "/service/marathon/v2/apps", json=seed_app(), token=token).status_code == 201
    )
    sandbox.wait_deployments_done(token)
    # The state such a stack holds: no owner input yet, no marker on the app.
    old_state = {**inputs(provider), "app_id": "/marathon-lb-kubernetes-cluster"}
    del old_state["owner"]
    props = inputs(provider)
    assert provider.diff(old_state["app_id"], old_state, props).changes is True
    updated = provider.update(old_state["app_id"], old_state, props)
    live = sandbox.request("GET", APP_PATH, token=token).json()["app"]
    assert live["labels"]["PULUMI_OWNER"] == owner() and (updated.outs or {})["owner"] == owner()
    assert provider.diff(old_state["app_id"], updated.outs or {}, props).changes is False


def test_nested_objects_given_in_part_leave_no_diff_after_create(provider: MarathonAppProvider) -> None:
    """A partial unreachable strategy, a minimal health check and a readiness check come back
    filled with Marathon's defaults: the next diff finds nothing to do."""
    definition = {
        **SEED_APP,
        "unreachableStrategy": {"inactiveAfterSeconds": 120},
        "healthChecks": [{"protocol": "HTTP"}],
        "readinessChecks": [{"portName": "http-api"}],
        "portDefinitions": [{"port": 0, "name": "http-api"}],
    }
    props = inputs(provider, definition=definition)
    created = provider.create(props)
    outs = created.outs or {}
    assert outs["definition"] == definition
    assert provider.diff(created.id, outs, props).changes is False


def test_an_update_waits_for_a_deployment_still_running(
    provider: MarathonAppProvider, sandbox: Sandbox
) -> None:
    """A deployment still touches the app (a run killed mid-create, another client's change): the
    update waits for it instead of meeting Marathon's lock."""
    props = inputs(provider)
    created = provider.create(props)
    sandbox.control(deploy_seconds=1.5)
    token = sandbox.admin_token()
    assert (
        sandbox.request("PUT", APP_PATH, json={"instances": 1, "cpus": 0.002}, token=token).status_code == 200
    )
    changed = inputs(provider, definition={**SEED_APP, "labels": {"HAPROXY_GROUP": "internal"}})
    updated = provider.update(created.id, created.outs or {}, changed)
    assert (updated.outs or {})["definition"]["labels"] == {"HAPROXY_GROUP": "internal"}
    puts = [r["status"] for r in sandbox.requests() if r["method"] == "PUT" and r["path"] == APP_PATH]
    assert puts == [200, 200]  # no 409: the second PUT went out once the first deployment was done


def test_a_rollback_leaves_an_app_a_newer_create_took_over(provider: MarathonAppProvider) -> None:
    """A create whose wait failed rolls back only what it made: when a newer create of the same
    resource (the next `pulumi up` after a killed run) took the app over, it stays."""
    newer = provider.create(inputs(provider))
    older = AppSpec(
        owner=owner(), adopt=False, timeout=5.0, definition=SEED_APP, force=False, generation="older"
    )
    note = provider._lifecycle()._roll_back(older)
    assert "left in place" in note and str((newer.outs or {})["generation"]) in note
    assert provider._client().get_app(newer.id) is not None
