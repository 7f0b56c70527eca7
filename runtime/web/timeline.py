"""The instance record in words: each event as a line a person (or an auditor) can read.

What formflow wrote in an event itself (a task's note, an automatic decision's comment, a skip's
reason, …) is recorded in English; `_said` reads it back into its message (`runtime.notes`) and
shows it in the reader's language. What a person wrote is shown as they wrote it."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from builder.deadlines import Duration
from builder.flows import BranchStep
from builder.forms import Field, Form
from builder.text import Label, localize
from runtime import i18n, notes
from runtime.condition_names import subject_names
from rules.conditions import EXISTENCE, MEMBERSHIP, REF
from runtime.coverage import CAUSE_EDIT, INVALIDATE, SIGNED, data_changes
from runtime.deadlines import duration_words
from runtime.engine import SYSTEM, Definitions
from runtime.org import Organisation
from runtime.state import apply_changes
from runtime.web import values

_OPERATORS = {"$gt": ">", "$gte": "≥", "$lt": "<", "$lte": "≤", "$ne": "≠"}


@dataclass(frozen=True)
class Entry:
    seq: int
    at: str
    actor: str  # "" for an event whose words name their own subject (`_SENTENCES`)
    action: str
    step: str
    text: str
    detail: str = ""
    changes: tuple[str, ...] = ()  # what an edit at a step changed, a line per field (or table cell)


_SENTENCES = frozenset({"fork", "arrive", "join", "subflow", "subflow_done", "decide", "invalidate", "overdue",
                        "finish"})
"""The kinds whose words name their own subject (a step, the request): shown without an actor."""


def _name(org: Organisation, username: str) -> str:
    if username == SYSTEM:
        return i18n.gettext("formflow")
    return org.name_of(username, i18n.current_locale.get())


CHOICE_TYPES = ("checkbox", "select", "radio", "multiselect")  # values a person reads by their label


def _value(value: Any, f: Field | None = None) -> str:
    """A value in a condition's words: a box as Yes/No and an option by its label, as the form
    shows them (never Python's `True`); a number grouped."""
    if f is not None and f.type in CHOICE_TYPES:
        return values.shown(f, value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return values.number(value)
    return str(value)


def _said(event: dict[str, Any], key: str) -> str:
    """`event[key]`, written by formflow, in the reader's language (as recorded if unrecognised)."""
    return i18n.localized(notes.read(event.get(key, ""))) if event.get(key) else ""


def _detail(event: dict[str, Any], key: str) -> str:
    """A comment or reason: formflow's own (an automatic decision or transfer) translated, a person's as written."""
    return _said(event, key) if event.get("auto") or event.get("actor") == SYSTEM else event.get(key, "")


def describe_condition(condition: Any, inputs: dict[str, Any], fields: Mapping[str, Field] | None = None,
                       names: Mapping[str, Label] | None = None) -> str:
    """`{"$gt": {"total": 5000}}` with total 12000 → `Total 12,000 > 5,000`; `{"foreign": true}` →
    `Foreign-related contract = Yes` (with the form's `fields`, their option labels); what it
    names in the condition builder's words (`names`, `runtime.condition_names.subject_names`):
    `leave_period.days` → `Leave period: days`."""
    fields = fields or {}
    names = names or {}
    locale = i18n.current_locale.get()

    def label(name: str) -> str:
        if name in names:
            return localize(names[name], locale) or name
        return localize(fields[name].label, locale) or name if name in fields else name

    def limit_words(limit: Any, f: Field | None) -> str:
        if isinstance(limit, dict) and isinstance(limit.get(REF), str):  # another field's value
            other = limit[REF]
            return f"{label(other)} {_value(inputs[other], fields.get(other))}" if other in inputs else label(other)
        return _value(limit, f)

    if not isinstance(condition, dict):
        return ""
    _ = i18n.gettext
    parts = []
    for op, operand in condition.items():
        if op in ("$and", "$or") and isinstance(operand, list):
            joiner = _(" and ") if op == "$and" else _(" or ")
            parts.append(joiner.join(describe_condition(c, inputs, fields, names) for c in operand))
        elif op in _OPERATORS and isinstance(operand, dict):
            for name, limit in operand.items():
                f = fields.get(name)
                parts.append(f"{label(name)} {_value(inputs.get(name, '—'), f)} {_OPERATORS[op]} {limit_words(limit, f)}")
        elif op in MEMBERSHIP and isinstance(operand, dict):
            for name, allowed in operand.items():
                f = fields.get(name)
                listed = _(", ").join(_value(v, f) for v in allowed) if isinstance(allowed, list) else _value(allowed, f)
                said = _("%(field)s is %(value)s, one of %(listed)s") if op == "$in" else \
                    _("%(field)s is %(value)s, none of %(listed)s")
                parts.append(said % {"field": label(name), "value": _value(inputs.get(name, "—"), f), "listed": listed})
        elif op in EXISTENCE and isinstance(operand, dict):
            said = _("%(field)s is filled in") if op == "$ex" else _("%(field)s is empty")
            parts.extend(said % {"field": label(name)} for name in operand)
        elif op == "$mt" and isinstance(operand, dict):
            parts.extend(_("%(field)s matches the pattern %(pattern)s") % {"field": label(name), "pattern": pattern}
                         for name, pattern in operand.items())
        elif not op.startswith("$"):
            parts.append(f"{label(op)} = {limit_words(operand, fields.get(op))}")
    return _(" and ").join(parts)


def decision_words(event: dict[str, Any], defs: Definitions) -> tuple[str, str]:
    """What was decided (the fired row's note, else the branch taken) and why, in words (the
    timeline and the flow designer's what-if panel)."""
    step = defs.flow.step(event["step"])
    locale = i18n.current_locale.get()
    fields = {f.key: f for f in defs.form.fields}
    names = subject_names(defs.form.to_dict())
    chosen = ""
    branch = None
    if isinstance(step, BranchStep) and event.get("branch") is not None:
        branch = step.branches[event["branch"]]
        ruleset = defs.rulesets.get(event.get("ruleset", ""))
        chosen = localize(branch.label, locale) or ", ".join(
            f"{localize(ruleset.output_label(k), locale) if ruleset else k} = {v}" for k, v in branch.outcome.items())
    if not event.get("ruleset"):
        if branch is None:
            return chosen, i18n.gettext("no branch condition held, so the other path is taken")
        because = describe_condition(branch.when, event.get("inputs", {}), fields, names)
        return chosen, i18n.gettext("because %(because)s") % {"because": because} if because else ""
    ruleset = defs.rulesets.get(event["ruleset"])
    ref = f'{localize(ruleset.title, locale) if ruleset and ruleset.title else event["ruleset"]} v{event["ruleset_version"]}'
    if event.get("default_used") or not event.get("fired"):
        return chosen, i18n.gettext("no rule row matched, so the default applies — %(ref)s") % {"ref": ref}
    row_number = event["fired"][0]
    row = ruleset.rows[row_number - 1] if ruleset and row_number <= len(ruleset.rows) else None
    because = describe_condition(row.when, event.get("inputs", {}), fields, names) if row else ""
    if row and row.note:
        chosen = localize(row.note, locale)
    rows = ", ".join(str(n) for n in event["fired"])
    if not because:
        return chosen, i18n.gettext("%(ref)s, row %(row)s") % {"ref": ref, "row": rows}
    why = i18n.gettext("because %(because)s — %(ref)s, row %(row)s") % {"because": because, "ref": ref, "row": rows}
    return chosen, why


def describe_changes(changes: dict[str, dict[str, Any]], form: Form,
                     org: Organisation | None = None) -> tuple[str, ...]:
    """A recorded diff in words: `Amount: 1,200.00 → 1,150.00`; a table line by line and cell by
    cell (`Invoices, line 2, Amount: 1,200.00 → 1,150.00`), lines added or removed as such.
    Values read as on the record (`runtime.web.values.shown`); `org` names people and departments."""
    _ = i18n.gettext
    locale = i18n.current_locale.get()
    lines: list[str] = []
    for key, change in changes.items():
        f = form.field(key)
        label = localize(f.label, locale) or key if f else key
        before, after = change.get("from"), change.get("to")
        if f is None or f.type != "table":
            lines.append(_("%(field)s: %(from)s → %(to)s") % {
                "field": label, "from": _shown(f, before, org, capitals=True), "to": _shown(f, after, org, capitals=True)})
            continue
        old_rows = before if isinstance(before, list) else []
        new_rows = after if isinstance(after, list) else []
        for index in range(max(len(old_rows), len(new_rows))):
            number = index + 1
            if index >= len(old_rows):
                cells = ", ".join(f"{localize(c.label, locale) or c.key} {_shown(c, new_rows[index].get(c.key))}"
                                  for c in f.columns if new_rows[index].get(c.key) is not None)
                lines.append(_("%(table)s, line %(n)s added: %(cells)s") % {
                    "table": label, "n": number, "cells": cells})
            elif index >= len(new_rows):
                lines.append(_("%(table)s, line %(n)s removed") % {"table": label, "n": number})
            else:
                for c in f.columns:
                    was, now = old_rows[index].get(c.key), new_rows[index].get(c.key)
                    if was != now:
                        lines.append(_("%(table)s, line %(n)s, %(column)s: %(from)s → %(to)s") % {
                            "table": label, "n": number, "column": localize(c.label, locale) or c.key,
                            "from": _shown(c, was), "to": _shown(c, now)})
    return tuple(lines)


def _shown(f: Field | None, value: Any, org: Organisation | None = None, *, capitals: bool = False) -> str:
    """A field's value as a person reads it: money with cents (and, for a form's own amounts, not
    each invoice line's, its capitals 大写), option labels, names, date ranges with their length;
    — for empty."""
    text = values.shown(f, value, org)
    if capitals and f is not None and f.type == "money" and (upper := values.capitals(value)):
        return f"{text} ({upper})"
    return text


def _step_title(defs: Definitions, step_id: str, locale: str) -> str:
    try:
        return localize(defs.flow.step(step_id).title, locale) or step_id
    except KeyError:
        return step_id


_FLOW_EVENTS = ("fork", "arrive", "join", "skip", "subflow", "subflow_done")


def _flow_event(event: dict[str, Any], defs: Definitions, step_title: str, locale: str) -> tuple[str, str]:
    """Parallel lanes, skipped steps and sub-processes, in words."""
    _ = i18n.gettext
    action = event["action"]
    if action == "fork":
        return _("%(step)s: %(count)s reviews run in parallel") % {"step": step_title, "count": event["lanes"]}, ""
    if action == "arrive":
        lanes = getattr(defs.flow.step(event["step"]), "branches", ())
        label = localize(lanes[event["lane"]].label, locale) if event["lane"] < len(lanes) else ""
        return _("%(step)s: the %(lane)s review is done") % {
            "step": step_title, "lane": label or str(event["lane"] + 1)}, ""
    if action == "join":
        return _("%(step)s: all parallel reviews are done") % {"step": step_title}, ""
    if action == "skip":
        return _("skipped %(step)s") % {"step": step_title}, _said(event, "reason")
    if action == "subflow":
        return _("%(step)s: started sub-process %(process)s") % {"step": step_title, "process": event["process"]}, \
            event["child"]
    return _("%(step)s: the sub-process ended (%(status)s)") % {"step": step_title, "status": event["status"]}, \
        event["child"]


def describe_events(events: tuple[dict[str, Any], ...], defs: Definitions, org: Organisation) -> list[Entry]:
    locale = i18n.current_locale.get()
    _ = i18n.gettext
    entries = []
    task_owner = {e["task"]: e["assignee"] for e in events if e["action"] == "task"}
    post_hoc = {e["task"] for e in events if e["action"] == "task" and e.get("post_hoc")}
    data: dict[str, Any] = {}  # the request's data as it stood before each event (as this reader may see it)
    for e in events:
        step_title = _step_title(defs, e["step"], locale) if e.get("step") else ""
        action = e["action"]
        detail = ""
        changes = describe_changes(e["changes"], defs.form, org) if e.get("changes") else ()
        if action == "start" and "urgent" in e:
            text, detail = _("submitted the request as urgent (green channel)"), e["urgent"]["reason"]
        elif action == "start":
            text = _("submitted the request")
        elif action == "task" and e.get("post_hoc"):
            text = _("asked %(who)s to approve %(step)s after the fact") % {
                "step": step_title, "who": _name(org, e["assignee"])}
            detail = _said(e, "note")
        elif action == "task":
            text = _("assigned %(step)s to %(who)s") % {"step": step_title, "who": _name(org, e["assignee"])}
            detail = _said(e, "note")
        elif action == "urgent_skip":
            text = _("skipped %(step)s: urgent start") % {"step": step_title}
        elif action in ("approve", "reject") and e.get("task") in post_hoc:
            text = (_("approved %(step)s after the fact") if action == "approve"
                    else _("rejected %(step)s after the fact: flagged for review")) % {"step": step_title}
            detail = _detail(e, "comment" if action == "approve" else "reason")
        elif action == "approve":
            text, detail = _("approved %(step)s") % {"step": step_title}, _detail(e, "comment")
        elif action == "reject" and "to" in e:  # the step's on_reject sent it back
            target = _("the submitter") if e["to"] == "submitter" else _step_title(defs, e["to"], locale)
            text = _("rejected %(step)s and sent it back to %(target)s") % {"step": step_title, "target": target}
            detail = _with_code(defs, e, _detail(e, "reason"), locale)
        elif action == "reject":
            text, detail = _("rejected %(step)s") % {"step": step_title}, _with_code(defs, e, _detail(e, "reason"), locale)
        elif action == "complete":
            text, detail = _("completed %(step)s") % {"step": step_title}, _detail(e, "comment")
        elif action == "decide":
            chosen, detail = decision_words(e, defs)
            text = (_("%(step)s: %(chosen)s") % {"step": step_title, "chosen": chosen} if chosen
                    else _("%(step)s: no extra approval") % {"step": step_title})
        elif action == "cancel":
            text = _("closed %(step)s for %(who)s: already decided") % {
                "step": step_title, "who": _name(org, task_owner.get(e["task"], ""))}
        elif action == "return":
            target = _("the submitter") if e["to"] == "submitter" else _step_title(defs, e["to"], locale)
            text, detail = _("returned %(step)s to %(target)s") % {"step": step_title, "target": target}, e["reason"]
        elif action == "resubmit":
            text = _("resubmitted the request")
            changes = describe_changes(data_changes(data, e["data"]), defs.form, org)
            if not changes:
                detail = _("nothing was changed")
        elif action == INVALIDATE:
            who = ", ".join(_name(org, a) for a in e["approvers"])
            text = (_("%(step)s runs again: an edit changed what %(who)s saw") if e["cause"] == CAUSE_EDIT
                    else _("%(step)s runs again: the resubmission changed what %(who)s saw")) % {
                "step": step_title, "who": who}
        elif action == "comment":
            text, detail = _("commented"), e["comment"]
        elif action == "withdraw":
            text = _("withdrew the request")
        elif action == "transfer":
            text = _("transferred %(step)s to %(who)s") % {"step": step_title, "who": _name(org, e["to"])}
            detail = _detail(e, "comment")
        elif action == "add_signer":
            text = (_("asked %(who)s to approve %(step)s first") if e["position"] == "before"
                    else _("asked %(who)s to approve %(step)s next")) % {"who": _name(org, e["user"]), "step": step_title}
        elif action == "urge":
            text = _("urged %(who)s on %(step)s") % {"step": step_title, "who": _name(org, e["assignee"])}
        elif action == "notify":
            text = _("copied %(who)s in (%(step)s)") % {
                "who": ", ".join(_name(org, r) for r in e["recipients"]), "step": step_title}
        elif action in _FLOW_EVENTS:
            text, detail = _flow_event(e, defs, step_title, locale)
        elif action == "overdue":
            text = _("%(step)s is overdue (%(who)s)") % {"step": step_title, "who": _name(org, e["assignee"])}
        elif action == "escalate":
            values = {"step": step_title, "who": _name(org, e["assignee"]), "after": duration_words(Duration.from_dict(e["after"])).localized()}
            text = (_("reminded %(who)s of %(step)s after %(after)s") if e["do"] == "remind"
                    else _("escalated %(step)s after %(after)s")) % values
            detail = _said(e, "skipped")
        elif action == "finish":
            text = {"completed": _("the request was completed"), "rejected": _("the request was rejected"),
                    "withdrawn": _("the request was withdrawn")}.get(e["status"], e["status"])
        else:
            text = action
        if action in _SENTENCES:  # its own subject: "The request was completed", not "formflow the request…"
            actor, text = "", text[:1].upper() + text[1:]
        else:
            actor = _name(org, e["actor"])
        entries.append(Entry(e.get("seq", 0), e["at"], actor, action, e.get("step", ""), text, detail, changes))
        if action in ("start", "resubmit"):
            data = e["data"]
        elif action in SIGNED and e.get("changes"):
            data = apply_changes(data, e["changes"])
    return entries


def _with_code(defs: Definitions, event: dict[str, Any], reason: str, locale: str) -> str:
    """A rejection's reason after its code's label, when the flow keeps a list of codes."""
    code = next((c for c in defs.flow.reject_codes if c.value == event.get("code")), None)
    if code is None:
        return reason
    return i18n.gettext("%(code)s: %(reason)s") % {"code": localize(code.label, locale) or code.value, "reason": reason}
