"""The cross-field checks editor: validations → editor → posted pairs → validations, adding and
removing checks, problems on their check, and the macro."""
from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest

from builder.validation import validate_form
from runtime.web.condition_subjects import subjects_of
from runtime.web.rendering import make_templates
from runtime.web.validations_editor import (build_validations, place_problems, read_validations,
                                            targets_of, validations_form, validations_pairs)
from tests.support import reading_in

P = "validations"
FORM: dict[str, Any] = {"key": "trip", "version": 1, "title": "Trip", "fields": [
    {"key": "start", "type": "date", "label": {"en": "Start", "zh_CN": "开始日期"}},
    {"key": "end", "type": "date", "label": {"en": "End", "zh_CN": "结束日期"}},
    {"key": "total", "type": "money", "label": "Total"},
    {"key": "intro", "type": "note", "label": "Read me"},
    {"key": "items", "type": "table", "label": "Lines", "columns": [{"key": "amount", "type": "money", "label": "Amount"}]},
]}
CHECKS = [
    {"when": {"$gte": {"end": {"$m": "start"}}}, "message": {"zh_CN": "结束日期不能早于开始日期", "en": "End before start"},
     "fields": ["end"]},
    {"when": {"$or": [{"total": {"$m": "items.amount.sum"}}, {"$nex": {"total": 1}}]}, "message": "Lines must add up",
     "fields": ["total", "items"]},
    {"when": {"$lte": {"total": 100000}}, "message": {"en": "Too much"}},
]


@pytest.fixture(autouse=True)
def english() -> Any:
    with reading_in("en"):
        yield


@pytest.fixture
def subjects() -> list[Any]:
    return subjects_of(FORM, "en")


@pytest.fixture
def targets() -> list[tuple[str, str]]:
    return targets_of(FORM, "en")


def test_messages_may_be_shown_on_the_forms_inputs(targets: list[tuple[str, str]]) -> None:
    assert targets == [("start", "Start"), ("end", "End"), ("total", "Total"), ("items", "Lines")]


def test_round_trip_validations_editor_pairs_validations(subjects: list[Any], targets: list[tuple[str, str]]) -> None:
    assert validate_form({**FORM, "validations": CHECKS}) == []
    vf = validations_form(CHECKS, subjects)
    again, docs = read_validations(validations_pairs(vf, P), P, subjects, targets)
    assert not again.has_problems
    assert docs == CHECKS


def test_no_checks_is_an_empty_list(subjects: list[Any], targets: list[tuple[str, str]]) -> None:
    assert read_validations([], P, subjects, targets) == (validations_form([], subjects), [])


def test_adding_a_check_starts_a_condition_and_asks_for_its_message(subjects: list[Any],
                                                                   targets: list[tuple[str, str]]) -> None:
    vf, docs = read_validations([("_op", f"{P}:add-check")], P, subjects, targets)
    assert docs is None and len(vf.checks) == 1
    assert vf.checks[0].problems == ["Add the condition that must hold.",  # its first clause is not chosen yet
                                     "Enter the message to show when the check fails."]
    assert len(vf.checks[0].when.groups) == 1 and vf.checks[0].when.has_pending and vf.focus == "v0-message-zh_CN"


def test_removing_a_check(subjects: list[Any], targets: list[tuple[str, str]]) -> None:
    pairs = validations_pairs(validations_form(CHECKS, subjects), P) + [("_op", f"{P}:remove-check:1")]
    vf, docs = read_validations(pairs, P, subjects, targets)
    assert docs == [CHECKS[0], CHECKS[2]] and vf.focus == "add-check"


def test_a_checks_builder_operation_goes_to_its_builder(subjects: list[Any], targets: list[tuple[str, str]]) -> None:
    pairs = validations_pairs(validations_form(CHECKS, subjects), P) + [("_op", f"{P}-v2-when:add-clause:0")]
    vf, docs = read_validations(pairs, P, subjects, targets)
    assert [len(g.clauses) for g in vf.checks[2].when.groups] == [2]
    added = vf.checks[2].when.groups[0].clauses[1]
    assert added.subject == "total" and added.pending  # the last clause's subject again, its operator to pick
    assert docs == CHECKS and not added.problem  # it counts for nothing until chosen
    assert vf.checks[2].when.focus == "g0-c1-subject"


def test_problems_are_shown_on_their_check(subjects: list[Any], targets: list[tuple[str, str]]) -> None:
    vf = validations_form(CHECKS, subjects)
    vf.checks[0].message = {"zh_CN": "", "en": ""}
    vf.checks[1].fields = ["total", "gone"]
    vf.checks[2].when.groups[0].clauses[0].value = "lots"
    assert build_validations(vf, subjects, targets) is None
    assert vf.checks[0].problems == ["Enter the message to show when the check fails."]
    assert vf.checks[1].problems == ["No such field: gone"]
    assert vf.checks[2].problems == [] and vf.checks[2].when.groups[0].clauses[0].problem == "“lots” is not a number."
    vf.checks[2].when.groups = []
    build_validations(vf, subjects, targets)
    assert vf.checks[2].problems == ["Add the condition that must hold."]


def test_problems_from_validating_the_form_land_on_their_check(subjects: list[Any]) -> None:
    broken = [CHECKS[0], {**CHECKS[1], "fields": ["nobody"]}]
    vf = validations_form(broken, subjects)
    place_problems(vf, validate_form({**FORM, "validations": broken}))
    assert vf.checks[0].problems == [] and vf.checks[1].problems == ['fields[0]: unknown field "nobody"']


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self.ids: set[str] = set()
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.ids.add(a.get("id", ""))
        if tag == "input" and (a.get("type") not in ("checkbox", "radio") or "checked" in a):
            self.pairs.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select is not None and "selected" in a:
            self.pairs.append((self._select, a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def test_the_rendered_editor_posts_back_its_checks(subjects: list[Any], targets: list[tuple[str, str]]) -> None:
    env = make_templates(strict=True).env
    template = env.from_string('{% from "designer/_validations_editor.html" import validations_editor %}'
                               '{{ validations_editor(vf, "validations", subjects, targets, "/x", "#panel", "#panel") }}')
    page = _Inputs()
    page.feed(template.render(vf=validations_form(CHECKS, subjects), subjects=subjects, targets=targets))
    assert read_validations(page.pairs, P, subjects, targets)[1] == CHECKS
    assert {"validations-v0-when-g0-c0-subject", "validations-v1-remove", "validations-add-check",
            "validations-v2-message-en"} <= page.ids
