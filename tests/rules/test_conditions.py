"""The condition language: its reference meaning (`matches`) and its validator's exact problems."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.conditions import (
    alternatives,
    condition_fields,
    matches,
    pattern_problem,
    validate_condition,
)
from rules.errors import Problem, RuleError

FACTS = {
    "total": 12000,
    "rate": 0.5,
    "category": "travel",
    "day": "2026-03-15",
    "urgent": True,
    "applicant": {"level": 3, "name": "Li Lei"},
    "note": None,
}

TYPES = {
    "total": "money",
    "qty": "number",
    "category": "select",
    "reason": "textarea",
    "day": "date",
    "at": "datetime",
    "urgent": "checkbox",
    "items": "table",
    "items.amount": "money",
    "applicant.level": "number",
    "day2": "date",
    "urgent2": "checkbox",
}


@pytest.mark.parametrize("cond, expected", [
    ({"category": "travel"}, True),
    ({"category": "office"}, False),
    ({"total": 12000.0}, True),
    ({"$ne": {"category": "office"}}, True),
    ({"$ne": {"category": "travel"}}, False),
    ({"$lt": {"total": 12001}}, True),
    ({"$lt": {"total": 12000}}, False),
    ({"$lte": {"total": 12000}}, True),
    ({"$lte": {"total": 11999.99}}, False),
    ({"$gt": {"total": 11999}}, True),
    ({"$gt": {"total": 12000}}, False),
    ({"$gte": {"total": 12000}}, True),
    ({"$gte": {"rate": 0.51}}, False),
    ({"$gt": {"day": "2026-03-01"}}, True),
    ({"$lt": {"day": "2026-03-01"}}, False),
    ({"$gt": {"category": "office"}}, True),
    ({"$ex": {"category": 1}}, True),
    ({"$ex": {"missing": 1}}, False),
    ({"$nex": {"missing": 1}}, True),
    ({"$nex": {"category": 1}}, False),
    ({"$mt": {"category": "tr.*"}}, True),
    ({"$mt": {"category": "ravel"}}, False),
    ({"$mt": {"category": "(travel|office)"}}, True),
    ({"$mt": {"day": "2026-0[1-3]-[0-9]{2}"}}, True),
    ({"$in": {"category": ["office", "travel"]}}, True),
    ({"$in": {"category": ["office", "meals"]}}, False),
    ({"$in": {"total": [1, 12000.0]}}, True),
    ({"$nin": {"category": ["office", "meals"]}}, True),
    ({"$nin": {"category": ["office", "travel"]}}, False),
    ({"$and": [{"category": "travel"}, {"$gt": {"total": 5000}}]}, True),
    ({"$and": [{"category": "travel"}, {"$gt": {"total": 50000}}]}, False),
    ({"$or": [{"category": "office"}, {"$gt": {"total": 5000}}]}, True),
    ({"$or": [{"category": "office"}, {"$gt": {"total": 50000}}]}, False),
    ({"$or": [{"$and": [{"urgent": True}, {"$lt": {"total": 100}}]}, {"applicant.level": 3}]}, True),
    ({"applicant.level": 3}, True),
    ({"$gte": {"applicant.level": 4}}, False),
    ({"$mt": {"applicant.name": "Li .*"}}, True),
    ({"urgent": True}, True),
    ({"urgent": 1}, False),
])
def test_every_operator_by_the_reference_semantics(cond, expected):
    assert matches(cond, FACTS) is expected


@pytest.mark.parametrize("cond", [
    {"missing": "x"},
    {"$ne": {"missing": "x"}},
    {"$lt": {"missing": 1}},
    {"$lte": {"missing": 1}},
    {"$gt": {"missing": 1}},
    {"$gte": {"missing": 1}},
    {"$mt": {"missing": ".*"}},
    {"$in": {"missing": ["x"]}},
    {"$nin": {"missing": ["x"]}},
    {"$ne": {"note": "x"}},
    {"$gt": {"applicant.salary": 0}},
    {"$ne": {"applicant.level.deeper": 1}},
])
def test_a_missing_or_null_field_makes_every_comparison_false(cond):
    assert matches(cond, FACTS) is False


def test_null_counts_as_absent_for_existence():
    assert matches({"$nex": {"note": 1}}, FACTS)
    assert not matches({"$ex": {"note": 1}}, FACTS)


@pytest.mark.parametrize("cond, facts, expected", [
    ({"total": "12000"}, {"total": 12000}, False),
    ({"$ne": {"total": "12000"}}, {"total": 12000}, True),
    ({"$gt": {"total": "1"}}, {"total": 12000}, False),
    ({"$lt": {"name": 5}}, {"name": "abc"}, False),
    ({"flag": True}, {"flag": 1}, False),
    ({"$mt": {"total": "1.*"}}, {"total": 12000}, False),
    ({"a.b": 1}, {"a.b": 1, "a": {"b": 2}}, True),
])
def test_types_never_mix(cond, facts, expected):
    assert matches(cond, facts) is expected


@pytest.mark.parametrize("cond, message", [
    ({"$between": {"total": [1, 2]}}, 'unknown operator "$between"'),
    ([], "a condition must be an object with exactly one key"),
    ({"a": 1, "b": 2}, "exactly one key"),
    ({"$and": []}, "$and expects a non-empty list"),
    ({"$gt": {"a": 1, "b": 2}}, "$gt expects an object naming one field"),
])
def test_matches_refuses_malformed_conditions(cond, message):
    with pytest.raises(RuleError, match=message.replace("$", r"\$")):
        matches(cond, FACTS)


# ---------------------------------------------------------------- validation


def problems(cond, types=TYPES, path="rows[0].when", **kw):
    return [str(p) for p in validate_condition(cond, types, path, **kw)]


@pytest.mark.parametrize("cond", [
    {"category": "travel"},
    {"$gt": {"total": 50000}},
    {"$lte": {"qty": 2.5}},
    {"$gt": {"category": "m"}},
    {"$gte": {"day": "2026-01-01"}},
    {"$lt": {"at": "2026-01-01T09:30:00"}},
    {"urgent": False},
    {"$ne": {"urgent": True}},
    {"$ex": {"items": 1}},
    {"$nex": {"reason": 1}},
    {"$mt": {"reason": "[A-Z]+-[0-9]{3,6}"}},
    {"$mt": {"day": "2026-.*"}},
    {"$in": {"category": ["travel", "office"]}},
    {"$nin": {"total": [1, 2.5]}},
    {"$gt": {"items.amount.sum": 100}},
    {"$lte": {"items.amount.max": 5000.5}},
    {"$gte": {"items.count": 1}},
    {"items.amount.count": 0},
    {"$gte": {"total": {"$m": "items.amount.sum"}}},
    {"$lt": {"day": {"$m": "day2"}}},
    {"$ne": {"category": {"$m": "reason"}}},
    {"urgent": {"$m": "urgent2"}},
    {"applicant.level": 3},
    {"$and": [{"category": "travel"}, {"$or": [{"$gt": {"total": 1}}, {"$nex": {"qty": 1}}]}]},
])
def test_valid_conditions_have_no_problems(cond):
    assert problems(cond) == []


@pytest.mark.parametrize("cond, expected", [
    ({"$between": {"total": [1, 2]}}, 'rows[0].when: unknown operator "$between"'),
    ({"$neq": {"total": 1}}, 'rows[0].when: unknown operator "$neq" (did you mean $ne?)'),
    ({"$gt": {"totl": 5}}, 'rows[0].when.$gt.totl: unknown field "totl"'),
    ({"categry": "travel"}, 'rows[0].when.categry: unknown field "categry"'),
    ({"$gt": {"total": "50000"}},
     'rows[0].when.$gt.total: money field "total": expected a number, got "50000"'),
    ({"total": True}, 'rows[0].when.total: money field "total": expected a number, got true'),
    ({"$gt": {"category": 5}}, 'rows[0].when.$gt.category: select field "category" needs a string, got 5'),
    ({"$gt": {"day": "15/03/2026"}},
     'rows[0].when.$gt.day: date field "day" needs a date "YYYY-MM-DD", got "15/03/2026"'),
    ({"day": "2026-02-30"}, 'rows[0].when.day: date field "day" needs a date "YYYY-MM-DD", got "2026-02-30"'),
    ({"$lt": {"at": "2026-01-01 09:30"}},
     'rows[0].when.$lt.at: datetime field "at" needs "YYYY-MM-DDTHH:MM:SS", got "2026-01-01 09:30"'),
    ({"$gt": {"urgent": False}},
     'rows[0].when.$gt.urgent: checkbox field "urgent" cannot be ordered; use equality or $ne'),
    ({"urgent": "yes"}, 'rows[0].when.urgent: checkbox field "urgent" needs true or false, got "yes"'),
    ({"items": 3}, 'rows[0].when.items: field "items" of type table can only be tested with $ex or $nex'),
    ({"$mt": {"total": "1.*"}}, 'rows[0].when.$mt.total: $mt needs a text field; "total" is money'),
    ({"$mt": {"reason": 5}}, "rows[0].when.$mt.reason: $mt expects a pattern string, got number"),
    ({"$gt": {"total": 1e-05}}, ('rows[0].when.$gt.total: money field "total": number 1e-05 is too small '
                                "(at most 4 decimals)")),
    ({"$gt": {"qty": 2**60}}, ('rows[0].when.$gt.qty: number field "qty": number '
                              f"{2**60} is too large (at most 2^53)")),
    ({"$gt": {"qty": float("nan")}}, 'rows[0].when.$gt.qty: number field "qty": expected a finite number, got nan'),
])
def test_problems_name_the_json_path(cond, expected):
    assert problems(cond) == [expected]


@pytest.mark.parametrize("cond, expected", [
    ("total > 5", ["rows[0].when: a condition must be an object, got string"]),
    ([{"total": 1}], ["rows[0].when: a condition must be an object, got array"]),
    (None, ["rows[0].when: a condition must be an object, got null"]),
    ({}, ["rows[0].when: a condition must not be empty"]),
    ({"total": 1, "qty": 2}, [('rows[0].when: a condition holds exactly one operator or field, got '
                              '"total", "qty"; combine several with $and')]),
    ({"$and": []}, ["rows[0].when.$and: $and needs at least one condition"]),
    ({"$or": {"total": 1}}, ["rows[0].when.$or: $or expects a list of conditions, got object"]),
    ({"$gt": {"total": 1, "qty": 2}}, ["rows[0].when.$gt: $gt expects exactly one field, got 2"]),
    ({"$gt": {}}, ["rows[0].when.$gt: $gt expects exactly one field, got 0"]),
    ({"$gt": [["total", 1]]}, ["rows[0].when.$gt: $gt expects an object naming one field, got array"]),
    ({"$ex": {"total": True}}, ["rows[0].when.$ex.total: $ex expects 1, got true"]),
    ({"$in": {"category": []}}, ["rows[0].when.$in.category: $in needs at least one value"]),
    ({"$in": {"category": "travel"}}, ["rows[0].when.$in.category: $in expects a list of values, got string"]),
    ({"$nin": {"total": [1, "2", 3, None]}}, [
        'rows[0].when.$nin.total[1]: money field "total": expected a number, got "2"',
        'rows[0].when.$nin.total[3]: money field "total": expected a number, got null']),
    ({"$and": [{"category": "travel"}, {"$or": [{"$gt": {"totl": 1}}, {"$between": {}}]}]}, [
        'rows[0].when.$and[1].$or[0].$gt.totl: unknown field "totl"',
        'rows[0].when.$and[1].$or[1]: unknown operator "$between"']),
    ({"$gt": {"to tal": 1}}, ['rows[0].when.$gt.to tal: invalid field name "to tal"']),
])
def test_malformed_shapes_are_problems_not_exceptions(cond, expected):
    assert problems(cond) == expected


def test_without_field_types_only_shapes_and_literals_are_checked():
    assert problems({"$gt": {"anything": 5}}, types=None) == []
    assert problems({"$gt": {"anything": "b"}}, types=None) == []
    assert problems({"$gt": {"anything": True}}, types=None) == [
        "rows[0].when.$gt.anything: cannot order by a boolean"]
    assert problems({"anything": [1]}, types=None) == [
        "rows[0].when.anything: a value must be a string, number or boolean, got array"]


def test_options_catch_typos_in_select_values():
    opts = {"category": ("travel", "office")}
    assert problems({"$in": {"category": ["travel", "trvel"]}}, options=opts) == [
        'rows[0].when.$in.category[1]: "trvel" is not an option of "category" (travel, office)']
    assert problems({"$gt": {"category": "m"}}, options=opts) == []


def test_the_path_prefix_is_optional():
    assert validate_condition({"$gt": {"x": 1}}, {}, "") == [Problem("$gt.x", 'unknown field "x"')]
    assert validate_condition({"$bad": 1}) == [Problem("", 'unknown operator "$bad"')]


def test_deep_nesting_is_a_problem_not_a_recursion_error():
    cond: dict = {"total": 1}
    for _ in range(50):
        cond = {"$and": [cond]}
    found = validate_condition(cond, TYPES, "when")
    assert len(found) == 1 and "nested too deeply" in found[0].message


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10) | st.floats(allow_nan=True) | st.text(max_size=4)
    | st.sampled_from(["$and", "$or", "$gt", "$in", "$ex", "$mt", "total", "category"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["$and", "$or", "$gt", "$lt", "$ne", "$in", "$nin", "$ex", "$nex", "$mt",
                         "$zz", "total", "category", "day", "a.b", ""]), inner, max_size=3),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_validation_never_raises_on_any_json(cond):
    for types in (TYPES, None):
        found = validate_condition(cond, types, "when")
        assert all(isinstance(p, Problem) and p.path.startswith("when") for p in found)


# ---------------------------------------------------------------- patterns


@pytest.mark.parametrize("pattern", [
    "abc", "a.c", ".*", "[a-z]+", "[A-Z0-9_]{2,8}", "(ab|cd)*e", "colou?r", "[.]", "中.*", "a{2,}",
    "x(a|b*)y", "[ab-]+",
])
def test_supported_patterns(pattern):
    assert pattern_problem(pattern) is None


@pytest.mark.parametrize("pattern, fragment", [
    ("", "must not be empty"),
    (r"\d+", "backslash"),
    ("^ab$", "whole value"),
    ("[^a]", "negated"),
    ("(?i)ab", '"(?" groups'),
    ("a**", "must follow"),
    ("a{0}", "zero"),
    ("a{3,1}", "3 > 1"),
    ("a{21}", "at most 20"),
    ("(a+)+", "repeated group"),
    ("(ab", "unbalanced"),
    ("ab)", "unbalanced"),
    ("a|", "empty alternative"),
    ("()", "empty group"),
    ("[]", "empty class"),
    ("[z-a]", "unsupported range"),
    ("[a-Z]", "unsupported range"),
    ("[-a]", '"-" must come last'),
    ("[a[b]", "inside a class"),
    ("x" * 201, "at most 200"),
])
def test_unsupported_patterns(pattern, fragment):
    problem = pattern_problem(pattern)
    assert problem is not None and fragment in problem


# ---------------------------------------------------------------- structure


def test_condition_fields():
    cond = {"$and": [{"category": "travel"}, {"$or": [{"$gt": {"total": 1}}, {"$nex": {"a.b": 1}}]},
                     {"$in": {"day": ["2026-01-01"]}}]}
    assert condition_fields(cond) == {"category", "total", "a.b", "day"}
    assert condition_fields("garbage") == set()


def test_alternatives_count_the_disjunctive_normal_form():
    two = {"$or": [{"a": 1}, {"b": 2}]}
    assert alternatives({"a": 1}) == 1
    assert alternatives(two) == 2
    assert alternatives({"$and": [two, two, {"c": 3}]}) == 4
    assert alternatives({"$and": [two, {"$in": {"c": [1, 2, 3]}}]}) == 6
    assert alternatives({"$and": [two, {"$in": {"c": [1, 2, 3]}}]}, in_values=False) == 2
