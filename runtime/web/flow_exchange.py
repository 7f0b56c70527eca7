"""Exchange in the designer: download a process as its JSON document (or as BPMN 2.0 XML and DMN
for BPMN tools, the API's exports), upload one.

An upload is checked whole before anything is saved (the same validators as the API's
`POST /api/flows/import`), and every problem is listed with its JSON path. The file is read
through the same cap as a JSON API body, so no upload can exhaust memory or disk.
"""
from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from builder.exchange import dumps
from runtime import i18n
from runtime.errors import BadRequest, DefinitionError, PayloadTooLarge
from runtime.web.api import export_bpmn, export_dmn, parse_json_object, too_large
from runtime.web.errors import status_of
from runtime.web.form_designer_context import designer_user
from runtime.web.rendering import redirect, render
from runtime.web.session import require_streaming_writer, require_user
from runtime.web.upload_stream import capped_stream, declared_over

PAGE = "designer/flow_import.html"
FORM_OVERHEAD = 64 * 1024  # the multipart envelope around the document: boundaries, headers, the token


async def download(request: Request) -> Response:
    """The process as its export document, as a file to save (designers, admins, auditors)."""
    user = await require_user(request)
    workflow = request.app.state.workflow
    workflow.require_definition_reader(user)
    key = request.path_params["key"]
    bundle = workflow.export(key)
    return Response(dumps(bundle), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{key}.json"'})


async def import_page(request: Request) -> Response:
    await designer_user(request)
    return render(request, PAGE, {"problems": [], "error": ""})


async def import_upload(request: Request) -> Response:
    """Publish an uploaded export document, or list every problem it has (nothing saved)."""
    user = await require_streaming_writer(request)
    request.app.state.workflow.require_designer(user)
    try:
        doc = await _uploaded_document(request)
        flow = await run_in_threadpool(request.app.state.workflow.import_bundle, user, doc)
    except DefinitionError as exc:
        problems = [(p.path or "(document)", i18n.localized(p.message)) for p in exc.problems]
        return render(request, PAGE, {"problems": problems, "error": ""}, block="import_form", status=422)
    except (BadRequest, PayloadTooLarge) as exc:
        return render(request, PAGE, {"problems": [], "error": i18n.localized(exc.args[0]) if exc.args else str(exc)},
                      block="import_form", status=status_of(exc))
    return redirect(request, f"/designer/flows/{flow.key}?imported={flow.version}")


async def _uploaded_document(request: Request) -> dict[str, Any]:
    cap = request.app.state.settings.max_json
    if declared_over(request, cap + FORM_OVERHEAD):
        raise too_large(cap)
    parser = MultiPartParser(request.headers, capped_stream(request, lambda: cap + FORM_OVERHEAD, lambda: too_large(cap)),
                             max_files=1, max_fields=5)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise BadRequest(str(exc)) from None
    try:
        upload = form.get("file")
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise BadRequest(i18n.N_("choose a process file (.json) to upload"))
        raw = await upload.read(cap + 1)
    finally:
        await form.close()
    if len(raw) > cap:
        raise too_large(cap)
    return parse_json_object(raw)


routes = [
    Route("/designer/flows/import", import_page),
    Route("/designer/flows/import", import_upload, methods=["POST"]),
    Route("/designer/flows/{key}/download", download),
    Route("/designer/flows/{key}/download.bpmn", export_bpmn),  # as the API's, for the same readers
    Route("/designer/flows/{key}/download.dmn", export_dmn),
]
