"""What an uploaded file is: its name's extension must agree with its sniffed content.

A name alone proves nothing (an .exe renamed .pdf, an HTML page renamed .png), so each accepted
extension lists the content kinds `filetype` may find in the first bytes; plain text and CSV have
no signature and must instead be UTF-8 without NUL. HTML, SVG and scripts are not on the list at
all: they could run in a browser, so they are never accepted, as images or as anything else.
The media type recorded (and served on download) is the sniffed one, never the sender's claim.
"""
from __future__ import annotations

import filetype

from runtime.i18n import N_, Text

TEXT = "text"  # no signature: checked as UTF-8 without NUL
_OLE = ("doc", "xls", "ppt")  # one container format, told apart unreliably by sniffing
_OOXML = ("docx", "xlsx", "pptx", "zip")  # zip containers; filetype names the Office ones when it can
ACCEPTED: dict[str, tuple[str, ...]] = {
    "pdf": ("pdf",), "jpg": ("jpg",), "jpeg": ("jpg",), "png": ("png",), "gif": ("gif",),
    "webp": ("webp",), "bmp": ("bmp",), "tif": ("tif",), "tiff": ("tif",), "heic": ("heic",),
    "doc": _OLE, "xls": _OLE, "ppt": _OLE, "docx": _OOXML, "xlsx": _OOXML, "pptx": _OOXML,
    "odt": ("odt", "zip"), "ods": ("ods", "zip"), "odp": ("odp", "zip"),
    "zip": ("zip",), "rar": ("rar",), "7z": ("7z",), "txt": (TEXT,), "csv": (TEXT,),
}
TEXT_TYPES = {"txt": "text/plain", "csv": "text/csv"}
OCTET_STREAM = "application/octet-stream"


SHOWN_NAME = 60  # characters of a file name a message quotes


def brief(name: str) -> str:
    """A file name as a message quotes it: at most SHOWN_NAME characters, its end (the extension)
    kept, so a 300-character name does not make a 300-character message."""
    if len(name) <= SHOWN_NAME:
        return name
    tail = SHOWN_NAME // 4
    return name[:SHOWN_NAME - tail - 1] + "…" + name[-tail:]


def extension(name: str) -> str:
    """The name's extension, lower case, no dot ("" without one)."""
    base = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return base.rsplit(".", 1)[1].lower() if "." in base.strip(".") else ""


def media_type(name: str, head: bytes, is_text: bool, accept: tuple[str, ...] = ()) -> str:
    """The sniffed media type of a file whose name and content agree and that `accept` (the
    field's extensions; any on the list when empty) allows; ValueError naming the file otherwise."""
    ext = extension(name)
    if accept and ext not in accept:
        raise ValueError(N_('"%(name)s" is not one of the accepted types: %(types)s',
                            name=brief(name), types=", ".join(accept)))
    kinds = ACCEPTED.get(ext)
    if kinds is None:
        raise ValueError(N_('"%(name)s": files of this type are not accepted', name=brief(name))
                         if not ext else
                         N_('"%(name)s": files of type .%(ext)s are not accepted', name=brief(name), ext=ext))
    if kinds == (TEXT,):
        if not is_text:
            raise ValueError(_mismatch(name, ext))
        return TEXT_TYPES[ext]
    found = filetype.guess(head)
    if found is None or found.extension not in kinds:
        raise ValueError(_mismatch(name, ext))
    return str(found.mime) if found.mime != "text/html" else OCTET_STREAM


def _mismatch(name: str, ext: str) -> Text:
    return N_('"%(name)s" does not hold what its name says: its content is not a .%(ext)s file',
              name=brief(name), ext=ext)
