"""MarathonApp under the real Pulumi engine against localdcos over real HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from pulumi import automation as auto

from tests.e2e.conftest import Engine, count
from tests.provider.test_marathon_normalize import SEED_APP

pytestmark = pytest.mark.e2e

APP_PATH = "/service/marathon/v2/apps/marathon-lb-kubernetes-cluster"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
OWNER = "organization/e2e-marathon-app/e2e#app"


def connect(engine: Engine, sandbox: Any, definition: dict[str, Any]) -> str:
    token: str = sandbox.admin_token()
    engine.runner.set_config("dcos:url", sandbox.url)
    engine.runner.set_config("dcos:token", token, secret=True)
    engine.runner.set_config("definition", json.dumps(definition))
    return token


def live_app(sandbox: Any, token: str) -> dict[str, Any] | None:
    response = requests.get(sandbox.url + APP_PATH, headers={"Authorization": f"token={token}"}, timeout=10)
    if response.status_code == 404:
        return None
    response.raise_for_status()
    app: dict[str, Any] = response.json()["app"]
    return app


def marathon_writes(sandbox: Any) -> list[dict[str, Any]]:
    return [
        r for r in sandbox.requests() if r["method"] in WRITE_METHODS and r["path"].startswith("/service/")
    ]


def test_up_preview_change_refresh_destroy(sandbox: Any, marathon_project: Engine) -> None:
    engine = marathon_project
    token = connect(engine, sandbox, SEED_APP)

    engine.runner.up()
    app = live_app(sandbox, token)
    # The app carries its owner's marker (stack and resource) next to the declared labels.
    assert app is not None and app["labels"].pop("PULUMI_GENERATION")
    assert app["labels"] == {**SEED_APP["labels"], "PULUMI_OWNER": OWNER}
    assert app["tasksRunning"] == 1
    assert engine.runner.outputs()["appId"].value == "/marathon-lb-kubernetes-cluster"

    # Right after up, nothing to do: Marathon's defaults do not show as changes.
    engine.runner.preview(expect_no_changes=True)

    # One changed label shows as exactly that field.
    changed = {**SEED_APP, "labels": {**SEED_APP["labels"], "HAPROXY_GROUP": "internal"}}
    engine.runner.set_config("definition", json.dumps(changed))
    engine.output.clear()
    preview = engine.runner.preview()
    assert count(preview.change_summary, "update") == 1
    changes = [" ".join(line.split()) for line in engine.output if "=>" in line]
    assert changes == ['~ HAPROXY_GROUP : "external" => "internal"'], engine.text

    engine.runner.up()
    assert live_app(sandbox, token)["labels"]["HAPROXY_GROUP"] == "internal"  # type: ignore[index]
    engine.runner.preview(expect_no_changes=True)

    # Someone edits the app out of band: refresh shows the drift, the next up converges it back.
    edit = requests.put(
        sandbox.url + APP_PATH,
        json={"labels": {**changed["labels"], "HAPROXY_0_PORT": "7443"}},
        headers={"Authorization": f"token={token}"},
        timeout=10,
    )
    assert edit.status_code == 200
    engine.output.clear()
    refresh = engine.runner.refresh()
    assert count(refresh.summary.resource_changes, "update") == 1
    assert "7443" in engine.text
    engine.runner.up()
    assert live_app(sandbox, token)["labels"]["HAPROXY_0_PORT"] == "6443"  # type: ignore[index]

    engine.runner.destroy()
    assert live_app(sandbox, token) is None
    assert token not in engine.text
    assert token not in engine.state_files_text()


def test_bad_input_fails_at_preview_without_a_write(sandbox: Any, marathon_project: Engine) -> None:
    engine = marathon_project
    bad = {**SEED_APP, "cpus": 0.0001, "labels": {"HAPROXY_0_PORT": 6443}}
    connect(engine, sandbox, bad)
    sandbox.clear_requests()
    with pytest.raises(auto.CommandError):
        engine.runner.preview()
    assert "definition.cpus" in engine.text and "0.001" in engine.text
    assert "definition.labels.HAPROXY_0_PORT" in engine.text
    assert marathon_writes(sandbox) == []


def test_existing_app_is_not_taken_over_unless_adopted(sandbox: Any, marathon_project: Engine) -> None:
    engine = marathon_project
    token = connect(engine, sandbox, SEED_APP)
    existing = {**SEED_APP, "labels": {"OWNER": "someone-else"}}
    created = requests.post(
        sandbox.url + "/service/marathon/v2/apps",
        json=existing,
        headers={"Authorization": f"token={token}"},
        timeout=10,
    )
    assert created.status_code == 201

    with pytest.raises(auto.CommandError):
        engine.runner.up()
    assert "adopt" in engine.text
    assert live_app(sandbox, token)["labels"] == {"OWNER": "someone-else"}  # type: ignore[index]

    engine.runner.set_config("adopt", "true")
    engine.runner.set_config("force", "true")
    engine.runner.up()
    labels = live_app(sandbox, token)["labels"]  # type: ignore[index]
    assert labels.pop("PULUMI_GENERATION") and labels == {**SEED_APP["labels"], "PULUMI_OWNER": OWNER}
    engine.runner.destroy()
    assert live_app(sandbox, token) is None


def test_app_deleted_out_of_band_drops_from_state_on_refresh(sandbox: Any, marathon_project: Engine) -> None:
    engine = marathon_project
    token = connect(engine, sandbox, SEED_APP)
    engine.runner.up()
    gone = requests.delete(sandbox.url + APP_PATH, headers={"Authorization": f"token={token}"}, timeout=10)
    assert gone.status_code == 200
    sandbox.wait_until(lambda: live_app(sandbox, token) is None)
    refresh = engine.runner.refresh()
    assert count(refresh.summary.resource_changes, "delete") == 1
    # Recreated by the next up, and the stack can be destroyed cleanly.
    engine.runner.up()
    assert live_app(sandbox, token) is not None
    engine.runner.destroy()


def test_stalled_deployment_times_out_with_the_task_failure(sandbox: Any, marathon_project: Engine) -> None:
    engine = marathon_project
    token = connect(engine, sandbox, SEED_APP)
    engine.runner.set_config("waitTimeoutSeconds", "3")
    sandbox.control(stall_deployments=True)
    with pytest.raises(auto.CommandError):
        engine.runner.up()
    assert "did not finish within 3s" in engine.text
    assert "no offers matched" in engine.text
    assert "removed again" in engine.text
    assert live_app(sandbox, token) is None
    sandbox.control(stall_deployments=False)
    engine.runner.up()
    assert live_app(sandbox, token)["tasksRunning"] == 1  # type: ignore[index]
    engine.runner.destroy()
