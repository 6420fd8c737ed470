"""IAM login (users and service accounts) and the tokens Admin Router accepts (spec §4)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.sandbox import Sandbox

LOGIN = "/acs/api/v1/auth/login"
APPS = "/service/marathon/v2/apps"
SA_UID = "k8s-exposer"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def login_token(key: rsa.RSAPrivateKey, uid: str = SA_UID, lifetime: float = 300) -> str:
    return jwt.encode({"uid": uid, "exp": int(time.time() + lifetime)}, key, algorithm="RS256")


@pytest.fixture(scope="module")
def sa_key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture(scope="module")
def box(sa_key: rsa.RSAPrivateKey, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    pem_file = tmp_path_factory.mktemp("keys") / "sa.pub.pem"
    pem_file.write_text(public_pem(sa_key))
    with Sandbox("--service-account", f"{SA_UID}:{pem_file}", "--user", "viewer:pw:noperm") as sandbox:
        yield sandbox


def test_user_login_returns_a_token_and_the_cookie(box: Sandbox) -> None:
    response = box.login()
    assert response.status_code == 200
    token = response.json()["token"]
    assert set(response.json()) == {"token"}
    assert response.cookies["dcos-acs-auth-cookie"] == token
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "RS256"
    assert claims["uid"] == "admin"
    assert abs(claims["exp"] - (time.time() + 5 * 24 * 3600)) < 60
    assert box.request("GET", APPS, token=token).status_code == 200


@pytest.mark.parametrize(
    ("uid", "password"),
    [("admin", "wrong"), ("nobody", "admin-password"), (SA_UID, "anything")],
)
def test_bad_credentials_are_401_iam_json(box: Sandbox, uid: str, password: str) -> None:
    response = box.login(uid, password)
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"title", "description", "code"}
    assert response.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"password": "x"}',
        b'{"uid": "admin"}',
        b'{"uid": "admin", "password": "x", "token": "y"}',
        b'{"uid": "admin", "password": 5}',
    ],
)
def test_malformed_login_is_400(box: Sandbox, body: bytes) -> None:
    response = box.request("POST", LOGIN, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert set(response.json()) == {"title", "description", "code"}


def test_service_account_login(box: Sandbox, sa_key: rsa.RSAPrivateKey) -> None:
    response = box.request("POST", LOGIN, json={"uid": SA_UID, "token": login_token(sa_key)})
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    assert jwt.decode(token, options={"verify_signature": False})["uid"] == SA_UID
    assert box.request("GET", APPS, token=token).status_code == 200


@pytest.mark.parametrize(
    "case",
    ["expired", "too-long", "other-uid", "other-key", "garbage", "no-exp"],
)
def test_service_login_tokens_are_checked(box: Sandbox, sa_key: rsa.RSAPrivateKey, case: str) -> None:
    tokens: dict[str, Callable[[], str]] = {
        "expired": lambda: login_token(sa_key, lifetime=-60),
        "too-long": lambda: login_token(sa_key, lifetime=20 * 60),
        "other-uid": lambda: login_token(sa_key, uid="someone-else"),
        "other-key": lambda: login_token(new_key()),
        "garbage": lambda: "not-a-jwt",
        "no-exp": lambda: jwt.encode({"uid": SA_UID}, sa_key, algorithm="RS256"),
    }
    response = box.request("POST", LOGIN, json={"uid": SA_UID, "token": tokens[case]()})
    assert response.status_code == 401, response.text
    assert set(response.json()) == {"title", "description", "code"}


def test_service_account_registered_at_runtime(box: Sandbox) -> None:
    key = new_key()
    put = box.request("PUT", "/_localdcos/service-accounts/runtime-sa", json={"public_key": public_pem(key)})
    assert put.status_code == 204
    response = box.request(
        "POST", LOGIN, json={"uid": "runtime-sa", "token": login_token(key, uid="runtime-sa")}
    )
    assert response.status_code == 200


def test_user_without_permission_gets_403_html(box: Sandbox) -> None:
    token = box.login("viewer", "pw").json()["token"]
    response = box.request("GET", APPS, token=token)
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("text/html")


def test_expired_dcos_token_is_401_html_and_relogin_works() -> None:
    with Sandbox("--token-ttl-seconds", "1") as box:
        token = box.admin_token()
        assert box.request("GET", APPS, token=token).status_code == 200
        time.sleep(2.1)
        response = box.request("GET", APPS, token=token)
        assert response.status_code == 401
        assert response.headers["Content-Type"].startswith("text/html")
        assert response.headers["WWW-Authenticate"] == "acsjwt"
        assert box.request("GET", APPS, token=box.admin_token()).status_code == 200


def test_expire_all_tokens_through_the_control_api(box: Sandbox) -> None:
    token = box.admin_token()
    box.expire_tokens()
    response = box.request("GET", APPS, token=token)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "acsjwt"
    assert box.request("GET", APPS, token=box.admin_token()).status_code == 200


def test_token_file_holds_a_valid_admin_token(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    with Sandbox("--token-file", str(token_file)) as box:
        token = token_file.read_text().strip()
        assert jwt.decode(token, options={"verify_signature": False})["uid"] == "admin"
        assert box.request("GET", APPS, token=token).status_code == 200
