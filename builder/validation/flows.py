"""Validation of flow definitions: every problem in a flow document, each with its JSON path,
checked against its form's field types, the rulesets it may consult and the organisation."""
from __future__ import annotations

import dataclasses
from typing import Any

from builder import paths
from builder.flows import APPROVAL_MODES, ASSIGNEE_KINDS, ASSIGNEE_USES, STEP_KINDS, Assignee, Branch, Flow, Lane
from builder.forms import Form
from builder.permissions import permission_problems
from builder.validation.common import (check_label, check_slug, check_version, is_int, json_names,
                                       required_list, show_value, unknown_keys)
from builder.validation.process import meta, policies, reject_codes, scenarios, urgent
from builder.validation.step_rules import on_reject_problems, step_policies
from builder.validation.timing import timing
from rules.conditions import validate_condition
from rules.errors import DefinitionError, Problem
from rules.ruleset import Ruleset, output_value_problem
from rules.messages import N_
from rules.words import word

MAX_DEPT_LEVELS = 5
FLOW_PROPERTIES = json_names(Flow)
BRANCH_PROPERTIES = json_names(Branch)
LANE_PROPERTIES = json_names(Lane)
ASSIGNEE_PROPERTIES = json_names(Assignee)
STEP_PROPERTIES: dict[str, tuple[str, ...]] = {
    kind: ("kind",) + json_names(cls) for kind, cls in STEP_KINDS.items()
}


def validate_flow(doc: Any, *, form: Form | None, rulesets: dict[str, Ruleset],
                  roles: set[str], users: set[str], path: str = "") -> list[Problem]:
    """Every problem in a flow definition document, checked against the form it uses, the
    rulesets it may consult (by key) and the organisation's roles and users."""
    return flow_problems(doc, form_key=form.key if form is not None else None,
                         rulesets=rulesets, known_rulesets=set(rulesets), roles=roles,
                         users=users, path=path,
                         field_types=form.field_types() if form is not None else None)


def parse_flow(doc: Any, *, form: Form | None, rulesets: dict[str, Ruleset], roles: set[str],
               users: set[str], path: str = "") -> Flow:
    """The `Flow` a document describes; raises DefinitionError with every problem."""
    problems = validate_flow(doc, form=form, rulesets=rulesets, roles=roles, users=users,
                             path=path)
    if problems:
        raise DefinitionError(problems)
    return Flow.from_dict(doc)


def flow_problems(doc: Any, *, form_key: str | None, rulesets: dict[str, Ruleset],
                  known_rulesets: set[str], roles: set[str], users: set[str],
                  path: str = "", field_types: dict[str, str] | None = None) -> list[Problem]:
    """`validate_flow` for callers that know more rulesets by key (`known_rulesets`) than they
    could parse (`rulesets`): the importer, whose broken rulesets are reported on their own
    and must not also be called unknown. Outcomes are checked against parsed rulesets only."""
    if not isinstance(doc, dict):
        return [Problem(path, N_("must be an object"))]
    out: list[Problem] = []
    unknown_keys(doc, FLOW_PROPERTIES, path, out)
    check_slug(doc, "key", path, out, required=True)
    check_version(doc, path, out)
    check_label(doc, "title", path, out, required=True)
    check_label(doc, "description", path, out)
    if check_slug(doc, "form", path, out, required=True) and form_key is not None \
            and doc["form"] != form_key:
        out.append(Problem(paths.key(path, "form"),
                           N_('the flow uses form "%(form)s" but the form is "%(form_key)s"',
                              form=doc["form"], form_key=form_key)))
    if doc.get("form_version") is not None and (not is_int(doc["form_version"]) or doc["form_version"] < 1):
        out.append(Problem(paths.key(path, "form_version"),
                           N_("must be a positive integer, got %(form_version)s",
                              form_version=show_value(doc['form_version']))))
    listed = _ruleset_list(doc, path, known_rulesets, out)
    if "meta" in doc:
        meta(doc["meta"], paths.key(path, "meta"), out)
    if "policies" in doc:
        policies(doc["policies"], paths.key(path, "policies"), out)
    if "reject_codes" in doc:
        reject_codes(doc["reject_codes"], paths.key(path, "reject_codes"), out)
    if "start_fields" in doc:
        out.extend(permission_problems(doc["start_fields"], paths.key(path, "start_fields"), field_types))
    context = _FlowContext(field_types=field_types, rulesets=rulesets, known=known_rulesets, listed=listed,
                           roles=set(roles), users=set(users), seen_ids=set())
    steps = required_list(doc, "steps", path, "a flow needs at least one step", out)
    if steps:
        _steps(steps, paths.key(path, "steps"), context, out)
        on_reject_problems(doc, path, out)
    if "urgent" in doc:
        urgent(doc["urgent"], paths.key(path, "urgent"), steps or [], out)
    if "scenarios" in doc:
        scenarios(doc["scenarios"], paths.key(path, "scenarios"), set(users), out)
    return out


@dataclasses.dataclass
class _FlowContext:
    field_types: dict[str, str] | None
    rulesets: dict[str, Ruleset]
    known: set[str]
    listed: set[str]
    roles: set[str]
    users: set[str]
    seen_ids: set[str]


def _ruleset_list(doc: dict[str, Any], path: str, known: set[str],
                  out: list[Problem]) -> set[str]:
    where = paths.key(path, "rulesets")
    listed = doc.get("rulesets", [])
    if not isinstance(listed, list):
        out.append(Problem(where, N_("must be a list")))
        return set()
    keys: set[str] = set()
    for position, name in enumerate(listed):
        at = paths.index(where, position)
        if not isinstance(name, str):
            out.append(Problem(at, N_("must be a ruleset key, got %(name)s", name=show_value(name))))
        elif name in keys:
            out.append(Problem(at, N_('duplicate ruleset "%(name)s"', name=name)))
        elif name not in known:
            out.append(Problem(at, N_('unknown ruleset "%(name)s"', name=name)))
        if isinstance(name, str):
            keys.add(name)
    return keys


def _steps(steps: Any, path: str, context: _FlowContext, out: list[Problem]) -> None:
    if not isinstance(steps, list):
        out.append(Problem(path, N_("must be a list")))
        return
    for position, step in enumerate(steps):
        _step(step, paths.index(path, position), context, out)


def _step(doc: Any, path: str, context: _FlowContext, out: list[Problem]) -> None:
    if not isinstance(doc, dict):
        out.append(Problem(path, N_("must be an object")))
        return
    if check_slug(doc, "id", path, out, required=True):
        if doc["id"] in context.seen_ids:
            out.append(Problem(paths.key(path, "id"), N_('duplicate step id "%(id)s"', id=doc["id"])))
        context.seen_ids.add(doc["id"])
    check_label(doc, "title", path, out)
    check_label(doc, "description", path, out)
    kind = doc.get("kind")
    if "kind" not in doc:
        out.append(Problem(paths.key(path, "kind"), N_("missing")))
        return
    if not isinstance(kind, str) or kind not in STEP_KINDS:
        out.append(Problem(paths.key(path, "kind"),
                           N_("unknown step kind %(kind)s (one of %(step_kinds)s)",
                              kind=show_value(kind), step_kinds=", ".join(STEP_KINDS))))
        return
    unknown_keys(doc, STEP_PROPERTIES[kind], path, out)
    if "assignee" in STEP_PROPERTIES[kind]:
        where = paths.key(path, "assignee")
        if "assignee" not in doc:
            out.append(Problem(where, (N_("missing: an %(kind)s step needs an assignee") if kind[0] in "aeiou"
                                       else N_("missing: a %(kind)s step needs an assignee")).fill(kind=word(kind))))
        else:
            _assignee(doc["assignee"], where, context, out)
    if "mode" in doc and "mode" in STEP_PROPERTIES[kind] and doc["mode"] not in APPROVAL_MODES:
        out.append(Problem(paths.key(path, "mode"), N_("unknown mode %(mode)s (one of %(approval_modes)s)",
                                                       mode=show_value(doc["mode"]), approval_modes=", ".join(APPROVAL_MODES))))
    if "fields" in doc and "fields" in STEP_PROPERTIES[kind]:
        out.extend(permission_problems(doc["fields"], paths.key(path, "fields"), context.field_types))
    if "deadline" in STEP_PROPERTIES[kind]:
        timing(doc, path, kind, out)
    if "policies" in doc and "policies" in STEP_PROPERTIES[kind]:
        step_policies(doc["policies"], paths.key(path, "policies"), kind, out)
    if kind == "branch":
        _branch_step(doc, path, context, out)
    elif kind == "parallel":
        _parallel_step(doc, path, context, out)
    elif kind == "subflow":
        _subflow_step(doc, path, context, out)


def _assignee(doc: Any, path: str, context: _FlowContext, out: list[Problem]) -> None:
    if not isinstance(doc, dict):
        out.append(Problem(path, N_("must be an object")))
        return
    unknown_keys(doc, ASSIGNEE_PROPERTIES, path, out)
    kind = doc.get("kind")
    if "kind" not in doc:
        out.append(Problem(paths.key(path, "kind"), N_("missing")))
        return
    if kind not in ASSIGNEE_KINDS:
        out.append(Problem(paths.key(path, "kind"), N_("unknown assignee kind %(kind)s (one of "
                                                       "%(assignee_kinds)s)",
                                                       kind=show_value(kind), assignee_kinds=", ".join(ASSIGNEE_KINDS))))
        return
    uses = ASSIGNEE_USES[kind]
    for name in uses:
        where = paths.key(path, name)
        value = doc.get(name)
        if kind == "chosen":  # both optional: anyone, one person
            if name == "multiple" and not isinstance(doc.get(name, False), bool):
                out.append(Problem(where, N_("must be true or false, got %(value)s", value=show_value(value))))
            elif name == "role" and doc.get(name, "") and (problem := _assignee_reference(name, str(value), doc, context)):
                out.append(Problem(where, problem))
            elif name == "role" and not isinstance(doc.get(name, ""), str):
                out.append(Problem(where, N_("must be a role key, got %(value)s", value=show_value(value))))
            continue
        if name == "levels":
            levels = doc.get("levels", 1)
            if not is_int(levels) or not 1 <= levels <= MAX_DEPT_LEVELS:
                out.append(Problem(where, N_("must be a whole number from 1 to %(max_dept_levels)s, got "
                                             "%(levels)s",
                                             max_dept_levels=MAX_DEPT_LEVELS, levels=show_value(levels))))
        elif name not in doc:
            out.append(Problem(where, N_('missing: a "%(kind)s" assignee names a %(name)s',
                                         kind=kind, name=word(name))))
        elif not isinstance(value, str):
            out.append(Problem(where, N_("must be a %(name)s key, got %(value)s",
                                         name=name, value=show_value(value))))
        else:
            problem = _assignee_reference(name, value, doc, context)
            if problem:
                out.append(Problem(where, problem))
    for name in ASSIGNEE_PROPERTIES:
        if name not in uses and name != "kind" and name in doc:
            out.append(Problem(paths.key(path, name), N_('not used by a "%(kind)s" assignee', kind=kind)))


def _assignee_reference(name: str, value: str, doc: dict[str, Any], context: _FlowContext) -> str:
    """What is wrong with the user, role, field, ruleset or output an assignee names, if anything."""
    if name == "user" and value not in context.users:
        return N_('unknown user "%(value)s"', value=value)
    if name == "role" and value not in context.roles:
        return N_('unknown role "%(value)s"', value=value)
    if name == "field" and context.field_types is not None:
        kind = context.field_types.get(value)
        if kind is None:
            return N_('unknown field "%(value)s"', value=value)
        if kind not in ("user", "department", "text", "select"):  # text and select: older flows (flow_checks says so)
            return N_('field "%(value)s" is a %(kind)s; a user or department is chosen in a user or '
                      "department field", value=value, kind=word(kind))
    if name == "ruleset":
        if value not in context.known:
            return N_('unknown ruleset "%(value)s"', value=value)
        if value not in context.listed:
            return N_('ruleset "%(value)s" is not listed in the flow\'s rulesets', value=value)
    if name == "output" and isinstance(doc.get("ruleset"), str) and doc["ruleset"] in context.rulesets:
        ruleset = context.rulesets[doc["ruleset"]]
        if ruleset.output(value) is None:
            names = ", ".join(o.key for o in ruleset.outputs) or "none"
            return N_('"%(value)s" is not an output of ruleset "%(key)s" (outputs: %(names)s)',
                      value=value, key=ruleset.key, names=names)
    return ""


def _branch_step(doc: dict[str, Any], path: str, context: _FlowContext,
                 out: list[Problem]) -> None:
    where = paths.key(path, "ruleset")
    name = doc.get("ruleset")
    ruleset: Ruleset | None = None
    if "ruleset" not in doc:
        pass  # each branch carries its own condition
    elif not isinstance(name, str):
        out.append(Problem(where, N_("must be a ruleset key, got %(name)s", name=show_value(name))))
    elif name not in context.known:
        out.append(Problem(where, N_('unknown ruleset "%(name)s"', name=name)))
    elif name not in context.listed:
        out.append(Problem(where, N_('ruleset "%(name)s" is not listed in the flow\'s rulesets', name=name)))
    else:
        ruleset = context.rulesets.get(name)
    branches_path = paths.key(path, "branches")
    branches = doc.get("branches")
    if not isinstance(branches, list) or not branches:
        out.append(Problem(branches_path, "must be a list" if "branches" in doc
                           and not isinstance(branches, list)
                           else "a branch step needs at least one branch"))
        branches = branches if isinstance(branches, list) else []
    for position, branch in enumerate(branches):
        _branch(branch, paths.index(branches_path, position), ruleset, "ruleset" in doc, context, out)
    if "else" in doc:
        _steps(doc["else"], paths.key(path, "else"), context, out)


def _parallel_step(doc: dict[str, Any], path: str, context: _FlowContext, out: list[Problem]) -> None:
    where = paths.key(path, "branches")
    lanes = doc.get("branches")
    if not isinstance(lanes, list) or len(lanes) < 2:
        out.append(Problem(where, N_("a parallel step needs a list of at least two branches")))
        return
    for position, lane in enumerate(lanes):
        at = paths.index(where, position)
        if not isinstance(lane, dict):
            out.append(Problem(at, N_("must be an object")))
            continue
        unknown_keys(lane, LANE_PROPERTIES, at, out)
        check_label(lane, "label", at, out)
        if not isinstance(lane.get("steps"), list) or not lane["steps"]:
            out.append(Problem(paths.key(at, "steps"), N_("each parallel branch needs at least one step")))
        else:
            _steps(lane["steps"], paths.key(at, "steps"), context, out)


def _subflow_step(doc: dict[str, Any], path: str, context: _FlowContext, out: list[Problem]) -> None:
    check_slug(doc, "process", path, out, required=True)
    inputs = doc.get("inputs", {})
    where = paths.key(path, "inputs")
    if not isinstance(inputs, dict):
        out.append(Problem(where, N_('must map the sub-process\'s fields to this form\'s, e.g. {"amount": '
                                     '"total"}')))
        return
    for child, parent in inputs.items():
        if not isinstance(parent, str):
            out.append(Problem(paths.key(where, child), N_("must be a field key, got %(parent)s",
                                                           parent=show_value(parent))))
        elif context.field_types is not None and parent not in context.field_types:
            out.append(Problem(paths.key(where, child), N_('unknown field "%(parent)s"', parent=parent)))


def _branch(doc: Any, path: str, ruleset: Ruleset | None, by_ruleset: bool,
            context: _FlowContext, out: list[Problem]) -> None:
    if not isinstance(doc, dict):
        out.append(Problem(path, N_("must be an object")))
        return
    unknown_keys(doc, BRANCH_PROPERTIES, path, out)
    check_label(doc, "label", path, out)
    if not by_ruleset:
        _branch_condition(doc, path, context, out)
    elif "when" in doc:
        out.append(Problem(paths.key(path, "when"),
                           N_("this step's ruleset picks the branch: match its outcome instead")))
    where = paths.key(path, "outcome")
    outcome = doc.get("outcome")
    if not by_ruleset:
        pass
    elif not isinstance(outcome, dict) or not outcome:
        out.append(Problem(where, "must be an object" if "outcome" in doc
                           and not isinstance(outcome, dict)
                           else "a branch needs an outcome to match, e.g. {\"tier\": \"vp\"}"))
    elif ruleset is not None:
        _outcome(outcome, where, ruleset, out)
    if "steps" in doc:
        _steps(doc["steps"], paths.key(path, "steps"), context, out)


def _branch_condition(doc: dict[str, Any], path: str, context: _FlowContext,
                      out: list[Problem]) -> None:
    where = paths.key(path, "when")
    if "outcome" in doc:
        out.append(Problem(paths.key(path, "outcome"),
                           N_("only a branch step that consults a ruleset matches outcomes; give this branch "
                              "a condition (when)")))
    if "when" not in doc:
        out.append(Problem(where, N_('missing: the condition that takes this branch, e.g. {"$gt": {"total": '
                                     "5000}}")))
    else:
        out.extend(validate_condition(doc["when"], context.field_types, where))


def _outcome(outcome: dict[str, Any], path: str, ruleset: Ruleset, out: list[Problem]) -> None:
    for name, value in outcome.items():
        where = paths.key(path, str(name))
        output = ruleset.output(name)
        if output is None:
            names = ", ".join(o.key for o in ruleset.outputs) or "none"
            out.append(Problem(where, N_('"%(name)s" is not an output of ruleset "%(key)s" (outputs: '
                                         "%(names)s)", name=name, key=ruleset.key, names=names)))
            continue
        problem = output_value_problem(output, value)
        if problem:
            out.append(Problem(where, N_('%(problem)s (output "%(name)s" of ruleset "%(key)s")',
                                         problem=problem, name=name, key=ruleset.key)))

