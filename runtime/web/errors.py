"""Every formflow error mapped to HTTP once: JSON for the API, an htmx fragment or page for people."""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from runtime.errors import (BadRequest, Conflict, DefinitionError, Forbidden, FormflowError,
                            NotAuthenticated, NotFound, RuleError, ValidationFailed)
from runtime.web.rendering import is_htmx, render

log = logging.getLogger("formflow")

STATUS: dict[type[FormflowError], int] = {
    BadRequest: 400, NotAuthenticated: 401, Forbidden: 403, NotFound: 404, Conflict: 409,
    ValidationFailed: 422, DefinitionError: 422, RuleError: 422,
}


def status_of(exc: FormflowError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def error_body(exc: FormflowError) -> dict[str, Any]:
    body: dict[str, Any] = {"error": str(exc)}
    if isinstance(exc, ValidationFailed):
        body["errors"] = exc.errors
    if isinstance(exc, DefinitionError):
        body["problems"] = [p.to_dict() for p in exc.problems]
    return body


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def formflow_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FormflowError)
    status = status_of(exc)
    if is_api(request):
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(error_body(exc), status_code=status, headers=headers)
    if status == 401:
        target = "/login?next=" + quote(request.url.path)
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    return render(request, "error.html", {"status": status, "error": exc, "body": error_body(exc)},
                  block="message", status=status)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if is_api(request):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    return render(request, "error.html", {"status": exc.status_code, "error": exc.detail, "body": {}},
                  block="message", status=exc.status_code)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    body = {"error": "internal error; it has been logged for the administrator"}
    if is_api(request):
        return JSONResponse(body, status_code=500)
    return render(request, "error.html", {"status": 500, "error": body["error"], "body": body},
                  block="message", status=500)


HANDLERS = {FormflowError: formflow_error, HTTPException: http_error, Exception: unexpected_error}
