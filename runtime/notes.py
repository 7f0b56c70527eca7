"""What formflow itself writes into the record, and how the record is read in the reader's language.

The assignment policies, delegation, the engine and escalation say what they did in words: a
task's `note`, a skip's `reason`, an automatic decision's `comment` (or `reason`), an escalated
transfer's `comment`, an escalation's `skipped`. Each such sentence is made from one of the
messages below (a template: `N_` with its %(name)s params open, filled in with `.fill(...)`).

**The event keeps the English sentence, exactly as before, and nothing else**: no msgid or params
are stored beside it. The event log is the tamper-evident record; replay, `formflow audit verify`
and the JSON API read it as it is, and events keep their shapes. Instead, `read` (used by
`runtime.web.timeline`) recognises a recorded sentence by matching it against these templates,
params that are messages themselves included (`nobody fits role "finance"; routed to the
process admin`), and gives back the `Text` to show in the reader's language. That costs no change
to any event and also translates records written before these messages were marked, as long as
their English is the same; a sentence that matches none (a person's own words, an older
wording) is shown as it was written. Only fields formflow writes are read this way, never what a
person typed. A test makes sure every template reads back into itself.
"""
from __future__ import annotations

from typing import Any

from runtime.i18n import N_, Reader, Text

# delegation while away (runtime/delegation.py)
AWAY = N_("%(who)s is away until %(end)s; delegated to %(to)s")

# the flow's policies (runtime/assignment.py)
ONLY_APPROVER_SKIPPED = N_("the submitter is this step's only approver; step skipped (flow policy)")
NOBODY_ELSE = N_("the submitter may not approve their own request and nobody else fits")
APPROVES_THEMSELF = N_("the submitter approves this step themself (flow policy)")
TO_SUPERIOR = N_("the submitter may not approve their own request; sent to their superior")
SKIPPED = N_("%(why)s; step skipped (flow policy)")
AUTO_APPROVED = N_("%(why)s; approved automatically (flow policy)")
NO_ADMIN = N_("%(why)s, and there is no process admin; step skipped")
TO_ADMIN = N_("%(why)s; routed to the process admin")

# who a step's assignee names (runtime/engine.py, runtime/org.py `describe`)
NOBODY_FITS = N_("nobody fits %(who)s")
RULESET_NAMED_NOBODY = N_('ruleset "%(ruleset)s" v%(version)s named %(named)s, who is nobody here')
NAMED_BY_RULESET = N_('named by ruleset "%(ruleset)s" v%(version)s, output "%(output)s"')
REPEAT_APPROVER = N_("approved automatically: %(who)s approved the step before")
# a re-run after a change of the data (runtime/coverage.py): a step whose approvals still match it
READS_ONLY = N_("%(who)s reads the record only (an auditor) and cannot be given a task")
APPROVAL_STANDS = N_("the approval of %(who)s still covers the data; not asked again")
ROLE = N_('role "%(role)s"')
USER = N_('user "%(user)s"')
HEADS_UP_TO = N_("the submitter's heads up to %(levels)s level(s)")
FIELD = N_('the person or department in field "%(field)s"')
HEAD_LEVELS_UP = N_("the submitter's head %(levels)s level(s) up")
CHOSEN = N_("whoever the submitter chose")

# a sub-process ended with what started it (runtime/engine.py; the `reason` of its finish)
PARENT_RETURNED = N_("the request that started it was returned")
PARENT_ENDED = N_("the request that started it ended")

# deadlines' escalation (runtime/escalation.py)
ESCALATED = N_("escalated: not handled within %(after)s")
AUTO_APPROVED_LATE = N_("approved automatically: no decision within %(after)s")
AUTO_REJECTED_LATE = N_("rejected automatically: no decision within %(after)s")
NO_SUPERIOR = N_("not transferred: %(who)s has no superior")
SUPERIOR_FILED = N_("not transferred: %(who)s answers to the person who filed the request")
NOT_APPROVED = N_("not approved: %(problem)s")
NOT_REJECTED = N_("not rejected: %(problem)s")
WORKING_DAY = N_("%(amount)s working day")
WORKING_DAYS = N_("%(amount)s working days")
WORKING_HOUR = N_("%(amount)s working hour")
WORKING_HOURS = N_("%(amount)s working hours")

TEMPLATES: tuple[Text, ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Text))
_reader = Reader(t.msgid for t in TEMPLATES)


def read(sentence: Any) -> str:
    """A sentence formflow recorded, as the `Text` that made it (to show translated), or as it is."""
    return _reader.read(str(sentence)) if isinstance(sentence, str) else sentence
