"""A remark on a request's record from its page (the API has `/api/instances/{id}/comment`):
for the people involved in it, who land back on the request with the confirmation."""
from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runtime import i18n
from runtime.errors import ValidationFailed
from runtime.web.outcome import landing
from runtime.web.rendering import redirect, render
from runtime.web.session import require_user


async def comment(request: Request) -> Response:
    """POST a comment; a refused one (empty, too long) comes back as the form with its error."""
    user = await require_user(request, write=True)
    workflow = request.app.state.workflow
    form = await request.form()
    text, instance_id = str(form.get("comment", "")), request.path_params["id"]
    try:
        await run_in_threadpool(workflow.comment, user, instance_id, text, str(form.get("request_id", "")))
    except ValidationFailed as failed:
        instance = workflow.instance_for(user, instance_id)
        context = {"instance": instance, "request_id": str(form.get("request_id", "")).removesuffix("-comment"),
                   "comment_typed": text,
                   "comment_error": i18n.localized_errors(failed.errors).get("comment", "")}
        return render(request, "partials/comment_form.html", context, status=422)
    return redirect(request, landing(f"/instances/{instance_id}", "comment"))


routes = [Route("/instances/{id}/comment", comment, methods=["POST"])]
