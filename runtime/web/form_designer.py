"""The form designer of one form: its page and every edit (the list, new-form and publish routes
are in `runtime.web.form_designer_publish`; every route of both is in `routes` here).

Every edit posts one operation (insert, move, duplicate, delete, a property, an option, a
column, undo, redo), applied to the draft by `builder.form_editing` and saved through
`FormAuthoring.save`. htmx gets the workspace back (canvas, property panel, preview) in one
block, morphed in place so focus stays where it was; a plain form post is redirected to the page.
A refused edit answers 422 with the problem on the field and property it concerns, the input
still holding what was typed, and the draft as it was. Designers and admins only (403 otherwise:
FormAuthoring checks the role on every call).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from builder import form_editing as fe
from runtime import i18n
from runtime.errors import DefinitionError, Problem
from runtime.web import form_designer_rules as rules_view
from runtime.web import form_designer_view as view
from runtime.web.editor_values import whole_number
from runtime.web.form_designer_context import (authoring_of, designer_user, page_context, page_url,
                                               workspace)
from runtime.web.form_designer_publish import discard, forms_list, new_form, publish, publish_panel
from runtime.web.rendering import is_htmx, redirect, render
from runtime.i18n import N_

_ = i18n.gettext
Pairs = list[tuple[str, str]]
Edit = Callable[[Any, Pairs], tuple[dict[str, Any], str]]  # (draft, posted) → (new doc, field to select)


# ---------------------------------------------------------------- the designer


async def form_page(request: Request) -> Response:
    user = await designer_user(request)
    key = request.path_params["key"]
    draft = authoring_of(request).draft(user, key)
    target = request.query_params.get("field", "")
    if is_htmx(request):  # selecting a field: the preview keeps the sample data typed
        samples = view.sample_pairs(list(request.query_params.multi_items())) or None
        return render(request, "designer/form.html", workspace(request, user, key, draft, target, samples=samples),
                      block="workspace")
    return render(request, "designer/form.html", page_context(request, user, key, draft, target))


async def _pairs(request: Request) -> Pairs:
    return [(k, str(v)) for k, v in (await request.form()).multi_items()]


async def _apply(request: Request, edit: Edit, builders: dict[str, Any] | None = None) -> Response:
    """One edit: apply it to the draft and save; 422 with the problems placed and nothing saved.
    `builders` (property → ConditionForm) are the condition builders the edit read, shown as
    posted (their mode, their clauses' problems) instead of rebuilt from the draft."""
    builders = {} if builders is None else builders
    user = await designer_user(request, write=True)
    key = request.path_params["key"]
    authoring = authoring_of(request)
    draft = authoring.draft(user, key)
    pairs = await _pairs(request)
    posted = dict(pairs)
    target = request.path_params.get("target", posted.get("selected", ""))
    samples = view.sample_pairs(pairs)
    attempt = draft.form
    try:
        attempt, target = edit(draft, pairs)
        if attempt != draft.form:
            draft = await run_in_threadpool(authoring.save, user, key, attempt)
    except DefinitionError as exc:
        placed = view.place(exc.problems, attempt)
        rules_view.place_on_builders(builders, exc.problems, attempt, request.path_params.get("target", ""))
        placed.attempt = {k: v for k, v in pairs if not k.startswith(view.SAMPLE_PREFIX)}
        placed.attempt_target = request.path_params.get("target", "")
        if not placed:
            placed.general.append(_("The change could not be saved."))
        if not is_htmx(request):
            return render(request, "designer/form.html",
                          page_context(request, user, key, draft, placed.attempt_target or target,
                                        placed=placed, samples=samples, builders=builders), status=422)
        return render(request, "designer/form.html",
                      workspace(request, user, key, draft, placed.attempt_target or target, placed=placed,
                                 samples=samples, builders=builders), block="workspace", status=422)
    if not is_htmx(request):
        return redirect(request, page_url(key, target))
    return render(request, "designer/form.html",
                  workspace(request, user, key, draft, target, samples=samples, builders=builders),
                  block="workspace", headers={"HX-Trigger": view.DRAFT_CHANGED})


async def insert_field(request: Request) -> Response:
    """A field of the posted `type` at `index`, or right after the field `after`."""
    def edit(draft: Any, pairs: Pairs) -> tuple[dict[str, Any], str]:
        posted = dict(pairs)
        index = whole_number(posted.get("index"), "index")
        if posted.get("after"):
            _, at, _ = fe.locate(draft.form, posted["after"])
            index = at + 1
        return fe.insert_field(draft.form, posted.get("type", ""), index)
    return await _apply(request, edit)


async def move_field(request: Request) -> Response:
    """To `to` (a drop), or one place `direction` up or down (the buttons)."""
    target = request.path_params["target"]

    def edit(draft: Any, pairs: Pairs) -> tuple[dict[str, Any], str]:
        posted = dict(pairs)
        if posted.get("direction") in ("up", "down"):
            return fe.move_by(draft.form, target, -1 if posted["direction"] == "up" else 1), target
        to = whole_number(posted.get("to"), "to")
        if to is None:
            raise DefinitionError([Problem("to", N_("say where to move it"))])
        return fe.move_field(draft.form, target, to), target
    return await _apply(request, edit)


async def duplicate_field(request: Request) -> Response:
    return await _apply(request, lambda draft, _: fe.duplicate_field(draft.form, request.path_params["target"]))


async def delete_field(request: Request) -> Response:
    target = request.path_params["target"]
    table, _, column = target.partition(".")
    return await _apply(request, lambda draft, _: (fe.delete_field(draft.form, target), table if column else ""))


async def insert_column(request: Request) -> Response:
    table = request.path_params["target"]

    def edit(draft: Any, pairs: Pairs) -> tuple[dict[str, Any], str]:
        posted = dict(pairs)
        return fe.insert_column(draft.form, table, posted.get("type", ""), whole_number(posted.get("index"), "index"))
    return await _apply(request, edit)


PROPERTY_PREFIX = "p."
OPTION_PREFIX = "o."


def _field_edits(doc: dict[str, Any], target: str, pairs: Pairs, published: frozenset[str], *,
                 source: str, everything: bool, builders: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The panel's inputs: `p.<property>`, `o.<index>.<part>` and the condition builders
    (`vw-…`, `rw-…`). From htmx only what changed is applied: the input `_changed` (or the
    `source` element) names, or the builder it belongs to, or an option button (`_op`:
    add-option, remove-option:I, move-option:I:J). A plain post (`everything`) applies every
    input that differs from the draft, then the button pressed."""
    posted = dict(pairs)
    changed = posted.get("_changed") or (source if source.startswith((PROPERTY_PREFIX, OPTION_PREFIX)) else "")
    builder = rules_view.builder_of(source, posted.get("_op", ""))
    if changed:
        chosen = [(changed, posted.get(changed, ""))]
    elif everything:
        chosen = [(k, v) for k, v in pairs if k.startswith((PROPERTY_PREFIX, OPTION_PREFIX))]
    else:
        chosen = []
    for name, text in chosen:
        if name.startswith(PROPERTY_PREFIX):
            prop = name[len(PROPERTY_PREFIX):]
            if not changed and _unchanged(doc, target, prop, text):
                continue
            before, doc = doc, fe.set_property(doc, target, prop, text, published_keys=published)
            if prop.startswith("label."):
                doc, target = fe.follow_label(before, doc, target, published)
            elif prop == "key":
                table, _, column = target.partition(".")
                target = f"{table}.{text.strip()}" if column else text.strip()
        elif name.startswith(OPTION_PREFIX):
            index, _, part = name[len(OPTION_PREFIX):].partition(".")
            doc = fe.set_option(doc, target, whole_number(index, name) or 0, part, text)
    applied = list(rules_view.BUILDERS) if everything and not changed else ([builder] if builder else [])
    rules_view.keep_unfinished([p for p in rules_view.BUILDERS if p not in applied], pairs, doc, builders)
    for prop in applied:
        doc = rules_view.apply_builder(doc, target, prop, pairs, builders)
    op, *args = posted.get("_op", "").split(":")
    numbers = [whole_number(a, "_op") or 0 for a in args] if op.endswith("-option") else []
    if op == "add-option":
        doc = fe.add_option(doc, target)
    elif op == "remove-option" and numbers:
        doc = fe.remove_option(doc, target, numbers[0])
    elif op == "move-option" and len(numbers) == 2:
        doc = fe.move_option(doc, target, numbers[0], numbers[1])
    return doc, target


def _unchanged(doc: dict[str, Any], target: str, prop: str, text: str) -> bool:
    try:
        return fe.set_property(doc, target, prop, text) == doc
    except DefinitionError:
        return False


async def edit_field(request: Request) -> Response:
    """The property panel of one field: properties and options."""
    target = request.path_params["target"]
    source = request.headers.get("HX-Source", "").partition("#")[2]
    builders: dict[str, Any] = {}
    return await _apply(request, lambda draft, pairs: _field_edits(
        draft.form, target, pairs, draft.published_keys, source=source, everything=not is_htmx(request),
        builders=builders), builders)


async def edit_form(request: Request) -> Response:
    """The form's own properties: title, description (`f.<property>`) and the cross-field
    checks editor (`vc-…`), applied like a field's panel."""
    source = request.headers.get("HX-Source", "").partition("#")[2]
    builders: dict[str, Any] = {}

    def edit(draft: Any, pairs: Pairs) -> tuple[dict[str, Any], str]:
        doc, posted = draft.form, dict(pairs)
        checks = source.startswith(rules_view.VALIDATIONS + "-") or posted.get("_op", "").startswith(rules_view.VALIDATIONS)
        changed = posted.get("_changed")
        if not checks:
            for name, text in ([(changed, posted.get(changed, ""))] if changed else pairs):
                if name.startswith("f."):
                    doc = fe.set_form_property(doc, name[2:], text)
        posted_checks = any(k.startswith(rules_view.VALIDATIONS + "-") for k, _ in pairs)
        if checks or (not is_htmx(request) and posted_checks):
            doc = rules_view.apply_validations(doc, pairs, builders)
        elif posted_checks:
            rules_view.keep_unfinished_checks(doc, pairs, builders)
        return doc, ""
    return await _apply(request, edit, builders)


async def _step(request: Request, name: str) -> Response:
    user = await designer_user(request, write=True)
    key = request.path_params["key"]
    pairs = await _pairs(request)
    target = dict(pairs).get("selected", "")
    draft = await run_in_threadpool(getattr(authoring_of(request), name), user, key)
    if not is_htmx(request):
        return redirect(request, page_url(key, target))
    return render(request, "designer/form.html",
                  workspace(request, user, key, draft, target, samples=view.sample_pairs(pairs)),
                  block="workspace", headers={"HX-Trigger": view.DRAFT_CHANGED})


async def undo(request: Request) -> Response:
    return await _step(request, "undo")


async def redo(request: Request) -> Response:
    return await _step(request, "redo")


async def preview(request: Request) -> Response:
    """The preview again with the sample data typed (conditions, totals, messages)."""
    user = await designer_user(request, write=True)
    key = request.path_params["key"]
    draft = authoring_of(request).draft(user, key)
    state = view.preview_state(draft.form, key, view.sample_pairs(await _pairs(request)), check=True)
    context = {"key": key, "preview": state, "preview_keys": view.preview_keys(draft.form, state),
               "field_template": view.field_template}
    if not is_htmx(request):
        return redirect(request, page_url(key))
    return render(request, "designer/_preview.html", context, block="preview_body")


_ONE = "/designer/forms/{key}"
_FIELD = _ONE + "/fields/{target}"
routes = [
    Route("/designer/forms", forms_list),
    Route("/designer/forms/new", new_form, methods=["GET", "POST"]),
    Route(_ONE, form_page),
    Route(_ONE + "/fields", insert_field, methods=["POST"]),
    Route(_FIELD, edit_field, methods=["POST"]),
    Route(_FIELD + "/move", move_field, methods=["POST"]),
    Route(_FIELD + "/duplicate", duplicate_field, methods=["POST"]),
    Route(_FIELD + "/delete", delete_field, methods=["POST"]),
    Route(_FIELD + "/columns", insert_column, methods=["POST"]),
    Route(_ONE + "/properties", edit_form, methods=["POST"]),
    Route(_ONE + "/undo", undo, methods=["POST"]),
    Route(_ONE + "/redo", redo, methods=["POST"]),
    Route(_ONE + "/preview", preview, methods=["POST"]),
    Route(_ONE + "/publish", publish_panel),
    Route(_ONE + "/publish", publish, methods=["POST"]),
    Route(_ONE + "/discard", discard, methods=["POST"]),
]
