"""The Edge-LB V2 pool: every field of the API notes (§3.4) with Edge-LB's defaults, and the
validation Edge-LB applies (§3.5) plus the traps it does not catch, all before any HTTP call.

This is the one home of Edge-LB's defaults: the field declarations, plus `canonical()` for the
few that depend on other fields. Dumping a validated model is the canonical form diffs compare.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from .projection import integral_numbers

NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
CERTIFICATE = re.compile(r"^\$AUTOCERT$|^(\$ENVFILE|\$SECRETS)/[a-zA-Z0-9_-]+$")
SECRET_FILE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$")
# A pool's scheduler is the SDK service dcos-edgelb/pools/<name>; SDK names stay within 63 chars.
MAX_POOL_NAME = 47
Protocol = Literal["HTTP", "HTTPS", "TCP", "TLS"]


class _Model(BaseModel):
    # Unknown fields pass through: a newer Edge-LB may know fields this model does not.
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Stats(_Model):
    bindAddress: StrictStr = "0.0.0.0"  # noqa: S104 - Edge-LB's own default
    bindPort: StrictInt = 9090


class LinkBackendMap(_Model):
    backend: StrictStr
    hostEq: StrictStr | None = None
    hostReg: StrictStr | None = None
    pathBeg: StrictStr | None = None
    pathEnd: StrictStr | None = None
    pathReg: StrictStr | None = None


class LinkBackend(_Model):
    defaultBackend: StrictStr | None = None
    map: list[LinkBackendMap] = Field(default_factory=list)


class RedirectException(_Model):
    host: StrictStr | None = None
    pathBeg: StrictStr | None = None


class RedirectToHttps(_Model):
    # `except` is a Python keyword; Edge-LB fills `{}` to `{"except": []}`.
    except_: list[RedirectException] = Field(default_factory=list, alias="except")


class Frontend(_Model):
    name: StrictStr | None = None
    bindAddress: StrictStr = "0.0.0.0"  # noqa: S104
    bindPort: StrictInt = -1
    bindModifier: StrictStr | None = None
    protocol: Protocol
    certificates: list[StrictStr] = Field(default_factory=list)
    redirectToHttps: RedirectToHttps | None = None
    miscStrs: list[StrictStr] = Field(default_factory=list)
    linkBackend: LinkBackend = Field(default_factory=LinkBackend)

    @field_validator("bindAddress")
    @classmethod
    def _bind_address(cls, value: str) -> str:
        for character in "*[]":
            if character in value:
                raise ValueError(f"must not contain {character!r} (Edge-LB refuses it)")
        return value

    @field_validator("certificates")
    @classmethod
    def _certificates(cls, values: list[str]) -> list[str]:
        for value in values:
            if not CERTIFICATE.match(value):
                raise ValueError(f"{value!r} must be $AUTOCERT, $SECRETS/<file> or $ENVFILE/<file>")
        return values

    def rendered_name(self) -> str:
        return self.name or f"frontend_{self.bindAddress}_{self.bindPort}"


class RewriteRequest(_Model):
    forwardfor: StrictBool = True
    xForwardedPort: StrictBool = True
    xForwardedProtoHttpsIfTls: StrictBool = True
    setHostHeader: StrictBool = True
    rewritePath: StrictBool = True


class RewriteResponse(_Model):
    rewriteLocation: StrictBool = True


class RewriteHttp(_Model):
    request: RewriteRequest = Field(default_factory=RewriteRequest)
    response: RewriteResponse = Field(default_factory=RewriteResponse)


class MarathonSelector(_Model):
    serviceID: StrictStr | None = None
    serviceIDPattern: StrictStr | None = None
    containerName: StrictStr | None = None
    containerNamePattern: StrictStr | None = None


class MesosSelector(_Model):
    frameworkName: StrictStr | None = None
    frameworkNamePattern: StrictStr | None = None
    frameworkID: StrictStr | None = None
    frameworkIDPattern: StrictStr | None = None
    taskName: StrictStr | None = None
    taskNamePattern: StrictStr | None = None
    taskID: StrictStr | None = None
    taskIDPattern: StrictStr | None = None


class EndpointCheck(_Model):
    enabled: StrictBool = True
    customStr: StrictStr | None = None


class Endpoint(_Model):
    type: Literal["AUTO_IP", "AGENT_IP", "CONTAINER_IP", "ADDRESS"] = "AUTO_IP"
    address: StrictStr | None = None
    port: StrictInt = -1
    portName: StrictStr | None = None
    allPorts: StrictBool | None = None
    check: EndpointCheck = Field(default_factory=EndpointCheck)
    miscStr: StrictStr | None = None


class Service(_Model):
    marathon: MarathonSelector = Field(default_factory=MarathonSelector)
    mesos: MesosSelector = Field(default_factory=MesosSelector)
    endpoint: Endpoint = Field(default_factory=Endpoint)


class Backend(_Model):
    name: StrictStr
    protocol: Protocol
    balance: StrictStr = "roundrobin"
    rewriteHttp: RewriteHttp | None = None
    customCheck: dict[str, Any] | None = None
    miscStrs: list[StrictStr] = Field(default_factory=list)
    services: list[Service] = Field(default_factory=list)


class HAProxy(_Model):
    stats: Stats = Field(default_factory=Stats)
    frontends: list[Frontend] = Field(default_factory=list)
    backends: list[Backend] = Field(default_factory=list)


class PoolSecret(_Model):
    secret: StrictStr
    file: StrictStr

    @field_validator("file")
    @classmethod
    def _file(cls, value: str) -> str:
        if not SECRET_FILE.match(value):
            raise ValueError("must be letters, digits, '_' and '-', starting with a letter or digit")
        return value


class EdgeLBPoolDefinition(_Model):
    """An Edge-LB V2 pool; every default is Edge-LB's own."""

    apiVersion: Literal["V2"] = "V2"
    name: StrictStr
    namespace: StrictStr | None = "dcos-edgelb/pools"
    packageName: StrictStr = "edgelb-pool"
    packageVersion: StrictStr | None = None
    role: StrictStr = "slave_public"
    principal: StrictStr | None = None
    secretName: StrictStr | None = None
    cpus: float = 0.9
    cpusAdminOverhead: float = 0.1
    mem: StrictInt = 992
    memAdminOverhead: StrictInt = 32
    disk: StrictInt = 256
    count: StrictInt | None = Field(default=1, ge=0)
    constraints: StrictStr | None = "hostname:UNIQUE"
    ports: list[StrictInt] = Field(default_factory=list)
    secrets: list[PoolSecret] = Field(default_factory=list)
    environmentVariables: dict[str, StrictStr] | None = None
    autoCertificate: StrictBool = False
    virtualNetworks: list[dict[str, Any]] = Field(default_factory=list)
    poolHealthcheckGracePeriod: StrictInt = 180
    poolHealthcheckInterval: StrictInt = 12
    poolHealthcheckMaxFail: StrictInt = 5
    # Our API notes give no default; MaibornWolff/dcos-deploy, which diffs against live Edge-LB,
    # treats 60 as the server's value. Filling it on both sides is right whichever Edge-LB answers.
    poolHealthcheckTimeout: StrictInt = 60
    haproxy: HAProxy = Field(default_factory=HAProxy)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError(f"must match {NAME.pattern} (lowercase letters, digits, '-' inside)")
        if len(value) > MAX_POOL_NAME:
            raise ValueError(
                f"must be at most {MAX_POOL_NAME} characters (the pool scheduler's service name is limited to 63)"
            )
        return value

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str | None) -> str | None:
        if value is not None:
            for segment in value.split("/"):
                if not NAME.match(segment):
                    raise ValueError(f"segment {segment!r} must match {NAME.pattern}")
        return value


def canonical(pool: dict[str, Any]) -> dict[str, Any]:
    """Defaults filled at every level, as Edge-LB stores and answers a pool; a pool the model
    refuses comes back as given (check() has reported it)."""
    pool = dict(integral_numbers(pool))
    try:
        model = EdgeLBPoolDefinition.model_validate(pool)
    except ValidationError:
        return pool
    for backend in model.haproxy.backends:
        # Only HTTP backends get header rewriting, and then with every switch on.
        if backend.rewriteHttp is None and backend.protocol in ("HTTP", "HTTPS"):
            backend.rewriteHttp = RewriteHttp()
    if not model.environmentVariables:
        # Go's omitempty: an empty map is not answered at all.
        model.environmentVariables = None
    dumped = model.model_dump(mode="json", exclude_none=True, by_alias=True)
    return dict(integral_numbers(dumped))
