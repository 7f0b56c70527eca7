"""Tiny flows for the step-kind and action tests: each test module declares its steps and gets a
process on the demo's expense form, with nothing else in it."""
from __future__ import annotations

import copy
import json
from typing import Any

from runtime.setup import INSTALLER
from runtime.state import TaskStatus
from tests.support import DEMO

EXPENSE = json.loads((DEMO / "processes" / "expense.json").read_text(encoding="utf-8"))


def bundle(key: str, *steps: dict[str, Any], **flow: Any) -> dict[str, Any]:
    """An export bundle of process `key` on the expense form, with these steps and flow properties."""
    doc = copy.deepcopy(EXPENSE)
    doc["rulesets"] = [r for r in doc["rulesets"] if r["key"] in flow.get("rulesets", ())]
    doc["flow"] = {"key": key, "version": 1, "title": key.title(), "form": "expense-claim",
                   "steps": copy.deepcopy(list(steps)), **copy.deepcopy(flow)}  # callers may edit it
    return doc


def publish(wf: Any, key: str, *steps: dict[str, Any], **flow: Any) -> None:
    wf.import_bundle(INSTALLER, bundle(key, *steps, **flow))


def approval(step_id: str, user: str = "", **more: Any) -> dict[str, Any]:
    assignee = more.pop("assignee", {"kind": "user", "user": user})
    return {"id": step_id, "kind": "approval", "title": step_id.title(), "assignee": assignee, **more}


def task(step_id: str, user: str = "", **more: Any) -> dict[str, Any]:
    assignee = more.pop("assignee", {"kind": "user", "user": user})
    return {"id": step_id, "kind": "task", "title": step_id.title(), "assignee": assignee, **more}


def open_tasks(wf: Any, instance_id: str) -> list[Any]:
    tasks = [wf.state.tasks[t] for t in wf.state.instances[instance_id].task_ids]
    return [t for t in tasks if t.status is TaskStatus.OPEN]


def act(wf: Any, task: Any, action: str = "approve", text: str = "") -> Any:
    return wf.act(wf.org.user(task.assignee), task.id, action, text)


def actions(wf: Any, instance_id: str) -> list[str]:
    return [e["action"] for e in wf.state.instances[instance_id].events]


def user(wf: Any, name: str) -> Any:
    return wf.org.user(name)


def first_task(wf: Any, instance: Any) -> Any:
    """The task the request opened last (its first, right after a start)."""
    return wf.state.tasks[wf.state.instances[instance.id].task_ids[-1]]


def open_task(wf: Any, instance: Any) -> Any:
    """The request's only open task."""
    (only,) = open_tasks(wf, instance.id)
    return only
