"""The start form's "Route" panel: the path this request would take and the people who would act,
found by the engine's own simulation (`runtime.simulation`, the designers' what-if) of what has
been typed so far; refreshed with the form as the person types (`/start/{process}/preview`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from builder.permissions import not_asked_at_start
from runtime.choices import choices_from_pairs
from runtime.definitions import Definitions
from runtime.errors import FormflowError
from runtime.org import User
from runtime.service import Workflow
from runtime.simulation import simulate
from runtime.web.forms_view import submission

SHOWN = ("approval", "task", "notify", "subflow")  # what a person reads as a step of the route


@dataclass(frozen=True)
class RouteStep:
    step: str
    title: Any  # the step's Label
    kind: str
    people: tuple[str, ...]  # usernames
    parallel: Any = ""  # the Label of the parallel step it runs inside, if any
    skipped: str = ""  # why the flow's policies pass it by, when they do


@dataclass(frozen=True)
class Route:
    steps: tuple[RouteStep, ...]
    complete: bool  # the whole route is known (not waiting at a step for data the form does not give)


def posted_route(workflow: Workflow, user: User, defs: Definitions, pairs: list[tuple[str, str]]) -> Route | None:
    """The route of the start form as posted (`pairs`)."""
    data = submission(defs.form, pairs, not_asked_at_start(defs.flow, defs.form))
    return start_route(workflow, user, defs, data, choices_from_pairs(pairs))


def start_route(workflow: Workflow, user: User, defs: Definitions, data: dict[str, Any],
                chosen: dict[str, list[str]] | None = None) -> Route | None:
    """The route a request `user` files with `data` would take, or None when it cannot be worked out yet."""
    try:
        found = simulate(workflow, defs, user.username, data, chosen or {}, partial=True)
    except FormflowError:
        return None
    root = found.path[0].instance if found.path else ""
    steps = []
    for p in found.path:
        if p.instance != root or p.kind not in SHOWN:
            continue
        around = defs.flow.parallel_of(p.step)
        steps.append(RouteStep(p.step, defs.flow.step(p.step).title, p.kind,
                               tuple(person["username"] for person in p.people),
                               around.title if around else "", p.because if p.outcome == "skipped" else ""))
    return Route(tuple(steps), found.status == "completed")
