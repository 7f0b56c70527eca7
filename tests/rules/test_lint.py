"""Lint of decision tables: gaps, shadowed rows, overlaps, and never a false alarm."""
from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.conditions import matches
from rules.errors import RuleError
from rules.lint import Gap, LintFinding, first_match, lint_ruleset
from rules.reference import ReferenceEvaluator
from rules.ruleset import Column, Ruleset, parse_ruleset

DEMO = json.loads((Path(__file__).parents[2] / "demo" / "processes" / "expense.json").read_text("utf-8"))
INPUTS = [{"key": "total", "type": "money"},
          {"key": "category", "type": "select", "options": ["travel", "office", "meals"]},
          {"key": "name", "type": "text"}, {"key": "day", "type": "date"},
          {"key": "urgent", "type": "checkbox"}, {"key": "qty", "type": "number"}]


def table(rows, policy="first", default=True, inputs=INPUTS) -> Ruleset:
    doc = {"key": "t", "version": 1, "hit_policy": policy, "inputs": inputs,
           "outputs": [{"key": "tier", "type": "text"}],
           "rows": [{"when": when, "then": {"tier": f"r{i}"}} for i, when in enumerate(rows, 1)]}
    if default:
        doc["default"] = {"tier": "none"}
    return parse_ruleset(doc)


def messages(ruleset):
    return [(f.kind, f.row, f.message) for f in lint_ruleset(ruleset)]


def test_the_demo_ruleset_is_clean_because_its_default_takes_what_the_rows_leave():
    assert lint_ruleset(parse_ruleset(DEMO["rulesets"][0])) == []


def test_without_its_default_the_demo_leaves_small_claims_undecided():
    doc = {k: v for k, v in DEMO["rulesets"][0].items() if k != "default"}
    assert lint_ruleset(parse_ruleset(doc)) == [LintFinding(
        "gap", None, "rows",
        "no row covers total ≤ 5,000; there is no default, so nothing is decided",
        {"total": 5000})]


@pytest.mark.parametrize("default, after", [
    (True, "the default applies"), (False, "there is no default, so nothing is decided")])
def test_a_boundary_no_row_covers_is_named_exactly(default, after):
    findings = lint_ruleset(table([{"$lt": {"total": 5000}}, {"$gt": {"total": 5000}}],
                                  default=default))
    assert [f.to_dict() for f in findings] == [{
        "kind": "gap", "row": None, "path": "rows", "example": {"total": 5000},
        "message": f"no row covers total = 5,000 exactly; {after}"}]


def test_money_has_no_values_between_cents():
    assert lint_ruleset(table([{"$lte": {"total": 5000}}, {"$gte": {"total": 5000.01}}],
                              default=False)) == []
    assert messages(table([{"$lte": {"total": 5000}}, {"$gt": {"total": 5000.01}}])) == [
        ("gap", None, "no row covers total = 5,000.01 exactly; the default applies")]


def test_numbers_have_four_decimals():
    assert messages(table([{"$lt": {"qty": 1}}, {"$gt": {"qty": 1}}])) == [
        ("gap", None, "no row covers qty = 1 exactly; the default applies")]
    assert lint_ruleset(table([{"$lte": {"qty": 1}}, {"$gte": {"qty": 1.0001}}], default=False)) == []


def test_a_range_between_rows_is_a_gap_even_with_a_default():
    assert messages(table([{"$lt": {"total": 1000}}, {"$gt": {"total": 5000}}])) == [
        ("gap", None, "no row covers 1,000 ≤ total ≤ 5,000; the default applies")]
    assert messages(table([{"$lte": {"total": 1000}}, {"$gte": {"total": 5000}}])) == [
        ("gap", None, "no row covers 1,000 < total < 5,000; the default applies")]


def test_dates_and_options_have_gaps_too():
    rows = [{"$lt": {"day": "2026-03-01"}}, {"$gt": {"day": "2026-03-01"}}]
    assert messages(table(rows, default=False)) == [
        ("gap", None, "no row covers day = 2026-03-01 exactly; there is no default, so nothing is decided")]
    rows = [{"category": "travel"}, {"$and": [{"category": "office"}, {"$gt": {"total": 100}}]}]
    findings = lint_ruleset(table(rows, default=False))
    assert {f.kind for f in findings} == {"gap"}
    for f in findings:  # every example is a form no row matches
        assert f.example and not any(matches(r.when, f.example) for r in table(rows).rows)
    assert lint_ruleset(table(rows)) == []  # the default takes the options no row names


def test_a_row_covered_by_earlier_rows_is_shadowed():
    rows = [{"$gt": {"total": 1000}}, {"$gt": {"total": 5000}}, {"category": "travel"}]
    assert lint_ruleset(table(rows)) == [LintFinding(
        "shadowed", 2, "rows[1].when", "row 2 can never fire: row 1 covers everything it matches")]
    rows = [{"$lte": {"total": 1000}}, {"$gt": {"total": 500}},
            {"$and": [{"$gt": {"total": 100}}, {"$lt": {"total": 2000}}]}]
    assert messages(table(rows)) == [
        ("shadowed", 3, "row 3 can never fire: rows 1 and 2 cover everything it matches")]


def test_an_empty_input_keeps_a_later_row_reachable():
    rows = [{"$gte": {"total": 0}}, {"category": "travel"}]
    assert lint_ruleset(table(rows)) == []  # no total: row 2 can fire
    rows = [{"$or": [{"$gte": {"total": 0}}, {"$nex": {"total": 1}}]}, {"category": "travel"}]
    assert lint_ruleset(table(rows)) == []  # a computed amount may be negative
    rows = [{"$or": [{"$gte": {"total": 0}}, {"$lt": {"total": 0}}, {"$nex": {"total": 1}}]},
            {"category": "travel"}]
    assert messages(table(rows)) == [
        ("shadowed", 2, "row 2 can never fire: row 1 covers everything it matches")]


def test_a_condition_that_never_holds_is_reported_in_every_policy():
    for policy in ("first", "unique", "collect"):
        rows = [{"$and": [{"$gt": {"total": 5}}, {"$lt": {"total": 3}}]}, {"category": "meals"},
                {"$in": {"qty": [0.00005 * 2, 2.00005]}}]
        assert messages(table(rows, policy=policy))[:1] == [
            ("shadowed", 1, "row 1 can never fire: its condition never holds")]


def test_unique_tables_report_overlaps_with_an_example():
    rows = [{"$gt": {"total": 50000}}, {"$lte": {"total": 10000}}, {"category": "travel"},
            {"$and": [{"$gt": {"total": 10000}}, {"$lte": {"total": 50000}}]}]
    findings = lint_ruleset(table(rows, policy="unique"))
    assert [(f.kind, f.row, f.message, f.example) for f in findings] == [
        ("overlap", 3, "rows 1 and 3 both match total = 60,000 and category = travel",
         {"total": 60000, "category": "travel"}),
        ("overlap", 3, "rows 2 and 3 both match total = 0 and category = travel",
         {"total": 0, "category": "travel"}),
        ("overlap", 4, "rows 3 and 4 both match total = 20,000 and category = travel",
         {"total": 20000, "category": "travel"}),
    ]
    for f in findings:  # each example is a form on which evaluating the table is an error
        with pytest.raises(RuleError, match="both match"):
            ReferenceEvaluator().evaluate(table(rows, policy="unique"), f.example)


def test_collect_tables_have_no_gaps_or_overlaps():
    rows = [{"$gt": {"total": 50000}}, {"$gt": {"total": 10000}}]
    assert lint_ruleset(table(rows, policy="collect", default=False)) == []


def test_rows_lint_cannot_read_are_skipped_without_false_alarms():
    rows = [{"$mt": {"name": "A.*"}}, {"$gt": {"total": 5}}, {"$gt": {"total": 10}},
            {"$gte": {"total": {"$m": "qty"}}}]
    assert messages(table(rows, default=False)) == [
        ("shadowed", 3, "row 3 can never fire: row 2 covers everything it matches")]
    rows = [{"$gt": {"name": "m"}}, {"name": "zed"}]
    assert lint_ruleset(table(rows)) == []  # ordering of free text: not read, so row 2 is not judged


def test_free_text_is_split_by_the_literals_rows_name():
    rows = [{"name": "a"}, {"$ne": {"name": "a"}}, {"name": "b"}]
    assert messages(table(rows)) == [
        ("shadowed", 3, "row 3 can never fire: row 2 covers everything it matches")]
    rows = [{"$in": {"name": ["a", "b"]}}]
    findings = lint_ruleset(table(rows, default=False))
    assert [(f.message, f.example) for f in findings] == [
        ("no row covers name is none of a, b; there is no default, so nothing is decided",
         {"name": "other"})]


def test_findings_are_json():
    findings = lint_ruleset(table([{"$lt": {"total": 5000}}, {"$gt": {"total": 1000}},
                                   {"$gt": {"total": 6000}}], policy="first", default=False))
    assert json.loads(json.dumps([f.to_dict() for f in findings])) == [
        {"kind": "shadowed", "row": 3, "path": "rows[2].when", "example": None,
         "message": "row 3 can never fire: row 2 covers everything it matches"}]


def test_first_match_gives_the_same_reading_of_any_condition_list_as_data():
    inputs = [Column("total", "money"), Column("category", "select", ("travel", "office")), Column("note", "text")]
    never = {"$and": [{"$gt": {"total": 5}}, {"$lt": {"total": 3}}]}
    coverage = first_match([{"$gt": {"total": 1000}}, never, {"$gt": {"total": 5000}}, {"note": "rush"}],
                           inputs, optional=("note", "category"))
    assert (coverage.readable, coverage.never, coverage.shadowed) == ((True,) * 4, (1,), ((2, (0,)),))
    assert coverage.gaps == (Gap("total ≤ 1,000 and note is none of rush", False, False,
                                 {"total": 1000, "note": "other"}, "total = 1,000 and note = another value"),)
    assert coverage.left_empty == {"note": Gap("total ≤ 1,000 and note empty", False, False, {"total": 1000},
                                               "total = 1,000 and note empty")}  # category is not compared
    unread = first_match([{"$mt": {"note": "r.*"}}, {"$gt": {"total": 1000}}], inputs, optional=("note",))
    assert (unread.readable, unread.gaps, unread.left_empty) == ((False, True), None, {"note": None})


def test_200_rows_lint_quickly():
    rows = [{"$and": [{"$gt": {"total": i * 100}}, {"$lte": {"total": i * 100 + 100}},
                      {"category": ["travel", "office", "meals"][i % 3]}]} for i in range(200)]
    start = time.perf_counter()
    lint_ruleset(table(rows, policy="unique"))
    lint_ruleset(table(rows, policy="first", default=False))
    assert time.perf_counter() - start < 5


# ---------------------------------------------------------------- no false alarms

SMALL = [{"key": "total", "type": "money"},
         {"key": "category", "type": "select", "options": ["travel", "office", "meals"]},
         {"key": "name", "type": "text"}]
NUMBERS = [0, 100, 1000, 1000.01, 5000]


def leaf():
    numeric = st.builds(lambda op, v: {op: {"total": v}} if op != "$eq" else {"total": v},
                        st.sampled_from(["$eq", "$ne", "$lt", "$lte", "$gt", "$gte"]),
                        st.sampled_from(NUMBERS))
    numeric_set = st.builds(lambda op, vs: {op: {"total": vs}}, st.sampled_from(["$in", "$nin"]),
                            st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=3))
    option = st.builds(lambda op, v: {op: {"category": v}} if op != "$eq" else {"category": v},
                       st.sampled_from(["$eq", "$ne", "$gt"]), st.sampled_from(["travel", "office", "meals"]))
    text = st.builds(lambda op, v: {op: {"name": v}} if op != "$eq" else {"name": v},
                     st.sampled_from(["$eq", "$ne", "$mt"]), st.sampled_from(["a", "b"]))
    exists = st.builds(lambda op, f: {op: {f: 1}}, st.sampled_from(["$ex", "$nex"]),
                       st.sampled_from(["total", "category", "name"]))
    return st.one_of(numeric, numeric_set, option, text, exists)


CONDITIONS = st.recursive(leaf(), lambda inner: st.builds(
    lambda op, subs: {op: subs}, st.sampled_from(["$and", "$or"]), st.lists(inner, min_size=1, max_size=3)),
    max_leaves=4)
_versions = itertools.count(1)


@st.composite
def rulesets(draw):
    rows = draw(st.lists(CONDITIONS, min_size=1, max_size=6))
    return table(rows, policy=draw(st.sampled_from(["first", "unique"])), default=draw(st.booleans()),
                 inputs=SMALL)


GRID_TOTAL = [None, -1, 0, 0.01, 99.99, 100, 100.01, 999.99, 1000, 1000.01, 1000.02, 4999.99, 5000,
              5000.01, 99999]
GRID = [{k: v for k, v in (("total", t), ("category", c), ("name", n)) if v is not None}
        for t in GRID_TOTAL for c in (None, "travel", "office", "meals") for n in (None, "a", "b", "zz")]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rulesets())
def test_every_finding_is_true(ruleset):
    rows = ruleset.rows
    for finding in lint_ruleset(ruleset):
        if finding.kind == "shadowed":
            for form in GRID:
                hits = [i for i, r in enumerate(rows, 1) if matches(r.when, form)]
                assert finding.row not in hits[:1], (finding, form)
                if "never holds" in finding.message:
                    assert finding.row not in hits
        elif finding.kind == "overlap":
            hits = [i for i, r in enumerate(rows, 1) if matches(r.when, finding.example)]
            assert finding.row in hits and len(hits) >= 2, finding
        else:
            assert not any(matches(r.when, finding.example) for r in rows), finding
