"""What the request and task pages show beyond the record and the fields: the step-progress
diagram, who returned the request (or this task's step) and why, who urged this task on, and
whether this person may comment."""
from __future__ import annotations

from typing import Any

from runtime.org import User
from runtime.service import Workflow
from runtime.state import Instance, Task
from runtime.web.progress import request_progress
from runtime.web.request_notes import returned_note, urged_note


def request_extras(workflow: Workflow, user: User, instance: Instance, task: Task | None) -> dict[str, Any]:
    mine = task is not None and task.assignee == user.username
    submitter = task is None and user.username == instance.submitter
    return {"progress": request_progress(workflow, instance),
            "returned_note": returned_note(instance, task) if mine or submitter else None,
            "urged_note": urged_note(instance, task) if mine else None,
            "can_comment": not user.reads_only and instance.involves(user.username, workflow.state.tasks)}
