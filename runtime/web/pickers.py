"""The organisation search behind the user and department pickers: an htmx fragment of choices
for the staff form, and the same choices as JSON for scripts. Any signed-in person may search:
the names are those a form already shows (assignees, colleagues)."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runtime import i18n
from runtime.errors import BadRequest
from runtime.i18n import N_
from runtime.org_search import KINDS, search
from runtime.web.rendering import render
from runtime.web.session import require_user


def _choices(request: Request, query_names: tuple[str, ...]) -> tuple[str, list[dict[str, str]]]:
    params = request.query_params
    kind = params.get("kind", "")
    if kind not in KINDS:
        raise BadRequest(N_('kind must be "user" or "department"'))
    query = next((params[n] for n in query_names if n in params), "")
    return kind, search(request.app.state.workflow.org, kind, query, i18n.current_locale.get())


async def org_search(request: Request) -> Response:
    """GET /org/search?kind=user|department&q=…: the choices as a list a picker shows."""
    await require_user(request)
    kind, choices = _choices(request, ("q", "_q"))  # `_q`: the picker's own search box
    return render(request, "partials/org_choices.html",
                  {"kind": kind, "field": request.query_params.get("field", ""), "choices": choices})


async def api_org_search(request: Request) -> Response:
    """GET /api/org/search?kind=…&q=…: [{"value", "label"}] in the reader's language."""
    await require_user(request)
    _, choices = _choices(request, ("q",))
    return JSONResponse([{"value": c["value"], "label": c["label"]} for c in choices])


routes = [
    Route("/org/search", org_search),
    Route("/api/org/search", api_org_search),
]
