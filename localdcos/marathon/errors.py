"""Marathon's error answers: JSON `{"message", ...}` (or an empty body) with Marathon's own texts."""

from __future__ import annotations

from typing import Any

from fastapi import Response
from fastapi.responses import JSONResponse

from localdcos.marathon import validation

LOCKED_MESSAGE = (
    "App is locked by one or more deployments. Override with the option '?force=true'. "
    "View details at '/v2/deployments/<DEPLOYMENT_ID>'."
)
# The missing space after "one" is Marathon's own (TooManyRunningDeploymentsException).
TOO_MANY_DEPLOYMENTS = (
    "Max number ({n}) of running deployments is achieved. Wait for existing deployments to complete or cancel one"
    "using force=true parameter. You can increase max deployment number by using --max_running_deployments "
    "parameter but be advised that this can have negative effects on the performance."
)


class MarathonError(Exception):
    """An error answer in Marathon's JSON shape (or an empty body)."""

    def __init__(self, status: int, body: dict[str, Any] | None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body

    def response(self) -> Response:
        if self.body is None:
            return Response(status_code=self.status)
        return JSONResponse(self.body, status_code=self.status)


def message(status: int, text: str, **extra: Any) -> MarathonError:
    return MarathonError(status, {"message": text, **extra})


def invalid_json(errors: validation.Errors) -> MarathonError:
    return message(422, "Invalid JSON", details=validation.details(errors))


def not_valid(errors: validation.Errors) -> MarathonError:
    return message(422, "Object is not valid", details=validation.details(errors))


def app_not_found(app_id: str, version: str | None = None) -> MarathonError:
    suffix = f" in version {version}" if version else ""
    return message(404, f"App '{app_id}' does not exist{suffix}")
