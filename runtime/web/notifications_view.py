"""The in-app notifications: the bell's count, the list, read marks, preferences, and the JSON API.

The API speaks English (as the rest of it does); the pages speak the reader's language.
"""
from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runtime import i18n
from runtime.errors import NotFound, ValidationFailed
from runtime.i18n import N_
from runtime.outbox.center import Notifications
from runtime.outbox.notices import GROUPS
from runtime.outbox.prefs import CHANNELS, parse_form
from runtime.web.rendering import is_htmx, redirect, render
from runtime.web.session import require_user

CHANNEL_NAMES = {"inapp": N_("In the app"), "email": N_("Email")}


def _center(request: Request) -> Notifications:
    return request.app.state.notifications


def _rows(center: Notifications, username: str) -> list[dict[str, Any]]:
    locale = i18n.current_locale.get()
    return [{"notice": n, "unread": unread, "sentence": center.sentence(n, locale).localized()}
            for n, unread in center.items(username)]


async def bell(request: Request) -> Response:
    """The bell with its count, polled by htmx (the nav's `partials/bell.html`)."""
    user = await require_user(request)
    return render(request, "partials/bell.html", {"unread": _center(request).unread(user.username), "polled": True})


async def listing(request: Request) -> Response:
    user = await require_user(request)
    center = _center(request)
    return render(request, "notifications.html", {"rows": _rows(center, user.username),
                                                  "unread": center.unread(user.username)})


async def open_notice(request: Request) -> Response:
    """Follow a notice: marked read, then on to its task or request."""
    user = await require_user(request)
    center = _center(request)
    notice = center.board.find(user.username, request.path_params["id"])
    if notice is None:
        raise NotFound(N_("no such notification"))
    await run_in_threadpool(center.board.mark_read, user.username, notice.id)
    return redirect(request, notice.link)


async def read_all(request: Request) -> Response:
    user = await require_user(request, write=True)
    center = _center(request)
    await run_in_threadpool(center.caught_up)  # "all" includes what was just committed
    await run_in_threadpool(center.board.mark_all_read, user.username)
    return redirect(request, "/me/notifications")


async def settings(request: Request) -> Response:
    """GET: what this person is told, and how; POST saves it (errors name the field)."""
    user = await require_user(request, write=request.method == "POST")
    center = _center(request)
    errors: dict[str, str] = {}
    saved = False
    prefs = center.prefs(user.username)
    if request.method == "POST":
        pairs = [(k, str(v)) for k, v in (await request.form()).multi_items()]
        try:
            prefs = parse_form(pairs)
        except ValidationFailed as failed:
            errors = i18n.localized_errors(failed.errors)
        else:
            await run_in_threadpool(center.set_prefs, user.username, prefs)
            saved = True
            if not is_htmx(request):
                return redirect(request, "/me/notifications/settings")
    context = {"prefs": prefs, "groups": GROUPS, "channels": CHANNELS, "channel_names": CHANNEL_NAMES,
               "errors": errors, "saved": saved, "timezone": center.workflow.calendar.timezone,
               "language": center.language(user.username), "has_email": bool(user.email)}
    return render(request, "notification_settings.html", context, block="settings_form",
                  status=422 if errors else 200)


async def api_list(request: Request) -> Response:
    """`GET /api/notifications` → `{"items": [...], "unread": N}`, the latest first."""
    user = await require_user(request)
    center = _center(request)
    items = [{**n.to_dict(), "text": str(center.sentence(n, "en")), "unread": unread}
             for n, unread in center.items(user.username)]
    return JSONResponse({"items": items, "unread": center.unread(user.username)})


routes = [
    Route("/me/notifications", listing),
    Route("/me/notifications/bell", bell),
    Route("/me/notifications/read-all", read_all, methods=["POST"]),
    Route("/me/notifications/settings", settings, methods=["GET", "POST"]),
    Route("/me/notifications/open/{id}", open_notice),
    Route("/api/notifications", api_list),
]
