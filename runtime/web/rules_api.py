"""The rules part of the JSON API: drafts, what-if evaluation, lint, publishing, versions."""
from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runtime.errors import ValidationFailed
from runtime.rulesets import RulesetAuthoring
from runtime.web.api import json_object, text_field
from runtime.web.session import require_user
from runtime.i18n import N_


def _authoring(request: Request) -> RulesetAuthoring:
    return request.app.state.authoring


def _version(request: Request, body: dict | None = None) -> int | None:
    raw = (body or {}).get("version", request.query_params.get("version"))
    if raw is None:
        return None
    try:
        version = int(raw)
    except (TypeError, ValueError):
        raise ValidationFailed({"version": N_("must be a version number")}) from None
    if version < 1 or isinstance(raw, bool):
        raise ValidationFailed({"version": N_("must be a version number")})
    return version


async def list_rulesets(request: Request) -> Response:
    user = await require_user(request)
    return JSONResponse(_authoring(request).summaries(user))


async def get_draft(request: Request) -> Response:
    user = await require_user(request)
    return JSONResponse(_authoring(request).draft(user, request.path_params["key"]).to_dict())


async def put_draft(request: Request) -> Response:
    user = await require_user(request, write=True)
    body = await json_object(request)
    draft = _authoring(request).save(user, request.path_params["key"], body)
    return JSONResponse(draft.to_dict())


async def discard_draft(request: Request) -> Response:
    user = await require_user(request, write=True)
    _authoring(request).discard(user, request.path_params["key"])
    return Response(status_code=204)


async def publish(request: Request) -> Response:
    user = await require_user(request, write=True)
    body = await json_object(request)
    key = request.path_params["key"]
    version = await run_in_threadpool(_authoring(request).publish, user, key, text_field(body, "note"))
    return JSONResponse({"key": key, "version": version}, status_code=201)


async def evaluate(request: Request) -> Response:
    user = await require_user(request)
    body = await json_object(request)
    decision = _authoring(request).evaluate(user, request.path_params["key"], body.get("data"),
                                            _version(request, body))
    return JSONResponse(decision.to_dict())


async def lint(request: Request) -> Response:
    user = await require_user(request)
    findings = _authoring(request).lint(user, request.path_params["key"], _version(request))
    return JSONResponse({"findings": findings})


async def versions(request: Request) -> Response:
    user = await require_user(request)
    return JSONResponse(_authoring(request).history(user, request.path_params["key"]))


routes = [
    Route("/api/rulesets", list_rulesets),
    Route("/api/rulesets/{key}", get_draft),
    Route("/api/rulesets/{key}", put_draft, methods=["PUT"]),
    Route("/api/rulesets/{key}/draft", discard_draft, methods=["DELETE"]),
    Route("/api/rulesets/{key}/publish", publish, methods=["POST"]),
    Route("/api/rulesets/{key}/evaluate", evaluate, methods=["POST"]),
    Route("/api/rulesets/{key}/lint", lint),
    Route("/api/rulesets/{key}/versions", versions),
]
