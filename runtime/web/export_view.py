"""Export: `/export` (choose a process and the inbox's filters, see how many requests match) and
the downloads `/export/{process}.csv` and `/export/{process}.xlsx` of the requests the person may
read, filtered by the same GET parameters (`export_rows.export_filters`)."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from builder.text import localize
from runtime import i18n
from runtime.errors import NotFound, ValidationFailed
from runtime.i18n import N_
from runtime.service import Workflow
from runtime.state import InstanceStatus
from runtime.web import export_files
from runtime.web.export_rows import STATUS_WORDS, ExportFilters, export, export_filters, local_time, readable_counts
from runtime.web.rendering import render
from runtime.web.session import require_user

FORMATS = {
    "csv": ("text/csv; charset=utf-8", lambda data, title: export_files.to_csv(data)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", export_files.to_xlsx),
}


def _workflow(request: Request) -> Workflow:
    return request.app.state.workflow


def disposition(process: str, suffix: str, day: str) -> str:
    name = f"{process}-{day}.{suffix}"
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


async def download(request: Request) -> Response:
    user = await require_user(request)
    workflow = _workflow(request)
    process, suffix = request.path_params["process"], request.path_params["format"]
    if suffix not in FORMATS:
        raise NotFound(N_("no export as .%(suffix)s: .csv or .xlsx", suffix=suffix))
    media_type, write = FORMATS[suffix]
    title = localize(workflow.latest(process).flow.title, i18n.current_locale.get()) or process
    filters = export_filters(request.query_params)
    data = await run_in_threadpool(export, workflow, user, process, filters)
    body = await run_in_threadpool(write, data, title)
    filed_on = local_time(workflow.engine.now(), ZoneInfo(workflow.timezone))
    day = filed_on.strftime("%Y%m%d") if filed_on else "export"
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition(process, suffix, day)})


async def export_page(request: Request) -> Response:
    """The processes with how many of their requests this person may export; with one chosen,
    the filters and how many requests they leave, and the two download links."""
    user = await require_user(request)
    workflow = _workflow(request)
    processes = workflow.processes()
    readable = readable_counts(workflow, user)
    counts = {f.key: readable.get(f.key, 0) for f in processes}
    chosen = request.query_params.get("process", "")
    errors: dict[str, str] = {}
    matching: int | None = None
    filters = ExportFilters()
    if chosen in counts:
        try:
            filters = export_filters(request.query_params)
            matching = len((await run_in_threadpool(export, workflow, user, chosen, filters)).rows)
        except ValidationFailed as failed:
            errors = i18n.localized_errors(failed.errors)
    context: dict[str, Any] = {
        "processes": processes, "counts": counts, "chosen": chosen if chosen in counts else "",
        "filters": filters, "typed": {k: request.query_params.get(k, "") for k in ("q", "status", "from", "to")},
        "errors": errors, "matching": matching, "statuses": [(s.value, i18n.localized(STATUS_WORDS[s.value])) for s in InstanceStatus]}
    return render(request, "export.html", context, status=422 if errors else 200)


routes = [
    Route("/export", export_page),
    Route("/export/{process}.{format:str}", download),
]
