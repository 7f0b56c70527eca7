"""HTML pages for people (signing in is `login`, the inbox `inbox_view`): start a process, task, instance record."""
from __future__ import annotations

import re
import uuid
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from builder.forms import Form, Workdays
from builder.permissions import editable_at_step, not_asked_at_start
from runtime import i18n
from runtime.choices import choice_rows, choices_from_pairs
from runtime.clock import from_stamp
from runtime.coverage import changed_since
from runtime.deadlines import estimated
from runtime.engine import return_targets
from runtime.errors import Forbidden, NotFound, TransitionNotAllowed, ValidationFailed
from runtime.i18n import N_
from runtime.org import Organisation, User
from runtime.service import Workflow
from runtime.state import ACTED, TASK_ACTIONS, Instance, InstanceStatus, Task, TaskStatus
from runtime.web.api import TASK_COMMANDS
from runtime.uploads import resolver
from runtime.web.deadlines_view import time_left_text
from runtime.web.error_words import PageWords
from runtime.web.forms_view import (FormState, Resolver, blank_state, copied_state, state_from_data, state_from_pairs,
                                    step_edits, step_state, submission)
from runtime.web.outcome import asked_kind, landing, outcome
from runtime.web.rendering import is_htmx, redirect, render, safe_next
from runtime.web.request_notes import returned_note
from runtime.web.request_page import request_extras
from runtime.web.route_panel import posted_route, start_route
from runtime.web.session import require_user
from runtime.web.timeline import describe_changes, describe_events

LANG_COOKIE = "formflow_lang"


def _workflow(request: Request) -> Workflow:
    return request.app.state.workflow


async def home(request: Request) -> Response:
    user = await require_user(request)
    if user.reads_only:  # an auditor has nothing to start and no tasks: their page is the audit
        return redirect(request, "/audit")
    workflow = _workflow(request)
    return render(request, "home.html", {"processes": workflow.processes(),
                                         "inbox": workflow.inbox(user),
                                         "requests": workflow.requests(user)[:5]})


async def set_language(request: Request) -> Response:
    form = await request.form()
    locale = str(form.get("locale", ""))
    response = redirect(request, safe_next(str(form.get("next", "/"))))
    if locale in i18n.LOCALES:
        response.set_cookie(LANG_COOKIE, locale, max_age=365 * 24 * 3600, samesite="lax")
    return response


def _choosing(workflow: Workflow, flow: Any, chosen: dict[str, list[str]], errors: dict[str, Any]) -> list[dict[str, Any]]:
    return choice_rows(flow, workflow.org, chosen, i18n.localized_errors(errors), i18n.current_locale.get())


async def start_form(request: Request) -> Response:
    """The start form, blank, or (`?from=<request id>`) filled from an earlier request of the same
    person and process, to file again (`forms_view.copied_state`)."""
    user = await require_user(request)
    workflow = _workflow(request)
    workflow.require_actor(user)
    defs = workflow.latest(request.path_params["process"])
    omit = not_asked_at_start(defs.flow, defs.form)
    state = blank_state(defs.form, omit)
    if earlier_id := request.query_params.get("from"):
        earlier = workflow.instance_for(user, earlier_id)
        if earlier.submitter != user.username or earlier.process != defs.flow.key:
            raise Forbidden(N_("only a request you filed yourself, of this process, can be filed again"))
        state = copied_state(defs.form, workflow.pinned(earlier).form, earlier.data,
                             omit | workflow.hidden_for(user, earlier))
    return render(request, "start.html", {"flow": defs.flow, "request_id": uuid.uuid4().hex, "state": state,
                                          "copied_from": earlier_id or "",
                                          "choosing": _choosing(workflow, defs.flow, {}, {}),
                                          "route": start_route(workflow, user, defs, dict(state.raw))})


async def preview(request: Request) -> Response:
    """As-you-type: re-check the posted form, recompute computed fields, apply row add/remove."""
    user = await require_user(request, write=True)
    _workflow(request).require_actor(user)
    defs = _workflow(request).latest(request.path_params["process"])
    pairs = [(k, str(v)) for k, v in (await request.form()).multi_items()]
    state = state_from_pairs(defs.form, pairs, check=True, omit=not_asked_at_start(defs.flow, defs.form),
                             directory=_workflow(request).org, resolve=resolver(user, request.app.state.repo),
                             workdays=_workflow(request).calendar.workdays_between)
    choosing = _choosing(_workflow(request), defs.flow, choices_from_pairs(pairs), {})
    route = await run_in_threadpool(posted_route, _workflow(request), user, defs, pairs)
    return render(request, "start.html", {"flow": defs.flow, "state": state, "choosing": choosing, "route": route},
                  block="form_body", status=422 if state.errors else 200)


async def submit(request: Request) -> Response:
    user = await require_user(request, write=True)
    workflow = _workflow(request)
    process = request.path_params["process"]
    defs = workflow.latest(process)
    omit = not_asked_at_start(defs.flow, defs.form)
    pairs = [(k, str(v)) for k, v in (await request.form()).multi_items()]
    posted = dict(pairs)
    urgent = {"reason": posted.get("_urgent_reason", "")} if posted.get("_urgent") else None  # green channel
    try:
        instance = await run_in_threadpool(workflow.start, user, process, submission(defs.form, pairs, omit),
                                           posted.get("request_id", ""), urgent, choices_from_pairs(pairs))
    except ValidationFailed as failed:
        state = state_from_pairs(defs.form, pairs, check=False, omit=omit, resolve=resolver(user, workflow.repo),
                                 workdays=workflow.calendar.workdays_between)
        state.errors = {k: v for k, v in failed.errors.items() if not k.startswith("chosen.")}
        kept = {"flow": defs.flow, "state": state, "request_id": posted.get("request_id", ""), "urgent": urgent,
                "choosing": _choosing(workflow, defs.flow, choices_from_pairs(pairs), failed.errors),
                "route": posted_route(workflow, user, defs, pairs)}
        return render(request, "start.html", kept, block="form_body", status=422)
    return redirect(request, f"/instances/{instance.id}?submitted=1")


def _deadlines(workflow: Workflow, tasks: list[Task]) -> dict[str, tuple[bool, str]]:
    """For each task with a deadline: whether it is overdue, and the time left (or past) in words."""
    workday = workflow.calendar.working_hours_per_day()
    return {t.id: (standing.overdue, time_left_text(standing, workday))
            for t in tasks if (standing := workflow.time_left(t)) is not None}


def _people_except(workflow: Workflow, username: str) -> list[User]:
    """Everyone a person may pick (a delegate, someone to hand a task on to), by username."""
    return sorted((u for u in workflow.org.users.values() if u.username != username), key=lambda u: u.username)


def _step_titles(workflow: Workflow, rows: list[tuple[Task, Instance]]) -> dict[str, Any]:
    return {t.id: workflow.pinned(i).flow.step(t.step).title for t, i in rows}


def _instance_context(workflow: Workflow, instance: Instance, task: Task | None, user: User,
                      edit: FormState | None = None) -> dict[str, Any]:
    """What the instance page shows this person: the fields they may see (those they may edit at
    their open task as inputs, in `edit`, instead of as values) and the record, both redacted."""
    defs = workflow.pinned(instance)
    tasks = [workflow.state.tasks[t] for t in instance.task_ids]
    return_to = return_targets(defs.flow, tasks, task)
    colleagues = _people_except(workflow, instance.submitter)
    if edit is None and task is not None and task.status is TaskStatus.OPEN and task.assignee == user.username:
        edit = _step_form(task, defs.form, instance.data, editable_at_step(defs.flow.step(task.step), defs.form),
                          workdays=workflow.calendar.workdays_between)
    hidden = workflow.hidden_for(user, instance)
    shown = workflow.view(user, instance, hidden)
    return {"instance": shown, "defs": defs, "task": task, "request_id": uuid.uuid4().hex,
            "fields": [f for f in defs.form.fields
                       if f.key not in hidden and (edit is None or f.key in edit.omit)],
            "edit": edit,
            "return_to": [(s, defs.flow.step(s).title) for s in return_to],
            "can_withdraw": not any(e["action"] in ACTED for e in instance.events),
            "timeline": describe_events(shown.events, defs, workflow.org), "colleagues": colleagues,
            "changed_since": describe_changes(changed_since(shown.events, task.id), defs.form, workflow.org)
            if task is not None and task.status is TaskStatus.OPEN else (),
            "open_tasks": [t for t in tasks if t.status is TaskStatus.OPEN],
            "post_hoc": [t for t in tasks if t.post_hoc],
            "post_hoc_late": {t for t, (late, _) in _deadlines(
                workflow, [t for t in tasks if t.post_hoc and t.status is TaskStatus.OPEN]).items() if late},
            "deadline": _deadlines(workflow, [task]).get(task.id) if task else None,
            "due_estimated": bool(task and task.due and estimated(workflow.calendar, from_stamp(task.due))),
            **request_extras(workflow, user, instance, task)}


def _step_form(task: Task, form: Form, data: dict[str, Any], editable: frozenset[str],
               pairs: list[tuple[str, str]] | None = None, check: bool = False,
               directory: Organisation | None = None, resolve: Resolver | None = None,
               workdays: Workdays | None = None) -> FormState | None:
    """The editable fields of the task's step as inputs inside its approve/complete form, or None."""
    if not editable:
        return None
    state = step_state(form, data, editable, pairs=pairs, check=check, directory=directory, resolve=resolve,
                       workdays=workdays)
    state.preview = f"/tasks/{task.id}/preview"
    state.scope = "#approve-form" if task.kind == "approval" else "#complete-form"
    state.body = "#step-fields"
    return state


async def instance_page(request: Request) -> Response:
    user = await require_user(request)
    workflow = _workflow(request)
    instance = workflow.instance_for(user, request.path_params["id"])
    context = _instance_context(workflow, instance, None, user)
    context["outcome"] = outcome(workflow, user, instance, asked_kind(request.query_params))
    return render(request, "instance.html", context)


async def task_page(request: Request) -> Response:
    user = await require_user(request)
    workflow = _workflow(request)
    task, instance = workflow.task_for(user, request.path_params["id"])
    context = _instance_context(workflow, instance, task, user)
    context["outcome"] = outcome(workflow, user, instance, asked_kind(request.query_params), task.id)
    return render(request, "instance.html", context)


async def task_preview(request: Request) -> Response:
    """As-you-type at a step: re-check the editable fields, recompute, apply row add/remove."""
    user = await require_user(request, write=True)
    workflow = _workflow(request)
    task, instance = workflow.task_for(user, request.path_params["id"])
    defs = workflow.pinned(instance)
    mine = task.assignee == user.username and task.status is TaskStatus.OPEN
    editable = editable_at_step(defs.flow.step(task.step), defs.form) if mine else frozenset()
    if not editable:
        raise NotFound(N_("nothing to fill in at this task"))
    pairs = [(k, str(v)) for k, v in (await request.form()).multi_items()]
    state = _step_form(task, defs.form, instance.data, editable, pairs, check=True, directory=workflow.org,
                       resolve=resolver(user, workflow.repo, instance.data), workdays=workflow.calendar.workdays_between)
    return render(request, "partials/step_fields.html", {"state": state, "task": task},
                  status=422 if state and state.errors else 200)


async def act(request: Request) -> Response:
    user = await require_user(request, write=True)
    workflow = _workflow(request)
    action = request.path_params["action"]
    if action not in (*TASK_ACTIONS, *TASK_COMMANDS):
        raise NotFound(N_('no action "%(action)s"', action=action))
    form = await request.form()
    text = str(form.get("reason" if action in ("reject", "return") else "comment", ""))
    task, instance = workflow.task_for(user, request.path_params["id"])
    defs = workflow.pinned(instance)
    editing = action in ("approve", "complete")
    editable = editable_at_step(defs.flow.step(task.step), defs.form) if editing else frozenset()
    pairs = [(k, str(v)) for k, v in form.multi_items()]
    if action in TASK_COMMANDS:
        call = partial(TASK_COMMANDS[action], workflow, user, task.id, {k: str(v) for k, v in form.items()},
                       _seen(form), str(form.get("request_id", "")))
    else:
        act_once = partial(workflow.act, request_id=str(form.get("request_id", "")),
                           version=_seen(form), code=str(form.get("code", "")),
                           data=step_edits(defs.form, pairs, editable) if editable else None)
        call = partial(act_once, user, task.id, action, text)
    try:
        await run_in_threadpool(call)
    except ValidationFailed as failed:
        edit = _step_form(task, defs.form, instance.data, editable, pairs,
                          resolve=resolver(user, workflow.repo, instance.data), workdays=workflow.calendar.workdays_between)
        if edit is not None:
            edit.errors = failed.errors
        context = _instance_context(workflow, instance, task, user, edit)
        context.update(errors=PageWords.of(request).errors(failed.errors, defs.flow), open_action=action, typed=text)
        return render(request, "instance.html", context, block="actions", status=422)
    after = workflow.state.tasks[task.id]
    still_mine = after.status is TaskStatus.OPEN and after.assignee == user.username  # e.g. a signer added after
    return redirect(request, landing(f"/tasks/{task.id}" if still_mine else f"/instances/{instance.id}", action))


async def away(request: Request) -> Response:
    """GET: this person's delegation while away; POST sets it (errors name the field), or clears it."""
    user = await require_user(request, write=request.method == "POST")
    workflow = _workflow(request)
    typed: dict[str, str] = {"to": "", "start": "", "end": "", "note": ""}
    errors: dict[str, str] = {}
    if request.url.path.endswith("/clear"):
        await run_in_threadpool(workflow.clear_delegation, user)
    elif request.method == "POST":
        typed.update({k: str(v) for k, v in (await request.form()).items() if k in typed})
        try:
            await run_in_threadpool(workflow.set_delegation, user, typed)
        except ValidationFailed as failed:
            errors = i18n.localized_errors(failed.errors)
    if request.method == "POST" and not errors and not is_htmx(request):
        return redirect(request, "/me/away")  # without JavaScript: back to the page, as a GET
    rule = workflow.delegation(user)
    if rule and not errors:
        typed = rule.to_dict()
    context = {"rule": rule, "typed": typed, "errors": errors,
               "colleagues": _people_except(workflow, user.username)}
    return render(request, "away.html", context, block="away_form", status=422 if errors else 200)


def _seen(form: Any) -> int | None:
    """The version of the task or request the page showed, when the form carries it."""
    version = str(form.get("version", ""))
    if not version:
        return None
    if not re.fullmatch(r"[0-9]{1,9}", version):
        raise ValidationFailed({"version": N_("must be the version number the page showed")})
    return int(version)


async def resubmit_page(request: Request) -> Response:
    """The returned request's form, filled with its data, to correct and send again."""
    user = await require_user(request, write=request.method == "POST")
    workflow = _workflow(request)
    instance = workflow.instance_for(user, request.path_params["id"])
    if user.username != instance.submitter:
        raise Forbidden(N_("only the person who filed the request may correct and resubmit it"))
    if instance.status is not InstanceStatus.RETURNED:
        raise TransitionNotAllowed("resubmit", str(instance.status), "request")
    defs = workflow.pinned(instance)
    omit = not_asked_at_start(defs.flow, defs.form) | workflow.hidden_for(user, instance)
    context = {"flow": defs.flow, "form_action": f"/instances/{instance.id}/resubmit",
               "request_id": uuid.uuid4().hex,
               "returned": returned_note(instance)}
    if request.method == "GET":
        return render(request, "start.html", {**context, "state": state_from_data(defs.form, instance.data, omit)})
    pairs = [(k, str(v)) for k, v in (await request.form()).multi_items()]
    try:
        await run_in_threadpool(workflow.resubmit, user, instance.id, submission(defs.form, pairs, omit), None,
                                dict(pairs).get("request_id", ""))
    except ValidationFailed as failed:
        state = state_from_pairs(defs.form, pairs, check=False, omit=omit, resolve=resolver(user, workflow.repo),
                                 workdays=workflow.calendar.workdays_between)
        state.errors = failed.errors
        return render(request, "start.html", {**context, "state": state}, block="form_body", status=422)
    return redirect(request, landing(f"/instances/{instance.id}", "resubmit"))


async def post_hoc_report(request: Request) -> Response:
    """Open post-hoc approvals of the green channel, overdue first (admins and auditors)."""
    user = await require_user(request)
    workflow = _workflow(request)
    rows = workflow.post_hoc_report(user)
    titles = _step_titles(workflow, [(r.task, r.instance) for r in rows])
    return render(request, "post_hoc_report.html", {"rows": rows, "titles": titles})


async def withdraw(request: Request) -> Response:
    user = await require_user(request, write=True)
    form = await request.form()
    instance = await run_in_threadpool(_workflow(request).withdraw, user, request.path_params["id"], _seen(form),
                                       str(form.get("request_id", "")))
    return redirect(request, landing(f"/instances/{instance.id}", "withdraw"))


routes = [
    Route("/", home),
    Route("/lang", set_language, methods=["POST"]),
    Route("/start/{process}", start_form),
    Route("/start/{process}", submit, methods=["POST"]),
    Route("/start/{process}/preview", preview, methods=["POST"]),
    Route("/me/away", away, methods=["GET", "POST"]),
    Route("/me/away/clear", away, methods=["POST"]),
    Route("/instances/{id}", instance_page),
    Route("/instances/{id}/resubmit", resubmit_page, methods=["GET", "POST"]),
    Route("/instances/{id}/withdraw", withdraw, methods=["POST"]),
    Route("/reports/post-hoc", post_hoc_report),
    Route("/tasks/{id}", task_page),
    Route("/tasks/{id}/preview", task_preview, methods=["POST"]),
    Route("/tasks/{id}/{action:str}", act, methods=["POST"]),
]
