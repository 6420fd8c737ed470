"""How Edge-LB's go-swagger layer binds a request body to a V2Pool, and how it says no.

Broken JSON or a wrong JSON type is a 400 "parsing pool body ..." error with Go's own message, an
empty body a 422 with go-openapi's RequiredFailCode, a bad enum value a 422 with its EnumFailCode,
another media type a 415 — all before any Edge-LB handler runs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from fastapi import Request
from pydantic import ValidationError

from localdcos.edgelb.model import GoModel, V2Pool

PROTOCOLS = ("HTTP", "HTTPS", "TCP", "TLS")
ENDPOINT_TYPES = ("AUTO_IP", "AGENT_IP", "CONTAINER_IP", "ADDRESS")
API_VERSIONS = ("V1", "V2")
# go-openapi's error codes (errors/schema.go): CompositeErrorCode is iota 0, so InvalidTypeCode is
# 600 + 1 and the codes after it count up from there.
REQUIRED_FAIL_CODE = 602
ENUM_FAIL_CODE = 606
_JSON_MIME = "application/json"


class BindingError(Exception):
    """A request the go-swagger layer rejects before any Edge-LB handler runs."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _json_kind(value: Any, *, into_int: bool) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        # Go names the literal when a number does not fit an integer field.
        return f"number {json.dumps(value)}" if into_int else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _unwrap(annotation: Any) -> Any:
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not NoneType]
        annotation = args[0]
    return annotation


def _go_type(annotation: Any) -> str:
    annotation = _unwrap(annotation)
    origin = get_origin(annotation)
    if origin is list:
        return "[]" + _go_type(get_args(annotation)[0])
    if origin is dict:
        return "map[string]" + _go_type(get_args(annotation)[1])
    if isinstance(annotation, type) and issubclass(annotation, GoModel):
        return f"*models.{annotation.go_name}"
    return {int: "int32", float: "float64", str: "string", bool: "bool"}.get(annotation, "interface {}")


def _describe_type_error(loc: Sequence[int | str], value: Any) -> str:
    """Go's UnmarshalTypeError text for the pydantic error at `loc`."""
    model: type[GoModel] = V2Pool
    struct, field_name = f"{model.go_name}Alias", ""
    annotation: Any = Any
    i = 0
    while i < len(loc):
        part = loc[i]
        if not isinstance(part, str):
            i += 1
            continue
        info = next((f for n, f in model.model_fields.items() if part in (f.alias, n)), None)
        if info is None:
            break
        struct, field_name, annotation = f"{model.go_name}Alias", info.alias or part, info.annotation
        inner = _unwrap(annotation)
        while get_origin(inner) in (list, dict):
            inner = _unwrap(get_args(inner)[-1])
            i += 1  # skip the index / key
        if isinstance(inner, type) and issubclass(inner, GoModel) and i + 1 < len(loc):
            model = inner
        i += 1
    # An error inside a collection is about the element, as Go reports it.
    if loc and not (isinstance(loc[-1], str) and loc[-1] == field_name):
        while get_origin(_unwrap(annotation)) in (list, dict):
            annotation = get_args(_unwrap(annotation))[-1]
    into_int = _unwrap(annotation) is int
    kind = _json_kind(value, into_int=into_int)
    inner = _unwrap(annotation)
    if isinstance(inner, type) and issubclass(inner, GoModel) and isinstance(value, str | int | float | list):
        return f"json: cannot unmarshal {kind} into Go value of type models.{inner.go_name}Alias"
    if not field_name:
        return f"json: cannot unmarshal {kind} into Go value of type models.V2PoolAlias"
    return f"json: cannot unmarshal {kind} into Go struct field {struct}.{field_name} of type {_go_type(annotation).lstrip('*')}"


def _syntax_error(text: str, err: json.JSONDecodeError) -> str:
    if err.pos >= len(text.rstrip()):
        return "unexpected EOF"
    return f"invalid character {text[err.pos]!r} looking for beginning of value"


def _parse_error(reason: str) -> BindingError:
    return BindingError(400, 400, f'parsing pool body from "" failed, because {reason}')


def _enum_error(name: str, values: Sequence[str]) -> BindingError:
    return BindingError(422, ENUM_FAIL_CODE, f"{name} in body should be one of [{' '.join(values)}]")


def _check_enums(pool: V2Pool) -> None:
    # go-swagger validates in struct order (apiVersion, haproxy.backends, haproxy.frontends) and
    # its composite error is served as its first leaf, named without the parent path.
    if pool.api_version and pool.api_version not in API_VERSIONS:
        raise _enum_error("apiVersion", API_VERSIONS)
    for be in pool.haproxy.backends:
        if be.protocol and be.protocol not in PROTOCOLS:
            raise _enum_error("protocol", PROTOCOLS)
        for svc in be.services:
            if svc.endpoint.type and svc.endpoint.type not in ENDPOINT_TYPES:
                raise _enum_error("type", ENDPOINT_TYPES)
    for fe in pool.haproxy.frontends:
        if fe.protocol and fe.protocol not in PROTOCOLS:
            raise _enum_error("protocol", PROTOCOLS)


def parse_pool_body(raw: bytes) -> V2Pool:
    """Bind a request body to a V2Pool exactly as far as go-swagger would; raises BindingError."""
    text = raw.decode("utf-8", errors="replace")
    stripped = text.lstrip()
    if not stripped:
        # Decoding an empty stream yields io.EOF, which go-swagger reports as a missing body.
        raise BindingError(422, REQUIRED_FAIL_CODE, "pool in body is required")
    try:
        # Go's json.Decoder reads one value and ignores whatever follows it.
        data, _ = json.JSONDecoder().raw_decode(stripped)
    except json.JSONDecodeError as err:
        raise _parse_error(_syntax_error(stripped, err)) from err
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise _parse_error(
            f"json: cannot unmarshal {_json_kind(data, into_int=False)} into Go value of type models.V2PoolAlias"
        )
    try:
        pool = V2Pool.model_validate(data)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        raise _parse_error(_describe_type_error(first["loc"], first.get("input"))) from err
    _check_enums(pool)
    return pool


def pool_from_json(data: dict[str, Any]) -> V2Pool:
    """Reload a pool this module wrote (state file); no binding-error translation."""
    return V2Pool.model_validate(data)


async def bind_request(request: Request) -> V2Pool:
    """The V2Pool in a create/update request; raises BindingError."""
    content_type = request.headers.get("content-type")
    # go-openapi rejects any other declared media type; an absent one is taken leniently.
    if content_type and content_type.split(";")[0].strip().lower() != _JSON_MIME:
        raise BindingError(
            415, 415, f'unsupported media type "{content_type}", only [{_JSON_MIME}] are allowed'
        )
    return parse_pool_body(await request.body())
