"""What changed between two versions of a form, as structured data (the 修订记录 in words is built
from it by `runtime.form_changes`, in the reader's language).

Pure: two form documents in, a list of `Change` out, in document order (form-level changes first,
then field by field, then the cross-field validations). Table columns are compared the same way
as fields and named `table.column` (`items.amount`). Documents are read through `Form.from_dict`
so defaults never show as changes (`"required": false` against an absent `required`).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from builder.forms import Field, Form, Option
from builder.serial import to_plain
from builder.text import Label

# Field properties compared one by one, in the order a reader meets them; `label`, `type`,
# `required`, `options` and `columns` have changes of their own.
RULE_PROPERTIES = ("visible_when", "required_when", "computed")
LIMIT_PROPERTIES = ("min", "max", "min_length", "max_length", "min_rows", "max_rows", "max_files",
                    "max_size", "accept", "multiple", "pattern", "working_days")
TEXT_PROPERTIES = ("help", "placeholder", "default")
ANY_LANGUAGE = "*"  # a plain-text label reads the same in every language


@dataclass(frozen=True)
class Change:
    """One difference. `kind` says what (see CHANGE_KINDS); `field` is the field's key (or
    `table.column`), empty for the form itself; `label` the field's label, for showing it;
    `name` the property, option value or language concerned; `before`/`after` the values."""

    kind: str
    field: str = ""
    label: Label = ""
    name: str = ""
    before: Any = None
    after: Any = None

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Change:
        return cls(kind=doc["kind"], field=doc.get("field", ""), label=doc.get("label", ""),
                   name=doc.get("name", ""), before=doc.get("before"), after=doc.get("after"))


CHANGE_KINDS = ("created", "title", "description", "added", "removed", "moved", "retyped", "relabelled",
                "required", "option_added", "option_removed", "option_relabelled", "options_reordered",
                "rule", "limit", "text", "validation_added", "validation_removed", "validation_changed")


def form_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[Change]:
    """Every change from `before` (None: a new form) to `after`, both form documents."""
    new = Form.from_dict(after)
    if before is None:
        return [Change("created", label=new.title)]
    old = Form.from_dict(before)
    out: list[Change] = []
    if _plain(old.title) != _plain(new.title):
        out.append(Change("title", before=_plain(old.title), after=_plain(new.title)))
    if _plain(old.description) != _plain(new.description):
        out.append(Change("description", before=_plain(old.description), after=_plain(new.description)))
    out += _field_list_changes(old.fields, new.fields, "")
    out += _validation_changes(old, new)
    return out


def _field_list_changes(old: tuple[Field, ...], new: tuple[Field, ...], prefix: str) -> list[Change]:
    before = {f.key: f for f in old}
    after = {f.key: f for f in new}
    out: list[Change] = []
    moved = _moved([f.key for f in old if f.key in after], [f.key for f in new if f.key in before])
    for f in new:
        name = prefix + f.key
        if f.key not in before:
            out.append(Change("added", name, f.label, after=f.type))
            continue
        if f.key in moved:
            out.append(Change("moved", name, f.label, before=_position(old, f.key), after=_position(new, f.key)))
        out += _field_changes(before[f.key], f, name)
    out += [Change("removed", prefix + f.key, f.label, before=f.type) for f in old if f.key not in after]
    return out


def _moved(old_order: list[str], new_order: list[str]) -> set[str]:
    """The keys that moved: those outside the longest run of keys kept in their order."""
    kept: set[str] = set()
    matcher = difflib.SequenceMatcher(a=old_order, b=new_order, autojunk=False)
    for block in matcher.get_matching_blocks():
        kept.update(old_order[block.a:block.a + block.size])
    return set(new_order) - kept


def _position(fields: tuple[Field, ...], key: str) -> int:
    return next(i for i, f in enumerate(fields) if f.key == key) + 1


def _field_changes(old: Field, new: Field, name: str) -> list[Change]:
    label = new.label
    out: list[Change] = []
    if old.type != new.type:
        out.append(Change("retyped", name, label, before=old.type, after=new.type))
    out += [Change("relabelled", name, label, language, before, after)
            for language, before, after in _label_changes(old.label, new.label)]
    if old.required != new.required:
        out.append(Change("required", name, label, before=old.required, after=new.required))
    out += _option_changes(old.options, new.options, name, label)
    for prop in LIMIT_PROPERTIES:
        if _plain(getattr(old, prop)) != _plain(getattr(new, prop)):
            out.append(Change("limit", name, label, prop, _plain(getattr(old, prop)), _plain(getattr(new, prop))))
    for prop in TEXT_PROPERTIES:
        if _plain(getattr(old, prop)) != _plain(getattr(new, prop)):
            out.append(Change("text", name, label, prop, _plain(getattr(old, prop)), _plain(getattr(new, prop))))
    for prop in RULE_PROPERTIES:
        if _plain(getattr(old, prop)) != _plain(getattr(new, prop)):
            out.append(Change("rule", name, label, prop, _plain(getattr(old, prop)), _plain(getattr(new, prop))))
    if old.columns or new.columns:
        out += _field_list_changes(old.columns, new.columns, name + ".")
    return out


def _label_changes(old: Label, new: Label) -> list[tuple[str, str, str]]:
    """(language, before, after) for each language whose text changed."""
    before, after = _by_language(old), _by_language(new)
    if ANY_LANGUAGE in before or ANY_LANGUAGE in after:
        if before != after:
            return [(ANY_LANGUAGE, _one_text(old), _one_text(new))]
        return []
    return [(lang, before.get(lang, ""), after.get(lang, ""))
            for lang in sorted(set(before) | set(after)) if before.get(lang, "") != after.get(lang, "")]


def _by_language(label: Label) -> dict[str, str]:
    if isinstance(label, str):
        return {ANY_LANGUAGE: label} if label else {}
    return {k: v for k, v in label.items() if v}


def _one_text(label: Label) -> str:
    if isinstance(label, str):
        return label
    return " / ".join(v for v in label.values() if v)


def _option_changes(old: tuple[Option, ...], new: tuple[Option, ...], name: str, label: Label) -> list[Change]:
    before = {o.value: o for o in old}
    after = {o.value: o for o in new}
    out = [Change("option_added", name, label, o.value, after=_plain(o.label)) for o in new if o.value not in before]
    out += [Change("option_removed", name, label, o.value, before=_plain(o.label)) for o in old if o.value not in after]
    for o in new:
        if o.value in before and _plain(before[o.value].label) != _plain(o.label):
            out.append(Change("option_relabelled", name, label, o.value, _plain(before[o.value].label), _plain(o.label)))
    kept_old = [o.value for o in old if o.value in after]
    kept_new = [o.value for o in new if o.value in before]
    if kept_old != kept_new:
        out.append(Change("options_reordered", name, label, before=kept_old, after=kept_new))
    return out


def _validation_changes(old: Form, new: Form) -> list[Change]:
    """Checks found unchanged anywhere are left out; the rest pair up in order as changed, and
    what is left over was added or removed."""
    before = [to_plain(v) for v in old.validations]
    after = [to_plain(v) for v in new.validations]
    gone = [v for v in before if v not in after]
    came = [v for v in after if v not in before]
    out = [Change("validation_changed", name=_message(b), before=b, after=a) for b, a in zip(gone, came)]
    out += [Change("validation_removed", name=_message(b), before=b) for b in gone[len(came):]]
    out += [Change("validation_added", name=_message(a), after=a) for a in came[len(gone):]]
    return out


def _message(validation: dict[str, Any]) -> str:
    return _one_text(validation.get("message", ""))


def _plain(value: Any) -> Any:
    return to_plain(value) if value is not None else None


