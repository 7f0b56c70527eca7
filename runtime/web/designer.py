"""The rule designer: a decision-table editor over a ruleset draft, with what-if, tests and publishing.

Each edit posts the whole table as a plain form (rows in order, each condition as a list of
field/operator/value clauses or as JSON, output values, notes, the default and the hit policy).
The server rebuilds the ruleset document from it, saves it as the draft through
`RulesetAuthoring.save` and renders the table again. An invalid edit answers 422 with the table as
posted and every problem on the row it concerns; the draft stays as it was. The form also posts
without JavaScript (the clicked button names the operation), so the designer degrades to a
page-per-edit editor rather than a blank one.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from collections import defaultdict
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from builder import json_text
from builder.text import localize
from rules.messages import reason
from runtime import i18n
from runtime.errors import Conflict, DefinitionError, RuleError
from runtime.org import User
from runtime.rulesets import Draft, RulesetAuthoring
from runtime.service import Workflow
from runtime.web.decision_table import (
    Columns,
    DRAFT_CHANGED,
    HIT_POLICY_NAMES,
    RowForm,
    TableForm,
    TestEditor,
    WhatIf,
    TEST_PATH_RE,
    outcome_from_values,
    apply_operation,
    clauses_of,
    columns_for,
    condition_text,
    data_from_form,
    data_text,
    editor_for,
    outcome_text,
    place_findings,
    place_problems,
    raw_value,
    ruleset_from_table,
    table_from_form,
    table_from_ruleset,
    version_changes,
)
from runtime.web.rendering import is_htmx, redirect, render
from runtime.web.session import require_user

_ = i18n.gettext


def _history(workflow: Workflow, authoring: RulesetAuthoring, user: User, key: str,
             columns: Columns) -> list[dict[str, Any]]:
    """The versions, newest first, each with what it changed against the one before."""
    history = authoring.history(user, key)
    previous: dict[str, Any] | None = None
    for entry in history:
        doc = workflow.definition("ruleset", key, entry["version"]).to_dict()
        entry["changes"] = version_changes(previous, doc, columns) if previous is not None else []
        previous = doc
    return list(reversed(history))


# ---------------------------------------------------------------- views


def _authoring(request: Request) -> RulesetAuthoring:
    return request.app.state.authoring


def _workflow(request: Request) -> Workflow:
    return request.app.state.workflow


def _form_dict(pairs: list[tuple[str, Any]]) -> dict[str, list[str]]:
    form: dict[str, list[str]] = defaultdict(list)
    for name, value in pairs:
        form[name].append(str(value))
    return dict(form)


def _latest_version(authoring: RulesetAuthoring, user: User, key: str) -> int:
    return max((v["version"] for v in authoring.history(user, key)), default=0)


def _table_context(authoring: RulesetAuthoring, user: User, key: str, draft: Draft, columns: Columns,
                   table: TableForm | None = None) -> dict[str, Any]:
    if table is None:
        table = table_from_ruleset(draft.ruleset, columns)
    if not table.has_problems:
        place_findings(table, authoring.lint(user, key))
    return {"key": key, "draft": draft, "columns": columns, "table": table, "saved": False,
            "hit_policies": HIT_POLICY_NAMES, "summary": lambda row: _json_summary(row, columns),
            "clause_able": lambda row: _clause_able(row, columns), "compact": _compact}


def _parsed_json(row: RowForm) -> Any:
    try:
        return json_text.loads(row.json)
    except ValueError:
        return None


def _compact(row: RowForm) -> str:
    cond = _parsed_json(row)
    return row.json if cond is None else json.dumps(cond, ensure_ascii=False)


def _json_summary(row: RowForm, columns: Columns) -> str:
    cond = _parsed_json(row)
    return condition_text(cond, columns) if cond is not None else ""


def _clause_able(row: RowForm, columns: Columns) -> bool:
    cond = _parsed_json(row)
    return cond is not None and clauses_of(cond, columns) is not None


def _tests_context(authoring: RulesetAuthoring, user: User, key: str, columns: Columns,
                   editor: TestEditor | None = None) -> dict[str, Any]:
    results = authoring.test_results(user, key)
    return {"key": key, "columns": columns, "results": results, "editor": editor or TestEditor(),
            "changed_event": DRAFT_CHANGED,
            "failing": sum(1 for r in results if not r.passed),
            "data_text": lambda d: data_text(d, columns), "outcome_text": lambda o: outcome_text(o, columns)}


def _evaluate(authoring: RulesetAuthoring, user: User, key: str, data: dict[str, Any]) -> WhatIf:
    whatif = WhatIf(data)
    try:
        whatif.decision = authoring.evaluate(user, key, data)
    except RuleError as exc:
        whatif.error = i18n.localized(reason(exc))
        return whatif
    whatif.published_version = _latest_version(authoring, user, key)
    try:
        whatif.published = authoring.evaluate(user, key, data, whatif.published_version)
    except RuleError:
        whatif.published = None  # e.g. a value the published inputs do not accept: no comparison
    return whatif


def _whatif_context(draft: Draft, columns: Columns, whatif: WhatIf | None) -> dict[str, Any]:
    rows = draft.ruleset.get("rows", [])
    values = {k: raw_value(v) for k, v in whatif.data.items()} if whatif else {}
    return {"whatif": whatif, "whatif_values": values, "columns": columns, "rows": rows,
            "changed_event": DRAFT_CHANGED, "key": draft.ruleset["key"],
            "condition_text": lambda c: condition_text(c, columns),
            "outcome_text": lambda o: outcome_text(o, columns)}


def _page_context(request: Request, user: User, key: str, **overrides: Any) -> dict[str, Any]:
    authoring = _authoring(request)
    draft = overrides.pop("draft", None) or authoring.draft(user, key)
    columns = columns_for(_workflow(request), draft.ruleset)
    context = _table_context(authoring, user, key, draft, columns, overrides.pop("table", None))
    context.update(_tests_context(authoring, user, key, columns, overrides.pop("editor", None)))
    context.update(_whatif_context(draft, columns, overrides.pop("whatif", None)))
    history = _history(_workflow(request), authoring, user, key, columns)
    org = _workflow(request).org
    context.update({
        "title": localize(draft.ruleset.get("title"), i18n.current_locale.get()) or key,
        "history": history, "latest": max((v["version"] for v in history), default=0),
        "names": {u: localize(org.users[u].name, i18n.current_locale.get()) for u in org.users},
        "published": request.query_params.get("published", ""),
        "publish": {"note": "", "error": "", "note_error": "", "failures": [], "problems": []},
    })
    context.update(overrides)
    return context


async def ruleset_list(request: Request) -> Response:
    user = await require_user(request)
    workflow = _workflow(request)
    summaries = _authoring(request).summaries(user)
    used_by = {s["key"]: [f for f in workflow.processes() if s["key"] in f.rulesets] for s in summaries}
    return render(request, "designer/rules.html", {"rulesets": summaries, "used_by": used_by})


async def ruleset_page(request: Request) -> Response:
    user = await require_user(request)
    return render(request, "designer/ruleset.html", _page_context(request, user, request.path_params["key"]))


@dataclass(frozen=True)
class _Editing:
    """What every designer route starts from: who, which ruleset, its draft and its columns."""

    user: User
    key: str
    authoring: RulesetAuthoring
    draft: Draft
    columns: Columns


async def _editing(request: Request, *, write: bool = False) -> _Editing:
    user = await require_user(request, write=write)
    key = request.path_params["key"]
    authoring = _authoring(request)
    draft = authoring.draft(user, key)
    return _Editing(user, key, authoring, draft, columns_for(_workflow(request), draft.ruleset))


async def edit_table(request: Request) -> Response:
    """Apply one edit of the table to the draft: 200 with the saved table, 422 with the problems."""
    e = await _editing(request, write=True)
    user, key, authoring, draft, columns = e.user, e.key, e.authoring, e.draft, e.columns
    form = _form_dict((await request.form()).multi_items())
    table = table_from_form(form, columns)
    apply_operation(table, form.get("op", [""])[0], columns)
    doc = ruleset_from_table(table, columns, draft.ruleset)
    if doc is not None:
        try:
            draft = authoring.save(user, key, {"ruleset": doc, "tests": [t.to_dict() for t in draft.tests]})
        except DefinitionError as exc:
            place_problems(table, exc.problems)
        else:
            saved = table_from_ruleset(draft.ruleset, columns,
                                       modes=["clauses" if r.mode == "clauses" else "json" for r in table.rows])
            saved.focus = table.focus
            if not is_htmx(request):
                return redirect(request, f"/designer/rules/{key}")
            context = _table_context(authoring, user, key, draft, columns, saved)
            context["saved"] = True
            return render(request, "designer/ruleset.html", context, block="table",
                          headers={"HX-Trigger": DRAFT_CHANGED})
    if not table.problems and not any(r.problems for r in table.rows) and not table.default_problems:
        table.problems.append(_("The change could not be saved."))
    if not is_htmx(request):
        return render(request, "designer/ruleset.html", _page_context(request, user, key, table=table),
                      status=422)
    return render(request, "designer/ruleset.html",
                  _table_context(authoring, user, key, draft, columns, table), block="table", status=422)


async def what_if(request: Request) -> Response:
    e = await _editing(request, write=True)
    user, key, authoring, draft, columns = e.user, e.key, e.authoring, e.draft, e.columns
    form = _form_dict((await request.form()).multi_items())
    errors: dict[str, str] = {}
    data = data_from_form(form, columns, "data-", errors)
    whatif = WhatIf(data, errors=errors) if errors else (_evaluate(authoring, user, key, data) if data else None)
    status = 422 if whatif is not None and (whatif.errors or whatif.error) else 200
    context = _whatif_context(draft, columns, whatif)
    if not is_htmx(request):
        return render(request, "designer/ruleset.html", _page_context(request, user, key, whatif=whatif),
                      status=status)
    return render(request, "designer/ruleset.html", context, block="whatif_result", status=status)


async def test_list(request: Request) -> Response:
    user = await require_user(request)
    key = request.path_params["key"]
    if not is_htmx(request):
        return redirect(request, f"/designer/rules/{key}#tests")
    authoring = _authoring(request)
    columns = columns_for(_workflow(request), authoring.draft(user, key).ruleset)
    return render(request, "designer/ruleset.html", _tests_context(authoring, user, key, columns),
                  block="test_list")


async def test_editor(request: Request) -> Response:
    """The add/edit form: for case `index`, or a new one (prefilled from the what-if inputs)."""
    e = await _editing(request)
    user, key, authoring, draft, columns = e.user, e.key, e.authoring, e.draft, e.columns
    index = request.path_params.get("index")
    if index is not None:
        if not 0 <= index < len(draft.tests):
            return redirect(request, f"/designer/rules/{key}#tests")
        editor = editor_for(draft.tests[index], index)
    else:
        form = _form_dict(request.query_params.multi_items())
        errors: dict[str, str] = {}
        data = data_from_form(form, columns, "data-", errors)
        editor = TestEditor(data={k: raw_value(v) for k, v in data.items()})
        if data and not errors:
            try:
                outcome = authoring.evaluate(user, key, data).outcome
                editor.expect = {k: raw_value(v) for k, v in outcome.items() if not isinstance(v, list)}
            except RuleError:
                pass
    if not is_htmx(request):
        return render(request, "designer/ruleset.html", _page_context(request, user, key, editor=editor))
    return render(request, "designer/ruleset.html", _tests_context(authoring, user, key, columns, editor),
                  block="test_editor")


async def save_test(request: Request) -> Response:
    """Add a test case, or replace case `index`; the whole tests panel comes back."""
    e = await _editing(request, write=True)
    user, key, authoring, draft, columns = e.user, e.key, e.authoring, e.draft, e.columns
    index = request.path_params.get("index")
    form = _form_dict((await request.form()).multi_items())
    editor = TestEditor(index=index, name=form.get("name", [""])[0].strip(),
                        data={c.key: form.get(f"data-{c.key}", [""])[0].strip() for c in columns.inputs},
                        expect={c.key: form.get(f"expect-{c.key}", [""])[0].strip() for c in columns.outputs})
    data = data_from_form(form, columns, "data-", editor.errors)
    expect = outcome_from_values(editor.expect, columns, "expect-", [], set())
    if not editor.name:
        editor.errors["name"] = _("Give the test case a name.")
    if not expect:
        editor.errors["expect"] = _("Choose the outcome you expect.")
    tests = [t.to_dict() for t in draft.tests]
    if index is not None and not 0 <= index < len(tests):
        editor.errors["name"] = _("This test case no longer exists; it was removed meanwhile.")
    if not editor.errors:
        case = {"name": editor.name, "data": data, "expect": expect}
        if index is None:
            tests.append(case)
        else:
            tests[index] = case
        try:
            authoring.save(user, key, {"ruleset": draft.ruleset, "tests": tests})
        except DefinitionError as exc:
            editor.errors["name"] = "; ".join(i18n.localized_problem(p) for p in exc.problems)
        else:
            return _tests_saved(request, user, key, columns)
    if not is_htmx(request):
        return render(request, "designer/ruleset.html", _page_context(request, user, key, editor=editor),
                      status=422)
    return render(request, "designer/ruleset.html", _tests_context(authoring, user, key, columns, editor),
                  block="tests", status=422)


async def delete_test(request: Request) -> Response:
    user = await require_user(request, write=True)
    key = request.path_params["key"]
    authoring = _authoring(request)
    draft = authoring.draft(user, key)
    index = request.path_params["index"]
    tests = [t.to_dict() for i, t in enumerate(draft.tests) if i != index]
    if len(tests) != len(draft.tests):
        authoring.save(user, key, {"ruleset": draft.ruleset, "tests": tests})
    return _tests_saved(request, user, key, columns_for(_workflow(request), draft.ruleset))


def _tests_saved(request: Request, user: User, key: str, columns: Columns) -> Response:
    if not is_htmx(request):
        return redirect(request, f"/designer/rules/{key}#tests")
    return render(request, "designer/ruleset.html", _tests_context(_authoring(request), user, key, columns),
                  block="tests")


async def publish(request: Request) -> Response:
    """Publish the draft with a change note; failing test cases and a missing note are 422."""
    user = await require_user(request, write=True)
    key = request.path_params["key"]
    authoring = _authoring(request)
    form = await request.form()
    note = str(form.get("note", ""))
    state: dict[str, Any] = {"note": note, "error": "", "note_error": "", "failures": [], "problems": []}
    status = 422
    try:
        version = await run_in_threadpool(authoring.publish, user, key, note)
    except DefinitionError as exc:
        for problem in exc.problems:
            if problem.path == "note":
                state["note_error"] = _("Say what changed and why: the change note is required.")
            elif not TEST_PATH_RE.fullmatch(problem.path):
                state["problems"].append(i18n.localized_problem(problem))
        if any(TEST_PATH_RE.fullmatch(p.path) for p in exc.problems):
            columns = columns_for(_workflow(request), authoring.draft(user, key).ruleset)
            state["failures"] = [{"name": r.case.name, "error": r.error,
                                  "expect": outcome_text(r.case.expect, columns),
                                  "outcome": outcome_text(r.outcome, columns)}
                                 for r in authoring.test_results(user, key) if not r.passed]
        if state["failures"]:
            state["error"] = i18n.ngettext(
                "Publishing is blocked: %(n)s saved test case fails against the draft. Fix the rules "
                "or correct the test case, then publish again.",
                "Publishing is blocked: %(n)s saved test cases fail against the draft. Fix the rules "
                "or correct the test cases, then publish again.", len(state["failures"])) % {
                    "n": len(state["failures"])}
        elif state["problems"]:
            state["error"] = _("The draft has problems; fix them before publishing.")
    except Conflict as exc:
        status = 409
        state["error"] = _("Nothing to publish: the draft is the same as the published version.")
        state["problems"].append(i18n.localized(reason(exc)))
    else:
        return redirect(request, f"/designer/rules/{key}?published={version}")
    if not is_htmx(request):
        return render(request, "designer/ruleset.html", _page_context(request, user, key, publish=state),
                      status=status)
    context = {"key": key, "publish": state, "latest": _latest_version(authoring, user, key)}
    return render(request, "designer/ruleset.html", context, block="publish", status=status)


async def discard(request: Request) -> Response:
    user = await require_user(request, write=True)
    key = request.path_params["key"]
    _authoring(request).discard(user, key)
    return redirect(request, f"/designer/rules/{key}")


routes = [
    Route("/designer/rules", ruleset_list),
    Route("/designer/rules/{key}", ruleset_page),
    Route("/designer/rules/{key}/table", edit_table, methods=["POST"]),
    Route("/designer/rules/{key}/whatif", what_if, methods=["POST"]),
    Route("/designer/rules/{key}/tests", test_list),
    Route("/designer/rules/{key}/tests", save_test, methods=["POST"]),
    Route("/designer/rules/{key}/tests/new", test_editor),
    Route("/designer/rules/{key}/tests/{index:int}", test_editor),
    Route("/designer/rules/{key}/tests/{index:int}", save_test, methods=["POST"]),
    Route("/designer/rules/{key}/tests/{index:int}/delete", delete_test, methods=["POST"]),
    Route("/designer/rules/{key}/publish", publish, methods=["POST"]),
    Route("/designer/rules/{key}/discard", discard, methods=["POST"]),
]
