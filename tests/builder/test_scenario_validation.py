"""Saved what-if scenarios in a flow document: checked with paths, kept through a round trip."""
from __future__ import annotations

import copy
import json

from builder.flows import Flow, Scenario
from builder.forms import Form
from builder.validation import validate_flow
from rules.ruleset import Ruleset
from tests.support import DEMO

BUNDLE = json.loads((DEMO / "processes" / "contract.json").read_text(encoding="utf-8"))
USERS = {"liu.yang", "wang.fang"}


def problems(scenarios) -> dict[str, str]:
    doc = copy.deepcopy(BUNDLE["flow"])
    doc["scenarios"] = scenarios
    rulesets = {r["key"]: Ruleset.from_dict(r) for r in BUNDLE["rulesets"]}
    found = validate_flow(doc, form=Form.from_dict(BUNDLE["form"]), rulesets=rulesets,
                          roles={"legal", "finance", "vp", "gm"}, users=USERS)
    return {p.path: p.message for p in found if p.path.startswith("scenarios")}


def test_a_good_scenario_passes_and_round_trips():
    saved = {"name": "Major contract", "submitter": "liu.yang", "data": {"amount": "2,000,000"},
             "route": ["dept_head", "legal"]}
    assert problems([saved]) == {}
    flow = Flow.from_dict({**BUNDLE["flow"], "scenarios": [saved]})
    assert flow.scenarios == (Scenario("Major contract", "liu.yang", {"amount": "2,000,000"}, ("dept_head", "legal")),)
    assert flow.to_dict()["scenarios"] == [saved]


def test_every_problem_of_a_scenario_has_its_path():
    found = problems([{"name": " ", "submitter": "nobody", "data": [], "route": "dept_head", "extra": 1},
                      "not an object",
                      {"name": "Twice", "submitter": "liu.yang"}, {"name": "Twice", "submitter": "liu.yang"}])
    assert set(found) == {"scenarios[0].name", "scenarios[0].submitter", "scenarios[0].data", "scenarios[0].route",
                          "scenarios[0].extra", "scenarios[1]", "scenarios[3].name"}
    assert problems("all of them") == {"scenarios": "must be a list"}


def test_the_people_a_scenario_chose_round_trip_and_a_bad_shape_has_its_path():
    saved = {"name": "Chosen", "submitter": "liu.yang", "data": {}, "route": [], "chosen": {"legal": ["wang.fang"]}}
    assert problems([saved]) == {}
    assert Flow.from_dict({**BUNDLE["flow"], "scenarios": [saved]}).to_dict()["scenarios"] == [saved]
    assert set(problems([{**saved, "chosen": {"legal": "wang.fang"}}])) == {"scenarios[0].chosen"}
