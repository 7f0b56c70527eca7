"""The JSON export/import format: one self-contained document per process, an outside contract.

An export bundle is `{"format": 1, "flow": …, "form": …, "rulesets": […]}` written with
`canonical_json`, so export → import → export is byte-for-byte stable and bundles diff well in
version control. Import checks the document against the published JSON Schema
(`builder/schema/flow-export.schema.json`, Draft 2020-12) and then with the same semantic
validators the designers use, and reports every problem at once, each with a JSON path rooted
at the document (`flow.steps[2].assignee.role: unknown role "cfo"`).

`format` is the version of this document shape. A later format gets a `from_format_1(doc)`
migration here rather than a second reader, so old exports stay importable.
"""
from __future__ import annotations

import functools
import json
import re
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from builder import json_text
from builder import paths
from builder.flows import Flow
from builder.forms import Form
from builder.serial import canonical_json
from builder.validation import flow_problems, form_field_types, show_value, validate_form
from rules.errors import DefinitionError, Problem
from rules.ruleset import Ruleset, parse_ruleset, validate_ruleset
from rules.messages import N_, reason

FORMAT = 1
SCHEMA_RESOURCE = "schema/flow-export.schema.json"

_TYPE_WORDS = {"string": N_("text"), "integer": N_("a whole number"), "number": N_("a number"),
               "boolean": N_("true or false"), "object": N_("an object"), "array": N_("a list"),
               "null": N_("null")}


# ---------------------------------------------------------------------------------------------
# Public API


def export_bundle(flow: Flow, form: Form, rulesets: list[Ruleset]) -> dict[str, Any]:
    """The export document of a flow, its form and the rulesets it consults (sorted by key)."""
    return {
        "format": FORMAT,
        "flow": flow.to_dict(),
        "form": form.to_dict(),
        "rulesets": [r.to_dict() for r in sorted(rulesets, key=lambda r: r.key)],
    }


def dumps(bundle: dict[str, Any]) -> str:
    """The bundle's one canonical JSON text."""
    return canonical_json(bundle)


def loads(text: str | bytes, *, roles: set[str],
          users: set[str]) -> tuple[Flow, Form, list[Ruleset]]:
    """`import_bundle` on JSON text; text that is not JSON is a DefinitionError too."""
    try:
        doc = json_text.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, json.JSONDecodeError):
            problem = N_("not valid JSON: %(message)s (line %(line)s, column %(column)s)",
                         message=exc.msg, line=exc.lineno, column=exc.colno)
        else:
            problem = N_("not valid JSON: %(message)s", message=reason(exc))
        raise DefinitionError([Problem("", problem)]) from None
    return import_bundle(doc, roles=roles, users=users)


def import_bundle(doc: Any, *, roles: set[str],
                  users: set[str]) -> tuple[Flow, Form, list[Ruleset]]:
    """The flow, form and rulesets of an export document (rulesets in document order).

    Raises DefinitionError carrying every problem, each located from the document's root.
    """
    problems = bundle_problems(doc, roles=roles, users=users)
    if problems:
        raise DefinitionError(problems)
    field_types = form_field_types(doc["form"])
    return (Flow.from_dict(doc["flow"]), Form.from_dict(doc["form"]),
            [parse_ruleset(r, field_types) for r in doc["rulesets"]])


def bundle_problems(doc: Any, *, roles: set[str], users: set[str]) -> list[Problem]:
    """Every problem of an export document, schema and semantics together, in path order.

    Where the schema and a semantic validator flag the same path, the semantic message (the one
    the designers show) is kept.
    """
    if not isinstance(doc, dict):
        return [Problem("", N_("must be an object (a formflow export document)"))]
    if "format" in doc and (doc["format"] != FORMAT or isinstance(doc["format"], bool)):
        return [Problem("format", N_("unsupported format %(format)s; this server reads format %(format2)s",
                                     format=show_value(doc['format']), format2=FORMAT))]
    semantic = _semantic_problems(doc, roles=roles, users=users)
    taken = {p.path for p in semantic}
    structural = [p for p in schema_problems(doc) if p.path not in taken]
    return sorted(_unique(semantic + structural), key=_path_order)


def schema_problems(doc: Any) -> list[Problem]:
    """What the JSON Schema says is wrong with `doc`, as problems with our paths.

    Schema validation is the slow part of an import, and the same documents come back again and
    again (the demo is published into every new data directory), so the answer is remembered by
    the document's JSON text."""
    try:
        text = json.dumps(doc, sort_keys=True, allow_nan=False)
        same = json.loads(text) == doc  # not so for tuples or non-text keys: check those as they are
    except (TypeError, ValueError, RecursionError):
        same = False
    return list(_schema_problems_of_text(text)) if same else _schema_problems(doc)


@functools.lru_cache(maxsize=64)
def _schema_problems_of_text(text: str) -> tuple[Problem, ...]:
    return tuple(_schema_problems(json.loads(text)))


def _schema_problems(doc: Any) -> list[Problem]:
    found: list[Problem] = []
    for error in _validator().iter_errors(doc):
        found.extend(_from_schema_error(error))
    return _unique(found)


def export_schema() -> dict[str, Any]:
    """The published JSON Schema of export documents (a fresh copy)."""
    return json.loads(_schema_text())


# ---------------------------------------------------------------------------------------------
# Semantics


def _semantic_problems(doc: dict[str, Any], *, roles: set[str],
                       users: set[str]) -> list[Problem]:
    out: list[Problem] = []
    form_doc = doc.get("form")
    if "form" in doc:
        out.extend(validate_form(form_doc, "form"))
    field_types = form_field_types(form_doc)
    parsed: dict[str, Ruleset] = {}
    known: set[str] = set()
    rulesets = doc.get("rulesets")
    for position, ruleset_doc in enumerate(rulesets if isinstance(rulesets, list) else ()):
        where = paths.index("rulesets", position)
        found = validate_ruleset(ruleset_doc, field_types, where)
        out.extend(found)
        key = ruleset_doc.get("key") if isinstance(ruleset_doc, dict) else None
        if not isinstance(key, str):
            continue
        if key in known:
            out.append(Problem(paths.key(where, "key"), N_('duplicate ruleset "%(key)s"', key=key)))
            continue
        known.add(key)
        if not found:
            parsed[key] = parse_ruleset(ruleset_doc, field_types)
    if "flow" in doc:
        form_key = form_doc.get("key") if isinstance(form_doc, dict) else None
        out.extend(flow_problems(doc["flow"],
                                 form_key=form_key if isinstance(form_key, str) else None,
                                 rulesets=parsed, known_rulesets=known, roles=roles,
                                 users=users, path="flow", field_types=field_types))
    return out


# ---------------------------------------------------------------------------------------------
# Schema


@functools.cache
def _schema_text() -> str:
    return resources.files("builder").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")


@functools.cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(_schema_text()))


def _from_schema_error(error: ValidationError) -> list[Problem]:
    where = paths.from_parts(error.absolute_path)
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        return [Problem(paths.key(where, name), N_("missing"))
                for name in error.validator_value if name not in instance]
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        declared = error.schema.get("properties", {})
        return [Problem(paths.key(where, str(name)), N_("unknown key"))
                for name in instance if name not in declared]
    if error.validator == "type":
        wanted = error.validator_value
        words = [_TYPE_WORDS.get(t, t) for t in (wanted if isinstance(wanted, list) else [wanted])]
        either = functools.reduce(lambda a, b: N_("%(a)s or %(b)s", a=a, b=b), words)
        return [Problem(where, N_("must be %(words)s, got %(instance)s", words=either, instance=show_value(instance)))]
    if error.validator == "enum":
        return [Problem(where, N_("%(instance)s is not one of %(values)s",
                                  instance=show_value(instance), values=', '.join(show_value(v) for v in error.validator_value)))]
    if error.validator == "pattern":
        return [Problem(where, N_("must match %(validator_value)s, got %(instance)s",
                                  validator_value=error.validator_value, instance=show_value(instance)))]
    if error.validator == "anyOf" and error.schema.get("description", "").startswith("Text, or"):
        return [Problem(where, N_("must be text or a mapping of locale to text"))]
    return [Problem(where, error.message)]


# ---------------------------------------------------------------------------------------------
# Helpers


def _refuse_constant(name: str) -> Any:
    raise ValueError(N_("%(name)s is not a JSON number", name=name))


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _path_order(problem: Problem) -> list[tuple[int, int | str]]:
    """Sort key placing `steps[10]` after `steps[2]`."""
    return [(0, int(part)) if part.isdigit() else (1, part)
            for part in re.findall(r"[^.\[\]]+", problem.path)]
