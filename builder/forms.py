"""Form definitions: what a person fills in, as frozen data keyed by (key, version).

`Form.from_dict` trusts its input; call `builder.validation.validate_form` first (or use
`parse_form`, which does both) so that bad documents fail with every problem and its JSON path.

Conditions appear in three places, all in the one condition language of `rules.conditions`:
a field's `visible_when` (shown only while it holds), its `required_when` (required only while it
holds), and the form's `validations` (cross-field checks such as "end date on or after the start
date" or "the invoice lines add up to the claimed amount", each with the message to show). They
may name derived facts of tables (`items.amount.sum`, `items.count`) and compare two fields
(`{"$gte": {"end_date": {"$m": "start_date"}}}`).
"""
from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from builder.serial import to_plain
from builder.text import Label
from rules.derived import DayCounter, calendar_days, condition_types, facts_for

Workdays = Callable[[datetime.date, datetime.date], int]  # the business calendar's working days, both ends counted

# Field type → what its value is in cleaned data (and so in events, the API and conditions):
#   text, textarea, phone, email      str (text ≤ 200 and textarea ≤ 5000 characters unless
#                                     max_length says otherwise; no control characters but a
#                                     textarea's \n and \t; bidi overrides removed)
#   number, percent                   int | float (percent: 12.5 means 12.5 %), |x| < 1e15
#   money                             int | float, rounded to cents (大写 shown under it)
#   date                              "YYYY-MM-DD";  datetime: "YYYY-MM-DDTHH:MM" (local wall time);
#                                     years 1900-2200
#   daterange                         {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"} (end ≥ start,
#                                     spanning less than 10 years)
#   select, radio                     str, one of the options' values
#   multiselect                       [str, …] in the options' order
#   checkbox                          bool, never left empty
#   user, department                  a username / department id (a list of them with `multiple`)
#   attachment                        [{"id", "name", "size", "sha256", "type"}, …] (uploads, by id)
#   table                             [{column key: value}, …]
#   serial                            str, filled in at submission (`pattern`), never typed,
#                                     never given twice per process and field
#   section, note                     layout only: no value (label = heading, help = the text)
# The web layer keeps a registry of templates keyed the same way.
COLUMN_TYPES = ("text", "textarea", "number", "money", "percent", "date", "datetime", "select",
                "phone", "email")
SCALAR_TYPES = COLUMN_TYPES  # what a table column may be
CHOICE_TYPES = ("select", "radio", "multiselect")
LAYOUT_TYPES = ("section", "note")
FIELD_TYPES = COLUMN_TYPES + ("daterange", "radio", "multiselect", "checkbox", "user", "department",
                              "attachment", "table", "serial") + LAYOUT_TYPES
NUMERIC_TYPES = ("number", "money", "percent")


@dataclass(frozen=True)
class Option:
    value: str
    label: Label = ""

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Option:
        return cls(value=doc["value"], label=doc.get("label", ""))


@dataclass(frozen=True)
class Field:
    """One input. A `table` field holds rows whose cells are its `columns` (themselves fields)."""

    key: str
    type: str
    label: Label = ""
    required: bool = False
    help: Label = ""
    placeholder: Label = ""
    options: tuple[Option, ...] = ()
    columns: tuple[Field, ...] = ()
    computed: str = ""
    visible_when: dict[str, Any] | None = None
    required_when: dict[str, Any] | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    min_rows: int = 0
    max_rows: int | None = None
    default: Any = None  # the value a new form starts with, of the field's own type
    min_length: int | None = None
    multiple: bool = False  # user, department: several may be chosen
    accept: tuple[str, ...] = ()  # attachment: allowed file extensions, lower case, no dot
    max_files: int | None = None  # attachment: files per field
    max_size: int | None = None  # attachment: bytes per file
    pattern: str = ""  # serial: e.g. "BX-{yyyy}-{seq:6}"
    working_days: bool = False  # daterange: its length counted in working days, not calendar days

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Field:
        return cls(
            key=doc["key"],
            type=doc["type"],
            label=doc.get("label", ""),
            required=bool(doc.get("required", False)),
            help=doc.get("help", ""),
            placeholder=doc.get("placeholder", ""),
            options=tuple(Option.from_dict(o) for o in doc.get("options", ())),
            columns=tuple(Field.from_dict(c) for c in doc.get("columns", ())),
            computed=doc.get("computed", ""),
            visible_when=doc.get("visible_when"),
            required_when=doc.get("required_when"),
            min=doc.get("min"),
            max=doc.get("max"),
            max_length=doc.get("max_length"),
            min_rows=int(doc.get("min_rows", 0)),
            max_rows=doc.get("max_rows"),
            default=doc.get("default"),
            min_length=doc.get("min_length"),
            multiple=bool(doc.get("multiple", False)),
            accept=tuple(doc.get("accept", ())),
            max_files=doc.get("max_files"),
            max_size=doc.get("max_size"),
            pattern=doc.get("pattern", ""),
            working_days=bool(doc.get("working_days", False)),
        )

    @property
    def is_computed(self) -> bool:
        return bool(self.computed)

    @property
    def is_layout(self) -> bool:
        """A section heading or explanatory text: shown, never filled in, holds no value."""
        return self.type in LAYOUT_TYPES

    @property
    def is_input(self) -> bool:
        """Whether a person types or picks this field's value (not computed, serial or layout)."""
        return not (self.is_computed or self.is_layout or self.type == "serial")

    def column(self, key: str) -> Field | None:
        return next((c for c in self.columns if c.key == key), None)

    def option_values(self) -> tuple[str, ...]:
        return tuple(o.value for o in self.options)


@dataclass(frozen=True)
class Validation:
    """A cross-field check: `when` must hold, else `message` is shown on each of `fields` (the
    form as a whole, error key "", when none are named). Judged only once every field `when`
    compares is filled in: an empty field is `required`'s business, not this check's."""

    when: dict[str, Any]
    message: Label
    fields: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Validation:
        return cls(when=doc["when"], message=doc["message"], fields=tuple(doc.get("fields", ())))


@dataclass(frozen=True)
class Form:
    key: str
    version: int
    title: Label
    fields: tuple[Field, ...] = field(default=(), metadata={"always": True})
    description: Label = ""
    validations: tuple[Validation, ...] = ()

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Form:
        return cls(
            key=doc["key"],
            version=int(doc.get("version", 1)),
            title=doc.get("title", doc["key"]),
            fields=tuple(Field.from_dict(f) for f in doc.get("fields", ())),
            description=doc.get("description", ""),
            validations=tuple(Validation.from_dict(v) for v in doc.get("validations", ())),
        )

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)

    def field(self, key: str) -> Field | None:
        return next((f for f in self.fields if f.key == key), None)

    def field_types(self) -> dict[str, str]:
        """Every addressable field's type: `total` → money, `items.amount` → money."""
        types: dict[str, str] = {}
        for f in self.fields:
            types[f.key] = f.type
            for c in f.columns:
                types[f"{f.key}.{c.key}"] = c.type
        return types

    def condition_types(self) -> dict[str, str]:
        """What conditions on this form may name, and as what type: the fields (not table
        columns) and the derived facts of tables (`items.amount.sum` → money)."""
        return condition_types(self.field_types())

    def facts(self, data: dict[str, Any], workdays: Workdays | None = None) -> dict[str, Any]:
        """`data` with the derived facts of its tables (`items.amount.sum`, `items.count`; an
        absent table counts as empty) and date ranges (`trip.days`: in working days, counted by
        `workdays` on the business calendar, where the field says so), for judging conditions
        or evaluating rulesets."""
        return facts_for(self.field_types(), data, count_days=self.day_counter(workdays))

    def day_counter(self, workdays: Workdays | None) -> DayCounter:
        """How long each date range of this form is: working days (`workdays(first, last)`) for
        a range that counts them, calendar days for the others (and for all without `workdays`)."""
        working = {f.key for f in self.fields if f.type == "daterange" and f.working_days}
        if workdays is None or not working:
            return calendar_days
        return lambda key, first, last: workdays(first, last) if key in working else calendar_days(key, first, last)
