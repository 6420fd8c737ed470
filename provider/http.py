"""One small HTTP client for every DC/OS API behind Admin Router.

Timeouts on every call; urllib3 `Retry` for idempotent calls on 502/503/504 (Admin Router and
Marathon answer those while a leader is elected) and on connection errors; TLS verification on
by default; the auth chain adds the token and a 401 triggers exactly one fresh login.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import tempfile
import threading
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .auth import LOGIN_PATH, TokenSource, token_source
from .settings import ConnectionSettings

RETRY_STATUSES = (502, 503, 504)
_HTML_TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)


class DcosApiError(Exception):
    """A DC/OS API answered with an error; `message` is the service's own words."""

    def __init__(self, method: str, path: str, status: int, message: str, body: Any = None) -> None:
        super().__init__(f"{method} {path} failed with HTTP {status}: {message}")
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        self.body = body


def _error_message(response: requests.Response) -> tuple[str, Any]:
    """Marathon and Edge-LB answer JSON with `message`; the IAM `title`/`description`; Admin Router
    answers HTML or plain text pages."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        title = _HTML_TITLE.search(text)
        return (title.group(1).strip() if title else text[:300]) or response.reason, text
    if isinstance(body, dict):
        message = body.get("message") or body.get("description") or body.get("title")
        details = body.get("details")
        if details:
            message = f"{message}: {json.dumps(details)}"
        return str(message or body), body
    return str(body), body


def _verify_argument(settings: ConnectionSettings) -> bool | str:
    """A caBundle given as PEM text (as `pulumi config set --secret` often holds it) goes to a file
    that lives as long as the provider process."""
    verify = settings.verify
    if isinstance(verify, str) and verify.lstrip().startswith("-----BEGIN"):
        handle, path = tempfile.mkstemp(prefix="dcos-ca-", suffix=".pem")
        with os.fdopen(handle, "w") as pem:
            pem.write(verify)
        atexit.register(os.unlink, path)
        return path
    return verify


class DcosHttp:
    def __init__(self, settings: ConnectionSettings) -> None:
        self.settings = settings
        self._verify = _verify_argument(settings)
        self._local = threading.local()
        self.auth: TokenSource = token_source(settings, self._login)

    def _session(self) -> requests.Session:
        # A Session per worker thread: the provider serves up to four gRPC calls at once.
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            retry = Retry(
                total=5,
                connect=5,
                read=2,
                # A TLS verification failure or similar will not heal by retrying.
                other=0,
                status=5,
                # 0.2, 0.4, ... 3.2 s: about 6 s in all, long enough for a Marathon leader election.
                backoff_factor=0.2,
                status_forcelist=RETRY_STATUSES,
                allowed_methods=frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}),
                raise_on_status=False,
                respect_retry_after_header=True,
            )
            session = requests.Session()
            adapter = HTTPAdapter(max_retries=retry)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._local.session = session
        return session

    def _login(self, body: dict[str, Any]) -> str:
        response = self._session().post(
            self.settings.url + LOGIN_PATH,
            json=body,
            timeout=self.settings.request_timeout_seconds,
            verify=self._verify,
        )
        if response.status_code != 200:
            message, _ = _error_message(response)
            uid = body.get("uid", "?")
            raise DcosApiError(
                "POST", LOGIN_PATH, response.status_code, f"login as {uid!r} refused: {message}"
            )
        token = response.json().get("token")
        if not isinstance(token, str):
            raise DcosApiError("POST", LOGIN_PATH, response.status_code, "login answered without a token")
        return token

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        ok: tuple[int, ...] = (200, 201, 202, 204),
    ) -> requests.Response:
        """Sends one call; returns the response when its status is in `ok`, raises otherwise."""
        response = self._send(method, path, params, body)
        if response.status_code == 401 and self.auth.can_refresh:
            self.auth.invalidate()
            response = self._send(method, path, params, body)
        if response.status_code not in ok:
            message, parsed = _error_message(response)
            raise DcosApiError(method, path, response.status_code, message, parsed)
        return response

    def _send(self, method: str, path: str, params: dict[str, str] | None, body: Any) -> requests.Response:
        headers = {"Accept": "application/json"}
        token = self.auth.token()
        if token:
            headers["Authorization"] = f"token={token}"
        kwargs: dict[str, Any] = {}
        if body is not None:
            kwargs["json"] = body
        try:
            return self._session().request(
                method,
                self.settings.url + path,
                params=params,
                headers=headers,
                timeout=(10.0, self.settings.request_timeout_seconds),
                # Per call: requests lets REQUESTS_CA_BUNDLE override a Session's own `verify`.
                verify=self._verify,
                **kwargs,
            )
        except requests.RequestException as error:
            if isinstance(error, requests.exceptions.InvalidHeader):
                # Its text quotes the header value, i.e. the token: name only the kind of problem.
                raise DcosApiError(method, path, 0, "the DC/OS token is not a valid header value") from None
            raise DcosApiError(method, path, 0, f"cannot reach {self.settings.url}: {error}"[:400]) from None
