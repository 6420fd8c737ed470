"""The stack configuration of the `dcos-kubernetes-api` program, checked once, with messages by path.

Exactly one of three project keys selects the clusters:

    clusters:     [ {name: dev/kubernetes01, via: marathon-lb, publicHost: ...}, ... ]
    cluster:      {name: kubernetes-cluster, ...}
    clusterFrom:  {stack: org/project/stack, output: clusterName, via: edge-lb, ...}

A cluster's keys are the aliases of `ExposureModel` and `FrontendTrust` (their defaults and doc
strings live there). The kubeconfig token is a separate secret key (`kubeconfigToken`), so it never
sits in a plain-text cluster object. Every mistake is reported at once, one line per path:
`dcos-kubernetes-api:clusters[1].statsPort (cluster 'b'): must differ from port: both are 6443`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from .balancers import ExposureModel, clashes, validate_exposure
from .kubeconfig import FrontendTrust, KubeconfigSettings
from .names import component_name
from .settings import (
    Exposure,
    ExposureInputError,
    Problem,
    Settings,
    Spelling,
    key_of,
    problem_key,
    validate_settings,
    wording,
)

PROGRAM_KEYS: Final = ("clusters", "cluster", "clusterFrom")
TOKEN_KEY: Final = "kubeconfigToken"  # noqa: S105 (the config key name, not its value)
# clusterFrom's settings are checked when the config is read, with this valid stand-in for the
# name; the name's own rules run when the stack reference resolves (`ReferencedCluster.exposure_for`).
_STAND_IN_NAME: Final = "kubernetes-cluster"
_TRUST_KEYS: Final = frozenset(key_of(FrontendTrust, f, Spelling.CONFIG) for f in FrontendTrust.model_fields)


class ConfigError(ValueError):
    """Stack configuration the program cannot use; the message names each config path."""


class _Sources(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True)

    clusters: list[dict[str, Any]] | None = Field(None, min_length=1)
    cluster: dict[str, Any] | None = None
    cluster_from: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _exactly_one_source(self) -> Self:
        given = [key for key, value in zip(PROGRAM_KEYS, self._values(), strict=True) if value is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise ValueError(f"set exactly one of {', '.join(PROGRAM_KEYS)} (found: {found})")
        return self

    def _values(self) -> tuple[object, object, object]:
        return self.clusters, self.cluster, self.cluster_from


class ClusterFromSource(Settings):
    """Where `clusterFrom` reads the cluster name; its other keys are a cluster's settings."""

    stack: str = Field(
        min_length=1,
        description="The stack whose output names the cluster, e.g. `organization/platform/prod`.",
    )
    output: str = Field("clusterName", min_length=1, description="The output of that stack holding the name.")
    resource_name: str | None = Field(
        None,
        min_length=1,
        description="The component's resource name; default the stack name with `/` as `-` (the cluster "
        "name is unknown until the reference resolves).",
    )


@dataclass(frozen=True)
class NamedCluster:
    """A cluster named in this stack's config, fully checked."""

    path: str
    resource_name: str
    exposure: Exposure
    frontend_ca_pem: str | None


@dataclass(frozen=True)
class ReferencedCluster:
    """`clusterFrom`: everything checked but the name, which another stack's output provides."""

    source: ClusterFromSource
    resource_name: str
    via: str
    frontend_ca_pem: str | None
    settings: Mapping[str, object]  # the exposure's keys as configured, without the name
    project: str

    def exposure_for(self, cluster_name: object) -> Exposure:
        """The exposure once the reference resolved; raises `ConfigError` naming `clusterFrom.output`."""
        stack, output = self.source.stack, self.source.output
        if not isinstance(cluster_name, str):
            raise ConfigError(
                f"{self.project}:clusterFrom.output: output {output!r} of stack {stack!r} must be a string, "
                f"got {type(cluster_name).__name__}"
            )
        try:
            return validate_exposure({**self.settings, "name": cluster_name}, Spelling.CONFIG)
        except ExposureInputError as error:
            label = f"cluster {cluster_name!r} from stack {stack!r}"
            # The name was not written here: its problems are the output's.
            lines = _lines(error.problems, ExposureModel, "clusterFrom", label, {"cluster_name": "output"})
            raise ConfigError(_report(self.project, lines)) from None


@dataclass(frozen=True)
class ProgramConfig:
    named: tuple[NamedCluster, ...]
    referenced: ReferencedCluster | None
    kubeconfig_token: str | None


def _report(project: str, lines: Sequence[str]) -> str:
    body = "".join(f"\n  {project}:{line}" for line in lines)
    return f"invalid stack configuration for project {project!r}:{body}"


def _lines(
    problems: Sequence[Problem],
    model: type[BaseModel],
    path: str,
    label: str | None,
    keys: Mapping[str, str] | None = None,
) -> list[str]:
    """One message line per problem: `<path>.<config key> (<label>): <rule>`."""
    where = f" ({label})" if label else ""
    return [
        f"{path}.{(keys or {}).get(p.field) or problem_key(model, p, Spelling.CONFIG)}{where}: {p.rule}"
        for p in problems
    ]


def _cluster_label(name: object) -> str | None:
    return f"cluster {name!r}" if isinstance(name, str) else None


def _location(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path or "(config)"


def _check_entry(
    raw: Mapping[str, object], path: str, label: str | None
) -> tuple[Exposure | None, str | None, list[str]]:
    """(exposure, frontend CA, error lines) of one cluster object; both None when refused."""
    lines: list[str] = []
    exposure = trust = None
    try:
        exposure = validate_exposure({k: v for k, v in raw.items() if k not in _TRUST_KEYS}, Spelling.CONFIG)
    except ExposureInputError as error:
        lines += _lines(error.problems, ExposureModel, path, label)
    try:
        trust = validate_settings(
            FrontendTrust, {k: v for k, v in raw.items() if k in _TRUST_KEYS}, Spelling.CONFIG
        )
    except ExposureInputError as error:
        lines += _lines(error.problems, FrontendTrust, path, label)
    if exposure is None or trust is None:
        return None, None, lines
    return exposure, trust.frontend_ca_pem, lines


def _named(sources: _Sources) -> list[tuple[str, dict[str, Any]]]:
    if sources.clusters is not None:
        return [(f"clusters[{i}]", entry) for i, entry in enumerate(sources.clusters)]
    return [("cluster", sources.cluster)] if sources.cluster is not None else []


def _referenced(raw: Mapping[str, object], project: str) -> tuple[ReferencedCluster | None, list[str]]:
    source_keys = {key_of(ClusterFromSource, f, Spelling.CONFIG) for f in ClusterFromSource.model_fields}
    settings = {k: v for k, v in raw.items() if k not in source_keys}
    lines: list[str] = []
    source = None
    try:
        source = validate_settings(
            ClusterFromSource, {k: v for k, v in raw.items() if k in source_keys}, Spelling.CONFIG
        )
    except ExposureInputError as error:
        lines += _lines(error.problems, ClusterFromSource, "clusterFrom", None)
    if "name" in settings:
        lines.append("clusterFrom.name: is not allowed: the cluster name is the referenced stack's output")
        settings.pop("name")
    exposure, ca_pem, entry_lines = _check_entry({**settings, "name": _STAND_IN_NAME}, "clusterFrom", None)
    lines += entry_lines
    if source is None or exposure is None or lines:
        return None, lines
    name = component_name(source.stack, source.resource_name)
    exposure_settings = {k: v for k, v in settings.items() if k not in _TRUST_KEYS}
    return ReferencedCluster(source, name, exposure.via, ca_pem, exposure_settings, project), []


def parse_program_config(
    raw: Mapping[str, object], *, token: object = None, project: str = "dcos-kubernetes-api"
) -> ProgramConfig:
    """`raw` maps the PROGRAM_KEYS to what `pulumi.Config.get_object` returned (None when unset);
    `token` is the plain value of the secret `kubeconfigToken` (never echoed)."""
    try:
        sources = _Sources.model_validate({k: v for k, v in raw.items() if v is not None})
    except ValidationError as error:
        raise ConfigError(
            _report(project, [f"{_location(e['loc'])}: {wording(e, _Sources)}" for e in error.errors()])
        ) from None
    lines: list[str] = []
    named: list[NamedCluster] = []
    for path, entry in _named(sources):
        exposure, ca_pem, entry_lines = _check_entry(entry, path, _cluster_label(entry.get("name")))
        lines += entry_lines
        if exposure is not None:
            named.append(NamedCluster(path, component_name(exposure.cluster_name), exposure, ca_pem))
    referenced = None
    if sources.cluster_from is not None:
        referenced, from_lines = _referenced(sources.cluster_from, project)
        lines += from_lines
    try:
        checked_token = validate_settings(
            KubeconfigSettings, {"kubeconfig_token": token}, Spelling.ARGS
        ).kubeconfig_token
    except ExposureInputError as error:
        lines.append(f"{TOKEN_KEY}: {error.rule}")
        checked_token = None
    if not lines:
        lines += _clash_lines(named)
    if lines:
        raise ConfigError(_report(project, lines))
    return ProgramConfig(tuple(named), referenced, checked_token)


def _clash_lines(named: Sequence[NamedCluster]) -> list[str]:
    lines = []
    for clash in clashes([c.exposure for c in named]):
        later, first = named[clash.index], named[clash.first]
        key = key_of(ExposureModel, clash.field, Spelling.CONFIG)
        first_key = key_of(ExposureModel, clash.first_field, Spelling.CONFIG)
        lines.append(
            f"{later.path}.{key} (cluster {later.exposure.cluster_name!r}): {clash.what} {clash.key!r} "
            f"is also used by cluster {first.exposure.cluster_name!r} ({first.path}.{first_key})"
        )
    return lines
