"""Runs that do not finish, through the plain `pulumi` CLI: `pulumi up` killed mid-create, a
deployment that stalls, and every token expiring while several resources are created at once."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.faults.cli_support import (
    APP_PATH,
    APP_PROJECT,
    app_stack,
    assert_converged,
    owner_of,
    program_stack,
)
from tests.faults.harness import APP_ID, APPS, writes
from tests.faults.proxy import FaultProxy
from tests.sandbox import Sandbox
from tests.seed_documents import seed_app

pytestmark = pytest.mark.e2e

WAIT_SECONDS = 60.0


def descendants(pid: int) -> list[int]:
    """The processes below `pid` (from /proc), found before it dies: the engine starts its
    plugins in process groups of their own, so killing the CLI's group leaves them running."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has exited


def until(predicate: object, seconds: float = WAIT_SECONDS) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return True
        time.sleep(0.05)
    return False


def test_sigkill_of_up_mid_create_then_what_a_user_does_next(
    tmp_path: Path, engine: Path, sandbox: Sandbox, proxy: FaultProxy
) -> None:
    stack = app_stack(tmp_path, engine, sandbox, proxy)
    cli = stack.cli
    sandbox.control(deploy_seconds=6.0)  # the create is still waiting when the CLI dies
    argv = ["up", "--yes", "--skip-preview", "--stack", cli.stack, "--non-interactive", "--color", "never"]
    run = subprocess.Popen(
        [str(cli.bin_dir / "pulumi"), *argv],
        cwd=cli.project_dir,
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    plugins: list[int] = []
    try:
        assert until(lambda: bool(proxy.requests("POST", f"^{APPS}$"))), "the create never posted"
        time.sleep(0.5)
        plugins = descendants(run.pid)
        os.killpg(run.pid, signal.SIGKILL)
        killed = run.communicate(timeout=30)[0]
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait(timeout=30)
    assert "waiting for deployment" in killed
    # The provider host sees its engine gone and stops at once: nothing goes on touching the app.
    assert until(lambda: not any(alive(p) for p in plugins), 15.0), "plugins outlived the engine"
    seen = len(proxy.seen)
    time.sleep(1.5)
    assert len(proxy.seen) == seen
    sandbox.control(deploy_seconds=0.1)

    # What the user sees next, and does.
    locked = cli.up()
    assert not locked.ok
    assert "the stack is currently locked by 1 lock(s)" in locked.output
    assert "pulumi cancel" in locked.output
    cancel = cli.run("cancel", "--yes").check()
    assert "has been canceled" in cancel.output
    up = cli.up().check()
    assert "1 pending operations from previous deployment" in up.output
    assert "interrupted while creating" in up.output
    assert "taking over the existing app" in up.output
    assert len(writes(sandbox, "POST", APPS)) == 2  # the second one met the killed run's app (409)
    assert stack.pending_operations() != []  # `up` leaves the interrupted create in the state...
    cli.refresh("--clear-pending-creates").check()  # ...until a refresh clears it
    assert_converged(stack, apps_=(APP_ID,), owner=owner_of(APP_PROJECT, "app"))


def test_stalled_deployment_then_preview_shows_the_pending_change(
    tmp_path: Path, engine: Path, sandbox: Sandbox, proxy: FaultProxy
) -> None:
    stack = app_stack(tmp_path, engine, sandbox, proxy, waitTimeoutSeconds="3")
    stack.cli.up().check()
    sandbox.control(stall_deployments=True)
    changed = seed_app()
    changed["labels"]["HAPROXY_GROUP"] = "internal"
    stack.set_definition(changed)
    failed = stack.cli.up()
    assert not failed.ok
    assert f"the deployment of {APP_ID} did not finish within 3s" in failed.output
    assert "no offers matched" in failed.output  # Marathon's last task failure
    assert "removed again" not in failed.output  # an update is never rolled back
    preview = stack.cli.preview()
    assert preview.ok and "1 to update" in preview.output
    assert f"app {APP_ID} has not settled (deployment" in preview.output
    assert not stack.cli.preview(expect_no_changes=True).ok

    # Once the cluster can run it, the stalled deployment finishes by itself; the state still
    # holds the old label, so the next run records the change (no PUT: it is in place already).
    sandbox.control(stall_deployments=False)
    sandbox.wait_deployments_done(timeout=30)
    puts = len(writes(sandbox, "PUT", APP_PATH))
    assert "1 to update" in stack.cli.preview().check().output
    up = stack.cli.up().check()
    assert "already is as declared" in up.output
    assert len(writes(sandbox, "PUT", APP_PATH)) == puts
    [state] = stack.resources("pulumi-python:dynamic/dcos:MarathonApp")
    assert state["outputs"]["definition"]["labels"]["HAPROXY_GROUP"] == "internal"
    assert_converged(stack, apps_=(APP_ID,))


def test_token_expiry_under_parallel_calls_logs_in_once(
    tmp_path: Path, engine: Path, sandbox: Sandbox, proxy: FaultProxy
) -> None:
    """Four exposures created at once by the project's program, with a uid and password: every
    token expires right after the first POST, and the provider logs in again once, not per call."""
    names = [f"team{i}/kubernetes" for i in range(4)]
    for name in names:
        assert sandbox.request("POST", "/_localdcos/mesos/clusters", json={"name": name}).status_code < 300
    clusters = [
        {"name": name, "via": "marathon-lb", "port": 7441 + i, "publicHost": "127.0.0.1"}
        for i, name in enumerate(names)
    ]
    stack = program_stack(tmp_path, engine, sandbox, proxy, clusters, login=True)
    sandbox.control(deploy_seconds=1.0)
    expired: list[int] = []

    def expire_after_the_first_post() -> None:
        if until(lambda: bool(proxy.requests("POST", f"^{APPS}$")), 120.0):
            expired.append(stack.logins())
            sandbox.expire_tokens()

    thread = threading.Thread(target=expire_after_the_first_post, daemon=True)
    thread.start()
    try:
        stack.cli.up().check()
    finally:
        thread.join(timeout=130)
    assert expired == [1], "one login before the expiry"
    refused = [r for r in sandbox.requests() if r["status"] == 401]
    # All waits share one deployments poller, so how many calls meet the expired token depends on
    # timing (the race of many calls after an expiry is tests/faults/test_credentials_faults.py's).
    assert refused, "the run met the expired token"
    assert stack.logins() == 2, "one login after the expiry, shared by every call"
    app_ids = tuple(f"/marathon-lb-{name.replace('/', '-')}" for name in names)
    assert_converged(stack, apps_=app_ids)
