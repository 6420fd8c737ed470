"""Marathon's normalization: what a stored (and read back) app looks like after defaults, deprecated
field migration and service-port assignment (spec §1.6 step 2, §1.8)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from localdcos.common import version_tuple

LOCAL_PORT_MIN = 10000
LOCAL_PORT_MAX = 20000
DEFAULT_ROLE = "slave_public"

# Fields written back only when set/non-empty (1.5+ omits empty collections, §1.8).
_OPTIONAL_PASSTHROUGH = (
    "user",
    "residency",
    "taskKillGracePeriodSeconds",
    "tty",
    "check",
    "executorResources",
    "resourceLimits",
)
_OMIT_WHEN_EMPTY = (
    "args",
    "env",
    "constraints",
    "fetch",
    "storeUrls",
    "healthChecks",
    "readinessChecks",
    "dependencies",
    "secrets",
    "acceptedResourceRoles",
)


def max_launch_delay_default(marathon_version: str) -> int:
    return 300 if version_tuple(marathon_version) >= (1, 8) else 3600


def has_role_field(marathon_version: str) -> bool:
    return version_tuple(marathon_version) >= (1, 9)


#: RAML `UnreachableEnabled`: the defaults of the fields a given strategy object leaves out. They are
#: not the default of a missing strategy (below), which 1.5+ normalization fills as 0/0.
UNREACHABLE_FIELD_DEFAULTS = {"inactiveAfterSeconds": 300, "expungeAfterSeconds": 600}


def unreachable_default(marathon_version: str) -> dict[str, int]:
    # The 0/0 default arrived after 1.4.5 (d2iq-archive/marathon PR #5459).
    if version_tuple(marathon_version) <= (1, 4, 5):
        return dict(UNREACHABLE_FIELD_DEFAULTS)
    return {"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0}


def _unreachable(raw: dict[str, Any], marathon_version: str) -> Any:
    given = raw.get("unreachableStrategy")
    if given == "disabled":
        return given
    if not isinstance(given, dict):
        return unreachable_default(marathon_version)
    return {**UNREACHABLE_FIELD_DEFAULTS, **{k: v for k, v in given.items() if v is not None}}


def _networks(raw: dict[str, Any]) -> list[dict[str, Any]]:
    if raw.get("networks") is not None:
        networks = []
        for network in raw["networks"]:
            entry = {"mode": network.get("mode") or "container"}
            if network.get("name") is not None:
                entry["name"] = network["name"]
            if network.get("labels"):
                entry["labels"] = dict(network["labels"])
            networks.append(entry)
        return networks or [{"mode": "host"}]
    # Deprecated ways to ask for non-host networking, migrated like Marathon does.
    ip_address = raw.get("ipAddress")
    if isinstance(ip_address, dict):
        entry = {"mode": "container"}
        if ip_address.get("networkName"):
            entry["name"] = ip_address["networkName"]
        return [entry]
    docker = (raw.get("container") or {}).get("docker") or {}
    if docker.get("network") == "BRIDGE":
        return [{"mode": "container/bridge"}]
    if docker.get("network") == "USER":
        return [{"mode": "container"}]
    return [{"mode": "host"}]


def _port_definitions(raw: dict[str, Any]) -> list[dict[str, Any]]:
    if raw.get("portDefinitions") is not None:
        source = raw["portDefinitions"]
    elif raw.get("ports") is not None:
        source = [{"port": port} for port in raw["ports"]]
    else:
        # No ports declared at all → Marathon gives the app one dynamic port named "default".
        source = [{"port": 0, "name": "default"}]
    result = []
    for definition in source:
        entry: dict[str, Any] = {"port": int(definition.get("port") or 0)}
        entry["protocol"] = definition.get("protocol") or "tcp"
        if definition.get("name"):
            entry["name"] = definition["name"]
        if definition.get("labels"):
            entry["labels"] = dict(definition["labels"])
        result.append(entry)
    return result


def _container(raw: dict[str, Any], host_networking: bool) -> dict[str, Any]:
    given = raw["container"]
    container: dict[str, Any] = {
        key: copy.deepcopy(value)
        for key, value in given.items()
        if value is not None and key not in ("portMappings", "docker", "volumes")
    }
    container["type"] = given.get("type") or "DOCKER"
    container["volumes"] = copy.deepcopy(given.get("volumes") or [])
    docker = given.get("docker")
    if isinstance(docker, dict):
        normalized = {k: copy.deepcopy(v) for k, v in docker.items() if v is not None and k != "network"}
        normalized.setdefault("forcePullImage", False)
        if container["type"] == "DOCKER":
            normalized.setdefault("privileged", False)
            normalized.setdefault("parameters", [])
        normalized.pop("portMappings", None)
        container["docker"] = normalized
    mappings = given.get("portMappings")
    if mappings is None and isinstance(docker, dict):
        mappings = docker.get("portMappings")
    # portMappings are meaningless (and dropped) with host networking.
    if mappings and not host_networking:
        container["portMappings"] = [
            {
                "containerPort": int(m.get("containerPort") or 0),
                "hostPort": int(m.get("hostPort") or 0),
                "servicePort": int(m.get("servicePort") or 0),
                "protocol": m.get("protocol") or "tcp",
                **{k: copy.deepcopy(m[k]) for k in ("name", "labels", "networkNames") if m.get(k)},
            }
            for m in mappings
        ]
    return container


def _fetch(raw: dict[str, Any]) -> list[dict[str, Any]]:
    migrated = [{"uri": uri} for uri in raw.get("uris") or []]
    source = raw["fetch"] if raw.get("fetch") is not None else migrated
    fetch = []
    for item in source:
        entry = {
            "uri": item["uri"],
            "extract": item["extract"] if item.get("extract") is not None else True,
            "executable": bool(item.get("executable", False)),
            "cache": bool(item.get("cache", False)),
        }
        if item.get("destPath"):
            entry["destPath"] = item["destPath"]
        fetch.append(entry)
    return fetch


#: RAML `AppHealthCheck` defaults, which GET always answers.
_HEALTH_CHECK_DEFAULTS = {
    "gracePeriodSeconds": 300,
    "intervalSeconds": 60,
    "timeoutSeconds": 20,
    "maxConsecutiveFailures": 3,
    "delaySeconds": 15,
    "protocol": "HTTP",
}
# Checks Marathon itself runs (`MarathonHttpHealthCheck`, `MarathonTcpHealthCheck`): they have no
# delay, and the RAML reader does not carry `ignoreHttp1xx` into them, so GET answers the defaults
# (delay 15 s; `ignoreHttp1xx: false` for HTTP/HTTPS only) whatever the request said
# [src: raml/HealthCheckConversion.scala `appHealthCheckRamlReader` / `appHealthCheckWrites`].
_MARATHON_LEVEL_CHECKS = ("HTTP", "HTTPS", "TCP")
_MARATHON_HTTP_CHECKS = ("HTTP", "HTTPS")


def _health_checks(raw: dict[str, Any]) -> list[dict[str, Any]]:
    checks = []
    for check in raw.get("healthChecks") or []:
        entry = {**_HEALTH_CHECK_DEFAULTS, **{k: copy.deepcopy(v) for k, v in check.items() if v is not None}}
        protocol = entry["protocol"]
        # AppNormalization: a network check without port or portIndex uses the first port.
        if protocol != "COMMAND" and "port" not in entry:
            entry.setdefault("portIndex", 0)
        if protocol in _MARATHON_LEVEL_CHECKS:
            entry["delaySeconds"] = _HEALTH_CHECK_DEFAULTS["delaySeconds"]
        if protocol in _MARATHON_HTTP_CHECKS:
            entry["ignoreHttp1xx"] = False
        else:
            entry.pop("ignoreHttp1xx", None)
        # No default `path` (MarathonHttpHealthCheck.DefaultPath is None); only HTTP checks keep one.
        if "HTTP" not in protocol:
            entry.pop("path", None)
        checks.append(entry)
    return checks


#: RAML `ReadinessCheck` defaults; AppNormalization adds `httpStatusCodesForReady: [200]`, and GET
#: answers every field [src: raml/ReadinessConversions.scala, api/v2/AppNormalization.scala].
_READINESS_CHECK_DEFAULTS: dict[str, Any] = {
    "name": "readinessCheck",
    "protocol": "HTTP",
    "path": "/",
    "portName": "http-api",
    "intervalSeconds": 30,
    "timeoutSeconds": 10,
    "httpStatusCodesForReady": [200],
    "preserveLastResponse": False,
}


def _readiness_checks(raw: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            **copy.deepcopy(_READINESS_CHECK_DEFAULTS),
            **{k: copy.deepcopy(v) for k, v in check.items() if v is not None},
        }
        for check in raw.get("readinessChecks") or []
    ]


def normalize_app(raw: dict[str, Any], app_id: str, marathon_version: str) -> dict[str, Any]:
    """A RAML-valid body → the stored definition, without `version`/`versionInfo` and with
    `port: 0` still unassigned. Idempotent, so a stored definition may be normalized again after a
    partial update was merged into it."""
    networks = _networks(raw)
    host_networking = all(n["mode"] == "host" for n in networks)
    upgrade = {"minimumHealthCapacity": 1.0, "maximumOverCapacity": 1.0}
    upgrade.update({k: float(v) for k, v in (raw.get("upgradeStrategy") or {}).items() if v is not None})

    app: dict[str, Any] = {"id": app_id}
    if raw.get("cmd"):
        app["cmd"] = raw["cmd"]
    app["args"] = list(raw.get("args") or [])
    app["env"] = copy.deepcopy(raw.get("env") or {})
    app["instances"] = int(raw["instances"]) if raw.get("instances") is not None else 1
    # cpus/mem/disk are doubles in Marathon and come back as floats (16 → 16.0).
    app["cpus"] = float(raw["cpus"]) if raw.get("cpus") is not None else 1.0
    app["mem"] = float(raw["mem"]) if raw.get("mem") is not None else 128.0
    app["disk"] = float(raw["disk"]) if raw.get("disk") is not None else 0.0
    app["gpus"] = int(raw.get("gpus") or 0)
    app["executor"] = raw.get("executor") or ""
    app["constraints"] = copy.deepcopy(raw.get("constraints") or [])
    app["fetch"] = _fetch(raw)
    app["storeUrls"] = list(raw.get("storeUrls") or [])
    app["backoffSeconds"] = int(raw["backoffSeconds"]) if raw.get("backoffSeconds") is not None else 1
    app["backoffFactor"] = float(raw["backoffFactor"]) if raw.get("backoffFactor") is not None else 1.15
    app["maxLaunchDelaySeconds"] = (
        int(raw["maxLaunchDelaySeconds"])
        if raw.get("maxLaunchDelaySeconds") is not None
        else max_launch_delay_default(marathon_version)
    )
    if isinstance(raw.get("container"), dict):
        app["container"] = _container(raw, host_networking)
    app["healthChecks"] = _health_checks(raw)
    app["readinessChecks"] = _readiness_checks(raw)
    app["dependencies"] = list(raw.get("dependencies") or [])
    app["upgradeStrategy"] = upgrade
    app["labels"] = dict(raw.get("labels") or {})
    app["acceptedResourceRoles"] = list(raw.get("acceptedResourceRoles") or [])
    app["secrets"] = copy.deepcopy(raw.get("secrets") or {})
    app["unreachableStrategy"] = _unreachable(raw, marathon_version)
    app["killSelection"] = raw.get("killSelection") or "YOUNGEST_FIRST"
    # Host networking uses portDefinitions; other modes use container.portMappings instead.
    if host_networking:
        app["portDefinitions"] = _port_definitions(raw)
    app["requirePorts"] = bool(raw.get("requirePorts")) and host_networking
    app["networks"] = networks
    if has_role_field(marathon_version):
        app["role"] = raw.get("role") or DEFAULT_ROLE
    for key in _OPTIONAL_PASSTHROUGH:
        if raw.get(key) is not None:
            app[key] = copy.deepcopy(raw[key])
    for key in _OMIT_WHEN_EMPTY:
        if not app.get(key):
            app.pop(key, None)
    return app


def service_ports(app: dict[str, Any]) -> list[int]:
    """The app's service ports, from portDefinitions or (non-host networking) portMappings."""
    if "portDefinitions" in app:
        return [int(p["port"]) for p in app["portDefinitions"]]
    mappings = (app.get("container") or {}).get("portMappings") or []
    return [int(m.get("servicePort") or 0) for m in mappings]


def assign_service_ports(app: dict[str, Any], previous: dict[str, Any] | None, taken: Iterable[int]) -> None:
    """Replace every `0` service port in place: reuse the previous definition's port at the same
    index, else the first free port counting up from LOCAL_PORT_MIN (§1.8)."""
    used = set(taken)
    old = service_ports(previous) if previous else []
    entries: list[tuple[dict[str, Any], str]]
    if "portDefinitions" in app:
        entries = [(p, "port") for p in app["portDefinitions"]]
    else:
        entries = [(m, "servicePort") for m in (app.get("container") or {}).get("portMappings") or []]
    used.update(int(e[k]) for e, k in entries if e[k])
    candidate = LOCAL_PORT_MIN
    for index, (entry, key) in enumerate(entries):
        if entry[key]:
            continue
        if index < len(old) and old[index] and old[index] not in used:
            entry[key] = old[index]
            used.add(old[index])
            continue
        while candidate in used:
            candidate += 1
        if candidate > LOCAL_PORT_MAX:
            raise PortRangeExhausted
        entry[key] = candidate
        used.add(candidate)


class PortRangeExhausted(Exception):
    def __str__(self) -> str:
        return f"All ports in the range [{LOCAL_PORT_MIN}-{LOCAL_PORT_MAX}) are already in use"
