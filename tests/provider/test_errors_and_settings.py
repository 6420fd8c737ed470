"""Errors a user can act on: one message naming the setting, as a RunError; settings problems fail
check() (so `pulumi preview`) without any write."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pulumi
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pulumi.dynamic import Config, ConfigureRequest

from provider.auth import LoginToken
from provider.errors import CredentialsRefused, DcosUnreachable, ProviderError
from provider.http import DcosHttp
from provider.marathon_api import MarathonClient
from provider.marathon_app import MarathonAppProvider
from provider.settings import load_settings
from tests.faults.harness import app_inputs, configured, marathon, owner, warnings
from tests.sandbox import ADMIN_UID, Sandbox
from tests.seed_documents import seed_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def check_failures(**config: str) -> dict[str, str]:
    """Settings problems by the key their rule names (they are no input property)."""
    provider = configured(MarathonAppProvider(), config.pop("url", "https://127.0.0.1:9"), **config)
    result = provider.check({}, {"definition": seed_app(), "owner": owner()})
    assert all(f.property == "" for f in result.failures)
    return {f.reason.split(" ", 1)[0]: f.reason for f in result.failures}


def test_errors_are_run_errors_whose_text_is_the_whole_message() -> None:
    error = DcosUnreachable("cannot reach x", method="GET", path="/", sent=False)
    assert isinstance(error, pulumi.RunError) and isinstance(error, ProviderError)
    assert str(error) == "cannot reach x"


def test_settings_problems_fail_check_naming_the_key() -> None:
    assert "dcos:insecure" in check_failures(insecure="maybe")
    assert "true or false" in check_failures(insecure="maybe")["dcos:insecure"]
    found = check_failures(serviceAccountId="sa", serviceAccountPrivateKey="not a key")
    assert "PEM" in found["dcos:serviceAccountPrivateKey"]
    assert "not a key" not in repr(found)


def test_a_missing_url_fails_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DCOS_URL", raising=False)
    provider = MarathonAppProvider()
    provider.configure(_request({}))
    failures = provider.check({}, {"definition": seed_app(), "owner": owner()}).failures
    assert [f.property for f in failures] == [""]
    assert "dcos:url" in failures[0].reason and "DCOS_URL" in failures[0].reason


def _request(values: dict[str, str]) -> ConfigureRequest:
    return ConfigureRequest(Config(values, "dcos-kubernetes-api"))


def test_a_non_rsa_or_non_ascii_credential_is_named() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert (
        "RSA"
        in check_failures(serviceAccountId="sa", serviceAccountPrivateKey=ec_key.decode())[
            "dcos:serviceAccountPrivateKey"
        ]
    )
    found = check_failures(token="abc\u00e9def")
    assert "ASCII" in found["dcos:token"] and "abc" not in found["dcos:token"]


def test_an_unreachable_cluster_says_so_without_http_0() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(DcosUnreachable) as error:
        MarathonClient(DcosHttp(load_settings({"dcos:url": url, "dcos:token": "t"}.get, {}))).info()
    assert str(error.value).startswith(f"cannot reach {url}") and "HTTP 0" not in str(error.value)
    assert "dcos:url" in str(error.value) and error.value.sent is False


def test_login_network_errors_are_wrapped() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    http = DcosHttp(load_settings({"dcos:url": url, "dcos:username": "u", "dcos:password": "pw"}.get, {}))
    with pytest.raises(DcosUnreachable, match="cannot reach"):
        MarathonClient(http).info()


def test_a_refused_token_names_dcos_token(sandbox: Sandbox) -> None:
    provider = marathon(sandbox.url, "not-a-valid-token")
    with pytest.raises(CredentialsRefused) as error:
        provider.create(app_inputs(provider))
    assert "dcos:token" in str(error.value) and "not-a-valid-token" not in str(error.value)


def test_a_refused_login_names_the_login_settings(sandbox: Sandbox) -> None:
    provider = configured(MarathonAppProvider(), sandbox.url, username=ADMIN_UID, password="pw-s3cr3t")
    with pytest.raises(CredentialsRefused) as error:
        provider.create(app_inputs(provider))
    assert "dcos:username" in str(error.value) and "pw-s3cr3t" not in str(error.value)


def test_a_preview_that_cannot_read_the_cluster_warns() -> None:
    provider = configured(MarathonAppProvider(), f"http://127.0.0.1:{free_port()}", token="t")
    with warnings() as said:
        # A create's preview: check() probes the cluster once per process.
        props = app_inputs(provider)
        app_inputs(provider)
    assert len(said) == 1 and said[0].startswith(
        "cannot read the cluster for this Marathon-LB app: cannot reach"
    )
    state = {**props, "app_id": "/marathon-lb-kubernetes-cluster"}
    with warnings() as said:
        diff = provider.diff(state["app_id"], state, props)
    assert diff.changes is False
    assert len(said) == 1 and "cannot read the live app" in said[0] and "cannot reach" in said[0]


def test_invalidate_keeps_a_token_another_thread_just_got() -> None:
    logins: list[int] = []
    lock = threading.Lock()

    def login(_body: dict[str, Any]) -> str:
        with lock:
            logins.append(1)
            return f"token-{len(logins)}"

    source = LoginToken(login, dict, "hint")
    stale = source.token()
    barrier = threading.Barrier(8)
    got: list[str | None] = []

    def after_a_401() -> None:
        barrier.wait(timeout=10)
        source.invalidate(stale)
        got.append(source.token())

    threads = [threading.Thread(target=after_a_401) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(logins) == 2 and set(got) == {"token-2"}
    source.invalidate("token-1")  # an older failure must not throw the new token away
    assert source.token() == "token-2" and len(logins) == 2
