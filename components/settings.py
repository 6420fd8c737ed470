"""The settings every exposure shares, and how any settings model is validated and its errors worded.

One pydantic model declares each option once: its Python name (the component's Args spelling), its
camelCase alias (the stack config spelling), its type with the rule, its default and its doc string.
The README's option table and the Args TypedDict are generated from it (`python -m components.generate`).
Each load balancer's module adds its own options by subclassing `Exposure`; `balancers.ExposureModel`
joins them.

Args are validated strictly (`port="6443"` is a mistake in Python); stack config laxly, because
`pulumi config set --path ...port 7443` stores the string "7443".
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Final, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import ErrorDetails

from .fields import RULE_ERROR, ClusterName, HaproxyTime, Host, Port

M = TypeVar("M", bound=BaseModel)

# One day: `kubectl logs -f` / `exec` streams must not be cut while idle.
STREAM_TIMEOUT: Final = "86400s"


class Spelling(Enum):
    """Which names a mapping of settings uses."""

    ARGS = "args"  # snake_case Python names, strict types
    CONFIG = "config"  # camelCase stack-config keys, lax types


@dataclass(frozen=True)
class Problem:
    """One refused setting: `field` is the Python name of a known field, or an `unknown` key as given."""

    field: str
    rule: str
    unknown: bool = False


class ExposureInputError(ValueError):
    """Refused exposure settings; `field`/`rule` are the first problem, `problems` all of them."""

    def __init__(self, field: str, rule: str, *more: Problem, unknown: bool = False) -> None:
        self.problems: tuple[Problem, ...] = (Problem(field, rule, unknown), *more)
        super().__init__("\n".join(f"{p.field}: {p.rule}" for p in self.problems))
        self.field = field
        self.rule = rule

    @classmethod
    def of(cls, problems: Sequence[Problem]) -> ExposureInputError:
        first, *more = problems
        return cls(first.field, first.rule, *more, unknown=first.unknown)


class Settings(BaseModel):
    """Frozen, unknown keys refused; both spellings accepted, `validate_settings` picks one per call."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="forbid",
        frozen=True,
    )


def key_of(model: type[BaseModel], field: str, spelling: Spelling) -> str:
    """How `field` is written in `spelling` (unknown keys stay as given)."""
    info = model.model_fields.get(field)
    if spelling is Spelling.ARGS or info is None:
        return field
    return info.alias or field


def problem_key(model: type[BaseModel], problem: Problem, spelling: Spelling) -> str:
    """Where a problem is, in `spelling`: an unknown key as the user wrote it."""
    return problem.field if problem.unknown else key_of(model, problem.field, spelling)


def _field_of(model: type[BaseModel], key: str) -> str:
    if key in model.model_fields:
        return key
    return next((name for name, f in model.model_fields.items() if f.alias == key), key)


_TYPE_WORDING: Final = {
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "dict_type": "must be an object of settings",
    "list_type": "must be a list",
}


def wording(
    error: ErrorDetails, model: type[BaseModel] | None = None, spelling: Spelling = Spelling.CONFIG
) -> str:
    """A pydantic error as our rule text: what the value must be, and what it was."""
    kind, value, ctx = error["type"], error["input"], error.get("ctx", {})
    if kind == RULE_ERROR:
        return str(ctx["rule"])
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        known = [key_of(model, name, spelling) for name in model.model_fields] if model else []
        close = difflib.get_close_matches(str(error["loc"][-1]), known, n=1)
        return "is not a known option" + (f" (did you mean {close[0]!r}?)" if close else "")
    if kind in _TYPE_WORDING:
        return f"{_TYPE_WORDING[kind]}; got {type(value).__name__} {value!r}"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}; got {value!r}"
    if kind == "greater_than":
        return f"must be greater than {ctx['gt']:g}; got {value!r}"
    if kind == "value_error":
        return str(ctx["error"])
    return str(error["msg"])


def problems_of(error: ValidationError, model: type[BaseModel], spelling: Spelling) -> list[Problem]:
    problems: list[Problem] = []
    for item in error.errors():
        raised = item.get("ctx", {}).get("error")
        if isinstance(raised, ExposureInputError):  # a cross-field rule of the model names its field
            problems.extend(raised.problems)
            continue
        loc = item["loc"]
        key = str(loc[0]) if loc else "(settings)"
        # An unknown key stays as written, even when it is another spelling's name of a field.
        unknown = item["type"] == "extra_forbidden"
        field = key if unknown else _field_of(model, key)
        problems.append(Problem(field, wording(item, model, spelling), unknown))
    return problems


def validate_settings(model: type[M], values: Mapping[str, object], spelling: Spelling) -> M:
    """Validate `values` with `model` once; every refusal becomes one `ExposureInputError`."""
    args = spelling is Spelling.ARGS
    try:
        return model.model_validate(dict(values), strict=args, by_name=args, by_alias=not args)
    except ValidationError as error:
        raise ExposureInputError.of(problems_of(error, model, spelling)) from None


class Exposure(Settings):
    """The options every load balancer has. Validated instances are of `balancers.ExposureModel`,
    which adds each load balancer's own options; read those through `balancer_for(via).narrow()`."""

    cluster_name: ClusterName = Field(
        alias="name",
        description="The DC/OS service name of the `kubernetes-cluster` package, e.g. `dev/kubernetes01` "
        "(no leading `/`).",
    )
    via: str = Field(
        "marathon-lb",
        description="The load balancer: `marathon-lb` (a dummy Marathon app whose `HAPROXY_*` labels drive "
        "Marathon-LB) or `edge-lb` (an Edge-LB V2 pool).",
    )
    port: Port = Field(6443, description="The public port HAProxy serves the API server on.")
    public_host: Host | None = Field(
        None,
        description="A public agent's DNS name or IPv4 address; with it the outputs include `url` and a "
        "kubeconfig.",
    )
    client_timeout: HaproxyTime = Field(
        STREAM_TIMEOUT,
        description="HAProxy `timeout client` of the frontend: one day, so idle `kubectl logs -f` and "
        "`exec` streams stay open.",
    )
    server_timeout: HaproxyTime = Field(
        STREAM_TIMEOUT, description="HAProxy `timeout server` of the backend."
    )
    tunnel_timeout: HaproxyTime = Field(
        STREAM_TIMEOUT, description="HAProxy `timeout tunnel` of the backend (upgraded `exec`/watch streams)."
    )
    adopt: bool = Field(
        False,
        description="Take over an app or pool with the same id that already exists on the cluster; without "
        "it `pulumi up` refuses to overwrite it.",
    )
    wait_timeout_seconds: PositiveFloat | None = Field(
        None,
        description="How long create and update wait for the deployment or the pool, in seconds (default: "
        "the resource's own, 300 for the Marathon app and 600 for the Edge-LB pool).",
    )
    require_service: bool = Field(
        False,
        description="Fail the preview instead of warning when the targeted DC/OS service (Mesos framework "
        "`<name>` with a running kube-control-plane task) is not installed.",
    )
