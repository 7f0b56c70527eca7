"""Attachment values: the uploaded files a form field refers to, checked against its limits.

The runtime resolves the upload ids a person sent into descriptions of the stored files
(`{"id", "name", "size", "sha256", "type"}`) before cleaning; this module only judges those
descriptions (shape, `max_files`, `max_size`, `accept`), so it stays pure and the same rules
hold for the browser, the API and the importer. Every message names the file it is about.
"""
from __future__ import annotations

import re
from typing import Any

from builder.forms import Field
from rules.messages import N_

ATTACHMENT_KEYS = ("id", "name", "size", "sha256", "type")
_SHA256 = re.compile(r"[0-9a-f]{64}\Z", re.ASCII)


def clean_attachments(field: Field, value: Any) -> list[dict[str, Any]]:
    """`value` as a list of file descriptions within `field`'s limits; ValueError otherwise."""
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise ValueError(N_("must be a list of uploaded files"))
    files = [_clean_file(item, position) for position, item in enumerate(value)]
    seen: set[str] = set()
    unique = []
    for item in files:
        if item["id"] not in seen:
            seen.add(item["id"])
            unique.append(item)
    if field.max_files is not None and len(unique) > field.max_files:
        raise ValueError(N_("at most %(max_files)s files", max_files=field.max_files) if field.max_files != 1
                         else N_("at most 1 file"))
    for item in unique:
        _check_limits(field, item)
    return unique


def extension(name: str) -> str:
    """The file name's extension, lower case and without the dot ("" when it has none)."""
    base = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return base.rsplit(".", 1)[1].lower() if "." in base.strip(".") else ""


def _clean_file(item: Any, position: int) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ValueError(N_("file %(position)s is not an uploaded file", position=position + 1))
    name = item.get("name")
    label = N_('"%(name)s"', name=name) if isinstance(name, str) and name else N_("file %(n)s", n=position + 1)
    missing = [k for k in ATTACHMENT_KEYS if k not in item]
    unknown = sorted(str(k) for k in item if k not in ATTACHMENT_KEYS)
    if missing or unknown:
        raise ValueError(N_("%(label)s lacks %(keys)s", label=label, keys=", ".join(missing)) if missing
                         else N_("%(label)s has unknown %(keys)s", label=label, keys=", ".join(unknown)))
    if not isinstance(item["id"], str) or not item["id"].strip():
        raise ValueError(N_("%(label)s has no upload id", label=label))
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise ValueError(N_("file %(position)s needs a name of at most 255 characters", position=position + 1))
    size = item["size"]
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(N_("%(label)s has no valid size", label=label))
    if not isinstance(item["sha256"], str) or not _SHA256.match(item["sha256"]):
        raise ValueError(N_("%(label)s has no valid SHA-256", label=label))
    if not isinstance(item["type"], str):
        raise ValueError(N_("%(label)s has no content type", label=label))
    return {k: item[k] for k in ATTACHMENT_KEYS}


def _check_limits(field: Field, item: dict[str, Any]) -> None:
    name = item["name"]
    if field.max_size is not None and item["size"] > field.max_size:
        raise ValueError(N_('"%(name)s" is larger than %(max_size)s',
                            name=name, max_size=_size(field.max_size)))
    if field.accept and extension(name) not in field.accept:
        raise ValueError(N_('"%(name)s" is not one of the accepted types: %(accept)s',
                            name=name, accept=", ".join(field.accept)))


def _size(size: int) -> str:
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} bytes"
