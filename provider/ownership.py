"""Which stack and resource own an object on the cluster: the marker both resources write.

The marker is `<organization>/<project>/<stack>#<resource name>`, e.g.
`organization/dcos-kubernetes-api/dev#kubernetes-cluster-marathon-app`: no secret, only names. A
Marathon app carries it as the label `PULUMI_OWNER`, a pool as its environment variable of that
name (Edge-LB keeps `environmentVariables` verbatim; `ELB_FILE_*` keys would become files).

The stack part decides who may touch an object: an object of this stack under another resource
name (a renamed resource or component, a run killed before its state was written) is taken over
silently; an object of another stack, or without any marker, only with `adopt`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

import pulumi

from . import diagnostics
from .errors import DeploymentFailed, OwnershipConflict, WaitInconclusive

T = TypeVar("T")

MARKER_KEY = "PULUMI_OWNER"


def owner_of(resource_name: str) -> str:
    """The marker of a resource of the running program (called in the Resource constructor)."""
    return f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}#{resource_name}"


@dataclass(frozen=True)
class Owner:
    stack: str  # organization/project/stack
    resource: str

    @classmethod
    def parse(cls, marker: str | None) -> Owner | None:
        if not marker or "#" not in marker:
            return None
        # Organization, project and stack names cannot contain '#'; a resource name may.
        stack, _, resource = marker.partition("#")
        return cls(stack, resource)

    def __str__(self) -> str:
        return f"resource {self.resource!r} of stack {self.stack}"


class Claim(Enum):
    OURS = "ours"  # exactly this resource
    THIS_STACK = "this stack"  # another resource (name) of the same stack
    OTHER_STACK = "other stack"
    UNMARKED = "unmarked"  # created outside Pulumi, or before markers existed


def claim(marker: str | None, owner: str) -> Claim:
    found, mine = Owner.parse(marker), Owner.parse(owner)
    if found is None or mine is None:
        return Claim.UNMARKED
    if found == mine:
        return Claim.OURS
    return Claim.THIS_STACK if found.stack == mine.stack else Claim.OTHER_STACK


def describe(marker: str | None) -> str:
    found = Owner.parse(marker)
    return (
        str(found) if found is not None else f"nobody known (created outside Pulumi: no {MARKER_KEY} marker)"
    )


def stack_of(owner: str) -> str:
    found = Owner.parse(owner)
    return found.stack if found is not None else owner


def exists_message(kind: str, name: str, marker: str | None) -> str:
    return (
        f"{kind} {name} already exists and belongs to {describe(marker)}; "
        "set adopt=True to take it over (its configuration is then replaced by this one)"
    )


def taken_message(kind: str, name: str, marker: str | None, owner: str) -> str:
    return (
        f"{kind} {name} now belongs to {describe(marker)}, no longer to this stack ({stack_of(owner)}): "
        "this stack will not overwrite it. Run `pulumi refresh` to release it from this stack "
        "(nothing is deleted on the cluster), or set adopt=True to take it back"
    )


def left_message(kind: str, name: str, marker: str | None) -> str:
    return f"{kind} {name} was not deleted: it now belongs to {describe(marker)}"


# -- where the marker sits: a string map of the object (Marathon labels, pool environment) ----------


def marker_in(obj: dict[str, Any], field: str) -> str | None:
    values = obj.get(field)
    marker = values.get(MARKER_KEY) if isinstance(values, dict) else None
    return marker if isinstance(marker, str) else None


def without_marker_in(
    obj: dict[str, Any], field: str, keys: tuple[str, ...] = (MARKER_KEY,)
) -> dict[str, Any]:
    """The object as the user declares it (the marker is compared on its own); a map left empty
    goes, as both APIs answer an empty map by leaving it out or with their default."""
    values = obj.get(field)
    if not isinstance(values, dict) or not set(keys) & set(values):
        return obj
    rest = {k: v for k, v in values.items() if k not in keys}
    stripped = {k: v for k, v in obj.items() if k != field}
    return {**stripped, field: rest} if rest else stripped


def with_marker_in(obj: dict[str, Any], field: str, marks: dict[str, str]) -> dict[str, Any]:
    return {**obj, field: {**(obj.get(field) or {}), **marks}}


def reserved_problems(
    obj: Any, field: str, path: str, keys: tuple[str, ...] = (MARKER_KEY,)
) -> list[tuple[str, str]]:
    """check(): the user may not set the marker's keys themselves."""
    values = obj.get(field) if isinstance(obj, dict) else None
    if not isinstance(values, dict):
        return []
    rule = "is reserved: the provider writes the owner's marker there"
    return [(f"{path}.{field}.{key}", rule) for key in keys if key in values]


# -- decisions shared by both resources ---------------------------------------------------------


def check_take_over(kind: str, name: str, marker: str | None, owner: str, adopt: bool) -> None:
    """Create found the object: this stack's (any resource name) is taken over silently; another
    stack's, or one without marker, only with adopt."""
    if claim(marker, owner) in (Claim.OTHER_STACK, Claim.UNMARKED) and not adopt:
        raise OwnershipConflict(exists_message(kind, name, marker))


def check_update(kind: str, name: str, marker: str | None, owner: str, adopt: bool) -> None:
    """Update never overwrites what another stack adopted, unless adopt takes it back."""
    if claim(marker, owner) is Claim.OTHER_STACK and not adopt:
        raise OwnershipConflict(taken_message(kind, name, marker, owner))


def taken_by_another_stack(kind: str, name: str, marker: str | None, owner: str, adopt: bool) -> bool:
    """Diff: after another stack adopted the object, say so (the update will refuse, or take it
    back with adopt) and plan an update."""
    if claim(marker, owner) is not Claim.OTHER_STACK:
        return False
    if adopt:
        diagnostics.warning(f"{kind} {name} belongs to {describe(marker)}; `pulumi up` takes it back (adopt)")
    else:
        diagnostics.warning(taken_message(kind, name, marker, owner))
    return True


def released(kind: str, name: str, marker: str | None, owner: str) -> bool:
    """Refresh: an object another stack adopted leaves this stack's state (nothing is deleted)."""
    if claim(marker, owner) is not Claim.OTHER_STACK:
        return False
    diagnostics.warning(
        f"{kind} {name} now belongs to {describe(marker)}: dropping it from this stack's state "
        "(nothing is deleted on the cluster)"
    )
    return True


def unreadable(kind: str, name: str, error: Exception) -> None:
    """Diff: the cluster could not be asked; the comparison falls back to the last known state."""
    diagnostics.warning(
        f"{kind} {name}: cannot read the live {kind} ({error}); comparing with the last known state"
    )


def left_to_its_owner(kind: str, name: str, marker: str | None, owner: str | None) -> bool:
    """Delete: an object whose marker names another resource (a replacement or renamed resource
    took it over, or another stack did) is theirs; says so and returns True."""
    if marker is not None and marker != owner:
        diagnostics.warning(left_message(kind, name, marker))
        return True
    return False


def settled_or_rolled_back(kind: str, settle: Callable[[], T], roll_back: Callable[[], str]) -> T:
    """Waits for what a create made. A real failure rolls it back, and the cause stays first; an
    inconclusive wait leaves it (its marker lets the next `pulumi up` take it over)."""
    try:
        return settle()
    except DeploymentFailed as failure:
        raise DeploymentFailed(f"{failure} ({roll_back()})") from None
    except WaitInconclusive as unknown:
        raise WaitInconclusive(
            f"{unknown} (the {kind} carries this stack's marker: the next `pulumi up` takes it over "
            "and waits for it again)"
        ) from None


def settled_in_place(kind: str, settle: Callable[[], T]) -> T:
    """Waits for an object that existed before this create: never rolled back."""
    try:
        return settle()
    except DeploymentFailed as failure:
        raise DeploymentFailed(
            f"{failure} (the {kind} existed before and was left in place, now marked as this resource's)"
        ) from None


def roll_back_note(kind: str, remove: Callable[[], None], removed: str) -> str:
    try:
        remove()
    except Exception as error:  # whatever the rollback met is reported; the cause stays first
        return f"removing it failed too: {error}; it carries this stack's marker, so the next `pulumi up` takes it over"
    return f"the {kind} was {removed} again; fix the cause and run `pulumi up` again"
