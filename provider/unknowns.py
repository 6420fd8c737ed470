"""Values not yet known during preview arrive as `pulumi.output.Unknown` instances, possibly nested."""

from __future__ import annotations

from typing import Any

from pulumi.output import Unknown


def contains_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_unknown(v) for v in value)
    return False


def without_unknown_fields(mapping: dict[str, Any]) -> dict[str, Any]:
    """The top-level fields that are fully known, for validating what can be validated in preview."""
    return {k: v for k, v in mapping.items() if not contains_unknown(v)}
