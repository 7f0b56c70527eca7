"""The flow designer's side panel for the selected step: what each input shows and offers.

Name (per language); who acts (every assignee kind the engine knows, with the choices each
needs: the organisation's roles, levels 1-5, the form's person and department fields, a ruleset
and its outputs); the approval mode; the time limit and its escalation ladder (a row per rung,
with the problems the checks found on it); which fields the step hides, shows or lets
change; for a branch step its branches' conditions (the condition builder) or the ruleset
deciding it and each branch's outcome; for a sub-process step the process and its inputs; and
its special cases (the flow's policies, each as the process says or its own) and what a
rejection does; the places the step may move to. Pure: built from the draft and a `Catalog`.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from builder import flow_editing as ed
from builder import paths
from builder.deadlines import ESCALATION_ACTIONS, TIME_UNITS
from builder.ladder_editing import actions_for
from builder.flow_tree import ROOT, earlier_steps, find, owner_of
from builder.flows import APPROVAL_MODES, ASSIGNEE_KINDS
from builder.permissions import PERMISSIONS
from builder.policies import REJECT_TO_END, REJECT_TO_SUBMITTER, RESUME_CHOICES
from builder.step_rules_editing import policy_choices
from builder.text import localize
from builder.validation import MAX_DEPT_LEVELS
from rules.errors import Problem
from rules.ruleset import Column, Ruleset
from runtime import i18n, policy_words
from runtime.i18n import N_
from runtime.web import flow_words as words
from runtime.web.condition_builder import ConditionForm, condition_form
from runtime.web.flow_designer_view import LANE, kind_name

if TYPE_CHECKING:
    from runtime.web.flow_designer_context import Catalog

ASSIGNEE_KIND_NAMES = {
    "user": N_("a named person"), "role": N_("everyone with a role"),
    "dept_head": N_("the submitter's head, some levels up"), "dept_heads": N_("every head up to some levels, in turn"),
    "field": N_("a person or department chosen in the form"), "ruleset": N_("named by a ruleset"),
    "chosen": N_("chosen by the submitter when filing")}
MODE_NAMES = {"single": N_("one person decides"), "any": N_("any one of them decides"),
              "all": N_("all of them must approve"), "sequential": N_("one after another")}
UNIT_NAMES = {"days": N_("working days"), "hours": N_("working hours")}
ACTION_NAMES = {"remind": N_("remind them"), "urge": N_("urge them"),
                "transfer_superior": N_("hand it to their superior"), "auto_approve": N_("approve it automatically"),
                "auto_reject": N_("reject it automatically")}
PERMISSION_NAMES = {"hidden": N_("hidden"), "readonly": N_("read only"), "editable": N_("editable")}
PERSON_TYPES = ("user", "department")
MAIN_COLUMN = N_("the main column")
INSIDE = N_("%(step)s › %(place)s")
BUILDER_PREFIX = "w"  # branch i's condition builder posts inputs named w<i>-…
assert set(ASSIGNEE_KIND_NAMES) == set(ASSIGNEE_KINDS) and set(MODE_NAMES) == set(APPROVAL_MODES)
assert set(UNIT_NAMES) == set(TIME_UNITS) and set(PERMISSION_NAMES) == set(PERMISSIONS)
assert set(ACTION_NAMES) == set(ESCALATION_ACTIONS)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Output:
    """A ruleset output a branch may match, with the values it can take (each as its JSON)."""

    key: str
    label: str
    values: tuple[Choice, ...]


@dataclass(frozen=True)
class RulesetChoice:
    key: str
    title: str
    outputs: tuple[Output, ...]


@dataclass(frozen=True)
class BranchPanel:
    """One branch of the selected branch step: its labels, and its condition builder or the
    outcome it matches (output → the chosen value's JSON)."""

    index: int
    heading: str
    label: dict[str, str]
    builder: ConditionForm | None
    outcome: dict[str, str]

    @property
    def prefix(self) -> str:
        return f"{BUILDER_PREFIX}{self.index}"


@dataclass(frozen=True)
class Rung:
    """One row of the ladder editor: what the rung says now (as stored, so an unfinished rung
    still shows), and the problems the checks found on it."""

    index: int
    amount: str
    unit: str
    action: str
    problems: tuple[str, ...]

    def name(self, part: str) -> str:
        """The input's name, as set_step reads it: `s.escalation.1.amount`."""
        return f"s.escalation.{self.index}.{part}"

    def dom(self, part: str) -> str:
        return f"rung-{self.index}-{part}"


@dataclass(frozen=True)
class Permission:
    key: str
    label: str
    chosen: str  # "" = as by default (read only at a step)


@dataclass(frozen=True)
class Policy:
    """One special case at this step: the question, its choices (the first, "", as the process
    says, naming what the process says) and the one chosen."""

    key: str
    question: str
    hint: str
    choices: tuple[Choice, ...]
    chosen: str

    @property
    def name(self) -> str:
        return f"s.policies.{self.key}"


@dataclass(frozen=True)
class RejectRule:
    """What a rejection at this approval does: where the request goes (the end, the submitter or
    an earlier step) and, when it goes back, where a resubmission comes in."""

    places: tuple[Choice, ...]
    to: str
    resumes: tuple[Choice, ...]
    resume: str


@dataclass(frozen=True)
class Input:
    """One field of a sub-process's form, and the field of this form whose value it takes."""

    key: str
    label: str
    chosen: str


@dataclass(frozen=True)
class StepPanel:
    id: str
    kind: str
    kind_name: str
    step: dict[str, Any]
    container: str
    assignee: dict[str, Any]
    assignee_kinds: tuple[Choice, ...]
    roles: tuple[Choice, ...]
    person_fields: tuple[Choice, ...]
    person_name: str
    levels: tuple[int, ...]
    modes: tuple[Choice, ...]
    deadline: dict[str, Any]
    units: tuple[Choice, ...]
    rungs: tuple[Rung, ...]
    actions: tuple[Choice, ...]  # what a rung of this step may do (only an approval is decided)
    permissions: tuple[Permission, ...]
    permission_names: tuple[Choice, ...]
    policies: tuple[Policy, ...]
    reject: RejectRule | None  # an approval's only
    places: tuple[Choice, ...]
    rulesets: tuple[RulesetChoice, ...]
    branches: tuple[BranchPanel, ...]
    processes: tuple[Choice, ...]
    inputs: tuple[Input, ...]
    fields: tuple[Choice, ...]

    def title(self, lang: str) -> str:
        value = self.step.get("title")
        return str(value.get(lang, "")) if isinstance(value, dict) else ""

    @property
    def ruleset(self) -> RulesetChoice | None:
        name = self.step.get("ruleset") or self.assignee.get("ruleset")
        return next((r for r in self.rulesets if r.key == name), None)


def _choices(names: Mapping[str, str]) -> tuple[Choice, ...]:
    return tuple(Choice(k, i18n.gettext(v)) for k, v in names.items())


def panel(doc: dict[str, Any], step_id: str, known: Catalog, builders: Mapping[int, ConditionForm],
          problems: Sequence[Problem] = ()) -> StepPanel:
    """The panel of `step_id`; `problems` are the checks' findings (a rung's are shown on its row)."""
    place, step = find(doc, step_id)
    locale = known.locale
    names = known.names()
    assignee = step.get("assignee") if isinstance(step.get("assignee"), dict) else {}
    form_fields = [f for f in known.form.fields if f.is_input] if known.form is not None else []
    person_fields = [Choice(f.key, localize(f.label, locale) or f.key) for f in form_fields if f.type in PERSON_TYPES]
    if assignee.get("field") and assignee["field"] not in {c.value for c in person_fields}:
        label = names.fields.get(assignee["field"], (assignee["field"], ""))[0]
        person_fields.append(Choice(assignee["field"], label))  # an older document's text field: still shown
    chosen = step.get("fields") if isinstance(step.get("fields"), dict) else {}
    return StepPanel(
        id=step_id, kind=str(step.get("kind")), kind_name=kind_name(str(step.get("kind"))), step=step,
        container=place.container, assignee=assignee, assignee_kinds=_choices(ASSIGNEE_KIND_NAMES),
        roles=tuple(Choice(k, v) for k, v in sorted(known.roles.items(), key=lambda kv: kv[1])),
        person_fields=tuple(person_fields),
        person_name=names.person(assignee["user"]) if assignee.get("user") else "",
        levels=tuple(range(1, MAX_DEPT_LEVELS + 1)), modes=_choices(MODE_NAMES),
        deadline=step.get("deadline") if isinstance(step.get("deadline"), dict) else {},
        units=_choices(UNIT_NAMES),
        rungs=_rungs(step, paths.key(place.path, "escalation"), problems),
        actions=tuple(Choice(a, i18n.gettext(ACTION_NAMES[a])) for a in actions_for(str(step.get("kind")))),
        permissions=tuple(Permission(f.key, localize(f.label, locale) or f.key, str(chosen.get(f.key, "")))
                          for f in form_fields),
        permission_names=_choices(PERMISSION_NAMES),
        policies=_policies(doc, step) if step.get("kind") in ed.HUMAN_KINDS else (),
        reject=_reject_rule(doc, step, locale) if step.get("kind") == "approval" else None,
        places=tuple(Choice(c, place_words(doc, c, locale)) for c in ed.places(doc, step_id)),
        rulesets=tuple(ruleset_choice(r, locale) for r in known.rulesets.values()),
        branches=_branches(step, known, builders) if step.get("kind") == "branch" else (),
        processes=tuple(Choice(k, v) for k, v in known.processes.items() if k != doc.get("key")),
        inputs=_inputs(step, known) if step.get("kind") == "subflow" else (),
        fields=tuple(Choice(f.key, localize(f.label, locale) or f.key) for f in form_fields))


def place_words(doc: dict[str, Any], container: str, locale: str) -> str:
    """A container as a person names it: "the main column", "“Major?” › priority 2"."""
    if container == ROOT:
        return i18n.localized(MAIN_COLUMN)
    _, owner = find(doc, owner_of(container))
    title = localize(owner.get("title"), locale) or kind_name(str(owner.get("kind")))
    part = container.rsplit("/", 1)[1]
    if part == "else":
        where = words.otherwise()
    elif owner.get("kind") == "branch":
        where = words.priority(int(part[1:]))
    else:
        where = i18n.localized(LANE.fill(n=int(part[1:]) + 1))
    return i18n.localized(INSIDE.fill(step=f"“{title}”", place=where))


def ruleset_choice(ruleset: Ruleset, locale: str) -> RulesetChoice:
    return RulesetChoice(ruleset.key, localize(ruleset.title, locale) or ruleset.key,
                         tuple(Output(c.key, localize(ruleset.output_label(c.key), locale) or c.key, output_values(ruleset, c))
                               for c in ruleset.outputs))


def output_values(ruleset: Ruleset, column: Column) -> tuple[Choice, ...]:
    """The values an output can take: its options, else what its rows and default give."""
    if column.options:
        values: Sequence[Any] = column.options
    elif column.type == "checkbox":
        values = (True, False)
    else:
        seen: list[Any] = []
        for value in [r.then.get(column.key) for r in ruleset.rows] + [ruleset.default.get(column.key)]:
            if value is not None and value not in seen:
                seen.append(value)
        values = seen
    return tuple(Choice(json.dumps(v, ensure_ascii=False), v if isinstance(v, str) else json.dumps(v))
                 for v in values)


def _branches(step: dict[str, Any], known: Catalog, builders: Mapping[int, ConditionForm]) -> tuple[BranchPanel, ...]:
    out = []
    branches = step["branches"] if isinstance(step.get("branches"), list) else []
    for index, branch in enumerate(branches):
        if not isinstance(branch, dict):
            continue
        label = branch.get("label") if isinstance(branch.get("label"), dict) else {}
        outcome = branch.get("outcome") if isinstance(branch.get("outcome"), dict) else {}
        builder = None if step.get("ruleset") else (builders.get(index) or condition_form(branch.get("when"), known.subjects))
        out.append(BranchPanel(index, words.priority(index), dict(label), builder,
                               {k: json.dumps(v, ensure_ascii=False) for k, v in outcome.items()}))
    return tuple(out)


def _rungs(step: dict[str, Any], at: str, problems: Sequence[Problem]) -> tuple[Rung, ...]:
    ladder = step.get("escalation") if isinstance(step.get("escalation"), list) else []
    out = []
    for index, rung in enumerate(ladder):
        rung = rung if isinstance(rung, dict) else {}
        after = rung.get("after") if isinstance(rung.get("after"), dict) else {}
        where = paths.index(at, index)
        out.append(Rung(index, str(after.get("amount", "")), str(after.get("unit", "days")), str(rung.get("action", "")),
                        tuple(i18n.localized(p.message) for p in problems if paths.under(p.path, where))))
    return tuple(out)


def _policies(doc: dict[str, Any], step: dict[str, Any]) -> tuple[Policy, ...]:
    own = step.get("policies") if isinstance(step.get("policies"), dict) else {}
    allowed = policy_choices(step)
    return tuple(
        Policy(name, i18n.gettext(policy_words.POLICY_QUESTIONS[name]), i18n.gettext(policy_words.POLICY_HINTS[name]),
               (Choice("", policy_words.inherited(name, doc.get("policies"))),
                *(Choice(c, policy_words.choice_name(name, c)) for c in choices)),
               str(own.get(name, "")))
        for name in policy_words.POLICY_QUESTIONS if (choices := allowed.get(name)))


def _reject_rule(doc: dict[str, Any], step: dict[str, Any], locale: str) -> RejectRule:
    rule = step.get("on_reject") if isinstance(step.get("on_reject"), dict) else {}

    def title(step_id: str) -> str:
        _, earlier = find(doc, step_id)
        return localize(earlier.get("title"), locale) or step_id

    to = str(rule.get("to", REJECT_TO_END))
    places = [Choice(c, policy_words.reject_to(c, title))
              for c in (REJECT_TO_END, REJECT_TO_SUBMITTER, *earlier_steps(doc, str(step.get("id"))))]
    if to not in {c.value for c in places}:  # a step no longer on the way here: still shown, the checks say why
        places.append(Choice(to, to))
    return RejectRule(tuple(places), to, tuple(Choice(r, i18n.gettext(policy_words.RESUME_NAMES[r])) for r in RESUME_CHOICES),
                      str(rule.get("resume", "here")))


def _inputs(step: dict[str, Any], known: Catalog) -> tuple[Input, ...]:
    """The sub-process's form fields, each with the field of this form it takes its value from."""
    child = known.child_form(str(step.get("process") or ""))
    chosen = step.get("inputs") if isinstance(step.get("inputs"), dict) else {}
    if child is None:
        return ()
    return tuple(Input(f.key, localize(f.label, known.locale) or f.key, str(chosen.get(f.key, "")))
                 for f in child.fields if f.is_input)
