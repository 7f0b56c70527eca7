"""Per-step field permissions: which form fields a person sees, reads or changes, and where.

A flow's `start_fields` and each human step's `fields` map field keys to `hidden`, `readonly` or
`editable`. A field left unnamed is editable on the start form (the submitter fills it in) and
read-only at a step (approvers read what was filed), so a flow without permissions behaves as
before. A table's permission covers the whole table: finance corrects an invoice line by having
the table editable at its step. Computed fields follow from the others, so they are never
editable; where the designer said so, they are shown like read-only ones.

At the start, `readonly` and `hidden` both mean not asked and not required there; a step that has
the field editable is where it gets filled in (HR computes the salary, the GM records a decision).
The submitter then reads a `readonly` one (the decision on their order) but never a `hidden` one, and required fields editable at a step are
required from then on. `edit` applies what a person changed at a step and returns the change as
a diff, which the event records and the projection (`runtime.state`) folds into the data.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from builder import paths
from builder.flows import Flow, Step
from builder.fieldtypes import Directory
from builder.formdata import clean_submission
from builder.forms import Form, Workdays
from rules.errors import Problem
from rules.messages import N_

HIDDEN, READONLY, EDITABLE = "hidden", "readonly", "editable"
PERMISSIONS = (HIDDEN, READONLY, EDITABLE)
NOT_EDITABLE = N_("cannot be changed here")

Changes = dict[str, dict[str, Any]]  # field key → {"from": old value, "to": new value}; None = absent


# ---------------------------------------------------------------------------------------------
# Who may do what with each field


def start_permission(flow: Flow, key: str) -> str:
    return flow.start_fields.get(key, EDITABLE)


def step_permission(step: Step, key: str) -> str:
    """Steps without a `fields` map (notify: a person copied in) read everything not hidden."""
    return getattr(step, "fields", {}).get(key, READONLY)


def not_asked_at_start(flow: Flow, form: Form) -> frozenset[str]:
    """Fields the start form does not ask for: filled in at a later step, if at all."""
    return frozenset(f.key for f in form.fields if start_permission(flow, f.key) != EDITABLE)


def editable_at_start(flow: Flow, form: Form) -> frozenset[str]:
    return frozenset(f.key for f in form.fields
                     if f.is_input and start_permission(flow, f.key) == EDITABLE)


def editable_at_step(step: Step, form: Form) -> frozenset[str]:
    return frozenset(f.key for f in form.fields
                     if f.is_input and step_permission(step, f.key) == EDITABLE)


# ---------------------------------------------------------------------------------------------
# Changing the data


@dataclass(frozen=True)
class Edit:
    """The data after an edit, the problems by field path (nothing applies while there are
    any), and what changed."""

    data: dict[str, Any]
    errors: dict[str, str]
    changes: Changes


def edit(form: Form, data: dict[str, Any], edits: Mapping[str, Any], editable: frozenset[str], *,
         whole: bool = False, locale: str = "en", directory: Directory | None = None,
         workdays: Workdays | None = None) -> Edit:
    """`data` with `edits` to the `editable` fields, cleaned as strictly as a start.

    `edits` changes the fields it names (a step: `null` clears one); with `whole=True` it is the
    complete set of editable fields (a resubmitted start form), so an editable field it leaves
    out is cleared. A field outside `editable` is refused (except, in a whole form, a computed
    one: as at the start, its value is recomputed over). The whole result is cleaned again, so
    computed fields follow the change and cross-field checks see it; required fields are
    required where editable or already filled in, never where nobody could have filled them.
    Serial numbers, given once at the start, are kept whatever `edits` says. `directory` is
    `clean_submission`'s (who and which departments exist), and so is `workdays`.
    """
    refused = {str(k): ("unknown field" if form.field(str(k)) is None else NOT_EDITABLE)
               for k in edits if k not in editable and not (whole and _computed(form, k))}
    if refused:
        return Edit(data, refused, {})
    kept = {k: v for k, v in data.items() if not (whole and k in editable)}
    raw = {**kept, **edits}
    not_asked = frozenset(f.key for f in form.fields if f.key not in editable and f.key not in raw)
    cleaned, errors = clean_submission(form, raw, skip=not_asked, locale=locale, directory=directory,
                                       workdays=workdays)
    if errors:
        return Edit(data, errors, {})
    cleaned.update({f.key: data[f.key] for f in form.fields if f.type == "serial" and f.key in data})
    return Edit(cleaned, {}, diff(data, cleaned))


def _computed(form: Form, key: Any) -> bool:
    found = form.field(str(key))
    return found is not None and found.is_computed


def diff(before: dict[str, Any], after: dict[str, Any]) -> Changes:
    """Each field whose value differs, old and new (a table as a whole); None stands for absent."""
    return {k: {"from": before.get(k), "to": after.get(k)}
            for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}


# ---------------------------------------------------------------------------------------------
# Validation of the permission maps


def permission_problems(doc: Any, path: str, field_types: dict[str, str] | None) -> list[Problem]:
    """Problems of one permission map (`start_fields`, or a step's `fields`) at `path`; field
    keys are checked when the form's `field_types` are known."""
    if not isinstance(doc, dict):
        return [Problem(path, N_('must be an object of field key to "hidden", "readonly" or "editable"'))]
    out: list[Problem] = []
    for key, value in doc.items():
        where = paths.key(path, str(key))
        if field_types is not None and key not in field_types:
            out.append(Problem(where, N_('unknown field "%(key)s"', key=key)))
        elif field_types is not None and "." in key:
            table = key.split(".")[0]
            out.append(Problem(where, N_('a permission covers a whole table: name "%(table)s", not one column',
                                         table=table)))
        if value not in PERMISSIONS:
            plain = isinstance(value, (str, int, float, bool)) or value is None
            shown = json.dumps(value, ensure_ascii=False) if plain else "a list or an object"
            out.append(Problem(where, N_("unknown permission %(shown)s (one of %(permissions)s)",
                                         shown=shown, permissions=", ".join(PERMISSIONS))))
    return out
