"""A date range the form counts in working days is judged in working days by conditions too: the
branch a request takes, the fields a condition shows or hides, and the simulation's path all read
`trip.days` as the form shows it ("2 working days" from a Friday to a Monday), on the business
calendar; a range counted in calendar days keeps calendar days."""
from __future__ import annotations

import copy

import pytest

from runtime.errors import ValidationFailed
from runtime.simulation import simulate
from runtime.state import TaskStatus
from runtime.setup import INSTALLER
from tests.runtime.flows import approval, bundle, task
from tests.support import claim

LONG = {"id": "long", "kind": "branch", "title": "Long trip?", "branches": [
    {"when": {"$gt": {"trip.days": 3}}, "label": "More than 3 days",
     "steps": [approval("gm", assignee={"kind": "role", "role": "gm"})]}], "else": []}
PAY = task("pay", assignee={"kind": "role", "role": "cashier"})
FRIDAY_TO_MONDAY = {"start": "2026-12-11", "end": "2026-12-14"}  # 4 calendar days, 2 working days
MONDAY_TO_FRIDAY = {"start": "2026-12-07", "end": "2026-12-11"}  # 5 working days


def publish(workflow, working_days: bool) -> None:
    doc = bundle("trips", LONG, PAY)
    fields = doc["form"]["fields"]
    fields.append({"key": "trip", "type": "daterange", "label": "Trip", "working_days": working_days})
    fields.append({"key": "why", "type": "textarea", "label": "Why so long", "required": True,
                   "visible_when": {"$gt": {"trip.days": 3}}})
    workflow.import_bundle(INSTALLER, doc)


def first_open_step(workflow, instance) -> str:
    return next(workflow.state.tasks[t].step for t in instance.task_ids
                if workflow.state.tasks[t].status is TaskStatus.OPEN)


def filed(trip: dict[str, str], **more: str) -> dict:
    return {**claim([100]), "trip": copy.deepcopy(trip), **more}


def test_a_weekend_does_not_make_a_trip_long_when_the_form_counts_working_days(workflow):
    publish(workflow, working_days=True)
    instance = workflow.start(workflow.org.user("zhang.wei"), "trips", filed(FRIDAY_TO_MONDAY))  # "why" stays hidden
    assert first_open_step(workflow, instance) == "pay"
    (decide,) = [e for e in instance.events if e["action"] == "decide"]
    assert decide["inputs"] == {"trip.days": 2}
    with pytest.raises(ValidationFailed) as refused:
        workflow.start(workflow.org.user("zhang.wei"), "trips", filed(MONDAY_TO_FRIDAY))
    assert refused.value.errors == {"why": "required"}  # five working days: the reason is asked
    instance = workflow.start(workflow.org.user("zhang.wei"), "trips", filed(MONDAY_TO_FRIDAY, why="Audit"))
    assert first_open_step(workflow, instance) == "gm"


def test_the_simulation_takes_the_same_route(workflow):
    publish(workflow, working_days=True)
    defs = workflow.latest("trips")
    assert simulate(workflow, defs, "zhang.wei", filed(FRIDAY_TO_MONDAY)).route() == ("long", "pay")
    assert simulate(workflow, defs, "zhang.wei", filed(MONDAY_TO_FRIDAY, why="Audit")).route() == ("long", "gm", "pay")


def test_a_range_counted_in_calendar_days_keeps_the_weekend(workflow):
    publish(workflow, working_days=False)
    instance = workflow.start(workflow.org.user("zhang.wei"), "trips", filed(FRIDAY_TO_MONDAY, why="Fair"))
    assert first_open_step(workflow, instance) == "gm"
