"""Admin Router's side of authentication (spec §4): where it finds the token, and its nginx pages for
401 and 403. What the token proves is the IAM's business (service.py)."""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from fastapi import Response
from fastapi.responses import HTMLResponse
from starlette.datastructures import Headers

from localdcos.iam.service import COOKIE_NAME, IAM, InvalidToken


def nginx_page(status: int, reason: str, text: str) -> str:
    """Admin Router's error pages are nginx pages, never JSON (§1.4)."""
    return (
        f"<html>\n<head><title>{status} {reason}</title></head>\n<body>\n"
        f"<center><h1>{status} {reason}</h1></center>\n<p>{text}</p>\n"
        "<hr><center>Admin Router</center>\n</body>\n</html>\n"
    )


_UNAUTHORIZED_PAGE = nginx_page(
    401,
    "Unauthorized",
    "Authentication is required: log in and send the token as 'Authorization: token=...'.",
)
_FORBIDDEN_PAGE = nginx_page(403, "Forbidden", "You are not authorized to access this resource.")


def presented_token(headers: Headers) -> str | None:
    """The token as Admin Router finds it: `token=`/`Bearer` header, else the cookie (§4)."""
    authorization = headers.get("authorization")
    if authorization is not None:
        if authorization.startswith("token="):
            return authorization.removeprefix("token=").strip()
        if authorization[:7].lower() == "bearer ":
            return authorization[7:].strip()
        return None
    raw_cookie = headers.get("cookie")
    if not raw_cookie:
        return None
    try:
        cookie: SimpleCookie = SimpleCookie(raw_cookie)
    except CookieError:
        return None
    morsel = cookie.get(COOKIE_NAME)
    return morsel.value if morsel is not None else None


def authorize(iam: IAM, headers: Headers) -> Response | None:
    """Admin Router's answer to a request without a usable token (401) or permission (403); None
    lets it through."""
    token = presented_token(headers)
    challenge = {"WWW-Authenticate": "acsjwt"}
    if not token:
        return HTMLResponse(_UNAUTHORIZED_PAGE, status_code=401, headers=challenge)
    try:
        uid = iam.verify(token)
    except InvalidToken:
        return HTMLResponse(_UNAUTHORIZED_PAGE, status_code=401, headers=challenge)
    if not iam.has_permission(uid):
        return HTMLResponse(_FORBIDDEN_PAGE, status_code=403)
    return None
