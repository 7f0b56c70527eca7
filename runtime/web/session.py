"""Who is asking: the signed-in user of a request, from its session cookie or bearer token."""
from __future__ import annotations

from starlette.requests import Request

from runtime import auth
from runtime.errors import Forbidden, NotAuthenticated
from runtime.i18n import N_
from runtime.org import User

COOKIE = "formflow_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


def _bearer(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def identify(request: Request) -> auth.Session | None:
    """The request's session (API token first, then cookie); remembered on `request.state`."""
    if not hasattr(request.state, "session"):
        repo = request.app.state.repo
        bearer = _bearer(request)
        session = auth.find_session(repo, bearer) if bearer else auth.find_session(repo, request.cookies.get(COOKIE))
        if session and session.kind != ("api" if bearer else "web"):
            session = None
        request.state.session = session
        workflow = request.app.state.workflow
        request.state.user = workflow.org.users.get(session.username) if session else None
        request.state.csrf = session.csrf if session and session.kind == "web" else ""
    return request.state.session


async def require_user(request: Request, *, write: bool = False) -> User:
    """The signed-in user; for writes from a browser session the CSRF token must match too."""
    session = identify(request)
    user = request.state.user
    if session is None or user is None:
        raise NotAuthenticated(N_("please sign in"))
    if write and session.kind == "web":
        presented = request.headers.get(CSRF_HEADER)
        if presented is None and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")):
            presented = (await request.form()).get(CSRF_FIELD)  # type: ignore[assignment]
        if not auth.csrf_matches(session, presented if isinstance(presented, str) else None):
            raise Forbidden(N_("the form has expired (CSRF token missing or wrong); reload the page and try again"))
    return user


async def require_streaming_writer(request: Request) -> User:
    """The signed-in user for a write whose body is read as a capped stream (an upload): a browser
    session must send its CSRF token as a header, since looking for it in the body would read
    the body before it is capped."""
    session = identify(request)
    if session is not None and session.kind == "web" and CSRF_HEADER not in request.headers:
        raise Forbidden(N_("the form has expired (CSRF token missing or wrong); reload the page and try again"))
    return await require_user(request, write=True)
