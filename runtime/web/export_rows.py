"""The requests of one process as rows of cells, for the CSV and Excel exports (`export_files`
writes them, `export_view` serves them).

Who gets which rows is the instance page's rule: admins and auditors every request, anyone else
the requests they are involved in, each redacted for them (`Workflow.hidden_for`): a field they
may not see is an empty cell, and the search never matches on it either, since it reads the
redacted row. Cells hold typed values, not text: money as a `Decimal` to the fen, numbers as
numbers, times as local `datetime`s, options by their labels, people and departments by name in
the reader's language; a line-items table is one cell of text here, and its own sheet in Excel.
"""
from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from builder.forms import Field, Form
from builder.text import localize
from runtime import i18n
from runtime.errors import ValidationFailed
from runtime.i18n import N_
from runtime.org import Organisation, User
from runtime.service import READ_ALL_ROLES, Workflow
from runtime.state import Instance, InstanceStatus
from runtime.web import values

Cell = str | int | float | Decimal | _dt.datetime | None
CENT = Decimal("0.01")
STATUS_WORDS = {  # the instance page's words for a request's status (templates/partials/macros.html)
    "running": N_("In progress"), "rejected": N_("Rejected"), "completed": N_("Completed"),
    "withdrawn": N_("Withdrawn"), "returned": N_("Returned"),
}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class ExportFilters:
    """The inbox's GET parameters that make sense for one process's requests: `q` (any cell's
    text), `status`, and `from`/`to`, inclusive, on the local date the request was filed.
    (The inbox has its own in runtime/inbox_query.py; the two are meant to become one.)"""

    q: str = ""
    status: str = ""
    start: str = ""  # "from"
    end: str = ""  # "to"

    def query(self) -> str:
        """The same filters as a query string, for the download links."""
        pairs = {"q": self.q, "status": self.status, "from": self.start, "to": self.end}
        return urlencode({k: v for k, v in pairs.items() if v})


def export_filters(params: Any) -> ExportFilters:
    """`ExportFilters` from query parameters; 422 naming the parameter when one is not understood."""
    got = {k: str(params.get(k, "") or "").strip() for k in ("q", "status", "from", "to")}
    errors: dict[str, Any] = {}
    if got["status"] and got["status"] not in {s.value for s in InstanceStatus}:
        errors["status"] = N_("must be one of %(choices)s", choices=", ".join(s.value for s in InstanceStatus))
    for key in ("from", "to"):
        if got[key] and not (_DATE.fullmatch(got[key]) and _is_date(got[key])):
            errors[key] = N_("must be a date (YYYY-MM-DD)")
    if errors:
        raise ValidationFailed(errors)
    return ExportFilters(got["q"][:200], got["status"], got["from"], got["to"])


def _is_date(text: str) -> bool:
    try:
        _dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    field: Field | None = None  # None for the request's own columns (id, status, …)


def columns(form: Form) -> list[Column]:
    """id, status, submitter, department, created, updated, then each field that holds a value."""
    _ = i18n.gettext
    own = [Column("id", _("Request no.")), Column("status", _("Status")), Column("submitter", _("Submitter")),
           Column("department", _("Department")), Column("created", _("Filed")), Column("updated", _("Last change"))]
    locale = i18n.current_locale.get()
    cols = own + [Column(f.key, localize(f.label, locale) or f.key, f) for f in form.fields if not f.is_layout]
    return _unique_labels(cols)


def _unique_labels(cols: list[Column]) -> list[Column]:
    """A spreadsheet's header names each column once: a label used again gets "(2)", "(3)"."""
    seen: dict[str, int] = {}
    out = []
    for c in cols:
        seen[c.label] = seen.get(c.label, 0) + 1
        out.append(c if seen[c.label] == 1 else Column(c.key, f"{c.label} ({seen[c.label]})", c.field))
    return out


def _may_read(workflow: Workflow, user: User) -> Callable[[Instance], bool]:
    """`Workflow.instance_for`'s rule as a test: admins and auditors read all, others what involves them."""
    if any(user.has_role(r) for r in READ_ALL_ROLES):
        return lambda i: True
    return lambda i: i.involves(user.username, workflow.state.tasks)


def readable(workflow: Workflow, user: User, process: str) -> list[Instance]:
    """The process's requests this person may read (not yet redacted), the latest first."""
    may_read = _may_read(workflow, user)
    with workflow.state.lock:
        mine = [i for i in workflow.state.instances.values() if i.process == process and may_read(i)]
    mine.sort(key=lambda i: (i.created, i.id), reverse=True)
    return mine


def readable_counts(workflow: Workflow, user: User) -> dict[str, int]:
    """How many requests of each process this person may read, in one pass over the store."""
    may_read = _may_read(workflow, user)
    counts: dict[str, int] = {}
    with workflow.state.lock:
        for i in workflow.state.instances.values():
            if may_read(i):
                counts[i.process] = counts.get(i.process, 0) + 1
    return counts


def local_time(stamp: str, zone: ZoneInfo) -> _dt.datetime | None:
    """An event's UTC stamp as local wall-clock time (naive: what a spreadsheet cell holds)."""
    if not stamp:
        return None
    return _dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(zone).replace(tzinfo=None, microsecond=0)


def cell(f: Field, value: Any, org: Organisation | None) -> Cell:
    """One field's value as a cell: empty stays empty; money, numbers and percentages as numbers."""
    if value is None or value == "" or value == []:
        return None
    if f.type in values.SUMMED_TYPES + ("percent",) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return _money(value) if f.type == "money" else value
    if f.type == "table":
        return table_text(f, value, org)
    return values.shown(f, value, org)


def _money(value: int | float) -> Decimal | float:
    try:
        return Decimal(str(value)).quantize(CENT)
    except InvalidOperation:
        return value


def table_text(f: Field, rows: Any, org: Organisation | None) -> str:
    """A line-items table in one cell: a line per row, `Label: value` per filled-in column."""
    locale = i18n.current_locale.get()
    lines = []
    for row in rows if isinstance(rows, list) else []:
        parts = [f"{localize(c.label, locale) or c.key}: {values.shown(c, row.get(c.key), org)}"
                 for c in f.columns if isinstance(row, dict) and row.get(c.key) not in (None, "")]
        lines.append("; ".join(parts))
    return "\n".join(lines)


def request_row(instance: Instance, cols: list[Column], org: Organisation, zone: ZoneInfo) -> list[Cell]:
    """The cells of one (already redacted) request: a field it does not hold is an empty cell."""
    locale = i18n.current_locale.get()
    own: dict[str, Cell] = {
        "id": instance.id, "status": i18n.localized(STATUS_WORDS.get(instance.status.value, instance.status.value)),
        "submitter": org.name_of(instance.submitter, locale),
        "department": values.department_name(org, instance.department),
        "created": local_time(instance.created, zone), "updated": local_time(instance.updated, zone)}
    return [own[c.key] if c.field is None else cell(c.field, instance.data.get(c.key), org) for c in cols]


def matches_export_filters(instance: Instance, filters: ExportFilters, zone: ZoneInfo) -> bool:
    """Whether a request passes the status and date filters (checked before its row is built)."""
    if filters.status and instance.status.value != filters.status:
        return False
    filed = local_time(instance.created, zone)
    day = filed.date().isoformat() if filed else ""
    return not ((filters.start and day < filters.start) or (filters.end and day > filters.end))


def matches_export_search(instance: Instance, row: list[Cell], q: str) -> bool:
    """`q` against the text of the request's redacted cells (and the submitter's username), so
    a hidden value can never be found by searching for it."""
    if not q:
        return True
    needle = q.casefold()
    return needle in instance.submitter.casefold() or any(needle in _text(c).casefold() for c in row)


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, _dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


@dataclass(frozen=True)
class Export:
    """What a download holds: the header, a row per request, and each table field's lines."""

    columns: list[Column]
    rows: list[list[Cell]]
    tables: list[tuple[Column, list[list[Cell]]]]  # per table field: [request id, line no., its cells…]


def export(workflow: Workflow, user: User, process: str, filters: ExportFilters) -> Export:
    form = workflow.latest(process).form
    cols = columns(form)
    zone = ZoneInfo(workflow.timezone)
    rows: list[list[Cell]] = []
    kept: list[Instance] = []
    for instance in readable(workflow, user, process):
        if not matches_export_filters(instance, filters, zone):
            continue
        shown = workflow.view(user, instance)
        row = request_row(shown, cols, workflow.org, zone)
        if matches_export_search(shown, row, filters.q):
            rows.append(row)
            kept.append(shown)
    tables = [(c, table_lines(c.field, kept, workflow.org)) for c in cols if c.field is not None and c.field.type == "table"]
    return Export(cols, rows, tables)


def table_lines(f: Field, instances: list[Instance], org: Organisation) -> list[list[Cell]]:
    """Every line of table `f` across the requests: request no., line no., then each column's cell."""
    lines: list[list[Cell]] = []
    for instance in instances:
        rows = instance.data.get(f.key)
        for number, row in enumerate(rows if isinstance(rows, list) else [], start=1):
            lines.append([instance.id, number, *(cell(c, row.get(c.key), org) if isinstance(row, dict) else None
                                                  for c in f.columns)])
    return lines
