"""What every DC/OS dynamic provider shares: settings from `configure()` and a lazily built client.

Nothing here is pickled with a credential: the provider object is pickled in the program process,
before the engine calls `configure()` in the provider process, and `__getstate__` drops whatever
`configure()` and the lazy client put on the instance.
"""

from __future__ import annotations

import threading
from typing import Any

from pulumi.dynamic import ConfigureRequest, ResourceProvider

from .http import DcosHttp
from .settings import ConnectionSettings, SettingsError, load_settings
from .unknowns import contains_unknown

PROVIDER_KEY = "__provider"
_RUNTIME_ATTRIBUTES = ("_settings", "_settings_error", "_http", "_lock")


def user_props(props: dict[str, Any]) -> dict[str, Any]:
    """The resource's own properties, without the engine's serialized provider."""
    return {k: v for k, v in props.items() if k != PROVIDER_KEY}


def knob_problems(props: dict[str, Any], flags: tuple[str, ...]) -> list[tuple[str, str]]:
    """check() rules for the inputs that steer the provider (flags and the wait timeout)."""
    problems = [
        (name, "must be true or false") for name in flags if not _is_unknown_or(props.get(name), bool)
    ]
    timeout = props.get("wait_timeout_seconds")
    if not contains_unknown(timeout) and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
    ):
        problems.append(("wait_timeout_seconds", "must be a number of seconds greater than 0"))
    return problems


def _is_unknown_or(value: Any, kind: type) -> bool:
    return contains_unknown(value) or isinstance(value, kind)


def progress(subject: str, message: str) -> None:
    # The engine shows a dynamic provider's stdout in the CLI output, under the stack.
    print(f"{subject}: {message}", flush=True)


class DcosProvider(ResourceProvider):
    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in _RUNTIME_ATTRIBUTES}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def configure(self, req: ConfigureRequest) -> None:
        self._settings: ConnectionSettings | None = None
        self._settings_error: str | None = None
        try:
            self._settings = load_settings(req.config.get)
        except ValueError as error:
            # Reported at the first call that needs the cluster; check() works without it.
            self._settings_error = str(error)

    def http(self) -> DcosHttp:
        lock = self.__dict__.setdefault("_lock", threading.Lock())
        with lock:
            client: DcosHttp | None = self.__dict__.get("_http")
            if client is None:
                settings = self.__dict__.get("_settings")
                if settings is None and self.__dict__.get("_settings_error"):
                    raise SettingsError(self._settings_error)
                if settings is None:
                    # configure() was not called (direct use in tests or scripts): environment only.
                    settings = load_settings(lambda _key: None)
                client = DcosHttp(settings)
                self._http = client
            return client
