"""Decision tables as data: exact round trips and every validation problem with its JSON path."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from builder.forms import Form
from rules.errors import DefinitionError, Problem
from rules.ruleset import Column, Row, Ruleset, parse_ruleset, validate_ruleset

DEMO = json.loads((Path(__file__).parents[2] / "demo" / "processes" / "expense.json").read_text("utf-8"))
DEMO_RULESET = DEMO["rulesets"][0]
DEMO_TYPES = Form.from_dict(DEMO["form"]).field_types()


def tier_table(**changes):
    doc = {
        "key": "tier",
        "version": 1,
        "hit_policy": "first",
        "inputs": [{"key": "total", "type": "money"}, {"key": "category", "type": "select",
                                                       "options": ["travel", "office"]}],
        "outputs": [{"key": "tier", "type": "select", "options": ["none", "vp", "gm"]},
                    {"key": "days", "type": "number"}],
        "rows": [{"when": {"$gt": {"total": 50000}}, "then": {"tier": "gm"}},
                 {"when": {"category": "travel"}, "then": {"tier": "vp", "days": 3}}],
        "default": {"tier": "none"},
    }
    doc.update(changes)
    return doc


def messages(doc, field_types=None, path=""):
    return [str(p) for p in validate_ruleset(doc, field_types, path)]


# ---------------------------------------------------------------- round trips


def test_the_demo_ruleset_is_valid_against_its_form_and_round_trips_exactly():
    assert validate_ruleset(DEMO_RULESET, DEMO_TYPES, "rulesets[0]") == []
    ruleset = parse_ruleset(DEMO_RULESET, DEMO_TYPES)
    assert ruleset.ref == "expense-approval-tier@1"
    assert ruleset.inputs == (Column("total", "money"),)
    assert ruleset.outputs == (Column("tier", "select", ("none", "vp", "gm")),)
    assert ruleset.rows[0] == Row(when={"$gt": {"total": 50000}}, then={"tier": "gm"},
                                  note=DEMO_RULESET["rows"][0]["note"])
    assert ruleset.to_dict() == DEMO_RULESET
    assert Ruleset.from_dict(ruleset.to_dict()) == ruleset
    assert json.dumps(ruleset.to_dict(), sort_keys=True) == json.dumps(DEMO_RULESET, sort_keys=True)


def test_optional_keys_that_were_absent_stay_absent():
    doc = {"key": "k", "version": 2, "hit_policy": "collect",
           "outputs": [{"key": "role", "type": "text"}],
           "rows": [{"when": {"$nex": {"x": 1}}, "then": {"role": "legal"}}]}
    doc["inputs"] = [{"key": "x", "type": "text", "label": {"en": "X", "zh_CN": "叉"}}]
    ruleset = Ruleset.from_dict(doc)
    assert ruleset.to_dict() == doc
    assert ruleset.default == {} and ruleset.title == "" and ruleset.description == ""
    assert "default" not in ruleset.to_dict() and "title" not in ruleset.to_dict()


def test_from_dict_does_not_alias_the_document():
    doc = tier_table()
    ruleset = Ruleset.from_dict(doc)
    doc["rows"][0]["when"]["$gt"]["total"] = 1
    doc["default"]["tier"] = "gm"
    assert ruleset.rows[0].when == {"$gt": {"total": 50000}}
    assert ruleset.default == {"tier": "none"}
    out = ruleset.to_dict()
    out["rows"][0]["then"]["tier"] = "none"
    assert ruleset.rows[0].then == {"tier": "gm"}


def test_parse_ruleset_raises_with_every_problem():
    with pytest.raises(DefinitionError, match='unknown hit policy "any"') as caught:
        parse_ruleset(tier_table(hit_policy="any", version=0))
    assert caught.value.problems == [
        Problem("version", "must be a positive integer, got 0"),
        Problem("hit_policy", 'unknown hit policy "any"; use first, unique or collect'),
    ]


# ---------------------------------------------------------------- validation


def test_a_valid_table_has_no_problems():
    assert messages(tier_table()) == []
    assert messages(tier_table(), {"total": "money", "category": "radio", "reason": "text"}) == []


def test_row_problems_carry_the_path_prefix():
    doc = tier_table(rows=[
        {"when": {"category": "travel"}, "then": {"tier": "vp"}},
        {"when": {"$gt": {"totl": 5}}, "then": {"tier": "gm"}},
        {"when": {"$between": {"total": [1, 2]}}, "then": {"tier": "gm"}},
        {"when": {"$gt": {"total": "50000"}}, "then": {"tier": "ceo"}},
        {"when": {"category": "trvel"}, "then": {"tierr": "gm", "days": "3"}},
    ])
    assert messages(doc, path="rulesets[0]") == [
        'rulesets[0].rows[1].when.$gt.totl: unknown field "totl"',
        'rulesets[0].rows[2].when: unknown operator "$between"',
        'rulesets[0].rows[3].when.$gt.total: money field "total": expected a number, got "50000"',
        'rulesets[0].rows[3].then.tier: "ceo" is not one of none, vp, gm',
        'rulesets[0].rows[4].when.category: "trvel" is not an option of "category" (travel, office)',
        'rulesets[0].rows[4].then.tierr: unknown output "tierr"',
        'rulesets[0].rows[4].then.days: expected a number, got "3"',
    ]


def test_inputs_must_be_form_fields_of_a_compatible_type():
    doc = tier_table(inputs=[{"key": "totl", "type": "money"},
                             {"key": "category", "type": "select", "options": ["travel", "office"]}])
    assert messages(doc, DEMO_TYPES, "rulesets[0]") == [
        'rulesets[0].inputs[0].key: unknown form field "totl"',
        'rulesets[0].rows[0].when.$gt.total: unknown field "total"',
    ]
    doc = tier_table()
    assert messages(doc, {"total": "text", "category": "select"}) == [
        'inputs[0].type: input "total" is money but form field "total" is text']
    assert messages(doc, {"total": "number", "category": "text"}) == []


def test_document_level_problems():
    assert messages("nope") == ["a ruleset must be an object, got string"]
    assert messages({}, path="rulesets[3]") == [
        "rulesets[3].key: missing",
        "rulesets[3].version: missing",
        "rulesets[3].outputs: missing",
        "rulesets[3].rows: missing",
    ]
    doc = tier_table(key="bad key@", version="1", title=5, colour="red")
    assert messages(doc) == [
        "colour: unknown key",
        """key: invalid key "bad key@": use letters, digits, '-', '_' or '.' (at most 80)""",
        'version: must be a positive integer, got "1"',
        "title: must be text or an object of locale → text",
    ]
    assert messages(tier_table(version=True)) == ["version: must be a positive integer, got true"]
    assert messages(tier_table(rows="x", outputs=[])) == [
        "outputs: at least one output is required", "rows: must be a list, got string",
        'default.tier: unknown output "tier"']


def test_column_problems():
    doc = tier_table(
        inputs=[{"key": "total", "type": "money"}, {"key": "total", "type": "number"},
                {"key": "id", "type": "text"}, {"key": "when", "type": "table"},
                {"type": "text", "options": ["a"]}, {"key": "a", "type": "text"},
                {"key": "a.b", "type": "text"}, "x", {"key": "category", "type": "select", "options": [""]}],
        outputs=[{"key": "tier", "type": "text"}, {"key": "tier", "type": "text"},
                 {"key": "s", "type": "select"}, {"key": "n", "type": "number", "size": 3}],
        rows=[{"when": {"$gt": {"total": 1}}, "then": {"tier": "x"}}], default={})
    assert messages(doc) == [
        'inputs[1].key: duplicate input "total"',
        'inputs[2].key: "id" is reserved; choose another key',
        ('inputs[3].type: unsupported type "table"; use one of number, money, percent, text, textarea, '
        "select, radio, user, department, phone, email, date, datetime, checkbox"),
        "inputs[4].key: missing",
        "inputs[4].options: options only apply to select and radio",
        'inputs[6].key: "a.b" and "a" overlap; an input cannot hold another',
        "inputs[7]: must be an object, got string",
        "inputs[8].options: must be a list of non-empty strings",
        'outputs[1].key: duplicate output "tier"',
        "outputs[2].options: a select output needs options",
        "outputs[3].size: unknown key",
    ]


def test_row_and_default_shapes():
    doc = tier_table(rows=[
        "x",
        {"then": {"tier": "gm"}, "why": 1},
        {"when": {"category": "travel"}, "then": {}},
        {"when": {"category": "travel"}, "then": ["gm"], "note": 7},
    ], default={"tier": 1})
    assert messages(doc) == [
        "rows[0]: a row must be an object, got string",
        "rows[1].why: unknown key",
        "rows[1].when: missing",
        "rows[2].then: must set at least one output",
        "rows[3].then: must be an object of output values, got array",
        "rows[3].note: must be text or an object of locale → text",
        'default.tier: expected a string, got 1',
    ]


def test_at_most_200_rows():
    rows = [{"when": {"$gt": {"total": i}}, "then": {"tier": "vp"}} for i in range(250)]
    assert messages(tier_table(rows=rows), path="rulesets[0]") == [
        "rulesets[0].rows: 250 rows; at most 200 are allowed"]
    assert messages(tier_table(rows=rows[:200])) == []


def test_at_most_50_inputs():
    inputs = [{"key": f"f{i}", "type": "number"} for i in range(51)]
    doc = tier_table(inputs=inputs, rows=[{"when": {"f1": 1}, "then": {"tier": "vp"}}])
    assert messages(doc) == ["inputs: 51 inputs; at most 50 are allowed"]


def test_rows_that_could_not_run_are_too_complex():
    ors = {"$or": [{"$gt": {"total": i}} for i in range(33)]}
    doc = tier_table(rows=[{"when": ors, "then": {"tier": "vp"}}])
    assert messages(doc) == [
        "rows[0].when: too complex: 33 alternatives ($or branches); at most 32 are allowed"]
    many = {"$in": {"total": list(range(40))}}
    doc = tier_table(rows=[{"when": {"$and": [many, many]}, "then": {"tier": "vp"}}])
    assert messages(doc) == [("rows[0].when: too complex: expands to 1600 combinations of $or and $in; "
                             "at most 1000 are allowed")]
    doc = tier_table(rows=[{"when": {"$and": [many, {"$or": [{"category": "travel"}] * 4}]},
                            "then": {"tier": "vp"}}])
    assert messages(doc) == []


def test_output_values_follow_their_types():
    doc = tier_table(outputs=[
        {"key": "tier", "type": "select", "options": ["vp"]}, {"key": "due", "type": "date"},
        {"key": "fast", "type": "checkbox"}, {"key": "at", "type": "datetime"}],
        rows=[{"when": {"category": "travel"},
               "then": {"tier": "vp", "due": "2026-13-01", "fast": "yes", "at": "2026-01-01"}}],
        default={"due": "2026-12-01", "fast": False, "at": "2026-01-01T08:00:00"})
    assert messages(doc) == [
        'rows[0].then.due: expected a date "YYYY-MM-DD", got "2026-13-01"',
        'rows[0].then.fast: expected true or false, got "yes"',
        'rows[0].then.at: expected "YYYY-MM-DDTHH:MM:SS", got "2026-01-01"',
    ]


def test_validation_does_not_mutate_the_document():
    doc = tier_table()
    before = copy.deepcopy(doc)
    validate_ruleset(doc, DEMO_TYPES)
    assert doc == before
