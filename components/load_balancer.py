"""What a load balancer module provides, so that nothing outside it needs to know which one it is.

A module per load balancer (`marathon_lb`, `edge_lb`) subclasses `LoadBalancer` once and is listed
in `balancers.BALANCERS`. Everything that differs by `via` is a method here: its settings model,
its cross-field rules, the child document and resource, the child's id output, the names and ports
it claims on the cluster, and whether its frontend certificate is self-signed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypedDict, TypeVar

import pulumi

from .recipe import RecipeFixes, resolve_fixes
from .settings import Exposure, ExposureInputError

S = TypeVar("S", bound=Exposure)


@dataclass(frozen=True)
class Claim:
    """Something two exposures of one stack must not share: `what` named `key`, set through `field`."""

    what: str
    key: str
    field: str


class ChildArgs(TypedDict):
    """What the component passes to its child besides the document (the provider resources' kwargs)."""

    adopt: pulumi.Input[bool]
    wait_timeout_seconds: pulumi.Input[float]
    # The DC/OS service the child exposes (the cluster name) and whether preview fails, rather
    # than warns, when it is not installed.
    target_service: pulumi.Input[str]
    require_target_service: pulumi.Input[bool]
    opts: pulumi.ResourceOptions


class LoadBalancer(ABC, Generic[S]):
    """One `via`. Subclasses set the class attributes and implement the `_`-methods on their `S`."""

    via: str
    settings: type[S]
    # The export key of the child's id in the program's `exposures` output.
    id_output: str
    # The child's resource name is `<component name>-<child_suffix>`.
    child_suffix: str
    # The child resource's own wait when the exposure sets none (the provider's default).
    default_wait_timeout_seconds: float
    # Options of other load balancers this one cannot honour: refused (with why) unless at their default.
    unsupported: Mapping[str, str] = {}

    def narrow(self, exposure: Exposure) -> S:
        """The same exposure, typed with this load balancer's own options."""
        if not isinstance(exposure, self.settings):
            raise TypeError(
                f"{type(exposure).__name__} has no {self.via} settings; validate with ExposureModel"
            )
        return exposure

    def check(self, exposure: Exposure) -> None:
        """The rules that only hold when this load balancer is the one chosen."""
        defaults = type(exposure).model_fields
        for field, why in self.unsupported.items():
            if getattr(exposure, field) != defaults[field].default:
                raise ExposureInputError(field, why)
        self._check(self.narrow(exposure))

    def claims(self, exposure: Exposure) -> list[Claim]:
        """The stack-wide unique things it takes on the public agents (its public port first)."""
        return [Claim("public port", str(exposure.port), "port"), *self._claims(self.narrow(exposure))]

    def derive(
        self, exposure: Exposure, *, seed_compatible: bool = False, fixes: RecipeFixes | None = None
    ) -> dict[str, Any]:
        """The child's document (plain JSON data) for the provider resource."""
        return self._derive(self.narrow(exposure), resolve_fixes(seed_compatible, fixes))

    def self_signed(self, exposure: Exposure) -> bool:
        """True when clients cannot verify the frontend without a CA we do not know."""
        return self._self_signed(self.narrow(exposure))

    def child_name(self, component_name: str) -> str:
        return f"{component_name}-{self.child_suffix}"

    @abstractmethod
    def create_child(
        self, component_name: str, document: pulumi.Output[dict[str, Any]], args: ChildArgs
    ) -> pulumi.Output[str]:
        """Declare the provider resource for `document`; returns the child's id output."""

    def _check(self, exposure: S) -> None:
        """Cross-field rules of this load balancer; raise `ExposureInputError(field, rule)`."""

    def _claims(self, exposure: S) -> list[Claim]:
        return []

    @abstractmethod
    def _derive(self, exposure: S, fixes: RecipeFixes) -> dict[str, Any]: ...

    @abstractmethod
    def _self_signed(self, exposure: S) -> bool: ...
