"""The checks of a flow that go deeper than its shape, in one place for the designer, the API and
publishing: branches that are never taken or let cases through that nobody decides on their whole
way, fields the form no longer has or that are the wrong kind, people the organisation cannot
supply, sub-processes that are missing or loop.

`builder.validation.validate_flow` checks the document itself (every key, type and reference);
`flow_checks` assumes it passed where it looks and passes over what it cannot read. Each check
is a small pure function over one step (or the flow) and the `Facts` it needs; what reads the
published processes goes through `ProcessCatalog`, which `runtime.service.Workflow` satisfies.

Every problem's path is relative to the flow document (`steps[1].assignee.role`), and its
message is a `Text` the designer shows in the reader's language.
"""
from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from builder.flows import step_paths
from builder.forms import Form
from rules.errors import Problem
from rules.ruleset import Ruleset
from runtime.flow_checks.branches import condition_branches, ruleset_branches
from runtime.flow_checks.deciding import decided_elsewhere
from runtime.flow_checks.facts import Facts, ProcessCatalog
from runtime.flow_checks.fields import assignee_field, ruleset_inputs
from runtime.flow_checks.people import assignee_people
from runtime.flow_checks.subflows import parent_process, subflow
from runtime.org import Organisation

__all__ = ["Facts", "ProcessCatalog", "flow_checks"]

StepCheck = Callable[[str, dict[str, Any], Facts], list[Problem]]

# Step kind → the checks of one step of that kind, in the order their problems are listed.
STEP_CHECKS: dict[str, tuple[StepCheck, ...]] = {
    "approval": (assignee_people, assignee_field),
    "task": (assignee_people, assignee_field),
    "notify": (assignee_people, assignee_field),
    "branch": (condition_branches, ruleset_branches),
    "subflow": (subflow,),
}


def flow_checks(doc: dict[str, Any], *, form: Form, rulesets: dict[str, Ruleset], org: Organisation,
                processes: ProcessCatalog, only: Collection[str] | None = None) -> list[Problem]:
    """Every problem beyond the document's shape, each at the JSON path of what it concerns
    (paths relative to the flow document: "steps[1].assignee.role"). Assumes `validate_flow`
    found nothing structural at those paths (skip what it cannot read). With `only`, just the
    checks of steps of those kinds (the importer's: see `Workflow.import_bundle`)."""
    key = doc.get("key")
    facts = Facts(key=key if isinstance(key, str) else "", form=form, rulesets=rulesets, org=org,
                  processes=processes, decided=decided_elsewhere(doc.get("steps")))
    out = ruleset_inputs(doc, facts) + parent_process(doc, facts) if only is None else []
    for path, step in step_paths(doc.get("steps"), "steps"):
        kind = step.get("kind")
        if isinstance(kind, str) and (only is None or kind in only):
            for check in STEP_CHECKS.get(kind, ()):
                out += check(path, step, facts)
    return out
