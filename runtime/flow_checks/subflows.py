"""Sub-process steps against the published processes: the process must be published, must not
lead back to this one (A starts B starts A would never end), and must have the fields its inputs
fill, of a kind this form's fields can fill. The parent process the flow's properties name
(000 §6.1, a sub or operation process under a main one) must be published too."""
from __future__ import annotations

from typing import Any

from builder.flows import SubflowStep
from rules.conditions import value_class
from rules.errors import Problem
from runtime.flow_checks.facts import Facts, ProcessCatalog
from runtime.i18n import N_

STARTS_ITSELF = N_("a process cannot start itself")
OWN_PARENT = N_("a process cannot be its own parent")
NOT_PUBLISHED = N_('no published process "%(process)s"')
LOOPS = N_("sub-processes would start each other for ever: %(chain)s")
NO_SUCH_FIELD = N_('the form of "%(process)s" has no field "%(field)s"')
OTHER_KIND = N_('"%(field)s" of "%(process)s" holds another kind of value than "%(own)s" here '
                "(%(child_type)s there, %(own_type)s here)")


def subflow(path: str, step: dict[str, Any], facts: Facts) -> list[Problem]:
    """What keeps a sub-process step from starting its process, or from ever ending."""
    process = step.get("process")
    if not isinstance(process, str):
        return []
    where = f"{path}.process"
    if process == facts.key:
        return [Problem(where, STARTS_ITSELF)]
    if not facts.processes.exists(process):
        return [Problem(where, NOT_PUBLISHED.fill(process=process))]
    if chain := loop(facts.processes, process, facts.key):
        return [Problem(where, LOOPS.fill(chain=" → ".join([facts.key, *chain])))]
    inputs = step.get("inputs")
    return _inputs(f"{path}.inputs", process, inputs if isinstance(inputs, dict) else {}, facts)


def parent_process(doc: dict[str, Any], facts: Facts) -> list[Problem]:
    """The parent process named in the flow's properties, if any, must be another published one."""
    meta = doc.get("meta")
    parent = meta.get("parent") if isinstance(meta, dict) else None
    if not isinstance(parent, str) or not parent:
        return []
    if parent == facts.key:
        return [Problem("meta.parent", OWN_PARENT)]
    return [] if facts.processes.exists(parent) else [Problem("meta.parent", NOT_PUBLISHED.fill(process=parent))]


def loop(processes: ProcessCatalog, process: str, back_to: str, seen: tuple[str, ...] = ()) -> list[str]:
    """The chain of published processes by which `process` would start `back_to` again, if any."""
    if process == back_to:
        return [process]
    if process in seen or not processes.exists(process):
        return []
    for step in processes.flow(process).walk():
        if isinstance(step, SubflowStep) and (rest := loop(processes, step.process, back_to, (*seen, process))):
            return [process, *rest]
    return []


def _inputs(path: str, process: str, inputs: dict[str, Any], facts: Facts) -> list[Problem]:
    child = facts.processes.form_fields(process)
    own = facts.form.field_types()
    out = []
    for name, source in inputs.items():
        if name not in child:
            out.append(Problem(f"{path}.{name}", NO_SUCH_FIELD.fill(process=process, field=name)))
        elif isinstance(source, str) and source in own and not _fits(own[source], child[name]):
            out.append(Problem(f"{path}.{name}", OTHER_KIND.fill(field=name, process=process, own=source,
                                                                 child_type=child[name], own_type=own[source])))
    return out


def _fits(own: str, child: str) -> bool:
    """Whether a value of a field of type `own` can fill one of type `child`: the same type, or
    the same kind of plain value (a number as money, a choice as text)."""
    return own == child or value_class(own) == value_class(child) != "opaque"
