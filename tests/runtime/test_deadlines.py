"""Deadlines on the business calendar and the escalation ladder, driven by a fake clock.

The tiny flow: a department-head review with a deadline and a ladder (remind, urge, transfer to
the superior, then an automatic decision), followed by the cashier's payment task.
"""
from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from rules.evaluation import default_evaluator
from runtime.app import create_app
from runtime.calendar import load_calendar
from runtime.escalation import due_escalations
from runtime.service import Workflow
from runtime.settings import Settings
from runtime.setup import DEMO_CALENDAR, INSTALLER, open_workflow
from runtime.state import InstanceStatus, TaskStatus
from runtime.store.repository import MemoryRepository
from tests.support import FakeClock, bearer, claim, page_sign_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
LADDER = [
    {"after": {"amount": 4, "unit": "hours"}, "action": "remind"},
    {"after": {"amount": 1, "unit": "days"}, "action": "urge"},
    {"after": {"amount": 2, "unit": "days"}, "action": "transfer_superior"},
    {"after": {"amount": 3, "unit": "days"}, "action": "auto_approve"},
]


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A 2026 wall-clock time in Shanghai, as the UTC moment events carry."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def set_clock(wf: Workflow, moment: datetime) -> None:
    """The clock's next reading is exactly `moment` (FakeClock steps one second per reading)."""
    wf.engine.now.now = moment - timedelta(seconds=1)


def flow_with(demo_bundle: dict, key: str = "timed", *, review: dict | None = None,
              reject_codes: list | None = None) -> dict:
    bundle = copy.deepcopy(demo_bundle)
    bundle["rulesets"] = []
    review_step = {"id": "review", "kind": "approval", "title": "Head review",
                   "assignee": {"kind": "dept_head", "levels": 1},
                   "deadline": {"amount": 2, "unit": "days"}, "escalation": LADDER}
    review_step.update(review or {})
    review_step = {k: v for k, v in review_step.items() if v is not None}  # None: leave the key out
    bundle["flow"] = {"key": key, "version": 1, "title": "Timed review", "form": "expense-claim",
                      "steps": [review_step, {"id": "pay", "kind": "task", "title": "Pay",
                                              "assignee": {"kind": "role", "role": "cashier"}}]}
    if reject_codes:
        bundle["flow"]["reject_codes"] = reject_codes
    return bundle


@pytest.fixture
def wf(repo):
    workflow = open_workflow(repo, demo=True, calendar=load_calendar(DEMO_CALENDAR))
    workflow.engine.now = FakeClock()
    return workflow


def start(wf: Workflow, demo_bundle: dict, at: datetime, **flow) -> str:
    wf.import_bundle(INSTALLER, flow_with(demo_bundle, **flow))
    set_clock(wf, at)
    return wf.start(wf.org.user("zhang.wei"), flow.get("key", "timed"), claim([100])).id


def tasks_of(wf: Workflow, instance_id: str):
    return [wf.state.tasks[t] for t in wf.state.instances[instance_id].task_ids]


def escalate_at(wf: Workflow, moment: datetime) -> list[tuple[str, ...]]:
    """Run the scheduler's job at `moment`; what it recorded, as (action, detail) pairs."""
    set_clock(wf, moment)
    return [(e["action"], e.get("do") or e.get("to") or e.get("status") or e.get("step", ""))
            for e in wf.escalate_due()]


# -- due dates on the calendar ------------------------------------------------------------------

@pytest.mark.parametrize("created, deadline, due", [
    # Wednesday before National Day + 3 working days: the holiday week is skipped, and the
    # make-up Saturday (调休) 10 October is the third working day.
    (local(9, 30, 10), {"amount": 3, "unit": "days"}, local(10, 10, 10)),
    # 10 working hours from the same start: 7 that Wednesday, 3 on the Thursday after the holiday.
    (local(9, 30, 10), {"amount": 10, "unit": "hours"}, local(10, 8, 12)),
    # Friday + 1 working day is the make-up Sunday 20 September.
    (local(9, 18, 16), {"amount": 1, "unit": "days"}, local(9, 20, 16)),
])
def test_due_is_working_time_across_a_holiday_and_a_makeup_workday(wf, demo_bundle, created, deadline, due):
    instance = start(wf, demo_bundle, created, review={"deadline": deadline, "escalation": []})
    (task,) = tasks_of(wf, instance)
    assert task.created == stamp(created)
    assert task.due == stamp(due)
    assert wf.state.instances[instance].events[-1]["due"] == stamp(due)  # on the event: replayable


def test_a_step_without_a_deadline_has_no_due(wf, demo_bundle):
    instance = start(wf, demo_bundle, local(3, 2, 10), review={"deadline": None, "escalation": []})
    (task,) = tasks_of(wf, instance)
    assert task.due == "" and "due" not in wf.state.instances[instance].events[-1]
    assert wf.escalate_due() == []


def test_the_ladder_fires_each_rung_once_in_order(wf, demo_bundle):
    # The review task is created Monday 2 March 10:00; rungs at +4 h (15:00), +1 day (Tue 10:00),
    # +2 days (Wed 10:00, also the deadline) and +3 days (Thu 10:00).
    instance = start(wf, demo_bundle, local(3, 2, 10))
    (task,) = tasks_of(wf, instance)
    assert task.assignee == "li.na" and task.due == stamp(local(3, 4, 10))

    assert escalate_at(wf, local(3, 2, 14, 59)) == []
    assert escalate_at(wf, local(3, 2, 15)) == [("escalate", "remind")]
    assert escalate_at(wf, local(3, 2, 17)) == []

    assert escalate_at(wf, local(3, 3, 10)) == [("escalate", "urge"), ("urge", "review")]
    urge = wf.state.instances[instance].events[-1]
    assert urge["actor"] == "system" and urge["assignee"] == "li.na"
    assert escalate_at(wf, local(3, 3, 11)) == []

    assert escalate_at(wf, local(3, 4, 10)) == [("overdue", "review"), ("escalate", "transfer_superior"),
                                                ("transfer", "yang.hua")]
    task = wf.state.tasks[task.id]
    assert task.assignee == "yang.hua" and task.overdue_at and task.escalated == (0, 1, 2)
    assert [t.id for t in wf.inbox(wf.org.user("yang.hua"))] == [task.id]
    assert wf.inbox(wf.org.user("li.na")) == []
    assert escalate_at(wf, local(3, 4, 15)) == []

    assert escalate_at(wf, local(3, 5, 10)) == [("escalate", "auto_approve"), ("approve", "review"),
                                                ("task", "pay")]
    approve = next(e for e in wf.state.instances[instance].events if e["action"] == "approve")
    assert approve["actor"] == "system" and approve["auto"] is True
    assert "no decision within 3 working days" in approve["comment"]
    review, pay = tasks_of(wf, instance)
    assert review.status is TaskStatus.APPROVED and pay.status is TaskStatus.OPEN and pay.assignee == "sun.li"
    assert wf.state.instances[instance].status is InstanceStatus.RUNNING
    for _ in range(3):
        assert escalate_at(wf, local(3, 20, 10)) == []  # nothing fires twice, however often it runs


def test_rungs_missed_while_the_server_was_down_all_fire_in_one_run(wf, demo_bundle):
    instance = start(wf, demo_bundle, local(3, 2, 10))
    assert escalate_at(wf, local(3, 9, 9)) == [
        ("escalate", "remind"), ("escalate", "urge"), ("urge", "review"),
        ("overdue", "review"), ("escalate", "transfer_superior"), ("transfer", "yang.hua"),
        ("escalate", "auto_approve"), ("approve", "review"), ("task", "pay")]
    assert [t.step for t in tasks_of(wf, instance) if t.status is TaskStatus.OPEN] == ["pay"]


def test_auto_reject_ends_the_request_without_a_code_even_where_people_need_one(wf, demo_bundle):
    instance = start(wf, demo_bundle, local(3, 2, 10),
                     review={"escalation": [{"after": {"amount": 1, "unit": "days"}, "action": "auto_reject"}]},
                     reject_codes=[{"value": "budget", "label": "Over budget"}])
    assert escalate_at(wf, local(3, 3, 10)) == [("escalate", "auto_reject"), ("reject", "review"),
                                                ("finish", "rejected")]
    reject = next(e for e in wf.state.instances[instance].events if e["action"] == "reject")
    assert reject["actor"] == "system" and "rejected automatically" in reject["reason"]
    assert wf.state.instances[instance].status is InstanceStatus.REJECTED
    assert escalate_at(wf, local(3, 10, 10)) == []


def test_transfer_to_the_superior_is_skipped_with_a_record_when_there_is_none(wf, demo_bundle):
    # The GM's superior: nobody (the company's head). The record says why nothing moved.
    start(wf, demo_bundle, local(3, 2, 10), review={
        "assignee": {"kind": "user", "user": "yang.hua"},
        "escalation": [{"after": {"amount": 1, "unit": "hours"}, "action": "transfer_superior"}]})
    set_clock(wf, local(3, 2, 11))
    (event,) = wf.escalate_due()
    assert event["action"] == "escalate" and "yang.hua has no superior" in event["skipped"]
    assert wf.inbox(wf.org.user("yang.hua"))


@pytest.fixture
def board(wf):
    """Three people sharing a role, so one step (会签, all must approve) goes to each of them."""
    doc = copy.deepcopy(wf.org.doc)
    doc["roles"].append({"key": "board", "name": "Board"})
    for user in doc["users"]:
        if user["username"] in ("zhou.jie", "wu.qiang", "chen.gang"):
            user["roles"] = [*user["roles"], "board"]
    wf.repo.put_org(doc)
    again = open_workflow(wf.repo, demo=False, calendar=wf.calendar)
    again.engine.now = wf.engine.now
    return again


def test_auto_approving_a_countersign_moves_on_exactly_once(board, demo_bundle):
    instance = start(board, demo_bundle, local(3, 2, 10), review={
        "mode": "all", "assignee": {"kind": "role", "role": "board"},
        "escalation": [{"after": {"amount": 2, "unit": "hours"}, "action": "auto_approve"}]})
    assert len(tasks_of(board, instance)) == 3
    fired = escalate_at(board, local(3, 2, 13))
    assert fired.count(("approve", "review")) == 3 and fired.count(("task", "pay")) == 1
    assert [t.step for t in tasks_of(board, instance) if t.status is TaskStatus.OPEN] == ["pay"]


def test_the_pure_function_proposes_and_records_nothing(wf, demo_bundle):
    instance = start(wf, demo_bundle, local(3, 2, 10))
    before = wf.state.instances[instance]
    events = due_escalations(wf.engine, local(3, 2, 16), [before], wf.state.tasks, wf.pinned, wf.calendar)
    assert [(e["action"], e["rung"]) for e in events] == [("escalate", 0)]
    assert wf.state.instances[instance] is before


def test_save_and_reload_rebuild_the_same_instances_and_tasks(wf, demo_bundle):
    instance = start(wf, demo_bundle, local(3, 2, 10))
    start(wf, demo_bundle, local(3, 2, 11), key="rejecting", review={
        "escalation": [{"after": {"amount": 1, "unit": "days"}, "action": "auto_reject"}]})
    for moment in (local(3, 2, 15), local(3, 3, 11), local(3, 4, 10), local(3, 5, 10)):
        wf.escalate_due()
        again = Workflow(wf.repo, default_evaluator(), calendar=wf.calendar)
        assert again.state.instances == wf.state.instances
        assert again.state.tasks == wf.state.tasks
        set_clock(wf, moment)
    assert wf.state.tasks[wf.state.instances[instance].task_ids[0]].escalated == (0, 1, 2)


# -- the inbox ---------------------------------------------------------------------------------

def test_the_inbox_shows_overdue_work_first_then_by_due_then_by_creation(demo_bundle):
    with TestClient(create_app(Settings(demo=True, escalate_every=0), MemoryRepository()),
                    follow_redirects=False) as client:
        wf: Workflow = client.app.state.workflow
        wf.engine.now = FakeClock()
        assert wf.calendar.name == "cn-mainland-2026"
        wf.import_bundle(INSTALLER, flow_with(demo_bundle, "slow", review={"deadline": {"amount": 3, "unit": "days"}}))
        wf.import_bundle(INSTALLER, flow_with(demo_bundle, "quick", review={"deadline": {"amount": 4, "unit": "hours"}}))
        staff = wf.org.user("zhang.wei")
        started = {}
        for name, process, at in [("plain", "expense", local(3, 2, 9)), ("slow", "slow", local(3, 2, 10)),
                                  ("quick", "quick", local(3, 2, 11)), ("quicker", "quick", local(3, 2, 15))]:
            set_clock(wf, at)
            started[wf.start(staff, process, claim([100])).task_ids[0]] = name
        # Monday 17:30: "quick" (11:00 + 4 h: due 16:00) is overdue; "quicker" (15:00 + 4 h) is due
        # Tuesday 10:00, "slow" Thursday 10:00; the expense claim has no deadline.
        set_clock(wf, local(3, 2, 17, 30))
        rows = client.get("/api/tasks", headers=bearer(client, "li.na")).json()
        assert [started[r["id"]] for r in rows] == ["quick", "quicker", "slow", "plain"]
        assert [(r["overdue"], r["due"]) for r in rows] == [
            (True, stamp(local(3, 2, 16))), (False, stamp(local(3, 3, 10))),
            (False, stamp(local(3, 5, 10))), (False, None)]

        client.cookies.set("formflow_lang", "en")
        r = page_sign_in(client, "li.na", "demo", "/")
        assert r.status_code == 303
        set_clock(wf, local(3, 3, 11))  # Tuesday 11:00: "quicker" is an hour overdue too
        page = client.get("/inbox").text
        ids = re.findall(r'<a href="/tasks/([^"]+)">', page)
        assert [started[i] for i in ids] == ["quick", "quicker", "slow", "plain"]
        assert page.count('class="task-row overdue"') == 2
        shown = re.findall(r'<span class="due"[^>]*>([^<]*)</span>', page)
        # Mon 16-18 + Tue 9-11; Tue 10-11; to Thursday 10:00: Tue 11-18 (6 h), Wed (8 h), Thu 9-10 (1 h)
        assert shown == ["overdue by 4 h", "overdue by 1 h", "1 working day 7 h left"]
        quick = next(i for i, name in started.items() if name == "quick")
        assert re.search(r'id="task-due"[^>]*>Due [^<]*· overdue by 4 h<', client.get(f"/tasks/{quick}").text)
        client.cookies.set("formflow_lang", "zh_CN")
        assert "已超期 4 小时" in client.get("/inbox").text


# -- the scheduler -----------------------------------------------------------------------------

def test_the_scheduler_runs_the_job_every_interval_and_survives_a_failure(caplog):
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from runtime import scheduler

    runs: list[int] = []
    waits: list[float] = []

    def job() -> None:
        runs.append(len(runs))
        if len(runs) == 2:
            raise RuntimeError("one bad run")

    async def no_wait(seconds: float) -> None:  # the interval passes at once: nobody sleeps
        waits.append(seconds)
        await asyncio.sleep(0)

    async def main() -> None:
        async with scheduler.every(30, job, sleep=no_wait):
            while len(runs) < 3:
                await asyncio.sleep(0)
        stopped = len(runs)
        for _ in range(20):
            await asyncio.sleep(0)
        assert len(runs) == stopped  # leaving the block stops the ticks
        async with scheduler.every(0, job, sleep=no_wait):  # 0 turns the scheduler off
            for _ in range(20):
                await asyncio.sleep(0)
        assert len(runs) == stopped

    with ThreadPoolExecutor(1) as pool:  # its own event loop: the browser tests leave one running here
        pool.submit(asyncio.run, main()).result()
    assert set(waits) == {30} and "one bad run" in caplog.text


def test_the_server_loads_the_calendar_from_its_data_dir(tmp_path):
    from runtime.setup import calendar_file, load_business_calendar

    settings = Settings(data_dir=tmp_path / "data", demo=True)
    assert calendar_file(settings) == tmp_path / "data" / "calendar.json"  # the demo puts 2026 there
    assert load_business_calendar(settings).name == "cn-mainland-2026"
    edited = (tmp_path / "data" / "calendar.json").read_text().replace("cn-mainland-2026", "edited")
    (tmp_path / "data" / "calendar.json").write_text(edited)
    assert load_business_calendar(settings).name == "edited"  # the admin's edits are kept
    assert load_business_calendar(Settings(data_dir=tmp_path / "empty")).name == "weekdays"
    assert load_business_calendar(Settings(calendar=DEMO_CALENDAR)).name == "cn-mainland-2026"


def test_the_record_tells_what_the_deadline_did(demo_bundle):
    with TestClient(create_app(Settings(demo=True, escalate_every=0), MemoryRepository()),
                    follow_redirects=False) as client:
        wf: Workflow = client.app.state.workflow
        wf.engine.now = FakeClock()
        instance = start(wf, demo_bundle, local(3, 2, 10))
        escalate_at(wf, local(3, 9, 10))
        client.cookies.set("formflow_lang", "en")
        page_sign_in(client, "zhang.wei", "demo", "/")
        page = client.get(f"/instances/{instance}").text
        for line in ("of Head review after 4 working hours", "escalated Head review after 1 working day",
                     "Head review is overdue", "approved automatically: no decision within 3 working days"):
            assert line in page


def test_a_decision_the_engine_refuses_is_recorded_not_retried(wf, demo_bundle, monkeypatch):
    from runtime.errors import Conflict

    instance = start(wf, demo_bundle, local(3, 2, 10), review={
        "escalation": [{"after": {"amount": 1, "unit": "hours"}, "action": "auto_approve"}]})

    def refuse(*args, **kwargs):
        raise Conflict("not today")

    monkeypatch.setattr(wf.engine, "act_as_system", refuse)
    set_clock(wf, local(3, 2, 11))
    (event,) = wf.escalate_due()
    assert event["action"] == "escalate" and event["skipped"] == "not approved: not today"
    assert wf.escalate_due() == []
    assert [t.status for t in tasks_of(wf, instance)] == [TaskStatus.OPEN]
