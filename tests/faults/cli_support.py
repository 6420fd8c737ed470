"""What the CLI-level fault scenarios share: a stack of one of the end-to-end projects (or the
project's own program) whose `dcos:url` is the fault proxy in front of the sandbox, and the checks
every scenario ends with: exactly one app or pool on the cluster and in the state, the next
`pulumi preview --expect-no-changes` passes, and no secret in the state files or any CLI output.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.support import copy_program, copy_test_project, set_clusters
from tests.faults.harness import APP_ID, POOL_NAME, apps, deployments, pools
from tests.faults.proxy import FaultProxy
from tests.pulumi_cli import PulumiCli
from tests.sandbox import ADMIN_PASSWORD, ADMIN_UID, Sandbox
from tests.seed_documents import seed_app, seed_pool

APP_TYPE = "pulumi-python:dynamic/dcos:MarathonApp"
POOL_TYPE = "pulumi-python:dynamic/dcos:EdgeLBPool"
APP_PROJECT = "e2e-marathon-app"
POOL_PROJECT = "e2e-edgelb-pool"
APP_PATH = f"/service/marathon/v2/apps{APP_ID}"
POOL_PATH = f"/service/edgelb/v2/pools/{POOL_NAME}"
PLAN_PATH = f"/service/dcos-edgelb/pools/{POOL_NAME}/v1/plans/deploy"


def owner_of(project: str, resource: str, stack: str = "e2e") -> str:
    return f"organization/{project}/{stack}#{resource}"


@dataclass
class FaultStack:
    """A stack that reaches the sandbox through the proxy, and what it must never leak."""

    cli: PulumiCli
    sandbox: Sandbox
    proxy: FaultProxy
    secrets: list[str] = field(default_factory=list)

    def configure(self, **values: str) -> None:
        """Plain config values in one command (`pulumi config set-all`)."""
        pairs = [arg for key, value in values.items() for arg in ("--plaintext", f"{key}={value}")]
        self.cli.run("config", "set-all", *pairs).check()

    def set_definition(self, definition: dict[str, Any]) -> None:
        self.configure(definition=json.dumps(definition))

    def set_pool(self, pool: dict[str, Any]) -> None:
        self.configure(pool=json.dumps(pool))

    # -- what the state holds ---------------------------------------------------------------------

    def export(self) -> dict[str, Any]:
        exported = self.cli.run("stack", "export", merge=False).check()
        document: dict[str, Any] = json.loads(exported.output)
        return document

    def resources(self, type_: str) -> list[dict[str, Any]]:
        deployment = self.export().get("deployment") or {}
        return [r for r in deployment.get("resources") or [] if r.get("type") == type_]

    def pending_operations(self) -> list[dict[str, Any]]:
        pending: list[dict[str, Any]] = (self.export().get("deployment") or {}).get(
            "pending_operations"
        ) or []
        return pending

    # -- what the proxy saw -----------------------------------------------------------------------

    def tokens_seen(self) -> set[str]:
        """Every token that crossed the proxy (the provider's own logins included)."""
        found = set()
        for seen in self.proxy.seen:
            header = {k.lower(): v for k, v in seen.headers.items()}.get("authorization", "")
            if header.startswith("token="):
                found.add(header.removeprefix("token="))
        return found

    def logins(self) -> int:
        return len(self.proxy.requests("POST", "^/acs/api/v1/auth/login$"))


def app_stack(
    tmp_path: Path,
    engine: Path,
    sandbox: Sandbox,
    proxy: FaultProxy,
    *,
    stack: str = "e2e",
    login: bool = False,
    definition: dict[str, Any] | None = None,
    **config: str,
) -> FaultStack:
    """The marathon_app project, one copy per test (several stacks share it and its backend)."""
    project = tmp_path / "marathon_app"
    if not project.exists():
        copy_test_project("marathon_app", tmp_path)
    cli = PulumiCli(project, tmp_path / "state", stack, bin_dir=engine)
    result = connect(cli, sandbox, proxy, login)
    result.configure(
        **{"definition": json.dumps(definition or seed_app()), "waitTimeoutSeconds": "30", **config}
    )
    return result


def pool_stack(
    tmp_path: Path, engine: Path, sandbox: Sandbox, proxy: FaultProxy, **config: str
) -> FaultStack:
    copy_test_project("edgelb_pool", tmp_path)
    cli = PulumiCli(tmp_path / "edgelb_pool", tmp_path / "state", bin_dir=engine)
    result = connect(cli, sandbox, proxy, login=False)
    result.configure(**{"pool": json.dumps(seed_pool()), "waitTimeoutSeconds": "30", **config})
    return result


def program_stack(
    tmp_path: Path,
    engine: Path,
    sandbox: Sandbox,
    proxy: FaultProxy,
    clusters: list[dict[str, Any]] | None = None,
    *,
    login: bool = False,
) -> FaultStack:
    """The project's own program (the exposure component) on stack `e2e`."""
    cli = PulumiCli(copy_program(tmp_path / "exposure"), tmp_path / "state", bin_dir=engine)
    result = connect(cli, sandbox, proxy, login)
    if clusters is not None:
        set_clusters(cli, clusters)
    return result


def connect(cli: PulumiCli, sandbox: Sandbox, proxy: FaultProxy, login: bool) -> FaultStack:
    """`dcos:url` is the proxy; the credential goes in as a secret (a static token, or the
    admin's uid and password, with which the provider logs in itself)."""
    cli.set_config("dcos:url", proxy.url)
    if login:
        cli.set_config("dcos:username", ADMIN_UID)
        cli.set_config("dcos:password", ADMIN_PASSWORD, secret=True)
        return FaultStack(cli, sandbox, proxy, [ADMIN_PASSWORD])
    token = sandbox.admin_token()
    cli.set_config("dcos:token", token, secret=True)
    return FaultStack(cli, sandbox, proxy, [token, ADMIN_PASSWORD])


# -- how every scenario ends -------------------------------------------------------------------------


def assert_converged(
    stack: FaultStack, *, apps_: tuple[str, ...] = (), pools_: tuple[str, ...] = (), owner: str | None = None
) -> None:
    """Exactly the given apps and pools on the cluster and in the state, each settled (and, with
    `owner`, carrying that marker); the next preview has nothing to do; nothing secret leaked."""
    stack.proxy.clear()
    sandbox = stack.sandbox
    live_apps = apps(sandbox)
    assert sorted(a["id"] for a in live_apps) == sorted(apps_)
    for app in live_apps:
        assert app["tasksRunning"] == app["instances"], app
        if owner is not None:
            assert app["labels"]["PULUMI_OWNER"] == owner
    assert deployments(sandbox) == []
    live_pools = pools(sandbox)
    assert sorted(p["name"] for p in live_pools) == sorted(pools_)
    token = sandbox.admin_token()
    for pool in live_pools:
        plan = sandbox.request(
            "GET", f"/service/{pool['namespace']}/{pool['name']}/v1/plans/deploy", token=token
        )
        assert plan.status_code == 200 and plan.json()["status"] == "COMPLETE"
        if owner is not None:
            assert pool["environmentVariables"]["PULUMI_OWNER"] == owner
    in_state = sorted(r["outputs"]["app_id"] for r in stack.resources(APP_TYPE))
    assert in_state == sorted(apps_)
    assert sorted(r["outputs"]["pool_name"] for r in stack.resources(POOL_TYPE)) == sorted(pools_)
    assert stack.pending_operations() == []
    stack.cli.preview(expect_no_changes=True).check()
    assert_no_secret(stack)


def assert_no_secret(stack: FaultStack) -> None:
    """No credential in any CLI output so far, nor in any file of the backend or PULUMI_HOME: the
    configured ones and every token the provider used (its own logins' included)."""
    text, files = stack.cli.text, stack.cli.state_files_text()
    keep_transcript(stack.cli.text, stack.cli.stack)
    for secret in [*stack.secrets, *stack.tokens_seen()]:
        assert secret not in text, "a credential appears in the CLI output"
        assert secret not in files, "a credential appears in the state files"


def keep_transcript(text: str, stack: str) -> None:
    """With FAULT_TRANSCRIPTS=<dir>, every scenario's CLI output goes to <dir>/<test>-<stack>.txt:
    where the README's "Faults and what you see" table takes its messages from."""
    folder = os.environ.get("FAULT_TRANSCRIPTS")
    test = os.environ.get("PYTEST_CURRENT_TEST", "scenario").split(" ")[0]
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / (re.sub(r"[^\w.-]+", "_", test) + f"-{stack}.txt")).write_text(text)
