"""Authoring processes: flow drafts with undo and redo, checks, publishing with a change note.

A designer edits a draft that nothing running sees. The API saves only complete, valid documents
(`strict`); the flow designer saves every well-formed step of the way, since a flow is built in
steps (a new branch has no condition yet), and shows what is still wrong: everything that blocks
publishing is one list, `problems`, with the JSON path of what it concerns. Publishing freezes the
draft as the next immutable version; running requests keep the version they pinned.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from builder.flow_diff import FlowChange, flow_changes
from builder.flows import Flow
from builder.forms import Form
from builder.validation import SLUG, SLUG_TEXT, validate_flow
from builder.validation.common import MAX_KEY
from rules.ruleset import Ruleset
from runtime.authoring import change_note, publish_recorded, saved_draft, stepped_draft, version_history
from runtime.change_approval import ChangeApprovals, Publication
from runtime.clock import from_stamp
from runtime.engine import Definitions
from runtime.errors import Conflict, DefinitionError, NotFound, Problem
from runtime.flow_changes import change_words
from runtime.flow_checks import flow_checks
from runtime.i18n import N_
from runtime.org import User
from runtime.scenarios import RouteChange, changed_routes, confirmed
from runtime.service import Workflow
from runtime.state import InstanceStatus, TaskStatus

KIND = "flow"
STEPS = "steps"


@dataclass(frozen=True)
class FlowDraft:
    """The designer's working copy: the flow document, the version it follows (0 for a new
    process), whether undo/redo can move, and its revision (saves since the draft began).
    `problems`: what blocks publishing it, when the save that made it has checked that already
    (None otherwise: ask `FlowAuthoring.problems`), so an edit checks the flow once, not twice."""

    flow: dict[str, Any]
    based_on: int
    can_undo: bool
    can_redo: bool
    revision: int = 0
    problems: tuple[Problem, ...] | None = field(default=None, compare=False)

    @property
    def etag(self) -> str:
        """The draft's entity tag: the version it follows and its revision (as a form draft's)."""
        return f'"{self.based_on}.{self.revision}"'

    def to_dict(self) -> dict[str, Any]:
        return {"flow": self.flow, "based_on": self.based_on, "can_undo": self.can_undo,
                "can_redo": self.can_redo}


class FlowAuthoring:
    """The flow designer's service, over the workflow's store and published definitions."""

    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow
        self.repo = workflow.repo
        self.approvals = ChangeApprovals(workflow)

    # --- reading ------------------------------------------------------------------------------
    def summaries(self, user: User) -> list[dict[str, Any]]:
        """Every process, published or draft-only: its title, latest version, form, draft or not."""
        self.workflow.require_designer(user)
        published = {d["key"]: d for d in self.repo.list_definitions(KIND)}
        drafts = set(self.repo.list_drafts(KIND))
        rows = []
        for key in sorted(set(published) | drafts):
            doc = self.repo.get_draft(KIND, key)["flow"] if key in drafts else published[key]  # type: ignore[index]
            rows.append({"key": key, "title": doc.get("title", key), "form": doc.get("form", ""),
                         "version": published[key]["version"] if key in published else None,
                         "draft": key in drafts})
        return rows

    def draft(self, user: User, key: str) -> FlowDraft:
        """The saved draft, else a fresh copy of the latest version (as the next version)."""
        self.workflow.require_designer(user)
        return _as_draft(self._stored(key))

    def problems(self, user: User, key: str) -> list[Problem]:
        """Everything that blocks publishing the draft, each at its JSON path in the flow document."""
        self.workflow.require_designer(user)
        return self._problems(self._stored(key)["flow"])

    def check(self, user: User, key: str, doc: Any) -> list[Problem]:
        """The problems `doc` would have as this process's draft, saving nothing."""
        self.workflow.require_designer(user)
        return self._problems({**doc, "key": key} if isinstance(doc, dict) else doc)

    def definitions(self, user: User, key: str) -> Definitions:
        """The draft as the engine would run it (for the simulator); refused while it has problems."""
        self.workflow.require_designer(user)
        doc = self._stored(key)["flow"]
        problems = [p for p in self._problems(doc) if p.path != "version"]
        if problems:
            raise DefinitionError(problems)
        flow = Flow.from_dict(doc)
        return Definitions(flow, self._form(flow.form), self._rulesets(list(flow.rulesets)))

    def versions(self, user: User, key: str) -> list[dict[str, Any]]:
        """Every published version, oldest first, with who, when, why, from when it applies and
        what changed, in words in the reader's language."""
        self.workflow.require_designer(user)
        return self._history(key)

    def change_log(self, user: User, key: str) -> list[dict[str, Any]]:
        """The versions page: every published version, newest first, as `versions` says them, with
        the form version each pinned (None: the latest form) and its `state`: "in_use" (what new
        requests start on), "waiting" (takes over on its effective date) or "earlier". For those
        who design processes and for auditors."""
        self.workflow.require_definition_reader(user)
        rows = self._history(key)
        in_effect = self.workflow.version_in_effect(key) or 0
        docs = {d["version"]: d for d in self.repo.definition_versions(KIND, key)}
        for row in rows:
            doc = docs[row["version"]]
            row.update(form=doc["form"], form_version=doc.get("form_version"),
                       state="in_use" if row["version"] == in_effect else
                       "waiting" if row["version"] > in_effect else "earlier")
        return rows[::-1]

    def impact(self, user: User, key: str) -> dict[str, Any]:
        """What publishing would touch: the requests of this process still running (they keep the
        version they started on), counted by version and by the step they wait at."""
        self.workflow.require_designer(user)
        state = self.workflow.state
        with state.lock:
            running = [i for i in state.instances.values()
                       if i.process == key and i.status is InstanceStatus.RUNNING]
            waiting = Counter(state.tasks[t].step for i in running for t in i.task_ids
                              if state.tasks[t].status is TaskStatus.OPEN)
        return {"running": len(running), "by_version": dict(sorted(Counter(i.flow_version for i in running).items())),
                "by_step": dict(waiting.most_common())}

    def route_changes(self, user: User, key: str) -> list[RouteChange]:
        """The saved scenarios whose route publishing the draft would change (what `publish`
        refuses until confirmed); none while the draft has problems (it cannot be simulated)."""
        try:
            defs = self.definitions(user, key)
        except DefinitionError:
            return []
        return changed_routes(self.workflow, defs) if defs.flow.scenarios else []

    # --- editing ------------------------------------------------------------------------------
    def create(self, user: User, key: str, title: Any, form: Any) -> FlowDraft:
        """A new process draft for a published form: one approval by the submitter's head."""
        self.workflow.require_designer(user)
        _check_key(key)
        if self.repo.get_draft(KIND, key) is not None or self.repo.definition_versions(KIND, key):
            raise Conflict(N_('a process "%(key)s" exists already', key=key))
        if not isinstance(form, str) or not self.repo.definition_versions("form", form):
            raise DefinitionError([Problem("form", N_("choose a published form"))])
        doc = {"key": key, "version": 1, "title": title, "form": form,
               "meta": {"category": "approval", "level": "main", "input_forms": [form]},
               "steps": [{"id": "dept_head", "kind": "approval",
                          "title": {"en": "Department head approval", "zh_CN": "部门负责人审批"},
                          "assignee": {"kind": "dept_head", "levels": 1}}]}
        problems = [p for p in self._problems(doc) if p.path == "title"]
        if not problems and not _has_text(title):
            problems = [Problem("title", N_("a process needs a title"))]
        if problems:
            raise DefinitionError(problems)
        stored = {"flow": doc, "based_on": 0, "undo": [], "redo": [], "revision": 0}
        self.repo.put_draft(KIND, key, stored)
        return _as_draft(stored)

    def save(self, user: User, key: str, doc: Any, *, if_match: str | None = None,
             strict: bool = True) -> FlowDraft:
        """Replace the draft. `strict` (the API): every problem refuses the document, with its
        path, and nothing is saved. Not strict (the designer): a well-formed document is saved
        whatever it still lacks. With `if_match` a draft saved by someone else since is a conflict."""
        self.workflow.require_designer(user)
        current = self._stored(key, missing_ok=True)
        if if_match is not None and if_match != (None if current is None else _as_draft(current).etag):
            raise Conflict(N_("the draft has changed since you read it (someone else saved it); "
                              "reload it and make your change again"))
        if current is None:
            _check_key(key)
            current = {"flow": None, "based_on": 0, "undo": [], "redo": [], "revision": 0}
        latest = self.repo.definition_versions(KIND, key)
        based_on = latest[-1]["version"] if latest else 0
        flow = self._checked(key, doc, based_on + 1, strict=strict)
        problems = None if strict else tuple(self._problems(flow))  # strict: none, or it was refused
        if flow == current["flow"]:
            return _as_draft(current, problems)
        stored = saved_draft(current, "flow", flow, STEPS, based_on=based_on)
        self.repo.put_draft(KIND, key, stored)
        return _as_draft(stored, problems)

    def undo(self, user: User, key: str) -> FlowDraft:
        return self._step(user, key, "undo", "redo", N_("nothing to undo"))

    def redo(self, user: User, key: str) -> FlowDraft:
        return self._step(user, key, "redo", "undo", N_("nothing to redo"))

    def discard(self, user: User, key: str) -> None:
        self.workflow.require_designer(user)
        self.repo.delete_draft(KIND, key)

    def publish(self, user: User, key: str, note: Any, effective: Any = None, *,
                confirm_routes: bool = False) -> Publication:
        """Freeze the draft as the next version, with the change note and the date it applies from;
        where the process asks for it, file the change for its owner's approval instead. Saved
        scenarios are re-run first: a changed route refuses the publish unless `confirm_routes`,
        which saves the new routes with the version."""
        self.workflow.require_designer(user)
        stored = self._stored(key)
        note = change_note(note)
        doc = stored["flow"]
        problems = self._problems(doc) + self._effective_problems(effective)
        if problems:
            raise DefinitionError(problems)
        if effective:
            doc = {**doc, "meta": {**doc.get("meta", {}), "effective_date": effective}}
        doc = {**doc, "form_version": self.repo.definition_versions("form", doc["form"])[-1]["version"]}
        published = self._with_scenarios_rerun(Flow.from_dict(doc).to_dict(), confirm_routes)
        with self.workflow.lock:  # a request started meanwhile would pin the version checked against
            versions = self.repo.definition_versions(KIND, key)
            previous = _runs_as(versions[-1], doc["form_version"]) if versions else None
            if previous is not None and previous == {**published, "version": previous["version"]}:
                raise Conflict(N_("nothing to publish: the draft is the same as version %(version)s",
                                  version=previous["version"]))
            changes = flow_changes(previous, published)
            diff = [c.to_dict() for c in changes]
            if not self.approvals.needed(key):
                version = publish_recorded(self.workflow, KIND, published, user, note, effective=effective or "",
                                           diff=diff)
                self.repo.delete_draft(KIND, key)
                return Publication(version=version)
        return self.approvals.ask(user, key, published, note, effective or "", diff, change_words(changes))

    def form_pin(self, user: User, key: str) -> dict[str, Any]:
        """The form the draft files and its versions: `pinned`, the one the published process runs
        (None: it follows the latest, as a process published before pinning), and `latest`, the one
        publishing the draft pins."""
        self.workflow.require_designer(user)
        doc = self._stored(key)["flow"]
        form = doc.get("form")
        versions = self.repo.definition_versions("form", form) if isinstance(form, str) else []
        published = self.repo.definition_versions(KIND, key)
        return {"form": form, "pinned": published[-1].get("form_version") if published else None,
                "latest": versions[-1]["version"] if versions else None}

    def waiting_change(self, user: User, key: str) -> str:
        """The change request of this process that waits for its owner's approval, "" if none."""
        self.workflow.require_designer(user)
        return self.approvals.waiting(key)

    # --- helpers ------------------------------------------------------------------------------
    def _with_scenarios_rerun(self, doc: dict[str, Any], confirm: bool) -> dict[str, Any]:
        flow = Flow.from_dict(doc)
        if not flow.scenarios:
            return doc
        defs = Definitions(flow, self._form(flow.form), self._rulesets(list(flow.rulesets)))
        changes = changed_routes(self.workflow, defs)
        if changes and (not confirm or any(c.why for c in changes)):
            raise DefinitionError([c.problem() for c in changes])
        return confirmed(doc, changes) if changes else doc

    def _history(self, key: str) -> list[dict[str, Any]]:
        if not self.repo.definition_versions(KIND, key) and self.repo.get_draft(KIND, key) is None:
            raise NotFound(N_('no process "%(key)s"', key=key))
        return version_history(self.workflow, KIND, key, lambda record: {
            "effective": record.get("effective", ""), "approved_by": record.get("approved_by", ""),
            "diff": change_words([FlowChange.from_dict(c) for c in record.get("diff", [])])})

    def _stored(self, key: str, *, missing_ok: bool = False) -> dict[str, Any]:
        stored = self.repo.get_draft(KIND, key)
        if stored is not None:
            return stored
        versions = self.repo.definition_versions(KIND, key)
        if not versions:
            if missing_ok:
                return None  # type: ignore[return-value]
            raise NotFound(N_('no process "%(key)s"', key=key))
        latest = versions[-1]
        return {"flow": {**latest, "version": latest["version"] + 1}, "based_on": latest["version"],
                "undo": [], "redo": [], "revision": 0}

    def _form(self, key: str) -> Form:
        form: Form = self.workflow.definition("form", key)
        return form

    def _rulesets(self, keys: list[Any]) -> dict[str, Ruleset]:
        return {k: self.workflow.definition("ruleset", k) for k in keys
                if isinstance(k, str) and self.repo.definition_versions("ruleset", k)}

    def _problems(self, doc: Any) -> list[Problem]:
        """What validation finds in the document, checked against its published form and rulesets."""
        if not isinstance(doc, dict):
            return [Problem("", N_("must be an object"))]
        form_key = doc.get("form")
        form = self._form(form_key) if isinstance(form_key, str) and self.repo.definition_versions("form", form_key) else None
        listed = doc.get("rulesets", [])
        rulesets = self._rulesets(listed if isinstance(listed, list) else [])
        problems = validate_flow(doc, form=form, rulesets=rulesets,
                                 roles=set(self.workflow.org.roles), users=set(self.workflow.org.users))
        if form is None:
            if isinstance(form_key, str):
                problems.insert(0, Problem("form", N_('no published form "%(form)s"', form=form_key)))
            return problems
        pinned = doc.get("form_version")
        if isinstance(pinned, int) and pinned not in {d["version"] for d in self.repo.definition_versions("form", form_key)}:
            problems.append(Problem("form_version", N_('form "%(form)s" has no published version %(version)s',
                                                       form=form_key, version=pinned)))
        seen = {p.path for p in problems}
        return problems + [p for p in flow_checks(doc, form=form, rulesets=rulesets, org=self.workflow.org,
                                                  processes=self.workflow) if p.path not in seen]

    def _checked(self, key: str, doc: Any, version: int, *, strict: bool) -> dict[str, Any]:
        """The document as it is stored (normalised, as the next version), or what refuses it."""
        if isinstance(doc, dict):
            doc = {**doc, "version": version}

        def problems() -> list[Problem]:
            found = [p for p in self._problems(doc) if p.path != "version"]
            if isinstance(doc, dict) and doc.get("key", key) != key:
                found.insert(0, Problem("key", N_('must be "%(key)s", the process being edited', key=key)))
            return found
        if strict and (found := problems()):
            raise DefinitionError(found)
        try:
            return Flow.from_dict({**doc, "key": key}).to_dict()
        except (KeyError, TypeError, ValueError, AttributeError):  # not well-formed: say why, at its paths
            raise DefinitionError(problems() or [Problem("", N_("not a flow document"))]) from None

    def _effective_problems(self, effective: Any) -> list[Problem]:
        if effective in (None, ""):
            return []
        try:
            day = dt.date.fromisoformat(effective) if isinstance(effective, str) else None
        except ValueError:
            day = None
        if day is None:
            return [Problem("effective", N_("must be a date (YYYY-MM-DD)"))]
        today = from_stamp(self.workflow.engine.now()).astimezone(self.workflow.calendar.zone).date()
        if day < today:
            return [Problem("effective", N_("must be today or later"))]
        return []

    def _step(self, user: User, key: str, back: str, forth: str, nothing: str) -> FlowDraft:
        self.workflow.require_designer(user)
        moved = stepped_draft(self._stored(key), "flow", back, forth, STEPS, nothing)
        self.repo.put_draft(KIND, key, moved)
        return _as_draft(moved)


def _as_draft(stored: dict[str, Any], problems: tuple[Problem, ...] | None = None) -> FlowDraft:
    return FlowDraft(stored["flow"], stored["based_on"], bool(stored["undo"]), bool(stored["redo"]),
                     stored.get("revision", 0), problems)


def _runs_as(version: dict[str, Any], latest_form: int) -> dict[str, Any]:
    """A published version as it runs now: one that pins no form runs the latest (`latest_form`),
    so publishing it unchanged, pinned to that form, is no change."""
    return version if version.get("form_version") is not None else {**version, "form_version": latest_form}


def _has_text(title: Any) -> bool:
    if isinstance(title, str):
        return bool(title.strip())
    return isinstance(title, dict) and any(isinstance(v, str) and v.strip() for v in title.values())


def _check_key(key: Any) -> None:
    if isinstance(key, str) and len(key) > MAX_KEY:
        raise DefinitionError([Problem("key", N_("must be at most %(max)s characters", max=MAX_KEY))])
    if not isinstance(key, str) or not SLUG.match(key):
        raise DefinitionError([Problem("key", N_("must be a slug (%(pattern)s)", pattern=SLUG_TEXT))])
