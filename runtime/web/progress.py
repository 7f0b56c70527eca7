"""The step-progress diagram above a request's details (issue 11 item 3): each step of the pinned
flow done / current / to come / skipped (or not reached, once the request has ended), with who
acted or who is waiting, parallel lanes side by side.

What happened is read off the request's record; what is still to come, off the engine's own
simulation of the request as it stands (`runtime.simulation`, the designers' what-if): no
second resolver of who acts. `nodes` is pure; `request_progress` runs the simulation.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from builder.flows import BranchStep, Flow, ParallelStep, Step
from runtime.errors import FormflowError
from runtime.service import Workflow
from runtime.simulation import PathStep, simulate
from runtime.state import Instance, InstanceStatus, Task, TaskStatus

DONE, CURRENT, UPCOMING, SKIPPED, NOT_REACHED = "done", "current", "upcoming", "skipped", "not-reached"
DECISIONS = ("approve", "complete", "reject", "return")


@dataclass(frozen=True)
class Node:
    """One step as the diagram shows it; a parallel step holds its lanes, each a list of nodes."""

    step: str
    title: Any  # the step's Label
    kind: str
    state: str
    people: tuple[str, ...] = ()  # usernames: who acted (done), is waiting (current) or will act (to come)
    verb: str = ""  # done: approve / complete / reject / return / notify / auto / subflow
    note: str = ""  # skipped: why, as the engine recorded it
    lanes: tuple[tuple[Node, ...], ...] = ()


def nodes(flow: Flow, events: Sequence[dict[str, Any]], tasks: Sequence[Task], status: str,
          path: Sequence[PathStep] = ()) -> tuple[Node, ...]:
    """The diagram of a request on `flow`: its record (`events`, its `tasks`), its `status`, and
    the simulated `path` for the steps it has not reached yet."""
    return _Reader(flow, events, tasks, status, path).sequence(flow.steps)


class _Reader:
    def __init__(self, flow: Flow, events: Sequence[dict[str, Any]], tasks: Sequence[Task], status: str,
                 path: Sequence[PathStep]) -> None:
        self.flow, self.events = flow, events
        self.open: dict[str, list[str]] = {}
        for t in tasks:
            if t.status is TaskStatus.OPEN and not t.post_hoc:
                self.open.setdefault(t.step, []).append(t.assignee)
        self.ended = status not in (InstanceStatus.RUNNING, InstanceStatus.RETURNED)
        self.by_step: dict[str, list[dict[str, Any]]] = {}
        for e in events:
            if "step" in e:
                self.by_step.setdefault(e["step"], []).append(e)
        self.ahead: Mapping[str, PathStep] = {p.step: p for p in path if _in(flow, p.step)}

    def sequence(self, steps: Sequence[Step]) -> tuple[Node, ...]:
        out: list[Node] = []
        for step in steps:
            if isinstance(step, BranchStep):
                taken = self._branch_taken(step)
                if taken is not None:
                    out += self.sequence(taken)
            elif isinstance(step, ParallelStep):
                out.append(self._parallel(step))
            else:
                out.append(self._step(step))
        return tuple(out)

    def _branch_taken(self, step: BranchStep) -> Sequence[Step] | None:
        """The steps of the branch the record (else the simulation) takes; None when neither says."""
        decided = [e for e in self.by_step.get(step.id, ()) if e["action"] == "decide"]
        if decided:
            index = decided[-1].get("branch")
        elif step.id in self.ahead and not self.ended:
            index = self.ahead[step.id].branch
        else:
            return None
        return step.otherwise if index is None else step.branches[index].steps

    def _parallel(self, step: ParallelStep) -> Node:
        lanes = tuple(self.sequence(lane) for lane in step.lanes())
        states = {n.state for lane in lanes for n in lane}
        seen = self.by_step.get(step.id, ())
        if any(e["action"] == "join" for e in seen) and CURRENT not in states:
            state = DONE
        elif CURRENT in states:
            state = CURRENT
        else:
            state = NOT_REACHED if self.ended else UPCOMING
        return Node(step.id, step.title, step.kind, state, lanes=lanes)

    def _step(self, step: Step) -> Node:
        seen = self.by_step.get(step.id, ())
        if step.id in self.open:
            return Node(step.id, step.title, step.kind, CURRENT, tuple(dict.fromkeys(self.open[step.id])))
        decisions = [e for e in seen if e["action"] in DECISIONS]
        if decisions:
            verb = "auto" if all(e.get("auto") for e in decisions) else decisions[-1]["action"]
            people = tuple(dict.fromkeys(e["actor"] for e in decisions if not e.get("auto")))
            return Node(step.id, step.title, step.kind, DONE, people, verb)
        if notified := [e for e in seen if e["action"] == "notify"]:
            return Node(step.id, step.title, step.kind, DONE, tuple(notified[-1]["recipients"]), "notify")
        if any(e["action"] == "subflow_done" for e in seen):
            return Node(step.id, step.title, step.kind, DONE, verb="subflow")
        if any(e["action"] == "subflow" for e in seen):
            return Node(step.id, step.title, step.kind, CURRENT)
        if skipped := [e for e in seen if e["action"] in ("skip", "urgent_skip")]:
            return Node(step.id, step.title, step.kind, SKIPPED, note=skipped[-1].get("reason", ""))
        if self.ended:
            return Node(step.id, step.title, step.kind, NOT_REACHED)
        ahead = self.ahead.get(step.id)
        if ahead is None:
            return Node(step.id, step.title, step.kind, UPCOMING)
        if ahead.outcome == "skipped":
            return Node(step.id, step.title, step.kind, SKIPPED, note=ahead.because)
        return Node(step.id, step.title, step.kind, UPCOMING, tuple(p["username"] for p in ahead.people))


def _in(flow: Flow, step_id: str) -> bool:
    try:
        flow.step(step_id)
    except KeyError:
        return False
    return True


def request_progress(workflow: Workflow, instance: Instance) -> tuple[Node, ...]:
    """The diagram of `instance`: its record, and for what is still to come the engine's own
    simulation of it filed again as it stands (by its submitter, with its data and choices)."""
    defs = workflow.pinned(instance)
    path: tuple[PathStep, ...] = ()
    if instance.status in (InstanceStatus.RUNNING, InstanceStatus.RETURNED):
        chosen = next((e.get("chosen") for e in instance.events if e["action"] == "start"), None)
        try:
            path = simulate(workflow, defs, instance.submitter, dict(instance.data), chosen).path
        except FormflowError:  # the data no longer files as it stands: the record alone
            path = ()
    tasks = [workflow.state.tasks[t] for t in instance.task_ids]
    return nodes(defs.flow, instance.events, tasks, str(instance.status), path)
