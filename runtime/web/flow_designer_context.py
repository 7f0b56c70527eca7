"""The request side of the flow designer's pages: what the flow refers to (its form, the
organisation's roles and people, the published rulesets and processes), the workspace (tree,
problem list, step panel) built from a draft, and the publish panel. Shared by the edit routes
(`runtime.web.flow_designer`) and the list, new-process and publish routes
(`runtime.web.flow_designer_publish`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from builder.flows import Flow
from builder.forms import Form
from builder.text import localize
from rules.errors import Problem
from rules.ruleset import Ruleset
from runtime import i18n
from runtime.errors import NotFound
from runtime.org import User
from runtime.web import flow_designer_panel as panel_view
from runtime.web import flow_designer_view as view
from runtime.web import flow_impact as impact_view
from runtime.web import flow_whatif_view as whatif_view
from runtime.web.condition_subjects import Subject, subjects_of
from runtime.web.flow_words import Names
from runtime.web.form_designer_context import designer_user

__all__ = ["Catalog", "Refused", "authoring_of", "catalog", "designer_user", "form_title", "page_context", "page_url",
           "publish_context", "workspace"]

DRAFT_CHANGED = "flow-draft-changed"  # HX-Trigger event: the publish panel reloads (problems, button)


def authoring_of(request: Request) -> Any:
    return request.app.state.flow_authoring


def page_url(key: str, step: str = "") -> str:
    return f"/designer/flows/{key}" + (f"?step={step}" if step else "")


@dataclass(frozen=True)
class Catalog:
    """What a flow may refer to, read once per request: its published form, the published
    rulesets and processes, the organisation (names in the reader's language)."""

    form: Form | None
    rulesets: dict[str, Ruleset]
    processes: dict[str, str]  # published process key → its title
    roles: dict[str, str]
    org: Any
    locale: str
    subjects: list[Subject] = field(default_factory=list)
    workflow: Any = None

    def child_form(self, process: str) -> Form | None:
        """The form of a published process (what a sub-process step fills in), or None."""
        if process not in self.processes or self.workflow is None:
            return None
        form: Form = self.workflow.latest(process).form
        return form

    @property
    def form_doc(self) -> dict[str, Any]:
        return self.form.to_dict() if self.form is not None else {}

    def names(self) -> Names:
        fields = {f.key: (localize(f.label, self.locale) or f.key, f.type) for f in self.form.fields} \
            if self.form is not None else {}
        return Names(roles=self.roles, fields=fields, processes=self.processes,
                     rulesets={k: localize(r.title, self.locale) or k for k, r in self.rulesets.items()},
                     outputs={k: {c.key: localize(r.output_label(c.key), self.locale) or c.key for c in r.outputs}
                              for k, r in self.rulesets.items()},
                     person=lambda username: self.org.name_of(username, self.locale))


def catalog(request: Request, doc: dict[str, Any]) -> Catalog:
    workflow = request.app.state.workflow
    locale = i18n.current_locale.get()
    form = None
    if isinstance(doc.get("form"), str):
        try:
            form = workflow.definition("form", doc["form"])
        except NotFound:
            form = None
    rulesets = {d["key"]: workflow.definition("ruleset", d["key"], d["version"])
                for d in workflow.repo.list_definitions("ruleset")}
    processes = {d["key"]: localize(d.get("title"), locale) or d["key"]
                 for d in workflow.repo.list_definitions("flow")}
    roles = {k: localize(v, locale) or k for k, v in workflow.org.roles.items()}
    return Catalog(form, rulesets, processes, roles, workflow.org, locale,
                   subjects_of(form.to_dict(), locale) if form is not None else [], workflow)


@dataclass
class Refused:
    """An edit that was not saved: its messages, the panel input it came from ("" for an edit of
    the tree) and what was typed there, shown again in that input marked invalid."""

    messages: list[str]
    input: str = ""
    typed: str = ""

    def at(self, name: str) -> list[str]:
        return self.messages if self.input == name else []


def workspace(request: Request, user: User, key: str, draft: Any, selected: str, *,
              refused: Refused | None = None, builders: dict[int, Any] | None = None,
              problems: list[Problem] | None = None, sample: whatif_view.Sample | None = None) -> dict[str, Any]:
    """What the workspace block renders: the tree, the problem list, the selected step's panel and
    the what-if panel (`sample`: what it was asked, and the path found; the tree marked by it)."""
    doc = draft.flow
    known = catalog(request, doc)
    found = (problems if problems is not None  # a save has checked the draft it made; anything else asks
             else list(draft.problems) if draft.problems is not None else authoring_of(request).problems(user, key))
    tree = view.tree(doc, found, known.names(), known.subjects, known.locale)
    selected = view.selected_step(selected, tree.by_id)
    flow = Flow.from_dict(doc) if not [p for p in found if p.path != "version"] else None  # as definitions() reads it
    whatif = whatif_view.panel(sample or whatif_view.Sample(), flow, known.form, known.org, known.locale, tree.by_id,
                               f"/designer/flows/{key}/simulate", whatif_view.scenarios_of(doc, flow))
    return {
        "key": key, "draft": draft, "doc": doc, "selected": selected, "tree": tree,
        "title": localize(doc.get("title"), known.locale) or key,
        "form_title": localize(known.form.title, known.locale) if known.form is not None else doc.get("form", ""),
        "panel": panel_view.panel(doc, selected, known, builders or {}, found) if selected else None,
        "kinds": view.kinds(), "refused": refused, "subjects": known.subjects, "phrases": view.tree_phrases(), "dom_id": view.dom_id,
        "whatif": whatif, "marks": whatif.marks,
    }


def page_context(request: Request, user: User, key: str, draft: Any, selected: str, **extra: Any) -> dict[str, Any]:
    context = workspace(request, user, key, draft, selected, refused=extra.pop("refused", None),
                        builders=extra.pop("builders", None), sample=extra.pop("sample", None))
    context.update(publish_context(request, user, key, draft, problems=context["tree"].problems))
    context["published"] = request.query_params.get("published", "")
    context["waiting"] = authoring_of(request).waiting_change(user, key)  # a change the owner has yet to approve
    context["exported_rulesets"] = bool(draft.based_on and request.app.state.workflow.latest(key).rulesets)  # a DMN to download
    context.update(extra)
    return context


def publish_context(request: Request, user: User, key: str, draft: Any, state: dict[str, Any] | None = None,
                    problems: list[Any] | None = None) -> dict[str, Any]:
    """The publish panel: blocked while the draft has problems; what publishing would touch
    (running requests, changed scenario routes, the form version it pins) shown before it."""
    authoring = authoring_of(request)
    count = len(authoring.problems(user, key)) if problems is None else len(problems)
    return {"key": key, "latest": draft.based_on, "blocking": count,
            "impact": _impact(request, user, key, draft, scenarios=not count and bool(draft.flow.get("scenarios"))),
            "publish": state or {"note": "", "error": "", "note_error": "", "refusals": [], "routes_changed": False}}


def _impact(request: Request, user: User, key: str, draft: Any, *, scenarios: bool) -> impact_view.Impact:
    """`scenarios`: re-run the saved scenarios (only a draft without problems has routes to compare)."""
    authoring, workflow = authoring_of(request), request.app.state.workflow
    locale = i18n.current_locale.get()
    published = workflow.repo.definition_versions("flow", key)[::-1]
    names = impact_view.step_names([draft.flow, *published], locale)
    pin = authoring.form_pin(user, key)
    form = form_title(workflow, pin["form"], locale) if isinstance(pin["form"], str) else ""
    routes = authoring.route_changes(user, key) if scenarios else []
    words = impact_view.draft_changes(published[0], draft.flow) if published else ()
    return impact_view.impact(authoring.impact(user, key), routes, names, form, pin, tuple(words))


def form_title(workflow: Any, form: str, locale: str) -> str:
    """A form's title in the reader's language (its key when the form is not published)."""
    try:
        return localize(workflow.definition("form", form).title, locale) or form
    except NotFound:
        return form
