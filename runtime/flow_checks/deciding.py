"""Who decides a request on its way through the flow: an empty "otherwise" is only a problem
when a case it lets through could end with nobody having decided anything at all.

A request that takes no branch of a branch step goes straight on past it. That is a normal
design when someone decides the request anyway — the department head before the branch, a
director after it — and a real hole when the branch was the only place anyone would: then a
request no branch covers is approved by nobody. So the branch checks ask, for each branch step,
whether every request passing it meets some other step that always decides.

A step always decides when every request that enters it meets a person's decision there: an
approval; a sub-process (its own published flow, with its own checks); a parallel step with a
lane that always decides (every lane runs); a branch step whose every path, "otherwise" included,
always decides. A task (work to do, like paying or signing) and a notification decide nothing.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

DECIDING_KINDS = frozenset({"approval", "subflow"})


def decided_elsewhere(steps: Any, path: str = "steps") -> frozenset[str]:
    """The JSON paths of the steps (under `steps`, a flow document's list) whose every request
    meets another step that always decides: one before or after it in its own list or in the
    lists around it, or in another lane of a parallel step it lies in."""
    return frozenset(here for here, company in _company(steps, path, ()) if any(map(always_decides, company)))


def always_decides(step: Any) -> bool:
    """Whether every request that enters `step` meets a person's decision inside it."""
    if not isinstance(step, dict):
        return False
    kind = step.get("kind")
    if not isinstance(kind, str):
        return False  # validate_flow reports it
    if kind in DECIDING_KINDS:
        return True
    lanes = list(_lanes(step).values())
    if kind == "parallel":
        return any(_sequence_decides(lane) for lane in lanes)
    if kind == "branch":
        return all(_sequence_decides(lane) for lane in [*lanes, step.get("else")])
    return False


def _sequence_decides(steps: Any) -> bool:
    return isinstance(steps, list) and any(always_decides(s) for s in steps)


def _company(steps: Any, path: str, around: tuple[Any, ...]) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """Each step's path with the other steps every request passing it passes as well (`around`:
    those of the lists this one lies in)."""
    items = steps if isinstance(steps, list) else []
    for index, step in enumerate(items):
        if not isinstance(step, dict):
            continue
        here = f"{path}[{index}]"
        company = around + tuple(s for other, s in enumerate(items) if other != index)
        yield here, company
        lanes = _lanes(step)
        for number, lane in lanes.items():
            alongside: tuple[Any, ...] = ()
            if step.get("kind") == "parallel":  # the other lanes run too
                alongside = tuple(s for other, steps_of in lanes.items() if other != number
                                  for s in (steps_of if isinstance(steps_of, list) else ()))
            yield from _company(lane, f"{here}.branches[{number}].steps", company + alongside)
        yield from _company(step.get("else"), f"{here}.else", company)


def _lanes(step: dict[str, Any]) -> dict[int, Any]:
    """The steps of each branch or lane, by its position (numbered as in the JSON paths)."""
    lanes = step.get("branches")
    return {number: lane.get("steps") for number, lane in enumerate(lanes if isinstance(lanes, list) else ())
            if isinstance(lane, dict)}
