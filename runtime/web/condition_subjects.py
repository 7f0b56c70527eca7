"""What a condition may compare, and with which operators: the builder's vocabulary.

A `Subject` is anything a condition can name (a form field, a table's derived fact such as
`items.amount.sum`, later a flow variable), with a readable label, its type and its options.
Nothing here knows about forms except `subjects_of`, so the flow designer can hand the same
builder another list of subjects. The operators a subject offers follow from its type; each
operator is a code the builder posts (`$gte`, `=`, `$in`, `ticked`, `$gte:field`) that maps to
one shape of `rules.conditions`.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from builder.validation import form_field_types
from rules.derived import condition_types
from runtime import i18n
from runtime.condition_names import derived_label, field_label
from runtime.i18n import N_
from runtime.web.editor_values import OP_SYMBOLS

_ = i18n.gettext

# Form field type → the kind of value the builder edits (and so its operators and value picker).
KINDS: dict[str, str] = {
    "number": "number", "money": "number", "percent": "number",
    "text": "text", "textarea": "text", "phone": "text", "email": "text",
    "select": "choice", "radio": "choice",
    "checkbox": "boolean",
    "date": "date", "datetime": "datetime",
    "user": "person", "department": "person",
}
NOT_SUBJECTS = ("section", "note", "serial")  # no value a condition could read
FIELD_SUFFIX = ":field"  # "$gte:field": compare with another subject (the `$m` shape)
FILLED = ("$ex", "$nex")
ORDER = ("$gt", "$gte", "$lt", "$lte")

OPERATORS_BY_KIND: dict[str, tuple[str, ...]] = {
    "number": ("$gt", "$gte", "$lt", "$lte", "=", "$ne") + FILLED
              + tuple(op + FIELD_SUFFIX for op in ("$gt", "$gte", "$lt", "$lte", "=", "$ne")),
    "date": ("$lt", "$lte", "$gt", "$gte", "=") + FILLED
            + tuple(op + FIELD_SUFFIX for op in ("$lt", "$lte", "$gt", "$gte", "=")),
    "text": ("=", "$ne", "$in", "$mt") + FILLED + ("=" + FIELD_SUFFIX, "$ne" + FIELD_SUFFIX),
    "choice": ("=", "$ne", "$in", "$nin") + FILLED,
    "person": ("=", "$ne", "$in") + FILLED,
    "boolean": ("ticked", "unticked"),
    "other": FILLED,
}
OPERATORS_BY_KIND["datetime"] = OPERATORS_BY_KIND["date"]

_WORDS = {"$in": N_("is one of"), "$nin": N_("is none of"), "$mt": N_("matches the pattern"),
          "$ex": N_("is filled in"), "$nex": N_("is empty"),
          "ticked": N_("is ticked"), "unticked": N_("is not ticked")}
_CHOICE_WORDS = {"=": N_("is"), "$ne": N_("is not")}
_DATE_WORDS = {"$lt": N_("before"), "$lte": N_("on or before"), "$gt": N_("after"),
               "$gte": N_("on or after"), "=": N_("on")}


def kind_of(field_type: str) -> str:
    return KINDS.get(field_type, "other")


def value_shape(op: str) -> str:
    """What an operator needs besides its subject: "one" value, "many", a "field", or "none"."""
    if op.endswith(FIELD_SUFFIX):
        return "field"
    if op in ("$in", "$nin"):
        return "many"
    if op in FILLED or op in ("ticked", "unticked"):
        return "none"
    return "one"


def operator_word(kind: str, op: str) -> str:
    """The operator as a reader reads it, in the current language ("≥", "on or after", "is")."""
    base = op.removesuffix(FIELD_SUFFIX)
    if kind in ("date", "datetime") and base in _DATE_WORDS:
        word = _(_DATE_WORDS[base])
    elif kind in ("choice", "person") and base in _CHOICE_WORDS:
        word = _(_CHOICE_WORDS[base])
    elif base in _WORDS:
        word = _(_WORDS[base])
    else:
        word = OP_SYMBOLS.get(base, base)
    return word


@dataclass(frozen=True)
class Subject:
    """Something a condition may name: `name` as conditions spell it, `type` a form field type,
    `options` (value, label) pairs for choices."""

    name: str
    label: str
    type: str
    options: tuple[tuple[str, str], ...] = ()

    @property
    def kind(self) -> str:
        return kind_of(self.type)

    @property
    def ops(self) -> tuple[str, ...]:
        return OPERATORS_BY_KIND[self.kind]

    def operators(self) -> list[tuple[str, str]]:
        """(code, label) of each operator, labelled in the current language for a select."""
        field = _("field…")
        return [(op, f"{operator_word(self.kind, op)} {field}" if op.endswith(FIELD_SUFFIX)
                 else operator_word(self.kind, op)) for op in self.ops]

    def option_values(self) -> tuple[str, ...]:
        return tuple(v for v, _label in self.options)

    def option_label(self, value: Any) -> str:
        return next((label for v, label in self.options if v == value), str(value))


def subject(subjects: Sequence[Subject], name: str) -> Subject | None:
    return next((s for s in subjects if s.name == name), None)


def comparable(subjects: Sequence[Subject], one: Subject) -> list[Subject]:
    """The other subjects `one` may be compared with (same kind of value)."""
    return [s for s in subjects if s.name != one.name and s.kind == one.kind]


@contextlib.contextmanager
def in_locale(locale: str) -> Iterator[None]:
    """Translate (and format numbers) in `locale` for the duration, then restore the reader's."""
    token = i18n.current_locale.set(locale)
    try:
        yield
    finally:
        i18n.current_locale.reset(token)


def subjects_of(form_doc: Any, locale: str) -> list[Subject]:
    """What a form's conditions may name, in form order: its fields (not layout or serial
    numbers) each followed by its derived facts ("Invoice lines: Amount (sum)"). Tolerates a
    malformed draft: what cannot be read is left out."""
    fields = form_doc.get("fields") if isinstance(form_doc, dict) else None
    fields = [f for f in fields if isinstance(f, dict)] if isinstance(fields, list) else []
    types = condition_types(form_field_types(form_doc))
    by_key = {f.get("key"): f for f in fields if isinstance(f.get("key"), str)}
    under: dict[str, list[str]] = {}  # what starts with "<key>.", in type order: one pass, not one per field
    for name in types:
        for at, char in enumerate(name):
            if char == ".":
                under.setdefault(name[:at], []).append(name)
    with in_locale(locale):
        out: list[Subject] = []
        for key, f in by_key.items():
            if key not in types or types[key] in NOT_SUBJECTS:
                continue
            out.append(Subject(key, field_label(f, locale), types[key], _options(f, locale)))
            out += [Subject(name, derived_label(name, f, locale), types[name]) for name in under.get(key, ())]
        return out


def _options(f: dict[str, Any], locale: str) -> tuple[tuple[str, str], ...]:
    options = f.get("options")
    if kind_of(str(f.get("type"))) != "choice" or not isinstance(options, list):
        return ()
    return tuple((o["value"], field_label({"label": o.get("label"), "key": o["value"]}, locale))
                 for o in options if isinstance(o, dict) and isinstance(o.get("value"), str))
