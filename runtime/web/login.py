"""Signing in and out of the pages, with a login-CSRF token on the sign-in form.

Without a token a cross-site page could post the attacker's own username and password to /login
and so sign the victim in as the attacker (whatever the victim then types lands in the attacker's
account). Before sign-in there is no session to hold a token, so the form carries a signed
double-submit token: a random nonce in a cookie of its own, and in the form that nonce signed
with the process's key (`itsdangerous`), so a cookie planted from elsewhere cannot be matched."""
from __future__ import annotations

import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runtime import auth, i18n
from runtime.errors import Forbidden, NotAuthenticated
from runtime.i18n import N_
from runtime.login_guard import LoginGuard
from runtime.web.rendering import redirect, render, safe_next
from runtime.web.session import COOKIE, CSRF_FIELD, require_user

LOGIN_COOKIE = "formflow_login"
TOKEN_LIFETIME = int(auth.SESSION_LIFETIME.total_seconds())
EXPIRED = N_("the sign-in form has expired; reload the page and try again")


def login_signer(key: bytes | None = None) -> URLSafeTimedSerializer:
    """Signs login-form nonces; a new random key per process unless one is given."""
    return URLSafeTimedSerializer(key or secrets.token_bytes(32), salt="formflow-login")


def form_token(signer: URLSafeTimedSerializer, nonce: str) -> str:
    return signer.dumps(nonce)


def token_matches(signer: URLSafeTimedSerializer, token: str, nonce: str | None) -> bool:
    """Whether the form's token is this process's signature of the browser's nonce, still fresh."""
    if not nonce or not token:
        return False
    try:
        signed = signer.loads(token, max_age=TOKEN_LIFETIME)
    except BadSignature:
        return False
    return isinstance(signed, str) and secrets.compare_digest(signed, nonce)


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def _form_page(request: Request, context: dict[str, object], nonce: str, *, block: str | None = None,
               status: int = 200) -> Response:
    token = form_token(request.app.state.login_signer, nonce)
    response = render(request, "login.html", {**context, "login_token": token}, block=block, status=status)
    if request.cookies.get(LOGIN_COOKIE) != nonce:
        response.set_cookie(LOGIN_COOKIE, nonce, max_age=TOKEN_LIFETIME, path="/login", httponly=True,
                            samesite="lax", secure=request.url.scheme == "https")
    return response


async def login_page(request: Request) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    if request.method != "POST":  # GET, and the HEAD Starlette answers with it
        return _form_page(request, {"next": safe_next(request.query_params.get("next")), "username": "",
                                    "error": ""}, nonce)
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    target = safe_next(str(form.get("next", "")))
    if not token_matches(request.app.state.login_signer, str(form.get(CSRF_FIELD, "")),
                         request.cookies.get(LOGIN_COOKIE)):
        raise Forbidden(EXPIRED)
    guard: LoginGuard = request.app.state.login_guard
    try:
        user = await guard.check(request.app.state.workflow.org, username, password, client_address(request))
    except NotAuthenticated:
        context = {"next": target, "username": username, "error": i18n.gettext("Wrong username or password.")}
        return _form_page(request, context, nonce, block="login_form", status=401)
    previous = request.cookies.get(COOKIE)
    if previous:
        auth.close_session(request.app.state.repo, previous)  # a new sign-in never reuses a session
    session = auth.open_session(request.app.state.repo, user, kind="web")
    response = redirect(request, target)
    response.set_cookie(COOKIE, session.token, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", max_age=int(auth.SESSION_LIFETIME.total_seconds()))
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


async def logout(request: Request) -> Response:
    await require_user(request, write=True)
    auth.close_session(request.app.state.repo, request.state.session.token)
    response = redirect(request, "/login")
    response.delete_cookie(COOKIE)
    return response


routes = [
    Route("/login", login_page, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
]
