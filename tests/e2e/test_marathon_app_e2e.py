"""MarathonApp under the real Pulumi engine (plain `pulumi` CLI) against localdcos over real HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.e2e.support import diff_lines, service_writes
from tests.pulumi_cli import PulumiCli, planned_changes
from tests.seed_documents import seed_app

pytestmark = pytest.mark.e2e

SEED_APP = seed_app()
APP_PATH = "/service/marathon/v2/apps/marathon-lb-kubernetes-cluster"
OWNER = "organization/e2e-marathon-app/e2e#app"


def connect(cli: PulumiCli, sandbox: Any, definition: dict[str, Any]) -> str:
    token: str = sandbox.admin_token()
    cli.set_config("dcos:url", sandbox.url)
    cli.set_config("dcos:token", token, secret=True)
    cli.set_config("definition", json.dumps(definition))
    return token


def live_app(sandbox: Any, token: str) -> dict[str, Any] | None:
    response = requests.get(sandbox.url + APP_PATH, headers={"Authorization": f"token={token}"}, timeout=10)
    if response.status_code == 404:
        return None
    response.raise_for_status()
    app: dict[str, Any] = response.json()["app"]
    return app


def test_up_preview_change_refresh_destroy(sandbox: Any, marathon_project: PulumiCli) -> None:
    cli = marathon_project
    token = connect(cli, sandbox, SEED_APP)

    cli.up().check()
    app = live_app(sandbox, token)
    # The app carries its owner's marker (stack and resource) next to the declared labels.
    assert app is not None and app["labels"].pop("PULUMI_GENERATION")
    assert app["labels"] == {**SEED_APP["labels"], "PULUMI_OWNER": OWNER}
    assert app["tasksRunning"] == 1
    assert cli.outputs()["appId"] == "/marathon-lb-kubernetes-cluster"

    # Right after up, nothing to do: Marathon's defaults do not show as changes.
    cli.preview(expect_no_changes=True).check()

    # One changed label shows as exactly that field.
    changed = {**SEED_APP, "labels": {**SEED_APP["labels"], "HAPROXY_GROUP": "internal"}}
    cli.set_config("definition", json.dumps(changed))
    preview = cli.preview().check()
    assert diff_lines(preview.output) == ['~ HAPROXY_GROUP : "external" => "internal"'], preview.output
    _, plan = cli.preview_json()
    assert planned_changes(plan)["update"] == 1

    cli.up().check()
    assert live_app(sandbox, token)["labels"]["HAPROXY_GROUP"] == "internal"  # type: ignore[index]
    cli.preview(expect_no_changes=True).check()

    # Someone edits the app out of band: refresh shows the drift, the next up converges it back.
    edit = requests.put(
        sandbox.url + APP_PATH,
        json={"labels": {**changed["labels"], "HAPROXY_0_PORT": "7443"}},
        headers={"Authorization": f"token={token}"},
        timeout=10,
    )
    assert edit.status_code == 200
    refresh = cli.refresh("--diff").check()
    assert cli.last_changes()["update"] == 1
    assert "7443" in refresh.output
    cli.up().check()
    assert live_app(sandbox, token)["labels"]["HAPROXY_0_PORT"] == "6443"  # type: ignore[index]

    cli.destroy().check()
    assert live_app(sandbox, token) is None
    assert token not in cli.text
    assert token not in cli.state_files_text()


def test_bad_input_fails_at_preview_without_a_write(sandbox: Any, marathon_project: PulumiCli) -> None:
    cli = marathon_project
    bad = {**SEED_APP, "cpus": 0.0001, "labels": {"HAPROXY_0_PORT": 6443}}
    connect(cli, sandbox, bad)
    sandbox.clear_requests()
    result = cli.preview()
    assert not result.ok
    assert "definition.cpus" in result.output and "0.001" in result.output
    assert "definition.labels.HAPROXY_0_PORT" in result.output
    assert service_writes(sandbox) == []


def test_existing_app_is_not_taken_over_unless_adopted(sandbox: Any, marathon_project: PulumiCli) -> None:
    cli = marathon_project
    token = connect(cli, sandbox, SEED_APP)
    existing = {**SEED_APP, "labels": {"OWNER": "someone-else"}}
    created = requests.post(
        sandbox.url + "/service/marathon/v2/apps",
        json=existing,
        headers={"Authorization": f"token={token}"},
        timeout=10,
    )
    assert created.status_code == 201

    result = cli.up()
    assert not result.ok
    assert "adopt" in result.output
    assert live_app(sandbox, token)["labels"] == {"OWNER": "someone-else"}  # type: ignore[index]

    cli.set_config("adopt", "true")
    cli.set_config("force", "true")
    cli.up().check()
    labels = live_app(sandbox, token)["labels"]  # type: ignore[index]
    assert labels.pop("PULUMI_GENERATION") and labels == {**SEED_APP["labels"], "PULUMI_OWNER": OWNER}
    cli.destroy().check()
    assert live_app(sandbox, token) is None


def test_app_deleted_out_of_band_drops_from_state_on_refresh(
    sandbox: Any, marathon_project: PulumiCli
) -> None:
    cli = marathon_project
    token = connect(cli, sandbox, SEED_APP)
    cli.up().check()
    gone = requests.delete(sandbox.url + APP_PATH, headers={"Authorization": f"token={token}"}, timeout=10)
    assert gone.status_code == 200
    sandbox.wait_until(lambda: live_app(sandbox, token) is None)
    cli.refresh().check()
    assert cli.last_changes()["delete"] == 1
    # Recreated by the next up, and the stack can be destroyed cleanly.
    cli.up().check()
    assert live_app(sandbox, token) is not None
    cli.destroy().check()


def test_stalled_deployment_times_out_with_the_task_failure(
    sandbox: Any, marathon_project: PulumiCli
) -> None:
    cli = marathon_project
    token = connect(cli, sandbox, SEED_APP)
    cli.set_config("waitTimeoutSeconds", "3")
    sandbox.control(stall_deployments=True)
    result = cli.up()
    assert not result.ok
    assert "did not finish within 3s" in result.output
    assert "no offers matched" in result.output
    assert "removed again" in result.output
    assert live_app(sandbox, token) is None
    sandbox.control(stall_deployments=False)
    cli.up().check()
    assert live_app(sandbox, token)["tasksRunning"] == 1  # type: ignore[index]
    cli.destroy().check()
