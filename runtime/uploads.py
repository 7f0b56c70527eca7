"""Uploads: accepting a file into the store, using it in form data by id, and handing it back.

An upload is registered under a random id with what is known of it ({"id", "name", "size",
"sha256", "type", "by", "at"}); form data names uploads by id, and before cleaning the runtime
replaces each id by the file's description (`resolve_attachments`), so the builder checks the
field's limits on facts and the start event records each file's SHA-256. A person may use only
their own uploads, or files the request already holds (an approver's edit posts them back).
A file is handed out only to someone who may read the request, and only through a field not
hidden from them (`attachment_for`).
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from builder.forms import Field, Form
from runtime.errors import Forbidden, NotFound, PayloadTooLarge, ValidationFailed
from runtime.file_types import brief, media_type
from runtime.i18n import N_
from runtime.org import User
from runtime.store.blobs import BlobStore, BlobWriter
from runtime.store.repository import Repository

if TYPE_CHECKING:
    from runtime.service import Workflow

DESCRIPTION_KEYS = ("id", "name", "size", "sha256", "type")
MAX_NAME = 255
MAX_EXTENSION = 16
MAX_FILES = 100  # per attachment field without its own max_files
NO_SUCH_UPLOAD = N_("no such upload")


@dataclass(frozen=True)
class Target:
    """Where an upload is going: the form field whose limits apply (if named) and the byte cap."""

    cap: int
    field: Field | None = None


def target_for(workflow: Workflow, form_key: str, field_key: str, version: str, default_cap: int) -> Target:
    """The limits for an upload to `field_key` of form `form_key` (its latest version, or
    `version`); the server default when no form is named."""
    if not form_key and not field_key:
        return Target(default_cap)
    if not version.isdigit() and version:
        raise ValidationFailed({"version": N_("must be a form version number")})
    form: Form = workflow.definition("form", form_key, int(version) if version else None)
    field = form.field(field_key)
    if field is None or field.type != "attachment":
        raise ValidationFailed({"field": N_('form "%(form)s" has no attachment field "%(field)s"',
                                            form=form_key, field=field_key[:60])})
    return Target(field.max_size or default_cap, field)


def clean_name(name: str) -> str:
    """A file name as shown and recorded: the base name after either separator (no directories
    a client may have sent), no control characters, NFC, at most 255 characters with the
    extension kept (it is checked against the accepted types; the name is never a path on disk)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    shown = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C").strip()
    if len(shown) <= MAX_NAME:
        return shown
    stem, dot, ext = shown.rpartition(".")
    if not dot or len(ext) > MAX_EXTENSION:
        return shown[:MAX_NAME]
    return stem[:MAX_NAME - len(ext) - 1].rstrip() + "." + ext


def too_large(name: str, cap: int) -> PayloadTooLarge:
    return PayloadTooLarge(N_('"%(name)s" is larger than %(size)s', name=brief(name) or N_("the file"),
                              size=size_words(cap)))


def store_upload(repo: Repository, user: User, target: Target, name: str, writer: BlobWriter,
                 now: Callable[[], str], make_id: Callable[[], str]) -> dict[str, Any]:
    """Keep a fully received file (its bytes in `writer`) if it fits the target, and register it;
    refused (and its bytes dropped) with a message naming the file otherwise."""
    blobs: BlobStore = repo.blobs
    try:
        if not name:
            raise ValidationFailed({"file": N_("the file has no name")})
        if writer.size > target.cap:
            raise too_large(name, target.cap)
        if writer.size == 0:
            raise ValidationFailed({"file": N_('"%(name)s" is empty', name=brief(name))})
        writer.finish()
        try:
            kind = media_type(name, writer.head, writer.is_text, target.field.accept if target.field else ())
        except ValueError as exc:
            raise ValidationFailed({"file": exc.args[0]}) from None
    except BaseException:
        blobs.abort(writer)
        raise
    sha256 = blobs.commit(writer)
    record = {"id": make_id(), "name": name, "size": writer.size, "sha256": sha256, "type": kind,
              "by": user.username, "at": now()}
    repo.put_upload(record)
    return record


def describe(record: dict[str, Any]) -> dict[str, Any]:
    """What form data holds of an upload (the registry's record less who and when)."""
    return {k: record[k] for k in DESCRIPTION_KEYS}


def resolve_attachments(form: Form, raw: dict[str, Any], user: User, repo: Repository,
                        kept: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """`raw` with each attachment field's upload ids replaced by the files' descriptions, and an
    error at `field[i]` for each id that is not one of this person's uploads nor already in the
    request (`kept`: its data). A description sent back is looked up by its id (never trusted).
    A list longer than the field's `max_files` (else MAX_FILES) is one error at the field."""
    resolved = dict(raw)
    errors: dict[str, str] = {}
    for f in form.fields:
        if f.type != "attachment" or f.key not in raw:
            continue
        value = raw[f.key]
        if isinstance(value, (str, dict)):
            value = [value]
        if not isinstance(value, list):
            continue  # the builder names the wrong shape
        limit = f.max_files if f.max_files is not None else MAX_FILES
        if len(value) > limit:  # before looking any up: one error, however long the list
            errors[f.key] = N_("at most 1 file") if limit == 1 else N_("at most %(count)s files", count=limit)
            resolved[f.key] = []
            continue
        held = _ids((kept or {}).get(f.key))
        files = []
        for index, item in enumerate(value):
            upload_id = item.get("id") if isinstance(item, dict) else item
            if upload_id == "":
                continue
            record = repo.get_upload(upload_id) if isinstance(upload_id, str) else None
            if record is None or (record["by"] != user.username and upload_id not in held):
                errors[f"{f.key}[{index}]"] = NO_SUCH_UPLOAD
            else:
                files.append(describe(record))
        resolved[f.key] = files
    return resolved, errors


def resolver(user: User, repo: Repository, kept: dict[str, Any] | None = None
             ) -> Callable[[Form, dict[str, Any]], tuple[dict[str, Any], dict[str, str]]]:
    """`resolve_attachments` for one person (and the request's data, if any), as the form
    pages' as-you-type checks take it."""
    return lambda form, raw: resolve_attachments(form, raw, user, repo, kept)


def _ids(value: Any) -> set[str]:
    return {item["id"] for item in value if isinstance(item, dict) and "id" in item} if isinstance(value, list) else set()


def attachment_for(workflow: Workflow, user: User, instance_id: str, upload_id: str) -> dict[str, Any]:
    """The description of a file the request holds, for someone who may read the request and
    through a field not hidden from them (403 if only hidden ones hold it; 404 if none does)."""
    instance = workflow.instance_for(user, instance_id)
    form = workflow.pinned(instance).form
    holders = [f.key for f in form.fields
               if f.type == "attachment" and upload_id in _ids(instance.data.get(f.key))]
    if not holders:
        raise NotFound(N_('this request holds no file "%(id)s"', id=upload_id[:60]))
    hidden = workflow.hidden_for(user, instance)
    shown = [key for key in holders if key not in hidden]
    if not shown:
        raise Forbidden(N_("this file is in a field you may not see"))
    return next(item for item in instance.data[shown[0]] if item.get("id") == upload_id)


def size_words(size: int) -> str:
    """A byte count as people read it: 10 MB, 1.5 KB, 300 bytes (rounded down, so a limit is
    never shown larger than it is)."""
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= factor:
            tenths = size * 10 // factor
            return (f"{tenths // 10}" if tenths % 10 == 0 else f"{tenths / 10:.1f}") + f" {unit}"
    return N_("%(num)s bytes", num=size)
