"""What a generated form shows: each field's typed value, its error and computed results.

Pure functions from a form definition plus the submitted pairs to the structure the templates
render; the field-type → template registry lives here so new field types add one entry.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from builder.formdata import clean_submission, field_name, form_values_from_pairs
from builder.forms import Field, Form
from rules.conditions import matches
from rules.errors import RuleError
from runtime import i18n


def N_(message: str) -> str:
    """Marks a message for the catalog; it is translated where it is shown."""
    return message


# The fixed messages of builder.formdata, so the UI can show them in the person's language.
FIELD_MESSAGES = (N_("required"), N_("unknown field"), N_("must be a number"),
                  N_("must be an amount of money, like 1200.50"), N_("must not be negative"),
                  N_("must be a date (YYYY-MM-DD)"), N_("must be text"), N_("is too large"),
                  N_("at least 1 row"), N_("must be true or false"))

FIELD_TEMPLATES: dict[str, str] = {
    "text": "partials/fields/text.html",
    "textarea": "partials/fields/textarea.html",
    "number": "partials/fields/number.html",
    "money": "partials/fields/number.html",
    "date": "partials/fields/date.html",
    "select": "partials/fields/select.html",
    "checkbox": "partials/fields/checkbox.html",
    "table": "partials/fields/table.html",
}
CONTROL_KEYS = ("csrf_token", "request_id", "_op")


@dataclass
class FormState:
    """The form as the person sees it now: raw values to redisplay, errors, computed values."""

    form: Form
    raw: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    computed: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def value(self, key: str) -> Any:
        return self.raw.get(key, "")

    def rows(self, table: Field) -> list[dict[str, Any]]:
        rows = self.raw.get(table.key)
        return rows if isinstance(rows, list) else []

    def name(self, key: str, row: int | None = None, column: str | None = None) -> str:
        return field_name(key, row, column)

    def error(self, key: str) -> str:
        message = self.errors.get(key, "")
        return i18n.gettext(message) if message else ""

    def template(self, f: Field) -> str:
        return FIELD_TEMPLATES[f.type]

    def visible(self, f: Field) -> bool:
        """Whether `visible_when` shows the field for what has been typed so far."""
        return f.visible_when is None or self._holds(f.visible_when, True)

    def required(self, f: Field) -> bool:
        return f.required or (f.required_when is not None and self._holds(f.required_when, False))

    def form_error(self) -> str:
        """A message about the whole form (a cross-field check that names no field)."""
        return self.error("")

    def _holds(self, condition: dict[str, Any], undecided: bool) -> bool:
        try:
            return matches(condition, self.facts)
        except RuleError:
            return undecided


def blank_state(form: Form) -> FormState:
    raw: dict[str, Any] = {}
    for f in form.fields:
        if f.type == "table":
            raw[f.key] = [{} for _ in range(max(f.min_rows, 1))]
    return _with_computed(FormState(form, raw))


def state_from_data(form: Form, data: dict[str, Any]) -> FormState:
    """The form filled with an instance's stored data, as text, for correcting and resubmitting."""
    raw: dict[str, Any] = {}
    for f in form.fields:
        if f.is_computed or f.key not in data:
            continue
        value = data[f.key]
        if f.type == "table":
            raw[f.key] = [{k: _text(v) for k, v in row.items()} for row in value]
        elif f.type == "checkbox":
            if value:
                raw[f.key] = "on"  # as a browser posts a ticked box; an unticked one posts nothing
        else:
            raw[f.key] = _text(value)
    return _with_computed(FormState(form, raw))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def state_from_pairs(form: Form, pairs: list[tuple[str, str]], *, check: bool) -> FormState:
    """Rebuild the form from posted pairs, apply a row operation (`_op`), and check it."""
    operation = next((v for k, v in pairs if k == "_op"), "")
    raw = form_values_from_pairs(form, [(k, v) for k, v in pairs if k not in CONTROL_KEYS])
    for f in form.fields:
        if f.type == "table":
            raw[f.key] = list(raw.get(f.key) or [])
    _apply_row_operation(form, raw, operation)
    return _with_computed(FormState(form, raw), check=check)


def _apply_row_operation(form: Form, raw: dict[str, Any], operation: str) -> None:
    verb, _, target = operation.partition(":")
    table_key, _, index = target.partition(":")
    table = form.field(table_key)
    if table is None or table.type != "table":
        return
    rows = raw[table.key]
    if verb == "add" and (table.max_rows is None or len(rows) < table.max_rows):
        rows.append({})
    elif verb == "remove" and index.isdigit() and int(index) < len(rows) and len(rows) > 1:
        rows.pop(int(index))


def _without_empty_rows(form: Form, raw: dict[str, Any]) -> dict[str, Any]:
    """Blank rows are what 'add row' leaves before typing; they are not data yet."""
    cleaned = dict(raw)
    for f in form.fields:
        if f.type == "table":
            cleaned[f.key] = [r for r in raw.get(f.key, []) if any(v not in ("", None) for v in r.values())]
    return cleaned


def submission(form: Form, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """The raw data a submit sends to the engine (which validates it again, fully)."""
    raw = form_values_from_pairs(form, [(k, v) for k, v in pairs if k not in CONTROL_KEYS])
    return _without_empty_rows(form, raw)


def _with_computed(state: FormState, *, check: bool = False) -> FormState:
    """Clean what was typed once: computed values, the facts conditions read, errors if asked."""
    data, errors = clean_submission(state.form, _without_empty_rows(state.form, state.raw), partial=True,
                                    locale=i18n.current_locale.get())
    state.computed = {f.key: data.get(f.key) for f in state.form.fields if f.is_computed}
    state.facts = state.form.facts(data)
    if check:
        state.errors = errors
    return state
