"""A flow's changes (`builder.flow_diff.FlowChange`) in words, in the current reader's language:
`Step "Legal review": who acts: role "legal" → role "finance"`, `Step "Major contract": the
condition of priority 1 changed`, `Step "Legal review": escalation: after 2 working days reminds →
after 2 working days reminds; after 3 working days goes to the superior`.

The change records keep the structured changes (as a form's do), so one version reads in Chinese
for one designer and in English for another.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from builder.deadlines import Duration
from builder.flow_diff import FlowChange
from builder.flows import Assignee
from builder.policies import POLICY_CHOICES
from builder.text import localize
from runtime import i18n, notes, policy_words
from runtime.i18n import gettext
from runtime.ladder_words import ladder_words
from runtime.org import describe

_ = i18n.N_

PROPERTY_NAMES = {
    "title": _("name"), "description": _("description"), "form": _("form"), "form_version": _("form version"), "rulesets": _("rulesets"),
    "reject_codes": _("rejection reasons"), "start_fields": _("start form fields"), "urgent": _("green channel"),
    "scenarios": _("saved scenarios"),
    "assignee": _("who acts"), "mode": _("approval mode"), "deadline": _("time limit"),
    "escalation": _("escalation"), "fields": _("field permissions"), "ruleset": _("deciding ruleset"),
    "process": _("sub-process"), "inputs": _("sub-process inputs"), "kind": _("kind"),
    "repeat_approver": _("same approver again"), "no_assignee": _("nobody fits"),
    "submitter_approver": _("submitter is an approver"), "on_reject": _("when rejected"),
}
SHOWN_VALUES = ("form", "form_version", "rulesets", "mode", "ruleset", "process", "kind", "repeat_approver", "no_assignee",
                "submitter_approver", "on_reject", "owner", "category", "level", "value_chain", "parent", "effective_date",
                "target_pass_rate")


def change_words(changes: list[FlowChange]) -> list[str]:
    """Each change as one line a designer or auditor reads."""
    return [_words(change) for change in changes]


def _words(c: FlowChange) -> str:
    render = _RENDERERS.get(c.kind)
    return render(c) if render else f"{c.kind} {c.step} {c.name}".strip()


def _text(label: Any) -> str:
    return localize(label, i18n.current_locale.get()) if label else ""


def _say(msgid: str, **params: Any) -> str:
    return gettext(msgid) % params


def _step(c: FlowChange) -> str:
    return _say(_('Step "%(step)s"'), step=_text(c.title) or c.step)


def _property(name: str) -> str:
    return gettext(PROPERTY_NAMES[name]) if name in PROPERTY_NAMES else name.replace("_", " ")


def _value(name: str, value: Any) -> str:
    """A value as the reader knows it: who acts in words, a time limit in working days."""
    if name == "form_version" and value is None:
        return gettext(_("the latest published"))
    if name in POLICY_CHOICES:  # a step's own choice; None: it follows the process
        return policy_words.choice_name(name, str(value)) if value else gettext(_("as the process says"))
    if name == "on_reject":
        return policy_words.reject_rule(value, str)
    if value is None or value == "" or value == []:
        return gettext(_("(none)"))
    if name == "assignee" and isinstance(value, dict) and "kind" in value:
        return i18n.localized(describe(Assignee.from_dict(value)))
    if name in ("deadline", "time_limit") and isinstance(value, dict):
        duration = Duration.from_dict(value)
        message = {("days", True): notes.WORKING_DAY, ("days", False): notes.WORKING_DAYS,
                   ("hours", True): notes.WORKING_HOUR}.get((duration.unit, duration.amount == 1), notes.WORKING_HOURS)
        return i18n.localized(message.fill(amount=duration.amount))
    if name == "escalation" and isinstance(value, list):
        return ladder_words(value) or gettext(_("(none)"))
    if isinstance(value, dict) and set(value) <= {"zh_CN", "en"}:
        return _text(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _changed(what: str, c: FlowChange) -> str:
    if c.name in SHOWN_VALUES or c.name in ("assignee", "deadline", "time_limit", "title", "escalation"):
        return _say(_("%(what)s: %(property)s: %(before)s → %(after)s"), what=what, property=_property(c.name),
                    before=_value(c.name, c.before), after=_value(c.name, c.after))
    return _say(_("%(what)s: %(property)s changed"), what=what, property=_property(c.name))


def _where(container: Any) -> str:
    if not container:
        return gettext(_("the main path"))
    step, _sep, place = str(container).partition("/")
    if place == "else":
        return _say(_('"otherwise" of %(step)s'), step=step)
    number = place[1:]
    if place.startswith("b"):
        return _say(_("branch %(n)s of %(step)s"), n=int(number) + 1, step=step)
    return _say(_("lane %(n)s of %(step)s"), n=int(number) + 1, step=step)


_RENDERERS: dict[str, Callable[[FlowChange], str]] = {
    "created": lambda c: _say(_('New process "%(title)s"'), title=_text(c.title)),
    "process": lambda c: _changed(gettext(_("Process")), c),
    "policy": lambda c: _changed(gettext(_("Policy")), c),
    "meta": lambda c: _changed(gettext(_("Process property")), c),
    "step_added": lambda c: _say(_("%(step)s added (%(kind)s) on %(where)s"), step=_step(c), kind=c.name,
                                 where=_where(c.after)),
    "step_removed": lambda c: _say(_("%(step)s removed"), step=_step(c)),
    "step_moved": lambda c: _say(_("%(step)s moved from %(before)s to %(after)s"), step=_step(c),
                                 before=_where(c.before), after=_where(c.after))
    if c.before != c.after else _say(_("%(step)s moved within %(where)s"), step=_step(c), where=_where(c.after)),
    "step_renamed": lambda c: _say(_('%(step)s renamed from "%(before)s"'), step=_step(c), before=_text(c.before)),
    "step": lambda c: _changed(_step(c), c),
    "branch_added": lambda c: _say(_("%(step)s: a branch added at priority %(n)s"), step=_step(c), n=c.name),
    "branch_removed": lambda c: _say(_("%(step)s: the branch at priority %(n)s removed"), step=_step(c), n=c.name),
    "branch_changed": lambda c: _say(_("%(step)s: what takes the branch at priority %(n)s changed"),
                                     step=_step(c), n=c.name),
}
