"""Edge-LB V2 pool model: per-level defaults and Go-style JSON output.

Edge-LB fills defaults in a custom UnmarshalJSON at every nesting level (the defaults object
first, the user's JSON on top), so whatever it answers carries them. Its Go structs also decide
what is *absent* from answers: `omitempty` drops zero values ("", 0, false, empty map) unless the
field is a pointer. `GoModel` reproduces both; field order follows the Go structs (alphabetical).
How request bodies bind to it, errors included, is binding.py's part.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)
from pydantic.alias_generators import to_camel

Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]

DEFAULT_NAMESPACE = "dcos-edgelb/pools"


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
