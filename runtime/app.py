"""`create_app(settings, repo=None)`: the Starlette application, its state set up in `lifespan`."""
from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from datetime import datetime

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from runtime import i18n, scheduler
from runtime.clock import utc_now
from runtime.deadlines import coverage_warning
from runtime.flow_authoring import FlowAuthoring
from runtime.form_authoring import FormAuthoring
from runtime.login_guard import LoginGuard
from runtime.outbox.setup import open_notifications
from runtime.rulesets import RulesetAuthoring
from runtime.settings import Settings
from runtime.setup import load_business_calendar, open_workflow
from runtime.store.anchors import DAY, anchor_writer
from runtime.store.repository import Repository, open_repository
from runtime.web import (api, audit_view, comment_view, designer, export_view, flow_designer, flow_exchange,
                         flow_properties, flow_versions, flows_api, form_designer, forms_api, inbox_view, login,
                         notifications_view, openapi, pages, pickers, print_view, rules_api, uploads_view, webhooks_view)
from runtime.web.body_limit import BodyLimitMiddleware
from runtime.web.errors import HANDLERS
from runtime.web.origin import SameOriginMiddleware
from runtime.web.rendering import STATIC_DIR, make_templates
from runtime.web.text_input import TextInputMiddleware

log = logging.getLogger("formflow")


class LocaleMiddleware:
    """Sets the request's UI language (cookie, else Accept-Language) for templates and messages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            token = i18n.current_locale.set(i18n.negotiate(
                request.cookies.get(pages.LANG_COOKIE), request.headers.get("accept-language")))
            try:
                await self.app(scope, receive, send)
            finally:
                i18n.current_locale.reset(token)
        else:
            await self.app(scope, receive, send)


# Scripts only from our own files (no inline script, no `on*=`/`hx-on` handlers, no eval), style
# sheets too; no plugins, no framing, forms posting only here; `data:` images for the favicon
# placeholder. Style *attributes* are let through (style-src-attr): htmx's settle step copies an
# element's `style` onto its replacement, and SortableJS leaves one on what it dragged.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
       "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'").encode()


class SecurityHeadersMiddleware:
    """Headers every page needs: a strict Content-Security-Policy, no framing, no MIME sniffing,
    no referrer leaks, and no copy kept by the browser or a proxy of anything but the static files
    (pages and API answers hold requests people may read only while signed in: ASVS 8.2.1). A
    response that sets one itself, such as a download, keeps its own."""

    HEADERS = [(b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
               (b"referrer-policy", b"same-origin"), (b"content-security-policy", CSP),
               (b"cross-origin-opener-policy", b"same-origin")]
    HSTS = (b"strict-transport-security", b"max-age=31536000")  # over HTTPS: never plain HTTP again
    NO_STORE = (b"cache-control", b"no-store")
    STATIC = "/static/"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        wanted = [*self.HEADERS, self.HSTS] if scope.get("scheme") == "https" else list(self.HEADERS)
        if not str(scope.get("path", "")).startswith(self.STATIC):
            wanted.append(self.NO_STORE)

        async def send_with_headers(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in wanted if h[0] not in present)
            await send(message)
        await self.app(scope, receive, send_with_headers if scope["type"] == "http" else send)


def create_app(settings: Settings, repo: Repository | None = None) -> Starlette:
    """The app; with `repo` given (tests) it is used as is, otherwise `settings.data_dir` is opened."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        own = repo is None
        store = open_repository(settings.data_dir, settings.audit_key) if own else repo
        try:
            app.state.repo = store
            app.state.workflow = open_workflow(store, demo=settings.demo, timezone=settings.timezone,
                                               calendar=load_business_calendar(settings))
            app.state.calendar_warning = coverage_warning(app.state.workflow.calendar,
                                                          datetime.now(app.state.workflow.calendar.zone).date())
            if app.state.calendar_warning:
                log.warning("%s", app.state.calendar_warning)  # admins see it at start-up
            app.state.notifications = open_notifications(app.state.workflow, settings)
            app.state.notifications.start()  # replays what the last run left unsent, then listens
            app.state.authoring = RulesetAuthoring(app.state.workflow)
            app.state.form_authoring = FormAuthoring(app.state.workflow)
            app.state.flow_authoring = FlowAuthoring(app.state.workflow)
            app.state.templates = make_templates(settings.timezone)
            app.state.settings = settings
            if own:  # the state just rebuilt lives as long as the server: the collector need not walk it on every
                gc.freeze()  # pass (with 100,000 tasks a page's allocations cost 3x as much otherwise; bench/inbox.py)
            app.state.login_guard = LoginGuard(workers=settings.password_workers)
            app.state.login_signer = login.login_signer()
            anchor = anchor_writer(store.chain_head, settings.anchor_file, utc_now) if settings.anchor_file else None
            if anchor:
                anchor()
            async with (scheduler.every(settings.escalate_every, app.state.workflow.escalate_due),
                        scheduler.every(DAY if anchor else 0, anchor or (lambda: None))):
                yield
        finally:
            if hasattr(app.state, "notifications"):
                app.state.notifications.stop()
            if hasattr(app.state, "login_guard"):
                app.state.login_guard.close()
            if hasattr(app.state, "workflow"):
                app.state.workflow.save_checkpoint()
            if own:
                store.close()

    routes = [*api.routes, *openapi.routes, *uploads_view.routes, *rules_api.routes, *forms_api.routes, *flows_api.routes,
              *designer.routes, *form_designer.routes, *flow_exchange.routes, *flow_properties.routes, *flow_versions.routes,
              *flow_designer.routes,  # after the others: /designer/flows/{key} would take "import"
              *login.routes, *inbox_view.routes, *print_view.routes, *export_view.routes, *pages.routes,
              *comment_view.routes, *notifications_view.routes, *webhooks_view.routes, *audit_view.routes,
              *pickers.routes,
              Mount("/static", StaticFiles(directory=STATIC_DIR), name="static")]
    middleware = [Middleware(SecurityHeadersMiddleware), Middleware(LocaleMiddleware),
                  Middleware(SameOriginMiddleware, trusted_origins=settings.trusted_origins),
                  Middleware(BodyLimitMiddleware, cap=settings.max_json), Middleware(TextInputMiddleware)]
    return Starlette(routes=routes, middleware=middleware, exception_handlers=HANDLERS,  # type: ignore[arg-type]
                     lifespan=lifespan)
