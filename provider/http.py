"""One small HTTP client for every DC/OS API behind Admin Router.

* Timeouts on every call; TLS verification on by default; the auth chain adds the token and a 401
  triggers exactly one fresh login.
* urllib3 `Retry` repeats only what cannot have changed anything: reads (GET/HEAD/OPTIONS) on
  502/503/504 and lost connections, and any call whose connection was never made. A write whose
  answer is uncertain (no answer, 5xx) is never resent blindly: callers read back instead.
* Credentials never leave the origin of `dcos:url`: logins follow no redirect at all, other calls
  only same-origin ones (scheme, host and port), a bounded number of times.
"""

from __future__ import annotations

import atexit
import http.cookiejar
import json
import os
import re
import tempfile
import threading
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.retry import Retry

from .auth import LOGIN_PATH, TokenSource, token_source
from .errors import (
    CredentialsRefused,
    DcosApiError,
    DcosUnreachable,
    ProviderError,
    RedirectRefused,
    SettingsError,
    TlsVerificationFailed,
    is_gone,
)
from .settings import ConnectionSettings

__all__ = ["DcosApiError", "DcosHttp", "is_gone"]

RETRY_STATUSES = (502, 503, 504)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
_HTML_TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


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


def origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


def _innermost(error: BaseException) -> BaseException:
    seen = {id(error)}
    while True:
        inner = getattr(error, "reason", None) or (error.args[0] if error.args else None)
        if not isinstance(inner, BaseException) or id(inner) in seen:
            return error
        seen.add(id(inner))
        error = inner


def _reason(error: BaseException) -> str:
    """A short cause for a connection failure, not urllib3's whole chain of wrappers."""
    inner = _innermost(error)
    text = str(inner)
    found = _ERRNO_TEXT.search(text)
    if found:
        return found.group(1).strip()
    if "timed out" in text.lower():
        return "timed out"
    return f"{type(inner).__name__}: {text}"[:200]


def _never_sent(error: requests.RequestException) -> bool:
    """True when no byte of the request can have reached the server (the write did not happen)."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    inner = _innermost(error)
    return isinstance(inner, NewConnectionError | ConnectTimeoutError | ConnectionRefusedError)


class DcosHttp:
    def __init__(self, settings: ConnectionSettings) -> None:
        self.settings = settings
        self._origin = origin(settings.url)
        self._verify = _verify_argument(settings)
        self._local = threading.local()
        self.auth: TokenSource = token_source(settings, self._login)

    def _session(self) -> requests.Session:
        # A Session per worker thread: the provider serves up to four gRPC calls at once.
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            retry = Retry(
                total=5,
                # Connection failures before anything was sent are safe to repeat for any method.
                connect=5,
                read=2,
                # A TLS verification failure or similar will not heal by retrying.
                other=0,
                status=5,
                # 0.2, 0.4, ... 3.2 s: about 6 s in all, long enough for a Marathon leader election.
                backoff_factor=0.2,
                status_forcelist=RETRY_STATUSES,
                # Reads only: a write answered 5xx or not at all may have happened (see module doc).
                allowed_methods=READ_METHODS,
                raise_on_status=False,
                respect_retry_after_header=True,
            )
            session = requests.Session()
            # The login's Set-Cookie would authenticate later calls behind the header's back.
            session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
            adapter = HTTPAdapter(max_retries=retry)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._local.session = session
        return session

    # -- network failures --------------------------------------------------------------------------

    def _network_error(self, method: str, path: str, error: Exception) -> ProviderError:
        url = self.settings.url
        if isinstance(error, requests.exceptions.InvalidHeader | UnicodeEncodeError):
            # Their text quotes the header value, i.e. the token: name only the kind of problem.
            return SettingsError(
                "the DC/OS token is not a valid header value: check dcos:token (DCOS_ACS_TOKEN)"
            )
        if isinstance(error, requests.exceptions.SSLError):
            return TlsVerificationFailed(
                f"cannot verify the TLS certificate of {url} ({_reason(error)}): set dcos:caBundle to the "
                "cluster's CA bundle (https://<master>/ca/dcos-ca.crt), or dcos:insecure to true to skip "
                "verification",
                method=method,
                path=path,
                sent=False,
            )
        if isinstance(error, requests.RequestException) and _never_sent(error):
            return DcosUnreachable(
                f"cannot reach {url} ({_reason(error)}): check dcos:url (DCOS_URL) and that the cluster is up",
                method=method,
                path=path,
                sent=False,
            )
        return DcosUnreachable(
            f"{method} {path}: no answer from {url} ({_reason(error)})", method=method, path=path, sent=True
        )

    # -- login ---------------------------------------------------------------------------------------

    def _login(self, body: dict[str, Any]) -> str:
        uid = body.get("uid", "?")
        try:
            response = self._session().post(
                self.settings.url + LOGIN_PATH,
                json=body,
                timeout=(10.0, self.settings.request_timeout_seconds),
                verify=self._verify,
                # The body holds a password or a signed login token: it goes nowhere else.
                allow_redirects=False,
            )
        except (requests.RequestException, UnicodeEncodeError) as error:
            raise self._network_error("POST", LOGIN_PATH, error) from None
        if response.status_code in REDIRECT_STATUSES:
            target = urlsplit(urljoin(response.url, response.headers.get("location", "")))
            raise RedirectRefused(
                f"the DC/OS login at {self.settings.url} answered a redirect to {target.netloc or '?'}; "
                "logins never follow redirects: check dcos:url"
            )
        if response.status_code != 200:
            message, parsed = _error_message(response)
            hint = f"; {self.auth.settings_hint}" if response.status_code in (400, 401, 403) else ""
            refused = CredentialsRefused if response.status_code == 401 else DcosApiError
            raise refused(
                "POST",
                LOGIN_PATH,
                response.status_code,
                f"login as {uid!r} refused: {message}{hint}",
                parsed,
            )
        try:
            token = response.json().get("token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str):
            raise DcosApiError("POST", LOGIN_PATH, response.status_code, "login answered without a token")
        return token

    # -- calls ---------------------------------------------------------------------------------------

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
        response, sent_token = self._send(method, path, params, body)
        if response.status_code == 401 and self.auth.can_refresh:
            self.auth.invalidate(sent_token)
            response, sent_token = self._send(method, path, params, body)
        if response.status_code not in ok:
            message, parsed = _error_message(response)
            if response.status_code == 401:
                raise CredentialsRefused(
                    method,
                    path,
                    401,
                    message,
                    parsed,
                    text=f"DC/OS refused the credentials for {method} {path} (HTTP 401): {self.auth.settings_hint}",
                )
            raise DcosApiError(method, path, response.status_code, message, parsed)
        return response

    def request_unless_gone(
        self, method: str, path: str, *, params: dict[str, str] | None = None
    ) -> requests.Response | None:
        """Like request(), but None when the service says the object does not exist (JSON 404)."""
        try:
            return self.request(method, path, params=params)
        except DcosApiError as error:
            if is_gone(error):
                return None
            raise

    @staticmethod
    def json(response: requests.Response, method: str, path: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise DcosApiError(
                method,
                path,
                response.status_code,
                f"answered something that is not JSON: {response.text[:200]!r}",
            ) from None

    def _send(
        self, method: str, path: str, params: dict[str, str] | None, body: Any
    ) -> tuple[requests.Response, str | None]:
        """One call, following same-origin redirects only; returns the answer and the token used."""
        url = self.settings.url + path
        token = None
        for _ in range(MAX_REDIRECTS + 1):
            token = self.auth.token()
            headers = {"Accept": "application/json"}
            if token:
                headers["Authorization"] = f"token={token}"
            kwargs: dict[str, Any] = {}
            if body is not None:
                kwargs["json"] = body
            try:
                response = self._session().request(
                    method,
                    url,
                    params=params,
                    headers=headers,
                    timeout=(10.0, self.settings.request_timeout_seconds),
                    # Per call: requests lets REQUESTS_CA_BUNDLE override a Session's own `verify`.
                    verify=self._verify,
                    allow_redirects=False,
                    **kwargs,
                )
            except (requests.RequestException, UnicodeEncodeError) as error:
                raise self._network_error(method, path, error) from None
            location = response.headers.get("location")
            if response.status_code not in REDIRECT_STATUSES or not location:
                return response, token
            target = urljoin(response.url, location)
            if origin(target) != self._origin:
                raise RedirectRefused(
                    f"{method} {path} was redirected to {urlsplit(target).netloc}, another origin than "
                    f"dcos:url ({self.settings.url}); credentials are never sent there: check dcos:url"
                )
            if response.status_code in (301, 302, 303) and method not in READ_METHODS:
                raise DcosApiError(
                    method,
                    path,
                    response.status_code,
                    f"redirected to {target}, which would turn it into a GET",
                )
            response.close()
            # The Location carries its own query.
            url, params = target, None
        raise DcosApiError(method, path, 310, f"more than {MAX_REDIRECTS} redirects")
