"""/audit: what an auditor reads in the browser. Every record (confidential ones included: admins
and auditors read every field), the green channel's open post-hoc approvals, and, on demand, the
result of `formflow audit verify` on the data directory (the same function the CLI calls). The
page only reads: an auditor acts on nothing."""
from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runtime import i18n
from runtime.audit import AuditReport, verify_record
from runtime.service import Workflow
from runtime.web.rendering import render
from runtime.web.session import require_user


def verify_report(data_dir: Path | None, audit_key: Path | None = None) -> AuditReport:
    """`formflow audit verify` on the server's data directory, with its audit key; a store kept in
    memory has none."""
    if data_dir is None:
        return AuditReport(False, i18n.gettext("This server keeps its record in memory: there is no data "
                                               "directory to verify."))
    return verify_record(data_dir, audit_key)


async def audit_page(request: Request) -> Response:
    user = await require_user(request)
    workflow: Workflow = request.app.state.workflow
    instances = workflow.every_request(user)  # refuses anyone who may not read every record
    rows = workflow.post_hoc_report(user)
    verified = None
    if request.query_params.get("verify") == "1":
        settings = request.app.state.settings
        verified = await run_in_threadpool(verify_report, settings.data_dir, settings.audit_key)
    flows = {i.process: workflow.pinned(i).flow for i in instances}
    return render(request, "audit.html", {
        "instances": instances, "flows": flows, "rows": rows, "verified": verified,
        "org_history": workflow.org_history(user),
        "titles": {r.task.id: workflow.pinned(r.instance).flow.step(r.task.step).title for r in rows}})


routes = [Route("/audit", audit_page)]
