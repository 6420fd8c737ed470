"""DC/OS IAM (`/acs/api/v1`): login for users and service accounts, and the RS256 tokens Admin Router
checks (spec §4)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from localdcos.core.options import SandboxOptions

COOKIE_NAME = "dcos-acs-auth-cookie"
# The IAM refuses service login tokens that stay valid longer than this (§4).
MAX_LOGIN_TOKEN_SECONDS = 10 * 60
# Tolerated clock difference between the client that minted a login token and us.
_CLOCK_SKEW_SECONDS = 5


class InvalidToken(Exception):
    """The token is malformed, not signed by this IAM, or expired."""


@dataclass
class Identity:
    uid: str
    kind: Literal["user", "service"]
    password: str | None = None
    public_key_pem: str | None = None
    # False = authenticated but without dcos:adminrouter:* permissions (Admin Router answers 403).
    permission: bool = True


def _new_signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _iam_error(status: int, title: str, description: str, code: str) -> JSONResponse:
    return JSONResponse({"title": title, "description": description, "code": code}, status_code=status)


def _bad_request(description: str) -> JSONResponse:
    return _iam_error(400, "Bad Request", description, "ERR_INVALID_DATA")


def _unauthorized(description: str) -> JSONResponse:
    return _iam_error(401, "Authentication failed", description, "ERR_INVALID_CREDENTIALS")


class IAM:
    """Identities, the token signing key, and the login route."""

    name = "iam"
    prefix = "/acs/api/v1"

    def __init__(self, options: SandboxOptions) -> None:
        self._options = options
        self._identities: dict[str, Identity] = {}
        self._key = _new_signing_key()

    # -- identities -------------------------------------------------------------------------------

    def add_user(self, uid: str, password: str, *, permission: bool = True) -> None:
        self._identities[uid] = Identity(uid, "user", password=password, permission=permission)

    def add_service_account(self, uid: str, public_key_pem: str, *, permission: bool = True) -> None:
        # Fail at registration, not at login, when the key is unusable.
        key = serialization.load_pem_public_key(public_key_pem.encode())
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError(f"service account {uid}: public key must be RSA (RS256)")
        self._identities[uid] = Identity(uid, "service", public_key_pem=public_key_pem, permission=permission)

    def remove(self, uid: str) -> bool:
        return self._identities.pop(uid, None) is not None

    def identities(self) -> list[Identity]:
        return list(self._identities.values())

    def has_permission(self, uid: str) -> bool:
        identity = self._identities.get(uid)
        return identity is not None and identity.permission

    # -- tokens -----------------------------------------------------------------------------------

    def issue_token(self, uid: str) -> str:
        claims = {"uid": uid, "exp": int(time.time()) + self._options.token_ttl_seconds}
        return jwt.encode(claims, self._key, algorithm="RS256")

    def verify(self, token: str) -> str:
        """The token's uid, or InvalidToken. Like Admin Router: signature, then `exp` when present."""
        try:
            claims = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["RS256"],
                options={"require": ["uid"], "verify_aud": False},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        uid = claims.get("uid")
        if not isinstance(uid, str):
            raise InvalidToken("uid claim is not a string")
        return uid

    def revoke_all(self) -> None:
        # A new signing key invalidates every token issued so far without tracking them.
        self._key = _new_signing_key()

    # -- login ------------------------------------------------------------------------------------

    def router(self) -> APIRouter:
        router = APIRouter()
        router.add_api_route("/auth/login", self._login, methods=["POST"])
        return router

    async def _login(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return _bad_request("Request body is not valid JSON.")
        if not isinstance(body, dict):
            return _bad_request("Request body must be a JSON object.")
        uid = body.get("uid")
        if not isinstance(uid, str) or not uid:
            return _bad_request("Request data is invalid: 'uid' is required and must be a string.")
        password = body.get("password")
        login_token = body.get("token")
        if (password is None) == (login_token is None):
            return _bad_request("Request data is invalid: exactly one of 'password' and 'token' is required.")
        if password is not None and not isinstance(password, str):
            return _bad_request("Request data is invalid: 'password' must be a string.")
        if login_token is not None and not isinstance(login_token, str):
            return _bad_request("Request data is invalid: 'token' must be a string.")

        identity = self._identities.get(uid)
        if password is not None:
            if identity is None or identity.kind != "user" or identity.password != password:
                return _unauthorized("The password is wrong or the user does not exist.")
        else:
            assert isinstance(login_token, str)
            problem = self._check_login_token(identity, uid, login_token)
            if problem is not None:
                return _unauthorized(problem)

        token = self.issue_token(uid)
        response = JSONResponse({"token": token})
        response.set_cookie(COOKIE_NAME, token, path="/", httponly=True)
        return response

    @staticmethod
    def _check_login_token(identity: Identity | None, uid: str, login_token: str) -> str | None:
        """Why a service login token is refused, or None when it is good."""
        if identity is None or identity.kind != "service" or identity.public_key_pem is None:
            return "The service account does not exist or the login token is invalid."
        public_key = serialization.load_pem_public_key(identity.public_key_pem.encode())
        try:
            claims = jwt.decode(
                login_token,
                public_key,  # type: ignore[arg-type]  # checked to be RSA at registration
                algorithms=["RS256"],
                options={"require": ["exp", "uid"], "verify_aud": False},
                leeway=_CLOCK_SKEW_SECONDS,
            )
        except jwt.ExpiredSignatureError:
            return "The service login token has expired."
        except jwt.PyJWTError:
            return "The service login token is invalid (signature or claims)."
        if claims.get("uid") != uid:
            return "The uid in the service login token does not match the uid in the request."
        exp = claims.get("exp")
        if (
            not isinstance(exp, int | float)
            or exp > time.time() + MAX_LOGIN_TOKEN_SECONDS + _CLOCK_SKEW_SECONDS
        ):
            return "The service login token must not be valid for more than 10 minutes."
        return None

    # -- persistence ------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        key_pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return {"signing_key": key_pem, "identities": [asdict(i) for i in self._identities.values()]}

    def restore(self, data: dict[str, Any]) -> None:
        # The signing key survives restarts so tokens (and --token-file) stay valid.
        key_pem = data.get("signing_key")
        if isinstance(key_pem, str):
            key = serialization.load_pem_private_key(key_pem.encode(), password=None)
            if isinstance(key, rsa.RSAPrivateKey):
                self._key = key
        # Identities given on the command line win over saved ones of the same uid.
        for raw in data.get("identities", []):
            identity = Identity(**raw)
            self._identities.setdefault(identity.uid, identity)
