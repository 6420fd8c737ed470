"""Credentials under faults: token expiry under parallel calls, redirects to another origin."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from provider.auth import LOGIN_PATH
from provider.errors import RedirectRefused
from tests.faults.harness import APP_ID, APPS, app_inputs, marathon, no_secret_in, the_app
from tests.faults.proxy import FaultProxy, RecordingServer, Rule
from tests.sandbox import ADMIN_PASSWORD, ADMIN_UID, Sandbox

PARALLEL = 8


def logins(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if r["path"] == LOGIN_PATH]


def test_token_expiry_under_parallel_calls_logs_in_once(sandbox: Sandbox) -> None:
    provider = marathon(sandbox.url, "", username=ADMIN_UID, password=ADMIN_PASSWORD)
    created = provider.create(app_inputs(provider))
    sandbox.expire_tokens()
    sandbox.clear_requests()
    start = threading.Barrier(PARALLEL)
    results: list[Any] = []
    errors: list[BaseException] = []

    def refresh() -> None:
        start.wait(timeout=30)
        try:
            results.append(provider.read(created.id, created.outs or {}))
        except BaseException as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=refresh) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and len(results) == PARALLEL
    assert all(r.id == APP_ID for r in results)
    assert [r["status"] for r in logins(sandbox)] == [200]
    no_secret_in([r.outs for r in results], ADMIN_PASSWORD)
    the_app(sandbox)


def test_a_login_never_follows_a_redirect_to_another_origin(
    proxy: FaultProxy, sandbox: Sandbox, elsewhere: RecordingServer
) -> None:
    provider = marathon(proxy.url, "", username=ADMIN_UID, password=ADMIN_PASSWORD)
    proxy.add(Rule.redirect(f"^{LOGIN_PATH}$", elsewhere.url + LOGIN_PATH, times=None))
    with pytest.raises(RedirectRefused) as refused:
        provider.create(app_inputs(provider))
    host = elsewhere.url.removeprefix("http://")
    assert host in str(refused.value) and "dcos:url" in str(refused.value)
    assert elsewhere.seen == []  # neither the password nor anything else went there
    assert ADMIN_PASSWORD not in str(refused.value)
    assert [r for r in sandbox.requests() if r["method"] == "POST" and r["path"] == APPS] == []
    proxy.clear()
    created = provider.create(app_inputs(provider))
    assert created.id == APP_ID and elsewhere.seen == []
    no_secret_in(created.outs, ADMIN_PASSWORD)
    the_app(sandbox)


def test_calls_follow_same_origin_redirects_only(
    proxy: FaultProxy, sandbox: Sandbox, elsewhere: RecordingServer
) -> None:
    token = sandbox.admin_token()
    provider = marathon(proxy.url, token)
    info = "/service/marathon/v2/info"
    # Same origin (the proxy itself): followed, with the token.
    proxy.add(Rule.redirect(f"^{info}$", f"{proxy.url}{info}?again=1", times=1))
    created = provider.create(app_inputs(provider))
    followed = [s for s in proxy.requests("GET", f"^{info}$") if s.path.endswith("?again=1")]
    assert len(followed) == 1 and followed[0].headers["Authorization"] == f"token={token}"
    assert created.id == APP_ID
    # Another port of loopback is another origin: refused, and no credential leaves.
    proxy.add(Rule.redirect(f"^{APPS}{APP_ID}$", f"{elsewhere.url}{APPS}{APP_ID}", times=None))
    with pytest.raises(RedirectRefused, match=elsewhere.url.removeprefix("http://")):
        provider.read(created.id, created.outs or {})
    assert elsewhere.seen == []
    assert token not in repr(proxy.requests("GET", "^/_localdcos"))
    the_app(sandbox)
