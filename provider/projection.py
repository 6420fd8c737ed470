"""Projecting a live object onto the shape of a desired one, for diffs and refreshes.

Both Marathon and Edge-LB answer with many fields nobody sent. Each resource supplies its
canonical form (defaults filled, server-only fields dropped); this turns the live object into the
user's own shape, so that the view equals the desired definition exactly when nothing drifted, and
a drifted field shows as that field with the value found on the cluster.
"""

from __future__ import annotations

from typing import Any


def live_view(
    declared: dict[str, Any],
    want: dict[str, Any],
    have: dict[str, Any],
    server_assigned: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """`declared` is the user's definition and `want` its canonical form (defaults filled); `have`
    is the canonical live object. Declared fields keep the user's spelling where the cluster agrees
    and are followed into nested objects and lists, so one drifted field shows as that field.
    Undeclared fields appear where the cluster differs from the default, unless the cluster picks
    them itself (`server_assigned`)."""
    view: dict[str, Any] = {}
    for key in set(want) | set(have):
        if key in declared:
            if key in have:
                view[key] = _project(declared[key], want.get(key), have[key])
        elif key in have and key not in server_assigned and have[key] != want.get(key):
            view[key] = have[key]
    order = [*declared, *sorted(k for k in view if k not in declared)]
    return {key: view[key] for key in order if key in view}


def _project(declared: Any, want: Any, have: Any) -> Any:
    if want == have:
        return declared
    if isinstance(declared, dict) and isinstance(want, dict) and isinstance(have, dict):
        return live_view(declared, want, have)
    if (
        isinstance(declared, list)
        and isinstance(want, list)
        and isinstance(have, list)
        and len(declared) == len(want) == len(have)
    ):
        return [_project(d, w, h) for d, w, h in zip(declared, want, have, strict=True)]
    return have


def integral_numbers(value: Any) -> Any:
    """APIs may answer 16.0 for 16: integral floats become ints so both compare equal."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: integral_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral_numbers(v) for v in value]
    return value
