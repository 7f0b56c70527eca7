"""One URL, two renderings: a full page, or just the named block when htmx asks for it."""
from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path
from urllib.parse import quote, urlparse
from typing import Any

import jinja2
from babel.dates import format_datetime
from jinja2_fragments.starlette import Jinja2Blocks
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from builder.text import localize
from runtime import i18n
from runtime.errors import NotFound
from runtime.web import values
from runtime.web.fragment_cache import FragmentCacheExtension
from runtime.web.upload_filters import FILTERS as UPLOAD_FILTERS

_URL_SAFE = ":/%#?=@[]!$&'()*+,;"  # what Starlette's RedirectResponse leaves unencoded
TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates"
STATIC_DIR = TEMPLATE_DIR / "static"


def _when(value: str | None, timezone: str) -> str:
    """An event's UTC timestamp as local wall-clock time, minutes precision."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return format_datetime(moment, "yyyy-MM-dd HH:mm", tzinfo=timezone, locale=i18n.current_locale.get())


local_time = _when  # the `when` filter, for words made outside a template (runtime.web.error_words)


def _label(value: Any) -> str:
    return localize(value, i18n.current_locale.get())


@jinja2.pass_context
def _person(context: Any, username: str) -> str:
    """A username as the person's name in the page's language (the username if unknown)."""
    workflow = getattr(context["request"].app.state, "workflow", None)
    return workflow.org.name_of(username, i18n.current_locale.get()) if workflow else username


@jinja2.pass_context
def _process(context: Any, key: str) -> str:
    """A process key as its current title in the page's language."""
    workflow = getattr(context["request"].app.state, "workflow", None)
    try:
        return localize(workflow.definition("flow", key).title, i18n.current_locale.get()) if workflow else key
    except NotFound:
        return key


def _workflow_of(context: Any) -> Any:
    """The running workflow, or None where a template renders outside a request (tests, print)."""
    request = context.get("request")
    return getattr(request.app.state, "workflow", None) if request is not None else None


@jinja2.pass_context
def _shown(context: Any, value: Any, f: Any) -> str:
    """A field's value as a person reads it (`runtime.web.values.shown`)."""
    workflow = _workflow_of(context)
    return values.shown(f, value, workflow.org if workflow else None, workflow.calendar if workflow else None)


@jinja2.pass_context
def _range_length(context: Any, value: Any, f: Any) -> str:
    workflow = _workflow_of(context)
    return values.range_length(value, f.working_days, workflow.calendar if workflow else None)


@jinja2.pass_context
def _department(context: Any, key: str) -> str:
    workflow = _workflow_of(context)
    return values.department_name(workflow.org if workflow else None, key)


def _context(request: Request) -> dict[str, Any]:
    state = request.state
    return {"user": getattr(state, "user", None), "csrf": getattr(state, "csrf", ""),
            "locale": i18n.current_locale.get(), "locales": i18n.LOCALE_NAMES}


def make_templates(timezone: str = "Asia/Shanghai", strict: bool = False) -> Jinja2Blocks:
    """The template set; `strict` makes an undefined name an error (tests)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
                             extensions=["jinja2.ext.i18n", FragmentCacheExtension],
                             autoescape=jinja2.select_autoescape(("html", "htm", "xml")),
                             undefined=jinja2.StrictUndefined if strict else jinja2.Undefined)
    templates = Jinja2Blocks(env=env, context_processors=[_context])
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(money=values.amount, number=values.number, label=_label, when=partial(_when, timezone=timezone),
                       person=_person, process=_process, shown=_shown, capitals=values.capitals,
                       column_totals=values.column_totals, range_length=_range_length, department=_department,
                       **UPLOAD_FILTERS)
    env.filters["localized"] = i18n.localized  # a message (Text) the context holds as it was raised
    env.globals.update(value_template=values.value_template)
    env.policies["ext.i18n.trimmed"] = True
    # Every field template calls these, 60 times on a 60-field form: an import in each was a lookup
    # and a module check per field (a fifth of the preview's render). Made once; a change to
    # partials/macros.html reaches them on restart, not through auto-reload.
    field_macros = env.get_template("partials/macros.html").module
    env.globals.update(field_error=field_macros.field_error, field_label=field_macros.field_label)
    return templates


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def safe_next(target: str | None) -> str:
    """A same-site path to go to after sign-in, or "/": never another site (`//x`, `/\\x`)."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target) or urlparse(target).netloc):
        return "/"
    return target


def redirect(request: Request, url: str) -> Response:
    """Go to `url`: through HX-Redirect for htmx, a plain 303 otherwise (both URL-encoded)."""
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": quote(url, safe=_URL_SAFE)})
    return RedirectResponse(url, status_code=303)


class _Fragment(HTMLResponse):
    """One block of a template. Like a full TemplateResponse it tells the test client which
    template and context made it, so fragment tests assert on them rather than on HTML."""

    def __init__(self, response: Response, template: Any, context: dict[str, Any]) -> None:
        super().__init__(response.body, status_code=response.status_code)
        self.raw_headers = response.raw_headers
        self.template, self.context = template, context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "http.response.debug" in scope.get("extensions", {}):
            await send({"type": "http.response.debug", "info": {"template": self.template, "context": self.context}})
        await super().__call__(scope, receive, send)


def render(request: Request, template: str, context: dict[str, Any], *, block: str | None = None,
           status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """The full page, or only `block` when the request came from htmx."""
    templates: Jinja2Blocks = request.app.state.templates
    chosen = block if block and is_htmx(request) else None
    response = templates.TemplateResponse(request, template, context, status_code=status,
                                          headers=headers, block_name=chosen)
    if chosen:
        response = _Fragment(response, templates.get_template(template), context)
    response.headers["Vary"] = "HX-Request"
    return response
