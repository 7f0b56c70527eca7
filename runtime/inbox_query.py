"""The inbox's four tabs as light rows, and the search, filters, sort and page over them.

Pure: the rows come from the projection's indexes (`rows_of`), and everything a row does not hold
itself (titles, names, the amount a reader may see, open tasks of a request) comes in `Lookups`,
so filtering 10,000 rows never builds a redacted view or a step title for a row not shown.
The same `Query` drives the page, `GET /api/inbox` and (with the same parameters) any export.
"""
from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from runtime.clock import to_stamp
from runtime.errors import ValidationFailed
from runtime.i18n import N_
from runtime.state import Instance, InstanceStatus, Projection, Task, TaskStatus

TABS = ("todo", "done", "cc", "mine")
SORTS = ("newest", "oldest", "due", "amount")
DEFAULT_SORT = {"todo": "due", "done": "newest", "cc": "newest", "mine": "newest"}
STATUSES = tuple(str(s) for s in InstanceStatus)
PAGE_SIZE = 50
MAX_QUERY = 200  # characters of a search: enough for any title, name or id
MAX_PAGE = 100_000


@dataclass(frozen=True)
class Query:
    """What a person asked the inbox for; every member is a GET parameter, so a URL is shareable
    (`start`/`end` are the `from`/`to` dates, local, both included)."""

    tab: str = "todo"
    q: str = ""
    process: str = ""
    status: str = ""
    overdue: bool = False
    start: str = ""
    end: str = ""
    sort: str = ""  # "" means the tab's own default (DEFAULT_SORT)
    page: int = 1

    @property
    def order(self) -> str:
        return self.sort or DEFAULT_SORT[self.tab]

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.process or self.status or self.overdue or self.start or self.end)

    def params(self, **changes: Any) -> str:
        """This query (with `changes`) as a query string, leaving out what is at its default."""
        changed = replace(self, **changes)
        pairs = {"tab": changed.tab, "q": changed.q, "process": changed.process, "status": changed.status,
                 "overdue": "1" if changed.overdue else "", "from": changed.start, "to": changed.end,
                 "sort": changed.sort, "page": str(changed.page) if changed.page != 1 else ""}
        return urlencode({k: v for k, v in pairs.items() if v})


def parse_query(params: Mapping[str, str]) -> Query:
    """A `Query` from GET parameters; a value that is not one of the choices is a 422 naming it."""
    errors: dict[str, Any] = {}
    tab = params.get("tab") or "todo"
    if tab not in TABS:
        errors["tab"] = N_("must be one of %(choices)s", choices=", ".join(TABS))
    sort = params.get("sort") or ""
    if sort and sort not in SORTS:
        errors["sort"] = N_("must be one of %(choices)s", choices=", ".join(SORTS))
    status = params.get("status") or ""
    if status and status not in STATUSES:
        errors["status"] = N_("must be one of %(choices)s", choices=", ".join(STATUSES))
    dates = {}
    for name in ("from", "to"):
        dates[name] = params.get(name) or ""
        if dates[name]:
            try:
                date.fromisoformat(dates[name])
            except ValueError:
                errors[name] = N_("must be a date such as 2026-03-31")
    page_text = params.get("page") or "1"
    page = int(page_text) if page_text.isdigit() and 0 < len(page_text) <= 6 else 0
    if not 1 <= page <= MAX_PAGE:
        errors["page"] = N_("must be a page number from 1")
    q = " ".join((params.get("q") or "").split())
    if len(q) > MAX_QUERY:
        errors["q"] = N_("at most %(max)s characters", max=MAX_QUERY)
    if errors:
        raise ValidationFailed(errors)
    return Query(tab=tab, q=q, process=params.get("process") or "", status=status,
                 overdue=params.get("overdue", "") not in ("", "0"), start=dates["from"], end=dates["to"],
                 sort=sort, page=page)


class Row(NamedTuple):
    """One line of a tab: a task (to do, done) or a request (CC'd, filed, returned to its submitter).
    `at` is when it came to this tab; `action` what this person did (done) or "returned". A tuple:
    a tab of 10,000 rows is made on every request, and a frozen dataclass costs ten times as much."""

    instance: Instance
    task: Task | None
    at: str
    action: str = ""

    @property
    def key(self) -> str:
        return self.task.id if self.task is not None else self.instance.id


def rows_of(state: Projection, username: str, tab: str, *, acts: bool = True) -> list[Row]:
    """The unfiltered rows of a tab, from the projection's indexes (`acts`: False for an account
    that acts on nothing, whose to-do is empty whatever it was given)."""
    with state.lock:
        if tab == "todo":
            if not acts:
                return []
            tasks = [state.tasks[t] for t in state.open_by_assignee.get(username, {})]
            returned = [state.instances[i] for i in state.returned_to.get(username, {})]
            return ([Row(state.instances[t.instance], t, t.created) for t in tasks]
                    + [Row(i, None, i.updated, "returned") for i in returned])
        if tab == "done":
            return [Row(state.instances[state.tasks[t].instance], state.tasks[t], at, action)
                    for t, (action, at) in state.acted_by.get(username, {}).items()]
        if tab == "cc":
            copied = state.copied_at.get(username, {})
            return [Row(state.instances[i], None, copied.get(i, "")) for i in state.by_copied.get(username, [])]
        return [Row(state.instances[i], None, state.instances[i].created) for i in state.by_submitter.get(username, [])]


def counts(state: Projection, username: str, *, acts: bool = True) -> dict[str, int]:
    """How many rows each tab holds, unfiltered: read off the indexes, never by listing them."""
    with state.lock:
        return {"todo": (len(state.open_by_assignee.get(username, {})) + len(state.returned_to.get(username, {}))
                         if acts else 0),
                "done": len(state.acted_by.get(username, {})),
                "cc": len(state.by_copied.get(username, [])),
                "mine": len(state.by_submitter.get(username, []))}


@dataclass(frozen=True)
class Lookups:
    """What rows do not hold: `now` (a stamp), the zone dates are read in, the words a search
    matches for a row (its titles, the submitter's names, casefolded), the amount the reader may see on it,
    and a request's open tasks (for its deadline)."""

    now: str
    zone: ZoneInfo
    words: Callable[[Row], str]  # casefolded
    amount: Callable[[Row], Decimal | None]
    open_tasks: Callable[[Instance], Iterable[Task]]


def is_overdue(row: Row, look: Lookups) -> bool:
    """A task past its deadline (done: acted after it); a request: one of its open tasks is."""
    if row.task is not None:
        task = row.task
        if task.status is TaskStatus.OPEN:
            return bool(task.due) and task.due <= look.now
        return bool(task.due) and task.acted_at > task.due
    return any(t.due and t.due <= look.now for t in look.open_tasks(row.instance))


def _due(row: Row, look: Lookups) -> str:
    """The deadline that matters for the row: its open task's, or its request's nearest one."""
    if row.task is not None:
        return row.task.due if row.task.status is TaskStatus.OPEN else ""
    return min((t.due for t in look.open_tasks(row.instance) if t.due), default="")


def amount_words(amount: Decimal | None) -> str:
    """An amount as a search matches it, with and without thousands separators (12000.00 12,000.00)."""
    if amount is None:
        return ""
    return f"{amount:.2f} {amount:,.2f}"


def matches(row: Row, terms: list[str], look: Lookups) -> bool:
    """Every term is in the row's ids, titles, submitter's names or amount (case ignored); the
    amount is worked out only for the terms nothing else matched."""
    text = " ".join((row.instance.id, row.task.id if row.task else "", row.instance.submitter, look.words(row)))
    rest = [term for term in terms if term not in text]
    if not rest:
        return True
    amount = amount_words(look.amount(row))
    return bool(amount) and all(term in amount for term in rest)


def day_bounds(start: str, end: str, zone: ZoneInfo) -> tuple[str, str]:
    """The local dates `start` .. `end` (both included) as UTC stamps [low, high) ("" when open)."""
    def midnight(day: date) -> str:
        return to_stamp(datetime.combine(day, time(), zone))
    low = midnight(date.fromisoformat(start)) if start else ""
    high = midnight(date.fromisoformat(end) + timedelta(days=1)) if end else ""
    return low, high


def select(rows: list[Row], query: Query, look: Lookups) -> list[Row]:
    """The rows the query's filters keep, in its order."""
    kept = rows
    if query.process:
        kept = [r for r in kept if r.instance.process == query.process]
    if query.status:
        kept = [r for r in kept if r.instance.status == query.status]
    if query.start or query.end:
        low, high = day_bounds(query.start, query.end, look.zone)
        kept = [r for r in kept if (not low or r.instance.created >= low) and (not high or r.instance.created < high)]
    if query.overdue:
        kept = [r for r in kept if is_overdue(r, look)]
    if query.q:
        terms = query.q.casefold().split()
        kept = [r for r in kept if matches(r, terms, look)]
    return ordered(kept, query.order, look)


def ordered(rows: list[Row], sort: str, look: Lookups) -> list[Row]:
    """Newest or oldest by when each came to the tab; due: overdue first, then the nearest
    deadline, work without one last (oldest first within each); amount: the largest first."""
    if sort == "oldest":
        return sorted(rows, key=lambda r: (r.at, r.key))
    if sort == "due":
        def due_key(r: Row) -> tuple[bool, bool, str, str]:
            due = _due(r, look)
            return (not (due and due <= look.now), not due, due, r.at)
        return sorted(rows, key=due_key)
    if sort == "amount":
        with_amount = [(look.amount(r), r) for r in rows]
        known = sorted(((a, r) for a, r in with_amount if a is not None), key=lambda p: (p[0], p[1].at), reverse=True)
        return [r for _, r in known] + sorted((r for a, r in with_amount if a is None), key=lambda r: r.at, reverse=True)
    return sorted(rows, key=lambda r: (r.at, r.key), reverse=True)


def todo_page(state: Projection, username: str, query: Query, look: Lookups, size: int = PAGE_SIZE) -> Page | None:
    """The unfiltered to-do in a task-only order, sorted on its tasks alone, with rows made for the
    page only (a tab of 10,000 is sorted without making 10,000 rows); None where that does not
    apply (a filter, the amount order, another tab): `select` then."""
    if query.tab != "todo" or query.filtered or query.order not in ("due", "newest", "oldest"):
        return None
    with state.lock:
        tasks = [state.tasks[t] for t in state.open_by_assignee.get(username, {})]
        returned = [Row(state.instances[i], None, state.instances[i].updated, "returned")
                    for i in state.returned_to.get(username, {})]
    now, newest = look.now, query.order == "newest"
    if query.order == "due":
        def key(due: str, at: str, ident: str) -> tuple[Any, ...]:
            return (not (due and due <= now), not due, due, at)
    else:
        def key(due: str, at: str, ident: str) -> tuple[Any, ...]:
            return (at, ident)
    tasks.sort(key=lambda t: key(t.due, t.created, t.id), reverse=newest)
    returned.sort(key=lambda r: key("", r.at, r.key), reverse=newest)
    total = len(tasks) + len(returned)
    pages = max(1, -(-total // size))
    page = min(max(query.page, 1), pages)
    merged = heapq.merge(tasks, returned, reverse=newest,
                         key=lambda x: key("", x.at, x.key) if isinstance(x, Row) else key(x.due, x.created, x.id))
    shown = list(itertools.islice(merged, (page - 1) * size, page * size))
    with state.lock:
        rows = [x if isinstance(x, Row) else Row(state.instances[x.instance], x, x.created) for x in shown]
    return Page(rows, total, page, pages)


@dataclass(frozen=True)
class Page:
    """One page of a tab's selected rows."""

    rows: list[Row]
    total: int
    page: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)


def page_of(rows: list[Row], page: int, size: int = PAGE_SIZE) -> Page:
    """The `page`-th slice of `rows` (past the last page: the last page)."""
    pages = max(1, -(-len(rows) // size))
    page = min(max(page, 1), pages)
    return Page(rows[(page - 1) * size:page * size], len(rows), page, pages)


def page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """The page links to show: the first, the last, and a few around the current page (None: a gap)."""
    wanted = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    out: list[int | None] = []
    for number in wanted:
        if out and out[-1] is not None and number - out[-1] > 1:  # type: ignore[operator]
            out.append(None)
        out.append(number)
    return out
