"""What the flow designer's tree shows, built from a draft: a card per step (name, who acts, time
limit, its problems), branches and lanes side by side under their step, and the problem list.

Pure functions over the draft's flow document, the problems the authoring service found (JSON
paths relative to the flow) and the names of what the flow refers to; the routes in
`runtime.web.flow_designer` render what these build. The draft may be unfinished (a branch with
no condition yet, a role nobody chose): every card still reads.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from builder import flow_editing as ed
from builder import paths
from builder.flow_tree import ROOT, dom_id, owned, problems_by_step, walk
from builder.text import localize
from rules.errors import Problem
from runtime import i18n
from runtime.i18n import N_
from runtime.web import flow_words as words
from runtime.web.condition_subjects import Subject

KIND_NAMES: dict[str, str] = {
    "approval": N_("Approval"), "task": N_("Task"), "notify": N_("Copy to"), "branch": N_("Branch"),
    "parallel": N_("In parallel"), "subflow": N_("Sub-process")}
KIND_HINTS: dict[str, str] = {
    "approval": N_("someone approves or rejects"), "task": N_("someone does work and marks it done"),
    "notify": N_("people are told; nobody has to act"), "branch": N_("one path, chosen by conditions"),
    "parallel": N_("several paths at once"), "subflow": N_("another process runs first")}
assert set(KIND_NAMES) == set(KIND_HINTS) == set(ed.KINDS)
LANE = N_("lane %(n)s")
# What the tree's controls say, translated once per page rather than once per card (a "+" and
# six buttons between every two steps, five buttons on every card).
TREE_PHRASES: dict[str, str] = {
    "add_here": N_("Add a step here"), "kinds": N_("Kind of step to add"), "drag": N_("Drag to move"),
    "arrange": N_("Arrange “%(title)s”"), "up": N_("Move “%(title)s” up"), "down": N_("Move “%(title)s” down"),
    "copy_label": N_("Copy “%(title)s”"), "copy_text": N_("Copy"), "add_branch": N_("Branch"), "add_lane": N_("Lane"),
    "delete": N_("Delete “%(title)s”"), "delete_text": N_("Delete"),
    "confirm": N_("Delete “%(title)s”?"), "confirm_all": N_("Delete “%(title)s” and every step inside it?"),
    "raise": N_("Raise the priority of branch %(n)s"), "higher": N_("Higher priority"),
    "lower": N_("Lower the priority of branch %(n)s"), "lower_text": N_("Lower priority"),
    "delete_branch": N_("Delete branch %(n)s"), "confirm_branch": N_("Delete branch %(n)s and its steps?"),
    "delete_lane": N_("Delete lane %(n)s"), "confirm_lane": N_("Delete lane %(n)s and its steps?"),
}


def tree_phrases() -> dict[str, str]:
    return {name: i18n.gettext(msgid) for name, msgid in TREE_PHRASES.items()}
NO_BRANCH = N_("when no branch applies")


def kind_name(kind: str) -> str:
    return i18n.gettext(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def kinds() -> list[tuple[str, str, str]]:
    """(kind, name, what it does) of every step kind, in the "+" menu's order."""
    return [(k, kind_name(k), i18n.gettext(KIND_HINTS[k])) for k in ed.KINDS]


# ---------------------------------------------------------------- cards


@dataclass(frozen=True)
class Lane:
    """One branch, the otherwise, or one parallel lane, under its step's card."""

    container: str
    index: int | None  # the branch's or lane's index; None for otherwise
    heading: str  # "priority 1", "otherwise", "lane 2"
    case: str  # a branch's condition (or outcome) in words; "" for lanes and otherwise
    label: str  # the label the designer gave it
    cards: tuple[Card, ...]
    problems: tuple[str, ...]
    first: bool
    last: bool
    can_delete: bool

    @property
    def dom(self) -> str:
        return dom_id(self.container)


@dataclass(frozen=True)
class Card:
    """One step in the tree."""

    id: str
    kind: str
    kind_name: str
    title: str
    who: str  # who acts, in words ("" for a branch, parallel or sub-process step)
    limit: str  # the time limit and its escalation ladder in words
    rules: tuple[str, ...]  # what a human step does its own way (a rejection sends it back, a special case)
    detail: str  # a branch decided by a ruleset, the process a sub-process step starts
    problems: tuple[str, ...]
    container: str
    index: int
    last: bool
    lanes: tuple[Lane, ...] = ()

    @property
    def dom(self) -> str:
        return f"step-{self.id}"

    @property
    def own_problems(self) -> tuple[str, ...]:
        """The problems shown on the card itself: a branch's own are shown on its head instead."""
        shown = [m for lane in self.lanes for m in lane.problems]
        return tuple(m for m in self.problems if m not in shown)

    @property
    def described_by(self) -> str:
        """The ids of every list that shows this step's problems (for the warning mark)."""
        ids = [f"problems-{self.id}"] if self.own_problems else []
        return " ".join(ids + [f"problems-lane-{lane.dom}" for lane in self.lanes if lane.problems])


@dataclass(frozen=True)
class Listed:
    """One problem in the list at the top: the step it concerns ("" for the flow) and its words."""

    step: str
    step_title: str
    message: str


@dataclass
class Tree:
    """The tree's cards, the problems listed at the top and a look-up of cards by step id."""

    cards: list[Card]
    problems: list[Listed]
    by_id: dict[str, Card] = field(default_factory=dict)


def tree(doc: Mapping[str, Any], problems: Sequence[Problem], names: words.Names,
         subjects: Sequence[Subject], locale: str) -> Tree:
    """Cards for every step of `doc` with the problems placed on the step they concern."""
    grouped = problems_by_step(dict(doc), list(problems))
    by_id: dict[str, Card] = {}
    titles = {str(s.get("id")): _title(s, locale) for _, s in walk(dict(doc))}

    def messages(step_id: str) -> list[tuple[str, str]]:
        return [(p.path, i18n.localized(p.message)) for p in grouped.get(step_id, ())]

    def cards(steps: Any, container: str, path: str) -> tuple[Card, ...]:
        items = [s for s in steps if isinstance(s, dict)] if isinstance(steps, list) else []
        out = []
        for index, step in enumerate(items):
            out.append(card(step, container, index, index == len(items) - 1, paths.index(path, index)))
        return tuple(out)

    def card(step: dict[str, Any], container: str, index: int, last: bool, path: str) -> Card:
        sid, kind = str(step.get("id", "")), str(step.get("kind", ""))
        found = messages(sid)
        human = kind in ed.HUMAN_KINDS or kind == "notify"
        made = Card(
            id=sid, kind=kind, kind_name=kind_name(kind), title=_title(step, locale),
            who=words.who_acts(step.get("assignee"), names, str(step.get("mode", "single"))) if human else "",
            limit=words.time_limit(step.get("deadline"), step.get("escalation")) if kind in ed.HUMAN_KINDS else "",
            rules=words.own_rules(step, lambda sid: titles.get(sid, sid)) if kind in ed.HUMAN_KINDS else (),
            detail=words.decided_by(step, names) if kind == "branch" else words.starts(step, names) if kind == "subflow" else "",
            problems=tuple(m for _, m in found), container=container, index=index, last=last,
            lanes=lanes(step, path, found) if kind in ("branch", "parallel") else ())
        by_id[sid] = made
        return made

    def lanes(step: dict[str, Any], path: str, found: list[tuple[str, str]]) -> tuple[Lane, ...]:
        branches = step["branches"] if isinstance(step.get("branches"), list) else []
        by_ruleset, is_branch = bool(step.get("ruleset")), step.get("kind") == "branch"
        out = []
        for container, steps_path in owned(step, path):
            otherwise = container.endswith("/else")
            number = None if otherwise else int(container.rsplit("/", 1)[1][1:])
            lane_doc = {} if number is None else branches[number]
            if number is None:
                heading, case = words.otherwise(), i18n.localized(NO_BRANCH)
            elif is_branch:
                heading = words.priority(number)
                case = words.branch_condition(lane_doc, subjects, locale, by_ruleset=by_ruleset,
                                              outputs=names.outputs.get(str(step.get("ruleset")), {}))
            else:  # a lane is named by its label, else by its number
                heading, case = localize(lane_doc.get("label"), locale) or i18n.localized(LANE.fill(n=number + 1)), ""
            lane_path = paths.index(paths.key(path, "branches"), number) if number is not None else ""
            out.append(Lane(
                container=container, index=number, heading=heading, case=case,
                label=localize(lane_doc.get("label"), locale) if is_branch else "",
                cards=cards(step.get("else") if number is None else lane_doc.get("steps"), container, steps_path),
                problems=tuple(m for p, m in found if lane_path and paths.under(p, lane_path)),
                first=number == 0, last=number == len(branches) - 1,
                can_delete=number is not None and len(branches) > (1 if is_branch else 2)))
        return tuple(out)

    top = cards(doc.get("steps"), ROOT, "steps")
    listed = [Listed(sid, by_id[sid].title if sid in by_id else "", i18n.localized(p.message)
                     if sid else _flow_message(p))
              for sid, found in grouped.items() for p in found]
    order = {sid: n for n, sid in enumerate(by_id)}
    listed.sort(key=lambda item: order.get(item.step, -1))
    return Tree(list(top), listed, by_id)


def _flow_message(problem: Problem) -> str:
    message = i18n.localized(problem.message)
    return f"{problem.path}: {message}" if problem.path else message


def _title(step: Mapping[str, Any], locale: str) -> str:
    return localize(step.get("title"), locale) or kind_name(str(step.get("kind", ""))) or str(step.get("id", ""))


def selected_step(wanted: str, known: Mapping[str, Card]) -> str:
    """The step to show in the panel: the one asked for if it exists, else "" (none)."""
    return wanted if wanted in known else ""
