"""Control characters refused in every form post, before any view reads it.

A NUL, an escape sequence or a backspace is never typed: arriving in a comment, a reason, a field or
a designer's label, it is an attack on whatever shows or stores the text later (terminals, logs,
CSV exports, C libraries). Form fields are checked by their type's cleaner too, but comments,
reasons and designer inputs are not form fields: this checks every value and name of a form post
(tab, newline and CR are text), answering 422 with the field's name and changing nothing. JSON
bodies are checked where they are parsed (`runtime.web.api.parse_json_object`)."""
from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from builder.json_text import CONTROL
from runtime.errors import PayloadTooLarge, ValidationFailed
from runtime.i18n import N_
from runtime.web.errors import formflow_error

FORM = "application/x-www-form-urlencoded"


def control_fields(body: bytes) -> list[str]:
    """The names of the form's fields whose name or value holds a control character."""
    pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace")
    return list(dict.fromkeys(name for name, value in pairs if CONTROL.search(name) or CONTROL.search(value)))


class TextInputMiddleware:
    """Reads a form post (already capped by `BodyLimitMiddleware`), checks it, hands it on whole."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not Request(scope).headers.get("content-type", "").startswith(FORM):
            await self.app(scope, receive, send)
            return
        body = bytearray()
        try:
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away mid-body: nobody is left to answer
                body += message.get("body", b"")
                if not message.get("more_body", False):
                    break
        except PayloadTooLarge as too_large:  # raised by the capped receive, outside any view
            await (await formflow_error(Request(scope), too_large))(scope, receive, send)
            return
        bad = control_fields(bytes(body))
        if bad:
            failed = ValidationFailed({name: N_("must not contain control characters") for name in bad})
            await (await formflow_error(Request(scope), failed))(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()
        await self.app(scope, replay, send)
