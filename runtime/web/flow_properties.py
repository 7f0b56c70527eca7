"""The process properties page (000 §6.1): what the policy says about the process itself — its
name, purpose, scope, category, level and parent, owner, performers and collaborators, input and
output forms, start and end, metrics, cost bearing, effective date — the form it runs on, chosen
from the published forms, and how every step treats the special cases (a step may settle one its
own way in the flow designer's panel).

The page edits the flow's draft like the designer does: a property that is wrong is refused in
place (422, nothing saved); what the rest of the flow still lacks does not stop it being saved.
"""
from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from builder.deadlines import TIME_UNITS
from builder.policies import POLICY_CHOICES
from builder.validation.process import PROCESS_CATEGORIES, PROCESS_LEVELS, VALUE_CHAIN
from runtime import i18n, policy_words
from runtime.errors import DefinitionError, Problem
from runtime.flow_authoring import FlowAuthoring
from runtime.web.form_designer_context import designer_user
from runtime.web.rendering import render
from runtime.i18n import N_

PAGE = "designer/flow_properties.html"
LABELS = ("purpose", "scope", "start", "end", "metrics", "cost_bearing")  # texts in both languages
CHOICES = ("category", "value_chain", "level", "parent", "owner")  # one of a list ("" for none)
LISTS = ("performers", "collaborators", "input_forms", "output_forms")  # several of a list
LANGUAGES = ("zh_CN", "en")
OWN_PATHS = ("title", "form", "meta", "policies")  # problems this page answers for
POLICY_PREFIX = "policy_"  # policy_no_assignee, …
FORM_INPUT = "flow_form"  # not "form": an input named so hides the form element's own `form` from htmx


def _authoring(request: Request) -> FlowAuthoring:
    return request.app.state.flow_authoring


def properties_from(flow: dict[str, Any], posted: FormData) -> dict[str, Any]:
    """The flow document with the posted properties in place of its own (pure; the rest kept)."""
    meta = {k: v for k, v in flow.get("meta", {}).items()
            if k not in (*LABELS, *CHOICES, *LISTS, "time_limit", "target_pass_rate", "effective_date")}
    for name in LABELS:
        text = _label(posted, name)
        if text:
            meta[name] = text
    for name in CHOICES:
        if chosen := str(posted.get(name, "")).strip():
            meta[name] = chosen
    for name in LISTS:
        if chosen := [str(v) for v in posted.getlist(name) if str(v).strip()]:
            meta[name] = list(dict.fromkeys(chosen))
    amount = str(posted.get("time_limit_amount", "")).strip()
    if amount:
        meta["time_limit"] = {"amount": int(amount) if amount.isdigit() else amount,
                              "unit": str(posted.get("time_limit_unit", "days"))}
    rate = str(posted.get("target_pass_rate", "")).strip()
    if rate:
        meta["target_pass_rate"] = int(rate) if rate.isdigit() else rate
    if effective := str(posted.get("effective_date", "")).strip():
        meta["effective_date"] = effective
    title = _label(posted, "title") or flow.get("title", "")
    out = {**flow, "title": title, "form": str(posted.get(FORM_INPUT, flow.get("form", ""))), "meta": meta}
    if any(k.startswith(POLICY_PREFIX) for k in posted):
        out.pop("policies", None)
        chosen = {name: str(posted.get(POLICY_PREFIX + name, "")).strip() for name in POLICY_CHOICES}
        if own := {name: value for name, value in chosen.items() if value and value != POLICY_CHOICES[name][0]}:
            out["policies"] = own  # the defaults are not written
    return out


def _label(posted: FormData, name: str) -> dict[str, str]:
    return {lang: text for lang in LANGUAGES if (text := str(posted.get(f"{name}_{lang}", "")).strip())}


def _context(request: Request, key: str, flow: dict[str, Any], errors: dict[str, str],
             saved: bool = False) -> dict[str, Any]:
    workflow = request.app.state.workflow
    forms = [(d["key"], d.get("title", d["key"])) for d in workflow.repo.list_definitions("form")]
    processes = [(f.key, f.title) for f in workflow.processes() if f.key != key]
    roles = list(workflow.org.roles.items())
    meta = flow.get("meta", {})
    known_roles = {k for k, _ in roles}
    extra = {name: [v for v in meta.get(name, []) if v not in known_roles] for name in ("performers", "collaborators")}
    return {"key": key, "flow": flow, "meta": meta, "errors": errors, "saved": saved, "forms": forms,
            "processes": processes, "roles": roles, "extra_roles": extra, "units": TIME_UNITS,
            "categories": PROCESS_CATEGORIES, "levels": PROCESS_LEVELS, "value_chain": VALUE_CHAIN,
            "languages": LANGUAGES, "policies": _policies(flow)}


def _policies(flow: dict[str, Any]) -> list[dict[str, Any]]:
    """Each special case with its question, hint, choices (value, words) and the flow's choice."""
    own = flow.get("policies") if isinstance(flow.get("policies"), dict) else {}
    return [{"key": name, "question": i18n.gettext(policy_words.POLICY_QUESTIONS[name]),
             "hint": i18n.gettext(policy_words.POLICY_HINTS[name]),
             "choices": [(c, policy_words.choice_name(name, c)) for c in POLICY_CHOICES[name]],
             "chosen": str(own.get(name, POLICY_CHOICES[name][0]))}
            for name in policy_words.POLICY_QUESTIONS]


async def properties_page(request: Request) -> Response:
    user = await designer_user(request)
    key = request.path_params["key"]
    draft = _authoring(request).draft(user, key)
    return render(request, PAGE, _context(request, key, draft.flow, {}))


async def save_properties(request: Request) -> Response:
    """Save the posted properties into the draft, or show what is wrong with them where it is."""
    user = await designer_user(request, write=True)
    key = request.path_params["key"]
    authoring = _authoring(request)
    draft = authoring.draft(user, key)
    attempt = properties_from(draft.flow, await request.form())
    problems = [p for p in await run_in_threadpool(authoring.check, user, key, attempt) if _ours(p)]
    if not problems:
        try:
            await run_in_threadpool(authoring.save, user, key, attempt, strict=False)
        except DefinitionError as exc:
            problems = exc.problems or [Problem("", N_("not saved"))]
    if problems:
        errors = {p.path: i18n.localized(p.message) for p in problems}
        return render(request, PAGE, _context(request, key, attempt, errors), block="properties", status=422)
    return render(request, PAGE, _context(request, key, attempt, {}, saved=True), block="properties")


def _ours(problem: Problem) -> bool:
    return problem.path.split(".")[0].split("[")[0] in OWN_PATHS


routes = [
    Route("/designer/flows/{key}/properties", properties_page),
    Route("/designer/flows/{key}/properties", save_properties, methods=["POST"]),
]
