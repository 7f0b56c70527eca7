"""Webhooks for admins: register an endpoint and the events it wants (the secret shown once),
list and delete them, read each one's delivery log, send a failed delivery again. The same
through `POST/GET/DELETE /api/webhooks` for scripts. Failed emails are listed here too."""
from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runtime import i18n
from runtime.errors import Forbidden, NotFound, ValidationFailed
from runtime.i18n import N_
from runtime.org import User
from runtime.outbox.center import Notifications
from runtime.outbox.webhooks import GROUPS, REQUEST_KINDS, Hook
from runtime.web.api import json_object
from runtime.web.rendering import redirect, render
from runtime.web.session import require_user

ADMIN_ROLES = ("designer", "admin")


def _center(request: Request) -> Notifications:
    return request.app.state.notifications


async def _admin(request: Request, *, write: bool = False) -> User:
    user = await require_user(request, write=write)
    if not any(user.has_role(r) for r in ADMIN_ROLES):
        raise Forbidden(N_("only a designer or admin may manage webhooks"))
    return user


def deliveries(center: Notifications, hook_id: str = "", channel: str = "") -> list[dict[str, Any]]:
    """Each delivery of one webhook (asked of its courier) or channel, the latest first."""
    if hook_id:
        return center.relay.deliveries(hook_id)
    return center.dispatcher.log.rows(f".{channel}.") if center.dispatcher else []


def _retry(center: Notifications, delivery_id: str) -> bool:
    """A failed delivery sent again, by the channel it belongs to; False if there is none."""
    channel = center.relay if ".hook." in delivery_id else center.dispatcher
    return bool(channel and channel.retry(delivery_id))


def _created(hook: Hook) -> dict[str, Any]:
    return {**hook.shown(), "secret": hook.secret}


# --- the API -------------------------------------------------------------------------------------

async def api_register(request: Request) -> Response:
    user = await _admin(request, write=True)
    body = await json_object(request)
    center = _center(request)
    hook = await run_in_threadpool(center.hooks.register, body, center.workflow.state.last_seq, user.username)
    return JSONResponse(_created(hook), status_code=201)


async def api_list(request: Request) -> Response:
    await _admin(request)
    return JSONResponse({"items": [h.shown() for h in _center(request).hooks.all()]})


async def api_delete(request: Request) -> Response:
    await _admin(request, write=True)
    await run_in_threadpool(_center(request).hooks.delete, request.path_params["id"])
    return Response(status_code=204)


async def api_deliveries(request: Request) -> Response:
    await _admin(request)
    center = _center(request)
    hook = center.hooks.get(request.path_params["id"])
    return JSONResponse({"items": [{k: v for k, v in row.items()} for row in deliveries(center, hook.id)]})


async def api_retry(request: Request) -> Response:
    await _admin(request, write=True)
    if not await run_in_threadpool(_retry, _center(request), request.path_params["delivery"]):
        raise NotFound(N_("no failed delivery %(id)s", id=request.path_params["delivery"]))
    return JSONResponse({"id": request.path_params["delivery"], "state": "retrying"}, status_code=202)


# --- the pages -----------------------------------------------------------------------------------

def _page(request: Request, center: Notifications, **extra: Any) -> Response:
    context = {"hooks": center.hooks.all(), "groups": GROUPS, "kinds": REQUEST_KINDS, "created": None,
               "errors": {}, "typed": {"url": "", "events": ["all"]},
               "failed_emails": [d for d in deliveries(center, channel="email") if d["state"] == "failed"], **extra}
    return render(request, "admin_webhooks.html", context, status=422 if context["errors"] else 200)


async def page(request: Request) -> Response:
    """GET: the registered webhooks and a form; POST registers one and shows its secret, once."""
    user = await _admin(request, write=request.method == "POST")
    center = _center(request)
    if request.method == "GET":
        return _page(request, center)
    form = await request.form()
    typed = {"url": str(form.get("url", "")), "events": [str(v) for v in form.getlist("events")]}
    try:
        hook = await run_in_threadpool(center.hooks.register, typed, center.workflow.state.last_seq, user.username)
    except ValidationFailed as failed:
        return _page(request, center, errors=i18n.localized_errors(failed.errors), typed=typed)
    return _page(request, center, created=_created(hook))


async def log_page(request: Request) -> Response:
    await _admin(request)
    center = _center(request)
    hook = center.hooks.get(request.path_params["id"])
    return render(request, "admin_webhook_log.html", {"hook": hook, "rows": deliveries(center, hook.id)})


async def delete(request: Request) -> Response:
    await _admin(request, write=True)
    await run_in_threadpool(_center(request).hooks.delete, request.path_params["id"])
    return redirect(request, "/admin/webhooks")


async def retry(request: Request) -> Response:
    await _admin(request, write=True)
    delivery = request.path_params["delivery"]
    if not await run_in_threadpool(_retry, _center(request), delivery):
        raise NotFound(N_("no failed delivery %(id)s", id=delivery))
    hook = delivery.split(".hook.", 1)[1] if ".hook." in delivery else ""
    return redirect(request, f"/admin/webhooks/{hook}" if hook else "/admin/webhooks")


routes = [
    Route("/api/webhooks", api_register, methods=["POST"]),
    Route("/api/webhooks", api_list),
    Route("/api/webhooks/{id}", api_delete, methods=["DELETE"]),
    Route("/api/webhooks/{id}/deliveries", api_deliveries),
    Route("/api/deliveries/{delivery}/retry", api_retry, methods=["POST"]),
    Route("/admin/webhooks", page, methods=["GET", "POST"]),
    Route("/admin/webhooks/{id}", log_page),
    Route("/admin/webhooks/{id}/delete", delete, methods=["POST"]),
    Route("/admin/deliveries/{delivery}/retry", retry, methods=["POST"]),
]
