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

ATTACHMENT_KEYS = ("id", "name", "size", "sha256", "type")
_SHA256 = re.compile(r"[0-9a-f]{64}\Z", re.ASCII)


def clean_attachments(field: Field, value: Any) -> list[dict[str, Any]]:
    """`value` as a list of file descriptions within `field`'s limits; ValueError otherwise."""
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise ValueError("must be a list of uploaded files")
    files = [_clean_file(item, position) for position, item in enumerate(value)]
    seen: set[str] = set()
    unique = []
    for item in files:
        if item["id"] not in seen:
            seen.add(item["id"])
            unique.append(item)
    if field.max_files is not None and len(unique) > field.max_files:
        raise ValueError(f"at most {field.max_files} file{'s' if field.max_files != 1 else ''}")
    for item in unique:
        _check_limits(field, item)
    return unique


def extension(name: str) -> str:
    """The file name's extension, lower case and without the dot ("" when it has none)."""
    base = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return base.rsplit(".", 1)[1].lower() if "." in base.strip(".") else ""


def _clean_file(item: Any, position: int) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ValueError(f"file {position + 1} is not an uploaded file")
    name = item.get("name")
    label = f'"{name}"' if isinstance(name, str) and name else f"file {position + 1}"
    missing = [k for k in ATTACHMENT_KEYS if k not in item]
    unknown = sorted(str(k) for k in item if k not in ATTACHMENT_KEYS)
    if missing or unknown:
        problem = (f"lacks {', '.join(missing)}" if missing else f"has unknown {', '.join(unknown)}")
        raise ValueError(f"{label} {problem}")
    if not isinstance(item["id"], str) or not item["id"].strip():
        raise ValueError(f"{label} has no upload id")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise ValueError(f"file {position + 1} needs a name of at most 255 characters")
    size = item["size"]
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"{label} has no valid size")
    if not isinstance(item["sha256"], str) or not _SHA256.match(item["sha256"]):
        raise ValueError(f"{label} has no valid SHA-256")
    if not isinstance(item["type"], str):
        raise ValueError(f"{label} has no content type")
    return {k: item[k] for k in ATTACHMENT_KEYS}


def _check_limits(field: Field, item: dict[str, Any]) -> None:
    name = item["name"]
    if field.max_size is not None and item["size"] > field.max_size:
        raise ValueError(f'"{name}" is larger than {_size(field.max_size)}')
    if field.accept and extension(name) not in field.accept:
        raise ValueError(f'"{name}" is not one of the accepted types: {", ".join(field.accept)}')


def _size(size: int) -> str:
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} bytes"
