"""Every request body capped before it is read: `settings.max_json` bytes unless the route streams
its own body under its own cap (uploads, per the form field's limit; a process file import).

Starlette reads a form post (`request.form()`) whole, and spools multipart files to disk, before a
view can look at it: without a cap, one request could take all memory or disk. A body declared
longer than the cap is refused before a byte is read; a chunked or lying one the moment it
passes the cap (the view reading it gets the 413 raised from `receive`)."""
from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.errors import PayloadTooLarge
from runtime.i18n import N_
from runtime.uploads import size_words
from runtime.web.errors import formflow_error

# Routes that read their body as a capped stream themselves (runtime.web.upload_stream).
STREAMING = frozenset({"/uploads", "/api/uploads", "/designer/flows/import"})


def too_large(cap: int) -> PayloadTooLarge:
    return PayloadTooLarge(N_("the request body is larger than %(size)s", size=size_words(cap)))


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, cap: int, streaming: frozenset[str] = STREAMING) -> None:
        self.app, self.cap, self.streaming = app, cap, streaming

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.streaming:
            await self.app(scope, receive, send)
            return
        length = Request(scope).headers.get("content-length", "")
        if length.isdigit() and int(length) > self.cap:
            response = await formflow_error(Request(scope, receive), too_large(self.cap))
            await response(scope, receive, send)
            return
        read = 0

        async def capped_receive() -> Message:
            nonlocal read
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > self.cap:
                    raise too_large(self.cap)
            return message
        await self.app(scope, capped_receive, send)
