"""The flow designer's "What if…" routes: simulate the draft with a submitter and sample data,
save that as a scenario of the draft, run a saved scenario again, delete one.

A simulation saves nothing: it runs the engine's own step logic on a scratch state
(`runtime.simulation`) and the workspace comes back with the path drawn on the tree. Bad sample
data answers 422 with the errors at the inputs, as the start page shows them; so does a draft
that still has problems, with a message in the panel. Scenarios are saved into the draft
(`FlowAuthoring.save(strict=False)`, so undo takes one back) and re-run on every publish.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from builder.permissions import not_asked_at_start
from runtime import i18n
from runtime.choices import choices_from_pairs
from runtime.errors import Conflict, DefinitionError, NotFound, ValidationFailed
from runtime.i18n import N_
from runtime.org import User
from runtime.simulation import simulate
from runtime.web import flow_whatif_view as view
from runtime.web.flow_designer_context import (DRAFT_CHANGED, authoring_of, designer_user, page_context, page_url,
                                               workspace)
from runtime.web.form_designer_view import sample_pairs
from runtime.web.forms_view import submission
from runtime.web.rendering import is_htmx, redirect, render

TEMPLATE = "designer/flow.html"
FIX_FIRST = N_("Fix the problems listed at the top first: a draft with problems cannot be simulated.")
NAME_NEEDED = N_("Give the scenario a name.")
Pairs = list[tuple[str, str]]


async def _pairs(request: Request) -> Pairs:
    return [(k, str(v)) for k, v in (await request.form()).multi_items()]


def _run(request: Request, user: User, key: str, submitter: str, pairs: Pairs | None = None,
         data: dict[str, Any] | None = None, chosen: dict[str, list[str]] | None = None, **asked: str) -> view.Sample:
    """Simulate the draft with what the panel posted (`pairs`) or a scenario saved (`data`, `chosen`)."""
    authoring, workflow = authoring_of(request), request.app.state.workflow
    if pairs is not None:
        chosen = choices_from_pairs(pairs)
    base: dict[str, Any] = {"submitter": submitter, "pairs": pairs, "data": data, "chosen": chosen, **asked}
    try:
        defs = authoring.definitions(user, key)
    except DefinitionError:
        return view.Sample(**base, message=i18n.gettext(FIX_FIRST))
    if pairs is not None:
        data = submission(defs.form, sample_pairs(pairs), not_asked_at_start(defs.flow, defs.form))
    try:
        result = simulate(workflow, defs, submitter, data or {}, chosen)
    except ValidationFailed as failed:
        return view.Sample(**base, errors=failed.errors)
    except Conflict as exc:  # a flow that would never end
        return view.Sample(**base, message=i18n.localized(exc.args[0]) if exc.args else str(exc))
    return view.Sample(**{**base, "data": data}, result=result, defs=defs)


def _answer(request: Request, user: User, key: str, sample: view.Sample, selected: str, *,
            changed: bool = False) -> Response:
    """The workspace with the panel's outcome (the page, for a plain post); 422 when refused."""
    status = 422 if sample.errors or sample.message or sample.name_error else 200
    draft = authoring_of(request).draft(user, key)
    if not is_htmx(request):
        return render(request, TEMPLATE, page_context(request, user, key, draft, selected, sample=sample),
                      status=status)
    return render(request, TEMPLATE, workspace(request, user, key, draft, selected, sample=sample),
                  block="workspace", status=status, headers={"HX-Trigger": DRAFT_CHANGED} if changed else None)


async def simulate_sample(request: Request) -> Response:
    """Simulate what the panel holds; a table's add/remove row (`_op`) only redraws the panel."""
    user = await designer_user(request, write=True)
    key, pairs = request.path_params["key"], await _pairs(request)
    posted = dict(pairs)
    submitter, name = posted.get("submitter", ""), posted.get("scenario_name", "")
    if posted.get("_op"):
        sample = view.Sample(submitter=submitter, pairs=pairs, name=name)
    else:
        sample = await run_in_threadpool(lambda: _run(request, user, key, submitter, pairs, name=name))
    return _answer(request, user, key, sample, posted.get("selected", ""))


async def save_scenario(request: Request) -> Response:
    """Simulate what the panel holds and keep it as a scenario of the draft: who files, the data
    and the route taken. A scenario of the same name is replaced (that is how one is updated)."""
    user = await designer_user(request, write=True)
    key, pairs = request.path_params["key"], await _pairs(request)
    posted = dict(pairs)
    name = posted.get("scenario_name", "").strip()
    sample = await run_in_threadpool(lambda: _run(request, user, key, posted.get("submitter", ""), pairs, name=name))
    if not name:
        sample = replace(sample, name_error=i18n.gettext(NAME_NEEDED))
    if sample.result is None or sample.name_error:
        return _answer(request, user, key, sample, posted.get("selected", ""))
    authoring = authoring_of(request)
    doc = authoring.draft(user, key).flow
    entry = {"name": name, "submitter": sample.submitter, "data": sample.data, "route": list(sample.result.route()),
             **({"chosen": sample.chosen} if sample.chosen else {})}
    scenarios = list(doc.get("scenarios") or [])
    at = next((i for i, s in enumerate(scenarios) if isinstance(s, dict) and s.get("name") == name), len(scenarios))
    scenarios[at:at + 1] = [entry]
    await run_in_threadpool(lambda: authoring.save(user, key, {**doc, "scenarios": scenarios}, strict=False))
    if not is_htmx(request):
        return redirect(request, page_url(key) + "#scenarios")
    saved = replace(sample, name="", saved=name)
    return _answer(request, user, key, saved, posted.get("selected", ""), changed=True)


def _scenario(request: Request, user: User, key: str) -> tuple[dict[str, Any], int]:
    doc = authoring_of(request).draft(user, key).flow
    index = request.path_params["index"]
    if not 0 <= index < len(doc.get("scenarios") or []):
        raise NotFound(N_("no scenario %(n)s in this process", n=index + 1))
    return doc, index


async def run_scenario(request: Request) -> Response:
    """A saved scenario again: the panel filled with it, and the path it takes on the draft now."""
    user = await designer_user(request, write=True)
    key = request.path_params["key"]
    doc, index = _scenario(request, user, key)
    saved = doc["scenarios"][index]
    sample = await run_in_threadpool(lambda: _run(request, user, key, str(saved.get("submitter", "")),
                                                  data=dict(saved.get("data") or {}), chosen=dict(saved.get("chosen") or {}),
                                                  name=str(saved.get("name", ""))))
    return _answer(request, user, key, sample, dict(await _pairs(request)).get("selected", ""))


async def delete_scenario(request: Request) -> Response:
    user = await designer_user(request, write=True)
    key = request.path_params["key"]
    doc, index = _scenario(request, user, key)
    kept = [s for i, s in enumerate(doc["scenarios"]) if i != index]
    await run_in_threadpool(lambda: authoring_of(request).save(user, key, {**doc, "scenarios": kept}, strict=False))
    if not is_htmx(request):
        return redirect(request, page_url(key) + "#scenarios")
    return _answer(request, user, key, view.Sample(), dict(await _pairs(request)).get("selected", ""), changed=True)
