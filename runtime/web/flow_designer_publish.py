"""The flow designer's list of processes, the new-process page, and publishing: the publish panel
(blocked while the draft has problems), publishing with a change note, and discarding the draft."""
from __future__ import annotations

import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from builder.text import localize
from runtime import i18n
from runtime.errors import Conflict, DefinitionError
from runtime.web.flow_designer_context import (authoring_of, designer_user, page_context, page_url,
                                               publish_context)
from runtime.web.form_designer_publish import new_definition
from runtime.web.rendering import is_htmx, redirect, render

_ = i18n.gettext
TEMPLATE = "designer/flow.html"


# ---------------------------------------------------------------- list and new


async def flows_list(request: Request) -> Response:
    """Every process with its latest version, whether it has a draft, and how many problems
    block publishing that draft."""
    user = await designer_user(request)
    authoring = authoring_of(request)
    rows = authoring.summaries(user)
    for row in rows:
        row["problems"] = len(authoring.problems(user, row["key"])) if row["draft"] else 0
    return render(request, "designer/flows.html", {"flows": rows})


def published_forms(request: Request) -> list[tuple[str, str]]:
    """(key, title) of every published form, for the new process's form select."""
    locale = i18n.current_locale.get()
    return [(d["key"], localize(d.get("title"), locale) or d["key"])
            for d in request.app.state.workflow.repo.list_definitions("form")]


async def new_flow(request: Request) -> Response:
    """GET: the page (htmx: the key's suggestion as the title is typed); POST: create the draft.
    The form is posted as `form_key`: a control named "form" would hide its form's own `form`
    property from scripts (htmx reads it)."""
    user = await designer_user(request, write=request.method == "POST")
    source = await request.form() if request.method == "POST" else request.query_params
    title, context = new_definition(source)
    key, suggested, forms = context["key"], context["suggested"], published_forms(request)
    context.update(forms=forms, form=str(source.get("form_key", "")))
    if request.method == "GET":
        return render(request, "designer/flow_new.html", context, block="key_field")
    if not title:
        context["errors"]["title"] = _("Give the process a title, in Chinese or English.")
    elif context["form"] not in {k for k, _ in forms}:
        context["errors"]["form"] = _("Choose the form the process files, from the published forms.")
    else:
        try:
            await run_in_threadpool(authoring_of(request).create, user, key or suggested, title, context["form"])
        except DefinitionError as exc:
            for problem in exc.problems:
                where = "form" if problem.path == "form" else "title" if problem.path == "title" else "key"
                context["errors"][where] = i18n.localized(problem.message)
        except Conflict as exc:
            context["errors"]["key"] = i18n.localized(exc.args[0]) if exc.args else str(exc)
        else:
            return redirect(request, page_url(key or suggested))
    return render(request, "designer/flow_new.html", context, status=422, block="new_flow")


# ---------------------------------------------------------------- publish


async def publish_panel(request: Request) -> Response:
    user = await designer_user(request)
    key = request.path_params["key"]
    draft = authoring_of(request).draft(user, key)
    if not is_htmx(request):
        return redirect(request, page_url(key) + "#publish")
    return render(request, TEMPLATE, publish_context(request, user, key, draft), block="publish")


ROUTE = re.compile(r"scenarios\[\d+\]\.route\Z")  # a saved scenario that would now take another route


async def publish(request: Request) -> Response:
    """Publish the draft with a change note; refused (422) while it has problems or no note, or
    while a saved scenario would take another route (until `confirm_routes` says it is meant).
    Where the process asks for it, the change goes to its owner for approval instead."""
    user = await designer_user(request, write=True)
    key = request.path_params["key"]
    authoring = authoring_of(request)
    posted = await request.form()
    note = str(posted.get("note", ""))
    state: dict[str, Any] = {"note": note, "error": "", "note_error": "", "refusals": [], "routes_changed": False}
    try:
        done = await run_in_threadpool(lambda: authoring.publish(user, key, note,
                                                                 confirm_routes=bool(posted.get("confirm_routes"))))
    except DefinitionError as exc:
        status = 422
        if any(p.path == "note" for p in exc.problems):
            state["note_error"] = _("Say what changed and why: the change note is required.")
        state["refusals"] = [i18n.localized(p.message) for p in exc.problems if p.path != "note"]
        state["routes_changed"] = any(ROUTE.match(p.path) for p in exc.problems)
        if state["routes_changed"]:
            state["error"] = _("Saved scenarios would take another route: check them, then confirm the new routes.")
        elif state["refusals"]:
            state["error"] = _("Publishing is refused: fix the problems listed at the top first.")
    except Conflict:
        status = 409
        state["error"] = _("Nothing to publish: the draft is the same as the published version.")
    else:
        outcome = f"pending={done.pending}" if done.pending else f"published={done.version}"
        return redirect(request, f"/designer/flows/{key}?{outcome}")
    draft = authoring.draft(user, key)
    context = publish_context(request, user, key, draft, state)
    if not is_htmx(request):
        return render(request, TEMPLATE, page_context(request, user, key, draft, "", **context), status=status)
    return render(request, TEMPLATE, context, block="publish", status=status)


async def discard(request: Request) -> Response:
    user = await designer_user(request, write=True)
    key = request.path_params["key"]
    await run_in_threadpool(authoring_of(request).discard, user, key)
    return redirect(request, page_url(key))
