"""What a write request asks for: Marathon's JSON body reading (Jackson's errors), its query flags,
and the normalized target definition of a POST/PUT/PATCH (spec §1.6, §1.10)."""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi import Request

from localdcos.marathon import normalize, validation
from localdcos.marathon.errors import app_not_found, message, not_valid
from localdcos.marathon.model import RUNTIME_FIELDS, canonical_version, strip_runtime
from localdcos.marathon.simulation import MarathonState

_SOURCE = "[Source: (org.eclipse.jetty.server.HttpInputOverHTTP); line: {line}, column: {column}]"


def flag(request: Request, name: str, default: bool) -> bool:
    # Jersey's boolean params: "true" (any case) is true, anything else given is false.
    value = request.query_params.get(name)
    return default if value is None else value.strip().lower() == "true"


def _reject_constant(name: str) -> Any:
    # Jackson refuses NaN/Infinity; Python's json would accept them.
    raise json.JSONDecodeError(f"Non-standard token '{name}'", name, 0)


async def json_body(request: Request) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise message(415, "Unsupported Media Type")
    raw = await request.body()
    if not raw.strip():
        raise message(
            400,
            "Please specify data in JSON format",
            details="No content to map due to end-of-input\n at " + _SOURCE.format(line=1, column=0),
        )
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise message(400, "Invalid JSON", details=f"Invalid UTF-8 start byte at {exc.start}") from exc
    except json.JSONDecodeError as exc:
        details = f"{exc.msg}\n at " + _SOURCE.format(line=exc.lineno, column=exc.colno)
        raise message(400, "Invalid JSON", details=details) from exc


def path_app_id(request: Request) -> str:
    return validation.normalize_id(str(request.path_params.get("app_id", "")))


def check_path_id(app_id: str) -> None:
    problems = validation.id_errors(app_id)
    if problems:
        raise not_valid({"/id": problems})


def normalize_new(state: MarathonState, body: dict[str, Any], app_id: str) -> dict[str, Any]:
    raw = {k: v for k, v in body.items() if k not in RUNTIME_FIELDS}
    return normalize.normalize_app(raw, app_id, state.options.marathon_version)


def validate(state: MarathonState, target: dict[str, Any]) -> None:
    version = state.options.marathon_version
    role = normalize.DEFAULT_ROLE if normalize.has_role_field(version) else None
    errors = validation.semantic_errors(target, default_role=role)
    if errors:
        raise not_valid(errors)


def _merge(current: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """A partial update on top of the current definition."""
    merged = strip_runtime(current)
    for key, value in body.items():
        if key in RUNTIME_FIELDS or key == "id" or value is None:
            continue
        merged[key] = copy.deepcopy(value)
    # cmd and args exclude each other: setting one drops the other.
    if body.get("cmd") and body.get("args") is None:
        merged.pop("args", None)
    if body.get("args") and body.get("cmd") is None:
        merged.pop("cmd", None)
    # Deprecated fields in the update replace what they were migrated to.
    for deprecated, successor in (("ports", "portDefinitions"), ("uris", "fetch"), ("ipAddress", "networks")):
        if body.get(deprecated) is not None and body.get(successor) is None:
            merged.pop(successor, None)
    return merged


def update_target(state: MarathonState, app_id: str, body: dict[str, Any], partial: bool) -> dict[str, Any]:
    """The normalized definition a PUT/PATCH body asks for (§1.10)."""
    current = state.live(app_id)
    if partial and body.get("version") is not None:
        # Rollback: the rest of the body is ignored.
        version = canonical_version(str(body["version"]))
        stored = current.versions.get(version) if current else None
        if stored is None:
            raise app_not_found(app_id, version)
        return strip_runtime(stored)
    if partial and current is not None:
        merged = _merge(current.definition, body)
        return normalize.normalize_app(merged, app_id, state.options.marathon_version)
    return normalize_new(state, body, app_id)
