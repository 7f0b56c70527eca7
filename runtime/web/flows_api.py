"""The processes part of the JSON API (designer/admin only): flow drafts, checks, publishing,
versions.

The shapes are a contract outside scripts rely on: `GET /api/flows/{key}` and `PUT` answer with
the flow document itself (its `ETag` in the header; a PUT sending it back as `If-Match` is refused
with 409 when someone else saved the draft in between); a refused save or publish is a 422
`{"errors": {json path: message}}` and saves nothing. `GET /api/flows/{key}/problems` lists what
still blocks publishing the draft, in the same shape; `GET /api/flows/{key}/impact` counts the
requests still running, which keep their version: `{"running", "by_version", "by_step"}`.
"""
from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runtime.flow_authoring import FlowAuthoring
from runtime.simulation import simulate
from runtime.web.api import json_object
from runtime.web.drafts_api import draft_routes, if_match, shown
from runtime.web.session import require_user


def _authoring(request: Request) -> FlowAuthoring:
    return request.app.state.flow_authoring


async def put_flow(request: Request) -> Response:
    user = await require_user(request, write=True)
    body = await json_object(request)
    return shown(_authoring(request).save(user, request.path_params["key"], body, if_match=if_match(request)), "flow")


async def problems(request: Request) -> Response:
    user = await require_user(request)
    found = _authoring(request).problems(user, request.path_params["key"])
    return JSONResponse({"errors": {p.path: p.message for p in found}})


async def publish(request: Request) -> Response:
    user = await require_user(request, write=True)
    body = await json_object(request)
    key = request.path_params["key"]
    done = await run_in_threadpool(lambda: _authoring(request).publish(
        user, key, body.get("note"), body.get("effective"), confirm_routes=body.get("confirm_routes") is True))
    return JSONResponse(done.to_dict(key), status_code=202 if done.pending else 201)


async def simulate_draft(request: Request) -> Response:
    """What-if on the draft: `{"data", "submitter", "chosen"?}` → `{"path": [...], "status"}`."""
    user = await require_user(request, write=True)
    body = await json_object(request)
    defs = _authoring(request).definitions(user, request.path_params["key"])
    done = await run_in_threadpool(simulate, request.app.state.workflow, defs, body.get("submitter"),
                                   body.get("data", {}), body.get("chosen"))
    return JSONResponse(done.to_dict())


async def impact(request: Request) -> Response:
    user = await require_user(request)
    return JSONResponse(_authoring(request).impact(user, request.path_params["key"]))


routes = [
    *draft_routes("/api/flows", "flow_authoring", "flow"),
    Route("/api/flows/{key}", put_flow, methods=["PUT"]),
    Route("/api/flows/{key}/problems", problems),
    Route("/api/flows/{key}/publish", publish, methods=["POST"]),
    Route("/api/flows/{key}/impact", impact),
    Route("/api/flows/{key}/simulate", simulate_draft, methods=["POST"]),
]
