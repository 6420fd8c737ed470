"""A `dcos:url` that redirects to another origin, through the plain `pulumi` CLI: no credential
(token header, or the login body's password) ever reaches that origin."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.cli_support import APP_PROJECT, app_stack, assert_converged, owner_of
from tests.faults.harness import APP_ID, APPS, writes
from tests.faults.proxy import FaultProxy, RecordingServer, Rule
from tests.sandbox import ADMIN_PASSWORD, Sandbox

pytestmark = pytest.mark.e2e


def test_a_307_to_another_origin_carries_no_credential(
    tmp_path: Path, engine: Path, sandbox: Sandbox, proxy: FaultProxy, elsewhere: RecordingServer
) -> None:
    stack = app_stack(tmp_path, engine, sandbox, proxy, login=True)
    # Every path of dcos:url answers a 307 to another port of loopback (another origin).
    proxy.add(Rule("respond", None, "^/", None, status=307, headers={"Location": elsewhere.url + "/"}))
    target = elsewhere.url.removeprefix("http://")

    preview = stack.cli.preview()
    assert preview.ok  # a create's preview only probes the cluster: a warning, not a failure
    assert f"answered a redirect to {target}; logins never follow redirects: check dcos:url" in preview.output
    up = stack.cli.up()
    assert not up.ok
    assert "logins never follow redirects: check dcos:url" in up.output
    assert elsewhere.seen == []  # neither the password nor anything else went there
    assert writes(sandbox, "POST", APPS) == []

    # With a token, the calls themselves meet the redirect: refused, the token stays home.
    stack.cli.run("config", "rm", "dcos:username").check()
    stack.cli.run("config", "rm", "dcos:password").check()
    token = sandbox.admin_token()
    stack.cli.set_config("dcos:token", token, secret=True)
    stack.secrets.append(token)
    refused = stack.cli.up()
    assert not refused.ok
    assert f"was redirected to {target}, another origin than dcos:url" in refused.output
    assert "credentials are never sent there" in refused.output
    assert elsewhere.seen == []
    seen_with_password = [s for s in proxy.seen if ADMIN_PASSWORD.encode() in s.body]
    assert all(s.path == "/acs/api/v1/auth/login" for s in seen_with_password)  # only ever to dcos:url

    proxy.clear()
    stack.cli.up().check()
    assert elsewhere.seen == []
    assert_converged(stack, apps_=(APP_ID,), owner=owner_of(APP_PROJECT, "app"))
