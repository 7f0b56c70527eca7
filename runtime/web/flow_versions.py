"""The versions page of a process: every published version, newest first, with who published it,
when and why, from when it applies (a future-dated one "takes over on …"), who approved the change
where the process asks for approval, the form version it runs, and what changed in words against
the version before. Read by those who design processes and by auditors (read-only)."""
from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from builder.text import localize
from runtime import i18n
from runtime.catalog import DESIGNER_ROLES
from runtime.web.flow_designer_context import authoring_of, form_title
from runtime.web.rendering import render
from runtime.web.session import require_user

PAGE = "designer/flow_versions.html"


async def versions_page(request: Request) -> Response:
    user = await require_user(request)
    workflow = request.app.state.workflow
    key = request.path_params["key"]
    versions = await run_in_threadpool(authoring_of(request).change_log, user, key)
    locale = i18n.current_locale.get()
    latest = workflow.repo.definition_versions("flow", key)[-1] if versions else None
    return render(request, PAGE, {
        "key": key, "versions": versions,
        "title": localize(latest.get("title"), locale) if latest else key,
        "forms": {form: form_title(workflow, form, locale) for form in {v["form"] for v in versions}},
        "can_edit": any(user.has_role(r) for r in DESIGNER_ROLES),
    })


routes = [Route("/designer/flows/{key}/versions", versions_page)]
