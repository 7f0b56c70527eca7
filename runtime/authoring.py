"""What authoring any kind of definition shares (rulesets, forms): the change note a publish must
carry, publishing with its change record (修订记录), and reading the versions back with who
published each one, when and why."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.engine import MAX_TEXT
from runtime.draft_steps import rebuild, step_back
from runtime.errors import Conflict, DefinitionError, Problem
from runtime.i18n import N_
from runtime.org import User
from runtime.service import Workflow

NOTE_MISSING = N_("say what changed and why (the change note)")


MAX_NOTE = MAX_TEXT  # a change note is a paragraph, like a comment


def change_note(note: Any) -> str:
    """The publish's change note, trimmed; a DefinitionError at `note` when there is none or
    when it is longer than MAX_NOTE."""
    if not isinstance(note, str) or not note.strip():
        raise DefinitionError([Problem("note", NOTE_MISSING)])
    if len(note.strip()) > MAX_NOTE:
        raise DefinitionError([Problem("note", N_("at most %(max)s characters", max=MAX_NOTE))])
    return note.strip()


def publish_recorded(workflow: Workflow, kind: str, doc: dict[str, Any], user: User, note: str,
                     **record: Any) -> int:
    """Publish a validated definition and record who did it, when and why (plus `record`).

    The caller holds `workflow.lock`, so that what it checked (nothing changed, nothing relies on
    what changes) still holds when the version is stored: no request starts in between."""
    version = workflow.publish_definition(kind, doc)
    workflow.repo.put_change(kind, doc["key"], version, {
        "by": user.username, "at": workflow.engine.now(), "note": note, **record})
    return version


def version_history(workflow: Workflow, kind: str, key: str,
                    extra: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Every published version, oldest first: {"version","by","at","note"} and whatever `extra`
    reads from its change record (a version published outside the designer has an empty one)."""
    changes = {c["version"]: c for c in workflow.repo.list_changes(kind, key)}
    rows = []
    for doc in workflow.repo.definition_versions(kind, key):
        record = changes.get(doc["version"], {})
        rows.append({"version": doc["version"], "by": record.get("by", ""), "at": record.get("at", ""),
                     "note": record.get("note", ""), **(extra(record) if extra else {})})
    return rows


MAX_UNDO = 100  # steps a draft keeps to undo (and to redo)


def saved_draft(stored: dict[str, Any], name: str, doc: dict[str, Any], items: str, **changes: Any) -> dict[str, Any]:
    """The stored draft after a save of `doc` (at `stored[name]`): the previous document pushed on
    the undo stack as a small step back (runtime.draft_steps; `items` names its list), redo cleared."""
    undo = stored["undo"] if stored[name] is None else [*stored["undo"], step_back(doc, stored[name], items)]
    return {**stored, name: doc, "undo": undo[-MAX_UNDO:], "redo": [],
            "revision": stored.get("revision", 0) + 1, **changes}


def stepped_draft(stored: dict[str, Any], name: str, back: str, forth: str, items: str, nothing: str) -> dict[str, Any]:
    """The stored draft one step along its `back` stack ("undo" or "redo"), the way back pushed
    on `forth`; a Conflict saying `nothing` when there is no step to take."""
    if not stored[back]:
        raise Conflict(nothing)
    doc = rebuild(stored[name], stored[back][-1])
    return {**stored, name: doc, back: stored[back][:-1],
            forth: [*stored[forth], step_back(doc, stored[name], items)][-MAX_UNDO:],
            "revision": stored.get("revision", 0) + 1}
