"""The DC/OS client against localdcos over real HTTP: auth chain, retries, TLS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from provider.errors import TlsVerificationFailed
from provider.http import DcosApiError, DcosHttp
from provider.marathon_api import MarathonClient
from provider.settings import load_settings
from tests.conftest import FAST
from tests.sandbox import ADMIN_PASSWORD, ADMIN_UID, Sandbox


def client(sandbox: Sandbox, **config: str) -> DcosHttp:
    values = {"dcos:url": sandbox.url, **{f"dcos:{k}": v for k, v in config.items()}}
    return DcosHttp(load_settings(values.get, {}))


def marathon_gets(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if r["path"] == "/service/marathon/v2/info"]


def test_static_token(sandbox: Sandbox) -> None:
    http = client(sandbox, token=sandbox.admin_token())
    assert MarathonClient(http).version()


def test_no_credentials_gets_admin_routers_401(sandbox: Sandbox) -> None:
    with pytest.raises(DcosApiError) as error:
        MarathonClient(client(sandbox)).info()
    assert error.value.status == 401


def test_password_login_and_relogin_after_expiry(sandbox: Sandbox) -> None:
    http = client(sandbox, username=ADMIN_UID, password=ADMIN_PASSWORD)
    marathon = MarathonClient(http)
    marathon.info()
    sandbox.expire_tokens()
    marathon.info()  # the 401 triggers one fresh login, then the call succeeds
    logins = [r for r in sandbox.requests() if r["path"] == "/acs/api/v1/auth/login"]
    assert [r["status"] for r in logins] == [200, 200]


def test_wrong_password_names_the_uid_not_the_password(sandbox: Sandbox) -> None:
    with pytest.raises(DcosApiError) as error:
        MarathonClient(client(sandbox, username=ADMIN_UID, password="wrong-s3cret")).info()
    assert error.value.status == 401 and "admin" in str(error.value)
    assert "wrong-s3cret" not in str(error.value)


def test_service_account_login(sandbox: Sandbox) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    sandbox.request("PUT", "/_localdcos/service-accounts/exposure", json={"public_key": public_pem.decode()})
    http = client(sandbox, serviceAccountId="exposure", serviceAccountPrivateKey=private_pem.decode())
    assert MarathonClient(http).version()


def test_idempotent_calls_are_retried_on_503_and_writes_are_not(sandbox: Sandbox) -> None:
    http = client(sandbox, token=sandbox.admin_token())
    sandbox.control(marathon_unavailable=True)
    sandbox.clear_requests()
    with pytest.raises(DcosApiError) as error:
        MarathonClient(http).info()
    assert error.value.status == 503
    assert len(marathon_gets(sandbox)) == 6  # the call and five retries with backoff
    sandbox.clear_requests()
    with pytest.raises(DcosApiError):
        http.request("POST", "/service/marathon/v2/apps", body={"id": "/x", "cmd": "sleep 1"})
    with pytest.raises(DcosApiError):
        http.request("PUT", "/service/marathon/v2/apps/x", body={"cmd": "sleep 1"})
    with pytest.raises(DcosApiError):
        http.request("DELETE", "/service/marathon/v2/apps/x")
    # A write answered 503 may have happened: it is never resent blindly (callers read back).
    assert [r["method"] for r in sandbox.requests()] == ["POST", "PUT", "DELETE"]


@pytest.fixture
def tls_sandbox() -> Iterator[Sandbox]:
    with Sandbox(*FAST, auth="token", tls=True) as box:
        yield box


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_is_verified_by_default_with_a_ca_bundle_or_off_only_when_asked(tls_sandbox: Sandbox) -> None:
    token = tls_sandbox.admin_token()
    with pytest.raises(TlsVerificationFailed, match="dcos:caBundle"):
        MarathonClient(client(tls_sandbox, token=token)).info()
    assert tls_sandbox.ca_file is not None
    assert MarathonClient(client(tls_sandbox, token=token, caBundle=str(tls_sandbox.ca_file))).info()
    pem = tls_sandbox.ca_file.read_text()
    assert MarathonClient(client(tls_sandbox, token=token, caBundle=pem)).info()
    assert MarathonClient(client(tls_sandbox, token=token, insecure="true")).info()
