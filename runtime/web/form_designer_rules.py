"""The form designer's rule editors on the draft: the condition builders of a field's
visible_when / required_when, the expression helper of `computed`, and the form's cross-field
checks editor (components from `runtime.web.condition_builder`, `expression_helper` and
`validations_editor`), read from posted pairs into the document and shown back as posted."""
from __future__ import annotations

import json
from typing import Any

from builder import form_editing as fe
from rules.errors import DefinitionError, Problem
from runtime import i18n
from runtime.i18n import N_
from runtime.web import validations_editor as ve
from runtime.web.condition_builder import (ConditionForm, apply_operation, build_condition, condition_form,
                                           form_from_pairs, operation_for, place_problems)
from runtime.web.condition_subjects import Subject, subjects_of
from runtime.web.expression_helper import expression_help
from runtime.web.form_designer_view import Placed


BUILDERS = {"visible_when": "vw", "required_when": "rw"}  # property → the builder's input prefix


def subjects(doc: dict[str, Any]) -> list[Subject]:
    return subjects_of(doc, i18n.current_locale.get())


def builder_of(source: str, op: str) -> str:
    """Which condition builder a post came from: the id of the control (htmx's HX-Source) or
    its operation (`vw:add-clause:0`) starts with the builder's prefix."""
    for prop, prefix in BUILDERS.items():
        if source.startswith(prefix + "-") or op.startswith(prefix + ":"):
            return prop
    return ""


def apply_builder(doc: dict[str, Any], target: str, prop: str, pairs: list[tuple[str, str]],
                  builders: dict[str, ConditionForm]) -> dict[str, Any]:
    """The condition a builder posted, set on the field (removed when the builder is empty); the
    builder as posted goes into `builders`. Clause problems refuse the edit at the property."""
    prefix = BUILDERS[prop]
    op = operation_for(pairs, prefix)
    if op is None and not any(name.startswith(prefix + "-") for name, _ in pairs):
        return doc  # this builder was not on the page posted
    known = subjects(doc)
    cf = form_from_pairs(pairs, prefix, known)
    if op:
        apply_operation(cf, op, known)
    builders[prop] = cf
    cond = build_condition(cf, known)
    if cf.has_problems:
        raise DefinitionError([Problem(fe.path_of(doc, target) + "." + prop,
                                       i18n.gettext(N_("Finish or correct the marked condition.")))])
    return fe.set_property(doc, target, prop, json.dumps(cond, ensure_ascii=False) if cond else "")


def keep_unfinished(props: list[str], pairs: list[tuple[str, str]], doc: dict[str, Any],
                    builders: dict[str, ConditionForm]) -> None:
    """The builders of `props` this edit does not apply, shown again as typed while unfinished (a
    clause added and not chosen yet, a value refused): the draft does not hold them, and another
    property saving must not make the page lose them."""
    known = subjects(doc)
    for prop in props:
        prefix = BUILDERS[prop]
        if not any(name.startswith(prefix + "-") for name, _ in pairs):
            continue
        cf = form_from_pairs(pairs, prefix, known)
        build_condition(cf, known)  # each clause's problem, in place
        if cf.has_problems or cf.has_pending:
            builders[prop] = cf


def place_on_builders(builders: dict[str, ConditionForm], problems: list[Problem], doc: dict[str, Any],
                      target: str) -> None:
    """Problems found when the draft was saved, on the builder clauses (or checks) they concern."""
    if "validations" in builders:
        ve.place_problems(builders["validations"], problems)
    if not target or target not in fe.targets(doc):
        return
    where = fe.path_of(doc, target)
    for prop, cf in builders.items():
        if prop in BUILDERS:
            place_problems(cf, problems, f"{where}.{prop}")


def panel_conditions(doc: dict[str, Any], target: str, known: list[Subject],
                     shown: dict[str, ConditionForm]) -> dict[str, ConditionForm]:
    """The builders of the selected field: as posted when an edit read them, else from the draft."""
    if not target or "." in target:
        return {}
    f = fe.field_at(doc, target)
    return {prop: shown.get(prop) or condition_form(f.get(prop), known) for prop in BUILDERS}


def expression_context(doc: dict[str, Any], target: str, placed: Placed) -> dict[str, Any] | None:
    """The expression helper of the selected field: what it may use, its text and its problem."""
    if not target:
        return None
    table, _, column = target.partition(".")
    f = fe.field_at(doc, target)
    help = expression_help(doc, i18n.current_locale.get(), field=column or table, table=table if column else None)
    return {"help": help, "value": f.get("computed", ""), "problem": "; ".join(placed.of(target, "computed"))}


VALIDATIONS = "vc"  # the cross-field checks editor's input prefix


def apply_validations(doc: dict[str, Any], pairs: list[tuple[str, str]], shown: dict[str, Any]) -> dict[str, Any]:
    """The form's cross-field checks as the editor posted them; a check with a problem refuses
    the edit at `validations` (and is shown on its check)."""
    known = subjects(doc)
    vf, validations = ve.read_validations(pairs, VALIDATIONS, known, ve.targets_of(doc, i18n.current_locale.get()))
    shown["validations"] = vf
    if validations is None:
        raise DefinitionError([Problem("validations", i18n.gettext(N_("Finish or correct the marked check.")))])
    out = dict(doc)
    if validations:
        out["validations"] = validations
    else:
        out.pop("validations", None)
    return out


def keep_unfinished_checks(doc: dict[str, Any], pairs: list[tuple[str, str]], shown: dict[str, Any]) -> None:
    """The checks editor as posted, when this edit does not apply it and it is unfinished (a
    check without its message, a clause not chosen yet): shown again as typed, not lost."""
    known = subjects(doc)
    vf, validations = ve.read_validations(pairs, VALIDATIONS, known, ve.targets_of(doc, i18n.current_locale.get()))
    if validations is None or any(c.when.has_pending for c in vf.checks):
        shown["validations"] = vf


def validations_context(doc: dict[str, Any], shown: dict[str, Any]) -> dict[str, Any]:
    known = subjects(doc)
    return {"form": shown.get("validations") or ve.validations_form(doc.get("validations", []), known),
            "targets": ve.targets_of(doc, i18n.current_locale.get())}
