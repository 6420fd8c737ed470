"""The Marathon app definition fields this project uses, validated before any HTTP call.

Other Marathon fields pass through untouched (extra="allow"): Marathon validates them itself. The
rules mirror Marathon's RAML and validator so that `pulumi preview` fails where `pulumi up` would.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pulumi.output import Unknown
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .unknowns import without_unknown_fields

ID_SEGMENT = re.compile(
    r"^(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])$"
)
RESERVED_LAST_SEGMENTS = ("restart", "tasks", "versions")
PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def canonical_app_id(app_id: str) -> str:
    """Marathon's absolute form: leading slash, empty segments dropped (`//a//b/` -> `/a/b`)."""
    return "/" + "/".join(segment for segment in app_id.split("/") if segment)


def app_id_problem(app_id: str) -> str | None:
    segments = [s for s in app_id.split("/") if s]
    if not segments:
        return "must contain at least one path segment"
    for segment in segments:
        if segment in (".", ".."):
            return "must be absolute without '.' or '..' segments, so that the stack owns one fixed id"
        if not ID_SEGMENT.match(segment):
            return (
                f"segment {segment!r} must be lowercase letters, digits and '-' inside, "
                "with '.' between labels (Marathon's id rule)"
            )
    if segments[-1] in RESERVED_LAST_SEGMENTS:
        return f"must not end with a reserved keyword ({', '.join(RESERVED_LAST_SEGMENTS)})"
    return None


class PortDefinition(BaseModel):
    model_config = ConfigDict(extra="allow")

    port: int = Field(default=0, ge=0, le=65535)
    protocol: Literal["tcp", "udp", "udp,tcp", "tcp,udp"] = "tcp"
    name: StrictStr | None = None
    labels: dict[str, StrictStr] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, name: str | None) -> str | None:
        if name is not None and not PORT_NAME.match(name):
            raise ValueError("must be lowercase letters, digits and '-' inside")
        return name


class Container(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: Literal["MESOS", "DOCKER"]


class UpgradeStrategy(BaseModel):
    model_config = ConfigDict(extra="allow")

    minimumHealthCapacity: float = Field(default=1, ge=0, le=1)
    maximumOverCapacity: float = Field(default=1, ge=0, le=1)


#: Health checks Marathon runs itself. They keep no delay, and Marathon's reader drops
#: `ignoreHttp1xx`: it always answers delaySeconds 15 (and ignoreHttp1xx false), so any other
#: declared value would show as a change after every `pulumi up`.
MARATHON_LEVEL_CHECKS = ("HTTP", "HTTPS", "TCP")
MARATHON_CHECK_DELAY_SECONDS = 15


class HealthCheck(BaseModel):
    model_config = ConfigDict(extra="allow")

    protocol: Literal["HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"] = "HTTP"
    delaySeconds: int | None = Field(default=None, ge=0)
    ignoreHttp1xx: StrictBool | None = None

    @field_validator("delaySeconds")
    @classmethod
    def _delay(cls, delay: int | None, info: ValidationInfo) -> int | None:
        protocol = info.data.get("protocol", "HTTP")
        if delay not in (None, MARATHON_CHECK_DELAY_SECONDS) and protocol in MARATHON_LEVEL_CHECKS:
            raise ValueError(
                f"Marathon ignores it for {protocol} checks (it always uses "
                f"{MARATHON_CHECK_DELAY_SECONDS}): leave it out, or use MESOS_{protocol}"
            )
        return delay

    @field_validator("ignoreHttp1xx")
    @classmethod
    def _ignore_1xx(cls, ignore: bool | None, info: ValidationInfo) -> bool | None:
        protocol = info.data.get("protocol", "HTTP")
        if ignore is True and protocol in ("HTTP", "HTTPS"):
            raise ValueError("Marathon ignores true here (it always answers false): leave it out")
        if ignore is not None and protocol not in ("HTTP", "HTTPS"):
            raise ValueError(f"only applies to HTTP and HTTPS checks, not {protocol}")
        return ignore


class MarathonAppDefinition(BaseModel):
    """The fields of a Marathon app this project sets; anything else passes through."""

    model_config = ConfigDict(extra="allow")

    id: StrictStr
    instances: int | None = Field(default=None, ge=0)
    cpus: float | None = Field(default=None, ge=0.001)
    mem: float | None = Field(default=None, ge=0)
    disk: float | None = Field(default=None, ge=0)
    gpus: int | None = Field(default=None, ge=0)
    cmd: StrictStr | None = None
    args: list[StrictStr] | None = None
    container: Container | None = None
    portDefinitions: list[PortDefinition] | None = None
    labels: dict[str, StrictStr] | None = None
    env: dict[str, StrictStr | dict[str, StrictStr]] | None = None
    backoffFactor: float | None = Field(default=None, ge=1)
    upgradeStrategy: UpgradeStrategy | None = None
    healthChecks: list[HealthCheck] | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, app_id: str) -> str:
        problem = app_id_problem(app_id)
        if problem:
            raise ValueError(problem)
        return app_id

    @model_validator(mode="after")
    def _command(self) -> MarathonAppDefinition:
        if self.cmd is not None and self.args is not None:
            raise ValueError("set either cmd or args, not both")
        if self.cmd is None and self.args is None and self.container is None:
            raise ValueError("needs one of cmd or args, and/or a container")
        return self


def definition_problems(definition: Any) -> list[tuple[str, str]]:
    """(property path, rule) for every problem; fields still unknown in preview are skipped."""
    if isinstance(definition, Unknown):
        return []  # the whole definition is decided at apply time
    if not isinstance(definition, dict):
        return [("definition", "must be a Marathon app definition object")]
    known = without_unknown_fields(definition)
    problems = []
    try:
        MarathonAppDefinition.model_validate(known)
    except ValidationError as error:
        for item in error.errors():
            location = ".".join(str(part) for part in item["loc"])
            path = f"definition.{location}" if location else "definition"
            if (
                item["type"] == "missing"
                and item["loc"]
                and item["loc"][0] not in known
                and item["loc"][0] in definition
            ):
                continue  # present but unknown until apply
            if item["type"] == "value_error" and not location and len(known) < len(definition):
                continue  # the command rule cannot be judged while fields are unknown
            message = str(item["msg"]).removeprefix("Value error, ")
            problems.append((path, message))
    return problems
