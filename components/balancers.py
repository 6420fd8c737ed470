"""The load balancers by `via`, the one model of all exposure options, and the stack-wide rules.

Adding a load balancer is one module (a `LoadBalancer` subclass with its settings model) and one
entry in `BALANCERS`: the options model, the config parsing, the component and the README table
all follow from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

from pydantic import create_model, field_validator, model_validator

from .edge_lb import EDGE_LB
from .fields import refuse
from .load_balancer import Claim, LoadBalancer
from .marathon_lb import MARATHON_LB
from .names import flat_name, vip_host
from .settings import Exposure, ExposureInputError, Spelling, validate_settings

BALANCERS: Final[Mapping[str, LoadBalancer[Any]]] = {b.via: b for b in (MARATHON_LB, EDGE_LB)}


def via_problem(via: object) -> str | None:
    return None if via in BALANCERS else f"must be one of {', '.join(BALANCERS)}; got {via!r}"


def balancer_for(via: object) -> LoadBalancer[Any]:
    problem = via_problem(via)
    if problem is not None:
        raise ExposureInputError("via", problem)
    return BALANCERS[str(via)]


def _known_via(cls: type[Exposure], via: str) -> str:
    problem = via_problem(via)
    if problem is not None:
        raise refuse(problem)
    return via


def _chosen_balancer_rules(exposure: Exposure) -> Exposure:
    balancer_for(exposure.via).check(exposure)
    return exposure


# Every load balancer's options at once: an option of another `via` is still checked, so that a
# later switch of `via` does not surface an old mistake.
ExposureModel: Final = cast(
    "type[Exposure]",
    create_model(
        "ExposureModel",
        __base__=tuple(b.settings for b in BALANCERS.values()),
        __doc__="All options of one exposure; the rules of the chosen `via` run after the field rules.",
        __validators__={
            "known_via": field_validator("via")(_known_via),
            "chosen_balancer_rules": cast(Any, model_validator(mode="after")(_chosen_balancer_rules)),
        },
    ),
)


def validate_exposure(values: Mapping[str, object], spelling: Spelling = Spelling.ARGS) -> Exposure:
    """One exposure's settings, checked once; raises `ExposureInputError` naming field and rule."""
    return validate_settings(ExposureModel, values, spelling)


def owner(field: str) -> str | None:
    """The `via` whose module declares `field`, or None for an option every load balancer has."""
    if field in Exposure.model_fields:
        return None
    return next(via for via, b in BALANCERS.items() if field in b.settings.model_fields)


# --- stack-wide rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clash:
    """Exposure `index` claims what exposure `first` already claims (indices into the checked list)."""

    index: int
    field: str
    first: int
    first_field: str
    what: str
    key: str


def _claims(exposure: Exposure) -> list[Claim]:
    name = exposure.cluster_name
    return [
        Claim("cluster", name, "cluster_name"),
        Claim("apiserver VIP", vip_host(name), "cluster_name"),
        # dev/k01 and dev-k01 share the app id, default pool name and resource name.
        Claim("derived app/pool/resource name", flat_name(name), "cluster_name"),
        *balancer_for(exposure.via).claims(exposure),
    ]


def clashes(exposures: Sequence[Exposure]) -> list[Clash]:
    """What exposures of one stack would collide on: DC/OS names, VIPs, public agent ports.

    One clash per exposure and field (the first), so a repeated name is reported once, not thrice.
    """
    seen: dict[tuple[str, str], tuple[int, str]] = {}
    found: dict[tuple[int, str], Clash] = {}
    for index, exposure in enumerate(exposures):
        for claim in _claims(exposure):
            earlier = seen.setdefault((claim.what, claim.key), (index, claim.field))
            if earlier[0] != index and (index, claim.field) not in found:
                found[(index, claim.field)] = Clash(
                    index, claim.field, earlier[0], earlier[1], claim.what, claim.key
                )
    return list(found.values())
