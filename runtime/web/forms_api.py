"""The forms part of the JSON API (designer/admin only): drafts, undo/redo, publishing, versions.

The shapes are a contract outside scripts rely on: `GET /api/forms/{key}` and `PUT` answer with
the form document itself; a refused save or publish is a 422 `{"errors": {json path: message}}`.
The draft's `ETag` comes with each answer that shows it; a PUT sending it back as `If-Match`
is refused (409) when someone else saved the draft in between.
"""
from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runtime.form_authoring import FormAuthoring
from runtime.web.api import json_object
from runtime.web.drafts_api import draft_routes, if_match, shown
from runtime.web.session import require_user


def _authoring(request: Request) -> FormAuthoring:
    return request.app.state.form_authoring


async def put_form(request: Request) -> Response:
    user = await require_user(request, write=True)
    body = await json_object(request)
    return shown(_authoring(request).save(user, request.path_params["key"], body, if_match(request)), "form")


async def publish(request: Request) -> Response:
    user = await require_user(request, write=True)
    body = await json_object(request)
    key = request.path_params["key"]
    version = await run_in_threadpool(_authoring(request).publish, user, key, body.get("note"))
    return JSONResponse({"key": key, "version": version}, status_code=201)


routes = [
    *draft_routes("/api/forms", "form_authoring", "form"),
    Route("/api/forms/{key}", put_form, methods=["PUT"]),
    Route("/api/forms/{key}/publish", publish, methods=["POST"]),
]
