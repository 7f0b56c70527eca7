"""Saved what-if scenarios, re-run on every publish (Camunda's Play mode kept as a regression test).

Each scenario of a flow says who files what and the route it took when it was saved. Publishing
runs each one through the simulator on the version about to be published; a scenario whose route
differs (or that can no longer be filed) blocks publishing until the designer updates it, or
confirms the change, which writes the new routes into the version.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from builder.flows import Scenario
from builder.serial import to_plain
from runtime import i18n
from runtime.engine import Definitions
from runtime.errors import Conflict, Problem, ValidationFailed
from runtime.i18n import N_
from runtime.service import Workflow
from runtime.simulation import simulate

ROUTE_CHANGED = N_('scenario "%(name)s" now goes %(after)s instead of %(before)s: update the scenario or '
                   'confirm the change')
CANNOT_RUN = N_('scenario "%(name)s" cannot be filed any more (%(why)s): update it or remove it')


@dataclass(frozen=True)
class RouteChange:
    """A saved scenario that no longer takes its saved route (`after` empty when it cannot run)."""

    index: int
    scenario: Scenario
    after: tuple[str, ...]
    why: str = ""  # what stops it being filed, when it cannot be

    def problem(self) -> Problem:
        name, before = self.scenario.name, " → ".join(self.scenario.route) or "—"
        if self.why:
            return Problem(f"scenarios[{self.index}]", CANNOT_RUN.fill(name=name, why=self.why))
        return Problem(f"scenarios[{self.index}].route",
                       ROUTE_CHANGED.fill(name=name, before=before, after=" → ".join(self.after) or "—"))


def route_of(workflow: Workflow, defs: Definitions, submitter: str, data: dict[str, Any],
             chosen: dict[str, list[str]] | None = None) -> tuple[str, ...]:
    """The step ids a request takes, in the order the simulator reaches them."""
    return simulate(workflow, defs, submitter, data, chosen).route()


def changed_routes(workflow: Workflow, defs: Definitions) -> list[RouteChange]:
    """Every saved scenario of `defs.flow` whose route is not the one it was saved with."""
    changes = []
    for index, scenario in enumerate(defs.flow.scenarios):
        try:
            route = route_of(workflow, defs, scenario.submitter, scenario.data, scenario.chosen)
        except (ValidationFailed, Conflict) as exc:
            why = ("; ".join(i18n.localized_errors(exc.errors).values()) if isinstance(exc, ValidationFailed)
                   else i18n.localized(exc.args[0]) if exc.args else str(exc))
            changes.append(RouteChange(index, scenario, (), why))
            continue
        if route != scenario.route:
            changes.append(RouteChange(index, scenario, route))
    return changes


def confirmed(doc: dict[str, Any], changes: list[RouteChange]) -> dict[str, Any]:
    """The flow document with the new routes of `changes` saved into its scenarios (those that
    cannot run any more stay as they are: confirming cannot make them run)."""
    scenarios = list(doc.get("scenarios", []))
    for change in changes:
        if not change.why:
            scenarios[change.index] = replace(change.scenario, route=change.after)
    return {**doc, "scenarios": [to_plain(s) if isinstance(s, Scenario) else s for s in scenarios]}
