"""The sandbox's control API under `/_localdcos`. It is not DC/OS traffic (the request log leaves it
out), but with `--auth token` it needs an admin token like Admin Router's routes do (gateway.py):
it hands out the IAM signing key and rewrites identities.

GET/PATCH /control               SandboxOptions, live-editable
GET/DELETE /requests             the request log of DC/OS traffic, oldest first, the last 10,000:
                                 [{"method", "path", "query", "status", "start", "end"}] with
                                 start/end in wall-clock seconds (time.time())
POST /tokens/expire              invalidate every token issued so far; a caller that came with a
                                 valid token gets a fresh one back ({"token"}, 200), else 204
POST /tokens                     {"uid"} -> a token for any known identity
GET /identities                  users and service accounts
PUT /users/{uid}                 {"password", "permission"?}
PUT /service-accounts/{uid}      {"public_key", "permission"?}
DELETE /identities/{uid}
GET /state                       what the state file holds

Mounted next to it by the parts they belong to: /clusters (localdcos.clusters), /mesos (Mesos'
frameworks and task states), /marathon/deployments/history, /edgelb/plans/history, /haproxy.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError

from localdcos.core.options import SandboxOptions
from localdcos.core.state import Core
from localdcos.iam import InvalidToken, presented_token

_OPTION_NAMES = frozenset(f.name for f in fields(SandboxOptions))


def _bad_request(message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"message": message, **extra}, status_code=400)


async def _json_object(request: Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.body())
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


class ControlApi:
    def __init__(self, core: Core) -> None:
        self.core = core

    def router(self) -> APIRouter:
        router = APIRouter()
        for method, path, handler in (
            ("GET", "/control", self.get_control),
            ("PATCH", "/control", self.patch_control),
            ("GET", "/requests", self.get_requests),
            ("DELETE", "/requests", self.clear_requests),
            ("POST", "/tokens/expire", self.expire_tokens),
            ("POST", "/tokens", self.issue_token),
            ("GET", "/identities", self.list_identities),
            ("PUT", "/users/{uid}", self.put_user),
            ("PUT", "/service-accounts/{uid}", self.put_service_account),
            ("DELETE", "/identities/{uid}", self.delete_identity),
            ("GET", "/state", self.state),
        ):
            router.add_api_route(path, handler, methods=[method])
        return router

    async def get_control(self) -> dict[str, Any]:
        return asdict(self.core.options)

    async def patch_control(self, request: Request) -> Response:
        try:
            patch = json.loads(await request.body() or b"{}")
        except ValueError:
            return _bad_request("body must be a JSON object")
        if not isinstance(patch, dict):
            return _bad_request("body must be a JSON object")
        unknown = sorted(set(patch) - _OPTION_NAMES)
        if unknown:
            return _bad_request(f"unknown option(s): {', '.join(unknown)}")
        options = self.core.options
        try:
            merged = TypeAdapter(SandboxOptions).validate_python({**asdict(options), **patch})
        except ValidationError as exc:
            return _bad_request("invalid option value", details=exc.errors())
        # Services hold this very object: update it in place.
        for name in patch:
            setattr(options, name, getattr(merged, name))
        return JSONResponse(asdict(options))

    async def get_requests(self) -> list[dict[str, Any]]:
        return list(self.core.request_log)

    async def clear_requests(self) -> Response:
        self.core.request_log.clear()
        return Response(status_code=204)

    async def expire_tokens(self, request: Request) -> Response:
        # Who asked (the gateway let them in): they keep the control API without a new login.
        uid = None
        token = presented_token(request.headers)
        if token:
            try:
                uid = self.core.iam.verify(token)
            except InvalidToken:
                uid = None
        self.core.iam.revoke_all()
        if uid is None:
            return Response(status_code=204)
        return JSONResponse({"token": self.core.iam.issue_token(uid)})

    async def issue_token(self, request: Request) -> Response:
        """A token for any known uid without its credentials (e.g. for a no-permission user)."""
        try:
            body = json.loads(await request.body())
            uid = str(body["uid"])
        except (ValueError, KeyError, TypeError):
            return _bad_request('body must be {"uid": "..."}')
        if uid not in {i.uid for i in self.core.iam.identities()}:
            return JSONResponse({"message": f"unknown uid {uid}"}, status_code=404)
        return JSONResponse({"token": self.core.iam.issue_token(uid)})

    async def list_identities(self) -> list[dict[str, Any]]:
        return [
            {"uid": i.uid, "kind": i.kind, "permission": i.permission} for i in self.core.iam.identities()
        ]

    async def put_user(self, uid: str, request: Request) -> Response:
        body = await _json_object(request)
        if body is None or not isinstance(body.get("password"), str):
            return _bad_request('body must be {"password": "...", "permission": true}')
        self.core.iam.add_user(uid, body["password"], permission=bool(body.get("permission", True)))
        return Response(status_code=204)

    async def put_service_account(self, uid: str, request: Request) -> Response:
        body = await _json_object(request)
        if body is None or not isinstance(body.get("public_key"), str):
            return _bad_request('body must be {"public_key": "<PEM>", "permission": true}')
        try:
            self.core.iam.add_service_account(
                uid, body["public_key"], permission=bool(body.get("permission", True))
            )
        except ValueError as exc:
            return _bad_request(str(exc))
        return Response(status_code=204)

    async def delete_identity(self, uid: str) -> Response:
        return Response(status_code=204 if self.core.iam.remove(uid) else 404)

    async def state(self) -> dict[str, Any]:
        return self.core.snapshot()
