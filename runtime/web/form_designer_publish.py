"""The form designer's list of forms, the new-form page, and publishing: the publish panel with
the pending changes in words, publishing with a change note (refusals listed with who uses each
field), and discarding the draft."""
from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from builder import form_editing as fe
from builder.text import localize
from runtime import i18n
from runtime.errors import Conflict, DefinitionError, Problem
from runtime.web.form_designer_context import (authoring_of, designer_user, page_context, page_url,
                                               publish_context)
from runtime.web.rendering import is_htmx, redirect, render

_ = i18n.gettext


# ---------------------------------------------------------------- list and new


async def forms_list(request: Request) -> Response:
    user = await designer_user(request)
    return render(request, "designer/forms.html", {"forms": authoring_of(request).summaries(user)})


def new_definition(source: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """What a new-form or new-process page posted (or asked for, to suggest a key as the title is
    typed): the title by language, and the page's context: what was typed, the key and the key
    suggested from the title ("leave-request")."""
    zh, en = str(source.get("title_zh", "")), str(source.get("title_en", ""))
    title = {lang: text.strip() for lang, text in (("zh_CN", zh), ("en", en)) if text.strip()}
    suggested = fe.key_from_label(title, ()).replace("_", "-") if title else ""
    return title, {"title_zh": zh, "title_en": en, "key": str(source.get("key", "")).strip(), "suggested": suggested,
                   "errors": {}}


async def new_form(request: Request) -> Response:
    user = await designer_user(request, write=request.method == "POST")
    source = await request.form() if request.method == "POST" else request.query_params
    title, context = new_definition(source)
    key, suggested = context["key"], context["suggested"]
    context["process"] = request.method == "GET" or bool(source.get("process"))
    if request.method == "GET":
        return render(request, "designer/form_new.html", context, block="key_field")
    if not title:
        context["errors"]["title"] = _("Give the form a title, in Chinese or English.")
    else:
        try:
            await run_in_threadpool(authoring_of(request).create, user, key or suggested, title,
                                    process=context["process"])
        except DefinitionError as exc:
            context["errors"]["key"] = "; ".join(i18n.localized(p.message) for p in exc.problems)
        except Conflict as exc:
            context["errors"]["key"] = i18n.localized(exc.args[0]) if exc.args else str(exc)
        else:
            return redirect(request, page_url(key or suggested))
    return render(request, "designer/form_new.html", context, status=422, block="new_form")


# ---------------------------------------------------------------- publish


async def publish_panel(request: Request) -> Response:
    user = await designer_user(request)
    key = request.path_params["key"]
    draft = authoring_of(request).draft(user, key)
    if not is_htmx(request):
        return redirect(request, page_url(key) + "#publish")
    return render(request, "designer/form.html", publish_context(request, user, key, draft), block="publish")


def _refusals(problems: list[Problem], doc: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for problem in problems:
        target, _rest = fe.target_of_path(doc, problem.path)
        label = ""
        if target:
            label = localize(fe.field_at(doc, target).get("label"), i18n.current_locale.get())
        out.append({"target": target, "label": label or target, "message": i18n.localized(problem.message)})
    return out


async def publish(request: Request) -> Response:
    """Publish the draft with a change note: refusals (a field in use) listed with who uses it."""
    user = await designer_user(request, write=True)
    key = request.path_params["key"]
    authoring = authoring_of(request)
    note = str((await request.form()).get("note", ""))
    state: dict[str, Any] = {"note": note, "error": "", "note_error": "", "refusals": []}
    try:
        version = await run_in_threadpool(authoring.publish, user, key, note)
    except DefinitionError as exc:
        status = 422
        draft = authoring.draft(user, key)
        if any(p.path == "note" for p in exc.problems):
            state["note_error"] = _("Say what changed and why: the change note is required.")
        state["refusals"] = _refusals([p for p in exc.problems if p.path != "note"], draft.form)
        if state["refusals"]:
            state["error"] = _("Publishing is refused: fix what is listed below, then publish again.")
    except Conflict:
        status = 409
        draft = authoring.draft(user, key)
        state["error"] = _("Nothing to publish: the draft is the same as the published version.")
    else:
        return redirect(request, f"/designer/forms/{key}?published={version}")
    context = publish_context(request, user, key, draft, state)
    if not is_htmx(request):
        return render(request, "designer/form.html",
                      page_context(request, user, key, draft, "", **context), status=status)
    return render(request, "designer/form.html", context, block="publish", status=status)


async def discard(request: Request) -> Response:
    user = await designer_user(request, write=True)
    key = request.path_params["key"]
    await run_in_threadpool(authoring_of(request).discard, user, key)
    return redirect(request, page_url(key))
