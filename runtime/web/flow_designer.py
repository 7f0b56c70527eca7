"""The flow designer of one process: its page and every edit of the tree and the step panel (the
list, new-process and publish routes are in `runtime.web.flow_designer_publish`, the what-if
panel's in `runtime.web.flow_whatif`; every route of them all is in `routes` here).

Every edit posts one operation (insert, move, copy, delete a step; add, move, delete a branch or
lane; a panel input; undo, redo), applied to the draft by `builder.flow_editing` and saved
through `FlowAuthoring.save(strict=False)`: an unfinished flow is saved and its problems shown.
htmx gets the workspace back (tree, problem list, panel) in one block, morphed in place so focus
stays where it was; a plain form post is redirected to the page. An edit the operation refuses
answers 422 with the problem shown where it was made and the draft as it was. Designers and
admins only (403 otherwise: FlowAuthoring checks the role on every call).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from builder import flow_editing as ed
from builder.flow_tree import find, step_ids
from builder.ladder_editing import is_structural
from rules.errors import DefinitionError, Problem
from runtime import i18n
from runtime.i18n import N_
from runtime.web.condition_builder import ConditionForm, apply_operation, build_condition, form_from_pairs, operation_for
from runtime.web.editor_values import whole_number
from runtime.web.flow_designer_context import (DRAFT_CHANGED, Refused, authoring_of, catalog, designer_user,
                                               page_context, page_url, workspace)
from runtime.web.flow_designer_panel import BUILDER_PREFIX
from runtime.web.flow_designer_publish import discard, flows_list, new_flow, publish, publish_panel
from runtime.web.flow_whatif import delete_scenario, run_scenario, save_scenario, simulate_sample
from runtime.web.rendering import is_htmx, redirect, render

Pairs = list[tuple[str, str]]
Edit = Callable[[dict[str, Any], Pairs], tuple[dict[str, Any], str]]  # (flow, posted) → (new flow, step to select)
TEMPLATE = "designer/flow.html"
STEP_PREFIX, BRANCH_PREFIX = "s.", "b."
UNFINISHED = N_("Finish or correct the marked condition.")


async def flow_page(request: Request) -> Response:
    user = await designer_user(request)
    key = request.path_params["key"]
    draft = authoring_of(request).draft(user, key)
    selected = request.query_params.get("step", "")
    if is_htmx(request):
        return render(request, TEMPLATE, workspace(request, user, key, draft, selected), block="workspace")
    return render(request, TEMPLATE, page_context(request, user, key, draft, selected))


async def _pairs(request: Request) -> Pairs:
    return [(k, str(v)) for k, v in (await request.form()).multi_items()]


async def _apply(request: Request, edit: Edit, builders: dict[int, ConditionForm] | None = None) -> Response:
    """One edit: apply it to the draft and save it; 422 with the problem in place and nothing saved.
    `builders` (branch index → ConditionForm) are the condition builders the edit read, shown as
    posted instead of rebuilt from the draft."""
    user = await designer_user(request, write=True)
    key = request.path_params["key"]
    authoring = authoring_of(request)
    draft = authoring.draft(user, key)
    pairs = await _pairs(request)
    posted = dict(pairs)
    selected = posted.get("selected") or request.path_params.get("step", "")  # the panel's step
    try:
        doc, selected = edit(draft.flow, pairs)
        if doc != draft.flow:
            draft = await run_in_threadpool(lambda: authoring.save(user, key, doc, strict=False))
    except DefinitionError as exc:
        changed = posted.get("_changed") or next((f"{BUILDER_PREFIX}{i}" for i in builders or {}), "")
        refused = Refused([i18n.localized(p.message) for p in exc.problems] or
                          [i18n.gettext(N_("The change could not be saved."))], changed, posted.get(changed, ""))
        if not is_htmx(request):
            return render(request, TEMPLATE, page_context(request, user, key, draft, selected, refused=refused,
                                                          builders=builders), status=422)
        return render(request, TEMPLATE, workspace(request, user, key, draft, selected, refused=refused,
                                                   builders=builders), block="workspace", status=422)
    if not is_htmx(request):
        return redirect(request, page_url(key, selected))
    return render(request, TEMPLATE, workspace(request, user, key, draft, selected, builders=builders),
                  block="workspace", headers={"HX-Trigger": DRAFT_CHANGED,  # the address names the step shown
                                              "HX-Replace-Url": page_url(key, selected)})


def _kept(doc: dict[str, Any], selected: str, fallback: str) -> str:
    """The selection after an edit: as it was while that step is still there, else `fallback`."""
    return selected if selected in step_ids(doc) else fallback


# ---------------------------------------------------------------- the tree


async def insert_step(request: Request) -> Response:
    """A step of the posted `kind` at `index` of `container`; the new step is selected."""
    def edit(doc: dict[str, Any], pairs: Pairs) -> tuple[dict[str, Any], str]:
        posted = dict(pairs)
        return ed.insert_step(doc, posted.get("container", ""), whole_number(posted.get("index"), "index"), posted.get("kind", ""))
    return await _apply(request, edit)


async def move_step(request: Request) -> Response:
    """One place `direction` up or down (the buttons), or to `index` of `container` (a drop, or
    the panel's "move to…"; no index: to its end)."""
    step = request.path_params["step"]

    def edit(doc: dict[str, Any], pairs: Pairs) -> tuple[dict[str, Any], str]:
        posted = dict(pairs)
        if posted.get("direction") in ("up", "down"):
            moved, _ = ed.move_by(doc, step, -1 if posted["direction"] == "up" else 1)
        else:
            moved, _ = ed.move_step(doc, step, posted.get("container", ""), _index(posted))
        return moved, posted.get("selected", "")
    return await _apply(request, edit)


def _index(posted: dict[str, str]) -> int:
    index = whole_number(posted.get("index"), "index")
    return 10**6 if index is None else index


async def copy_step(request: Request) -> Response:
    return await _apply(request, lambda doc, _: ed.copy_step(doc, request.path_params["step"]))


async def delete_step(request: Request) -> Response:
    """The step goes (with what it holds); the selection stays unless it went too."""
    step = request.path_params["step"]

    def edit(doc: dict[str, Any], pairs: Pairs) -> tuple[dict[str, Any], str]:
        gone, near = ed.delete_step(doc, step)
        return gone, _kept(gone, dict(pairs).get("selected", ""), near)
    return await _apply(request, edit)


async def add_branch(request: Request) -> Response:
    """Another branch of a branch step (before otherwise), or another lane of a parallel step."""
    step = request.path_params["step"]

    def edit(doc: dict[str, Any], pairs: Pairs) -> tuple[dict[str, Any], str]:
        _, found = find(doc, step)
        added, _ = (ed.add_lane if found.get("kind") == "parallel" else ed.add_branch)(doc, step)
        return added, dict(pairs).get("selected", "")
    return await _apply(request, edit)


async def move_branch(request: Request) -> Response:
    """Branch `index` one priority `direction` left (higher) or right (lower)."""
    step = request.path_params["step"]

    def edit(doc: dict[str, Any], pairs: Pairs) -> tuple[dict[str, Any], str]:
        posted = dict(pairs)
        offset = -1 if posted.get("direction") == "left" else 1
        moved, _ = ed.move_branch(doc, step, request.path_params["index"], offset)
        return moved, posted.get("selected", "")
    return await _apply(request, edit)


async def delete_branch(request: Request) -> Response:
    step = request.path_params["step"]

    def edit(doc: dict[str, Any], pairs: Pairs) -> tuple[dict[str, Any], str]:
        _, found = find(doc, step)
        gone, _ = (ed.delete_lane if found.get("kind") == "parallel" else ed.delete_branch)(
            doc, step, request.path_params["index"])
        return gone, _kept(gone, dict(pairs).get("selected", ""), step)
    return await _apply(request, edit)


# ---------------------------------------------------------------- the panel


_BUILDER = re.compile(rf"{BUILDER_PREFIX}(\d+)[-:]")


def _builder_of(source: str, op: str) -> int | None:
    """Which branch's condition builder a post came from: the control's id (HX-Source) or the
    operation (`w1:add-clause:0`) starts with its prefix."""
    for text in (op, source):
        if match := _BUILDER.match(text):
            return int(match[1])
    return None


def _step_edits(doc: dict[str, Any], step: str, pairs: Pairs, *, source: str, everything: bool,
                builders: dict[int, ConditionForm], subjects: list[Any]) -> tuple[dict[str, Any], str]:
    """The panel's inputs: `s.<property>` (set_step), `b.<i>.<property>` (set_branch) and the
    branches' condition builders (`w<i>-…`). From htmx only what changed is applied (the input
    `_changed` names, or the builder the control belongs to); a plain post applies every input."""
    posted = dict(pairs)
    changed = posted.get("_changed", "")
    if changed:
        chosen = [(changed, posted.get(changed, ""))]
    elif everything:  # a rung added, removed or moved last: the other inputs name rungs as drawn
        chosen = sorted(((k, v) for k, v in pairs if k.startswith((STEP_PREFIX, BRANCH_PREFIX))),
                        key=lambda kv: is_structural(kv[0][len(STEP_PREFIX):]))
    else:
        chosen = []
    for name, value in chosen:
        if name.startswith(STEP_PREFIX):
            prop = name[len(STEP_PREFIX):]
            if everything and not changed and not _applies(doc, step, prop, value):
                continue
            doc, _ = ed.set_step(doc, step, {prop: value})
        elif name.startswith(BRANCH_PREFIX):
            index, _, prop = name[len(BRANCH_PREFIX):].partition(".")
            doc, _ = ed.set_branch(doc, step, whole_number(index, name) or 0, {prop: value})
    posted_builders = sorted({int(m[1]) for k, _ in pairs if (m := _BUILDER.match(k))})
    wanted = [_builder_of(source, posted.get("_op", ""))] if not everything else posted_builders
    for index in posted_builders:
        if index not in wanted:
            _keep_unfinished(index, pairs, builders, subjects)
    for index in (i for i in wanted if i is not None):
        doc = _apply_builder(doc, step, index, pairs, builders, subjects)
    return doc, step


def _keep_unfinished(index: int, pairs: Pairs, builders: dict[int, ConditionForm], subjects: list[Any]) -> None:
    """A builder this edit does not apply, shown again as typed while it is unfinished (a clause
    added and not chosen yet, a value refused): the draft does not hold it, the page must not
    lose it when another input of the panel saves."""
    cf = form_from_pairs(pairs, f"{BUILDER_PREFIX}{index}", subjects)
    build_condition(cf, subjects)  # each clause's problem, in place
    if cf.has_problems or cf.has_pending:
        builders[index] = cf


def _applies(doc: dict[str, Any], step: str, prop: str, value: str) -> bool:
    """In a plain post, whether an input changes the step (and is one its assignee kind uses)."""
    try:
        return ed.set_step(doc, step, {prop: value})[0] != doc
    except DefinitionError:
        return prop.partition(".")[0] != "assignee"  # a detail of the kind it had: passed over


def _apply_builder(doc: dict[str, Any], step: str, index: int, pairs: Pairs,
                   builders: dict[int, ConditionForm], subjects: list[Any]) -> dict[str, Any]:
    """Branch `index`'s condition as its builder posted it; clause problems refuse the edit."""
    prefix = f"{BUILDER_PREFIX}{index}"
    if operation_for(pairs, prefix) is None and not any(k.startswith(prefix + "-") for k, _ in pairs):
        return doc
    cf = form_from_pairs(pairs, prefix, subjects)
    op = operation_for(pairs, prefix)
    if op:
        apply_operation(cf, op, subjects)
    builders[index] = cf
    cond = build_condition(cf, subjects)
    if cf.has_problems:
        place, _ = find(doc, step)
        raise DefinitionError([Problem(f"{place.path}.branches[{index}].when", i18n.gettext(UNFINISHED))])
    return ed.set_branch(doc, step, index, {"when": cond})[0]


async def edit_step(request: Request) -> Response:
    """The step panel: every input posts on its own as it changes."""
    step = request.path_params["step"]
    source = request.headers.get("HX-Source", "").partition("#")[2]
    builders: dict[int, ConditionForm] = {}

    def edit(doc: dict[str, Any], pairs: Pairs) -> tuple[dict[str, Any], str]:
        subjects = catalog(request, doc).subjects
        return _step_edits(doc, step, pairs, source=source, everything=not is_htmx(request),
                           builders=builders, subjects=subjects)
    return await _apply(request, edit, builders)


async def _undo_redo(request: Request, name: str) -> Response:
    user = await designer_user(request, write=True)
    key = request.path_params["key"]
    selected = dict(await _pairs(request)).get("selected", "")
    draft = await run_in_threadpool(getattr(authoring_of(request), name), user, key)
    if not is_htmx(request):
        return redirect(request, page_url(key, selected))
    return render(request, TEMPLATE, workspace(request, user, key, draft, selected), block="workspace",
                  headers={"HX-Trigger": DRAFT_CHANGED})


async def undo(request: Request) -> Response:
    return await _undo_redo(request, "undo")


async def redo(request: Request) -> Response:
    return await _undo_redo(request, "redo")


_ONE = "/designer/flows/{key}"
_STEP = _ONE + "/steps/{step}"
_BRANCH = _STEP + "/branches/{index:int}"
routes = [
    Route("/designer/flows", flows_list),
    Route("/designer/flows/new", new_flow, methods=["GET", "POST"]),
    Route(_ONE, flow_page),
    Route(_ONE + "/steps", insert_step, methods=["POST"]),
    Route(_STEP, edit_step, methods=["POST"]),
    Route(_STEP + "/move", move_step, methods=["POST"]),
    Route(_STEP + "/copy", copy_step, methods=["POST"]),
    Route(_STEP + "/delete", delete_step, methods=["POST"]),
    Route(_STEP + "/branches", add_branch, methods=["POST"]),
    Route(_BRANCH + "/move", move_branch, methods=["POST"]),
    Route(_BRANCH + "/delete", delete_branch, methods=["POST"]),
    Route(_ONE + "/undo", undo, methods=["POST"]),
    Route(_ONE + "/redo", redo, methods=["POST"]),
    Route(_ONE + "/publish", publish_panel),
    Route(_ONE + "/publish", publish, methods=["POST"]),
    Route(_ONE + "/discard", discard, methods=["POST"]),
    Route(_ONE + "/simulate", simulate_sample, methods=["POST"]),
    Route(_ONE + "/scenarios", save_scenario, methods=["POST"]),
    Route(_ONE + "/scenarios/{index:int}/run", run_scenario, methods=["POST"]),
    Route(_ONE + "/scenarios/{index:int}/delete", delete_scenario, methods=["POST"]),
]
