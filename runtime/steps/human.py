"""Steps a person acts on (approval and task): who gets the tasks, or how the policies that
hold at the step (the flow's, or the step's own: `effective_policies`) pass it by when nobody should.

The two kinds differ only in how a person passes the step (`action`: approve or complete) and
in whether the repeat-approver policy applies (approvals only: `ApprovalHandler`).
"""
from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from dataclasses import replace
from typing import ClassVar

from builder.flows import HumanStep
from builder.policies import effective_policies
from runtime import coverage, notes
from runtime.assignment import Assignment, assign
from runtime.org import Resolution, describe
from runtime.steps.base import SYSTEM, WAIT, Next, Walk


class HumanStepHandler:
    """Opens the tasks of a human step, and waits; or, when a policy passes the step by, records
    why and goes on."""

    action: ClassVar[str] = ""  # what the assignee does to pass the step

    def enter(self, walk: Walk, step: HumanStep) -> Next:
        mine = [e for e in walk.events if e["instance"] == walk.instance]
        newest_first = chain(reversed(mine), reversed(walk.history))
        if coverage.stands(newest_first, step.id):  # a re-run after a change its approvals still cover
            who = ", ".join(a.approver for a in coverage.standing(walk.mine(), walk.flow) if a.step == step.id)
            walk.emit(walk.event("skip", step=step.id, reason=str(notes.APPROVAL_STANDS.fill(who=who))))
            walk.last_approver = ""
            return walk.flow.successor(step.id)
        passed_by = self.open(walk, step, walk.last_approver)
        if passed_by is None:
            return WAIT
        walk.last_approver = passed_by
        return walk.flow.successor(step.id)

    def open(self, walk: Walk, step: HumanStep, last_approver: str = "") -> str | None:
        """Open the step's tasks, and None: the walk waits. When a policy passes the step by
        (skipped, or approved automatically), the answer is who counts as the last approver
        from here ("" when nobody approved)."""
        mode = getattr(step, "mode", "single")
        if step.assignee.kind == "dept_heads" and mode == "single":
            mode = "sequential"  # 连续多级主管: each head in turn
        assignment = assignment_for(walk, step, single=mode == "single")
        if assignment.skip:
            walk.emit(walk.event("skip", step=step.id, reason=str(assignment.why)))
            return ""
        if assignment.auto_approve:
            self.pass_for(walk, step, Resolution(SYSTEM, assignment.why), assignment.why)
            return ""
        people = assignment.people
        if self.passes_again(walk, step, people, last_approver):
            self.pass_for(walk, step, people[0], notes.REPEAT_APPROVER.fill(who=last_approver))
            return last_approver  # a third step in a row for them passes too
        if mode == "sequential":
            walk.emit(walk.task(step, people[0], tuple(p.assignee for p in people[1:])))
        else:
            walk.events += [walk.task(step, person) for person in people]
        return None

    def passes_again(self, walk: Walk, step: HumanStep, people: tuple[Resolution, ...],
                     last_approver: str) -> bool:
        """Whether the step passes because its one person has just passed the step before."""
        return False

    def pass_for(self, walk: Walk, step: HumanStep, person: Resolution, why: str) -> None:
        """The step's task for `person`, passed at once by the system, saying why."""
        task = walk.task(step, person)
        walk.events += [task, walk.event(self.action, step=step.id, task=task["task"], auto=True, comment=str(why))]


def assignment_for(walk: Walk, step: HumanStep, *, single: bool) -> Assignment:
    """Who the step goes to, by its assignee and the policies that hold at the step."""
    org, defs = walk.services.org, walk.defs
    assignee = step.assignee
    interchangeable = assignee.kind == "role"
    why: Callable[[], str] = lambda: notes.NOBODY_FITS.fill(who=describe(assignee))  # only when said
    if assignee.kind == "ruleset":
        decision = walk.services.evaluator.evaluate(defs.rulesets[assignee.ruleset], defs.form.facts(walk.data, walk.services.calendar.workdays_between))
        named = decision.outcome.get(assignee.output)
        interchangeable = named in org.roles
        candidates = (org.holders(named) if interchangeable
                      else [named] if named in org.users else [])
        why = lambda: notes.RULESET_NAMED_NOBODY.fill(ruleset=decision.ruleset, version=decision.version,
                                                      named=repr(named))
    elif assignee.kind == "chosen":
        candidates = [u for u in walk.chosen.get(step.id, []) if u in org.users]
        interchangeable = False
    else:
        candidates = org.candidates(assignee, walk.submitter, walk.data)
    chosen = assign(org, candidates, walk.submitter, effective_policies(defs.flow, step), nobody_fits=why,
                    single=single, interchangeable=interchangeable, at=walk.at, away=walk.services.lookups.away)
    if assignee.kind == "ruleset" and chosen.people:
        named_by = notes.NAMED_BY_RULESET.fill(ruleset=decision.ruleset, version=decision.version,
                                               output=assignee.output)
        chosen = Assignment(tuple(replace(p, note=p.note or named_by) for p in chosen.people))
    return chosen
