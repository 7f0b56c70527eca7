"""The one vocabulary of events: every kind declared once, with its fields and their types.

An event is what the log stores and what the projection (`runtime.state`), the timeline
(`runtime.web.timeline`) and the audit (`runtime.audit`) read: a plain JSON object naming its
kind (`action`), its instance, when (`at`) and who (`actor`), the fields its kind declares here, and
the shape's version (`v`). Writers build events only through `new` (and `amended` / `amend` for
the few that add a field on the way: a post-hoc task's due date, a command's request id), and the
service checks every batch against `KINDS` before it appends it (`check_batch`), so a line the
server could not read back never reaches the log.

Reading goes through `read`: a line of an older shape is migrated (`MIGRATIONS`, as export formats
keep `from_format_N`: SpiffWorkflow's serializer keeps a table the same way), then checked; a line
of an unknown kind or shape raises `UnreadableEvent` naming its sequence number, and the server
does not start on it (`formflow audit verify` reports it too). A line without `v` is version 1.

Versions:
1. the shape before versions were written (no `v`); early returns did not name `resume`.
2. `v` on every line; a return always names the step it resumes at (`resume`).
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from runtime.errors import UnreadableEvent

__all__ = ["KINDS", "LOG_FIELDS", "MIGRATIONS", "SCHEMA_VERSION", "VERSION", "Event", "Kind", "UnreadableEvent",
           "amend", "amended", "check_batch", "json_schema", "new", "problem", "read"]

Event = dict[str, Any]

SCHEMA_VERSION = 2
VERSION = "v"  # the field that carries the shape's version; absent on version 1 lines

_STR, _INT, _BOOL, _LIST, _DICT = (str,), (int,), (bool,), (list,), (dict,)
_INT_OR_NONE = (int, type(None))

ENVELOPE: Mapping[str, tuple[type, ...]] = MappingProxyType(
    {"action": _STR, "instance": _STR, "at": _STR, "actor": _STR, VERSION: _INT})
LOG_FIELDS: Mapping[str, tuple[type, ...]] = MappingProxyType(
    {"seq": _INT, "prev": _STR, "commit": _BOOL, "mac": _STR})  # the log's own (`runtime.store.eventlog`, `.chain`)
REQUEST: Mapping[str, tuple[type, ...]] = MappingProxyType(
    {"request": _STR})  # the request id on a command's first event (`Workflow._commit`): retries are answered once


@dataclass(frozen=True)
class Kind:
    """One kind of event: the fields it always carries and those it may, each with its JSON types.
    `fields` and `always` add the envelope, the log's fields and the request id, for `problem`."""

    name: str
    required: Mapping[str, tuple[type, ...]]
    optional: Mapping[str, tuple[type, ...]]
    fields: Mapping[str, tuple[type, ...]] = field(init=False, repr=False, compare=False)
    always: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", {**ENVELOPE, **LOG_FIELDS, **REQUEST, **self.optional, **self.required})
        object.__setattr__(self, "always", frozenset(ENVELOPE) | frozenset(self.required))


def _kind(name: str, required: Mapping[str, tuple[type, ...]] = MappingProxyType({}),
          **optional: tuple[type, ...]) -> Kind:
    return Kind(name, dict(required), optional)


_ON_TASK = {"step": _STR, "task": _STR}  # an event about one task of one step
_DECISION_OPTIONAL = {  # what a decision on a task may also carry
    "changes": _DICT,  # the step's edits of the data: {"field": {"from", "to"}}
    "resumed": _STR,  # the step a returned request came straight back to
    "auto": _BOOL,  # decided by the system (a policy, or a deadline's escalation)
}
_SIGNED_OPTIONAL = {  # a person's approval or completion: what it covered (`runtime.coverage`)
    "digest": _STR,  # hex SHA-256 of the data that person passed
}
_SENT_BACK = {  # a rejection that sent the request back (the step's on_reject): where, and where it resumes
    "to": _STR, "resume": _STR, "instead_of": _STR,
}

_KINDS: dict[str, Kind] = {k.name: k for k in (
    _kind("start", {"process": _STR, "department": _STR, "data": _DICT, "flow_version": _INT, "form": _STR,
                    "form_version": _INT, "rulesets": _DICT},
          serials=_DICT, chosen=_DICT, parent=_DICT, urgent=_DICT),
    _kind("task", {**_ON_TASK, "kind": _STR, "assignee": _STR},
          note=_STR, queue=_LIST, due=_STR, post_hoc=_BOOL, **{"for": _STR}),
    _kind("approve", {**_ON_TASK, "comment": _STR}, **_DECISION_OPTIONAL, **_SIGNED_OPTIONAL),
    _kind("complete", {**_ON_TASK, "comment": _STR}, **_DECISION_OPTIONAL, **_SIGNED_OPTIONAL),
    _kind("reject", {**_ON_TASK, "reason": _STR}, code=_STR, **_DECISION_OPTIONAL, **_SENT_BACK),
    _kind("cancel", _ON_TASK),
    _kind("finish", {"status": _STR}, ended_by=_STR, reason=_STR),
    _kind("withdraw"),
    _kind("return", {**_ON_TASK, "to": _STR, "reason": _STR, "resume": _STR}),
    _kind("resubmit", {"data": _DICT}, resumed=_STR),
    _kind("transfer", {**_ON_TASK, "to": _STR}, comment=_STR),
    _kind("add_signer", {**_ON_TASK, "user": _STR, "position": _STR}),
    _kind("comment", {"comment": _STR}),
    _kind("urge", {**_ON_TASK, "assignee": _STR}),
    _kind("overdue", {**_ON_TASK, "due": _STR, "assignee": _STR}),
    _kind("escalate", {**_ON_TASK, "rung": _INT, "do": _STR, "after": _DICT, "assignee": _STR}, skipped=_STR),
    _kind("decide", {"step": _STR}, branch=_INT_OR_NONE, ruleset=_STR, ruleset_version=_INT, fired=_LIST,
          default_used=_BOOL, outcome=_DICT, inputs=_DICT, trace=_LIST),
    _kind("notify", {"step": _STR, "recipients": _LIST}),
    _kind("skip", {"step": _STR}, reason=_STR),
    _kind("fork", {"step": _STR, "lanes": _INT}),
    _kind("arrive", {"step": _STR, "lane": _INT}),
    _kind("join", {"step": _STR}),
    _kind("subflow", {"step": _STR, "process": _STR, "child": _STR}),
    _kind("subflow_done", {"step": _STR, "child": _STR, "status": _STR}),
    _kind("urgent_skip", {"step": _STR}),
    # a definition published, of no request (`instance` ""): its SHA-256 as stored (`runtime.definition_seals`);
    # `adopted`: found stored before definitions were sealed, and sealed as found
    _kind("publish", {"kind": _STR, "key": _STR, "version": _INT, "digest": _STR}, adopted=_BOOL),
    # the organisation as a start found it, when it differs from the last one recorded (of no request):
    # its SHA-256 and who holds which roles; `adopted`: the first one recorded
    _kind("org", {"digest": _STR, "roles": _DICT}, adopted=_BOOL),
    # an earlier step's approvals no longer cover the data (`runtime.coverage`): who approved, their
    # tasks, what changed since ({field: {"from", "to"}}), "resubmit" or "edit", steps still standing
    _kind("invalidate", {"step": _STR, "approvers": _LIST, "tasks": _LIST, "changes": _DICT, "cause": _STR,
                         "standing": _LIST}),
)}
KINDS: Mapping[str, Kind] = MappingProxyType(_KINDS)
"""Every kind of event, by name (its `action`): the one place a kind or a field is declared."""


# --- writing ------------------------------------------------------------------------------------

def new(kind: str, instance: str, at: str, actor: str, /, **fields: Any) -> Event:
    """An event of a declared kind, in the current shape. The batch it goes out in is checked as a
    whole before it is appended (`check_batch`); here only the kind, so a typo fails where it is made."""
    if kind not in _KINDS:
        raise ValueError(f"no event kind {kind!r} is declared in runtime/events.py")
    return {"action": kind, "instance": instance, "at": at, "actor": actor, **fields, VERSION: SCHEMA_VERSION}


def amended(event: Event, /, **fields: Any) -> Event:
    """A copy of `event` with some fields added or changed (it stays the same kind and instance)."""
    return {**event, **fields}


def amend(event: Event, /, **fields: Any) -> None:
    """Add fields to an event still being built (its command has not returned it yet)."""
    event.update(fields)


def check_batch(events: Iterable[Event]) -> None:
    """Refuse a batch with an event the log could not read back: a writer's mistake, caught before
    it is appended (after, the server would not start on it)."""
    for event in events:
        if (wrong := problem(event)) is not None:
            raise ValueError(f"refusing to write a {event.get('action')!r} event of instance "
                             f"{event.get('instance')!r}: {wrong}")


# --- reading ------------------------------------------------------------------------------------

def _from_version_1(line: Event) -> Event:
    """Version 1 had no `v`; a return of the earliest logs did not say where the request resumes:
    at the returning step, as the projection then assumed."""
    if line.get("action") == "return" and "resume" not in line and isinstance(line.get("step"), str):
        line = {**line, "resume": line["step"]}
    return {**line, VERSION: 2}


MIGRATIONS: Mapping[int, Callable[[Event], Event]] = MappingProxyType({1: _from_version_1})
"""Version N → N + 1, applied in turn from a line's version up to `SCHEMA_VERSION`."""


def read(line: Event, seq: int | None = None) -> Event:
    """The event a log line records, in the current shape: migrated from its version, then checked.

    Raises `UnreadableEvent` naming the line's sequence number (`seq`, else the line's own) when
    the line is of a newer or unknown version, an undeclared kind, or lacks a field or has one of
    the wrong type or not declared for its kind."""
    seq = line.get("seq") if seq is None else seq
    version = line.get(VERSION, 1)
    if version != SCHEMA_VERSION:
        if version.__class__ is not int or not 1 <= version < SCHEMA_VERSION:
            raise UnreadableEvent(seq, f"its version {version!r} is not one this server reads "
                                       f"(1 to {SCHEMA_VERSION})")
        while version < SCHEMA_VERSION:
            line = MIGRATIONS[version](line)
            version += 1
    if (wrong := problem(line)) is not None:
        raise UnreadableEvent(seq, wrong)
    return line


def problem(event: Mapping[str, Any]) -> str | None:
    """What is wrong with an event of the current shape, or None: its kind, a missing field, an
    undeclared field, or a field of the wrong type.

    That depends only on the event's kind, its field names and the classes of their values, and
    lines of one kind come in a handful of such shapes: each shape is judged once (`_shape_problem`),
    so the check on every command and every start-up line is a look-up."""
    action = event.get("action")
    if action.__class__ is not str:
        return f"its kind (action) is {_json_type(action)}, not text"
    return _shape_problem(action, tuple(event), tuple(map(type, event.values())))


@functools.lru_cache(maxsize=4096)
def _shape_problem(action: str, names: tuple[str, ...], classes: tuple[type, ...]) -> str | None:
    kind = _KINDS.get(action)
    if kind is None:
        return f"unknown kind {action!r}"
    for name, cls in zip(names, classes):
        types = kind.fields.get(name)
        if types is None:
            return f"a {kind.name!r} event has no field {name!r}"
        if cls not in types and (cls is bool or not issubclass(cls, types)):
            return (f"field {name!r} of a {kind.name!r} event is {_json_type(cls)}, "
                    f"not {' or '.join(_json_type(t) for t in types)}")
    if missing := sorted(kind.always.difference(names)):
        return f"a {kind.name!r} event lacks {', '.join(map(repr, missing))}"
    return None


_JSON_TYPES = {str: "text", int: "a whole number", bool: "true or false", list: "a list", dict: "an object",
               float: "a number", type(None): "null"}


def _json_type(value: Any) -> str:
    cls = value if isinstance(value, type) else value.__class__
    return next((word for t, word in _JSON_TYPES.items() if issubclass(cls, t) and not (t is int and cls is bool)),
                cls.__name__)


_SCHEMA_TYPES = {str: "string", int: "integer", bool: "boolean", list: "array", dict: "object", float: "number",
                 type(None): "null"}


def json_schema(omit: Iterable[str] = ()) -> dict[str, Any]:
    """An event as JSON Schema, for the API's description of a request's record (`omit`: the
    fields the API leaves out): the envelope always, `action` one of `KINDS`, any other field a
    kind may carry with the JSON types declared for it here."""
    left_out = set(omit)
    types: dict[str, set[str]] = {}
    for kind in KINDS.values():
        for name, classes in kind.fields.items():
            types.setdefault(name, set()).update(_SCHEMA_TYPES[c] for c in classes)
    properties: dict[str, Any] = {name: {"type": sorted(found)} for name, found in sorted(types.items())
                                  if name not in left_out}
    properties["action"] = {"enum": sorted(KINDS)}
    return {"type": "object", "required": sorted({*ENVELOPE, "seq"} - left_out), "properties": properties}
