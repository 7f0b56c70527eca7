"""The inbox: to do (待办), done by me (已办), CC'd to me (抄送我的), filed by me (我发起的), with
search, filters, sort, pages and batch approve; `GET /api/inbox` and `POST /api/tasks/batch-approve`
are its JSON twins. The query work is `runtime.inbox_query`'s, over light rows; only the page's
50 rows get a redacted view, titles and deadlines here."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from builder.permissions import HIDDEN, start_permission, step_permission
from builder.text import localize
from runtime import i18n
from runtime.batch_approval import Outcome, approve_all, refusal, task_ids
from runtime.errors import ValidationFailed
from runtime.i18n import N_, Text
from runtime.inbox_query import (STATUSES, Lookups, Page, Query, Row, counts, is_overdue, page_numbers,
                                 page_of, parse_query, rows_of, select, todo_page)
from runtime.org import User
from runtime.service import READ_ALL_ROLES, Workflow
from runtime.state import Instance, TaskStatus
from runtime.web.api import json_object, text_field
from runtime.web.deadlines_view import time_left_text
from runtime.web.rendering import is_htmx, redirect, render
from runtime.web.session import require_user

TAB_NAMES = {"todo": N_("To do"), "done": N_("Done by me"), "cc": N_("CC'd to me"), "mine": N_("Filed by me")}
SORT_NAMES = {"newest": N_("Newest first"), "oldest": N_("Oldest first"), "due": N_("Due soonest"),
              "amount": N_("Largest amount")}
RESULTS = "inbox-results"  # the list's element: htmx asks for it alone as a person types


def _workflow(request: Request) -> Workflow:
    return request.app.state.workflow


def _labels(label: Any) -> list[str]:
    """Every language's text of a label (a search in either language finds it)."""
    if isinstance(label, dict):
        return [str(v) for v in label.values()]
    return [str(label)] if label else []


class Facts:
    """What the query needs of rows besides themselves, for one reader, worked out once per
    process version, step and person within the request (`Lookups`)."""

    def __init__(self, workflow: Workflow, user: User) -> None:
        self.workflow, self.user = workflow, user
        self.reads_all = any(user.has_role(r) for r in READ_ALL_ROLES)
        self._words: dict[tuple[str, ...], str] = {}
        self._money: dict[tuple[str, int], str] = {}
        self._visible: dict[tuple[str, int, str], bool] = {}

    def lookups(self) -> Lookups:
        wf = self.workflow
        return Lookups(now=wf.engine.now(), zone=wf.calendar.zone, words=self.words, amount=self.amount,
                       open_tasks=lambda i: wf.open_tasks_of(i.id, post_hoc=None))

    def flow(self, instance: Instance) -> Any:
        return self.workflow.definition("flow", instance.process, instance.flow_version)

    def words(self, row: Row) -> str:
        inst, step = row.instance, row.task.step if row.task else ""
        key = (inst.process, str(inst.flow_version), step, inst.submitter)
        if key not in self._words:
            flow = self.flow(inst)
            user = self.workflow.org.users.get(inst.submitter)
            self._words[key] = " ".join([*_labels(flow.title), *(_labels(flow.step(step).title) if step else ()),
                                         *(_labels(user.name) if user else ())]).casefold()
        return self._words[key]

    def money_field(self, instance: Instance) -> str:
        """The request's amount: its form's first money field ("" when it has none)."""
        key = (instance.form, instance.form_version)
        if key not in self._money:
            form = self.workflow.definition("form", instance.form, instance.form_version)
            self._money[key] = next((f.key for f in form.fields if f.type == "money"), "")
        return self._money[key]

    def amount(self, row: Row) -> Decimal | None:
        """The amount, if this reader may see it (else None, as if it had none)."""
        inst = row.instance
        name = self.money_field(inst)
        value = inst.data.get(name) if name else None
        if value is None or value == "" or not self._sees(row, name):
            return None
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None

    def _sees(self, row: Row, name: str) -> bool:
        """Cheap where it can be: the step of the reader's task, or the start form for the
        submitter, shows the field; otherwise the full check of their involvement."""
        if self.reads_all:
            return True
        inst = row.instance
        place = row.task.step if row.task else ("" if inst.submitter == self.user.username else None)
        if place is not None:
            key = (inst.process, inst.flow_version, place)
            if key not in self._visible:
                flow = self.flow(inst)
                self._visible[key] = (step_permission(flow.step(place), name) != HIDDEN if place
                                      else start_permission(flow, name) != HIDDEN)
            if self._visible[key]:
                return True
        return name not in self.workflow.hidden_for(self.user, inst)


@dataclass(frozen=True)
class Line:
    """A row as the page shows it: the request as this reader may read it, and what to say about it."""

    row: Row
    instance: Instance
    title: Any
    amount: Decimal | None
    overdue: bool
    deadline: str = ""
    urged: tuple[str, str] | None = None  # who urged, when
    returned: tuple[str, str, str] | None = None  # who sent it back, when, why
    batch: bool = False
    note: Text | None = None  # why there is no checkbox
    failed: Text | None = None  # the batch approval of it that did not go through


def _urged(row: Row) -> tuple[str, str] | None:
    if row.task is None or not row.task.urged_at:
        return None
    urge = next((e for e in reversed(row.instance.events) if e["action"] == "urge" and e.get("task") == row.task.id),
                None)
    return (urge["actor"], urge["at"]) if urge else None


def _returned(row: Row) -> tuple[str, str, str] | None:
    if row.action != "returned":
        return None
    back = next((e for e in reversed(row.instance.events)
                 if e["action"] in ("return", "reject") and e.get("to") == "submitter"), None)
    return (back["actor"], back["at"], back.get("reason", "")) if back else None


def lines(workflow: Workflow, user: User, facts: Facts, look: Lookups, rows: list[Row], tab: str,
          failed: dict[str, Text]) -> list[Line]:
    """The page's rows with their redacted view, title, deadline, marks and batch eligibility."""
    out = []
    workday = workflow.calendar.working_hours_per_day()
    for row in rows:
        flow = facts.flow(row.instance)
        task = row.task
        note = refusal(workflow, task) if tab == "todo" and task is not None else None
        standing = workflow.time_left(task) if task is not None and task.status is TaskStatus.OPEN else None
        out.append(Line(row, workflow.view(user, row.instance), flow.step(task.step).title if task else flow.title,
                        facts.amount(row), is_overdue(row, look),
                        time_left_text(standing, workday) if standing else "", _urged(row), _returned(row),
                        batch=tab == "todo" and task is not None and note is None, note=note,
                        failed=failed.get(row.key)))
    return out


def inbox_context(workflow: Workflow, user: User, query: Query, outcomes: list[Outcome] | None = None
                  ) -> dict[str, Any]:
    facts = Facts(workflow, user)
    look = facts.lookups()
    acts = not user.reads_only
    page = (todo_page(workflow.state, user.username, query, look) if acts else None) or page_of(
        select(rows_of(workflow.state, user.username, query.tab, acts=acts), query, look), query.page)
    failed = {o.task: o.message for o in outcomes or () if not o.ok}
    return {"query": query, "page": page, "lines": lines(workflow, user, facts, look, page.rows, query.tab, failed),
            "counts": counts(workflow.state, user.username, acts=acts), "tabs": TAB_NAMES, "sorts": SORT_NAMES,
            "statuses": STATUSES, "processes": workflow.processes(), "page_links": page_numbers(page.page, page.pages),
            "outcomes": _outcome_lines(workflow, facts, outcomes or []), "batch": uuid.uuid4().hex, "errors": {}}


@dataclass(frozen=True)
class Said:
    """A batch outcome as the page reports it: which request (title, who filed it, the amount the
    reader may see), so two approvals of the same step can be told apart."""

    outcome: Outcome
    title: Any
    instance: Instance | None = None
    amount: Decimal | None = None


def _outcome_lines(workflow: Workflow, facts: Facts, outcomes: list[Outcome]) -> list[Said]:
    out = []
    for outcome in outcomes:
        task = workflow.state.tasks.get(outcome.task)
        if task is None or task.assignee != facts.user.username:  # another's task: nothing about it is shown
            out.append(Said(outcome, outcome.task))
            continue
        instance = workflow.state.instances[task.instance]
        row = Row(instance, task, task.created)
        out.append(Said(outcome, facts.flow(instance).step(task.step).title, instance, facts.amount(row)))
    return out


def _block(request: Request) -> str | None:
    """Which part htmx asked for: the list alone (typing in the search), the tabs with it, or (a
    history restore, no htmx) the whole page."""
    if not is_htmx(request) or request.headers.get("HX-History-Restore-Request") == "true":
        return None
    return "results" if request.headers.get("HX-Target", "").endswith(f"#{RESULTS}") else "inbox_body"


async def inbox(request: Request) -> Response:
    user = await require_user(request)
    query = parse_query(request.query_params)
    context = inbox_context(_workflow(request), user, query)
    return render(request, "inbox.html", context, block=_block(request))


async def my_requests(request: Request) -> Response:
    """My requests and those CC'd to me are the inbox's last two tabs now: the old address leads there."""
    await require_user(request)
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "tab"]
    return redirect(request, "/inbox?" + urlencode([("tab", "mine"), *kept]))


async def batch_approve_page(request: Request) -> Response:
    """The "Approve selected" button: each ticked task approved on its own; the inbox again, the
    outcome of each at its top (rows that failed say why)."""
    user = await require_user(request, write=True)
    workflow = _workflow(request)
    form = await request.form()
    query = replace(parse_query(dict(parse_qsl(str(form.get("_query", ""))))), tab="todo")
    try:
        ids = task_ids([str(v) for v in form.getlist("task")])
    except ValidationFailed as failed:
        context = inbox_context(workflow, user, query)
        context["errors"] = i18n.localized_errors(failed.errors)
        return render(request, "inbox.html", context, block=_block(request), status=422)
    outcomes = await run_in_threadpool(approve_all, workflow, user, ids, str(form.get("comment", "")),
                                       str(form.get("batch", "")))
    return render(request, "inbox.html", inbox_context(workflow, user, query, outcomes), block=_block(request))


def item_json(line: Line, locale: str) -> dict[str, Any]:
    row, task = line.row, line.row.task
    return {"kind": "task" if task else "request", "task": task.id if task else None, "instance": row.instance.id,
            "process": row.instance.process, "title": localize(line.title, locale),
            "step": task.step if task else None, "submitter": row.instance.submitter,
            "status": str(row.instance.status), "task_status": str(task.status) if task else None,
            "created": row.instance.created, "at": row.at, "did": row.action or None,
            "due": (task.due or None) if task else None, "overdue": line.overdue,
            "amount": str(line.amount) if line.amount is not None else None,
            "urged": {"by": line.urged[0], "at": line.urged[1]} if line.urged else None,
            "returned": ({"by": line.returned[0], "at": line.returned[1], "reason": line.returned[2]}
                         if line.returned else None),
            "batch": line.batch, "batch_note": str(line.note) if line.note else None}


async def api_inbox(request: Request) -> Response:
    """`GET /api/inbox?tab=&q=&process=&status=&overdue=&from=&to=&sort=&page=`: one page of a tab."""
    user = await require_user(request)
    context = inbox_context(_workflow(request), user, parse_query(request.query_params))
    page: Page = context["page"]
    locale = request.query_params.get("locale", "en")
    return JSONResponse({"items": [item_json(line, locale) for line in context["lines"]], "total": page.total,
                         "page": page.page, "pages": page.pages, "counts": context["counts"]})


async def api_batch_approve(request: Request) -> Response:
    """`POST /api/tasks/batch-approve {"tasks": [ids], "comment": "", "request_id"?}`: each approved
    on its own; a repeated request id repeats nothing."""
    user = await require_user(request, write=True)
    body = await json_object(request)
    ids = task_ids(body.get("tasks"))
    outcomes = await run_in_threadpool(approve_all, _workflow(request), user, ids, text_field(body, "comment"),
                                       text_field(body, "request_id"))
    return JSONResponse({"results": [{"task": o.task, "ok": o.ok, "message": str(o.message)} for o in outcomes]})


routes = [
    Route("/inbox", inbox),
    Route("/inbox/approve", batch_approve_page, methods=["POST"]),
    Route("/requests", my_requests),
    Route("/api/inbox", api_inbox),
    Route("/api/tasks/batch-approve", api_batch_approve, methods=["POST"]),
]
