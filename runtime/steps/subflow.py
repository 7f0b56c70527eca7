"""Subflow steps: start the latest published version of another process for the same submitter,
with this request's data mapped onto its form, and wait until it ends (see
`runtime.subprocess_settling` for what its end causes here)."""
from __future__ import annotations

from builder.flows import SubflowStep
from builder.formdata import clean_submission
from runtime.errors import Conflict
from runtime.i18n import N_
from runtime.steps.base import WAIT, Next, Walk


class SubflowHandler:
    def enter(self, walk: Walk, step: SubflowStep) -> Next:
        services = walk.services
        if services.lookups.latest is None:
            raise Conflict(N_('cannot start sub-process "%(process)s" here', process=step.process))
        defs = services.lookups.latest(step.process)
        raw = {child: walk.data[own] for child, own in step.inputs.items() if own in walk.data}
        data, errors = clean_submission(defs.form, raw, directory=services.org,
                                        workdays=services.calendar.workdays_between)
        if errors:
            detail = "; ".join(f"{name}: {message}" for name, message in errors.items())
            raise Conflict(N_('cannot start sub-process "%(process)s" with this request\'s data (%(detail)s)',
                              process=step.process, detail=detail))
        child = services.start(defs, services.org.user(walk.submitter), data,
                               parent={"instance": walk.instance, "step": step.id})
        walk.emit(walk.event("subflow", step=step.id, process=step.process, child=child[0]["instance"]))
        walk.events += child
        return WAIT
