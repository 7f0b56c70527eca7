"""What the forms and processes parts of the JSON API share (designer/admin only): every
definition kind lists its drafts and versions, shows a draft with its `ETag`, undoes, redoes and
discards it the same way; only saving and publishing differ, and live in each kind's module.
"""
from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runtime.web.session import require_user


def shown(draft: Any, document: str) -> Response:
    """The draft's document (its `document` attribute: "form", "flow") with the draft's entity tag."""
    return JSONResponse(getattr(draft, document), headers={"ETag": draft.etag})


def if_match(request: Request) -> str | None:
    """The entity tag the caller saw (weak or strong alike), if it sent one; `*` checks nothing."""
    sent = request.headers.get("if-match", "").strip()
    return None if sent in ("", "*") else sent.removeprefix("W/")


def draft_routes(prefix: str, authoring: str, document: str) -> list[Route]:
    """`GET prefix`, `GET prefix/{key}`, `DELETE prefix/{key}/draft`, `POST prefix/{key}/undo` and
    `/redo`, `GET prefix/{key}/versions`, over the authoring service at `app.state.<authoring>`."""
    def service(request: Request) -> Any:
        return getattr(request.app.state, authoring)

    async def list_all(request: Request) -> Response:
        return JSONResponse(service(request).summaries(await require_user(request)))

    async def get_one(request: Request) -> Response:
        return shown(service(request).draft(await require_user(request), request.path_params["key"]), document)

    async def discard(request: Request) -> Response:
        service(request).discard(await require_user(request, write=True), request.path_params["key"])
        return Response(status_code=204)

    async def undo(request: Request) -> Response:
        return shown(service(request).undo(await require_user(request, write=True), request.path_params["key"]), document)

    async def redo(request: Request) -> Response:
        return shown(service(request).redo(await require_user(request, write=True), request.path_params["key"]), document)

    async def versions(request: Request) -> Response:
        return JSONResponse(service(request).versions(await require_user(request), request.path_params["key"]))

    return [Route(prefix, list_all), Route(prefix + "/{key}", get_one),
            Route(prefix + "/{key}/draft", discard, methods=["DELETE"]),
            Route(prefix + "/{key}/undo", undo, methods=["POST"]), Route(prefix + "/{key}/redo", redo, methods=["POST"]),
            Route(prefix + "/{key}/versions", versions)]
