"""Failures a user can act on: one message that names the setting, input or object concerned.

Every expected failure is a `pulumi.RunError`, which our dynamic-provider host reports without a
Python traceback; `str(error)` is always the whole message.
"""

from __future__ import annotations

from typing import Any

import pulumi


class ProviderError(pulumi.RunError):
    """An expected failure; its text is meant for the user as it stands."""


class SettingsError(ProviderError, ValueError):
    """The `dcos:*` connection settings are missing or inconsistent.

    `problems` holds (config key, rule) pairs so that check() can name each key on its own."""

    def __init__(self, message: str, problems: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [("dcos", message)]


class DcosApiError(ProviderError):
    """A DC/OS API answered with an error; `message` is the service's own words."""

    def __init__(
        self, method: str, path: str, status: int, message: str, body: Any = None, text: str | None = None
    ) -> None:
        super().__init__(text or f"{method} {path} failed with HTTP {status}: {message}")
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        self.body = body


class CredentialsRefused(DcosApiError):
    """Admin Router answered 401 even with a fresh login: the configured credential is wrong."""


class DcosUnreachable(ProviderError):
    """No HTTP answer. `sent` tells whether the request may have reached the server (a lost answer)
    or certainly did not (refused connection, DNS, TLS), which decides whether a write may have
    happened."""

    def __init__(self, message: str, *, method: str, path: str, sent: bool) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.sent = sent


class TlsVerificationFailed(DcosUnreachable):
    pass


class RedirectRefused(ProviderError):
    """An answer redirected elsewhere than the origin of `dcos:url`; credentials never follow."""


class OwnershipConflict(ProviderError):
    """The object on the cluster belongs to someone else than this resource."""


class DeploymentFailed(ProviderError):
    """The change was made but did not come up (timeout, failed tasks): a real failure."""


class WaitInconclusive(ProviderError):
    """The cluster could not be observed until the deadline: nothing is known to have failed."""


def is_gone(error: BaseException) -> bool:
    """Only the service's own JSON 404 says the object does not exist. Admin Router's text 404
    (`404 Not Found: service not found.`) means the service itself cannot be reached right now."""
    return isinstance(error, DcosApiError) and error.status == 404 and isinstance(error.body, dict)


def is_transient(error: BaseException) -> bool:
    """A failed call that may well work when repeated: Admin Router's text 404 during a leader
    change, 5xx answers, a lost or refused connection. Never a TLS or credential problem."""
    if isinstance(error, TlsVerificationFailed):
        return False
    if isinstance(error, DcosUnreachable):
        return True
    if isinstance(error, CredentialsRefused):
        return False
    if isinstance(error, DcosApiError):
        return error.status >= 500 or error.status == 429 or (error.status == 404 and not is_gone(error))
    return False
