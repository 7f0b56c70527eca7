"""Batch approve (批量同意): several simple approvals at once, each its own decision.

A simple approval is one nothing more is asked for: an approval (not a task to complete) with no
field to fill in at its step. Each approval is its own `Workflow.act(..., "approve")` call, under
its own request id (the batch's id and the task's), so a retried batch approves nothing twice;
one that fails (another approver settled the step first, it was handed on) does not stop the rest.
"""
from __future__ import annotations

from dataclasses import dataclass

from builder.permissions import editable_at_step
from runtime.errors import FormflowError, ValidationFailed, word
from runtime.i18n import N_, Text
from runtime.org import User
from runtime.service import Workflow
from runtime.state import Task, TaskStatus

MAX_BATCH = 200  # tasks one batch may name: four pages of the inbox
NEEDS_DATA = N_("needs data at this step")
NOT_AN_APPROVAL = N_("a task to complete, not an approval")
APPROVED = N_("Approved")
SETTLED = N_("already settled by another approver's decision")
NO_LONGER_OPEN = N_('no longer waiting: it is "%(status)s"')
NO_TASK = N_('no task "%(id)s"')


def refusal(workflow: Workflow, task: Task) -> Text | None:
    """Why this task cannot be approved in a batch (None: it can): it needs data or is no approval."""
    if task.kind != "approval":
        return NOT_AN_APPROVAL
    instance = workflow.state.instances[task.instance]
    defs = workflow.pinned(instance)
    if editable_at_step(defs.flow.step(task.step), defs.form):
        return NEEDS_DATA
    return None


@dataclass(frozen=True)
class Outcome:
    """What happened to one task of a batch; `message` a sentence for people (English in JSON)."""

    task: str
    ok: bool
    message: Text
    instance: str = ""


def task_ids(value: object) -> list[str]:
    """The batch's task ids, each once, in the order given; a 422 for anything but a short list of text."""
    if not isinstance(value, list) or not all(isinstance(t, str) and 0 < len(t) <= 100 for t in value):
        raise ValidationFailed({"tasks": N_("must be a list of task ids")})
    if not value:
        raise ValidationFailed({"tasks": N_("select at least one task to approve")})
    if len(value) > MAX_BATCH:
        raise ValidationFailed({"tasks": N_("at most %(max)s tasks at once", max=MAX_BATCH)})
    return list(dict.fromkeys(value))


def approve_all(workflow: Workflow, user: User, ids: list[str], comment: str = "", batch: str = "") -> list[Outcome]:
    """Approve each task as `user`, one decision each; `batch` (the form's or caller's id) makes a
    retry of the same batch a repeat of each approval, which has no second effect."""
    workflow.require_actor(user)
    return [_approve_one(workflow, user, task_id, comment, f"{batch[:60]}:{task_id}" if batch else "")
            for task_id in ids]


def _approve_one(workflow: Workflow, user: User, task_id: str, comment: str, request_id: str) -> Outcome:
    task = workflow.state.tasks.get(task_id)
    if task is None:
        return Outcome(task_id, False, NO_TASK.fill(id=task_id))
    if task.assignee == user.username and (why := refusal(workflow, task)) is not None:
        return Outcome(task_id, False, why, task.instance)
    try:
        workflow.act(user, task_id, "approve", comment, request_id=request_id)
    except FormflowError as refused:
        return Outcome(task_id, False, _why_not(workflow.state.tasks[task_id], user, refused), task.instance)
    return Outcome(task_id, True, APPROVED, task.instance)


def _why_not(task: Task, user: User, refused: FormflowError) -> Text:
    """A refusal in words: a task someone else's decision settled says so; otherwise the command's own message."""
    if task.status is TaskStatus.CANCELLED:
        return SETTLED
    if task.status is not TaskStatus.OPEN and task.assignee == user.username:
        return NO_LONGER_OPEN.fill(status=word(str(task.status)))
    message = refused.args[0] if refused.args else str(refused)
    return message if isinstance(message, Text) else Text(str(message))
