"""The type-specific properties of a field: which types may carry them, and their values.

`TYPE_PROPERTIES` is the readable table (property → the field types that may have it); the
checks below judge the values: lengths, attachment limits, serial patterns, and a `default`
that must clean as the field's own type (so a new form never starts out invalid).
"""
from __future__ import annotations

import re
from typing import Any

from builder import paths
from builder.fieldtypes import clean_value
from builder.forms import CHOICE_TYPES, NUMERIC_TYPES, SCALAR_TYPES, Field
from builder.serial_numbers import pattern_problem
from builder.validation.common import check_bool, check_bounds, is_int, show_value
from rules.errors import Problem
from rules.messages import N_
from rules.words import word

TEXT_TYPES = ("text", "textarea")
PEOPLE_TYPES = ("user", "department")
TYPE_PROPERTIES: dict[str, tuple[str, ...]] = {
    "options": CHOICE_TYPES,
    "columns": ("table",),
    "min_rows": ("table",),
    "max_rows": ("table",),
    "min": NUMERIC_TYPES,
    "max": NUMERIC_TYPES,
    "min_length": TEXT_TYPES,
    "max_length": TEXT_TYPES,
    "placeholder": SCALAR_TYPES + PEOPLE_TYPES,
    "computed": ("text", "textarea", "number", "money", "percent", "date"),
    "multiple": PEOPLE_TYPES,
    "accept": ("attachment",),
    "max_files": ("attachment",),
    "max_size": ("attachment",),
    "pattern": ("serial",),
    "working_days": ("daterange",),
    "default": tuple(t for t in SCALAR_TYPES) + ("daterange", "radio", "multiselect", "checkbox")
    + PEOPLE_TYPES,
}
MAX_TEXT_LENGTH = 100_000  # the most a designer may allow in one text value
NO_VALUE_TYPES = ("serial", "section", "note")  # never filled in, so never required
_EXTENSION = re.compile(r"[a-z0-9]{1,10}\Z", re.ASCII)


def type_properties(doc: dict[str, Any], kind: str, path: str, out: list[Problem]) -> None:
    """Every problem with `doc`'s type-specific properties, for a field of type `kind`."""
    for name, kinds in TYPE_PROPERTIES.items():
        if name in doc and kind not in kinds:
            out.append(Problem(paths.key(path, name), N_("a %(kind)s field can't have %(name)s (only "
                                                         "%(kinds)s)",
                                                         kind=word(kind), name=name, kinds=", ".join(kinds))))
    if kind in NO_VALUE_TYPES and doc.get("required") is True:
        out.append(Problem(paths.key(path, "required"),
                           N_("a %(kind)s field is never filled in, so it can't be required", kind=word(kind))))
    if kind in TEXT_TYPES:
        for name in ("min_length", "max_length"):
            _positive(doc, name, path, out, least=0 if name == "min_length" else 1)
        if is_int(doc.get("max_length")) and doc["max_length"] > MAX_TEXT_LENGTH:
            out.append(Problem(paths.key(path, "max_length"),
                               N_("must be at most %(max_text_length)s (a long document is an attachment)",
                                  max_text_length=MAX_TEXT_LENGTH)))
        if all(is_int(doc.get(n)) for n in ("min_length", "max_length")):
            check_bounds(doc, "min_length", "max_length", path, out, is_int, N_("a whole number"))
    if kind == "attachment":
        _attachment(doc, path, out)
    if kind == "serial":
        problem = pattern_problem(doc.get("pattern"))
        if problem:
            out.append(Problem(paths.key(path, "pattern"), problem))
    for name in ("multiple", "working_days"):
        check_bool(doc, name, path, out)
    if doc.get("default") is not None and kind in TYPE_PROPERTIES["default"]:
        _default(doc, kind, path, out)


def _positive(doc: dict[str, Any], name: str, path: str, out: list[Problem], least: int = 1) -> None:
    if name in doc and doc[name] is not None and (not is_int(doc[name]) or doc[name] < least):
        wanted = N_("a positive integer") if least else N_("a whole number, 0 or more")
        out.append(Problem(paths.key(path, name), N_("must be %(wanted)s, got %(doc)s",
                                                     wanted=wanted, doc=show_value(doc[name]))))


def _attachment(doc: dict[str, Any], path: str, out: list[Problem]) -> None:
    _positive(doc, "max_files", path, out)
    _positive(doc, "max_size", path, out)
    accept = doc.get("accept", [])
    where = paths.key(path, "accept")
    if not isinstance(accept, list):
        out.append(Problem(where, N_('must be a list of file extensions, like ["pdf", "jpg"]')))
        return
    for position, ext in enumerate(accept):
        if not isinstance(ext, str) or not _EXTENSION.match(ext):
            out.append(Problem(paths.index(where, position),
                               N_("must be a file extension in lower case without the dot, like pdf, got "
                                  "%(ext)s", ext=show_value(ext))))
    if len(set(map(str, accept))) != len(accept):
        out.append(Problem(where, N_("lists an extension twice")))


def _default(doc: dict[str, Any], kind: str, path: str, out: list[Problem]) -> None:
    where = paths.key(path, "default")
    if doc.get("computed"):
        out.append(Problem(where, N_("a computed field can't have a default")))
        return
    value = doc["default"]
    if kind == "checkbox":
        if not isinstance(value, bool):
            out.append(Problem(where, N_("must be true or false, got %(value)s", value=show_value(value))))
        return
    try:
        field = Field.from_dict({**doc, "default": None})
    except (KeyError, TypeError, ValueError, AttributeError):
        return  # the field's own problems are reported elsewhere
    try:
        clean_value(field, value)
    except (ValueError, TypeError) as exc:
        out.append(Problem(where, N_("must be a value of the field's type: %(exc)s", exc=exc)))
