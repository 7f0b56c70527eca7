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

from runtime.form_authoring import FormAuthoring, FormDraft
from runtime.web.api import json_object
from runtime.web.session import require_user


def _authoring(request: Request) -> FormAuthoring:
    return request.app.state.form_authoring


async def list_forms(request: Request) -> Response:
    user = await require_user(request)
    return JSONResponse(_authoring(request).summaries(user))


def _shown(draft: FormDraft) -> Response:
    return JSONResponse(draft.form, headers={"ETag": draft.etag})


def if_match(request: Request) -> str | None:
    """The entity tag the caller saw (weak or strong alike), if it sent one; `*` checks nothing."""
    sent = request.headers.get("if-match", "").strip()
    return None if sent in ("", "*") else sent.removeprefix("W/")


async def get_form(request: Request) -> Response:
    user = await require_user(request)
    return _shown(_authoring(request).draft(user, request.path_params["key"]))


async def put_form(request: Request) -> Response:
    user = await require_user(request, write=True)
    body = await json_object(request)
    return _shown(_authoring(request).save(user, request.path_params["key"], body, if_match(request)))


async def discard(request: Request) -> Response:
    user = await require_user(request, write=True)
    _authoring(request).discard(user, request.path_params["key"])
    return Response(status_code=204)


async def undo(request: Request) -> Response:
    user = await require_user(request, write=True)
    return _shown(_authoring(request).undo(user, request.path_params["key"]))


async def redo(request: Request) -> Response:
    user = await require_user(request, write=True)
    return _shown(_authoring(request).redo(user, request.path_params["key"]))


async def publish(request: Request) -> Response:
    user = await require_user(request, write=True)
    body = await json_object(request)
    key = request.path_params["key"]
    version = await run_in_threadpool(_authoring(request).publish, user, key, body.get("note"))
    return JSONResponse({"key": key, "version": version}, status_code=201)


async def versions(request: Request) -> Response:
    user = await require_user(request)
    return JSONResponse(_authoring(request).versions(user, request.path_params["key"]))


routes = [
    Route("/api/forms", list_forms),
    Route("/api/forms/{key}", get_form),
    Route("/api/forms/{key}", put_form, methods=["PUT"]),
    Route("/api/forms/{key}/draft", discard, methods=["DELETE"]),
    Route("/api/forms/{key}/undo", undo, methods=["POST"]),
    Route("/api/forms/{key}/redo", redo, methods=["POST"]),
    Route("/api/forms/{key}/publish", publish, methods=["POST"]),
    Route("/api/forms/{key}/versions", versions),
]
