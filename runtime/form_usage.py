"""Who uses each field of a form, so that publishing never silently repurposes a key.

A field is used by the current flows whose form it is (a branch condition, an assignee picked in
it, a permission map, a sub-process's inputs), by the rulesets those flows consult (their inputs
are field keys), and by the running requests pinned to the form whose data holds it. Changing the
type of a used field or removing one is refused with a message naming each user. For flows and
rulesets "used" means what their own validators say: each is validated against the form with just
that one field changed, and every new problem is a use the change would break; and whatever names
the field (`usages`) uses it, even where its validator would pass the new type (a number that
becomes money in a `$gt` condition is refused too: the issue's rule is "any change of a used field").
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from builder import paths
from builder.flows import Flow, SubflowStep, step_paths
from builder.forms import Form
from builder.validation import flow_problems
from rules.conditions import condition_fields
from rules.ruleset import Ruleset, validate_ruleset
from runtime.errors import Problem
from runtime.i18n import N_, Text
from runtime.service import Workflow
from runtime.state import Instance, InstanceStatus

RUNNING = (InstanceStatus.RUNNING, InstanceStatus.RETURNED)
SHOWN_IDS = 3

BRANCH = N_("branch condition")
ASSIGNEE = N_("assignee field")
PERMISSIONS = N_("field permissions")
START = N_("start form permissions")
INPUTS = N_("sub-process inputs")
STEP = N_("step")


@dataclass(frozen=True)
class FormUsers:
    """Everything that may use the fields of one form, read once per check."""

    flows: tuple[Flow, ...]
    callers: tuple[tuple[str, dict[str, Any]], ...]  # (process, subflow step) starting one of `flows`
    rulesets: tuple[Ruleset, ...]
    running: tuple[Instance, ...]
    roles: frozenset[str]
    users: frozenset[str]

    @classmethod
    def of(cls, workflow: Workflow, key: str) -> FormUsers:
        processes = workflow.processes()
        flows = tuple(f for f in processes if f.form == key)
        started = {f.key for f in flows}
        calling = [f for f in processes
                   if any(isinstance(s, SubflowStep) and s.process in started for s in f.walk())]
        callers = tuple((f.key, step) for f in calling for _, step in step_paths(f.to_dict()["steps"], "steps")
                        if step.get("kind") == "subflow" and step.get("process") in started)
        consulted = dict.fromkeys(r for f in flows for r in f.rulesets)
        with workflow.state.lock:
            running = tuple(i for i in workflow.state.instances.values() if i.form == key and i.status in RUNNING)
        return cls(flows, callers, tuple(workflow.definition("ruleset", r) for r in consulted), running,
                   frozenset(workflow.org.roles), frozenset(workflow.org.users))


def usages(users: FormUsers, form: Form) -> dict[str, list[str]]:
    """Each field (or `table.column`) of `form` that something uses, and who, in words."""
    known = form.field_types()
    found: dict[str, list[str]] = {}

    def add(names: Iterable[str], who: Text) -> None:
        for name in names:
            for key in _field_keys(name, known):
                if who not in found.setdefault(key, []):
                    found[key].append(who)

    for flow in users.flows:
        doc = flow.to_dict()
        add(doc.get("start_fields", {}), _process_use(flow.key, START))
        for path, step in step_paths(doc["steps"], "steps"):
            for use, names in _step_names(step):
                add(names, _step_use(flow.key, step.get("id", path), use))
    for process, step in users.callers:
        add(step.get("inputs", {}), _step_use(process, step["id"], INPUTS))
    for ruleset in users.rulesets:
        add((i.key for i in ruleset.inputs), N_("ruleset %(ruleset)s", ruleset=ruleset.key))
    for key in known:
        holders = [i for i in users.running if _holds(i.data, key)]
        if holders:
            found.setdefault(key, []).append(_running_use(holders))
    return found


def refusals(users: FormUsers, old: Form, new: Form) -> list[Problem]:
    """One problem per published field whose type changes or that is removed while something uses
    it (naming each user), at the field's path in the new document (at `fields` or the table's `columns` when removed)."""
    old_types, new_types = old.field_types(), new.field_types()
    named = usages(users, old)
    out = []
    for key, kind in old_types.items():
        if new_types.get(key) == kind or _table_removed(key, new_types):
            continue
        changed = _with_change(old_types, new_types, key)
        found = (named.get(key, []) + _flow_uses(users, old_types, changed) + _caller_uses(users, key)
                 + _ruleset_uses(users, old_types, changed) + _instance_uses(users, key))
        uses = list(dict.fromkeys(found))
        if not uses:
            continue
        path, name = _path_of(new, key), f'"{key}"'
        message = (N_('field %(field)s cannot be removed: used by %(users)s', field=name, users=joined(uses))
                   if key not in new_types else
                   N_('field %(field)s cannot change type from %(before)s to %(after)s: used by %(users)s',
                      field=name, before=kind, after=new_types[key], users=joined(uses)))
        out.append(Problem(path, message))
    return out


def joined(texts: list[Text]) -> Text:
    """`a; by b; by c` as one message whose parts each read in the reader's language."""
    result = texts[0]
    for text in texts[1:]:
        result = N_("%(before)s; by %(next)s", before=result, next=text)
    return result


# --- what a flow, ruleset or request names -------------------------------------------------------

def _step_names(step: dict[str, Any]) -> list[tuple[Text, Iterable[str]]]:
    names: list[tuple[Text, Iterable[str]]] = []
    assignee = step.get("assignee")
    if isinstance(assignee, dict) and assignee.get("kind") == "field":
        names.append((ASSIGNEE, [assignee.get("field", "")]))
    if isinstance(step.get("fields"), dict):
        names.append((PERMISSIONS, list(step["fields"])))
    if isinstance(step.get("inputs"), dict):
        names.append((INPUTS, [v for v in step["inputs"].values() if isinstance(v, str)]))
    if step.get("kind") == "branch":
        names += [(BRANCH, condition_fields(b.get("when"))) for b in step.get("branches", ()) if isinstance(b, dict)]
    return names


def _field_keys(name: str, known: dict[str, str]) -> list[str]:
    """The fields a name in a condition or ruleset reads: `items.amount.sum` reads `items` and
    `items.amount`."""
    parts = name.split(".")
    return [k for k in dict.fromkeys((parts[0], ".".join(parts[:2]))) if k in known]


def _holds(data: dict[str, Any], key: str) -> bool:
    table, _, column = key.partition(".")
    if not column:
        return data.get(key) not in (None, "", [])
    rows = data.get(table)
    return isinstance(rows, list) and any(isinstance(r, dict) and r.get(column) not in (None, "") for r in rows)


def _process_use(process: str, use: Text) -> Text:
    return N_("process %(process)s (%(use)s)", process=process, use=use)


def _step_use(process: str, step: str, use: Text) -> Text:
    return N_("process %(process)s, step %(step)s (%(use)s)", process=process, step=step, use=use)


def _running_use(instances: list[Instance]) -> Text:
    ids = ", ".join(i.id[:4] + "…" for i in instances[:SHOWN_IDS]) + (", …" if len(instances) > SHOWN_IDS else "")
    if len(instances) == 1:
        return N_("a running request: %(ids)s", ids=ids)
    return N_("%(count)s running requests: %(ids)s", count=len(instances), ids=ids)


# --- what a change would break ------------------------------------------------------------------

def _with_change(old: dict[str, str], new: dict[str, str], key: str) -> dict[str, str]:
    """The old form's field types with only `key` (and a table's columns) as the new form has it."""
    def own(name: str) -> bool:
        return name == key or name.startswith(key + ".")
    return {**{k: v for k, v in old.items() if not own(k)}, **{k: v for k, v in new.items() if own(k)}}


def _flow_uses(users: FormUsers, before: dict[str, str], after: dict[str, str]) -> list[Text]:
    uses: list[Text] = []
    for flow in users.flows:
        doc = flow.to_dict()
        rulesets = {r.key: r for r in users.rulesets if r.key in flow.rulesets}

        def problems(types: dict[str, str]) -> list[Problem]:
            return flow_problems(doc, form_key=flow.form, rulesets=rulesets, known_rulesets=set(rulesets),
                                 roles=set(users.roles), users=set(users.users), field_types=types)
        base = set(problems(before))
        for problem in problems(after):
            if problem not in base and (use := _use_at(flow.key, doc, problem.path)) not in uses:
                uses.append(use)
    return uses


def _use_at(process: str, doc: dict[str, Any], path: str) -> Text:
    if paths.under(path, "start_fields"):
        return _process_use(process, START)
    at, step = "", None
    for where, candidate in step_paths(doc["steps"], "steps"):
        if paths.under(path, where):
            at, step = where, candidate  # depth first: the innermost step comes last
    if step is None:
        return N_("process %(process)s", process=process)
    rest = path[len(at):]
    use = (ASSIGNEE if rest.startswith(".assignee") else PERMISSIONS if rest.startswith(".fields")
           else INPUTS if rest.startswith(".inputs") else BRANCH if rest.startswith(".branches") else STEP)
    return _step_use(process, step.get("id", at), use)


def _caller_uses(users: FormUsers, key: str) -> list[Text]:
    """Processes that start one using this form and fill `key` in from their own fields: the
    sub-process's data must still fit the field (its own validators do not see this)."""
    return [_step_use(process, step["id"], INPUTS) for process, step in users.callers
            if key in step.get("inputs", {})]


def _ruleset_uses(users: FormUsers, before: dict[str, str], after: dict[str, str]) -> list[Text]:
    uses = []
    for ruleset in users.rulesets:
        doc = ruleset.to_dict()
        base = set(validate_ruleset(doc, before))
        if any(p not in base for p in validate_ruleset(doc, after)):
            uses.append(N_("ruleset %(ruleset)s", ruleset=ruleset.key))
    return uses


def _instance_uses(users: FormUsers, key: str) -> list[Text]:
    holders = [i for i in users.running if _holds(i.data, key)]
    return [_running_use(holders)] if holders else []


def _table_removed(key: str, new: dict[str, str]) -> bool:
    """A column of a removed table: the table's own problem says it all."""
    table, _, column = key.partition(".")
    return bool(column) and table not in new


def _path_of(form: Form, key: str) -> str:
    table, _, column = key.partition(".")
    for i, f in enumerate(form.fields):
        if f.key == table:
            if not column:
                return f"fields[{i}].type"
            for j, c in enumerate(f.columns):
                if c.key == column:
                    return f"fields[{i}].columns[{j}].type"
            return f"fields[{i}].columns"
    return "fields"
