"""What a person calls each thing a condition may name: a form field by its label, a derived
fact in words ("Leave period: days", "Invoice lines: Amount (sum)"), never its key.

One source for the condition builder's subjects (`runtime.web.condition_subjects`), the record's
and the what-if's "because" (`runtime.web.timeline`) and the flow checks' messages, so a reader
sees the same words for `leave_period.days` everywhere. Reads form documents as stored (dicts),
tolerating a malformed draft.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

from builder.text import Label, localize
from builder.validation import form_field_types
from rules.derived import condition_types, split_name
from runtime import i18n
from runtime.i18n import LOCALES, N_, Text

_AGGREGATE_LABELS = {"sum": N_("%(table)s: %(column)s (sum)"),
                     "min": N_("%(table)s: %(column)s (smallest)"),
                     "max": N_("%(table)s: %(column)s (largest)"),
                     "count": N_("%(table)s: %(column)s (rows filled in)")}
_PART_LABELS = {"start": N_("start"), "end": N_("end"), "days": N_("days")}


def field_label(f: dict[str, Any], locale: str) -> str:
    """A field's (or option's, column's) label in `locale`, else its key."""
    try:
        text = localize(f.get("label"), locale)
    except (AttributeError, TypeError):
        text = ""
    return text if isinstance(text, str) and text.strip() else str(f.get("key", ""))


def derived_label(name: str, f: dict[str, Any], locale: str) -> str:
    """A derived fact of field `f` in words, in `locale` (translated in the current locale: call
    it inside `in_locale(locale)`)."""
    _ = i18n.gettext
    table = field_label(f, locale)
    parts = split_name(name)
    if parts is not None and parts[1] is None:
        return _("%(table)s: number of rows") % {"table": table}
    if parts is not None:
        columns = f.get("columns") if isinstance(f.get("columns"), list) else []
        column = next((c for c in columns if isinstance(c, dict) and c.get("key") == parts[1]), {})
        column_label = field_label({**column, "key": parts[1]}, locale)
        return _(_AGGREGATE_LABELS[parts[2]]) % {"table": table, "column": column_label}
    part = name.rsplit(".", 1)[-1]
    return _("%(field)s: %(part)s") % {"field": table, "part": _(_PART_LABELS.get(part, part))}


def subject_names(form_doc: Any) -> dict[str, Label]:
    """Every name a condition on this form may use → its words in each language
    (`{"leave_period.days": {"en": "Leave period: days", "zh_CN": "请假时间：天数"}}`)."""
    fields = form_doc.get("fields") if isinstance(form_doc, dict) else None
    fields = [f for f in fields if isinstance(f, dict)] if isinstance(fields, list) else []
    by_key = {f.get("key"): f for f in fields if isinstance(f.get("key"), str)}
    names: dict[str, dict[str, str]] = {}
    types = condition_types(form_field_types(form_doc))
    for locale in LOCALES:
        token = i18n.current_locale.set(locale)
        try:
            for name in types:
                key = name.split(".", 1)[0]
                if key not in by_key:
                    continue
                words = field_label(by_key[key], locale) if name == key else derived_label(name, by_key[key], locale)
                names.setdefault(name, {})[locale] = words
        finally:
            i18n.current_locale.reset(token)
    return dict(names)


def placeholder(index: int) -> str:
    """Where the `index`th name goes in a phrase composed before the reader is known."""
    return f"\x1f{index}\x1f"


class Worded(Text):
    """A phrase formflow composed with the names of fields in it (the checks' "Leave period:
    days ≤ 3", from the lint's words over `placeholder`s): English in the sentence like any
    other `Text`, each name in the reader's language on a page."""

    template: str
    labels: tuple[Label, ...]

    def __new__(cls, template: str, labels: Sequence[Label]) -> Self:
        text = str.__new__(cls, _filled(template, labels, "en"))
        text.msgid, text.params = str(text), {}
        text.template, text.labels = template, tuple(labels)
        return text

    def localized(self) -> str:
        return _filled(self.template, self.labels, i18n.current_locale.get())


def _filled(template: str, labels: Sequence[Label], locale: str) -> str:
    for index, label in enumerate(labels):
        template = template.replace(placeholder(index), localize(label, locale))
    return template
