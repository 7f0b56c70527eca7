"""The form designer's pages: the list of forms, a new form, and the designer of one form.

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
from builder.form_diff import form_changes
from builder.forms import Form
from builder.text import localize
from runtime import i18n
from runtime.errors import Conflict, DefinitionError, Problem
from runtime.form_changes import change_words
from runtime.org import User
from runtime.web import form_designer_view as view
from runtime.web.rendering import is_htmx, redirect, render
from runtime.web.session import require_user

_ = i18n.gettext
Pairs = list[tuple[str, str]]
Edit = Callable[[Any, Pairs], tuple[dict[str, Any], str]]  # (draft, posted) → (new doc, field to select)


def _authoring(request: Request) -> Any:
    return request.app.state.form_authoring


async def _designer(request: Request, *, write: bool = False) -> User:
    user = await require_user(request, write=write)
    request.app.state.workflow.require_designer(user)
    return user


def _page(key: str, target: str = "") -> str:
    return f"/designer/forms/{key}" + (f"?field={target}" if target else "")


# ---------------------------------------------------------------- context


def _workspace(request: Request, user: User, key: str, draft: Any, target: str, *,
               placed: view.Placed | None = None, samples: Pairs | None = None,
               builders: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the workspace block renders: the draft's cards, the selected field's panel, the preview."""
    doc = draft.form
    placed = placed or view.Placed()
    usages = _authoring(request).usages(key)
    target = view.selected_target(doc, target)
    subjects = view.subjects(doc)
    return {
        "subjects": subjects, "conditions": view.panel_conditions(doc, target, subjects, builders or {}),
        "expression": view.expression_context(doc, target, placed),
        "checks": view.validations_context(doc, builders or {}) if not target else None,
        "key": key, "draft": draft, "doc": doc, "selected": target,
        "title": localize(doc.get("title"), i18n.current_locale.get()) or key,
        "cards": view.cards(doc, draft.published_keys, usages, placed, subjects),
        "panel": view.panel(doc, target, draft.published_keys, usages), "placed": placed,
        "preview": view.preview_state(doc, key, samples, check=bool(samples)),
        "field_template": view.field_template, "column_types": view.column_types(),
        "type_name": view.type_name, "palette": view.palette(), "label_in": view.label_in,
        "insert_after": request.query_params.get("insert", ""), "phrases": view.card_phrases(),
    }


def _page_context(request: Request, user: User, key: str, draft: Any, target: str, **extra: Any) -> dict[str, Any]:
    context = _workspace(request, user, key, draft, target, placed=extra.pop("placed", None),
                         samples=extra.pop("samples", None), builders=extra.pop("builders", None))
    context.update(_publish_context(request, user, key, draft))
    context.update({"phone": request.query_params.get("view") == "phone",
                    "published": request.query_params.get("published", "")})
    context.update(extra)
    return context


def _publish_context(request: Request, user: User, key: str, draft: Any,
                     state: dict[str, Any] | None = None) -> dict[str, Any]:
    authoring = _authoring(request)
    versions = authoring.versions(user, key) if draft.based_on else []  # a new form has none yet
    return {"key": key, "versions": list(reversed(versions)), "latest": draft.based_on,
            "changes": _pending_changes(request, key, draft),
            "publish": state or {"note": "", "error": "", "note_error": "", "refusals": []}}


def _pending_changes(request: Request, key: str, draft: Any) -> list[str]:
    """What publishing the draft would change against the latest version, in words."""
    if not draft.form.get("fields"):
        return []
    before = request.app.state.workflow.definition("form", key).to_dict() if draft.based_on else None
    return change_words(form_changes(before, Form.from_dict(draft.form).to_dict()))


# ---------------------------------------------------------------- list and new


async def forms_list(request: Request) -> Response:
    user = await _designer(request)
    return render(request, "designer/forms.html", {"forms": _authoring(request).summaries(user)})


def _new_title(zh: str, en: str) -> dict[str, str]:
    return {lang: text.strip() for lang, text in (("zh_CN", zh), ("en", en)) if text.strip()}


async def new_form(request: Request) -> Response:
    user = await _designer(request, write=request.method == "POST")
    source = await request.form() if request.method == "POST" else request.query_params
    zh, en = str(source.get("title_zh", "")), str(source.get("title_en", ""))
    title = _new_title(zh, en)
    key = str(source.get("key", "")).strip()
    suggested = fe.key_from_label(title, ()).replace("_", "-") if title else ""
    context: dict[str, Any] = {"title_zh": zh, "title_en": en, "key": key, "suggested": suggested,
                               "process": request.method == "GET" or bool(source.get("process")),
                               "errors": {}}
    if request.method == "GET":
        return render(request, "designer/form_new.html", context, block="key_field")
    if not title:
        context["errors"]["title"] = _("Give the form a title, in Chinese or English.")
    else:
        try:
            await run_in_threadpool(_authoring(request).create, user, key or suggested, title,
                                    process=context["process"])
        except DefinitionError as exc:
            context["errors"]["key"] = "; ".join(i18n.localized(p.message) for p in exc.problems)
        except Conflict as exc:
            context["errors"]["key"] = i18n.localized(exc.args[0]) if exc.args else str(exc)
        else:
            return redirect(request, _page(key or suggested))
    return render(request, "designer/form_new.html", context, status=422, block="new_form")


# ---------------------------------------------------------------- the designer


async def form_page(request: Request) -> Response:
    user = await _designer(request)
    key = request.path_params["key"]
    draft = _authoring(request).draft(user, key)
    target = request.query_params.get("field", "")
    if is_htmx(request):
        return render(request, "designer/form.html", _workspace(request, user, key, draft, target),
                      block="workspace")
    return render(request, "designer/form.html", _page_context(request, user, key, draft, target))


async def _pairs(request: Request) -> Pairs:
    return [(k, str(v)) for k, v in (await request.form()).multi_items()]


async def _apply(request: Request, edit: Edit, builders: dict[str, Any] | None = None) -> Response:
    """One edit: apply it to the draft and save; 422 with the problems placed and nothing saved.
    `builders` (property → ConditionForm) are the condition builders the edit read, shown as
    posted (their mode, their clauses' problems) instead of rebuilt from the draft."""
    builders = {} if builders is None else builders
    user = await _designer(request, write=True)
    key = request.path_params["key"]
    authoring = _authoring(request)
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
        view.place_on_builders(builders, exc.problems, attempt, request.path_params.get("target", ""))
        placed.attempt = {k: v for k, v in pairs if not k.startswith(view.SAMPLE_PREFIX)}
        placed.attempt_target = request.path_params.get("target", "")
        if not placed:
            placed.general.append(_("The change could not be saved."))
        if not is_htmx(request):
            return render(request, "designer/form.html",
                          _page_context(request, user, key, draft, placed.attempt_target or target,
                                        placed=placed, samples=samples, builders=builders), status=422)
        return render(request, "designer/form.html",
                      _workspace(request, user, key, draft, placed.attempt_target or target, placed=placed,
                                 samples=samples, builders=builders), block="workspace", status=422)
    if not is_htmx(request):
        return redirect(request, _page(key, target))
    return render(request, "designer/form.html",
                  _workspace(request, user, key, draft, target, samples=samples, builders=builders),
                  block="workspace", headers={"HX-Trigger": view.DRAFT_CHANGED})


def _int(text: str | None, where: str) -> int | None:
    if text in (None, ""):
        return None
    try:
        return int(text)
    except ValueError:
        raise DefinitionError([Problem(where, f'must be a whole number, got "{text}"')]) from None


async def insert_field(request: Request) -> Response:
    """A field of the posted `type` at `index`, or right after the field `after`."""
    def edit(draft: Any, pairs: Pairs) -> tuple[dict[str, Any], str]:
        posted = dict(pairs)
        index = _int(posted.get("index"), "index")
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
        to = _int(posted.get("to"), "to")
        if to is None:
            raise DefinitionError([Problem("to", "say where to move it")])
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
        return fe.insert_column(draft.form, table, posted.get("type", ""), _int(posted.get("index"), "index"))
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
    builder = view.builder_of(source, posted.get("_op", ""))
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
            doc = fe.set_property(doc, target, prop, text, published_keys=published)
            if prop == "key":
                table, _, column = target.partition(".")
                target = f"{table}.{text.strip()}" if column else text.strip()
        elif name.startswith(OPTION_PREFIX):
            index, _, part = name[len(OPTION_PREFIX):].partition(".")
            doc = fe.set_option(doc, target, _int(index, name) or 0, part, text)
    for prop in view.BUILDERS if everything and not changed else ([builder] if builder else []):
        doc = view.apply_builder(doc, target, prop, pairs, builders)
    op, *args = posted.get("_op", "").split(":")
    numbers = [_int(a, "_op") or 0 for a in args] if op.endswith("-option") else []
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
        checks = source.startswith(view.VALIDATIONS + "-") or posted.get("_op", "").startswith(view.VALIDATIONS)
        changed = posted.get("_changed")
        if not checks:
            for name, text in ([(changed, posted.get(changed, ""))] if changed else pairs):
                if name.startswith("f."):
                    doc = fe.set_form_property(doc, name[2:], text)
        if checks or (not is_htmx(request) and any(k.startswith(view.VALIDATIONS + "-") for k, _ in pairs)):
            doc = view.apply_validations(doc, pairs, builders)
        return doc, ""
    return await _apply(request, edit, builders)


async def _step(request: Request, name: str) -> Response:
    user = await _designer(request, write=True)
    key = request.path_params["key"]
    pairs = await _pairs(request)
    target = dict(pairs).get("selected", "")
    draft = await run_in_threadpool(getattr(_authoring(request), name), user, key)
    if not is_htmx(request):
        return redirect(request, _page(key, target))
    return render(request, "designer/form.html",
                  _workspace(request, user, key, draft, target, samples=view.sample_pairs(pairs)),
                  block="workspace", headers={"HX-Trigger": view.DRAFT_CHANGED})


async def undo(request: Request) -> Response:
    return await _step(request, "undo")


async def redo(request: Request) -> Response:
    return await _step(request, "redo")


async def preview(request: Request) -> Response:
    """The preview again with the sample data typed (conditions, totals, messages)."""
    user = await _designer(request, write=True)
    key = request.path_params["key"]
    draft = _authoring(request).draft(user, key)
    state = view.preview_state(draft.form, key, view.sample_pairs(await _pairs(request)), check=True)
    context = {"key": key, "preview": state, "field_template": view.field_template}
    if not is_htmx(request):
        return redirect(request, _page(key))
    return render(request, "designer/_preview.html", context, block="preview_body")


# ---------------------------------------------------------------- publish


async def publish_panel(request: Request) -> Response:
    user = await _designer(request)
    key = request.path_params["key"]
    draft = _authoring(request).draft(user, key)
    if not is_htmx(request):
        return redirect(request, _page(key) + "#publish")
    return render(request, "designer/form.html", _publish_context(request, user, key, draft), block="publish")


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
    user = await _designer(request, write=True)
    key = request.path_params["key"]
    authoring = _authoring(request)
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
    context = _publish_context(request, user, key, draft, state)
    if not is_htmx(request):
        return render(request, "designer/form.html",
                      _page_context(request, user, key, draft, "", **context), status=status)
    return render(request, "designer/form.html", context, block="publish", status=status)


async def discard(request: Request) -> Response:
    user = await _designer(request, write=True)
    key = request.path_params["key"]
    await run_in_threadpool(_authoring(request).discard, user, key)
    return redirect(request, _page(key))


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
