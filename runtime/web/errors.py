"""Every formflow error mapped to HTTP once: JSON for the API, an htmx fragment or page for people.

The API answers in English (`str(exc)`); a page shows the message in the person's language: the
runtime's messages are `runtime.i18n.Text`, translated here (`shown_error`)."""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlparse

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from rules.messages import joined
from runtime import i18n
from runtime.errors import (BadRequest, Conflict, DefinitionError, Forbidden, FormflowError,
                            NotAuthenticated, NotFound, PayloadTooLarge, Problem, RuleError, ValidationFailed)
from runtime.i18n import N_
from runtime.web.error_words import PageWords, people_errors, people_message
from runtime.web.rendering import is_htmx, redirect, render, safe_next

log = logging.getLogger("formflow")
INTERNAL = N_("internal error; it has been logged for the administrator")

STATUS: dict[type[FormflowError], int] = {
    BadRequest: 400, NotAuthenticated: 401, Forbidden: 403, NotFound: 404, Conflict: 409,
    ValidationFailed: 422, DefinitionError: 422, RuleError: 422, PayloadTooLarge: 413,
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
        body.setdefault("errors", problem_errors(exc.problems))
    return body


def problem_errors(problems: list[Problem]) -> dict[str, str]:
    """Problems as the API's `{"errors": {json path: message}}` (several at one path joined by "; ")."""
    errors: dict[str, str] = {}
    for problem in problems:
        errors[problem.path] = joined([errors[problem.path], problem.message]) if problem.path in errors else problem.message
    return errors


def _page_path(request: Request) -> str:
    """The page the person is on: for htmx calls the page, not the endpoint it posted to."""
    if is_htmx(request):
        current = urlparse(request.headers.get("HX-Current-URL", ""))
        return safe_next(current.path or "/")
    return request.url.path


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def formflow_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FormflowError)
    status = status_of(exc)
    if is_api(request):
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(error_body(exc), status_code=status, headers=headers)
    if status == 401:
        return redirect(request, "/login?next=" + quote(_page_path(request)))
    message, body = shown_error(exc, PageWords.of(request))
    return error_page(request, status, message, body)


def shown_error(exc: FormflowError, words: PageWords | None = None) -> tuple[str, dict[str, Any]]:
    """The error's message and body as a page shows them: in the current request's language,
    with names, local times, step titles and labels (`runtime.web.error_words`)."""
    words = words or PageWords()
    body = error_body(exc)
    if isinstance(exc, ValidationFailed):
        body["errors"] = people_errors(exc.errors, words.org, words.local_time, words.flow)
        message = "; ".join(f"{path}: {text}" for path, text in body["errors"].items())
    elif len(exc.args) == 1 and isinstance(exc.args[0], str):
        message = people_message(exc, words.org, words.local_time, words.flow)
    else:
        message = str(exc)
    return message, {**body, "error": message}


def error_page(request: Request, status: int, message: str, body: dict[str, Any]) -> Response:
    """The error as a page, or for htmx as a message in the page's flash area, so it never
    replaces the form or panel the request was aimed at (htmx 4 swaps error responses too)."""
    headers = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"} if is_htmx(request) else None
    return render(request, "error.html", {"status": status, "error": message, "body": body},
                  block="message", status=status, headers=headers)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if is_api(request):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    return error_page(request, exc.status_code, str(exc.detail), {})


async def client_gone(request: Request, exc: Exception) -> Response:
    """The client went away mid-body (a dropped upload): normal on the internet, not a fault;
    whatever was half-read has been dropped where it was read. Nobody is left to read the answer."""
    log.info("client went away during %s %s", request.method, request.url.path)
    return Response(status_code=400)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    body = {"error": INTERNAL}
    if is_api(request):
        return JSONResponse(body, status_code=500)
    return error_page(request, 500, i18n.localized(INTERNAL), {})


HANDLERS = {FormflowError: formflow_error, HTTPException: http_error, ClientDisconnect: client_gone,
            Exception: unexpected_error}
