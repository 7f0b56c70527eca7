"""Upload and download routes: `POST /api/uploads`, the form widget's `POST /uploads`, and the
request's files at `/instances/{id}/attachments/{upload_id}` (page session) and under `/api/`.

Downloads are always attachments (never rendered inline), with the sniffed media type (never
HTML), `nosniff` and a sandboxing CSP, streamed from the file store.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from runtime import i18n
from runtime.clock import new_id
from runtime.errors import NotFound, PayloadTooLarge, ValidationFailed
from runtime.file_types import OCTET_STREAM
from runtime.i18n import N_
from runtime.service import Workflow
from runtime.uploads import Target, attachment_for, store_upload, target_for
from runtime.web.rendering import render
from runtime.web.session import require_streaming_writer, require_user
from runtime.web.upload_stream import receive_file, refuse_declared_length

ITEM_TEMPLATE = "partials/attachment_item.html"
_TARGET_KEYS = ("form", "field", "version")


def _target(workflow: Workflow, named: Any, default_cap: int) -> Target:
    return target_for(workflow, named.get("form", ""), named.get("field", ""), named.get("version", ""), default_cap)


async def receive(request: Request) -> dict[str, Any]:
    """Take one uploaded file: the field named in the query (or in parts before the file) sets
    the cap and the accepted types; the server's `max_upload` otherwise."""
    user = await require_streaming_writer(request)
    workflow: Workflow = request.app.state.workflow
    workflow.require_actor(user)  # a file is taken only for a request its sender may file or act on
    default_cap = request.app.state.settings.max_upload
    in_query = any(k in request.query_params for k in _TARGET_KEYS)
    target = _target(workflow, request.query_params, default_cap)
    refuse_declared_length(request, target.cap)
    chosen: list[Target] = [target]

    def cap_for(fields: dict[str, str]) -> int:
        if not in_query:
            chosen[0] = _target(workflow, fields, default_cap)
        return chosen[0].cap

    repo = request.app.state.repo
    received = await receive_file(request, repo.blobs, cap_for, default_cap)
    assert received.writer is not None
    try:
        if not in_query and any(k in received.fields for k in _TARGET_KEYS):
            chosen[0] = _target(workflow, received.fields, default_cap)  # named after the file
    except BaseException:
        repo.blobs.abort(received.writer)
        raise
    return await run_in_threadpool(store_upload, repo, user, chosen[0], received.name, received.writer,
                                   workflow.engine.now, new_id)


async def api_upload(request: Request) -> Response:
    record = await receive(request)
    return JSONResponse({k: record[k] for k in ("id", "name", "size", "sha256", "type")}, status_code=201)


async def page_upload(request: Request) -> Response:
    """The form widget's upload: the file's row (a hidden input with its id) or its error, as a
    fragment for the widget's list; the input's name comes from the widget (`input`)."""
    context = {"input_name": request.query_params.get("input", "")[:200], "file": None, "error": ""}
    try:
        context["file"] = await receive(request)
        status = 201
    except (ValidationFailed, PayloadTooLarge, NotFound) as failed:
        context["error"] = "; ".join(i18n.localized_errors(failed.errors).values()) \
            if isinstance(failed, ValidationFailed) else i18n.localized(failed.args[0])
        status = 413 if isinstance(failed, PayloadTooLarge) else 422
    return render(request, ITEM_TEMPLATE, context, status=status)


async def download(request: Request) -> Response:
    user = await require_user(request)
    workflow: Workflow = request.app.state.workflow
    item = attachment_for(workflow, user, request.path_params["id"], request.path_params["upload_id"])
    blobs = request.app.state.repo.blobs
    headers = {"Content-Disposition": "attachment; filename*=UTF-8''" + quote(item["name"], safe=""),
               "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox",
               "Cache-Control": "private, no-cache"}
    media = item["type"] if item["type"] and "html" not in item["type"] else OCTET_STREAM
    path = blobs.path(item["sha256"])
    if path is not None:
        return FileResponse(path, headers=headers, media_type=media)
    try:
        return Response(blobs.read(item["sha256"]), headers=headers, media_type=media)
    except FileNotFoundError:
        raise NotFound(N_('the file "%(name)s" is missing from the store', name=item["name"])) from None


routes = [
    Route("/api/uploads", api_upload, methods=["POST"]),
    Route("/uploads", page_upload, methods=["POST"]),
    Route("/api/instances/{id}/attachments/{upload_id}", download),
    Route("/instances/{id}/attachments/{upload_id}", download),
]
