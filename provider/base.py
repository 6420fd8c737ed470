"""What every DC/OS dynamic provider shares: settings from `configure()`, a lazily built client,
and the check() rules for the inputs that steer the provider rather than the cluster.

Nothing here is pickled with a credential: the provider object is pickled in the program process,
before the engine calls `configure()` in the provider process, and `__getstate__` drops whatever
`configure()` and the lazy client put on the instance.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pulumi.dynamic import CheckFailure, ConfigureRequest, ResourceProvider

from . import diagnostics, target_service
from .errors import ProviderError, SettingsError
from .ownership import Owner
from .settings import ConnectionSettings, load_settings
from .unknowns import contains_unknown

if TYPE_CHECKING:  # the program process imports this module, and needs no HTTP client
    from .http import DcosHttp

PROVIDER_KEY = "__provider"
_RUNTIME_ATTRIBUTES = ("_settings", "_settings_error", "_http", "_lock", "_configured")

# (cluster URL, path) -> whether it answered: one probe per provider process and cluster.
_probed: dict[tuple[str, str], bool] = {}
_probe_lock = threading.Lock()

#: Inputs every resource has that steer the provider; their defaults also apply to old states.
COMMON_DEFAULTS: dict[str, Any] = {"adopt": False, "target_service": None, "require_target_service": False}


@dataclass(frozen=True)
class WriteSpec:
    """What every write needs besides the object itself: whose it is, whether it may take over
    someone else's, and how long its change may take to settle."""

    owner: str
    adopt: bool
    timeout: float

    @staticmethod
    def knobs(inputs: dict[str, Any]) -> dict[str, Any]:
        return {
            "owner": str(inputs["owner"]),
            "adopt": bool(inputs["adopt"]),
            "timeout": float(inputs["wait_timeout_seconds"]),
        }


def forget_probes() -> None:
    """Drop what the reachability probes learnt (tests change clusters between calls)."""
    with _probe_lock:
        _probed.clear()


def user_props(props: dict[str, Any]) -> dict[str, Any]:
    """The resource's own properties, without the engine's serialized provider."""
    return {k: v for k, v in props.items() if k != PROVIDER_KEY}


def with_defaults(props: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    return {**defaults, **{k: v for k, v in props.items() if not (k in defaults and v is None)}}


def knobs_changed(old: dict[str, Any], new: dict[str, Any], defaults: dict[str, Any]) -> bool:
    """A state written before an input existed holds its default, not a change."""
    return any(old.get(k, d) != new.get(k, d) for k, d in defaults.items())


def knob_problems(props: dict[str, Any], flags: tuple[str, ...]) -> list[tuple[str, str]]:
    """check() rules for the inputs that steer the provider (flags, the wait timeout, the owner and
    the target service)."""
    problems = [
        (name, "must be true or false") for name in flags if not _is_unknown_or(props.get(name), bool)
    ]
    timeout = props.get("wait_timeout_seconds")
    if not contains_unknown(timeout) and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
    ):
        problems.append(("wait_timeout_seconds", "must be a number of seconds greater than 0"))
    owner = props.get("owner")
    if not contains_unknown(owner) and (not isinstance(owner, str) or Owner.parse(owner) is None):
        problems.append(
            ("owner", "must be <organization>/<project>/<stack>#<resource name> (set by the resource)")
        )
    service = props.get("target_service")
    if (
        service is not None
        and not contains_unknown(service)
        and (not isinstance(service, str) or not service)
    ):
        problems.append(("target_service", "must be a DC/OS service name such as dev/kubernetes01"))
    elif isinstance(service, str) and service.startswith("/"):
        problems.append(
            ("target_service", "must be the service name without a leading slash (dev/kubernetes01)")
        )
    return problems


def _is_unknown_or(value: Any, kind: type) -> bool:
    return contains_unknown(value) or isinstance(value, kind)


class DcosProvider(ResourceProvider):
    #: A cheap read of the service the resource lives in, for check()'s reachability probe.
    probe_path = "/service/marathon/v2/info"

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in _RUNTIME_ATTRIBUTES}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def configure(self, req: ConfigureRequest) -> None:
        self._configured = True
        self._settings: ConnectionSettings | None = None
        self._settings_error: SettingsError | None = None
        try:
            self._settings = load_settings(req.config.get)
        except SettingsError as error:
            # Reported by check() (so `pulumi preview` fails) and by any call that needs the cluster.
            self._settings_error = error

    def _load(self) -> ConnectionSettings:
        error: SettingsError | None = self.__dict__.get("_settings_error")
        if error is not None:
            raise error
        settings: ConnectionSettings | None = self.__dict__.get("_settings")
        if settings is None:
            # configure() was not called (direct use in tests or scripts): environment only.
            settings = load_settings(lambda _key: None)
        return settings

    def http(self) -> DcosHttp:
        # Imported here: the program process pickles providers and never calls the cluster.
        from .http import DcosHttp  # noqa: PLC0415

        lock = self.__dict__.setdefault("_lock", threading.Lock())
        with lock:
            client: DcosHttp | None = self.__dict__.get("_http")
            if client is None:
                client = DcosHttp(self._load())
                self._http = client
            return client

    # -- check() helpers ---------------------------------------------------------------------------

    def settings_failures(self) -> list[CheckFailure]:
        """Problems of the `dcos:*` settings, each naming its key, so that preview fails on them.
        They are no input of the resource: without a property the engine shows the rule alone
        ("resource 'x' has a problem: dcos:insecure ... must be true or false")."""
        try:
            self._load()
        except SettingsError as error:
            return [
                CheckFailure("", rule if rule.startswith("dcos") else f"{key}: {rule}")
                for key, rule in error.problems
            ]
        return []

    def check_failures(
        self, props: dict[str, Any], problems: list[tuple[str, str]], kind: str
    ) -> list[CheckFailure]:
        """check()'s answer: the inputs' problems and the settings' first; the target service is
        only asked about when there are none."""
        failures = [CheckFailure(path, rule) for path, rule in problems] + self.settings_failures()
        if failures:
            return failures
        if not isinstance(props.get("target_service"), str):
            self.probe(kind)
            return []
        return self.target_failures(props, kind)

    def probe(self, kind: str) -> None:
        """A create has nothing to diff, so without this a preview against a dead cluster or with
        a wrong token would be green: one read per process and cluster, a warning if it fails."""
        try:
            http = self.http()
        except SettingsError:
            return
        key = (http.settings.url, self.probe_path)
        with _probe_lock:
            if key in _probed:
                return
            try:
                http.request("GET", self.probe_path)
                _probed[key] = True
            except ProviderError as error:
                _probed[key] = False
                diagnostics.warning(f"cannot read the cluster for this {kind}: {error}")

    def target_failures(self, props: dict[str, Any], kind: str) -> list[CheckFailure]:
        """Whether the DC/OS service the object exposes exists: a warning naming it, or a failure
        with `require_target_service`. An unreadable cluster is a warning, never a failure."""
        service = props.get("target_service")
        if (
            not isinstance(service, str)
            or not service
            or contains_unknown(props.get("require_target_service"))
        ):
            return []
        try:
            running = target_service.control_plane_running(self.http(), service)
        except ProviderError as error:
            diagnostics.warning(
                f"cannot read the cluster to check target_service {service!r} of this {kind}: {error}"
            )
            return []
        if running:
            return []
        message = target_service.missing_message(service, kind)
        if props.get("require_target_service") is True:
            return [CheckFailure("target_service", message)]
        diagnostics.warning(message)
        return []
