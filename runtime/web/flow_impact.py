"""What publishing the draft would touch, as the publish panel shows it before the button is
pressed: the requests of the process still running (they keep their version), counted by the
step they wait at, and the saved scenarios whose route would change, old and new route in step
names; and the form version the process runs and the one publishing pins."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from builder.flow_diff import flow_changes
from builder.flows import Flow
from builder.text import localize
from runtime.flow_changes import change_words
from runtime.scenarios import RouteChange


@dataclass(frozen=True)
class Route:
    """A saved scenario whose route changes: its name, the route it was saved with and the one it
    would take now (empty, with `why`, when it could not be filed any more)."""

    name: str
    before: tuple[str, ...]
    after: tuple[str, ...]
    why: str = ""


@dataclass(frozen=True)
class Impact:
    running: int = 0
    by_step: tuple[tuple[str, int], ...] = ()  # (step name, requests waiting there), most first
    routes: tuple[Route, ...] = ()
    form: str = ""  # the form's title
    pinned: int | None = None  # the form version the published process runs (None: the latest)
    latest: int | None = None  # the form version publishing pins
    newer: bool = False  # a form version newer than the pinned one is published
    changes: tuple[str, ...] = ()  # what the draft changes against the published version, in words


def step_names(docs: list[dict[str, Any] | None], locale: str) -> dict[str, str]:
    """Step id → name in the reader's language, from the documents given (the first that names a
    step wins: the draft, then the published versions)."""
    names: dict[str, str] = {}
    for doc in docs:
        if not doc:
            continue
        try:
            steps = list(Flow.from_dict(doc).walk())
        except (KeyError, TypeError, ValueError, AttributeError):  # a draft still being built
            continue
        for step in steps:
            names.setdefault(step.id, localize(step.title, locale) or step.id)
    return names


def impact(counts: dict[str, Any], changes: list[RouteChange], names: dict[str, str], form: str,
           pin: dict[str, Any], words: tuple[str, ...] = ()) -> Impact:
    """The panel's view of `FlowAuthoring.impact`, `route_changes` and `form_pin` (pure)."""
    named = lambda ids: tuple(names.get(i, i) for i in ids)  # noqa: E731
    pinned, latest = pin.get("pinned"), pin.get("latest")
    return Impact(
        running=counts["running"],
        by_step=tuple((names.get(step, step), n) for step, n in counts["by_step"].items()),
        routes=tuple(Route(c.scenario.name, named(c.scenario.route), named(c.after), c.why) for c in changes),
        form=form, pinned=pinned, latest=latest,
        newer=pinned is not None and latest is not None and latest > pinned, changes=words)


def draft_changes(published: dict[str, Any] | None, draft: dict[str, Any]) -> list[str]:
    """What publishing the draft would change, in the words the versions page will keep (none
    while the draft cannot be read as a flow yet: its problems say why)."""
    try:
        return change_words(flow_changes(published, draft))
    except (KeyError, TypeError, ValueError, AttributeError):
        return []
