"""Many hands at once: every approval recorded exactly once, double submits with one effect,
stale actions refused with a clear conflict."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from runtime.errors import Conflict
from runtime.setup import open_workflow
from runtime.state import TaskStatus
from runtime.store.repository import FileRepository
from tests.support import claim


@pytest.fixture
def durable_workflow(tmp_path: Path):
    with FileRepository(tmp_path / "data") as repo:
        yield open_workflow(repo, demo=True)


def test_forty_concurrent_approvals_are_forty_recorded(durable_workflow):
    wf = durable_workflow
    instances = [wf.start(wf.org.user("zhang.wei"), "expense", claim([100 + i])) for i in range(40)]
    tasks = [wf.state.tasks[i.task_ids[0]] for i in instances]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda t: wf.act(wf.org.user("li.na"), t.id, "approve"), tasks))
    approvals = [e for e in wf.repo.read_events() if e["action"] == "approve"]
    assert len(approvals) == 40 and len({e["task"] for e in approvals}) == 40
    assert all(wf.state.tasks[t.id].status is TaskStatus.APPROVED for t in tasks)
    assert len(wf.inbox(wf.org.user("zhao.min"))) == 40


def test_twenty_double_submits_have_one_effect(durable_workflow):
    wf = durable_workflow
    user = wf.org.user("zhang.wei")
    with ThreadPoolExecutor(max_workers=8) as pool:
        started = list(pool.map(lambda _: wf.start(user, "expense", claim([300]), "req-1"), range(20)))
    assert len({i.id for i in started}) == 1
    assert [e["action"] for e in wf.repo.read_events()].count("start") == 1
    task = wf.state.tasks[started[0].task_ids[0]]
    head = wf.org.user("li.na")
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: wf.act(head, task.id, "approve", request_id="click-1"), range(20)))
    assert [e["action"] for e in wf.repo.read_events()].count("approve") == 1


def test_the_same_request_id_from_someone_else_is_a_new_request(durable_workflow):
    wf = durable_workflow
    a = wf.start(wf.org.user("zhang.wei"), "expense", claim([300]), "same")
    b = wf.start(wf.org.user("liu.yang"), "expense", claim([300]), "same")
    assert a.id != b.id


def test_a_stale_version_is_refused_and_a_restart_remembers_request_ids(tmp_path):
    with FileRepository(tmp_path / "data") as repo:
        wf = open_workflow(repo, demo=True)
        instance = wf.start(wf.org.user("zhang.wei"), "expense", claim([300]), "form-7")
        task = wf.state.tasks[instance.task_ids[0]]
        with pytest.raises(Conflict, match="changed since you opened it"):
            wf.act(wf.org.user("li.na"), task.id, "approve", version=task.version + 1)
    with FileRepository(tmp_path / "data") as repo:
        again = open_workflow(repo, demo=True)
        assert again.start(again.org.user("zhang.wei"), "expense", claim([999]), "form-7").id == instance.id


def test_a_stale_request_or_task_version_is_refused_and_changes_nothing(durable_workflow):
    wf = durable_workflow
    staff, head = wf.org.user("zhang.wei"), wf.org.user("li.na")
    instance = wf.start(staff, "expense", claim([100]))
    seen = instance.version
    wf.comment(staff, instance.id, "Receipts attached")  # the request changes after it was read
    with pytest.raises(Conflict, match="the request has changed since you opened it"):
        wf.withdraw(staff, instance.id, version=seen)
    task = wf.state.tasks[instance.task_ids[0]]
    wf.add_signer(head, task.id, "zhou.jie", "after")  # the task changes after it was read
    with pytest.raises(Conflict, match="the task has changed since you opened it"):
        wf.transfer(head, task.id, "chen.gang", version=task.version)
    assert wf.state.tasks[task.id].assignee == "li.na"
    assert wf.transfer(head, task.id, "chen.gang", version=wf.state.tasks[task.id].version)
    assert wf.state.tasks[task.id].assignee == "chen.gang"


def test_a_request_id_means_one_action_on_one_target(durable_workflow):
    wf = durable_workflow
    staff, head = wf.org.user("zhang.wei"), wf.org.user("li.na")
    first = wf.start(staff, "expense", claim([100]))
    second = wf.start(staff, "expense", claim([200]))
    task_one, task_two = (wf.state.tasks[i.task_ids[0]] for i in (first, second))
    wf.act(head, task_one.id, "approve", request_id="r-1")
    assert wf.act(head, task_one.id, "approve", request_id="r-1").id == first.id  # a retry: no second effect
    with pytest.raises(Conflict, match='request id "r-1" was already used for another action'):
        wf.act(head, task_two.id, "approve", request_id="r-1")
    assert wf.state.tasks[task_two.id].status is TaskStatus.OPEN
    with pytest.raises(Conflict, match="already used"):
        wf.start(head, "expense", claim([300]), "r-1")
