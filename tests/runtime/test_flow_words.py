"""A step in words on the flow designer's cards (runtime.web.flow_words), in English and Chinese."""
from __future__ import annotations

import pytest

from runtime import i18n
from runtime.web import flow_words as words
from runtime.web.condition_subjects import Subject

NAMES = words.Names(roles={"finance": "Finance"}, fields={"reviewer": ("Reviewer", "user"), "unit": ("Unit", "department")},
                    rulesets={"approvers": "Approvers"}, processes={"expense": "Expense claim"},
                    person={"li.na": "Li Na"}.get)


@pytest.fixture(autouse=True)
def english():
    token = i18n.current_locale.set("en")
    yield
    i18n.current_locale.reset(token)


@pytest.mark.parametrize(("assignee", "mode", "said"), [
    ({"kind": "dept_head", "levels": 1}, "single", "head of the submitter's department"),
    ({"kind": "dept_head", "levels": 2}, "single", "head of the submitter's department, 2 levels up"),
    ({"kind": "dept_heads", "levels": 3}, "single", "every head up to 3 levels, in turn"),
    ({"kind": "role", "role": "finance"}, "all", "Finance (all must approve)"),
    ({"kind": "role", "role": "finance"}, "any", "Finance (any one)"),
    ({"kind": "role", "role": "finance"}, "sequential", "Finance (one after another)"),
    ({"kind": "role", "role": "finance"}, "single", "Finance"),
    ({"kind": "role", "role": "nobody"}, "single", "nobody"),
    ({"kind": "field", "field": "reviewer"}, "single", "the person chosen in “Reviewer”"),
    ({"kind": "field", "field": "unit"}, "single", "the head of the department chosen in “Unit”"),
    ({"kind": "ruleset", "ruleset": "approvers", "output": "approver"}, "single",
     "named by ruleset “Approvers” (output approver)"),
    ({"kind": "user", "user": "li.na"}, "single", "Li Na"),
    ({"kind": "user", "user": "li.na"}, "all", "Li Na"),  # one person: no mode to say
    ({"kind": "dept_heads", "levels": 2}, "any", "every head up to 2 levels, in turn"),
    ({"kind": "field", "field": "reviewer"}, "any", "the person chosen in “Reviewer” (any one)"),
    ({"kind": "user"}, "single", "nobody chosen yet"),
    ({"kind": "role", "role": ""}, "single", "no role chosen yet"),
    ({"kind": "chosen"}, "single", "chosen by the submitter"),
    ({"kind": "chosen", "role": "finance", "multiple": True}, "all",
     "chosen by the submitter among Finance, one or more (all must approve)"),
    ({"kind": "chosen", "multiple": True, "role": ""}, "single", "chosen by the submitter, one or more"),
])
def test_who_acts(assignee: dict, mode: str, said: str) -> None:
    assert words.who_acts(assignee, NAMES, mode) == said


def test_who_acts_in_chinese() -> None:
    i18n.current_locale.set("zh_CN")
    assert words.who_acts({"kind": "dept_head", "levels": 2}, NAMES) == "发起人的第 2 级主管"
    assert words.who_acts({"kind": "role", "role": "finance"}, NAMES, "all") == "Finance（会签，需全部同意）"
    assert words.time_limit({"amount": 3, "unit": "days"}) == "3 个工作日"


def test_time_limit() -> None:
    assert words.time_limit({"amount": 3, "unit": "days"}) == "3 working days"
    assert words.time_limit({"amount": 1, "unit": "hours"}) == "1 working hour"
    assert words.time_limit(None) == "" and words.time_limit({"amount": "x", "unit": "days"}) == ""


def test_a_branch_says_its_priority_and_its_case() -> None:
    subjects = [Subject("amount", "Amount", "money")]
    assert words.priority(0) == "priority 1"
    assert words.otherwise() == "otherwise"
    assert words.branch_condition({"when": {"$gt": {"amount": 1000000}}}, subjects, "en", by_ruleset=False) \
        == "Amount > 1,000,000"
    assert words.branch_condition({"steps": []}, subjects, "en", by_ruleset=False) == "no condition yet"
    assert words.branch_condition({"outcome": {"grade": "major"}}, subjects, "en", by_ruleset=True) == "grade is major"
    assert words.branch_condition({}, subjects, "en", by_ruleset=True) == "no condition yet"
    assert words.decided_by({"ruleset": "approvers"}, NAMES) == "decided by ruleset “Approvers”"
    assert words.starts({"process": "expense"}, NAMES) == "starts “Expense claim”"
    assert words.starts({}, NAMES) == "no process chosen yet"

def rung(amount: int, action: str, unit: str = "days") -> dict:
    return {"after": {"amount": amount, "unit": unit}, "action": action}


@pytest.mark.parametrize(("deadline", "ladder", "said"), [
    ({"amount": 2, "unit": "days"}, [rung(2, "remind"), rung(3, "transfer_superior")],
     "2 working days, then reminds; after 3 working days goes to the superior"),
    ({"amount": 8, "unit": "hours"}, [rung(4, "remind", "hours"), rung(1, "urge"), rung(2, "auto_reject")],
     "8 working hours, after 4 working hours reminds; after 1 working day urges; after 2 working days is rejected automatically"),
    (None, [rung(1, "auto_approve")], "after 1 working day is approved automatically"),  # a ladder without a limit
    ({"amount": 3, "unit": "days"}, [], "3 working days"),
    ({"amount": 3, "unit": "days"}, [{"after": {"amount": "", "unit": "days"}, "action": "remind"}, {"action": "urge"},
                                     rung(4, "fire"), "remind"], "3 working days"),  # unfinished rungs: left out
    ({"amount": 3, "unit": "days"}, {"after": 1}, "3 working days"),
])
def test_time_limit_with_its_escalation_ladder(deadline, ladder, said) -> None:
    assert words.time_limit(deadline, ladder) == said


def test_the_ladder_in_chinese() -> None:
    i18n.current_locale.set("zh_CN")
    assert words.time_limit({"amount": 2, "unit": "days"}, [rung(2, "remind"), rung(3, "transfer_superior")]) == \
        "2 个工作日，到期提醒；3 个工作日后转交上级"
