"""Marathon's two validation layers (spec §1.6): the RAML read of the JSON body (shape, types,
patterns, minimums, enums → 422 "Invalid JSON" with a details list) and the semantic validator run on
the normalized app (→ 422 "Object is not valid")."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

# RAML error codes keyed by JSON path; paths are play-json style: `/labels/KEY`, `/portDefinitions(0)/port`.
Errors = dict[str, list[str]]
Check = Callable[[Any, str, Errors], None]

SEGMENT_PATTERN = (
    r"^(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])|(\.|\.\.)$"
)
_SEGMENT_RE = re.compile(SEGMENT_PATTERN)
_PATH_ID_RE = re.compile(
    r"^(\/?((\.\.)|(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*"
    r"([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9]))?($|\/))+$"
)
_PORT_NAME_RE = re.compile(r"^[a-z0-9-]+$")
RESERVED_LAST_SEGMENTS = ("restart", "tasks", "versions")

NO_CMD_ARGS_OR_CONTAINER = "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."
GROUP_APP_CLASH = "Groups and Applications may not have the same identifier."


def _add(errors: Errors, path: str, code: str) -> None:
    errors.setdefault(path or "/", []).append(code)


# -- RAML-level checkers -------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    # bool is an int in Python, but `true` is not a JSON number.
    return isinstance(value, int | float) and not isinstance(value, bool)


def string(pattern: re.Pattern[str] | None = None, min_length: int = 0) -> Check:
    def check(value: Any, path: str, errors: Errors) -> None:
        if not isinstance(value, str):
            _add(errors, path, "error.expected.jsstring")
        elif len(value) < min_length:
            _add(errors, path, "error.minLength")
        elif pattern is not None and not pattern.fullmatch(value):
            _add(errors, path, "error.pattern")

    return check


def number(minimum: float | None = None, maximum: float | None = None, *, integer: bool = False) -> Check:
    def check(value: Any, path: str, errors: Errors) -> None:
        if not _is_number(value) or (isinstance(value, float) and not math.isfinite(value)):
            _add(errors, path, "error.expected.jsnumber")
        elif integer and not float(value).is_integer():
            _add(errors, path, "error.expected.int")
        elif minimum is not None and value < minimum:
            _add(errors, path, "error.min")
        elif maximum is not None and value > maximum:
            _add(errors, path, "error.max")

    return check


def boolean() -> Check:
    def check(value: Any, path: str, errors: Errors) -> None:
        if not isinstance(value, bool):
            _add(errors, path, "error.expected.jsboolean")

    return check


def enum(*values: str) -> Check:
    def check(value: Any, path: str, errors: Errors) -> None:
        if not isinstance(value, str):
            _add(errors, path, "error.expected.jsstring")
        elif value not in values:
            _add(errors, path, "error.unknown.enum.literal")

    return check


def array(item: Check | None = None) -> Check:
    def check(value: Any, path: str, errors: Errors) -> None:
        if not isinstance(value, list):
            _add(errors, path, "error.expected.jsarray")
            return
        if item is not None:
            for index, element in enumerate(value):
                item(element, f"{path}({index})", errors)

    return check


def string_map(value_check: Check | None = None) -> Check:
    """A JSON object whose values must all be strings (labels) or pass `value_check` (env)."""
    values = value_check or string()

    def check(value: Any, path: str, errors: Errors) -> None:
        if not isinstance(value, dict):
            _add(errors, path, "error.expected.jsobject")
            return
        for key, element in value.items():
            values(element, f"{path}/{key}", errors)

    return check


def obj(fields: Mapping[str, Check], required: tuple[str, ...] = ()) -> Check:
    """An object with known fields; unknown fields are ignored (play-json reads), null = absent."""

    def check(value: Any, path: str, errors: Errors) -> None:
        if not isinstance(value, dict):
            _add(errors, path, "error.expected.jsobject")
            return
        for name in required:
            if value.get(name) is None:
                _add(errors, f"{path}/{name}", "error.path.missing")
        for name, field_check in fields.items():
            if value.get(name) is not None:
                field_check(value[name], f"{path}/{name}", errors)

    return check


def one_of_type(*checks: Check) -> Check:
    """A RAML union: valid when any alternative accepts; otherwise the first one's errors."""

    def check(value: Any, path: str, errors: Errors) -> None:
        first: Errors | None = None
        for alternative in checks:
            attempt: Errors = {}
            alternative(value, path, attempt)
            if not attempt:
                return
            first = first or attempt
        for key, codes in (first or {}).items():
            errors.setdefault(key, []).extend(codes)

    return check


_port = number(0, 65535, integer=True)
_labels = string_map()
_env = string_map(one_of_type(string(), obj({"secret": string()}, required=("secret",))))
_network_protocol = enum("tcp", "udp", "udp,tcp", "tcp,udp")

_PORT_DEFINITION = obj(
    {
        "port": _port,
        "protocol": _network_protocol,
        "name": string(_PORT_NAME_RE),
        "labels": _labels,
    }
)
_PORT_MAPPING = obj(
    {
        "containerPort": _port,
        "hostPort": _port,
        "servicePort": _port,
        "protocol": _network_protocol,
        "name": string(_PORT_NAME_RE),
        "labels": _labels,
        "networkNames": array(string()),
    }
)
_CONTAINER = obj(
    {
        "type": enum("DOCKER", "MESOS"),
        "docker": obj(
            {
                "image": string(min_length=1),
                "forcePullImage": boolean(),
                "privileged": boolean(),
                "parameters": array(obj({"key": string(), "value": string()})),
                "network": enum("BRIDGE", "HOST", "NONE", "USER"),
                "portMappings": array(_PORT_MAPPING),
            }
        ),
        "volumes": array(obj({"containerPath": string(), "hostPath": string(), "mode": enum("RO", "RW")})),
        "portMappings": array(_PORT_MAPPING),
    }
)
_HEALTH_CHECK = obj(
    {
        "protocol": enum("HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"),
        "path": string(),
        "portIndex": number(0, integer=True),
        "port": _port,
        "gracePeriodSeconds": number(0, integer=True),
        "intervalSeconds": number(0, integer=True),
        "timeoutSeconds": number(0, integer=True),
        "delaySeconds": number(0, integer=True),
        "maxConsecutiveFailures": number(0, integer=True),
        "ignoreHttp1xx": boolean(),
    }
)

# RAML `ReadinessCheck` (types/readinessCheck.raml).
_READINESS_CHECK = obj(
    {
        "name": string(),
        "protocol": enum("HTTP", "HTTPS"),
        "path": string(),
        "portName": string(re.compile(r"^[a-z][-a-z0-9]*$")),
        "intervalSeconds": number(0, integer=True),
        "timeoutSeconds": number(integer=True),
        "httpStatusCodesForReady": array(number(100, 999, integer=True)),
        "preserveLastResponse": boolean(),
    }
)

APP_FIELDS: dict[str, Check] = {
    "id": string(_PATH_ID_RE, min_length=1),
    "cmd": string(min_length=1),
    "args": array(string()),
    "user": string(),
    "env": _env,
    "instances": number(0, integer=True),
    "cpus": number(0.001),
    "mem": number(0),
    "disk": number(0),
    "gpus": number(0, integer=True),
    "executor": string(),
    "constraints": array(array(string())),
    "fetch": array(
        obj(
            {
                "uri": string(min_length=1),
                "extract": boolean(),
                "executable": boolean(),
                "cache": boolean(),
                "destPath": string(),
            },
            required=("uri",),
        )
    ),
    "uris": array(string()),
    "storeUrls": array(string()),
    "backoffSeconds": number(0, integer=True),
    "backoffFactor": number(1),
    "maxLaunchDelaySeconds": number(0, integer=True),
    "container": _CONTAINER,
    "healthChecks": array(_HEALTH_CHECK),
    "readinessChecks": array(_READINESS_CHECK),
    "dependencies": array(string(_PATH_ID_RE)),
    "upgradeStrategy": obj({"minimumHealthCapacity": number(0, 1), "maximumOverCapacity": number(0, 1)}),
    "labels": _labels,
    "acceptedResourceRoles": array(string()),
    "version": string(),
    "secrets": string_map(obj({"source": string()}, required=("source",))),
    "taskKillGracePeriodSeconds": number(1, integer=True),
    "portDefinitions": array(_PORT_DEFINITION),
    "ports": array(_port),
    "requirePorts": boolean(),
    "networks": array(
        obj({"mode": enum("container", "container/bridge", "host"), "name": string(), "labels": _labels})
    ),
    "unreachableStrategy": one_of_type(
        obj(
            {
                "inactiveAfterSeconds": number(0, integer=True),
                "expungeAfterSeconds": number(0, integer=True),
            }
        ),
        enum("disabled"),
    ),
    "killSelection": enum("YOUNGEST_FIRST", "OLDEST_FIRST"),
    "tty": boolean(),
    "role": string(),
}


def raml_errors(body: Any, *, require_id: bool) -> Errors:
    """RAML-level problems of one app body (App for POST, AppUpdate for PUT/PATCH)."""
    errors: Errors = {}
    obj(APP_FIELDS, required=("id",) if require_id else ())(body, "", errors)
    return errors


def details(errors: Errors) -> list[dict[str, Any]]:
    return [{"path": path, "errors": codes} for path, codes in errors.items()]


# -- ids -----------------------------------------------------------------------------------------


def normalize_id(raw: str, base: str = "/") -> str:
    """Absolute form of an app id: empty segments and `.` dropped, `..` resolved (§1.7)."""
    segments = [] if raw.startswith("/") else [s for s in base.split("/") if s]
    for segment in raw.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    return "/" + "/".join(segments)


def id_errors(app_id: str) -> list[str]:
    """The validator's complaints about an (absolute, normalized) app id."""
    segments = [s for s in app_id.split("/") if s]
    if not segments:
        return ["Path must contain at least one path element"]
    problems = []
    if any(not _SEGMENT_RE.fullmatch(s) or s in (".", "..") for s in segments):
        problems.append(f"must fully match regular expression '{SEGMENT_PATTERN}'")
    if segments[-1] in RESERVED_LAST_SEGMENTS:
        problems.append(
            "must not end with any of the following reserved keywords: " + ", ".join(RESERVED_LAST_SEGMENTS)
        )
    return problems


def parent_groups(app_id: str) -> list[str]:
    """`/a/b/c` → [`/a`, `/a/b`]: the groups a nested id creates implicitly."""
    segments = [s for s in app_id.split("/") if s]
    return ["/" + "/".join(segments[:i]) for i in range(1, len(segments))]


# -- semantic validation -------------------------------------------------------------------------


def semantic_errors(app: Mapping[str, Any], *, default_role: str | None) -> Errors:
    """Validator failures of a normalized app (`Object is not valid` details)."""
    errors: Errors = {}
    for problem in id_errors(str(app.get("id", ""))):
        _add(errors, "/id", problem)

    has_cmd = bool(app.get("cmd"))
    has_args = bool(app.get("args"))
    has_container = isinstance(app.get("container"), dict)
    # Exactly one of cmd/args, or a container with at most one of them.
    if not ((has_cmd != has_args) or (not (has_cmd and has_args) and has_container)):
        _add(errors, "/", NO_CMD_ARGS_OR_CONTAINER)

    names = [p.get("name") for p in app.get("portDefinitions", []) if p.get("name")]
    if len(names) != len(set(names)):
        _add(errors, "/portDefinitions", "Port names must be unique.")

    if default_role is not None and "role" in app:
        allowed = [default_role]
        segments = [s for s in str(app.get("id", "")).split("/") if s]
        if len(segments) > 1:
            # A nested app may also use its top-level group's role (§1.6).
            allowed.append(segments[0])
        if app["role"] not in allowed:
            _add(errors, "/role", f"got {app['role']}, expected one of: [{', '.join(allowed)}]")
    return errors
