"""Branch steps: pick a branch by the step's ruleset, or by the branches' own conditions, and
record why (the decision's rows, trace and outcome; or the fields the conditions read)."""
from __future__ import annotations

from builder.flows import BranchStep
from rules.conditions import condition_fields, matches
from runtime import events
from runtime.steps.base import Next, Walk


class BranchHandler:
    def enter(self, walk: Walk, step: BranchStep) -> Next:
        defs = walk.defs
        facts = defs.form.facts(walk.data, walk.services.calendar.workdays_between)
        event = walk.event("decide", step=step.id)
        if step.ruleset:
            decision = walk.services.evaluator.evaluate(defs.rulesets[step.ruleset], facts)
            index, lane = step.choose(lambda branch: branch.matches(decision.outcome))
            events.amend(event, branch=index, ruleset=decision.ruleset, ruleset_version=decision.version,
                         fired=list(decision.fired), default_used=decision.default_used,
                         outcome=decision.outcome, inputs=decision.inputs, trace=list(decision.trace))
        else:
            index, lane = step.choose(lambda branch: matches(branch.when, facts))
            read = sorted(set().union(*(condition_fields(b.when) for b in step.branches)))
            events.amend(event, branch=index, inputs={name: facts[name] for name in read if name in facts})
        walk.emit(event)
        return lane[0] if lane else defs.flow.successor(step.id)
