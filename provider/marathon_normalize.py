"""Marathon's server-side defaults, in one place.

A GET returns many fields nobody sent (§1.8 of the API notes). Every comparison between a desired
definition and a live app goes through this module, so that `pulumi preview` right after `pulumi up`
is empty, while a field really changed on the cluster still shows as exactly that field.
"""

from __future__ import annotations

import copy
from typing import Any

from . import projection
from .marathon_model import canonical_app_id
from .ownership import MARKER_KEY, marker_in, with_marker_in, without_marker_in
from .projection import integral_numbers

#: Fields Marathon computes; never part of a definition and never sent back (a `version` in a PUT
#: body would even mean "roll back").
READ_ONLY_FIELDS = frozenset(
    {
        "version",
        "versionInfo",
        "tasksStaged",
        "tasksRunning",
        "tasksHealthy",
        "tasksUnhealthy",
        "tasks",
        "deployments",
        "lastTaskFailure",
        "taskStats",
        "readinessCheckResults",
    }
)


#: Fields Marathon picks itself when they are left out; not drift when undeclared.
SERVER_ASSIGNED = frozenset({"role"})


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for part in version.split("."):
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def app_defaults(marathon_version: str) -> dict[str, Any]:
    """What Marathon fills in for a field left out, for the Marathon version /v2/info reports."""
    version = _version_tuple(marathon_version or "1.10")
    defaults: dict[str, Any] = {
        "instances": 1,
        "cpus": 1,
        "mem": 128,
        "disk": 0,
        "gpus": 0,
        "backoffSeconds": 1,
        "backoffFactor": 1.15,
        "maxLaunchDelaySeconds": 3600 if version < (1, 8) else 300,
        "upgradeStrategy": {"minimumHealthCapacity": 1, "maximumOverCapacity": 1},
        "unreachableStrategy": {"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0},
        "killSelection": "YOUNGEST_FIRST",
        "requirePorts": False,
        "executor": "",
        "networks": [{"mode": "host"}],
        "labels": {},
        "env": {},
        "constraints": [],
        "fetch": [],
        "healthChecks": [],
        "readinessChecks": [],
        "dependencies": [],
        "secrets": {},
        "acceptedResourceRoles": [],
        "portDefinitions": [{"port": 0, "name": "default", "protocol": "tcp"}],
    }
    if version >= (1, 9):
        defaults["role"] = "slave_public"
    return defaults


#: A partial `unreachableStrategy` object gets the RAML defaults of its missing fields (these
#: differ from the whole-object default above, which a missing strategy gets).
UNREACHABLE_FIELD_DEFAULTS = {"inactiveAfterSeconds": 300, "expungeAfterSeconds": 600}
#: Marathon's RAML `AppHealthCheck` defaults; `portIndex` 0 is added where no port is given.
HEALTH_CHECK_DEFAULTS = {
    "protocol": "HTTP",
    "gracePeriodSeconds": 300,
    "intervalSeconds": 60,
    "maxConsecutiveFailures": 3,
    "timeoutSeconds": 20,
    "delaySeconds": 15,
}
_MARATHON_HTTP_CHECKS = ("HTTP", "HTTPS")
#: RAML `ReadinessCheck` defaults; Marathon answers every field (`httpStatusCodesForReady` [200]
#: comes from its normalization).
READINESS_CHECK_DEFAULTS: dict[str, Any] = {
    "name": "readinessCheck",
    "protocol": "HTTP",
    "path": "/",
    "portName": "http-api",
    "intervalSeconds": 30,
    "timeoutSeconds": 10,
    "httpStatusCodesForReady": [200],
    "preserveLastResponse": False,
}
#: `FetchUri` defaults, answered for every `fetch` entry.
FETCH_DEFAULTS = {"extract": True, "executable": False, "cache": False}


def _port_definition(port: dict[str, Any]) -> dict[str, Any]:
    port = {"protocol": "tcp", **port}
    if not port.get("labels"):
        port.pop("labels", None)
    return port


def _health_check(check: dict[str, Any]) -> dict[str, Any]:
    check = {**HEALTH_CHECK_DEFAULTS, **{k: v for k, v in check.items() if v is not None}}
    if check["protocol"] != "COMMAND" and "port" not in check:
        check.setdefault("portIndex", 0)
    if check["protocol"] in _MARATHON_HTTP_CHECKS:
        check.setdefault("ignoreHttp1xx", False)
    return check


def _container(container: dict[str, Any]) -> dict[str, Any]:
    container = {"type": "DOCKER", "volumes": [], **container}
    docker = container.get("docker")
    if isinstance(docker, dict):
        docker = {"forcePullImage": False, **docker}
        if container["type"] == "DOCKER":
            docker = {"privileged": False, "parameters": [], **docker}
        container["docker"] = docker
    return container


def _nested_defaults(app: dict[str, Any]) -> None:
    """Defaults inside objects the user gave only in part (Marathon fills them on its side)."""
    upgrade = app.get("upgradeStrategy")
    if isinstance(upgrade, dict):
        app["upgradeStrategy"] = {"minimumHealthCapacity": 1, "maximumOverCapacity": 1, **upgrade}
    unreachable = app.get("unreachableStrategy")
    if isinstance(unreachable, dict):
        app["unreachableStrategy"] = {**UNREACHABLE_FIELD_DEFAULTS, **unreachable}
    if isinstance(app.get("healthChecks"), list):
        app["healthChecks"] = [_health_check(c) if isinstance(c, dict) else c for c in app["healthChecks"]]
    for field, defaults in (("readinessChecks", READINESS_CHECK_DEFAULTS), ("fetch", FETCH_DEFAULTS)):
        if isinstance(app.get(field), list):
            app[field] = [{**copy.deepcopy(defaults), **c} if isinstance(c, dict) else c for c in app[field]]
    if isinstance(app.get("container"), dict):
        app["container"] = _container(app["container"])
    if isinstance(app.get("portDefinitions"), list):
        app["portDefinitions"] = [
            _port_definition(p) if isinstance(p, dict) else p for p in app["portDefinitions"]
        ]


def canonical(app: dict[str, Any], marathon_version: str) -> dict[str, Any]:
    """The full form of an app as Marathon stores it: read-only fields dropped, defaults filled."""
    result = {k: copy.deepcopy(v) for k, v in app.items() if k not in READ_ONLY_FIELDS}
    if isinstance(result.get("id"), str):
        result["id"] = canonical_app_id(result["id"])
    _nested_defaults(result)
    for key, default in app_defaults(marathon_version).items():
        result.setdefault(key, copy.deepcopy(default))
    return dict(integral_numbers(result))


#: Next to the owner's marker: which create of that resource made or took over the app. After
#: `pulumi up --replace` the engine creates first (it never asks diff() there): the new resource
#: takes the app over with a new generation, so the old one's delete knows to leave it.
GENERATION_KEY = "PULUMI_GENERATION"
MARK_KEYS = (MARKER_KEY, GENERATION_KEY)


def marker_of(app: dict[str, Any]) -> str | None:
    return marker_in(app, "labels")


def generation_of(app: dict[str, Any]) -> str | None:
    labels = app.get("labels")
    generation = labels.get(GENERATION_KEY) if isinstance(labels, dict) else None
    return generation if isinstance(generation, str) else None


def without_marker(app: dict[str, Any]) -> dict[str, Any]:
    return without_marker_in(app, "labels", MARK_KEYS)


def _adopt_assigned_ports(desired: dict[str, Any], live: dict[str, Any]) -> None:
    """`port: 0` asks for any free service port: the port Marathon assigned satisfies it."""
    wanted, actual = desired.get("portDefinitions"), live.get("portDefinitions")
    if not (isinstance(wanted, list) and isinstance(actual, list) and len(wanted) == len(actual)):
        return
    for want, have in zip(wanted, actual, strict=True):
        if isinstance(want, dict) and isinstance(have, dict) and want.get("port") == 0 and "port" in have:
            want["port"] = have["port"]


def live_view(desired: dict[str, Any] | None, live: dict[str, Any], marathon_version: str) -> dict[str, Any]:
    """The live app in the shape of the desired definition: each declared field as declared when the
    cluster agrees, else as found; undeclared fields only where they differ from Marathon's default.
    Equal to `desired` exactly when nothing drifted."""
    declared = desired or {}
    want = canonical(declared, marathon_version)
    have = canonical(without_marker(live), marathon_version)
    _adopt_assigned_ports(want, have)
    return projection.live_view(declared, want, have, SERVER_ASSIGNED)


def differs(desired: dict[str, Any], live: dict[str, Any], marathon_version: str) -> bool:
    return live_view(desired, live, marathon_version) != desired


def request_body(
    definition: dict[str, Any], owner: str | None = None, generation: str | None = None
) -> dict[str, Any]:
    """What to PUT/POST: the declared definition with an absolute id, no read-only fields and the
    owner's marker labels. The engine carries every number as a float; Marathon's RAML wants
    integers where it says int."""
    body = {k: copy.deepcopy(v) for k, v in definition.items() if k not in READ_ONLY_FIELDS}
    body["id"] = canonical_app_id(str(body["id"]))
    if owner is not None:
        marks = {MARKER_KEY: owner, **({GENERATION_KEY: generation} if generation else {})}
        body = with_marker_in(body, "labels", marks)
    return dict(integral_numbers(body))


def settled_as(
    desired: dict[str, Any], owner: str, generation: str, live: dict[str, Any], marathon_version: str
) -> bool:
    """The live app is the desired one, marks included (a write would change nothing)."""
    return (
        marker_of(live) == owner
        and generation_of(live) == generation
        and not differs(desired, live, marathon_version)
    )
