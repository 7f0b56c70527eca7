"""What a generated form shows: each field's typed value, its error and computed results.

Pure functions from a form definition plus the submitted pairs to the structure the templates
render; the field-type → template registry lives here so new field types add one entry.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from builder.fieldtypes import Directory
from builder.formdata import NOT_ASKED, clean_submission, field_name, form_values_from_pairs
from builder.forms import Field, Form, Workdays
from builder.permissions import NOT_EDITABLE
from rules.conditions import matches
from rules.errors import RuleError
from runtime import i18n


def N_(message: str) -> str:
    """Marks a message for the catalog; it is translated where it is shown."""
    return message


# The fixed messages of builder.formdata, so the UI can show them in the person's language.
FIELD_MESSAGES = (N_("required"), N_("unknown field"), N_("must be a number"),
                  N_("must be an amount of money, like 1200.50"), N_("must not be negative"),
                  N_("has more than two decimal places (fen): like 1200.50"),
                  N_("must be a date (YYYY-MM-DD)"), N_("must be text"), N_("is too large"),
                  N_("at least 1 row"), N_("cannot be filled in here"), N_("cannot be changed here"),
                  N_("must be true or false"), N_("must be a percentage, like 12.5"),
                  N_("must be a date and time (YYYY-MM-DDTHH:MM)"), N_("needs a start and an end date"),
                  N_("start and end must be dates (YYYY-MM-DD)"), N_("must end on or after its start"),
                  N_("must be a mobile number (13812345678) or a landline (010-12345678)"),
                  N_("must be an email address, like name@example.com"), N_("must be a list of options"),
                  N_("must be a list of uploaded files"), N_("holds no value"))
assert NOT_ASKED in FIELD_MESSAGES and NOT_EDITABLE in FIELD_MESSAGES  # the catalog needs them spelled out

FIELD_TEMPLATES: dict[str, str] = {
    "text": "partials/fields/text.html",
    "textarea": "partials/fields/textarea.html",
    "number": "partials/fields/number.html",
    "money": "partials/fields/number.html",  # with the amount in capitals (大写) under it
    "percent": "partials/fields/percent.html",
    "date": "partials/fields/date.html",
    "datetime": "partials/fields/datetime.html",
    "daterange": "partials/fields/daterange.html",
    "select": "partials/fields/select.html",
    "radio": "partials/fields/radio.html",
    "multiselect": "partials/fields/multiselect.html",
    "checkbox": "partials/fields/checkbox.html",
    "user": "partials/fields/user.html",
    "department": "partials/fields/department.html",
    "phone": "partials/fields/phone.html",
    "email": "partials/fields/email.html",
    "attachment": "partials/fields/attachment.html",  # the uploads engineer's upload widget
    "table": "partials/fields/table.html",
    "serial": "partials/fields/serial.html",
    "section": "partials/fields/section.html",
    "note": "partials/fields/note.html",
}
# A table cell's <input type>, by column type (number-like cells also get inputmode="decimal").
CELL_INPUT_TYPES = {"date": "date", "datetime": "datetime-local", "phone": "tel", "email": "email"}
# Turns posted upload ids into the files' descriptions before cleaning: (form, raw) → (raw, errors).
Resolver = Callable[[Form, dict[str, Any]], tuple[dict[str, Any], dict[str, str]]]
CONTROL_KEYS = ("csrf_token", "request_id", "_op")
STEP_PREFIX = "data."  # a step's editable fields share a form with the decision's own inputs (comment, …)


@dataclass
class FormState:
    """The form as the person sees it now: raw values to redisplay, errors, computed values.

    `omit` names fields not shown here (hidden at the start; not editable at a step); `prefix`
    goes before every input name; `preview`, `scope` and `body` say where the form re-checks
    itself as the person types (the URL, the form posted, the element replaced)."""

    form: Form
    raw: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)  # what the raw values clean to, so far
    errors: dict[str, str] = field(default_factory=dict)
    computed: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    omit: frozenset[str] = frozenset()
    prefix: str = ""
    preview: str = ""
    scope: str = "#start-form"
    body: str = "#form-body"

    def value(self, key: str) -> Any:
        value = self.raw.get(key, "")
        return value if isinstance(value, str) else ""

    def values(self, key: str) -> list[str]:
        """The values of a field whose input name repeats (multiselect, several people, files)."""
        value = self.raw.get(key)
        return [v.get("id", "") if isinstance(v, dict) else str(v) for v in value] if isinstance(value, list) else \
            ([value] if isinstance(value, str) and value else [])

    def range_end(self, key: str, end: str) -> str:
        value = self.raw.get(key)
        return str(value.get(end, "")) if isinstance(value, dict) else ""

    def cleaned(self, key: str) -> Any:
        """The field's value as cleaned so far (None while it is empty or wrong)."""
        return self.computed.get(key) if key in self.computed else self.data.get(key)

    def rows(self, table: Field) -> list[dict[str, Any]]:
        rows = self.raw.get(table.key)
        return rows if isinstance(rows, list) else []

    def name(self, key: str, row: int | None = None, column: str | None = None,
             end: str | None = None) -> str:
        return self.prefix + field_name(key, row, column, end)

    def cell_type(self, column: Field) -> str:
        return CELL_INPUT_TYPES.get(column.type, "text")

    def error(self, key: str) -> str:
        message = self.errors.get(key, "")
        return i18n.localized(message) if message else ""

    def template(self, f: Field) -> str:
        return FIELD_TEMPLATES[f.type]

    def visible(self, f: Field) -> bool:
        """Whether the field is shown here and `visible_when` shows it for what has been typed."""
        return f.key not in self.omit and (f.visible_when is None or self._holds(f.visible_when, True))

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


def blank_state(form: Form, omit: frozenset[str] = frozenset()) -> FormState:
    """A new form: tables with their first rows, fields with a `default` pre-filled."""
    return _with_computed(FormState(form, _blank_raw(form, omit), omit=omit))


def _blank_raw(form: Form, omit: frozenset[str]) -> dict[str, Any]:
    raw = _raw_from_data(form, {f.key: f.default for f in form.fields
                                if f.default is not None and f.key not in omit and f.is_input})
    for f in form.fields:
        if f.type == "table" and f.key not in omit:
            raw[f.key] = [{} for _ in range(max(f.min_rows, 1))]
    return raw


def state_from_data(form: Form, data: dict[str, Any], omit: frozenset[str] = frozenset()) -> FormState:
    """The form filled with an instance's stored data, as text, for correcting and resubmitting."""
    return _with_computed(FormState(form, _raw_from_data(form, data), omit=omit))


def copied_state(form: Form, earlier: Form, data: dict[str, Any], omit: frozenset[str] = frozenset()) -> FormState:
    """A new request filled from an earlier one's data (再次发起): the fields the submitter types
    at the start that the form still has with the same type. Not copied: serial numbers and
    computed values (made anew), attachments (they belong to the earlier request: attach again),
    and what later steps filled in or the submitter may not see (`omit`)."""
    same = {f.key for f in form.fields if f.is_input and f.type != "attachment" and f.key not in omit
            and (old := earlier.field(f.key)) is not None and old.type == f.type}
    raw = {**_blank_raw(form, omit), **_raw_from_data(form, {k: v for k, v in data.items() if k in same})}
    return _with_computed(FormState(form, raw, omit=omit))


def _raw_from_data(form: Form, data: dict[str, Any]) -> dict[str, Any]:
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
        elif isinstance(value, list):  # multiselect, several people, files: a repeated name
            raw[f.key] = [v if isinstance(v, dict) else _text(v) for v in value]
        elif isinstance(value, dict):  # a date range's two ends
            raw[f.key] = {k: _text(v) for k, v in value.items()}
        else:
            raw[f.key] = _text(value)
    return raw


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def state_from_pairs(form: Form, pairs: list[tuple[str, str]], *, check: bool,
                     omit: frozenset[str] = frozenset(), directory: Directory | None = None,
                     resolve: Resolver | None = None, workdays: Workdays | None = None) -> FormState:
    """Rebuild the form from posted pairs, apply a row operation (`_op`), and check it (people
    and departments against `directory`, the organisation, when given; `resolve`: how upload ids
    become files; `workdays`: how a date range counting working days is measured)."""
    operation = next((v for k, v in pairs if k == "_op"), "")
    raw = form_values_from_pairs(form, [(k, v) for k, v in pairs if k not in CONTROL_KEYS])
    for f in form.fields:
        if f.type == "table" and f.key not in omit:
            raw[f.key] = list(raw.get(f.key) or [])
    _apply_row_operation(form, raw, operation)
    return _with_computed(FormState(form, raw, omit=omit), check=check, directory=directory, resolve=resolve,
                          workdays=workdays)


def step_state(form: Form, data: dict[str, Any], editable: frozenset[str], *,
               pairs: list[tuple[str, str]] | None = None, check: bool = False,
               directory: Directory | None = None, resolve: Resolver | None = None,
               workdays: Workdays | None = None) -> FormState:
    """The fields editable at a step, as inputs filled with the request's data, or with what was
    posted (`pairs`, a row operation applied). The other fields' values stay in, unshown, so
    computed fields and conditions see the whole request."""
    raw = _raw_from_data(form, data)
    if pairs is not None:
        raw.update(_step_raw(form, pairs, editable))
        _apply_row_operation(form, raw, next((v for k, v in pairs if k == "_op"), ""))
    state = FormState(form, raw, omit=frozenset(f.key for f in form.fields) - editable, prefix=STEP_PREFIX)
    return _with_computed(state, check=check, directory=directory, resolve=resolve, workdays=workdays)


def step_edits(form: Form, pairs: list[tuple[str, str]], editable: frozenset[str]) -> dict[str, Any]:
    """What a step's form posted for its editable fields: every one of them, since an input left
    empty clears its field (blank table rows dropped)."""
    not_editable = frozenset(f.key for f in form.fields) - editable  # a table not editable here is no edit
    return _without_empty_rows(form, _step_raw(form, pairs, editable), not_editable)


def _step_raw(form: Form, pairs: list[tuple[str, str]], editable: frozenset[str]) -> dict[str, Any]:
    posted = form_values_from_pairs(form, [(k[len(STEP_PREFIX):], v) for k, v in pairs
                                           if k.startswith(STEP_PREFIX)])
    return {f.key: posted.get(f.key, [] if f.type == "table" else "")
            for f in form.fields if f.key in editable}


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


def _without_empty_rows(form: Form, raw: dict[str, Any], omit: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Blank rows are what 'add row' leaves before typing; they are not data yet."""
    cleaned = dict(raw)
    for f in form.fields:
        if f.type == "table" and f.key not in omit:
            cleaned[f.key] = [r for r in raw.get(f.key, []) if any(v not in ("", None) for v in r.values())]
    return cleaned


def submission(form: Form, pairs: list[tuple[str, str]], omit: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The raw data a submit sends to the engine (which validates it again, fully); `omit`: the
    fields the form did not show."""
    raw = form_values_from_pairs(form, [(k, v) for k, v in pairs if k not in CONTROL_KEYS])
    return _without_empty_rows(form, raw, omit)


def _with_computed(state: FormState, *, check: bool = False, directory: Directory | None = None,
                   resolve: Resolver | None = None, workdays: Workdays | None = None) -> FormState:
    """Clean what was typed once: computed values, the facts conditions read, errors if asked.
    Posted upload ids are resolved first (`resolve`), and the widget shows the files found;
    without a resolver, attachment fields are left out of this check (the engine's is final)."""
    raw = _without_empty_rows(state.form, state.raw, state.omit)
    attachments = [f.key for f in state.form.fields if f.type == "attachment" and f.key in raw]
    file_errors: dict[str, str] = {}
    if resolve is not None and attachments:
        raw, file_errors = resolve(state.form, raw)
        state.raw.update({key: raw[key] for key in attachments})
    elif attachments:
        raw = {k: v for k, v in raw.items() if k not in attachments or _described(v)}
    data, errors = clean_submission(state.form, raw, partial=True, locale=i18n.current_locale.get(),
                                    directory=directory, workdays=workdays)
    errors = {**errors, **file_errors}
    state.computed = {f.key: data.get(f.key) for f in state.form.fields if f.is_computed}
    state.data = data
    state.facts = state.form.facts(data, workdays)
    if check:
        state.errors = errors
    return state


def _described(value: Any) -> bool:
    """Whether an attachment value holds the files' descriptions already (stored data), not ids."""
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)
