"""The cross-field checks editor: a form's `validations` as the designer edits them, and back.

Each check is a condition that must hold ("End on or after Start"), built with the condition
builder, the message shown when it does not (in zh_CN and en), and the fields that show it (the
form as a whole when none). Posted pairs become the `validations` list again, with each problem
on the check it concerns. Pure functions; `templates/designer/_validations_editor.html` renders it.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from builder.text import localize
from runtime import i18n
from runtime.web import condition_builder as cb
from runtime.web.condition_subjects import Subject

_ = i18n.gettext

MESSAGE_LOCALES = ("zh_CN", "en")
_NOT_SHOWN_ON = ("section", "note", "serial")


@dataclass
class CheckForm:
    when: cb.ConditionForm
    message: dict[str, str] = field(default_factory=lambda: {loc: "" for loc in MESSAGE_LOCALES})
    fields: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class ValidationsForm:
    checks: list[CheckForm] = field(default_factory=list)
    focus: str = ""

    @property
    def has_problems(self) -> bool:
        return any(c.problems or c.when.has_problems for c in self.checks)


def targets_of(form_doc: Any, locale: str) -> list[tuple[str, str]]:
    """(key, label) of the fields a check's message may be shown on: the form's inputs."""
    fields = form_doc.get("fields") if isinstance(form_doc, dict) else None
    out = []
    for f in fields if isinstance(fields, list) else ():
        if isinstance(f, dict) and isinstance(f.get("key"), str) and f.get("type") not in _NOT_SHOWN_ON:
            label = f.get("label")
            text = localize(label, locale) if isinstance(label, (str, dict)) else ""
            out.append((f["key"], text if isinstance(text, str) and text.strip() else f["key"]))
    return out


def validations_form(docs: Any, subjects: Sequence[Subject]) -> ValidationsForm:
    """The editor for a form's `validations` (what is malformed shows as an empty check)."""
    checks = []
    for doc in docs if isinstance(docs, list) else ():
        doc = doc if isinstance(doc, dict) else {}
        when = doc.get("when")
        message = doc.get("message", "")
        if isinstance(message, dict):
            texts = {loc: str(message.get(loc, "")) for loc in MESSAGE_LOCALES}
        else:
            texts = {loc: str(message) for loc in MESSAGE_LOCALES}
        shown = [k for k in doc.get("fields", ()) if isinstance(k, str)] if isinstance(doc.get("fields"), list) else []
        checks.append(CheckForm(cb.condition_form(when if isinstance(when, dict) else None, subjects),
                                texts, shown))
    return ValidationsForm(checks)


def when_prefix(prefix: str, index: int) -> str:
    """The condition builder's prefix for check `index`."""
    return f"{prefix}-v{index}-when"


def read_validations(pairs: Iterable[tuple[str, str]], prefix: str, subjects: Sequence[Subject],
                     targets: Sequence[tuple[str, str]]) -> tuple[ValidationsForm, list[dict[str, Any]] | None]:
    """The posted editor (after the operation its button asks for, if any) and the
    `validations` it says: None when a check has a problem (each shown on its check)."""
    pairs = list(pairs)
    vf = form_from_pairs(pairs, prefix, subjects)
    apply_posted_operation(vf, pairs, prefix, subjects)
    return vf, build_validations(vf, subjects, targets)


def form_from_pairs(pairs: list[tuple[str, str]], prefix: str, subjects: Sequence[Subject]) -> ValidationsForm:
    shape = re.compile(re.escape(prefix) + r"-v(\d+)-(?:message-\w+|when-mode)\Z")
    indexes = sorted({int(m.group(1)) for name, _v in pairs if (m := shape.match(name))})
    checks = []
    for i in indexes:
        base = f"{prefix}-v{i}-"
        message = {loc: next((v.strip() for n, v in pairs if n == f"{base}message-{loc}"), "")
                   for loc in MESSAGE_LOCALES}
        shown = [v for n, v in pairs if n == f"{base}fields"]
        checks.append(CheckForm(cb.form_from_pairs(pairs, when_prefix(prefix, i), subjects), message, shown))
    return ValidationsForm(checks)


def apply_posted_operation(vf: ValidationsForm, pairs: list[tuple[str, str]], prefix: str,
                           subjects: Sequence[Subject]) -> None:
    """`_op={prefix}:add-check`, `{prefix}:remove-check:N`, or a check's own builder operation
    (`_op={prefix}-v{N}-when:add-clause:0`)."""
    op = cb.operation_for(pairs, prefix)
    if op == "add-check":
        check = CheckForm(cb.ConditionForm())
        cb.apply_operation(check.when, "add-group", subjects)
        vf.checks.append(check)
        vf.focus = f"v{len(vf.checks) - 1}-message-{MESSAGE_LOCALES[0]}"
        return
    if op is not None and op.startswith("remove-check:") and op[len("remove-check:"):].isdigit():
        i = int(op[len("remove-check:"):])
        if i < len(vf.checks):
            del vf.checks[i]
            vf.focus = "add-check"
        return
    for i, check in enumerate(vf.checks):
        inner = cb.operation_for(pairs, when_prefix(prefix, i))
        if inner is not None:
            cb.apply_operation(check.when, inner, subjects)
            vf.focus = f"v{i}-when-{check.when.focus}" if check.when.focus else ""


def build_validations(vf: ValidationsForm, subjects: Sequence[Subject],
                      targets: Sequence[tuple[str, str]]) -> list[dict[str, Any]] | None:
    """The `validations` list, or None with the problems set on the checks."""
    known = {key for key, _label in targets}
    docs = []
    for check in vf.checks:
        check.problems = []
        when = cb.build_condition(check.when, subjects)
        if when is None and not check.when.has_problems:
            check.problems.append(_("Add the condition that must hold."))
        texts = {loc: t for loc, t in check.message.items() if t}
        if not texts:
            check.problems.append(_("Enter the message to show when the check fails."))
        unknown = [k for k in check.fields if k not in known]
        if unknown:
            check.problems.append(_("No such field: %(fields)s") % {"fields": ", ".join(unknown)})
        message: str | dict[str, str] = texts
        if len(set(texts.values())) == 1 and len(texts) == len(MESSAGE_LOCALES):
            message = next(iter(texts.values()))
        doc: dict[str, Any] = {"when": when, "message": message}
        if check.fields:
            doc["fields"] = [k for k, _label in targets if k in check.fields]
        docs.append(doc)
    return None if vf.has_problems else docs


def validations_pairs(vf: ValidationsForm, prefix: str) -> list[tuple[str, str]]:
    """The pairs a browser posts for `vf` as the editor renders it (tests, hidden state)."""
    pairs: list[tuple[str, str]] = []
    for i, check in enumerate(vf.checks):
        base = f"{prefix}-v{i}-"
        pairs += [(f"{base}message-{loc}", check.message.get(loc, "")) for loc in MESSAGE_LOCALES]
        pairs += [(f"{base}fields", k) for k in check.fields]
        pairs += cb.form_pairs(check.when, when_prefix(prefix, i))
    return pairs


def place_problems(vf: ValidationsForm, problems: Iterable[Any], path: str = "validations") -> None:
    """Problems from validating the whole form (`validations[1].when.$gt.total`) on their check."""
    shape = re.compile(re.escape(path) + r"\[(\d+)\]\.?(.*)\Z")
    for problem in problems:
        match = shape.match(problem.path)
        if match and int(match.group(1)) < len(vf.checks):
            rest = match.group(2)
            message = i18n.localized(problem.message)
            vf.checks[int(match.group(1))].problems.append(f"{rest}: {message}" if rest else message)
