"""A human step's time limit and escalation ladder in a short phrase, in the reader's language:
"2 working days, then reminds; after 3 working days goes to the superior".

The step card (runtime.web.flow_words) and the change log (runtime.flow_changes) say it the same
way. Pure over the plain documents of a draft, which may be unfinished: a rung not yet complete
is left out rather than guessed at. A rung at the time limit reads "then …", the others "after
<time> …", in the order the step lists them (the order the designer sees in the panel).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from builder.deadlines import ESCALATION_ACTIONS, TIME_UNITS, Duration
from runtime import i18n
from runtime.deadlines import duration_words
from runtime.i18n import N_

DOES = {"remind": N_("reminds"), "urge": N_("urges"), "transfer_superior": N_("goes to the superior"),
        "auto_approve": N_("is approved automatically"), "auto_reject": N_("is rejected automatically")}
assert set(DOES) == set(ESCALATION_ACTIONS)
AT_LIMIT = N_("then %(action)s")
AFTER = N_("after %(after)s %(action)s")
LIMIT_THEN = N_("%(limit)s, %(rung)s")  # the first rung at the time limit follows it directly
ONE_AFTER_ANOTHER = N_("%(before)s; %(rung)s")


def duration(doc: Any) -> Duration | None:
    """A complete {amount, unit} as a Duration, else None (an unfinished or broken one)."""
    if isinstance(doc, Mapping) and doc.get("unit") in TIME_UNITS and isinstance(doc.get("amount"), int) \
            and not isinstance(doc.get("amount"), bool):
        return Duration(doc["amount"], doc["unit"])
    return None


def rung_words(rung: Any, deadline: Duration | None) -> str:
    """One rung: "then reminds" at the time limit, "after 3 working days goes to the superior"."""
    after = duration(rung.get("after")) if isinstance(rung, Mapping) else None
    action = rung.get("action") if isinstance(rung, Mapping) else None
    if after is None or action not in DOES:
        return ""
    does = i18n.localized(DOES[action])
    if after == deadline:
        return i18n.localized(AT_LIMIT.fill(action=does))
    return i18n.localized(AFTER.fill(after=duration_words(after).localized(), action=does))


def timing_words(deadline: Any, escalation: Any = ()) -> str:
    """The time limit and the ladder in one phrase; "" when the step has neither."""
    limit = duration(deadline)
    rungs = _rungs(escalation, limit)
    if limit is None:
        return _joined(rungs)
    said = duration_words(limit).localized()
    if not rungs:
        return said
    return _joined([i18n.localized(LIMIT_THEN.fill(limit=said, rung=rungs[0])), *rungs[1:]])


def ladder_words(escalation: Any) -> str:
    """The ladder alone, each rung by its time (for the change log): "after 2 working days
    reminds; after 3 working days urges"; "" when it has no complete rung."""
    return _joined(_rungs(escalation, None))


def _rungs(escalation: Any, limit: Duration | None) -> list[str]:
    rungs = escalation if isinstance(escalation, list | tuple) else ()
    return [w for w in (rung_words(r, limit) for r in rungs) if w]


def _joined(parts: list[str]) -> str:
    said = parts[0] if parts else ""
    for part in parts[1:]:
        said = i18n.localized(ONE_AFTER_ANOTHER.fill(before=said, rung=part))
    return said
