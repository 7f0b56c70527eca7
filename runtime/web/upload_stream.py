"""Reading one uploaded file off the wire, capped, without ever holding the body in memory.

Starlette's `request.form()` spools every file whole before a view sees it, so a 5 GB body
would be read (and stored) before anyone could refuse it. Here the multipart body is parsed as
it streams in: a declared Content-Length over the cap is refused before a byte is read, and the
file's bytes go straight into a blob writer, counted, so a lying or chunked body is cut off the
moment it passes the cap. The small text parts ("form", "field", "csrf_token") are kept; the
cap may be chosen once they are known (`cap_for`), when they come before the file.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError, MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from runtime.errors import BadRequest
from runtime.i18n import N_
from runtime.store.blobs import BlobStore, BlobWriter
from runtime.uploads import clean_name, too_large

OVERHEAD = 64 * 1024  # multipart boundaries, part headers and the small text parts
MAX_TEXT_PART = 1024
MAX_PARTS = 8
FILE_PART = "file"


@dataclass
class Received:
    """What the body held: its text parts, and the file (name, bytes in `writer`)."""

    fields: dict[str, str] = field(default_factory=dict)
    name: str = ""
    writer: BlobWriter | None = None


def refuse_declared_length(request: Request, cap: int) -> None:
    """413 before reading, when the body says it is longer than any file under `cap` can make it."""
    if declared_over(request, cap + OVERHEAD):
        raise too_large("", cap)


def declared_over(request: Request, limit: int) -> bool:
    length = request.headers.get("content-length", "")
    return length.isdigit() and int(length) > limit


async def capped_stream(request: Request, limit: Callable[[], int],
                        refuse: Callable[[], Exception]) -> AsyncIterator[bytes]:
    """The body's chunks as they arrive, cut off (`refuse()` raised) at the chunk that brings more
    than `limit()` bytes, whatever Content-Length said (chunked or lying bodies)."""
    read = 0
    async for chunk in request.stream():
        yield chunk  # first, so a consumer that knows better (a file part's own cap) refuses first
        read += len(chunk)
        if read > limit():
            raise refuse()


async def read_capped(request: Request, cap: int, refuse: Callable[[], Exception]) -> bytes:
    """A whole small body (a JSON document) of at most `cap` bytes, refused (`refuse()`) by its
    declared length before a byte is read, or the moment the stream passes the cap."""
    if declared_over(request, cap):
        raise refuse()
    body = bytearray()
    async for chunk in capped_stream(request, lambda: cap, refuse):
        body += chunk
    return bytes(body)


class _Parts:
    """The parser's callbacks: one part at a time, file bytes to the writer, text to `fields`."""

    def __init__(self, blobs: BlobStore, cap_for: Callable[[dict[str, str]], int]) -> None:
        self.blobs, self.cap_for = blobs, cap_for
        self.received = Received()
        self.cap = 0
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._name = ""
        self._text = bytearray()
        self._in_file = False
        self._parts = 0
        self.ended = False  # the closing boundary came: the body is complete

    def on_part_begin(self) -> None:
        self._disposition, self._text, self._in_file = b"", bytearray(), False
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise BadRequest(N_("too many parts in the upload"))

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name, self._header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" not in options:
            return
        if self._name != FILE_PART or self.received.writer is not None:
            raise BadRequest(N_('send one file, in the part named "file"'))
        self.received.name = clean_name(options[b"filename"].decode("utf-8", "replace"))
        self.cap = self.cap_for(self.received.fields)
        self.received.writer = self.blobs.writer()
        self._in_file = True

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            writer = self.received.writer
            assert writer is not None
            if writer.size + (end - start) > self.cap:
                raise too_large(self.received.name, self.cap)
            writer.write(data[start:end])
            return
        self._text += data[start:end]
        if len(self._text) > MAX_TEXT_PART:
            raise BadRequest(N_('the part "%(part)s" is too long', part=self._name[:40]))

    def on_part_end(self) -> None:
        if not self._in_file:
            self.received.fields[self._name] = self._text.decode("utf-8", "replace")

    def on_end(self) -> None:
        self.ended = True


async def receive_file(request: Request, blobs: BlobStore, cap_for: Callable[[dict[str, str]], int],
                       default_cap: int) -> Received:
    """The body's text parts and its one file, read as it streams; the file's bytes are in a
    blob writer the caller commits or aborts. 413 past the cap, 400 for a malformed body."""
    kind, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise BadRequest(N_('send the file as multipart/form-data, in a part named "file"'))
    parts = _Parts(blobs, cap_for)
    try:
        parser = MultipartParser(boundary, {  # type: ignore[arg-type]
            "on_part_begin": parts.on_part_begin, "on_part_data": parts.on_part_data,
            "on_part_end": parts.on_part_end, "on_header_field": parts.on_header_field,
            "on_header_value": parts.on_header_value, "on_header_end": parts.on_header_end,
            "on_headers_finished": parts.on_headers_finished, "on_end": parts.on_end})
    except FormParserError:  # a boundary longer than multipart allows (70; the parser takes 256)
        raise BadRequest(N_("the upload's multipart boundary is too long")) from None
    try:
        async for chunk in capped_stream(request, lambda: max(parts.cap, default_cap) + OVERHEAD,
                                         lambda: too_large(parts.received.name, parts.cap or default_cap)):
            parser.write(chunk)  # the file's part is cut off at its cap inside
        parser.finalize()
        if not parts.ended:
            raise MultipartParseError("no closing boundary")
    except MultipartParseError:
        _drop(blobs, parts.received)
        raise BadRequest(N_("the upload is not a well-formed multipart body")) from None
    except BaseException:
        _drop(blobs, parts.received)
        raise
    if parts.received.writer is None:
        raise BadRequest(N_('send the file as multipart/form-data, in a part named "file"'))
    return parts.received


def _drop(blobs: BlobStore, received: Received) -> None:
    if received.writer is not None:
        blobs.abort(received.writer)
        received.writer = None

