"""A request as the paper form it replaces: `/instances/{id}/print` (a page of its own, print
CSS, no navigation) and `/instances/{id}/print.pdf` (the same page made into a PDF on the server,
`runtime.web.pdf`). Who may open it, and what they see of it, is exactly the instance page's:
the same `Workflow.instance_for` check, the same `hidden_for`/`view` redaction, the same record
(`timeline.describe_events`), so a print never shows a field its reader may not see."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from builder.forms import Field, Form
from builder.text import localize
from runtime import i18n
from runtime.engine import Definitions
from runtime.i18n import N_
from runtime.org import Organisation, User
from runtime.service import Workflow
from runtime.state import Instance, TaskStatus
from runtime.web import pdf, values
from runtime.web.rendering import render
from runtime.web.session import require_user
from runtime.web.timeline import Entry, describe_events

TEMPLATE = "print.html"
DECISIONS = {  # the record's entries that are a person's (or the system's) decision at a step
    "approve": N_("Approved"), "reject": N_("Rejected"), "complete": N_("Done"), "return": N_("Returned"),
}


@dataclass(frozen=True)
class Row:
    """One line of the paper form: a section heading, or a field with its value."""

    kind: str  # "section" or "field"
    field: Field


@dataclass(frozen=True)
class Approval:
    """A line of the approvals table: who decided what at which step, when, and what they said;
    a step still waiting has its assignee and an empty decision."""

    step: str
    who: str
    decision: str
    at: str
    comment: str


def form_rows(form: Form, hidden: frozenset[str]) -> list[Row]:
    """The fields this reader may see, in the form's order, under their section headings (a
    heading whose fields are all hidden is left out); serial numbers go in the header instead."""
    rows: list[Row] = []
    for f in form.fields:
        if f.type == "section":
            if rows and rows[-1].kind == "section":
                rows.pop()
            rows.append(Row("section", f))
        elif not f.is_layout and f.type != "serial" and f.key not in hidden:
            rows.append(Row("field", f))
    if rows and rows[-1].kind == "section":
        rows.pop()
    return rows


def serial_numbers(form: Form, data: dict[str, Any]) -> list[tuple[Field, str]]:
    return [(f, str(data[f.key])) for f in form.fields if f.type == "serial" and data.get(f.key)]


def attachments(form: Form, data: dict[str, Any]) -> list[tuple[Field, dict[str, Any]]]:
    """Every file the request holds in a field the reader may see (`data` is already redacted)."""
    return [(f, item) for f in form.fields if f.type == "attachment"
            for item in (data.get(f.key) or []) if isinstance(item, dict)]


def _step_title(defs: Definitions, step: str) -> str:
    try:
        return localize(defs.flow.step(step).title, i18n.current_locale.get()) or step
    except KeyError:
        return step


def approvals(timeline: list[Entry], waiting: list[tuple[str, str]], defs: Definitions) -> list[Approval]:
    """The decisions on the record in order, then the steps still waiting (step id, assignee's name)."""
    decided = [Approval(_step_title(defs, e.step), e.actor, i18n.gettext(DECISIONS[e.action]), e.at, e.detail)
               for e in timeline if e.action in DECISIONS]
    return decided + [Approval(_step_title(defs, step), who, "", "", "") for step, who in waiting]


def signers(rows: list[Approval]) -> list[str]:
    """The signature lines under the form: the submitter's, then one per step, once each."""
    steps: list[str] = []
    for row in rows:
        if row.step not in steps:
            steps.append(row.step)
    return steps


def print_context(workflow: Workflow, instance: Instance, user: User) -> dict[str, Any]:
    """What the print shows this person, redacted as the instance page redacts it."""
    defs = workflow.pinned(instance)
    hidden = workflow.hidden_for(user, instance)
    shown = workflow.view(user, instance, hidden)
    org: Organisation = workflow.org
    timeline = describe_events(shown.events, defs, org)
    locale = i18n.current_locale.get()
    waiting = [(t.step, org.name_of(t.assignee, locale)) for t in (workflow.state.tasks[i] for i in instance.task_ids)
               if t.status is TaskStatus.OPEN]
    table = approvals(timeline, waiting, defs)
    return {"instance": shown, "defs": defs, "rows": form_rows(defs.form, hidden),
            "serials": serial_numbers(defs.form, shown.data),
            "department": values.department_name(org, instance.department),
            "attachments": attachments(defs.form, shown.data),
            "approvals": table, "signers": signers(table),
            "decisions": [e for e in timeline if e.action == "decide"],
            "timeline": timeline, "printed_at": workflow.engine.now(), "printed_by": user.username}


async def print_page(request: Request) -> Response:
    user = await require_user(request)
    workflow: Workflow = request.app.state.workflow
    instance = workflow.instance_for(user, request.path_params["id"])
    return render(request, TEMPLATE, {**print_context(workflow, instance, user), "for_pdf": False})


async def print_pdf(request: Request) -> Response:
    """The print page as a PDF: the same template and context, laid out by WeasyPrint."""
    user = await require_user(request)
    workflow: Workflow = request.app.state.workflow
    instance = workflow.instance_for(user, request.path_params["id"])
    page = render(request, TEMPLATE, {**print_context(workflow, instance, user), "for_pdf": True})
    document = await run_in_threadpool(pdf.from_html, bytes(page.body).decode("utf-8"))
    name = f"{instance.process}-{instance.id}.pdf"
    return Response(document, media_type="application/pdf",
                    headers={"Content-Disposition": f"inline; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"})


routes = [
    Route("/instances/{id}/print", print_page),
    Route("/instances/{id}/print.pdf", print_pdf),
]
