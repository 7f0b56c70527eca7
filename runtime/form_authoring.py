"""Authoring forms: drafts with undo and redo, publishing with a change note, versions with a diff.

A designer edits a draft that nothing running sees. Every save is validated (nothing invalid is
stored) and pushes the previous draft onto an undo stack. Publishing freezes the draft as the next
immutable version, unless it would silently repurpose a published key (`runtime.form_usage`);
running requests keep the version they pinned, new ones get the new version at once. A form made
in the designer gets a default process (one approval by the submitter's head) at its first
publish, so staff can file it; the flow designer edits that process later.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from builder.form_diff import Change, form_changes
from builder.forms import Form
from builder.validation import SLUG, SLUG_TEXT, parse_flow, validate_form
from builder.validation.common import MAX_KEY
from runtime.authoring import change_note, publish_recorded, saved_draft, stepped_draft, version_history
from runtime.errors import Conflict, DefinitionError, NotFound, Problem
from runtime.form_changes import change_words
from runtime.form_usage import FormUsers, refusals, usages
from runtime.i18n import N_
from runtime.org import User
from runtime.service import Workflow

KIND = "form"
NO_FIELDS = "a form needs at least one field"  # a blank draft is fine; publishing it is not


@dataclass(frozen=True)
class FormDraft:
    """The designer's working copy: the form document, the version it follows (0 for a new form),
    whether undo/redo can move, the keys that have been published (shown read-only: a key is
    editable until its first publish), and whether the first publish also makes a process."""

    form: dict[str, Any]
    based_on: int
    can_undo: bool
    can_redo: bool
    published_keys: frozenset[str]
    process: bool
    revision: int = 0  # saves (and undo/redo steps) since the draft began

    @property
    def etag(self) -> str:
        """The draft's entity tag (HTTP `ETag`): the version it follows and its revision, so a
        draft begun again after a publish never matches a tag of the one before."""
        return f'"{self.based_on}.{self.revision}"'

    def to_dict(self) -> dict[str, Any]:
        return {"form": self.form, "based_on": self.based_on, "can_undo": self.can_undo,
                "can_redo": self.can_redo, "published_keys": sorted(self.published_keys),
                "process": self.process}


class FormAuthoring:
    """The form designer's service, over the workflow's store and published definitions."""

    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow
        self.repo = workflow.repo

    # --- reading ------------------------------------------------------------------------------
    def summaries(self, user: User) -> list[dict[str, Any]]:
        """Every form, published or draft-only, with its latest version and the processes using it."""
        self.workflow.require_designer(user)
        published = {d["key"]: d for d in self.repo.list_definitions(KIND)}
        drafts = set(self.repo.list_drafts(KIND))
        used_by: dict[str, list[str]] = {}
        for flow in self.workflow.processes():
            used_by.setdefault(flow.form, []).append(flow.key)
        rows = []
        for key in sorted(set(published) | drafts):
            doc = published.get(key) or self.repo.get_draft(KIND, key)["form"]  # type: ignore[index]
            rows.append({"key": key, "title": doc.get("title", key),
                         "version": published[key]["version"] if key in published else None,
                         "draft": key in drafts, "used_by": used_by.get(key, [])})
        return rows

    def draft(self, user: User, key: str) -> FormDraft:
        """The saved draft, else a fresh copy of the latest version (as the next version)."""
        self.workflow.require_designer(user)
        return self._as_draft(key, self._stored(key))

    def versions(self, user: User, key: str) -> list[dict[str, Any]]:
        """Every published version, oldest first, with who, when, the note and the diff in words
        (in the current reader's language)."""
        self.workflow.require_designer(user)
        if not self.repo.definition_versions(KIND, key) and self.repo.get_draft(KIND, key) is None:
            raise NotFound(N_('no form "%(key)s"', key=key))
        return version_history(self.workflow, KIND, key, lambda record: {
            "diff": change_words([Change.from_dict(c) for c in record.get("diff", [])])})

    def usages(self, key: str) -> dict[str, list[str]]:
        """Who uses each field of the form's latest version: flows, rulesets, running requests."""
        latest = self._latest(key)
        return {} if latest is None else usages(FormUsers.of(self.workflow, key), latest)

    # --- editing ------------------------------------------------------------------------------
    def create(self, user: User, key: str, title: Any, *, process: bool = True) -> FormDraft:
        """A new blank form draft; with `process`, its first publish also makes a process of that key."""
        self.workflow.require_designer(user)
        self._check_new(key, process)
        problems = [p for p in validate_form({"key": key, "version": 1, "title": title, "fields": []})
                    if p.path == "title"]
        if not problems and not (title.strip() if isinstance(title, str) else any(v.strip() for v in title.values())):
            problems = [Problem("title", N_("a form needs a title"))]
        if problems:
            raise DefinitionError(problems)
        stored = {"form": {"key": key, "version": 1, "title": title, "fields": []}, "based_on": 0,
                  "process": process, "undo": [], "redo": []}
        self.repo.put_draft(KIND, key, stored)
        return self._as_draft(key, stored)

    def save(self, user: User, key: str, doc: Any, if_match: str | None = None) -> FormDraft:
        """Replace the draft (an unknown key starts a new form); an invalid document is refused
        with every problem and its path, and changes nothing. With `if_match` (the `etag` the
        caller saw) a draft saved by someone else since is a conflict, not silently overwritten."""
        self.workflow.require_designer(user)
        current = self._stored(key, missing_ok=True)
        if if_match is not None:
            seen = None if current is None else self._as_draft(key, current).etag
            if if_match != seen:
                raise Conflict(N_("the draft has changed since you read it (someone else saved it); "
                                  "reload it and make your change again"))
        if current is None:
            self._check_new(key, process=False)
            current = {"form": None, "based_on": 0, "process": True, "undo": [], "redo": []}
        latest = self._latest(key)
        based_on = latest.version if latest else 0  # a version published since the draft began counts
        form = self._checked(key, doc, based_on + 1)
        if form == current["form"]:
            return self._as_draft(key, current)
        stored = saved_draft(current, "form", form, "fields", based_on=based_on)
        self.repo.put_draft(KIND, key, stored)
        return self._as_draft(key, stored)

    def check(self, user: User, key: str, doc: Any) -> list[Problem]:
        """The problems `save` would refuse `doc` with, saving nothing (for checks as you type)."""
        self.workflow.require_designer(user)
        try:
            self._checked(key, doc, 1)
        except DefinitionError as exc:
            return exc.problems
        return []

    def undo(self, user: User, key: str) -> FormDraft:
        return self._step(user, key, "undo", "redo", N_("nothing to undo"))

    def redo(self, user: User, key: str) -> FormDraft:
        return self._step(user, key, "redo", "undo", N_("nothing to redo"))

    def discard(self, user: User, key: str) -> None:
        self.workflow.require_designer(user)
        self.repo.delete_draft(KIND, key)

    def publish(self, user: User, key: str, note: Any) -> int:
        """Freeze the draft as the next version; refused when it would break what uses the form."""
        self.workflow.require_designer(user)
        stored = self._stored(key)
        note = change_note(note)
        problems = validate_form(stored["form"])
        if problems:
            raise DefinitionError(problems)
        form = Form.from_dict(stored["form"])
        with self.workflow.lock:  # a request started meanwhile would pin the version checked against
            latest = self._latest(key)
            if latest is not None:
                if {**latest.to_dict(), "version": form.version} == form.to_dict():
                    raise Conflict(N_("nothing to publish: the draft is the same as version %(version)s",
                                      version=latest.version))
                refused = refusals(FormUsers.of(self.workflow, key), latest, form)
                if refused:
                    raise DefinitionError(refused)
            diff = [c.to_dict() for c in form_changes(latest.to_dict() if latest else None, form.to_dict())]
            process = (self._default_process(form) if stored["process"] and latest is None
                       and not self.repo.definition_versions("flow", key) else None)
            version = publish_recorded(self.workflow, KIND, form.to_dict(), user, note, diff=diff)
            if process is not None:
                publish_recorded(self.workflow, "flow", process, user, note)
        self.repo.delete_draft(KIND, key)
        return version

    # --- helpers ------------------------------------------------------------------------------
    def _stored(self, key: str, *, missing_ok: bool = False) -> dict[str, Any]:
        stored = self.repo.get_draft(KIND, key)
        if stored is not None:
            return stored
        latest = self._latest(key)
        if latest is None:
            if missing_ok:
                return None  # type: ignore[return-value]
            raise NotFound(N_('no form "%(key)s"', key=key))
        return {"form": {**latest.to_dict(), "version": latest.version + 1}, "based_on": latest.version,
                "process": False, "undo": [], "redo": []}

    def _as_draft(self, key: str, stored: dict[str, Any]) -> FormDraft:
        published = frozenset(k for doc in self.repo.definition_versions(KIND, key)
                              for k in self.workflow.definition(KIND, key, doc["version"]).field_types())
        return FormDraft(stored["form"], stored["based_on"], bool(stored["undo"]), bool(stored["redo"]),
                         published, bool(stored["process"]), stored.get("revision", 0))

    def _latest(self, key: str) -> Form | None:
        if not self.repo.definition_versions(KIND, key):
            return None
        form: Form = self.workflow.definition(KIND, key)
        return form

    def _checked(self, key: str, doc: Any, version: int) -> dict[str, Any]:
        """The document as it is stored (normalised, as the next version), or every problem."""
        problems = [p for p in validate_form(doc) if not (p.path == "fields" and p.message == NO_FIELDS)]
        if isinstance(doc, dict) and "key" in doc and doc["key"] != key:
            problems.insert(0, Problem("key", N_('must be "%(key)s", the form being edited', key=key)))
        problems = [p for p in problems if p.path != "version"]
        if problems:
            raise DefinitionError(problems)
        return Form.from_dict({**doc, "key": key, "version": version}).to_dict()

    def _check_new(self, key: str, process: bool) -> None:
        if isinstance(key, str) and len(key) > MAX_KEY:
            raise DefinitionError([Problem("key", N_("must be at most %(max)s characters", max=MAX_KEY))])
        if not isinstance(key, str) or not SLUG.match(key):
            raise DefinitionError([Problem("key", N_("must be a slug (%(pattern)s)", pattern=SLUG_TEXT))])
        if self.repo.get_draft(KIND, key) is not None or self.repo.definition_versions(KIND, key):
            raise Conflict(N_('a form "%(key)s" exists already', key=key))
        if process and self.repo.definition_versions("flow", key):
            raise Conflict(N_('a process "%(key)s" exists already; choose another key', key=key))

    def _step(self, user: User, key: str, back: str, forth: str, nothing: str) -> FormDraft:
        self.workflow.require_designer(user)
        moved = stepped_draft(self._stored(key), "form", back, forth, "fields", nothing)
        self.repo.put_draft(KIND, key, moved)
        return self._as_draft(key, moved)

    def _default_process(self, form: Form) -> dict[str, Any]:
        """One approval by the submitter's department head, checked like any other flow."""
        doc = {"key": form.key, "version": 1, "title": form.title, "form": form.key,
               "meta": {"category": "approval", "level": "main", "input_forms": [form.key]},
               "steps": [{"id": "dept_head", "kind": "approval",
                          "title": {"en": "Department head approval", "zh_CN": "部门负责人审批"},
                          "assignee": {"kind": "dept_head", "levels": 1}}]}
        flow = parse_flow(doc, form=form, rulesets={}, roles=set(self.workflow.org.roles),
                          users=set(self.workflow.org.users))
        return flow.to_dict()
