"""Branch steps: branches that are never taken, and cases that take no branch with nobody to
decide them anywhere on their way.

Condition branches are read with the decision-table lint's exact model (`rules.lint.first_match`):
the first branch whose condition holds is taken, so a later branch whose every case an earlier
one takes is never taken, and with an empty "otherwise" every case no branch covers goes straight
on past the step. That is a problem only when nobody else decides such a request on its way (see
`runtime.flow_checks.deciding`): straight on after the department head approved is a normal
design. Partial overlaps are how priorities work and are not problems. Branches that
match a ruleset's outcome are judged against the outcomes the ruleset can give at all.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from builder.flows import Branch
from builder.forms import Form
from builder.text import Label
from rules.conditions import validate_condition
from rules.errors import Problem
from rules.lint import Gap, first_match
from rules.ruleset import Column, Ruleset
from runtime.condition_names import Worded, placeholder
from runtime.flow_checks.facts import Facts
from runtime.i18n import LOCALES, N_, Names, Text, current_locale

NEVER_HOLDS = N_("never taken: its condition can never hold")
TAKEN_BY_ONE = N_("never taken: priority %(priority)s takes every case it covers first")
TAKEN_BY_MANY = N_("never taken: priorities %(priorities)s take every case it covers first")
AND = N_("%(first)s and %(last)s")
GAP = N_("%(cases)s takes no branch and 'otherwise' is empty, with no approval before or after this "
         "step: such a request would end with nobody having decided it (e.g. %(example)s)")
GAP_AT = N_("%(cases)s takes no branch and 'otherwise' is empty, with no approval before or after this "
            "step: such a request would end with nobody having decided it")
NO_BRANCH_AT_ALL = N_("no request takes a branch and 'otherwise' is empty, with no approval before or after "
                      "this step: every request would end with nobody having decided it")
LEFT_EMPTY = N_("'%(field)s' is optional: left empty, it takes no branch and 'otherwise' is empty, with no "
                "approval before or after this step, so the request would end with nobody having decided it")
YES, NO = N_("Yes"), N_("No")
PHRASES = {"and": N_("and"), "or": N_("or"), "in": N_("in"), "is none of": N_("is none of"),  # the lint's own
           "empty": N_("empty"), "another value": N_("another value"), "every form": N_("every form")}
NEVER_GIVEN = N_('never taken: ruleset "%(ruleset)s" never gives %(outcome)s (no row does, nor its default)')


def condition_branches(path: str, step: dict[str, Any], facts: Facts) -> list[Problem]:
    """Branches whose condition never holds or whose cases earlier ones take, and what an empty
    "otherwise" lets through with nobody deciding it on its way: filled-in requests no branch
    covers, and optional fields left empty."""
    branches = step.get("branches")
    if "ruleset" in step or not isinstance(branches, list):
        return []
    types = facts.form.field_types()
    conditions = [b.get("when") if isinstance(b, dict) and not validate_condition(b.get("when"), types) else None
                  for b in branches]  # what validate_flow refuses is read as "cannot tell"
    columns = condition_columns(facts.form)
    values = value_labels(facts.form)  # an option by its label, a box as Yes / No
    words: dict[str, dict[Any, str]] = {}
    for n, (key, value, _label) in enumerate(values):
        words.setdefault(key, {})[value] = placeholder(len(columns) + n)
    phrases = {word: placeholder(len(columns) + len(values) + n) for n, word in enumerate(PHRASES)}
    coverage = first_match(conditions, columns, optional=optional_fields(facts.form),
                           names={c.key: placeholder(i) for i, c in enumerate(columns)}, words=words,
                           phrases=phrases)
    out = [Problem(f"{path}.branches[{i}].when", NEVER_HOLDS) for i in coverage.never]
    out += [Problem(f"{path}.branches[{i}].when", taken_first(earlier)) for i, earlier in coverage.shadowed]
    if step.get("else") or path in facts.decided:
        return out
    if coverage.gaps:  # the words the placeholders stand for: each input as the builder calls it, each value
        labels: list[Label] = [facts.subject_names.get(c.key, c.key) for c in columns] + [v[2] for v in values] \
            + [_each_locale(text) for text in PHRASES.values()]
        out += [Problem(path, _gap(gap, labels)) for gap in coverage.gaps]
    out += [Problem(path, LEFT_EMPTY.fill(field=facts.field_name(key)))
            for key, gap in coverage.left_empty.items() if gap is not None]
    return out


def ruleset_branches(path: str, step: dict[str, Any], facts: Facts) -> list[Problem]:
    """Branches matching an outcome the ruleset never gives, or only outcomes earlier branches
    take first (the same outcome twice, say). A `collect` ruleset gives lists and is not judged."""
    ruleset = facts.rulesets.get(step["ruleset"]) if isinstance(step.get("ruleset"), str) else None
    branches = step.get("branches")
    if ruleset is None or ruleset.hit_policy == "collect" or not isinstance(branches, list):
        return []
    given = ruleset.outcomes()
    wanted = [b.get("outcome") if isinstance(b, dict) and isinstance(b.get("outcome"), dict) else None
              for b in branches]
    out: list[Problem] = []
    for index, outcome in enumerate(wanted):
        if outcome is None:
            continue
        taking = [g for g in given if _matches(outcome, g)]
        if not taking:
            out.append(Problem(f"{path}.branches[{index}].outcome",
                               NEVER_GIVEN.fill(ruleset=Names(ruleset.title or ruleset.key),
                                                outcome=_outcome_text(outcome, ruleset))))
            continue
        earlier = {i: other for i, other in enumerate(wanted[:index])
                   if other is not None and any(_matches(other, g) for g in taking)}
        if all(any(_matches(other, g) for other in earlier.values()) for g in taking):
            out.append(Problem(f"{path}.branches[{index}].outcome", taken_first(tuple(earlier))))
    return out


def condition_columns(form: Form) -> tuple[Column, ...]:
    """What a branch condition may name, typed as the lint reads inputs (options of choices)."""
    columns = []
    for key, kind in form.condition_types().items():
        field = form.field(key)
        columns.append(Column(key, kind, field.option_values() if field is not None else ()))
    return tuple(columns)


def value_labels(form: Form) -> list[tuple[str, Any, Label]]:
    """(field, value, its words) for the values people read by a label: options, and ticked or not."""
    out: list[tuple[str, Any, Label]] = []
    for f in form.fields:
        if f.type == "checkbox":
            out += [(f.key, True, _each_locale(YES)), (f.key, False, _each_locale(NO))]
        else:
            out += [(f.key, o.value, o.label or o.value) for o in f.options]
    return out


def _each_locale(text: Text) -> Label:
    return {locale: _in(locale, text) for locale in LOCALES}


def _in(locale: str, text: Text) -> str:
    token = current_locale.set(locale)
    try:
        return text.localized()
    finally:
        current_locale.reset(token)


def optional_fields(form: Form) -> tuple[str, ...]:
    """Fields a request may leave empty whatever else it says: inputs neither required nor
    required under a condition (a checkbox is never empty)."""
    return tuple(f.key for f in form.fields
                 if f.is_input and not f.required and f.required_when is None and f.type != "checkbox")


def taken_first(earlier: tuple[int, ...]) -> Text:
    """"never taken: priority 1 and 2 take every case it covers first" (priorities count from 1)."""
    numbers = [str(i + 1) for i in earlier]
    if len(numbers) == 1:
        return TAKEN_BY_ONE.fill(priority=numbers[0])
    return TAKEN_BY_MANY.fill(priorities=AND.fill(first=", ".join(numbers[:-1]), last=numbers[-1]))


def _gap(gap: Gap, labels: Sequence[Label]) -> Text:
    if not gap.text:
        return NO_BRANCH_AT_ALL
    if gap.exactly:
        return GAP_AT.fill(cases=Worded(gap.text, labels))
    return GAP.fill(cases=Worded(gap.text, labels), example=Worded(gap.example_text, labels))


def _matches(wanted: dict[str, Any], given: dict[str, Any]) -> bool:
    return Branch(outcome=wanted).matches(given)


def _outcome_text(outcome: dict[str, Any], ruleset: Ruleset) -> Worded:
    """"Contract grade = major": each output by what people call it (`Ruleset.output_label`)."""
    keys = list(outcome)
    return Worded(" and ".join(f"{placeholder(i)} = {outcome[k]}" for i, k in enumerate(keys)),
                  [ruleset.output_label(k) for k in keys])
