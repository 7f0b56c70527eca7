"""What the flow designer's "What if…" panel shows: who files, the start form with sample data
(rendered as staff see it, inputs prefixed so they never mix with the designer's own), the
people the submitter chooses, and, once simulated, the path with each step's people, due date and
why a branch went its way; the tree's cards marked taken or not taken; the saved scenarios.

Pure functions over what the request side has read (the draft parsed as a Flow when it has no
problems, its published form, the organisation, the simulation); `runtime.web.flow_whatif` does
the reading and the saving.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from builder.flows import Flow, Scenario
from builder.forms import Form
from builder.permissions import not_asked_at_start
from runtime import i18n
from runtime.choices import choice_rows, choices_from_pairs
from runtime.engine import Definitions
from runtime.i18n import N_
from runtime.org import Organisation
from runtime.simulation import PathStep, Simulation
from runtime.web import flow_words as words
from runtime.web.flow_designer_view import Card, kind_name
from runtime.web.form_designer_view import SAMPLE_PREFIX, sample_pairs  # named as the preview's inputs
from runtime.web.forms_view import FormState, blank_state, state_from_data, state_from_pairs
from runtime.web.timeline import decision_words

OUTCOMES = {"skipped": N_("passed by"), "auto-approved": N_("approved automatically")}
WAITING = N_("The request would stop here and wait: %(why)s")


@dataclass(frozen=True)
class Mark:
    """How a step's card reads after a simulation: taken (with who, when due, why) or not."""

    taken: bool
    people: str = ""
    due: str = ""
    because: str = ""
    branch: int | None = None  # a branch step: the branch taken (None: otherwise)


@dataclass(frozen=True)
class PathRow:
    """One step of the simulated path, in the panel's list."""

    step: str
    title: str
    kind: str
    people: str
    due: str
    outcome: str
    because: str


@dataclass(frozen=True)
class ScenarioRow:
    index: int
    name: str
    submitter: str  # the person's name
    route: str  # the saved route in step titles


@dataclass(frozen=True)
class Sample:
    """What the panel was asked: who files, the sample data (posted `pairs`, or a saved
    scenario's `data`), and what came of it (the simulation, or the errors or the message)."""

    submitter: str = ""
    pairs: list[tuple[str, str]] | None = None
    data: dict[str, Any] | None = None
    chosen: dict[str, list[str]] | None = None  # a saved scenario's people for 自选 steps (else read from `pairs`)
    errors: dict[str, Any] = field(default_factory=dict)
    result: Simulation | None = None
    defs: Definitions | None = None  # what it was simulated on (to word its branches' decisions)
    message: str = ""  # why nothing was simulated (the draft has problems)
    name: str = ""  # the scenario name typed
    name_error: str = ""
    saved: str = ""  # the scenario just saved, by name


@dataclass
class WhatIf:
    """The panel as rendered: its inputs as typed, the path found, the saved scenarios."""

    sample: Sample
    people: list[tuple[str, str]]  # (username, name) of everyone who may file, by name
    state: FormState | None  # the start form with the sample data; None while the flow has no form
    choosing: list[dict[str, Any]]
    scenarios: list[ScenarioRow]
    ready: bool  # the draft has no problems, so it can be simulated
    submitter_error: str = ""
    path: list[PathRow] = field(default_factory=list)
    marks: dict[str, Mark] = field(default_factory=dict)
    waiting: str = ""


def panel(sample: Sample, flow: Flow | None, form: Form | None, org: Organisation, locale: str,
          cards: Mapping[str, Card], url: str, scenarios: Sequence[Scenario]) -> WhatIf:
    """The panel for `sample` on a draft (`flow`: the draft parsed, None while it has problems)."""
    chosen = sample.chosen if sample.chosen is not None else choices_from_pairs(sample.pairs or [])
    errors = sample.errors
    state = sample_state(flow, form, url, pairs=sample_pairs(list(sample.pairs)) if sample.pairs is not None else None,
                         data=sample.data)
    if state is not None:
        state.errors = {k: v for k, v in errors.items() if not k.startswith("chosen.") and k != "submitter"}
    titles = {sid: card.title for sid, card in cards.items()}
    made = WhatIf(sample, people_of(org, locale), state, choosers(flow, org, chosen, errors, locale),
                  scenario_rows(scenarios, titles, org, locale), ready=flow is not None,
                  submitter_error=i18n.localized(errors["submitter"]) if "submitter" in errors else "")
    return with_result(made, sample.result, cards, sample.defs) if sample.result is not None else made


def people_of(org: Organisation, locale: str) -> list[tuple[str, str]]:
    return sorted(((u, org.name_of(u, locale)) for u in org.users), key=lambda p: (p[1], p[0]))


def omitted(flow: Flow | None, form: Form) -> frozenset[str]:
    return not_asked_at_start(flow, form) if flow is not None else frozenset()


def sample_state(flow: Flow | None, form: Form | None, url: str, *, pairs: Sequence[tuple[str, str]] | None = None,
                 data: Mapping[str, Any] | None = None) -> FormState | None:
    """The start form as staff see it, blank, filled from posted `pairs` or from saved `data`;
    a table's add/remove row posts back to `url` and redraws the workspace."""
    if form is None:
        return None
    omit = omitted(flow, form)
    if pairs is not None:
        state = state_from_pairs(form, list(pairs), check=False, omit=omit)
    elif data is not None:
        state = state_from_data(form, dict(data), omit)
    else:
        state = blank_state(form, omit)
    state.prefix, state.preview, state.scope, state.body = SAMPLE_PREFIX, url, "#whatif-form", "#workspace"
    return state


def scenario_rows(scenarios: Sequence[Scenario], titles: Mapping[str, str], org: Organisation,
                  locale: str) -> list[ScenarioRow]:
    return [ScenarioRow(i, s.name, org.name_of(s.submitter, locale) if s.submitter in org.users else s.submitter,
                        " → ".join(titles.get(step, step) for step in s.route) or "—")
            for i, s in enumerate(scenarios)]


def choosers(flow: Flow | None, org: Organisation, chosen: dict[str, list[str]], errors: Mapping[str, Any],
             locale: str) -> list[dict[str, Any]]:
    if flow is None:
        return []
    return choice_rows(flow, org, chosen, i18n.localized_errors(dict(errors)), locale)


def with_result(made: WhatIf, result: Simulation, cards: Mapping[str, Card], defs: Definitions | None = None) -> WhatIf:
    """The panel after a simulation: the path listed, every card of the tree marked."""
    root = result.path[0].instance if result.path else ""
    mine = [p for p in result.path if p.instance == root]
    made.path = [_row(p, cards, defs if p.instance == root else None) for p in result.path]
    made.marks = {sid: Mark(False) for sid in cards}
    made.marks.update({p.step: Mark(True, _names(p), p.due, _because(p, cards, defs), p.branch)
                       for p in mine if p.step in cards})
    if result.status == "waiting":
        made.waiting = i18n.localized(WAITING.fill(why="; ".join(result.waiting.values())))
    return made


def scenarios_of(doc: Mapping[str, Any], flow: Flow | None) -> tuple[Scenario, ...]:
    """The draft's saved scenarios (read off the document while it does not parse as a flow)."""
    if flow is not None:
        return flow.scenarios
    saved = doc.get("scenarios")
    return tuple(Scenario.from_dict(s) for s in saved if isinstance(s, dict) and {"name", "submitter"} <= set(s)) \
        if isinstance(saved, list) else ()


def _names(step: PathStep) -> str:
    return ", ".join(p["name"] + (f" ({p['note']})" if p.get("note") else "") for p in step.people)


def _row(step: PathStep, cards: Mapping[str, Card], defs: Definitions | None) -> PathRow:
    card = cards.get(step.step)
    title = card.title if card is not None else step.step
    branch = step.kind == "branch"  # its outcome is said in its "because"
    return PathRow(step.step, title, kind_name(step.kind), _names(step), step.due,
                   "" if branch else _outcome(step, card), _because(step, cards, defs))


def _outcome(step: PathStep, card: Card | None) -> str:
    if step.kind == "branch":
        lane = next((lane for lane in card.lanes if lane.index == step.branch), None) if card is not None else None
        if lane is None:
            return words.otherwise() if step.branch is None else words.priority(step.branch)
        return f"{lane.heading} {lane.label}".strip()
    return i18n.gettext(OUTCOMES[step.outcome]) if step.outcome in OUTCOMES else ""


def _because(step: PathStep, cards: Mapping[str, Card], defs: Definitions | None = None) -> str:
    """For a branch: the branch taken and why (the rule row that fired and what it read, as the
    request's timeline words it); for a step passed by: the policy's note."""
    if step.kind != "branch":
        return step.because
    outcome = _outcome(step, cards.get(step.step))
    if step.decision is not None and defs is not None:
        chosen, why = decision_words(step.decision, defs)
        return f"{outcome} ({chosen}): {why}" if chosen and chosen not in outcome else f"{outcome}: {why}"
    return f"{outcome}: {step.because}" if step.because else outcome
