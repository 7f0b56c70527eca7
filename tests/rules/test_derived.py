"""Derived facts (a table column's sum, min, max, count) and comparisons between two fields, in the
condition language, in both evaluators, and durable-rules agreeing with the reference on them."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.conditions import condition_fields, matches, validate_condition
from rules.derived import condition_types, derive, derived_types, facts_for
from rules.errors import RuleError
from rules.evaluation import coerce_inputs
from rules.ruleset import Ruleset, parse_ruleset, validate_ruleset
from tests.rules.evaluators import assert_same_decisions

FORM_TYPES = {
    "total": "money",
    "claimed": "money",
    "start_date": "date",
    "end_date": "date",
    "items": "table",
    "items.amount": "money",
    "items.qty": "number",
    "items.day": "date",
    "items.note": "text",
}
ITEMS = [{"amount": 0.1, "qty": 2, "day": "2026-03-02"},
         {"amount": 0.2, "qty": 1, "day": "2026-03-01", "note": "x"},
         {"note": "no amount"}]


# ---------------------------------------------------------------- the facts


def test_a_form_offers_the_derived_facts_of_its_table_columns():
    assert derived_types(FORM_TYPES) == {
        "items.count": "number",
        "items.amount.sum": "money", "items.amount.min": "money", "items.amount.max": "money",
        "items.amount.count": "number",
        "items.qty.sum": "number", "items.qty.min": "number", "items.qty.max": "number",
        "items.qty.count": "number",
        "items.day.min": "date", "items.day.max": "date", "items.day.count": "number",
        "items.note.count": "number",
    }


def test_conditions_see_derived_facts_instead_of_columns():
    types = condition_types(FORM_TYPES)
    assert "items.amount" not in types and types["items.amount.sum"] == "money"
    assert types["items"] == "table" and types["total"] == "money"
    assert condition_types(types) == types
    assert condition_types({"total": "money", "who.level": "number"}) == {
        "total": "money", "who.level": "number"}


def test_facts_are_exact_decimal_arithmetic():
    facts = facts_for(FORM_TYPES, {"items": ITEMS, "total": 0.3})
    assert facts["items.amount.sum"] == 0.3  # not 0.30000000000000004
    assert facts["items.count"] == 3
    assert facts["items.amount.count"] == 2
    assert (facts["items.amount.min"], facts["items.amount.max"]) == (0.1, 0.2)
    assert facts["items.qty.sum"] == 3 and type(facts["items.qty.sum"]) is int
    assert (facts["items.day.min"], facts["items.day.max"]) == ("2026-03-01", "2026-03-02")
    assert facts["items.note.count"] == 2
    assert facts["total"] == 0.3 and facts["items"] is ITEMS


def test_an_absent_or_empty_table_counts_zero_and_has_no_min_or_max():
    for data in ({}, {"items": []}):
        facts = facts_for(FORM_TYPES, data)
        assert facts["items.count"] == 0 and facts["items.amount.sum"] == 0
        assert "items.amount.max" not in facts and "items.day.min" not in facts


def test_facts_for_can_compute_only_what_is_needed():
    facts = facts_for(FORM_TYPES, {"items": ITEMS}, names={"items.amount.sum", "total", "nope"})
    assert set(facts) == {"items", "items.amount.sum"}


def test_a_bad_cell_makes_the_fact_unknown():
    data = {"items": [{"amount": "abc"}, {"amount": 5}]}
    assert "items.amount.sum" not in facts_for(FORM_TYPES, data)
    assert facts_for(FORM_TYPES, data)["items.amount.count"] == 2
    with pytest.raises(ValueError, match="expected a number"):
        derive(data, "items.amount.sum")
    assert matches({"$gte": {"items.amount.sum": 0}}, data) is False


def test_derive_reads_only_present_tables():
    assert derive({"items": ITEMS}, "items.amount.sum") == 0.3
    assert derive({"items": ITEMS}, "items.amount") is None
    assert derive({}, "items.count") is None
    assert derive({"items": {"count": 3}}, "items.count") is None


def test_matches_derives_facts_from_tables_in_the_data():
    data = {"items": ITEMS, "claimed": 0.3}
    assert matches({"items.amount.sum": {"$m": "claimed"}}, data)
    assert matches({"$gt": {"items.count": 2}}, data)
    assert not matches({"$gt": {"items.amount.max": 0.2}}, data)
    assert matches({"$lt": {"items.day.max": "2026-03-03"}}, data)
    assert matches({"items.count": 0}, {"items": []})
    assert not matches({"items.count": 0}, {})  # absent without field types...
    assert matches({"items.count": 0}, facts_for(FORM_TYPES, {}))  # ...zero with them


# ---------------------------------------------------------------- comparing two fields


@pytest.mark.parametrize("cond, data, expected", [
    ({"$gte": {"end_date": {"$m": "start_date"}}}, {"start_date": "2026-03-01", "end_date": "2026-03-01"}, True),
    ({"$gte": {"end_date": {"$m": "start_date"}}}, {"start_date": "2026-03-02", "end_date": "2026-03-01"}, False),
    ({"$gte": {"end_date": {"$m": "start_date"}}}, {"end_date": "2026-03-01"}, False),
    ({"$gte": {"end_date": {"$m": "start_date"}}}, {"start_date": "2026-03-01"}, False),
    ({"$lt": {"total": {"$m": "claimed"}}}, {"total": 1, "claimed": 2.5}, True),
    ({"total": {"$m": "claimed"}}, {"total": 2, "claimed": 2.0}, True),
    ({"$ne": {"total": {"$m": "claimed"}}}, {"total": 2, "claimed": 3}, True),
    ({"$ne": {"total": {"$m": "claimed"}}}, {"total": 2}, False),
    ({"total": {"$m": "claimed"}}, {"total": 2, "claimed": "2"}, False),
])
def test_a_field_compared_with_another(cond, data, expected):
    assert matches(cond, data) is expected


def test_references_are_fields_a_condition_reads():
    cond = {"$and": [{"$gte": {"end_date": {"$m": "start_date"}}},
                     {"total": {"$m": "items.amount.sum"}}]}
    assert condition_fields(cond) == {"end_date", "start_date", "total", "items.amount.sum"}


def problems(cond):
    return [str(p) for p in validate_condition(cond, FORM_TYPES, "validations[0].when")]


@pytest.mark.parametrize("cond, expected", [
    ({"$gte": {"end_date": {"$m": "start_date"}}}, []),
    ({"total": {"$m": "items.amount.sum"}}, []),
    ({"$lte": {"items.qty.max": {"$m": "total"}}}, []),
    ({"$gt": {"items.amount": 5}},
     ['validations[0].when.$gt.items.amount: "items.amount" is a table column with a value per row; '
      "use items.amount.sum, items.amount.min, items.amount.max, items.amount.count"]),
    ({"$gt": {"items.note.sum": 5}}, ['validations[0].when.$gt.items.note.sum: unknown field "items.note.sum"']),
    ({"$gte": {"end_date": {"$m": "stat_date"}}},
     ['validations[0].when.$gte.end_date.$m: unknown field "stat_date"']),
    ({"$gte": {"end_date": {"$m": "total"}}},
     ['validations[0].when.$gte.end_date.$m: cannot compare date field "end_date" with money field "total"']),
    ({"$gte": {"end_date": {"$m": "end_date"}}},
     ['validations[0].when.$gte.end_date.$m: "end_date" is compared with itself']),
    ({"$in": {"total": {"$m": "claimed"}}},
     ["validations[0].when.$in.total: $in cannot compare with another field; only equality, $ne, "
      "$lt, $lte, $gt and $gte can"]),
    ({"$gt": {"total": {"$field": "claimed"}}},
     ['validations[0].when.$gt.total: a value must be a string, number or boolean, or {"$m": '
      '"other_field"}, got {"$field": "claimed"}']),
    ({"$gt": {"total": {"$m": 5}}}, ["validations[0].when.$gt.total.$m: invalid field name 5"]),
    ({"$gt": {"items": {"$m": "total"}}},
     ['validations[0].when.$gt.items.$m: field "items" of type table can only be tested with $ex or $nex']),
])
def test_references_are_validated_against_the_form(cond, expected):
    assert problems(cond) == expected


def test_booleans_compare_with_booleans_only_by_equality():
    types = {"a": "checkbox", "b": "checkbox"}
    assert validate_condition({"a": {"$m": "b"}}, types) == []
    assert [p.message for p in validate_condition({"$gt": {"a": {"$m": "b"}}}, types)] == [
        "checkbox fields cannot be ordered; use equality or $ne"]


def test_matches_refuses_a_malformed_reference():
    with pytest.raises(RuleError, match="cannot compare with"):
        matches({"$in": {"total": {"$m": "claimed"}}}, {"total": 1, "claimed": 1})


# ---------------------------------------------------------------- rulesets


def invoice_check(version: int = 1) -> Ruleset:
    return parse_ruleset({
        "key": "invoice-check", "version": version, "hit_policy": "collect",
        "inputs": [{"key": "items.amount.sum", "type": "money"},
                   {"key": "items.count", "type": "number"},
                   {"key": "claimed", "type": "money"}],
        "outputs": [{"key": "flag", "type": "text"}],
        "rows": [
            {"when": {"$ne": {"items.amount.sum": {"$m": "claimed"}}}, "then": {"flag": "mismatch"}},
            {"when": {"$gt": {"items.count": 2}}, "then": {"flag": "many"}},
            {"when": {"$gt": {"items.amount.sum": 50000}}, "then": {"flag": "large"}},
        ],
    }, FORM_TYPES)


def test_a_ruleset_may_read_derived_facts_of_the_form():
    assert validate_ruleset(invoice_check().to_dict(), FORM_TYPES) == []
    doc = {**invoice_check().to_dict(), "inputs": [{"key": "items.amount", "type": "money"}],
           "rows": []}
    assert [str(p) for p in validate_ruleset(doc, FORM_TYPES)] == [
        'inputs[0].key: unknown form field "items.amount"; a table column is read through '
        "items.amount.sum, .min, .max or .count"]


def test_coerce_inputs_computes_derived_facts():
    inputs = coerce_inputs(invoice_check(), {"items": ITEMS, "claimed": "0.30"})
    assert inputs == {"items.amount.sum": 0.3, "items.count": 3, "claimed": 0.3}
    assert coerce_inputs(invoice_check(), {"items.amount.sum": 7, "items": ITEMS}) == {
        "items.amount.sum": 7, "items.count": 3}
    with pytest.raises(RuleError, match=r'input "items.amount.sum" \(money\): expected a number'):
        coerce_inputs(invoice_check(), {"items": [{"amount": "abc"}]})


def test_both_evaluators_see_derived_facts_and_references(evaluator):
    ruleset = invoice_check()
    decision = evaluator.evaluate(ruleset, {"items": ITEMS, "claimed": 0.3})
    assert decision.fired == (2,) and decision.outcome == {"flag": ["many"]}
    assert decision.inputs == {"items.amount.sum": 0.3, "items.count": 3, "claimed": 0.3}
    big = [{"amount": 30000}, {"amount": 30000.5}]
    assert evaluator.evaluate(ruleset, {"items": big, "claimed": 60000}).fired == (1, 3)
    assert evaluator.evaluate(ruleset, {"items": big}).fired == (3,)  # no claim: no comparison
    assert evaluator.evaluate(ruleset, facts_for(FORM_TYPES, {"claimed": 1})).fired == (1,)


# ---------------------------------------------------------------- durable agrees with the oracle

INPUTS = [
    {"key": "a", "type": "money"},
    {"key": "b", "type": "number"},
    {"key": "items.amount.sum", "type": "money"},
    {"key": "items.count", "type": "number"},
    {"key": "d1", "type": "date"},
    {"key": "d2", "type": "date"},
    {"key": "s1", "type": "text"},
    {"key": "s2", "type": "select", "options": ["x", "y"]},
]
NUMERIC = ["a", "b", "items.amount.sum", "items.count"]
NUMBERS = st.sampled_from([0, 1, 2.5, 3, 10, 100.25])
_versions = itertools.count(1)


def leaf() -> st.SearchStrategy:
    ops = st.sampled_from(["$eq", "$ne", "$lt", "$lte", "$gt", "$gte"])

    def build(op, pair, literal):
        left, right = pair
        value = {"$m": right} if right is not None else literal
        return {left: value} if op == "$eq" else {op: {left: value}}

    numeric_pairs = st.tuples(st.sampled_from(NUMERIC), st.sampled_from(NUMERIC + [None])).filter(
        lambda p: p[0] != p[1])
    return st.one_of(
        st.builds(build, ops, numeric_pairs, NUMBERS),
        st.builds(build, ops, st.just(("d1", "d2")), st.just("2026-03-01")),
        st.builds(build, ops, st.sampled_from([("s1", "s2"), ("s2", "s1")]), st.just("x")),
        st.builds(lambda f: {"$ex": {f: 1}}, st.sampled_from(NUMERIC)))


CONDITIONS = st.recursive(leaf(), lambda inner: st.builds(
    lambda op, subs: {op: subs}, st.sampled_from(["$and", "$or"]), st.lists(inner, min_size=1, max_size=3)),
    max_leaves=4)


@st.composite
def rulesets(draw) -> Ruleset:
    rows = draw(st.lists(st.builds(lambda when, n: {"when": when, "then": {"out": n}},
                                   CONDITIONS, st.integers(1, 3)), min_size=1, max_size=6))
    doc = {"key": "derived-diff", "version": next(_versions),
           "hit_policy": draw(st.sampled_from(["first", "unique", "collect"])),
           "inputs": INPUTS, "outputs": [{"key": "out", "type": "number"}], "rows": rows}
    assert validate_ruleset(doc) == []
    return Ruleset.from_dict(doc)


def maybe(strategy):
    return st.one_of(strategy, strategy, strategy, st.just(None))


FORMS = st.fixed_dictionaries({}, optional={
    "a": maybe(NUMBERS), "b": maybe(NUMBERS),
    "items": st.lists(st.fixed_dictionaries({}, optional={"amount": NUMBERS}), max_size=3),
    "d1": maybe(st.sampled_from(["2026-02-28", "2026-03-01"])),
    "d2": maybe(st.sampled_from(["2026-02-28", "2026-03-01"])),
    "s1": maybe(st.sampled_from(["x", "y", "z"])), "s2": maybe(st.sampled_from(["x", "y"])),
})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rulesets(), st.lists(FORMS, min_size=1, max_size=4))
def test_durable_agrees_with_the_reference_on_references_and_derived_facts(ruleset, forms):
    assert_same_decisions(ruleset, forms)