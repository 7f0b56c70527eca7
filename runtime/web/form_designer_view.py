"""What the form designer's page shows, built from a draft: palette, field cards, the property
panel of the selected field, the live preview, and problems placed on the field they concern.

Pure functions over the draft document and the problems a save raised; the routes in
`runtime.web.form_designer` parse, call `builder.form_editing` and `FormAuthoring`, then render
what these build. Everything renders from the saved draft (always valid), with the problems and
the refused input of a failed edit laid over it, so a refused edit never breaks the page.
"""
from __future__ import annotations

import json
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import orjson

from builder import form_editing as fe
from builder.forms import COLUMN_TYPES, FIELD_TYPES, Form
from builder.text import localize
from rules.errors import Problem
from runtime import i18n
from runtime.i18n import N_
from runtime.web.condition_subjects import Subject
from runtime.web.condition_words import describe
from runtime.web.forms_view import FIELD_TEMPLATES, FormState, blank_state, state_from_pairs
from runtime.web.rendering import TEMPLATE_DIR

SAMPLE_PREFIX = "sample."  # the preview's inputs, posted along with every edit so its data stays
DRAFT_CHANGED = "form-draft-changed"  # HX-Trigger event: the publish panel reloads its diff
MISSING_TEMPLATE = "designer/_preview_missing.html"

# The palette: every field type once, in groups a DingTalk user recognises.
TYPE_NAMES: dict[str, str] = {
    "text": N_("Text"), "textarea": N_("Long text"), "number": N_("Number"), "money": N_("Amount of money"),
    "percent": N_("Percentage"), "date": N_("Date"), "datetime": N_("Date and time"),
    "daterange": N_("Date range"), "phone": N_("Phone"), "email": N_("Email"),
    "select": N_("Drop-down choice"), "radio": N_("Single choice"), "multiselect": N_("Multiple choice"),
    "checkbox": N_("Checkbox"), "user": N_("Person"), "department": N_("Department"),
    "attachment": N_("Attachments"), "table": N_("Line items (table)"), "serial": N_("Serial number"),
    "section": N_("Section heading"), "note": N_("Explanatory text"),
}
PALETTE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("Basic"), ("text", "textarea", "number", "money", "percent", "date", "datetime", "daterange",
                   "phone", "email")),
    (N_("Choices"), ("select", "radio", "multiselect", "checkbox")),
    (N_("People and files"), ("user", "department", "attachment")),
    (N_("Advanced"), ("table", "serial", "section", "note")),
)
assert sorted(t for _, ts in PALETTE_GROUPS for t in ts) == sorted(FIELD_TYPES) == sorted(TYPE_NAMES)


# What every card says, translated once per page rather than once per card (60 cards, 8 phrases each).
CARD_PHRASES: dict[str, str] = {
    "edit": N_("Edit “%(label)s” (%(type)s)"), "arrange": N_("Arrange “%(label)s”"),
    "up": N_("Move “%(label)s” up"), "down": N_("Move “%(label)s” down"),
    "duplicate": N_("Duplicate “%(label)s”"), "delete": N_("Delete “%(label)s”"),
    "confirm": N_("Delete “%(label)s”?"), "used": N_("It is used by %(users)s."),
    "insert": N_("Insert a field after “%(label)s”"), "visible": N_("Visible when %(condition)s"),
    "used_by": N_("Used by %(users)s"), "duplicate_text": N_("Copy"), "insert_after": N_("Insert after"),
    "published": N_("published"), "published_note": N_("published: the key stays"), "required": N_("required"),
}


def card_phrases() -> dict[str, str]:
    return {name: i18n.gettext(msgid) for name, msgid in CARD_PHRASES.items()}


def type_name(kind: str) -> str:
    return i18n.gettext(TYPE_NAMES.get(kind, kind)) if kind in TYPE_NAMES else kind


def palette() -> list[tuple[str, list[tuple[str, str]]]]:
    """(group name, [(type, type name)]) in the reader's language."""
    return [(i18n.gettext(group), [(t, type_name(t)) for t in kinds]) for group, kinds in PALETTE_GROUPS]


def column_types() -> list[tuple[str, str]]:
    return [(t, type_name(t)) for t in COLUMN_TYPES]


# ---------------------------------------------------------------- problems


@dataclass
class Placed:
    """A failed edit's problems by field target and property path (`""`: the field as a whole),
    the ones that concern no field, and what was typed (kept in its input, marked invalid)."""

    by_target: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    attempt: dict[str, str] = field(default_factory=dict)  # input name → text typed
    attempt_target: str = ""

    def __bool__(self) -> bool:
        return bool(self.by_target or self.general)

    def of(self, target: str, prop: str | None = None) -> list[str]:
        """Messages about `target`, all of them or those under property `prop` (`options`,
        `options[1]`, `label`…)."""
        found = self.by_target.get(target, {})
        if prop is None:
            return [m for ms in found.values() for m in ms]
        return [m for path, ms in found.items() for m in ms
                if path == prop or path.startswith(prop + ".") or path.startswith(prop + "[")]

    def typed(self, target: str, name: str, saved: Any) -> Any:
        """What the input `name` of `target` shows: the refused text, else the saved value."""
        if target == self.attempt_target and name in self.attempt:
            return self.attempt[name]
        return saved


def place(problems: list[Problem], doc: dict[str, Any]) -> Placed:
    """Problems located by JSON paths in `doc` (the document the edit produced) as field targets
    and properties; a problem of a table's column lands on that column."""
    placed = Placed()
    for problem in problems:
        target, rest = fe.target_of_path(doc, problem.path)
        message = i18n.localized(problem.message)
        if target:
            placed.by_target.setdefault(target, {}).setdefault(rest, []).append(message)
            table, _, column = target.partition(".")
            if column:  # the table's card shows that a column has a problem
                placed.by_target.setdefault(table, {}).setdefault(f"columns.{column}", []).append(message)
        else:
            placed.general.append(f"{problem.path}: {message}" if problem.path else message)
    return placed


# ---------------------------------------------------------------- cards and panel


@dataclass(frozen=True)
class Card:
    """One field on the canvas (a table's columns are cards inside its card)."""

    target: str
    key: str
    type: str
    type_name: str
    label: str
    required: bool
    conditional: str  # "visible when …" in words, "" when always shown
    computed: str
    published: bool
    used_by: tuple[str, ...]
    problems: tuple[str, ...]
    columns: tuple[Card, ...] = ()
    index: int = 0
    last: bool = False

    @property
    def dom_id(self) -> str:
        return "card-" + self.target.replace(".", "--")


def cards(doc: dict[str, Any], published: frozenset[str], usages: dict[str, list[str]],
          placed: Placed, subjects: list[Subject]) -> list[Card]:
    locale = i18n.current_locale.get()

    def condition_text(cond: Any) -> str:
        return describe(cond, subjects, locale) if cond else ""

    def card(f: dict[str, Any], target: str, index: int, last: bool, columns: tuple[Card, ...] = ()) -> Card:
        return Card(target=target, key=f["key"], type=f["type"], type_name=type_name(f["type"]),
                    label=localize(f.get("label"), locale) or f["key"], required=bool(f.get("required")),
                    conditional=condition_text(f.get("visible_when")), computed=f.get("computed", ""),
                    published=target in published, used_by=tuple(usages.get(target, ())),
                    problems=tuple(placed.of(target)), columns=columns, index=index, last=last)

    fields = doc.get("fields", [])
    out = []
    for i, f in enumerate(fields):
        cols = f.get("columns", []) if f.get("type") == "table" else []
        columns = tuple(card(c, f"{f['key']}.{c['key']}", j, j == len(cols) - 1) for j, c in enumerate(cols))
        out.append(card(f, f["key"], i, i == len(fields) - 1, columns))
    return out


@dataclass(frozen=True)
class Panel:
    """The property panel of the selected field (or of the form itself when `target` is "")."""

    target: str
    field: dict[str, Any]
    path: str
    published: bool
    used_by: tuple[str, ...]
    is_column: bool
    editable: frozenset[str]  # which property groups this type offers

    def label(self, name: str, lang: str) -> str:
        return label_in(self.field.get(name, ""), lang)

    def get(self, name: str, default: Any = None) -> Any:
        return self.field.get(name, default)

    def text(self, name: str) -> str:
        value = self.field.get(name)
        if value is None:
            return ""
        if name == "max_size":
            return f"{value / fe.MEGABYTE:g}"
        if name == "accept":
            return ", ".join(value)
        if isinstance(value, (dict, list)) and name in ("visible_when", "required_when"):
            return json.dumps(value, ensure_ascii=False, indent=1)
        if name == "default":
            return _default_text(value)
        return str(value)


def label_in(value: Any, lang: str) -> str:
    """One language of a label; a plain string counts as English when it is ASCII, else Chinese."""
    if isinstance(value, dict):
        return str(value.get(lang, ""))
    return value if isinstance(value, str) and value and (lang == "en") == value.isascii() else ""


def _default_text(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return f"{value.get('start', '')}/{value.get('end', '')}"
    return str(value)


def _groups(kind: str, column: bool) -> frozenset[str]:
    """What the panel offers for a type (mirrors what builder.validation accepts for it)."""
    groups = {"label", "key"}
    if kind in ("section", "note"):
        return frozenset({"label", "key", "help"})
    groups |= {"help", "required"}
    if not column:
        groups |= {"conditions"}
    if kind in ("text", "textarea", "number", "money", "percent", "date", "datetime", "phone", "email", "select"):
        groups.add("placeholder")
    if kind in ("number", "money", "percent"):
        groups |= {"bounds", "computed"}
    if kind in ("text", "textarea"):
        groups |= {"length", "computed"}
    if kind == "date":
        groups.add("computed")
    if kind in ("select", "radio", "multiselect"):
        groups.add("options")
    if kind == "table":
        groups |= {"rows", "columns"}
    if kind == "attachment":
        groups.add("attachment")
    if kind == "serial":
        groups = {"label", "key", "help", "pattern"}
    if kind in ("user", "department"):
        groups.add("multiple")
    if kind == "daterange":
        groups.add("working_days")
    if kind not in ("table", "attachment", "serial"):
        groups.add("default")
    return frozenset(groups)


def panel(doc: dict[str, Any], target: str, published: frozenset[str],
          usages: dict[str, list[str]]) -> Panel:
    if not target:
        return Panel("", doc, "", False, (), False, frozenset({"form"}))
    f = fe.field_at(doc, target)
    return Panel(target=target, field=f, path=fe.path_of(doc, target), published=target in published,
                 used_by=tuple(usages.get(target, ())), is_column="." in target,
                 editable=_groups(f.get("type", ""), "." in target))


def selected_target(doc: dict[str, Any], wanted: str) -> str:
    """The field to show in the panel: the one asked for if it exists, else "" (the form)."""
    return wanted if wanted in fe.targets(doc) else ""


# ---------------------------------------------------------------- preview


def sample_pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The preview's own inputs out of a posted form, without their prefix (and its row `_op`)."""
    return [(k[len(SAMPLE_PREFIX):], v) for k, v in pairs if k.startswith(SAMPLE_PREFIX)] + \
        [(k, v) for k, v in pairs if k == "_op"]


def typed(samples: list[tuple[str, str]] | None) -> bool:
    """Whether the designer has typed any sample data: until then an edit redraws the preview as
    staff first see the form, without "required" under every empty field."""
    return any(value.strip() for name, value in samples or () if name != "_op")


def preview_state(doc: dict[str, Any], key: str, pairs: list[tuple[str, str]] | None, *,
                  check: bool) -> FormState | None:
    """The staff form rendered from the draft, with the sample data typed so far; None when the
    draft has no fields yet."""
    if not doc.get("fields"):
        return None
    form = Form.from_dict(doc)
    state = state_from_pairs(form, pairs, check=check) if pairs else blank_state(form)
    for f in form.fields:  # a table added since the sample data was typed gets its first rows
        if f.type == "table" and not state.rows(f):
            state.raw[f.key] = [{} for _ in range(max(f.min_rows, 1))]
    if not check:
        state.errors = {}
    state.prefix = SAMPLE_PREFIX
    state.preview = f"/designer/forms/{key}/preview"
    state.scope = "#preview-form"
    state.body = "#preview-body"
    return state


# Field types whose staff template reads nothing but the field, the state's raw value, cleaned value,
# error and required-ness of that field, and the language (tests/runtime/test_preview_cache.py holds
# their templates to it): the preview caches each such field's rendering under `preview_keys`, so an
# edit re-renders the fields it changed. Tables, attachments, pickers, date ranges and serial numbers
# read more (rows, uploads, the organisation, the calendar) and always render.
CACHED_PREVIEW_TYPES = frozenset({"text", "textarea", "number", "money", "percent", "date", "datetime", "phone",
                                  "email", "select", "radio", "multiselect", "checkbox", "section", "note"})


def preview_keys(doc: dict[str, Any], state: FormState | None) -> dict[str, Hashable]:
    """Per previewed field of a cached type, everything its rendering reads: its definition (the
    draft's field, from which `Field.from_dict` builds it), what the state holds for it, whether it
    is required now, and the input name prefix (the language the fragment cache adds itself)."""
    if state is None:
        return {}
    written = {f.get("key"): f for f in doc.get("fields", [])}
    keys: dict[str, Hashable] = {}
    for f in state.form.fields:
        if f.type in CACHED_PREVIEW_TYPES and f.key in written:
            held = (state.raw.get(f.key), state.data.get(f.key), f.key in state.computed,
                    state.computed.get(f.key), state.errors.get(f.key))
            keys[f.key] = (orjson.dumps(written[f.key], option=orjson.OPT_SORT_KEYS), repr(held),
                           state.required(f), state.prefix)
    return keys


def field_template(f: Any) -> str:
    """The staff template of a field type, or a stand-in while its type has none yet (a type
    registered before its template is installed, e.g. attachments before uploads land)."""
    name = FIELD_TEMPLATES.get(f.type, MISSING_TEMPLATE)
    return name if _installed(name) else MISSING_TEMPLATE


@cache
def _installed(name: str) -> bool:
    return (TEMPLATE_DIR / name).is_file()
