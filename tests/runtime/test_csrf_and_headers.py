"""Cross-site requests refused: Origin/Referer on every state-changing request, a token on the
sign-in form, the CSRF token for a cookie's /api/logout, and the headers every response carries."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from runtime.web.login import LOGIN_COOKIE
from runtime.web.session import COOKIE
from tests.support import bearer, login_token, page_sign_in

NO_ORIGIN = {"Origin": ""}
EVIL = {"Origin": "https://evil.example"}


@pytest.fixture
def app():
    return create_app(Settings(demo=True, escalate_every=0, trusted_origins=("https://flow.example.com",)),
                      MemoryRepository())


@pytest.fixture
def web(app) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False, headers={"Accept-Language": "en"}) as c:
        yield c


def csrf_of(web: TestClient) -> str:
    return web.get("/").context["csrf"]


def signed_in(web: TestClient, username: str = "zhang.wei") -> str:
    assert page_sign_in(web, username).status_code == 303
    return csrf_of(web)


def test_the_sign_in_form_carries_a_token_bound_to_a_cookie_of_its_own(web):
    page = web.get("/login")
    assert page.template.name == "login.html" and page.context["login_token"]
    assert LOGIN_COOKIE in page.cookies
    assert page_sign_in(web, "li.na").status_code == 303
    assert COOKIE in web.cookies


def test_a_head_request_of_the_sign_in_page_is_answered_as_its_get(web):
    """Link checkers and monitors ask with HEAD: the page's headers, not a refused sign-in."""
    assert web.head("/login").status_code == 200


@pytest.mark.parametrize("token", ["", "forged", None])
def test_a_sign_in_without_the_forms_token_signs_nobody_in(web, token):
    """Login CSRF: another site posting its own credentials to /login gets no session for them."""
    if token is None:
        token = login_token(web)
        web.cookies.clear()  # the token without the browser's cookie it was made for
    r = web.post("/login", data={"username": "li.na", "password": "demo", "csrf_token": token})
    assert r.status_code == 403
    assert COOKIE not in web.cookies


def test_a_token_from_another_browser_does_not_fit(app, web):
    with TestClient(app, follow_redirects=False) as other:
        theirs = login_token(other)
    login_token(web)
    r = web.post("/login", data={"username": "li.na", "password": "demo", "csrf_token": theirs})
    assert r.status_code == 403


def test_a_wrong_password_keeps_a_working_token(web):
    r = page_sign_in(web, "li.na", "nope", headers={"HX-Request": "true"})
    assert r.status_code == 401 and r.context["login_token"]
    r = web.post("/login", data={"username": "li.na", "password": "demo", "csrf_token": r.context["login_token"]})
    assert r.status_code == 303


@pytest.mark.parametrize("headers", [NO_ORIGIN, EVIL, {"Origin": "null"}, {"Origin": "http://testserver:8080"},
                                     {"Origin": "https://testserver"}])
def test_a_post_from_another_origin_or_none_is_refused(web, headers):
    token = login_token(web)
    r = web.post("/login", data={"username": "li.na", "password": "demo", "csrf_token": token}, headers=headers)
    assert r.status_code == 403
    assert "did not come from a page of this site" in r.context["error"]
    assert COOKIE not in web.cookies


def test_without_origin_the_referer_decides(web):
    token = login_token(web)
    form = {"username": "li.na", "password": "demo", "csrf_token": token}
    assert web.post("/login", data=form, headers={**NO_ORIGIN, "Referer": "https://evil.example/login"}
                    ).status_code == 403
    assert web.post("/login", data=form, headers={**NO_ORIGIN, "Referer": "http://testserver/login?next=/"}
                    ).status_code == 303


def test_a_trusted_origin_may_post(web):
    """Behind a proxy the browser's origin is the proxy's: the operator names it."""
    token = login_token(web)
    r = web.post("/login", data={"username": "li.na", "password": "demo", "csrf_token": token},
                 headers={"Origin": "https://flow.example.com"})
    assert r.status_code == 303


def test_a_signed_in_command_from_another_site_changes_nothing(app, web):
    csrf = signed_in(web)
    before = len(app.state.workflow.state.instances)
    r = web.post("/api/instances", json={"process": "expense", "data": {}}, headers={**EVIL, "X-CSRF-Token": csrf})
    assert r.status_code == 403
    assert r.json()["error"].startswith("this request did not come from a page of this site")
    assert len(app.state.workflow.state.instances) == before


def test_reading_needs_no_origin(web):
    signed_in(web)
    assert web.get("/inbox", headers=NO_ORIGIN).status_code == 200


def test_api_calls_with_a_bearer_token_need_no_origin(web):
    headers = bearer(web, "zhang.wei")
    web.cookies.clear()
    r = web.post("/api/logout", headers={**headers, **NO_ORIGIN})
    assert r.status_code == 204


def test_the_api_sign_in_needs_no_origin_and_sets_no_cookie(web):
    r = web.post("/api/login", json={"username": "li.na", "password": "demo"}, headers=NO_ORIGIN)
    assert r.status_code == 200 and r.json()["token"]
    assert COOKIE not in r.cookies
    signed_in(web)  # a browser's session cookie alongside does not matter: the API's sign-in ignores it
    r = web.post("/api/login", json={"username": "li.na", "password": "demo"}, headers=NO_ORIGIN)
    assert r.status_code == 200


def test_api_logout_with_a_cookie_needs_the_csrf_token(web):
    csrf = signed_in(web)
    assert web.post("/api/logout").status_code == 403
    assert web.get("/inbox").status_code == 200  # still signed in
    assert web.post("/api/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert web.get("/inbox").status_code == 303


def test_every_response_carries_the_security_headers(web):
    for r in (web.get("/login"), web.get("/static/formflow.css"), web.get("/api/tasks")):
        csp = dict(part.strip().split(" ", 1) for part in r.headers["content-security-policy"].split(";"))
        assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
        assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
        assert r.headers["x-frame-options"] == "DENY"


def test_nothing_but_the_static_files_is_kept_in_a_cache(web):
    signed_in(web)
    for r in (web.get("/login"), web.get("/inbox"), web.get("/api/tasks")):
        assert r.headers["cache-control"] == "no-store", r.url
    assert "cache-control" not in web.get("/static/formflow.css").headers  # scripts and styles may be


def test_the_refusal_is_in_the_readers_language(web):
    r = web.post("/lang", data={"locale": "zh_CN", "next": "/"}, headers={**EVIL, "Accept-Language": "zh-CN"})
    assert r.status_code == 403
    assert "并非来自本站页面" in r.context["error"]


def test_serve_takes_trusted_origins_and_password_threads_from_the_command_line(monkeypatch, tmp_path):
    import uvicorn

    import runtime.app
    from runtime.cli import main

    seen: list[Settings] = []
    monkeypatch.setattr(runtime.app, "create_app", lambda settings: seen.append(settings))
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    main(["serve", "--data", str(tmp_path), "--trusted-origin", "https://a.example", "--trusted-origin",
          "https://b.example", "--password-workers", "2"])
    assert seen[0].trusted_origins == ("https://a.example", "https://b.example")
    assert seen[0].password_workers == 2


def test_over_https_browsers_are_told_to_stay_on_https(app, web):
    assert "strict-transport-security" not in web.get("/login").headers
    with TestClient(app, base_url="https://testserver") as secure:
        assert secure.get("/login").headers["strict-transport-security"] == "max-age=31536000"
