"""The condition builder: condition → builder → posted pairs → condition, problems on their clause,
the JSON view, the operations, and conditions in words (en, zh_CN)."""
from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from builder.validation import validate_form
from rules.conditions import validate_condition
from runtime import i18n
from runtime.web.condition_builder import (ConditionForm, Group, Clause, apply_operation,
                                           build_condition, condition_form, form_pairs,
                                           operation_for, place_problems, read_condition)
from runtime.web.condition_subjects import Subject, subjects_of
from runtime.web.condition_words import describe
from runtime.web.rendering import make_templates
from tests.support import reading_in

P = "visible_when"

FORM: dict[str, Any] = {"key": "claim", "title": "Claim", "fields": [
    {"key": "category", "type": "select", "label": {"en": "Category", "zh_CN": "类别"},
     "options": [{"value": "travel", "label": {"en": "Travel", "zh_CN": "差旅"}},
                 {"value": "meal", "label": {"en": "Meal", "zh_CN": "餐费"}},
                 {"value": "other", "label": "<b>Other</b>"}]},
    {"key": "level", "type": "radio", "label": "Level",
     "options": [{"value": "low", "label": "Low"}, {"value": "high", "label": "High"}]},
    {"key": "reason", "type": "text", "label": {"en": "Reason", "zh_CN": "事由"}},
    {"key": "note_text", "type": "textarea", "label": "Note"},
    {"key": "mobile", "type": "phone", "label": "Mobile"},
    {"key": "mail", "type": "email", "label": "Mail"},
    {"key": "total", "type": "money", "label": {"en": "Total", "zh_CN": "合计"}},
    {"key": "limit", "type": "number", "label": "Limit"},
    {"key": "rate", "type": "percent", "label": "Rate"},
    {"key": "urgent", "type": "checkbox", "label": {"en": "Urgent", "zh_CN": "加急"}},
    {"key": "start", "type": "date", "label": "Start"},
    {"key": "end", "type": "date", "label": "End"},
    {"key": "at", "type": "datetime", "label": "Meeting"},
    {"key": "until", "type": "datetime", "label": "Until"},
    {"key": "approver", "type": "user", "label": "Approver"},
    {"key": "dept", "type": "department", "label": "Department"},
    {"key": "tags", "type": "multiselect", "label": "Tags", "options": [{"value": "a", "label": "A"}]},
    {"key": "files", "type": "attachment", "label": "Files"},
    {"key": "items", "type": "table", "label": {"en": "Invoice lines", "zh_CN": "发票明细"}, "columns": [
        {"key": "amount", "type": "money", "label": {"en": "Amount", "zh_CN": "金额"}},
        {"key": "day", "type": "date", "label": "Day"}]},
    {"key": "heading", "type": "section", "label": "Heading"},
    {"key": "number", "type": "serial", "label": "No.", "pattern": "BX-{yyyy}-{seq:6}"},
]}


@pytest.fixture(autouse=True)
def english() -> Any:
    with reading_in("en"):
        yield


@pytest.fixture
def subjects() -> list[Subject]:
    return subjects_of(FORM, "en")


def test_subjects_are_the_fields_and_derived_facts_in_form_order_with_labels(subjects: list[Subject]) -> None:
    names = [s.name for s in subjects]
    assert names[:3] == ["category", "level", "reason"]
    assert "heading" not in names and "number" not in names  # layout and serial hold no value
    assert "items.amount" not in names  # a column has a value per row: its facts stand for it
    at = names.index("items")
    assert names[at:at + 6] == ["items", "items.count", "items.amount.sum", "items.amount.min",
                                "items.amount.max", "items.amount.count"]
    by_name = {s.name: s for s in subjects}
    assert by_name["items.amount.sum"].label == "Invoice lines: Amount (sum)"
    assert by_name["items.amount.sum"].type == "money"
    assert by_name["items.count"].label == "Invoice lines: number of rows"
    assert by_name["category"].options == (("travel", "Travel"), ("meal", "Meal"), ("other", "<b>Other</b>"))
    chinese = {s.name: s for s in subjects_of(FORM, "zh_CN")}
    assert chinese["items.amount.sum"].label == "发票明细：金额（合计）"
    assert chinese["category"].options[0] == ("travel", "差旅")
    assert i18n.current_locale.get() == "en"  # the reader's language is restored


def test_subjects_of_a_malformed_draft_keep_what_can_be_read() -> None:
    doc = {"fields": [{"key": "a", "type": "number"}, "junk", {"type": "text"},
                      {"key": "b", "type": "select", "options": "nope"}]}
    assert [(s.name, s.label, s.options) for s in subjects_of(doc, "en")] == [("a", "a", ()), ("b", "b", ())]
    assert subjects_of(None, "en") == []


@pytest.mark.parametrize(("name", "ops"), [
    ("total", ["$gt", "$gte", "$lt", "$lte", "=", "$ne", "$ex", "$nex", "$gt:field", "$gte:field",
               "$lt:field", "$lte:field", "=:field", "$ne:field"]),
    ("rate", ["$gt", "$gte", "$lt", "$lte", "=", "$ne", "$ex", "$nex", "$gt:field", "$gte:field",
              "$lt:field", "$lte:field", "=:field", "$ne:field"]),
    ("mobile", ["=", "$ne", "$in", "$mt", "$ex", "$nex", "=:field", "$ne:field"]),
    ("category", ["=", "$ne", "$in", "$nin", "$ex", "$nex"]),
    ("urgent", ["ticked", "unticked"]),
    ("start", ["$lt", "$lte", "$gt", "$gte", "=", "$ex", "$nex", "$lt:field", "$lte:field",
               "$gt:field", "$gte:field", "=:field"]),
    ("approver", ["=", "$ne", "$in", "$ex", "$nex"]),
    ("files", ["$ex", "$nex"]),
])
def test_the_operators_follow_the_subjects_type(subjects: list[Subject], name: str, ops: list[str]) -> None:
    one = next(s for s in subjects if s.name == name)
    assert [code for code, _label in one.operators()] == ops


def test_operator_labels_read_by_type(subjects: list[Subject]) -> None:
    labels = {s.name: dict(s.operators()) for s in subjects}
    assert labels["total"]["$gte"] == "≥" and labels["total"]["$gte:field"] == "≥ field…"
    assert labels["start"]["$lt"] == "before" and labels["start"]["$gte"] == "on or after"
    assert labels["category"]["="] == "is" and labels["category"]["$nin"] == "is none of"
    assert labels["urgent"] == {"ticked": "is ticked", "unticked": "is not ticked"}


ROUND_TRIPS = [
    # numbers and money, every operator, and compared with another field
    {"$gt": {"total": 5000}}, {"$gte": {"total": 5000.5}}, {"$lt": {"limit": 3}}, {"$lte": {"limit": -2}},
    {"total": 12.25}, {"$ne": {"limit": 0}}, {"$ex": {"total": 1}}, {"$nex": {"limit": 1}},
    {"$gt": {"total": {"$m": "limit"}}}, {"$gte": {"items.amount.sum": {"$m": "total"}}},
    {"$lt": {"total": {"$m": "limit"}}}, {"$lte": {"total": {"$m": "limit"}}},
    {"total": {"$m": "items.amount.sum"}}, {"$ne": {"total": {"$m": "limit"}}},
    {"$gt": {"items.count": 3}}, {"$ex": {"rate": 1}},
    # text
    {"reason": "Client visit"}, {"$ne": {"note_text": "n/a"}}, {"$in": {"reason": ["a", "b c"]}},
    {"$mt": {"reason": "BX-[0-9]{6}"}}, {"$ex": {"reason": 1}}, {"$nex": {"note_text": 1}},
    {"reason": {"$m": "note_text"}}, {"$ne": {"reason": {"$m": "note_text"}}}, {"$nex": {"mobile": 1}},
    {"$ex": {"mail": 1}},
    # select and radio
    {"category": "travel"}, {"$ne": {"category": "meal"}}, {"$in": {"category": ["travel", "other"]}},
    {"$nin": {"level": ["high"]}}, {"$ex": {"category": 1}}, {"$nex": {"level": 1}}, {"level": "low"},
    # checkbox
    {"urgent": True}, {"urgent": False},
    # dates and moments
    {"$lt": {"start": "2026-12-01"}}, {"$lte": {"start": "2026-12-01"}}, {"$gt": {"end": "2026-01-31"}},
    {"$gte": {"end": "2026-02-28"}}, {"start": "2026-05-04"}, {"$ex": {"end": 1}}, {"$nex": {"start": 1}},
    {"$gte": {"end": {"$m": "start"}}}, {"$lt": {"start": {"$m": "end"}}}, {"end": {"$m": "start"}},
    {"$lte": {"start": {"$m": "end"}}}, {"$gt": {"end": {"$m": "start"}}},
    {"$lte": {"items.day.max": "2026-12-31"}}, {"$gte": {"at": "2026-12-01T09:30:00"}},
    {"$lt": {"at": "2026-12-01T00:00:00"}}, {"$lte": {"at": "2026-12-01T23:59:59"}},
    {"$gt": {"until": "2027-01-01T08:00:00"}}, {"at": "2026-06-01T12:00:00"}, {"$ex": {"at": 1}},
    {"$nex": {"until": 1}}, {"$lt": {"at": {"$m": "until"}}}, {"$lte": {"at": {"$m": "until"}}},
    {"$gt": {"until": {"$m": "at"}}}, {"$gte": {"until": {"$m": "at"}}}, {"at": {"$m": "until"}},
    # people and departments
    {"approver": "li.na"}, {"$ne": {"dept": "finance"}}, {"$in": {"approver": ["li.na", "zhang.wei"]}},
    {"$ex": {"dept": 1}}, {"$nex": {"approver": 1}},
    # what holds no comparable value
    {"$ex": {"files": 1}}, {"$nex": {"tags": 1}}, {"$ex": {"items": 1}},
    # groups
    {"$and": [{"category": "travel"}, {"$gte": {"total": 5000}}]},
    {"$or": [{"category": "travel"}, {"urgent": True}, {"$gt": {"items.count": 10}}]},
    {"$or": [{"$and": [{"category": "travel"}, {"$gte": {"total": 5000}}]}, {"urgent": True}]},
    {"$and": [{"category": "meal"}, {"$or": [{"$gte": {"total": 300}}, {"$gt": {"items.count": 2}}]}]},
    {"$and": [{"$or": [{"level": "high"}, {"urgent": True}]}, {"$or": [{"$gt": {"total": 1}}, {"$ex": {"reason": 1}}]}]},
]


@pytest.mark.parametrize("cond", ROUND_TRIPS, ids=lambda c: str(c)[:60])
def test_round_trip_condition_builder_pairs_condition(subjects: list[Subject], cond: dict[str, Any]) -> None:
    assert validate_condition(cond, {s.name: s.type for s in subjects}) == []
    cf = condition_form(cond, subjects)
    assert cf.mode == "builder"
    again, read = read_condition(form_pairs(cf, P), P, subjects)
    assert not again.has_problems, again
    assert read == cond


def test_every_operator_of_every_subject_is_round_tripped(subjects: list[Subject]) -> None:
    covered = {(s.name, c.op) for cond in ROUND_TRIPS
               for g in condition_form(cond, subjects).groups for c in g.clauses
               for s in subjects if s.name == c.subject}
    kinds = {(next(s.kind for s in subjects if s.name == name), op) for name, op in covered}
    wanted = {(s.kind, op) for s in subjects for op in s.ops
              if s.type not in ("percent", "phone", "email")}  # rules/ compares these once ff-types lands
    assert wanted <= kinds


def _pairs(*clauses: tuple[int, int, str, str, str | list[str]], join: str = "and") -> list[tuple[str, str]]:
    pairs = [(f"{P}-mode", "builder"), (f"{P}-join", join)]
    for g, c, name, op, value in clauses:
        base = f"{P}-g{g}-c{c}-"
        pairs += [(base + "subject", name), (base + "was", name), (base + "op", op)]
        pairs += [(base + "value", v) for v in (value if isinstance(value, list) else [value])]
    return pairs


@pytest.mark.parametrize(("name", "op", "typed", "value"), [
    ("total", "$gte", "¥5,000.50", 5000.5), ("total", "$gt", " 8，000 ", 8000), ("rate", "$lt", "12.5%", 12.5),
    ("limit", "=", "300元", 300), ("start", "$lt", "2026/12/1", "2026-12-01"),
    ("start", "=", "2026年5月4日", "2026-05-04"), ("at", "$gte", "2026-12-01T09:30", "2026-12-01T09:30:00"),
    ("at", "$lt", "2026/12/1 9:05", "2026-12-01T09:05:00"),
])
def test_values_are_read_by_the_subjects_type(subjects: list[Subject], name: str, op: str, typed: str,
                                              value: Any) -> None:
    cf = read_condition(_pairs((0, 0, name, op, typed)), P, [s for s in subjects if s.name != "rate"]
                        + [Subject("rate", "Rate", "number")])[0]
    assert build_condition(cf, [s for s in subjects if s.name != "rate"] + [Subject("rate", "Rate", "number")]) \
        == ({name: value} if op == "=" else {op: {name: value}})


def test_text_lists_are_split_on_commas_of_either_width(subjects: list[Subject]) -> None:
    _cf, cond = read_condition(_pairs((0, 0, "approver", "$in", "li.na， zhang.wei、 wang.fang")), P, subjects)
    assert cond == {"$in": {"approver": ["li.na", "zhang.wei", "wang.fang"]}}


def test_problems_sit_on_the_clause_they_concern(subjects: list[Subject]) -> None:
    pairs = _pairs((0, 0, "category", "=", "travel"), (0, 1, "total", "$gte", "lots"),
                   (1, 0, "category", "=", "cruise"), (1, 1, "reason", "$mt", "^a"),
                   (1, 2, "start", "$lt", "2026-02-30"), (2, 0, "level", "$in", []),
                   (2, 1, "total", "$gt:field", "reason"), (2, 2, "limit", "=", ""), join="or")
    cf, cond = read_condition(pairs, P, subjects)
    assert cond is None and cf.has_problems
    problems = [[c.problem for c in g.clauses] for g in cf.groups]
    assert problems[0][0] == ""
    assert problems[0][1] == "“lots” is not a number."
    assert "not an option" in problems[1][0]
    assert "unsupported pattern" in problems[1][1]
    assert problems[1][2] == "“2026-02-30” is not a date (YYYY-MM-DD)."
    assert problems[2] == ["Tick at least one value.", "Choose the field to compare with.", "Enter a value."]
    assert cf.problems == []


def test_a_problem_of_a_single_clause_is_placed_on_it(subjects: list[Subject]) -> None:
    cf, cond = read_condition(_pairs((0, 0, "category", "$ne", "cruise")), P, subjects)
    assert cond is None and "not an option" in cf.groups[0].clauses[0].problem


def test_problems_from_saving_the_form_land_on_their_clause(subjects: list[Subject]) -> None:
    cond = {"$or": [{"urgent": True}, {"$and": [{"category": "travel"}, {"$mt": {"reason": "^A"}}]}]}
    doc = {**FORM, "version": 1, "fields": [*FORM["fields"], {"key": "extra", "type": "text", "visible_when": cond}]}
    cf = condition_form(cond, subjects)
    place_problems(cf, validate_form(doc), f"fields[{len(FORM['fields'])}].visible_when")
    assert [[c.problem for c in g.clauses] for g in cf.groups] == [
        [""], ["", 'unsupported pattern: "^" is not supported; a pattern always matches the whole value']]
    json_view = ConditionForm(mode="json", json="{}")
    place_problems(json_view, validate_form(doc), f"fields[{len(FORM['fields'])}].visible_when")
    assert json_view.problems == ['$or[1].$and[1].$mt.reason: unsupported pattern: "^" is not supported; '
                                  'a pattern always matches the whole value']


def test_an_unknown_subject_asks_for_a_field_and_changes_nothing_else(subjects: list[Subject]) -> None:
    cf, cond = read_condition(_pairs((0, 0, "gone", "=", "x"), (0, 1, "urgent", "ticked", "")), P, subjects)
    assert cond is None
    assert [c.problem for c in cf.groups[0].clauses] == ["Choose a field.", ""]


def test_changing_the_subject_starts_from_its_first_operator(subjects: list[Subject]) -> None:
    pairs = [(f"{P}-g0-c0-subject", "category"), (f"{P}-g0-c0-was", "total"),
             (f"{P}-g0-c0-op", "$gte"), (f"{P}-g0-c0-value", "5000")]
    cf, cond = read_condition(pairs, P, subjects)
    assert (cf.groups[0].clauses[0].op, cf.groups[0].clauses[0].value) == ("=", "travel")
    assert cond == {"category": "travel"}
    urgent = read_condition([(f"{P}-g0-c0-subject", "urgent"), (f"{P}-g0-c0-op", "$gte")], P, subjects)[1]
    assert urgent == {"urgent": True}  # an operator the subject lacks is replaced by its first


def test_an_empty_builder_is_no_condition(subjects: list[Subject]) -> None:
    cf, cond = read_condition([(f"{P}-mode", "builder"), (f"{P}-join", "and")], P, subjects)
    assert cond is None and not cf.has_problems and cf.is_empty
    assert condition_form(None, subjects) == ConditionForm()


@pytest.mark.parametrize("cond", [
    {"$and": [{"$or": [{"$and": [{"category": "travel"}, {"urgent": True}]}, {"level": "low"}]}, {"urgent": False}]},
    {"$gt": {"unknown": 1}},
    {"category": "cruise"},
    {"$in": {"reason": ["a, b"]}},
    {"$ne": {"urgent": True}},
    {"total": "5000"},
    {"$ex": {"total": 2}},
    {"$or": []},
])
def test_what_the_builder_cannot_show_falls_back_to_json(subjects: list[Subject], cond: dict[str, Any]) -> None:
    cf = condition_form(cond, subjects)
    assert cf.mode == "json" and cf.groups == []
    assert cf.json.startswith("{\n")
    again, read = read_condition(form_pairs(cf, P), P, subjects)
    assert again.mode == "json"
    if validate_condition(cond, {s.name: s.type for s in subjects},
                          options={s.name: s.option_values() for s in subjects if s.options}):
        assert read is None and again.problems
    else:
        assert read == cond and not again.problems


def test_the_json_view_reports_syntax_and_meaning(subjects: list[Subject]) -> None:
    bad = [(f"{P}-mode", "json"), (f"{P}-json", '{"$gt": {"total": }')]
    cf, cond = read_condition(bad, P, subjects)
    assert cond is None and cf.problems[0].startswith("The condition is not valid JSON")
    cf, cond = read_condition([(f"{P}-mode", "json"), (f"{P}-json", '{"$gt": {"nobody": 1}}')], P, subjects)
    assert cond is None and cf.problems == ['$gt.nobody: unknown field "nobody"']
    cf, cond = read_condition([(f"{P}-mode", "json"), (f"{P}-json", "  ")], P, subjects)
    assert cond is None and not cf.has_problems


def _form(subjects: list[Subject], cond: dict[str, Any]) -> ConditionForm:
    return condition_form(cond, subjects)


def test_operations_add_and_remove_clauses_and_groups(subjects: list[Subject]) -> None:
    cf = ConditionForm()
    apply_operation(cf, "add-group", subjects)
    assert cf.groups == [Group("and", [Clause("", "")])] and cf.focus == "g0-c0-subject"
    assert build_condition(cf, subjects) is None and not cf.has_problems  # nothing chosen: counts for nothing
    cf.groups[0].clauses[0] = Clause("category", "=", "travel")
    apply_operation(cf, "add-clause:0", subjects)
    assert cf.groups[0].clauses[1] == Clause("category", "")  # on the last one's field, its operator to pick
    assert build_condition(cf, subjects) == {"category": "travel"} and not cf.has_problems
    cf.groups[0].clauses[1] = Clause("category", "=", "travel")
    apply_operation(cf, "add-group", subjects)
    cf.groups[1].clauses[0] = Clause("category", "=", "travel")
    apply_operation(cf, "group-join:0:or", subjects)
    apply_operation(cf, "join:or", subjects)
    assert [len(g.clauses) for g in cf.groups] == [2, 1] and cf.groups[0].join == "or" and cf.join == "or"
    assert build_condition(cf, subjects) == {"$or": [{"$or": [{"category": "travel"}, {"category": "travel"}]},
                                                     {"category": "travel"}]}
    apply_operation(cf, "remove-clause:0:1", subjects)
    assert cf.focus == "g0-add-clause"
    apply_operation(cf, "remove-group:1", subjects)
    assert cf.groups == [Group("or", [Clause("category", "=", "travel")])] and cf.focus == "add-group"
    apply_operation(cf, "remove-clause:0:0", subjects)
    assert cf.groups == [] and build_condition(cf, subjects) is None


@pytest.mark.parametrize("op", ["remove-group:5", "add-clause:x", "remove-clause:0:9", "join:xor",
                                "group-join:0:nand", "mode:yaml", "explode", "remove-clause:0"])
def test_operations_that_do_not_fit_change_nothing(subjects: list[Subject], op: str) -> None:
    cf = _form(subjects, {"$and": [{"category": "travel"}, {"urgent": True}]})
    before = form_pairs(cf, P)
    apply_operation(cf, op, subjects)
    assert form_pairs(cf, P) == before


def test_switching_to_json_and_back(subjects: list[Subject]) -> None:
    cond = {"$and": [{"category": "travel"}, {"$gte": {"total": 5000}}]}
    cf = _form(subjects, cond)
    apply_operation(cf, "mode:json", subjects)
    assert cf.mode == "json" and read_condition(form_pairs(cf, P), P, subjects)[1] == cond
    apply_operation(cf, "mode:builder", subjects)
    assert cf.mode == "builder" and build_condition(cf, subjects) == cond


def test_json_the_builder_cannot_show_stays_json_with_a_problem(subjects: list[Subject]) -> None:
    deep = '{"$and": [{"$or": [{"$and": [{"urgent": true}, {"level": "low"}]}, {"level": "high"}]}, {"urgent": false}]}'
    cf = ConditionForm(mode="json", json=deep)
    apply_operation(cf, "mode:builder", subjects)
    assert cf.mode == "json" and cf.problems == ["The builder cannot show this condition; keep editing it as JSON."]


def test_switching_to_json_waits_for_the_marked_clauses(subjects: list[Subject]) -> None:
    cf = read_condition(_pairs((0, 0, "total", "$gt", "lots")), P, subjects)[0]
    apply_operation(cf, "mode:json", subjects)
    assert cf.mode == "builder" and cf.problems == ["Fix the marked conditions before switching to JSON."]


def test_the_operation_is_read_from_the_posted_button() -> None:
    pairs = [("_op", "required_when:add-group"), ("_op", f"{P}:remove-clause:0:1")]
    assert operation_for(pairs, P) == "remove-clause:0:1"
    assert operation_for(pairs, "required_when") == "add-group"
    assert operation_for(pairs, "other") is None


def test_describe_in_english(subjects: list[Subject]) -> None:
    cond = {"$and": [{"category": "travel"}, {"$gte": {"total": 5000}},
                     {"$or": [{"urgent": True}, {"$lt": {"start": {"$m": "end"}}}]}]}
    assert describe(cond, subjects, "en") == \
        "Category is Travel and Total ≥ 5,000 and (Urgent is ticked or Start before End)"
    assert describe({"$in": {"reason": ["a", "b"]}}, subjects, "en") == "Reason is one of “a”, “b”"
    assert describe({"$nex": {"items.amount.sum": 1}}, subjects, "en") == "Invoice lines: Amount (sum) is empty"
    assert describe({"$gt": {"gone": 3}}, subjects, "en") == "gone > 3"
    assert describe({"$and": "x"}, subjects, "en") == '{"$and": "x"}'
    assert describe(None, subjects, "en") == ""


def test_describe_in_chinese() -> None:
    chinese = subjects_of(FORM, "zh_CN")
    cond = {"$and": [{"category": "travel"}, {"$gte": {"total": 5000}}, {"$or": [{"urgent": True},
                                                                                  {"$nex": {"reason": 1}}]}]}
    assert describe(cond, chinese, "zh_CN") == "类别 为 差旅 且 合计 ≥ 5,000 且 (加急 已勾选 或 事由 为空)"
    assert describe({"$lt": {"start": "2026-12-01"}}, chinese, "zh_CN") == "Start 早于 2026-12-01"


# ---------------------------------------------------------------- the macro


class _Controls(HTMLParser):
    """The pairs a browser would post from the rendered builder, and every control's attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self.controls: dict[str, dict[str, str]] = {}
        self.buttons: list[str] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.controls[a["id"]] = {"tag": tag, **a}
        if tag == "button":
            self.buttons.append(a.get("value", ""))
        elif tag == "input" and (a.get("type") not in ("checkbox", "radio") or "checked" in a):
            self.pairs.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select is not None and "selected" in a:
            self.pairs.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.pairs.append((a["name"], ""))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            name, text = self.pairs[-1]
            self.pairs[-1] = (name, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _render(cf: ConditionForm, subjects: list[Subject]) -> _Controls:
    env = make_templates(strict=True).env
    template = env.from_string('{% from "designer/_condition_builder.html" import condition_builder %}'
                               '{{ condition_builder(cf, prefix, subjects, "/designer/forms/claim/field", '
                               '"#panel", "#panel") }}')
    parsed = _Controls()
    parsed.feed(template.render(cf=cf, prefix=P, subjects=subjects))
    return parsed


def test_the_rendered_builder_posts_back_its_condition(subjects: list[Subject]) -> None:
    cond = {"$or": [{"$and": [{"$in": {"category": ["travel", "other"]}}, {"$gte": {"total": 5000}}]},
                    {"$and": [{"urgent": True}, {"$lt": {"start": {"$m": "end"}}}, {"$mt": {"reason": "A[0-9]+"}},
                              {"$gte": {"at": "2026-12-01T09:30:00"}}, {"$in": {"approver": ["li.na", "wu.qiang"]}}]}]}
    page = _render(condition_form(cond, subjects), subjects)
    assert read_condition(page.pairs, P, subjects)[1] == cond
    assert {f"{P}:add-clause:0", f"{P}:add-clause:1", f"{P}:remove-clause:1:4", f"{P}:add-group",
            f"{P}:remove-group:1", f"{P}:join:and", f"{P}:join:or", f"{P}:group-join:1:or",
            f"{P}:mode:json"} <= set(page.buttons)
    value = page.controls[f"{P}-g0-c1-value"]
    assert value["hx-post"] == "/designer/forms/claim/field" and value["hx-include"] == "#panel"
    assert page.controls[f"{P}-g1-c0-op"]["tag"] == "select"
    assert page.controls[f"{P}-g1-c1-value"]["tag"] == "select"  # compared with a field: pick the field
    assert page.controls[f"{P}-g0-c0-value"]["tag"] == "fieldset"  # options: tick them
    assert page.controls[f"{P}-g1-c3-value"]["type"] == "datetime-local"
    assert page.controls[f"{P}-g0-c0-value-2"]["value"] == "other"


def test_the_rendered_builder_marks_the_clause_with_its_problem(subjects: list[Subject]) -> None:
    cf, _cond = read_condition(_pairs((0, 0, "urgent", "ticked", ""), (0, 1, "total", "$gt", "lots")), P, subjects)
    page = _render(cf, subjects)
    value = page.controls[f"{P}-g0-c1-value"]
    assert value["aria-invalid"] == "true" and value["aria-describedby"] == f"{P}-g0-c1-problem"
    assert page.controls[f"{P}-g0-c1-problem"]["role"] == "alert"
    assert f"{P}-g0-c0-problem" not in page.controls


def test_the_rendered_json_view_and_its_problems(subjects: list[Subject]) -> None:
    cf, _cond = read_condition([(f"{P}-mode", "json"), (f"{P}-json", '{"$gt": {"nobody": 1}}')], P, subjects)
    page = _render(cf, subjects)
    assert dict(page.pairs)[f"{P}-json"] == '{"$gt": {"nobody": 1}}'
    assert page.controls[f"{P}-json"]["aria-invalid"] == "true"
    assert f"{P}:mode:builder" in page.buttons and f"{P}-problems" in page.controls


# ---------------------------------------------------------------- nothing posted can break it

_NAMES = st.sampled_from([f"{P}-mode", f"{P}-join", f"{P}-json", f"{P}-g0-join", f"{P}-g1-join",
                          f"{P}-g0-c0-subject", f"{P}-g0-c0-op", f"{P}-g0-c0-value", f"{P}-g0-c0-was",
                          f"{P}-g1-c3-subject", f"{P}-g1-c3-op", f"{P}-g1-c3-value", f"{P}-g99-c0-subject", "_op"])
_TEXTS = st.one_of(st.text(max_size=30), st.sampled_from(
    ["builder", "json", "and", "or", "category", "total", "urgent", "start", "at", "items.amount.sum",
     "$gt", "$in", "$mt", "=:field", "$gt:field", "ticked", "$ex", "travel", "5,000", "2026-13-01",
     '{"$and": [{"total": 1}]}', '{"$or": 3}', "[1]", f"{P}:add-clause:0", f"{P}:mode:builder",
     f"{P}:remove-clause:1:3", f"{P}:mode:json", f"{P}:group-join:0:or"]))
_JSON = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                               st.text(max_size=8), st.sampled_from(["total", "category", "$m"])),
                     lambda inner: st.one_of(st.lists(inner, max_size=3),
                                             st.dictionaries(st.sampled_from(["$and", "$or", "$gt", "$in", "$ex", "$m",
                                                                              "total", "category", "urgent", "at"]),
                                                             inner, max_size=2)), max_leaves=10)


@settings(max_examples=120, deadline=None)
@given(pairs=st.lists(st.tuples(_NAMES, _TEXTS), max_size=14))
def test_any_posted_pairs_give_a_form_never_an_exception(pairs: list[tuple[str, str]]) -> None:
    subjects = subjects_of(FORM, "en")
    cf, cond = read_condition(pairs, P, subjects)
    op = operation_for(pairs, P)
    if op:
        apply_operation(cf, op, subjects)
        cond = build_condition(cf, subjects)
    assert cond is None or validate_condition(cond, {s.name: s.type for s in subjects}) == []
    _render(cf, subjects)


@settings(max_examples=120, deadline=None)
@given(cond=_JSON)
@example(cond={"$and": [{"urgent": False}]})  # written back as {"urgent": false}: the same condition
def test_any_json_gives_a_builder_and_words_never_an_exception(cond: Any) -> None:
    subjects = subjects_of(FORM, "en")
    if not isinstance(cond, dict):
        cond = {"$and": [cond]}
    cf = condition_form(cond, subjects)
    read = read_condition(form_pairs(cf, P), P, subjects)[1]
    types = {s.name: s.type for s in subjects}
    options = {s.name: s.option_values() for s in subjects if s.options}
    assert read == _single_unwrapped(cond) if not validate_condition(cond, types, options=options) else read is None
    assert isinstance(describe(cond, subjects, "zh_CN"), str)


def _single_unwrapped(cond: Any) -> Any:
    """`cond` as the builder writes it back: an AND or OR of one condition is that condition."""
    while isinstance(cond, dict) and len(cond) == 1 and set(cond) <= {"$and", "$or"} \
            and isinstance(cond.get("$and", cond.get("$or")), list) and len(cond.get("$and", cond.get("$or"))) == 1:
        cond = cond.get("$and", cond.get("$or"))[0]
    return cond


@pytest.mark.parametrize(("value", "shown"), [(1e25, "10000000000000000000000000"), (float("inf"), "∞"),
                                              (5000.5, "5,000.5")])
def test_numbers_beyond_grouping_still_read(subjects: list[Subject], value: float, shown: str) -> None:
    assert describe({"total": value}, subjects, "en") == f"Total = {shown}"
