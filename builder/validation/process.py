"""Validation of a flow's process-level properties: its metadata, policies, reject codes and
green channel (the steps themselves are `builder.validation.flows`' business)."""
from __future__ import annotations

import dataclasses
from typing import Any

from builder import paths
from builder.flows import POLICY_CHOICES, STEP_KINDS, ProcessMeta, Scenario, Urgent, step_paths
from builder.validation.common import (check_bool, check_label, duplicates, is_int, json_names, show_value,
                                       unknown_keys)
from builder.validation.timing import duration
from rules.derived import is_iso_date
from rules.errors import Problem
from rules.messages import N_
from rules.words import word

PROCESS_LEVELS = ("main", "sub", "operation")
PROCESS_CATEGORIES = ("business", "management", "approval")
VALUE_CHAIN = ("core", "support")
_UNKNOWN_META = {"level": N_('unknown level "%(chosen)s" (one of %(choices)s)'),
                 "category": N_('unknown category "%(chosen)s" (one of %(choices)s)'),
                 "value_chain": N_('unknown value chain "%(chosen)s" (one of %(choices)s)')}
META_PROPERTIES = json_names(ProcessMeta)


def reject_codes(codes: Any, path: str, out: list[Problem]) -> None:
    if not isinstance(codes, list):
        out.append(Problem(path, N_("must be a list of {value, label}")))
        return
    for position, code in enumerate(codes):
        where = paths.index(path, position)
        if not isinstance(code, dict) or not isinstance(code.get("value"), str) or not code["value"]:
            out.append(Problem(where, N_("must be an object with a text value and a label")))
        else:
            unknown_keys(code, ("value", "label"), where, out)
            check_label(code, "label", where, out)
    duplicates(codes, "value", path, N_("value"), out)


def policies(policies: Any, path: str, out: list[Problem]) -> None:
    if not isinstance(policies, dict):
        out.append(Problem(path, N_("must be an object")))
        return
    unknown_keys(policies, tuple(POLICY_CHOICES), path, out)
    for name, choices in POLICY_CHOICES.items():
        chosen = policies.get(name, choices[0])
        if chosen not in choices:
            out.append(Problem(paths.key(path, name),
                               N_("unknown policy %(chosen)s (one of %(choices)s)",
                                  chosen=show_value(chosen), choices=", ".join(choices))))


def urgent(urgent: Any, path: str, steps: list[Any], out: list[Problem]) -> None:
    """The green channel: its execution step must be a task step on the main path (reached
    whichever branches an instance takes) with at least one step before it to skip."""
    if not isinstance(urgent, dict):
        out.append(Problem(path, N_("must be an object")))
        return
    unknown_keys(urgent, json_names(Urgent), path, out)
    for name in ("allowed", "deadline", "execution"):
        if name not in urgent:
            out.append(Problem(paths.key(path, name), N_("missing")))
    check_bool(urgent, "allowed", path, out)
    if "deadline" in urgent:
        duration(urgent["deadline"], paths.key(path, "deadline"), out)
    if "execution" not in urgent:
        return
    where, execution = paths.key(path, "execution"), urgent["execution"]
    main = {s["id"]: (index, s.get("kind")) for index, s in reversed(list(enumerate(steps)))
            if isinstance(s, dict) and isinstance(s.get("id"), str)}
    if not isinstance(execution, str):
        out.append(Problem(where, N_("must be a step id, got %(execution)s", execution=show_value(execution))))
    elif execution not in main:
        nested = any(step.get("id") == execution for _, step in step_paths(steps, ""))
        out.append(Problem(where, f'step "{execution}" is inside a branch: the execution step must be on the main path'
                           if nested else f'unknown step "{execution}"'))
    elif (kind := main[execution][1]) != "task":
        if isinstance(kind, str) and kind in STEP_KINDS:  # an unknown kind is reported at the step
            out.append(Problem(where, (N_('step "%(execution)s" is an %(kind)s step: the execution step must be a '
                                          "task step") if kind[0] in "aeiou" else
                                       N_('step "%(execution)s" is a %(kind)s step: the execution step must be a '
                                          "task step")).fill(execution=execution, kind=word(kind))))
    elif main[execution][0] == 0:
        out.append(Problem(where, N_('step "%(execution)s" is the first step: an urgent start would skip '
                                     "nothing", execution=execution)))
    else:
        valid_before = [s for s in steps[:main[execution][0]] if isinstance(s, dict)]
        for _, before in step_paths(valid_before, ""):
            if before.get("kind") in ("parallel", "subflow"):
                out.append(Problem(where, N_('step "%(before)s" before it is a %(kind)s step, which an urgent '
                                             "start cannot skip past",
                                             before=before.get("id"), kind=word(before["kind"]))))


def meta(meta: Any, path: str, out: list[Problem]) -> None:
    if not isinstance(meta, dict):
        out.append(Problem(path, N_("must be an object")))
        return
    unknown_keys(meta, META_PROPERTIES, path, out)
    for f in dataclasses.fields(ProcessMeta):
        if f.name not in meta:
            continue
        value, where = meta[f.name], paths.key(path, f.name)
        if f.name == "time_limit":
            duration(value, where, out)
        elif f.name == "target_pass_rate":
            if not is_int(value) or not 0 <= value <= 100:
                out.append(Problem(where, N_("must be a whole percent from 0 to 100, got %(value)s",
                                             value=show_value(value))))
        elif f.type == "bool":
            check_bool(meta, f.name, path, out)
        elif f.type == "Label":
            check_label(meta, f.name, path, out)
        elif f.type.startswith("tuple"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                out.append(Problem(where, N_("must be a list of text")))
        elif not isinstance(value, str):
            out.append(Problem(where, N_("must be text, got %(value)s", value=show_value(value))))
    for name, choices in (("level", PROCESS_LEVELS), ("category", PROCESS_CATEGORIES), ("value_chain", VALUE_CHAIN)):
        chosen = meta.get(name)
        if isinstance(chosen, str) and chosen and chosen not in choices:
            out.append(Problem(paths.key(path, name), _UNKNOWN_META[name].fill(chosen=chosen, choices=", ".join(choices))))
    effective = meta.get("effective_date")
    if isinstance(effective, str) and effective and not is_iso_date(effective):
        out.append(Problem(paths.key(path, "effective_date"),
                           N_('must be a date (YYYY-MM-DD), got "%(effective)s"', effective=effective)))


MAX_SCENARIOS = 50


def scenarios(docs: Any, path: str, users: set[str], out: list[Problem]) -> None:
    """Saved what-ifs: a name, a submitter who exists, form data (checked when it is run) and the
    route it took (step ids)."""
    if not isinstance(docs, list):
        out.append(Problem(path, N_("must be a list")))
        return
    if len(docs) > MAX_SCENARIOS:
        out.append(Problem(path, N_("at most %(max_scenarios)s scenarios", max_scenarios=MAX_SCENARIOS)))
    for position, doc in enumerate(docs):
        where = paths.index(path, position)
        if not isinstance(doc, dict):
            out.append(Problem(where, N_("must be an object")))
            continue
        unknown_keys(doc, json_names(Scenario), where, out)
        if not isinstance(doc.get("name"), str) or not doc["name"].strip():
            out.append(Problem(paths.key(where, "name"), N_("give the scenario a name")))
        if doc.get("submitter") not in users:
            out.append(Problem(paths.key(where, "submitter"), N_("unknown user %(value)s",
                                                                 value=show_value(doc.get('submitter')))))
        if not isinstance(doc.get("data", {}), dict):
            out.append(Problem(paths.key(where, "data"), N_("must be an object of form data")))
        chosen = doc.get("chosen", {})
        if not (isinstance(chosen, dict) and all(isinstance(people, list) and all(isinstance(u, str) for u in people)
                                                 for people in chosen.values())):
            out.append(Problem(paths.key(where, "chosen"), N_("must map step ids to lists of usernames")))
        route = doc.get("route", [])
        if not isinstance(route, list) or not all(isinstance(r, str) for r in route):
            out.append(Problem(paths.key(where, "route"), N_("must be a list of step ids")))
    duplicates(docs, "name", path, N_("name"), out)
