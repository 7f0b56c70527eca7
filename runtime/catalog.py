"""The published definitions a workflow runs on: parsed once, the version in effect, pinned
per request, imported and published (with their seal in the record, `runtime.definition_seals`)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import orjson

from builder.exchange import export_bundle, import_bundle
from builder.flows import Flow
from builder.forms import Form
from rules.lint import publish_blockers
from rules.ruleset import Ruleset, validate_ruleset
from runtime import definition_seals as seals
from runtime.calendar import BusinessCalendar
from runtime.clock import from_stamp
from runtime.engine import Definitions, Engine, Event
from runtime.errors import BadRequest, DefinitionError, Forbidden, NotFound, Problem, word
from runtime.flow_checks import flow_checks
from runtime.i18n import N_
from runtime.org import Organisation, User
from runtime.state import Instance, Projection
from runtime.store.repository import Repository


DESIGNER_ROLES = ("designer", "admin")
_PARSERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "flow": Flow.from_dict, "form": Form.from_dict, "ruleset": Ruleset.from_dict}


class DefinitionsCatalog:
    """Published flows, forms and rulesets: what `Workflow` starts, pins and publishes."""

    repo: Repository
    org: Organisation
    engine: Engine
    calendar: BusinessCalendar
    state: Projection
    lock: threading.Lock
    _parsed: dict[tuple[str, str, int], Any]
    _latest: dict[tuple[str, str], int]
    _effective: dict[str, list[tuple[int, str]]]
    _record: Callable[[list[Event]], None]

    def definition(self, kind: str, key: str, version: int | None = None) -> Any:
        """A published definition, parsed once: published versions never change."""
        wanted = version or self._latest.get((kind, key))
        parsed = self._parsed.get((kind, key, wanted)) if wanted else None
        if parsed is not None:
            return parsed
        doc = self.repo.get_definition(kind, key, version)
        if doc is None:
            raise NotFound(N_('no %(kind)s "%(key)s" version %(version)s', kind=word(kind), key=key, version=version)
                           if version else N_('no %(kind)s "%(key)s"', kind=word(kind), key=key))
        if version is None:
            self._latest[(kind, key)] = doc["version"]
        parsed = self._parsed[(kind, key, doc["version"])] = _PARSERS[kind](doc)
        return parsed

    def processes(self) -> list[Flow]:
        """Every published process, each in the version in effect today."""
        return [self.definition("flow", d["key"], self.version_in_effect(d["key"]))
                for d in self.repo.list_definitions("flow")]

    def latest(self, process: str) -> Definitions:
        """What a request started now runs on: the process version in effect, the form version it
        was published with (the latest form when it pins none, as documents from before pinning),
        the latest rulesets."""
        flow: Flow = self.definition("flow", process, self.version_in_effect(process))
        return Definitions(flow, self.definition("form", flow.form, flow.form_version),
                           {k: self.definition("ruleset", k) for k in flow.rulesets})

    def version_in_effect(self, process: str) -> int | None:
        """The newest version of a process whose effective date has come (a version published with a
        later date than the one before it takes over on that date; the first version applies at
        once). The clock is read only when such a version waits, so plain publishing costs nothing."""
        dated = self._effective.get(process)
        if dated is None:
            dated = self._effective[process] = [(d["version"], d.get("meta", {}).get("effective_date", ""))
                                                for d in self.repo.definition_versions("flow", process)]
        today = ""
        for index in range(len(dated) - 1, 0, -1):
            version, effective = dated[index]
            if not effective or effective <= max(e for _, e in dated[:index]):
                return version
            today = today or from_stamp(self.engine.now()).astimezone(self.calendar.zone).date().isoformat()
            if effective <= today:
                return version
        return dated[0][0] if dated else None

    def pinned(self, instance: Instance) -> Definitions:
        return Definitions(self.definition("flow", instance.process, instance.flow_version),
                           self.definition("form", instance.form, instance.form_version),
                           {k: self.definition("ruleset", k, v) for k, v in instance.rulesets.items()})

    def pinned_by(self, started: dict[str, Any]) -> Definitions:
        """The definitions a start event pinned (for an instance not yet in the projection)."""
        return Definitions(self.definition("flow", started["process"], started["flow_version"]),
                           self.definition("form", started["form"], started["form_version"]),
                           {k: self.definition("ruleset", k, v) for k, v in started["rulesets"].items()})

    def export(self, process: str) -> dict[str, Any]:
        defs = self.latest(process)
        return export_bundle(defs.flow, defs.form, list(defs.rulesets.values()))

    def import_bundle(self, user: User, doc: Any) -> Flow:
        """Publish an exported process as the current one, all of it or nothing.

        Content identical to the latest version changes nothing; anything else becomes a new version.
        A ruleset shared with other processes must still fit their forms too, and sub-processes
        must be published, fit and end (`flow_checks`). The designer's other checks do not refuse
        an import: a flow that leaves some requests to its policies (nobody fits, no branch
        taken) runs as it was exported, and the designer shows what it would do about them.
        """
        self.require_designer(user)
        flow, form, rulesets = import_bundle(doc, roles=set(self.org.roles), users=set(self.org.users))
        documents = [flow.to_dict(), form.to_dict(), *(r.to_dict() for r in rulesets)]
        try:
            for document in documents:
                orjson.dumps(document)  # refuse what the store could not write before writing any
        except TypeError as exc:
            raise BadRequest(N_("the document holds a value that cannot be stored: %(exc)s", exc=exc)) from None
        with self.lock:
            problems = [problem for index, ruleset in enumerate(rulesets)
                        for problem in (self._misfits(ruleset, flow.key, f"rulesets[{index}]")
                                        + publish_blockers(ruleset, f"rulesets[{index}]"))]
            problems += [Problem(f"flow.{p.path}", p.message) for p in flow_checks(
                doc["flow"], form=form, rulesets={r.key: r for r in rulesets}, org=self.org, processes=self,
                only=("subflow",))]
            if problems:
                raise DefinitionError(problems)
            for ruleset in rulesets:
                self.publish_definition("ruleset", ruleset.to_dict())
            form_version = self.publish_definition("form", form.to_dict())
            pinned = flow.to_dict() if flow.form_version is None else {**flow.to_dict(), "form_version": form_version}
            stored = self.publish_definition("flow", pinned)
        return self.definition("flow", flow.key, stored)

    def publish_definition(self, kind: str, doc: dict[str, Any]) -> int:
        """Make a validated definition the current one (caller holds `lock`).

        The same content as the latest version changes nothing; anything else, including an
        older version brought back, is stored as a new version after the latest.
        """
        versions = self.repo.definition_versions(kind, doc["key"])
        if versions and {**versions[-1], "version": doc["version"]} == doc:
            return versions[-1]["version"]
        if versions and versions[-1]["version"] >= doc["version"]:
            doc = {**doc, "version": versions[-1]["version"] + 1}
        self.repo.put_definition(kind, doc)
        self._record([seals.publish_event(kind, self.repo.get_definition(kind, doc["key"], doc["version"]),
                                          self.engine.now())])
        self._latest[(kind, doc["key"])] = doc["version"]
        if kind == "flow":
            self._effective.pop(doc["key"], None)
        return doc["version"]

    def field_types_for_ruleset(self, key: str, *, except_flow: str = "") -> dict[str, str] | None:
        """The field types of every form whose current flow consults the ruleset, or None if none does."""
        types: dict[str, str] = {}
        used = False
        for flow in self.processes():
            if key in flow.rulesets and flow.key != except_flow:
                used = True
                types.update(self.definition("form", flow.form, flow.form_version).field_types())
        return types if used else None

    def _misfits(self, ruleset: Ruleset, flow_key: str, path: str) -> list[Problem]:
        """Problems of a ruleset against the forms of the other processes that share it."""
        others = self.field_types_for_ruleset(ruleset.key, except_flow=flow_key)
        return [] if others is None else validate_ruleset(ruleset.to_dict(), others, path)

    def exists(self, key: str) -> bool:
        return bool(self.repo.definition_versions("flow", key))

    def flow(self, key: str) -> Flow:
        return self.definition("flow", key)

    def form_fields(self, key: str) -> dict[str, str]:
        flow = self.flow(key)
        return self.definition("form", flow.form, flow.form_version).field_types()

    def require_definition_reader(self, user: User) -> None:
        """Whole definitions (an export) are for those who design processes or audit them."""
        if not any(user.has_role(r) for r in (*DESIGNER_ROLES, "auditor")):
            raise Forbidden(N_("only a designer, admin or auditor may export process definitions"))

    def require_designer(self, user: User) -> None:
        if not any(user.has_role(r) for r in DESIGNER_ROLES):
            raise Forbidden(N_("only a designer or admin may change process definitions"))
