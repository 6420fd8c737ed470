"""Edge-LB V2 pool model: parsing with per-level defaults and Go-style JSON output.

Edge-LB fills defaults in a custom UnmarshalJSON at every nesting level (the defaults object
first, the user's JSON on top), so whatever it answers carries them. Its Go structs also decide
what is *absent* from answers: `omitempty` drops zero values ("", 0, false, empty map) unless the
field is a pointer. `GoModel` reproduces both; field order follows the Go structs (alphabetical).

Binding errors are reproduced as go-swagger reports them: broken JSON or a wrong JSON type is a
400 "parsing pool body ..." error, an empty body or a bad enum value a 422 with a 6xx code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from types import NoneType, UnionType
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)
from pydantic.alias_generators import to_camel

Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]

DEFAULT_NAMESPACE = "dcos-edgelb/pools"
PROTOCOLS = ("HTTP", "HTTPS", "TCP", "TLS")
ENDPOINT_TYPES = ("AUTO_IP", "AGENT_IP", "CONTAINER_IP", "ADDRESS")
API_VERSIONS = ("V1", "V2")
# go-openapi error codes (errors/schema.go): 600 + iota.
REQUIRED_FAIL_CODE = 602
ENUM_FAIL_CODE = 605


class BindingError(Exception):
    """A request the go-swagger layer rejects before any Edge-LB handler runs."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _is_zero(value: Any) -> bool:
    if value is None or value is False:
        return True
    if isinstance(value, str | dict):
        return len(value) == 0
    return isinstance(value, int | float) and not isinstance(value, bool) and value == 0


class GoModel(BaseModel):
    model_config = ConfigDict(
        strict=True,
        extra="ignore",
        alias_generator=to_camel,
        # Only the JSON names bind, as with Go's json tags (snake_case keys are unknown fields).
        validate_by_name=False,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    #: Name of the Go struct, for error messages.
    go_name: ClassVar[str] = ""
    #: JSON names of non-pointer `omitempty` fields (dropped from output when zero).
    omitempty: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        # Go would store a nil pointer and panic later; treating null as "use the default" is
        # the one deliberate departure (the sandbox should not 500 on it).
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data

    @model_serializer(mode="wrap")
    def _go_json(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        out: dict[str, Any] = handler(self)
        # Every optional field here is an omitempty pointer: nil is never written.
        return {k: v for k, v in out.items() if v is not None and not (k in self.omitempty and _is_zero(v))}


class PoolSecret(GoModel):
    go_name = "V2PoolSecretsItems0"
    omitempty = frozenset({"file", "secret"})
    file: str = ""
    secret: str = ""


class VirtualNetwork(GoModel):
    go_name = "V2PoolVirtualNetworksItems0"
    omitempty = frozenset({"labels", "name"})
    labels: dict[str, str] | None = None
    name: str = ""


class Stats(GoModel):
    go_name = "V2Stats"
    omitempty = frozenset({"bindAddress", "bindPort"})
    bind_address: str = "0.0.0.0"  # noqa: S104 - Edge-LB's default, not a bind of ours
    bind_port: Int32 = 9090


class RedirectExcept(GoModel):
    go_name = "V2FrontendRedirectToHTTPSExceptItems0"
    omitempty = frozenset({"host", "pathBeg"})
    host: str = ""
    path_beg: str = ""


class RedirectToHttps(GoModel):
    go_name = "V2FrontendRedirectToHTTPS"
    except_: list[RedirectExcept] = Field(default_factory=list, alias="except")


class LinkBackendMapItem(GoModel):
    go_name = "V2FrontendLinkBackendMapItems0"
    omitempty = frozenset({"backend", "hostEq", "hostReg", "pathBeg", "pathEnd", "pathReg"})
    backend: str = ""
    host_eq: str = ""
    host_reg: str = ""
    path_beg: str = ""
    path_end: str = ""
    path_reg: str = ""

    def has_condition(self) -> bool:
        return any((self.host_eq, self.host_reg, self.path_beg, self.path_end, self.path_reg))


class LinkBackend(GoModel):
    go_name = "V2FrontendLinkBackend"
    omitempty = frozenset({"defaultBackend"})
    default_backend: str = ""
    map_: list[LinkBackendMapItem] = Field(default_factory=list, alias="map")


class Frontend(GoModel):
    go_name = "V2Frontend"
    omitempty = frozenset({"bindAddress", "bindModifier", "name", "protocol"})
    bind_address: str = "0.0.0.0"  # noqa: S104
    bind_modifier: str = ""
    bind_port: Int32 = -1
    certificates: list[str] = Field(default_factory=list)
    link_backend: LinkBackend = Field(default_factory=LinkBackend)
    misc_strs: list[str] = Field(default_factory=list)
    name: str = ""
    protocol: str = ""
    redirect_to_https: RedirectToHttps | None = None

    def effective_name(self) -> str:
        return self.name or f"frontend_{self.bind_address}_{self.bind_port}"


class CustomCheck(GoModel):
    go_name = "V2BackendCustomCheck"
    omitempty = frozenset({"httpchk", "httpchkMiscStr", "miscStr", "sslHelloChk"})
    httpchk: bool = False
    httpchk_misc_str: str = ""
    misc_str: str = ""
    ssl_hello_chk: bool = False


class RewritePath(GoModel):
    go_name = "V2RewriteHTTPPath"
    from_path: str = ""
    to_path: str = ""


class RewriteRequest(GoModel):
    go_name = "V2RewriteHTTPRequest"
    forwardfor: bool = True
    rewrite_path: bool = True
    set_host_header: bool = True
    x_forwarded_port: bool = True
    x_forwarded_proto_https_if_tls: bool = True


class RewriteResponse(GoModel):
    go_name = "V2RewriteHTTPResponse"
    rewrite_location: bool = True


class Sticky(GoModel):
    go_name = "V2RewriteHttpsticky"
    omitempty = frozenset({"customStr"})
    custom_str: str = ""
    enabled: bool = True


class RewriteHttp(GoModel):
    go_name = "V2RewriteHTTP"
    omitempty = frozenset({"host"})
    host: str = ""
    path: RewritePath | None = None
    request: RewriteRequest = Field(default_factory=RewriteRequest)
    response: RewriteResponse = Field(default_factory=RewriteResponse)
    sticky: Sticky | None = None


class EndpointCheck(GoModel):
    go_name = "V2EndpointCheck"
    omitempty = frozenset({"customStr"})
    custom_str: str = ""
    enabled: bool = True


class Endpoint(GoModel):
    go_name = "V2Endpoint"
    omitempty = frozenset({"address", "allPorts", "miscStr", "port", "portName", "type"})
    address: str = ""
    all_ports: bool = False
    check: EndpointCheck = Field(default_factory=EndpointCheck)
    misc_str: str = ""
    port: Int32 = -1
    port_name: str = ""
    type: str = "AUTO_IP"


class MarathonSelector(GoModel):
    go_name = "V2ServiceMarathon"
    omitempty = frozenset({"containerName", "containerNamePattern", "serviceID", "serviceIDPattern"})
    container_name: str = ""
    container_name_pattern: str = ""
    service_id: str = Field(default="", alias="serviceID")
    service_id_pattern: str = Field(default="", alias="serviceIDPattern")


class MesosSelector(GoModel):
    go_name = "V2ServiceMesos"
    omitempty = frozenset(
        {
            "frameworkID",
            "frameworkIDPattern",
            "frameworkName",
            "frameworkNamePattern",
            "taskID",
            "taskIDPattern",
            "taskName",
            "taskNamePattern",
        }
    )
    framework_id: str = Field(default="", alias="frameworkID")
    framework_id_pattern: str = Field(default="", alias="frameworkIDPattern")
    framework_name: str = ""
    framework_name_pattern: str = ""
    task_id: str = Field(default="", alias="taskID")
    task_id_pattern: str = Field(default="", alias="taskIDPattern")
    task_name: str = ""
    task_name_pattern: str = ""


class Service(GoModel):
    go_name = "V2Service"
    endpoint: Endpoint = Field(default_factory=Endpoint)
    marathon: MarathonSelector = Field(default_factory=MarathonSelector)
    mesos: MesosSelector = Field(default_factory=MesosSelector)


class Backend(GoModel):
    go_name = "V2Backend"
    omitempty = frozenset({"balance", "name", "protocol"})
    balance: str = "roundrobin"
    custom_check: CustomCheck | None = None
    misc_strs: list[str] = Field(default_factory=list)
    name: str = ""
    protocol: str = ""
    rewrite_http: RewriteHttp = Field(default_factory=RewriteHttp)
    services: list[Service] = Field(default_factory=list)


class Haproxy(GoModel):
    go_name = "V2Haproxy"
    backends: list[Backend] = Field(default_factory=list)
    frontends: list[Frontend] = Field(default_factory=list)
    stats: Stats = Field(default_factory=Stats)


# The pool scheduler package version that ships with the emulated API server.
POOL_PACKAGE_VERSION = "v1.5.1"


class V2Pool(GoModel):
    go_name = "V2Pool"
    omitempty = frozenset(
        {
            "apiVersion",
            "autoCertificate",
            "cpus",
            "cpusAdminOverhead",
            "disk",
            "environmentVariables",
            "mem",
            "memAdminOverhead",
            "name",
            "packageName",
            "packageVersion",
            "poolHealthcheckGracePeriod",
            "poolHealthcheckInterval",
            "poolHealthcheckMaxFail",
            "poolHealthcheckTimeout",
            "role",
        }
    )
    api_version: str = "V2"
    auto_certificate: bool = False
    constraints: str = "hostname:UNIQUE"
    count: Int32 = 1
    cpus: float = 0.9
    cpus_admin_overhead: float = 0.1
    disk: Int32 = 256
    environment_variables: dict[str, str] | None = None
    haproxy: Haproxy = Field(default_factory=Haproxy)
    mem: Int32 = 992
    mem_admin_overhead: Int32 = 32
    name: str = ""
    namespace: str = DEFAULT_NAMESPACE
    package_name: str = "edgelb-pool"
    package_version: str = POOL_PACKAGE_VERSION
    # Edge-LB 1.2.3+ pool task health checks (Timeout's default per the 1.2.3 release).
    pool_healthcheck_grace_period: Int32 = 180
    pool_healthcheck_interval: Int32 = 12
    pool_healthcheck_max_fail: Int32 = 5
    pool_healthcheck_timeout: Int32 = 60
    ports: list[Int32] = Field(default_factory=list)
    principal: str | None = None
    role: str = "slave_public"
    secret_name: str | None = None
    secrets: list[PoolSecret] = Field(default_factory=list)
    virtual_networks: list[VirtualNetwork] = Field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def bind_ports(self) -> list[int]:
        """Ports the pool scheduler reserves: `ports` if set, else stats + every frontend."""
        if self.ports:
            return list(self.ports)
        return [self.haproxy.stats.bind_port, *(fe.bind_port for fe in self.haproxy.frontends)]

    def container_json(self) -> dict[str, Any]:
        """The PoolContainer wrapper of `/config` and `/pools/{name}`."""
        return {"apiVersion": "V2", "name": self.name, "namespace": self.namespace, "v2": self.to_json()}


# ----------------------------------------------------------------------------- binding


def _json_kind(value: Any, *, into_int: bool) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        # Go names the literal when a number does not fit an integer field.
        return f"number {json.dumps(value)}" if into_int else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _unwrap(annotation: Any) -> Any:
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not NoneType]
        annotation = args[0]
    return annotation


def _go_type(annotation: Any) -> str:
    annotation = _unwrap(annotation)
    origin = get_origin(annotation)
    if origin is list:
        return "[]" + _go_type(get_args(annotation)[0])
    if origin is dict:
        return "map[string]" + _go_type(get_args(annotation)[1])
    if isinstance(annotation, type) and issubclass(annotation, GoModel):
        return f"*models.{annotation.go_name}"
    return {int: "int32", float: "float64", str: "string", bool: "bool"}.get(annotation, "interface {}")


def _describe_type_error(loc: Sequence[int | str], value: Any) -> str:
    """Go's UnmarshalTypeError text for the pydantic error at `loc`."""
    model: type[GoModel] = V2Pool
    struct, field_name = f"{model.go_name}Alias", ""
    annotation: Any = Any
    i = 0
    while i < len(loc):
        part = loc[i]
        if not isinstance(part, str):
            i += 1
            continue
        info = next((f for n, f in model.model_fields.items() if part in (f.alias, n)), None)
        if info is None:
            break
        struct, field_name, annotation = f"{model.go_name}Alias", info.alias or part, info.annotation
        inner = _unwrap(annotation)
        while get_origin(inner) in (list, dict):
            inner = _unwrap(get_args(inner)[-1])
            i += 1  # skip the index / key
        if isinstance(inner, type) and issubclass(inner, GoModel) and i + 1 < len(loc):
            model = inner
        i += 1
    # An error inside a collection is about the element, as Go reports it.
    if loc and not (isinstance(loc[-1], str) and loc[-1] == field_name):
        while get_origin(_unwrap(annotation)) in (list, dict):
            annotation = get_args(_unwrap(annotation))[-1]
    into_int = _unwrap(annotation) is int
    kind = _json_kind(value, into_int=into_int)
    inner = _unwrap(annotation)
    if isinstance(inner, type) and issubclass(inner, GoModel) and isinstance(value, str | int | float | list):
        return f"json: cannot unmarshal {kind} into Go value of type models.{inner.go_name}Alias"
    if not field_name:
        return f"json: cannot unmarshal {kind} into Go value of type models.V2PoolAlias"
    return f"json: cannot unmarshal {kind} into Go struct field {struct}.{field_name} of type {_go_type(annotation).lstrip('*')}"


def _syntax_error(text: str, err: json.JSONDecodeError) -> str:
    if err.pos >= len(text.rstrip()):
        return "unexpected EOF"
    return f"invalid character {text[err.pos]!r} looking for beginning of value"


def _parse_error(reason: str) -> BindingError:
    return BindingError(400, 400, f'parsing pool body from "" failed, because {reason}')


def _enum_error(name: str, values: Sequence[str]) -> BindingError:
    return BindingError(422, ENUM_FAIL_CODE, f"{name} in body should be one of [{' '.join(values)}]")


def _check_enums(pool: V2Pool) -> None:
    # go-swagger validates in struct order (apiVersion, haproxy.backends, haproxy.frontends) and
    # its composite error is served as its first leaf, named without the parent path.
    if pool.api_version and pool.api_version not in API_VERSIONS:
        raise _enum_error("apiVersion", API_VERSIONS)
    for be in pool.haproxy.backends:
        if be.protocol and be.protocol not in PROTOCOLS:
            raise _enum_error("protocol", PROTOCOLS)
        for svc in be.services:
            if svc.endpoint.type and svc.endpoint.type not in ENDPOINT_TYPES:
                raise _enum_error("type", ENDPOINT_TYPES)
    for fe in pool.haproxy.frontends:
        if fe.protocol and fe.protocol not in PROTOCOLS:
            raise _enum_error("protocol", PROTOCOLS)


def parse_pool_body(raw: bytes) -> V2Pool:
    """Bind a request body to a V2Pool exactly as far as go-swagger would; raises BindingError."""
    text = raw.decode("utf-8", errors="replace")
    stripped = text.lstrip()
    if not stripped:
        # Decoding an empty stream yields io.EOF, which go-swagger reports as a missing body.
        raise BindingError(422, REQUIRED_FAIL_CODE, "pool in body is required")
    try:
        # Go's json.Decoder reads one value and ignores whatever follows it.
        data, _ = json.JSONDecoder().raw_decode(stripped)
    except json.JSONDecodeError as err:
        raise _parse_error(_syntax_error(stripped, err)) from err
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise _parse_error(
            f"json: cannot unmarshal {_json_kind(data, into_int=False)} into Go value of type models.V2PoolAlias"
        )
    try:
        pool = V2Pool.model_validate(data)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        raise _parse_error(_describe_type_error(first["loc"], first.get("input"))) from err
    _check_enums(pool)
    return pool


def pool_from_json(data: dict[str, Any]) -> V2Pool:
    """Reload a pool this module wrote (state file); no binding-error translation."""
    return V2Pool.model_validate(data)
