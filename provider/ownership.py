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

from dataclasses import dataclass
from enum import Enum

import pulumi

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
