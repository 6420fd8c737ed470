"""The ownership marker: its format, and who may touch an object that carries it."""

from __future__ import annotations

import pulumi

from provider.ownership import Claim, Owner, claim, describe, owner_of
from tests.faults.harness import owner


def test_marker_names_organization_project_stack_and_resource() -> None:
    mine = owner_of("kubernetes-cluster-marathon-app")
    assert mine == (
        f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}#kubernetes-cluster-marathon-app"
    )
    parsed = Owner.parse("organization/dcos-kubernetes-api/dev#a#b")
    assert parsed == Owner("organization/dcos-kubernetes-api/dev", "a#b")


def test_claims() -> None:
    mine = owner("app")
    assert claim(mine, mine) is Claim.OURS
    assert claim(owner("renamed"), mine) is Claim.THIS_STACK
    assert claim(owner("app", stack="prod"), mine) is Claim.OTHER_STACK
    assert claim(None, mine) is Claim.UNMARKED
    assert claim("hand-written", mine) is Claim.UNMARKED


def test_descriptions_name_the_owner_or_say_outside_pulumi() -> None:
    assert "stack organization/dcos-kubernetes-api/prod" in describe(owner("x", stack="prod"))
    assert "created outside Pulumi" in describe(None)
