"""The stack configuration of the `dcos-kubernetes-api` program, parsed into pydantic models (pure).

Exactly one of three project keys selects the clusters:

    clusters:     [ {name: dev/kubernetes01, via: marathon-lb, publicHost: ...}, ... ]
    cluster:      {name: kubernetes-cluster, ...}
    clusterFrom:  {stack: org/project/stack, output: clusterName, via: edge-lb, ...}

Keys are the camelCase forms of `KubernetesApiExposureArgs` (`name` for `cluster_name`). Defaults
are not repeated here: an absent key is simply not passed, so `ExposureSpec` stays the one place
that defines them. The kubeconfig token is a separate secret key (`kubeconfigToken`), so it never
sits in a plain-text cluster object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Final, Literal, Self, cast

import pulumi
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PositiveFloat,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel

from .kubernetes_api_exposure import KubernetesApiExposureArgs
from .names import flat_name
from .spec import SPEC_FIELDS, VIA_MARATHON_LB, ExposureSpec
from .validation import ExposureInputError, validate_exposure, validate_exposure_list

PROGRAM_KEYS: Final = ("clusters", "cluster", "clusterFrom")
TOKEN_KEY: Final = "kubeconfigToken"  # noqa: S105 (the config key name, not its value)


class ConfigError(ValueError):
    """Stack configuration the program cannot use; the message names the config path."""


def _refuse_bool(value: object) -> object:
    # pydantic would read `port: true` as 1; numeric strings stay accepted (`pulumi config set --path`).
    if isinstance(value, bool):
        raise ValueError("must be an integer, not a boolean")
    return value


ConfigInt = Annotated[int, BeforeValidator(_refuse_bool)]


class ClusterSettings(BaseModel):
    """Everything about an exposure except which cluster it is."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True)

    via: Literal["marathon-lb", "edge-lb"] | None = None
    port: ConfigInt | None = None
    public_host: str | None = None
    haproxy_group: str | None = None
    ssl_cert: str | None = None
    backend_tls: Literal["none", "verify"] | None = None
    ca_file: str | None = None
    connect_timeout: str | None = None
    client_timeout: str | None = None
    server_timeout: str | None = None
    tunnel_timeout: str | None = None
    pool_name: str | None = None
    count: ConfigInt | None = None
    certificates: list[str] | None = None
    certificate_secret: str | None = None
    certificate_secret_file: str | None = None
    stats_port: ConfigInt | None = None
    stats_bind_address: str | None = None
    apiserver_address: str | None = None
    frontend_ca_pem: str | None = None
    adopt: bool | None = None
    wait_timeout_seconds: PositiveFloat | None = None

    def exposure_inputs(self, cluster_name: str) -> dict[str, object]:
        """The plain inputs `validate_exposure` checks (absent keys left out)."""
        values = self._settings()
        return {"cluster_name": cluster_name, **{k: v for k, v in values.items() if k in SPEC_FIELDS}}

    def to_args(self, cluster_name: pulumi.Input[str]) -> KubernetesApiExposureArgs:
        return cast(KubernetesApiExposureArgs, {"cluster_name": cluster_name, **self._settings()})

    def effective_via(self) -> str:
        return self.via or VIA_MARATHON_LB

    def _settings(self) -> dict[str, Any]:
        # Only the exposure settings: subclasses add keys (name, stack, ...) that are not Args.
        return self.model_dump(exclude_none=True, include=set(ClusterSettings.model_fields))


class ClusterConfig(ClusterSettings):
    name: str


class ClusterFromConfig(ClusterSettings):
    """The cluster name is another stack's output, read through a StackReference."""

    stack: str = Field(min_length=1)
    output: str = Field(default="clusterName", min_length=1)
    resource_name: str | None = Field(default=None, min_length=1)

    def component_name(self) -> str:
        # The name is unknown until the reference resolves, so the resource name comes from the stack.
        return self.resource_name or flat_name(self.stack)


class ProgramConfig(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True)

    clusters: list[ClusterConfig] | None = Field(default=None, min_length=1)
    cluster: ClusterConfig | None = None
    cluster_from: ClusterFromConfig | None = None

    @model_validator(mode="after")
    def _exactly_one_source(self) -> Self:
        given = [key for key, value in zip(PROGRAM_KEYS, self._sources(), strict=True) if value is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise ValueError(f"set exactly one of {', '.join(PROGRAM_KEYS)} (found: {found})")
        return self

    def _sources(self) -> tuple[object, object, object]:
        return self.clusters, self.cluster, self.cluster_from

    def named_clusters(self) -> list[tuple[str, ClusterConfig]]:
        """(config path, entry) for every cluster whose name is in this stack's config."""
        if self.clusters is not None:
            return [(f"clusters[{i}]", c) for i, c in enumerate(self.clusters)]
        if self.cluster is not None:
            return [("cluster", self.cluster)]
        return []


def _location(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path or "(config)"


def describe_validation_error(error: ValidationError, project: str) -> str:
    lines = [f"invalid stack configuration for project {project!r}:"]
    for item in error.errors():
        lines.append(f"  {project}:{_location(item['loc'])}: {item['msg']}")
    return "\n".join(lines)


def parse_program_config(raw: Mapping[str, object], project: str = "dcos-kubernetes-api") -> ProgramConfig:
    """`raw` maps the PROGRAM_KEYS to what `pulumi.Config.get_object` returned (None when unset)."""
    try:
        return ProgramConfig.model_validate({k: v for k, v in raw.items() if v is not None})
    except ValidationError as error:
        raise ConfigError(describe_validation_error(error, project)) from None


def config_key(field: str) -> str:
    """The config spelling of an Args field, for messages."""
    return "name" if field == "cluster_name" else to_camel(field)


def check_exposures(program: ProgramConfig, project: str = "dcos-kubernetes-api") -> list[ExposureSpec]:
    """Run the exposure rules on every named cluster, then the stack-wide rules."""
    specs: list[ExposureSpec] = []
    for path, entry in program.named_clusters():
        try:
            specs.append(validate_exposure(entry.exposure_inputs(entry.name)))
        except ExposureInputError as error:
            raise ConfigError(
                f"{project}:{path}.{config_key(error.field)} (cluster {entry.name!r}): {error.rule}"
            ) from None
    try:
        validate_exposure_list(specs)
    except ExposureInputError as error:
        raise ConfigError(f"{project}:clusters: {config_key(error.field)}: {error.rule}") from None
    return specs
