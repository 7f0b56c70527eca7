"""Evaluating rulesets: hit policies, input coercion, and durable-rules agreeing with the oracle."""
from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import sys
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.errors import RuleError
from rules.evaluation import coerce_inputs, default_evaluator
from rules.reference import ReferenceEvaluator
from rules.ruleset import Ruleset, parse_ruleset, validate_ruleset
from tests.rules.evaluators import assert_same_decisions, durable_evaluator

DEMO = json.loads((Path(__file__).parents[2] / "demo" / "processes" / "expense.json").read_text("utf-8"))
DEMO_TIER = parse_ruleset(DEMO["rulesets"][0])


def table(policy="first", rows=None, default=None, version=1, key="tier", inputs=None):
    doc = {
        "key": key,
        "version": version,
        "hit_policy": policy,
        "inputs": inputs or [{"key": "total", "type": "money"},
                             {"key": "category", "type": "select", "options": ["travel", "office"]}],
        "outputs": [{"key": "tier", "type": "select", "options": ["none", "vp", "gm"]},
                    {"key": "days", "type": "number"}],
        "rows": rows if rows is not None else [
            {"when": {"$gt": {"total": 1000}}, "then": {"tier": "vp"}},
            {"when": {"category": "travel"}, "then": {"tier": "gm", "days": 3}},
            {"when": {"$gt": {"total": 5000}}, "then": {"tier": "gm"}},
        ],
    }
    if default is not None:
        doc["default"] = default
    return parse_ruleset(doc)


# ---------------------------------------------------------------- the demo


@pytest.mark.parametrize("total, tier, fired, default_used", [
    (12000, "vp", (2,), False),
    (60000, "gm", (1,), False),
    (3000, "none", (), True),
    (50000, "vp", (2,), False),
    (5000, "none", (), True),
])
def test_the_demo_expense_tiers(evaluator, total, tier, fired, default_used):
    decision = evaluator.evaluate(DEMO_TIER, {"total": total, "reason": "trip", "items": []})
    assert decision.outcome == {"tier": tier}
    assert decision.fired == fired
    assert decision.default_used is default_used
    assert decision.ruleset == "expense-approval-tier" and decision.version == 1
    assert decision.inputs == {"total": total}


def test_the_decision_is_json_for_the_audit_log(evaluator):
    decision = evaluator.evaluate(DEMO_TIER, {"total": "12000.50"})
    assert json.loads(json.dumps(decision.to_dict())) == {
        "ruleset": "expense-approval-tier",
        "version": 1,
        "outcome": {"tier": "vp"},
        "fired": [2],
        "default_used": False,
        "inputs": {"total": 12000.5},
        "trace": [{"row": 1, "matched": False}, {"row": 2, "matched": True}],
    }


# ---------------------------------------------------------------- hit policies


def test_first_takes_the_first_matching_row_and_stops(evaluator):
    decision = evaluator.evaluate(table("first"), {"total": 6000, "category": "travel"})
    assert decision.outcome == {"tier": "vp"}
    assert decision.fired == (1,)
    assert decision.trace == ({"row": 1, "matched": True},)
    decision = evaluator.evaluate(table("first"), {"total": 10, "category": "travel"})
    assert decision.outcome == {"tier": "gm", "days": 3}
    assert decision.trace == ({"row": 1, "matched": False}, {"row": 2, "matched": True})


def test_unique_refuses_overlapping_rows(evaluator):
    with pytest.raises(RuleError, match="rows 1 and 2 both match"):
        evaluator.evaluate(table("unique"), {"total": 6000, "category": "travel"})
    with pytest.raises(RuleError, match="rows 1 and 3 both match"):
        evaluator.evaluate(table("unique"), {"total": 6000, "category": "office"})
    decision = evaluator.evaluate(table("unique"), {"total": 10, "category": "travel"})
    assert decision.fired == (2,) and decision.outcome == {"tier": "gm", "days": 3}
    assert [step["matched"] for step in decision.trace] == [False, True, False]


def test_collect_gathers_every_matching_row_in_row_order(evaluator):
    decision = evaluator.evaluate(table("collect"), {"total": 6000, "category": "travel"})
    assert decision.fired == (1, 2, 3)
    assert decision.outcome == {"tier": ["vp", "gm", "gm"], "days": [3]}
    assert list(decision.outcome) == ["tier", "days"]
    assert decision.trace == tuple({"row": n, "matched": True} for n in (1, 2, 3))
    decision = evaluator.evaluate(table("collect"), {"total": 2000, "category": "office"})
    assert decision.fired == (1,) and decision.outcome == {"tier": ["vp"]}


@pytest.mark.parametrize("policy, outcome", [
    ("first", {"tier": "none"}), ("unique", {"tier": "none"}), ("collect", {"tier": ["none"]}),
])
def test_the_default_applies_when_nothing_matches(evaluator, policy, outcome):
    decision = evaluator.evaluate(table(policy, default={"tier": "none"}), {"total": 10, "category": "office"})
    assert decision.outcome == outcome
    assert decision.fired == () and decision.default_used is True
    assert [step["matched"] for step in decision.trace] == [False, False, False]


def test_no_match_without_a_default_is_an_empty_result_not_an_error(evaluator):
    decision = evaluator.evaluate(table("first"), {"total": 10, "category": "office"})
    assert decision.outcome == {} and decision.fired == () and decision.default_used is False


def test_rows_on_missing_inputs_do_not_match(evaluator):
    rows = [
        {"when": {"$ne": {"total": 5}}, "then": {"tier": "vp"}},
        {"when": {"$nin": {"category": ["office"]}}, "then": {"tier": "vp"}},
        {"when": {"$lt": {"total": 1}}, "then": {"tier": "vp"}},
        {"when": {"$or": [{"$lte": {"total": 0}}, {"$gte": {"total": 0}}]}, "then": {"tier": "vp"}},
        {"when": {"$mt": {"category": ".*"}}, "then": {"tier": "vp"}},
        {"when": {"$nex": {"total": 1}}, "then": {"tier": "gm"}},
    ]
    for data in ({}, {"total": None, "category": None}, {"total": "", "category": ""}):
        decision = evaluator.evaluate(table("collect", rows=rows), data)
        assert decision.fired == (6,), data
        assert decision.inputs == {}


def test_nested_inputs(evaluator):
    ruleset = table("first", inputs=[{"key": "applicant.level", "type": "number"}],
                    rows=[{"when": {"$gte": {"applicant.level": 5}}, "then": {"tier": "gm"}},
                          {"when": {"$ex": {"applicant.level": 1}}, "then": {"tier": "vp"}}])
    assert evaluator.evaluate(ruleset, {"applicant": {"level": "7"}}).outcome == {"tier": "gm"}
    assert evaluator.evaluate(ruleset, {"applicant.level": 2}).outcome == {"tier": "vp"}
    assert evaluator.evaluate(ruleset, {"applicant": {"name": "x"}}).outcome == {}
    assert evaluator.evaluate(ruleset, {"applicant": "flat"}).outcome == {}


def test_every_operator_runs(evaluator):
    inputs = [{"key": "total", "type": "money"}, {"key": "category", "type": "select",
                                                  "options": ["travel", "office"]},
              {"key": "code", "type": "text"}, {"key": "day", "type": "date"},
              {"key": "urgent", "type": "checkbox"}]
    conditions = [
        {"category": "travel"}, {"$ne": {"category": "office"}}, {"$lt": {"total": 100}},
        {"$lte": {"total": 99.5}}, {"$gt": {"total": 99}}, {"$gte": {"total": 99.5}},
        {"$ex": {"code": 1}}, {"$nex": {"code": 1}}, {"$mt": {"code": "[A-Z]{2}-[0-9]+"}},
        {"$mt": {"code": "A*|B"}}, {"$in": {"total": [1, 99.5]}}, {"$nin": {"category": ["office"]}},
        {"$and": [{"urgent": True}, {"$gt": {"day": "2026-03-01"}}]},
        {"$or": [{"urgent": False}, {"$lt": {"day": "2026-03-01"}}]},
    ]
    ruleset = table("collect", inputs=inputs,
                    rows=[{"when": c, "then": {"days": i}} for i, c in enumerate(conditions, 1)])
    decision = evaluator.evaluate(ruleset, {"total": "99.50", "category": "travel", "code": "AB-12",
                                            "day": dt.date(2026, 3, 2), "urgent": "on"})
    assert decision.fired == (1, 2, 3, 4, 5, 6, 7, 9, 11, 12, 13)
    decision = evaluator.evaluate(ruleset, {"total": 1, "category": "office", "code": "AB",
                                            "day": "2026-02-01", "urgent": False})
    assert decision.fired == (3, 4, 7, 11, 14)
    assert evaluator.evaluate(ruleset, {"code": "AAB"}).fired == (8 - 1,)


def test_quotes_backslashes_and_control_characters_mean_what_they_say(evaluator):
    inputs = [{"key": "name", "type": "text"}]
    rows = [{"when": {"$mt": {"name": ".?"}}, "then": {"days": 1}},
            {"when": {"$gt": {"name": "a#"}}, "then": {"days": 2}},
            {"when": {"$lt": {"name": "a!"}}, "then": {"days": 3}},
            {"when": {"name": 'say "hi"'}, "then": {"days": 4}}]
    ruleset = table("collect", rows=rows, inputs=inputs)
    assert evaluator.evaluate(ruleset, {"name": "\\"}).fired == (1, 3)
    assert evaluator.evaluate(ruleset, {"name": 'a"'}).fired == ()
    assert evaluator.evaluate(ruleset, {"name": "a\t"}).fired == (3,)
    assert evaluator.evaluate(ruleset, {"name": 'say "hi"'}).fired == (2, 4)
    plain = table("collect", rows=rows[:3], inputs=inputs, version=2)
    assert evaluator.evaluate(plain, {"name": "\\"}).fired == (1, 3)
    assert evaluator.evaluate(plain, {"name": "b"}).fired == (1, 2)


# ---------------------------------------------------------------- limits and versions


def test_more_than_200_rows_are_refused_before_any_engine_runs(evaluator, monkeypatch):
    doc = table().to_dict()
    doc["rows"] = [{"when": {"$gt": {"total": i}}, "then": {"tier": "vp"}} for i in range(201)]
    if "durable" in sys.modules:
        import rules.durable_adapter as adapter

        def untouchable(*args, **kwargs):
            raise AssertionError("durable-rules was touched")
        monkeypatch.setattr(adapter, "compile_ruleset", untouchable)
    with pytest.raises(RuleError, match="201 rows; at most 200 are allowed"):
        evaluator.evaluate(Ruleset.from_dict(doc), {"total": 1})


def test_200_rows_all_matching(evaluator):
    rows = [{"when": {"$gte": {"total": i}}, "then": {"days": i}} for i in range(200)]
    ruleset = table("collect", rows=rows)
    decision = evaluator.evaluate(ruleset, {"total": 500})
    assert decision.fired == tuple(range(1, 201))
    assert decision.outcome == {"days": list(range(200))}
    assert evaluator.evaluate(table("first", rows=rows, version=2), {"total": 500}).fired == (1,)
    rows.reverse()
    decision = evaluator.evaluate(table("first", rows=rows, version=3), {"total": 150})
    assert decision.fired == (50,) and decision.outcome == {"days": 150}
    assert len(decision.trace) == 50


def test_many_alternatives_in_one_table(evaluator):
    ors = {"$or": [{"$gte": {"total": j}} for j in range(32)]}
    rows = [{"when": ors, "then": {"days": k}} for k in range(10)]
    rows.append({"when": {"$in": {"category": ["travel"] + [f"x{j}" for j in range(99)]}},
                 "then": {"days": 99}})
    ruleset = table("collect", rows=rows, inputs=[
        {"key": "total", "type": "money"}, {"key": "category", "type": "text"}])
    decision = evaluator.evaluate(ruleset, {"total": 100, "category": "travel"})
    assert decision.fired == tuple(range(1, 12))


def test_a_new_version_is_used_at_once_and_a_version_never_changes(evaluator):
    v1 = table("first")
    v2 = table("first", version=2, rows=[{"when": {"$gt": {"total": 1000}}, "then": {"tier": "gm"}}])
    assert evaluator.evaluate(v1, {"total": 6000}).outcome == {"tier": "vp"}
    assert evaluator.evaluate(v2, {"total": 6000}).outcome == {"tier": "gm"}
    assert evaluator.evaluate(v1, {"total": 6000}).outcome == {"tier": "vp"}
    if not isinstance(evaluator, ReferenceEvaluator):
        changed = table("first", rows=[{"when": {"$gt": {"total": 1}}, "then": {"tier": "gm"}}])
        with pytest.raises(RuleError, match="publish the change as a new version"):
            evaluator.evaluate(changed, {"total": 6000})
        assert evaluator.evaluate(Ruleset.from_dict(v1.to_dict()), {"total": 6000}).fired == (1,)


def test_alternating_forms_never_leak_into_each_other(evaluator):
    ruleset = table("collect", default={"tier": "none"})
    big = {"total": 6000, "category": "travel"}
    small = {"total": 10, "category": "office"}
    for _ in range(300):
        assert evaluator.evaluate(ruleset, big).fired == (1, 2, 3)
        assert evaluator.evaluate(ruleset, small).default_used is True
        assert evaluator.evaluate(DEMO_TIER, {"total": 60000}).fired == (1,)
        assert evaluator.evaluate(DEMO_TIER, {}).default_used is True


def test_concurrent_evaluations_are_serialised_and_start_no_threads():
    before = threading.active_count()
    evaluator = durable_evaluator()
    assert threading.active_count() == before
    ruleset = table("collect")
    errors: list[str] = []

    def work(total: int, expected: tuple[int, ...]) -> None:
        for _ in range(150):
            fired = evaluator.evaluate(ruleset, {"total": total, "category": "office"}).fired
            if fired != expected:
                errors.append(f"{total}: {fired}")

    threads = [threading.Thread(target=work, args=args)
               for args in [(6000, (1, 3)), (10, ()), (2000, (1,)), (7000, (1, 3))]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert threading.active_count() == before


# ---------------------------------------------------------------- coercion


def coerced(type_, value, **extra):
    ruleset = table(inputs=[{"key": "v", "type": type_, **extra}], rows=[])
    return coerce_inputs(ruleset, {"v": value, "other": 1}).get("v", "<absent>")


@pytest.mark.parametrize("type_, value, expected", [
    ("money", 12000, 12000),
    ("money", "12000.50", 12000.5),
    ("money", " 7 ", 7),
    ("money", Decimal("19.999"), 20),
    ("money", 0.125, 0.13),
    ("money", 5e-07, 0),
    ("number", 2.0, 2),
    ("number", "1.23456", 1.2346),
    ("number", -0.0, 0),
    ("number", Decimal(3), 3),
    ("text", "hello", "hello"),
    ("text", 42, "42"),
    ("select", "travel", "travel"),
    ("date", "2026-03-01", "2026-03-01"),
    ("date", dt.date(2026, 3, 1), "2026-03-01"),
    ("date", dt.datetime(2026, 3, 1, 9, 30), "2026-03-01"),
    ("date", "2026-03-01T09:30:00", "2026-03-01"),
    ("datetime", "2026-03-01T09:30", "2026-03-01T09:30:00"),
    ("datetime", dt.datetime(2026, 3, 1, 9, 30, 5, 999), "2026-03-01T09:30:05"),
    ("checkbox", True, True),
    ("checkbox", "on", True),
    ("checkbox", "false", False),
    ("checkbox", 0, False),
    ("money", None, "<absent>"),
    ("text", "", "<absent>"),
])
def test_coerce_inputs(type_, value, expected):
    result = coerced(type_, value)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize("type_, value, message", [
    ("money", "12,000", "expected a number"),
    ("money", True, "expected a number, got bool"),
    ("money", "NaN", "expected a finite number"),
    ("money", float("inf"), "expected a finite number"),
    ("number", 2**60, "too large"),
    ("money", [1], "expected a number, got list"),
    ("text", 1.5, "expected text, got float"),
    ("text", "a\x00b", "NUL"),
    ("date", "01/03/2026", "expected a date"),
    ("datetime", "2026-03-01T09:30:00+08:00", "without a time zone"),
    ("checkbox", "maybe", "expected true or false"),
])
def test_bad_values_raise_rule_errors_naming_the_input(type_, value, message):
    with pytest.raises(RuleError, match=rf'ruleset tier@1: input "v" \({type_}\): .*{message}'):
        coerced(type_, value)


def test_select_values_must_be_options():
    with pytest.raises(RuleError, match='input "v" \\(select\\): "bus" is not one of train, plane'):
        coerced("select", "bus", options=["train", "plane"])


def test_only_declared_inputs_are_used():
    assert coerce_inputs(DEMO_TIER, {"total": "1", "reason": "x", "items": [{"amount": 1}]}) == {"total": 1}


# ---------------------------------------------------------------- choosing an evaluator


def test_default_evaluator_prefers_durable():
    pytest.importorskip("durable")
    from rules.durable_adapter import DurableEvaluator
    assert isinstance(default_evaluator(), DurableEvaluator)


def test_default_evaluator_falls_back_with_a_logged_warning(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "durable", None)
    monkeypatch.delitem(sys.modules, "rules.durable_adapter", raising=False)
    with caplog.at_level(logging.WARNING, logger="rules.evaluation"):
        evaluator = default_evaluator()
    assert isinstance(evaluator, ReferenceEvaluator)
    assert "durable-rules is not available" in caplog.text
    assert evaluator.evaluate(DEMO_TIER, {"total": 12000}).fired == (2,)


# ---------------------------------------------------------------- durable agrees with the oracle

INPUTS = [
    {"key": "amount", "type": "money"},
    {"key": "qty", "type": "number"},
    {"key": "cat", "type": "select", "options": ["a", "b", "c"]},
    {"key": "name", "type": "text"},
    {"key": "day", "type": "date"},
    {"key": "flag", "type": "checkbox"},
    {"key": "who.level", "type": "number"},
]
NUMBERS = st.sampled_from([0, 1, 2.5, 10, 99.99, 100, 100.0, -5, 1000])
TEXT = st.text(alphabet='ab"\\ 中\tx', max_size=4)
DATES = st.sampled_from(["2026-01-01", "2026-02-28", "2026-03-01", "2025-12-31"])
PATTERNS = st.sampled_from(["a.*", "(a|b)+", "[a-c]*x?", "a*|b", "x{2,}", '.*"', "中.*", "(ab|c)d*",
                            "[ab]{1,3}", ".?"])
_versions = itertools.count(1)


def leaf(field: str) -> st.SearchStrategy:
    if field in ("amount", "qty", "who.level"):
        literal: st.SearchStrategy = NUMBERS
        ops = ["$eq", "$ne", "$lt", "$lte", "$gt", "$gte", "$in", "$nin"]
    elif field == "cat":
        literal = st.sampled_from(["a", "b", "c"])
        ops = ["$eq", "$ne", "$lt", "$gt", "$in", "$nin", "$mt"]
    elif field == "name":
        literal = TEXT
        ops = ["$eq", "$ne", "$lte", "$gte", "$in", "$nin", "$mt"]
    elif field == "day":
        literal = DATES
        ops = ["$eq", "$lt", "$gte", "$in", "$mt"]
    else:
        literal = st.booleans()
        ops = ["$eq", "$ne"]
    ops += ["$ex", "$nex"]

    def build(op: str, value, values, pattern) -> dict:
        if op == "$eq":
            return {field: value}
        if op in ("$ex", "$nex"):
            return {op: {field: 1}}
        if op in ("$in", "$nin"):
            return {op: {field: values}}
        if op == "$mt":
            return {op: {field: pattern}}
        return {op: {field: value}}

    return st.builds(build, st.sampled_from(ops), literal, st.lists(literal, min_size=1, max_size=4),
                     PATTERNS)


CONDITIONS = st.recursive(
    st.sampled_from([i["key"] for i in INPUTS]).flatmap(leaf),
    lambda inner: st.builds(lambda op, subs: {op: subs}, st.sampled_from(["$and", "$or"]),
                            st.lists(inner, min_size=1, max_size=3)),
    max_leaves=5)


@st.composite
def rulesets(draw) -> Ruleset:
    rows = draw(st.lists(st.builds(lambda when, out: {"when": when, "then": {"out": out}},
                                   CONDITIONS, st.sampled_from(["x", "y", "z"])),
                         min_size=1, max_size=8))
    doc = {"key": "diff", "version": next(_versions),
           "hit_policy": draw(st.sampled_from(["first", "unique", "collect"])),
           "inputs": INPUTS, "outputs": [{"key": "out", "type": "text"}], "rows": rows}
    if draw(st.booleans()):
        doc["default"] = {"out": "default"}
    assert validate_ruleset(doc) == []
    return Ruleset.from_dict(doc)


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(strategy, strategy, strategy, strategy, st.just(None), st.just(""))


FIELDS = {
    "amount": maybe(st.one_of(NUMBERS, st.floats(-10, 1100, allow_nan=False),
                              st.decimals(-10, 1100, places=3).map(str))),
    "qty": maybe(st.one_of(NUMBERS, st.integers(-10, 1100))),
    "cat": maybe(st.sampled_from(["a", "b", "c"])),
    "name": maybe(TEXT),
    "day": maybe(DATES),
    "flag": maybe(st.booleans()),
    "who": st.fixed_dictionaries({"level": maybe(NUMBERS)}),
}
FORMS = st.one_of(st.fixed_dictionaries(FIELDS), st.fixed_dictionaries({}, optional=FIELDS))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rulesets(), st.lists(FORMS, min_size=1, max_size=4))
def test_durable_agrees_with_the_reference_evaluator(ruleset, forms):
    assert_same_decisions(ruleset, forms)