"""Same-origin check on every state-changing request a browser could be tricked into sending.

A cross-site page can make a victim's browser post to us with the victim's cookies (CSRF), or post
the attacker's own credentials to /login (login CSRF). Browsers mark such posts with the page they
came from: `Origin` (Chromium and Firefox send it on every POST), else `Referer`. A POST, PUT,
PATCH or DELETE must carry one naming this server (or an origin in `settings.trusted_origins`).
Exempt are only API calls that do not act on a browser's cookie: bearer-token calls, calls under
/api/ without a session cookie, and /api/login (it reads no cookie and sets none)."""
from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from runtime.errors import Forbidden
from runtime.i18n import N_
from runtime.web.errors import formflow_error
from runtime.web.session import COOKIE

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_LOGIN = "/api/login"
CROSS_SITE = N_("this request did not come from a page of this site (its Origin or Referer is missing or "
                "another site's); reload the page and try again")


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of a URL, lower-cased; None for "null", empty or not a URL."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def own_origin(request: Request) -> str:
    """This server's origin as the client addressed it (scheme and Host header)."""
    host = request.headers.get("host") or (f"{request.url.hostname}:{request.url.port}" if request.url.port
                                           else request.url.hostname or "")
    return f"{request.url.scheme}://{host}".lower()


def needs_check(request: Request) -> bool:
    if request.method not in UNSAFE or request.url.path == API_LOGIN:
        return False  # the API's sign-in uses no cookie and sets none: its token is only for the caller
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return False  # no browser adds a bearer token by itself
    return COOKIE in request.cookies or not request.url.path.startswith("/api/")


def same_origin(request: Request, trusted: frozenset[str]) -> bool:
    """Whether the request says it came from this site: its Origin, or without one its Referer."""
    claimed = request.headers.get("origin")
    if claimed is None or not claimed.strip():
        claimed = request.headers.get("referer", "")
    came_from = origin_of(claimed)
    return came_from is not None and (came_from == own_origin(request) or came_from in trusted)


class SameOriginMiddleware:
    """Refuses (403, nothing done) an unsafe request from another site or from nowhere."""

    def __init__(self, app: ASGIApp, trusted_origins: tuple[str, ...] = ()) -> None:
        self.app = app
        self.trusted = frozenset(o for o in (origin_of(t) for t in trusted_origins) if o)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            if needs_check(request) and not same_origin(request, self.trusted):
                response = await formflow_error(request, Forbidden(CROSS_SITE))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
