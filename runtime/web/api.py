"""The JSON API: the paths and shapes here are a contract that outside scripts rely on."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from builder.bpmn import flow_to_bpmn
from builder.dmn import rulesets_to_dmn
from builder.exchange import dumps
from builder.json_text import MAX_DEPTH, control_characters, too_deep
from builder.text import localize
from runtime import auth
from runtime.deadlines import TimeLeft
from runtime.errors import BadRequest, ValidationFailed
from runtime.i18n import N_
from runtime.login_guard import LoginGuard
from runtime.org import User
from runtime.service import Workflow
from runtime.state import Instance, Task
from runtime.web.body_limit import too_large
from runtime.web.upload_stream import read_capped
from runtime.web.session import require_user


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object: at most `settings.max_json` bytes (413 before or while reading),
    nested at most MAX_DEPTH deep (400), so no body can exhaust memory or recursion later on."""
    cap = request.app.state.settings.max_json
    return parse_json_object(await read_capped(request, cap, lambda: too_large(cap)))


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """A JSON object from bytes (an empty body is `{}`), or a BadRequest saying what is wrong; a
    string with a control character in it is a 422 naming its path (`comment`). Not so under
    `data`: that is a form's, refused field by field by its cleaners at paths within the form."""
    try:  # orjson refuses NaN, lone surrogates and runaway nesting, which json.loads lets in
        body = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError as exc:
        raise BadRequest(N_("the request body is not valid JSON: %(exc)s", exc=exc)) from None
    if not isinstance(body, dict):
        raise BadRequest(N_("the request body must be a JSON object"))
    if too_deep(body, MAX_DEPTH):
        raise BadRequest(N_("the request body is nested more than %(depth)s levels deep", depth=MAX_DEPTH))
    bad = control_characters({k: v for k, v in body.items() if k != "data"})  # a form's data: its fields' cleaners
    if bad:
        raise ValidationFailed({at: N_("must not contain control characters") for at in bad})
    return body


def text_field(body: dict[str, Any], key: str) -> str:
    """A text member of a JSON body (empty when absent); anything else is a 422 naming it."""
    value = body.get(key, "")
    if not isinstance(value, str):
        raise ValidationFailed({key: N_("must be a string")})
    return value


def _version(body: dict[str, Any]) -> int | None:
    """The version of the task (or request) the caller saw, if it says (optimistic concurrency)."""
    version = body.get("version")
    if version is None:
        return None
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValidationFailed({"version": N_("must be the version number you saw")})
    return version


def _request(body: dict[str, Any]) -> str:
    """The caller's id for this action: repeating it has no second effect."""
    return text_field(body, "request_id")


def _workflow(request: Request) -> Workflow:
    return request.app.state.workflow


def _post_hoc(task: Task) -> dict[str, Any]:
    """The green-channel members of a task's JSON: only a post-hoc task has them."""
    return {"post_hoc": True, "due": task.due} if task.post_hoc else {}


def task_json(task: Task, standing: TimeLeft | None = None) -> dict[str, Any]:
    """A task; `due` is null without a deadline, `overdue` whether it has passed (`standing`, now);
    `post_hoc` marks an approval a green-channel start skipped, done afterwards."""
    return {"id": task.id, "instance": task.instance, "process": task.process, "step": task.step,
            "assignee": task.assignee, "created": task.created, "status": str(task.status),
            "due": task.due or None, "overdue": bool(standing and standing.overdue), **_post_hoc(task)}


HIDDEN_EVENT_FIELDS = ("prev", "mac", "instance", "commit")  # the log's chaining, and the id the answer names already


def instance_json(workflow: Workflow, instance: Instance, *, full: bool = True) -> dict[str, Any]:
    tasks = [workflow.state.tasks[t] for t in instance.task_ids]
    body: dict[str, Any] = {
        "id": instance.id, "process": instance.process, "status": str(instance.status), "version": instance.version,
        "tasks": [{"id": t.id, "step": t.step, "assignee": t.assignee, "status": str(t.status),
                   "version": t.version, **_post_hoc(t)} for t in tasks],
        **_urgent(instance),
    }
    if full:
        body.update(submitter=instance.submitter, created=instance.created, updated=instance.updated,
                    data=instance.data,
                    pinned={"flow": instance.flow_version, "form": instance.form,
                            "form_version": instance.form_version, "rulesets": instance.rulesets},
                    events=[{k: v for k, v in e.items() if k not in HIDDEN_EVENT_FIELDS} for e in instance.events])
    return body


def _urgent(instance: Instance) -> dict[str, Any]:
    """How an urgent start stands: its reason, post-hoc approvals still open, whether one was refused."""
    if not instance.urgent_reason:
        return {}
    return {"urgent": {"reason": instance.urgent_reason, "post_hoc_open": instance.post_hoc_open,
                       "post_hoc_refused": instance.post_hoc_refused}}


async def login(request: Request) -> Response:
    body = await json_object(request)
    workflow = _workflow(request)
    guard: LoginGuard = request.app.state.login_guard
    user = await guard.check(workflow.org, text_field(body, "username"), text_field(body, "password"),
                             request.client.host if request.client else "")
    session = auth.open_session(request.app.state.repo, user, kind="api")
    return JSONResponse({"token": session.token})


async def logout(request: Request) -> Response:
    """Ends the session: a bearer token's, or (with its CSRF token) a browser cookie's."""
    await require_user(request, write=True)
    auth.close_session(request.app.state.repo, request.state.session.token)
    return Response(status_code=204)


async def processes(request: Request) -> Response:
    await require_user(request)
    locale = request.query_params.get("locale", "en")
    return JSONResponse([{"key": f.key, "version": f.version, "title": localize(f.title, locale),
                          "form": f.form} for f in _workflow(request).processes()])


async def start_instance(request: Request) -> Response:
    user = await require_user(request, write=True)
    body = await json_object(request)
    process = body.get("process")
    if not isinstance(process, str) or not process:
        raise ValidationFailed({"process": N_('name the process to start, e.g. "expense"')})
    workflow = _workflow(request)
    instance = await run_in_threadpool(workflow.start, user, process, body.get("data"),
                                       text_field(body, "request_id"), body.get("urgent"), body.get("chosen"))
    open_tasks = [{"id": t.id, "step": t.step, "assignee": t.assignee, **_post_hoc(t)}
                  for t in (workflow.state.tasks[i] for i in instance.task_ids) if t.status == "open"]
    return JSONResponse({"id": instance.id, "status": str(instance.status), "tasks": open_tasks,
                         **_urgent(instance)}, status_code=201)


async def get_instance(request: Request) -> Response:
    user = await require_user(request)
    workflow = _workflow(request)
    instance = workflow.instance_for(user, request.path_params["id"])
    return JSONResponse(instance_json(workflow, workflow.view(user, instance)))


async def my_tasks(request: Request) -> Response:
    user = await require_user(request)
    workflow = _workflow(request)
    return JSONResponse([{k: v for k, v in task_json(t, workflow.time_left(t)).items() if k != "status"}
                         for t in workflow.inbox(user)])


def _task_action(action: str, text_key: str):
    async def endpoint(request: Request) -> Response:
        user = await require_user(request, write=True)
        body = await json_object(request)
        workflow = _workflow(request)
        act = partial(workflow.act, request_id=text_field(body, "request_id"), version=_version(body),
                      code=text_field(body, "code"), data=body.get("data"))
        instance = await run_in_threadpool(act, user, request.path_params["id"], action, text_field(body, text_key))
        return JSONResponse(instance_json(workflow, instance, full=False))
    endpoint.__name__ = f"{action}_task"
    return endpoint


# A command besides deciding, on the task or request named in the path: (workflow, person, id,
# what they sent, the version they saw, their request id). The pages' forms post the same fields.
Command = Callable[[Workflow, User, str, dict[str, Any], int | None, str], Instance]

TASK_COMMANDS: dict[str, Command] = {
    "transfer": lambda wf, user, id_, sent, version, request_id: wf.transfer(
        user, id_, text_field(sent, "to"), text_field(sent, "comment"), version, request_id),
    "return": lambda wf, user, id_, sent, version, request_id: wf.send_back(
        user, id_, text_field(sent, "to") or "submitter", text_field(sent, "reason"), version, request_id),
    "add-signer": lambda wf, user, id_, sent, version, request_id: wf.add_signer(
        user, id_, text_field(sent, "user"), text_field(sent, "position"), version, request_id),
    "urge": lambda wf, user, id_, sent, version, request_id: wf.urge(user, id_, request_id),
}
INSTANCE_COMMANDS: dict[str, Command] = {
    "withdraw": lambda wf, user, id_, sent, version, request_id: wf.withdraw(user, id_, version, request_id),
    "resubmit": lambda wf, user, id_, sent, version, request_id: wf.resubmit(
        user, id_, sent.get("data"), version, request_id),
    "comment": lambda wf, user, id_, sent, version, request_id: wf.comment(
        user, id_, text_field(sent, "comment"), request_id),
}


def _command(call: Command):
    """An endpoint for one command on the task or instance named in the path: sign-in and CSRF,
    the JSON body, the call off the event loop, the instance's new state as the answer."""
    async def endpoint(request: Request) -> Response:
        user = await require_user(request, write=True)
        body = await json_object(request)
        workflow = _workflow(request)
        instance = await run_in_threadpool(call, workflow, user, request.path_params["id"], body,
                                           _version(body), _request(body))
        return JSONResponse(instance_json(workflow, instance, full=False))
    return endpoint


async def delegation(request: Request) -> Response:
    """GET: this person's rule for while they are away; PUT {to, start, end, note?} sets it; DELETE clears it."""
    user = await require_user(request, write=request.method != "GET")
    workflow = _workflow(request)
    if request.method == "PUT":
        await run_in_threadpool(workflow.set_delegation, user, await json_object(request))
    elif request.method == "DELETE":
        await run_in_threadpool(workflow.clear_delegation, user)
    rule = workflow.delegation(user)
    return JSONResponse({"delegation": rule.to_dict() if rule else None})


async def post_hoc_report(request: Request) -> Response:
    """Open post-hoc approvals (green channel), overdue first; admins and auditors only."""
    user = await require_user(request)
    rows = _workflow(request).post_hoc_report(user)
    return JSONResponse([{"task": r.task.id, "instance": r.instance.id, "process": r.instance.process,
                          "step": r.task.step, "assignee": r.task.assignee, "due": r.task.due,
                          "overdue": r.overdue, "submitter": r.instance.submitter,
                          "reason": r.instance.urgent_reason} for r in rows])


async def export_flow(request: Request) -> Response:
    user = await require_user(request)
    _workflow(request).require_definition_reader(user)
    bundle = _workflow(request).export(request.path_params["key"])
    return Response(dumps(bundle), media_type="application/json")


def _exported_as(render: Callable[[Any], str], suffix: str) -> Callable[[Request], Any]:
    """A download of the process in effect, rendered by `render` from its definitions, for the
    same readers as the JSON export; saved as `<key>.<suffix>`."""
    async def view(request: Request) -> Response:
        user = await require_user(request)
        workflow = _workflow(request)
        workflow.require_definition_reader(user)
        key = request.path_params["key"]
        body = render(workflow.latest(key))
        return Response(body, media_type="application/xml",
                        headers={"Content-Disposition": f'attachment; filename="{key}.{suffix}"'})
    return view


export_bpmn = _exported_as(lambda defs: flow_to_bpmn(defs.flow, defs.form, defs.rulesets), "bpmn")
export_dmn = _exported_as(lambda defs: rulesets_to_dmn(defs.rulesets.values()), "dmn")


async def import_flow(request: Request) -> Response:
    user = await require_user(request, write=True)
    body = await json_object(request)
    flow = await run_in_threadpool(_workflow(request).import_bundle, user, body)
    return JSONResponse({"key": flow.key, "version": flow.version}, status_code=201)


routes = [
    Route("/api/login", login, methods=["POST"]),
    Route("/api/logout", logout, methods=["POST"]),
    Route("/api/processes", processes),
    Route("/api/instances", start_instance, methods=["POST"]),
    Route("/api/instances/{id}", get_instance),
    Route("/api/tasks", my_tasks),
    Route("/api/tasks/{id}/approve", _task_action("approve", "comment"), methods=["POST"]),
    Route("/api/tasks/{id}/reject", _task_action("reject", "reason"), methods=["POST"]),
    Route("/api/tasks/{id}/complete", _task_action("complete", "comment"), methods=["POST"]),
    *(Route(f"/api/tasks/{{id}}/{name}", _command(call), methods=["POST"]) for name, call in TASK_COMMANDS.items()),
    *(Route(f"/api/instances/{{id}}/{name}", _command(call), methods=["POST"])
      for name, call in INSTANCE_COMMANDS.items()),
    Route("/api/me/delegation", delegation, methods=["GET", "PUT", "DELETE"]),
    Route("/api/reports/post-hoc", post_hoc_report),
    Route("/api/flows/{key}/export", export_flow),
    Route("/api/flows/{key}/export.bpmn", export_bpmn),
    Route("/api/flows/{key}/export.dmn", export_dmn),
    Route("/api/flows/import", import_flow, methods=["POST"]),
]
