"""Form fields the flow relies on that are the wrong kind, or that the form no longer has where
`validate_flow` does not look: an assignee chosen in a field that does not hold a person or a
department, and rulesets that read fields the (perhaps newer) form lacks."""
from __future__ import annotations

from typing import Any

from rules.errors import Problem
from rules.ruleset import validate_ruleset
from runtime.flow_checks.facts import Facts
from runtime.i18n import N_

PERSON_TYPES = ("user", "department")
NOT_A_PERSON = N_("'%(field)s' is not a Person or Department field: choose who acts in one of those "
                  "(a text or choice field is accepted in older flows only)")
RULESET_MISFIT = N_('ruleset "%(ruleset)s" does not fit this form: %(problem)s')


def assignee_field(path: str, step: dict[str, Any], facts: Facts) -> list[Problem]:
    """An assignee chosen in a form field must be chosen in a Person or Department field."""
    assignee = step.get("assignee")
    if not isinstance(assignee, dict) or assignee.get("kind") != "field":
        return []
    key = assignee.get("field")
    kind = facts.form.field_types().get(key) if isinstance(key, str) else None
    if kind is None or kind in PERSON_TYPES:
        return []  # an unknown field is validate_flow's to report
    return [Problem(f"{path}.assignee.field", NOT_A_PERSON.fill(field=facts.field_name(key)))]


def ruleset_inputs(doc: dict[str, Any], facts: Facts) -> list[Problem]:
    """Each ruleset the flow consults must read fields this form has, of fitting types."""
    listed = doc.get("rulesets")
    out: list[Problem] = []
    for index, key in enumerate(listed if isinstance(listed, list) else ()):
        ruleset = facts.rulesets.get(key) if isinstance(key, str) else None
        if ruleset is None:
            continue
        out += [Problem(f"rulesets[{index}]", RULESET_MISFIT.fill(ruleset=key, problem=problem.message))
                for problem in validate_ruleset(ruleset.to_dict(), facts.form.field_types())
                if problem.path.startswith("inputs")]
    return out
