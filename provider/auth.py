"""The auth chain: where the `Authorization: token=...` header comes from.

One of: a static ACS token; a service-account login (uid + RSA private key: a short-lived RS256
login token is exchanged for an auth token, again on expiry or on a 401); a uid + password login;
or nothing (open DC/OS without auth). Thread-safe: one token is shared by the provider's workers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from .settings import ConnectionSettings

LOGIN_PATH = "/acs/api/v1/auth/login"
# The IAM refuses service login tokens valid for more than 10 minutes.
SERVICE_LOGIN_TOKEN_SECONDS = 5 * 60
# Log in again this long before the auth token's own expiry.
REFRESH_MARGIN_SECONDS = 60

#: POSTs a JSON body to the login path and returns the auth token; raises on failure.
LoginCall = Callable[[dict[str, Any]], str]


class TokenSource(Protocol):
    def token(self) -> str | None: ...

    def invalidate(self, failed: str | None) -> None:
        """After a 401 for a call that carried `failed`: forget that token (only that one: another
        thread may already hold a fresh one) so that the next call logs in again."""
        ...

    @property
    def can_refresh(self) -> bool: ...

    @property
    def settings_hint(self) -> str:
        """Which settings a refused credential came from, for the error message."""
        ...


class NoAuth:
    can_refresh = False
    settings_hint = (
        "no credentials are configured: set dcos:token, dcos:username and dcos:password, "
        "or dcos:serviceAccountId and dcos:serviceAccountPrivateKey"
    )

    def token(self) -> str | None:
        return None

    def invalidate(self, failed: str | None) -> None:
        return None


class StaticToken:
    can_refresh = False
    settings_hint = "check dcos:token (or DCOS_ACS_TOKEN): it is wrong or expired"

    def __init__(self, value: str) -> None:
        self._value = value

    def token(self) -> str | None:
        return self._value

    def invalidate(self, failed: str | None) -> None:
        return None


def token_expiry(token: str) -> float | None:
    """The `exp` claim of a DC/OS token, read without verification (only the IAM can verify it)."""
    import jwt  # noqa: PLC0415 - only logins need it (and its cryptography): a static token starts faster

    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    exp = claims.get("exp")
    return float(exp) if isinstance(exp, int | float) else None


class LoginToken:
    """A token obtained by logging in, renewed before expiry and after invalidate()."""

    can_refresh = True

    def __init__(
        self, login: LoginCall, credentials: Callable[[], dict[str, Any]], settings_hint: str
    ) -> None:
        self._login = login
        self._credentials = credentials
        self.settings_hint = settings_hint
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at: float | None = None

    def token(self) -> str | None:
        with self._lock:
            if self._token is None or self._expiring():
                self._token = self._login(self._credentials())
                self._expires_at = token_expiry(self._token)
            return self._token

    def invalidate(self, failed: str | None) -> None:
        with self._lock:
            if failed is not None and self._token == failed:
                self._token = None

    def _expiring(self) -> bool:
        return self._expires_at is not None and self._expires_at - REFRESH_MARGIN_SECONDS < time.time()


def service_login_token(uid: str, private_key_pem: str, now: float | None = None) -> str:
    import jwt  # noqa: PLC0415

    issued = int(now if now is not None else time.time())
    return jwt.encode({"uid": uid, "exp": issued + SERVICE_LOGIN_TOKEN_SECONDS}, private_key_pem, "RS256")


def token_source(settings: ConnectionSettings, login: LoginCall) -> TokenSource:
    """Chooses the credential in order: static token, service account, user and password, none."""
    if settings.token is not None:
        return StaticToken(settings.token.get_secret_value())
    if settings.service_account_id and settings.service_account_private_key:
        uid = settings.service_account_id
        key = settings.service_account_private_key

        def service_account() -> dict[str, Any]:
            return {"uid": uid, "token": service_login_token(uid, key.get_secret_value())}

        hint = f"check dcos:serviceAccountId and dcos:serviceAccountPrivateKey (login as service account {uid!r})"
        return LoginToken(login, service_account, hint)
    if settings.username and settings.password:
        user, password = settings.username, settings.password
        hint = f"check dcos:username and dcos:password (login as {user!r})"
        return LoginToken(login, lambda: {"uid": user, "password": password.get_secret_value()}, hint)
    return NoAuth()
