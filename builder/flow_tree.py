"""Places in a flow document's tree of steps, for the flow designer.

A place is a *container* and an index in it. The containers are the main column (`""`), branch
i of a branch step (`"<step>/b<i>"`), its otherwise (`"<step>/else"`) and lane i of a parallel
step (`"<step>/l<i>"`). Containers are named by their owner step's id, not by JSON path, so a
name stays right while steps move around it. Pure functions over the plain document (a dict
fresh from the draft): whatever is not shaped like a step is passed over, as
`builder.flows.step_paths` does; validation reports it.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from builder import paths
from rules.errors import DefinitionError, Problem
from rules.messages import N_

Doc = dict[str, Any]
ROOT = ""
_CONTAINER = re.compile(r"(?P<step>.+)/(?:(?P<part>[bl])(?P<index>\d+)|(?P<else>else))\Z")


@dataclass(frozen=True)
class Place:
    """Where a step sits: its container, its index there and its JSON path."""

    container: str
    index: int
    path: str


def walk(doc: Doc) -> Iterator[tuple[Place, Doc]]:
    """Every step document with its place, depth first, in document order."""
    yield from _walk(doc.get("steps"), ROOT, "steps")


def _walk(steps: Any, container: str, path: str) -> Iterator[tuple[Place, Doc]]:
    for index, step in enumerate(steps if isinstance(steps, list) else ()):
        if not isinstance(step, dict):
            continue
        where = paths.index(path, index)
        yield Place(container, index, where), step
        for inner, inner_path in owned(step, where):
            yield from _walk(_steps_in(step, inner), inner, inner_path)


def owned(step: Doc, path: str = "") -> list[tuple[str, str]]:
    """The containers a step holds, in order (a branch step's otherwise last), with their JSON
    paths below `path`."""
    lanes = step.get("branches") if step.get("kind") in ("branch", "parallel") else None
    part = "b" if step.get("kind") == "branch" else "l"
    out = [(f"{step.get('id')}/{part}{i}", paths.key(paths.index(paths.key(path, "branches"), i), "steps"))
           for i, lane in enumerate(lanes if isinstance(lanes, list) else ()) if isinstance(lane, dict)]
    if step.get("kind") == "branch":
        out.append((f"{step.get('id')}/else", paths.key(path, "else")))
    return out


def _steps_in(step: Doc, container: str) -> Any:
    match = _CONTAINER.match(container)
    if match is None:
        return None
    if match["else"]:
        return step.get("else")
    lanes = step.get("branches")
    index = int(match["index"])
    if not isinstance(lanes, list) or index >= len(lanes) or not isinstance(lanes[index], dict):
        return None
    return lanes[index].get("steps")


def step_ids(doc: Doc) -> list[str]:
    return [str(step.get("id")) for _, step in walk(doc)]


def find(doc: Doc, step_id: str) -> tuple[Place, Doc]:
    """The place and document of a step; DefinitionError at `steps` when there is none."""
    for place, step in walk(doc):
        if step.get("id") == step_id:
            return place, step
    raise DefinitionError([Problem("steps", N_('there is no step "%(step_id)s"', step_id=step_id))])


def steps_at(doc: Doc, container: str) -> list[Doc]:
    """The list of step documents a container holds, itself (not a copy), so an edit on a copy
    of the document changes it in place; created when the container's key is missing."""
    if container == ROOT:
        steps = doc.setdefault("steps", [])
        if isinstance(steps, list):
            return steps
        raise DefinitionError([Problem("steps", N_("must be a list"))])
    match = _CONTAINER.match(container)
    owner = match["step"] if match else ""
    place, step = find(doc, owner) if match else (None, {})
    kind = step.get("kind")
    if match is None or (match["else"] and kind != "branch") or (match["part"] == "b" and kind != "branch") \
            or (match["part"] == "l" and kind != "parallel"):
        raise DefinitionError([Problem(place.path if place else "steps", N_('there is no place "%(container)s"',
                                                                            container=container))])
    if match["else"]:
        steps = step.setdefault("else", [])
    else:
        lanes = step.get("branches")
        index = int(match["index"])
        if not isinstance(lanes, list) or index >= len(lanes) or not isinstance(lanes[index], dict):
            raise DefinitionError([Problem(place.path, N_('there is no place "%(container)s"',
                                                          container=container))])
        steps = lanes[index].setdefault("steps", [])
    if not isinstance(steps, list):
        raise DefinitionError([Problem(place.path, N_('the steps of "%(container)s" must be a list',
                                                      container=container))])
    return steps


def owner_of(container: str) -> str:
    """The id of the step that holds a container ("" for the main column)."""
    match = _CONTAINER.match(container)
    return match["step"] if match else ""


def containers(doc: Doc, *, outside: str = "") -> list[str]:
    """Every container in document order (the main column first); with `outside`, none that
    lies inside that step (a step cannot move into itself)."""
    found = [ROOT]
    inside = set(nested_ids(doc, outside)) if outside else set()
    for place, step in walk(doc):
        if step.get("id") not in inside:
            found += [name for name, _ in owned(step)]
    return found


def nested_ids(doc: Doc, step_id: str) -> list[str]:
    """The step and every step inside it."""
    place, step = find(doc, step_id)
    return [step_id] + [str(s.get("id")) for _, s in _walk_owned(step, place.path)]


def _walk_owned(step: Doc, path: str) -> Iterator[tuple[Place, Doc]]:
    for inner, inner_path in owned(step, path):
        yield from _walk(_steps_in(step, inner), inner, inner_path)


def problems_by_step(doc: Doc, problems: list[Problem]) -> dict[str, list[Problem]]:
    """Problems grouped by the id of the innermost step whose path contains theirs ("" for the
    flow itself), each group in the order given."""
    spots = sorted(((place.path, str(step.get("id"))) for place, step in walk(doc)),
                   key=lambda spot: len(spot[0]), reverse=True)
    out: dict[str, list[Problem]] = {}
    for problem in problems:
        owner = next((sid for path, sid in spots if paths.under(problem.path, path)), "")
        out.setdefault(owner, []).append(problem)
    return out


def dom_id(container: str) -> str:
    """A container as a CSS-safe part of an element id: `root`, `major--b0`, `major--else`."""
    return "root" if container == ROOT else container.replace("/", "--")


HUMAN_KINDS = ("approval", "task")


def earlier_steps(doc: Doc, step_id: str) -> list[str]:
    """The human steps every path to `step_id` passes first, in order, leaving out those inside
    branches that path does not take and inside parallel lanes (those run again whole): where a
    rejection at `step_id` may send the request back to."""
    found = _earlier(doc.get("steps"), step_id, [], in_lane=False)
    return found or []


def _earlier(steps: Any, step_id: str, before: list[str], *, in_lane: bool) -> list[str] | None:
    for step in steps if isinstance(steps, list) else ():
        if not isinstance(step, dict):
            continue
        if step.get("id") == step_id:
            return before
        lane = in_lane or step.get("kind") == "parallel"
        for inner, _ in owned(step):
            found = _earlier(_steps_in(step, inner), step_id, before, in_lane=lane)
            if found is not None:
                return found
        if step.get("kind") in HUMAN_KINDS and not in_lane:
            before = [*before, str(step.get("id"))]
    return None
