"""People read what a condition names by its words, never its key: the record's "because", the
what-if's and the flow checks say "Leave period: days 5 > 3" (请假时间：天数) where the branch
condition reads `leave_period.days`, in the reader's language; the event stays as recorded."""
from __future__ import annotations

from typing import Any

from builder.flows import Flow
from builder.forms import Form
from runtime.definitions import Definitions
from runtime.flow_checks import flow_checks
from runtime.setup import open_workflow
from runtime.store.repository import MemoryRepository
from runtime.web.timeline import decision_words
from tests.support import reading_in

LEAVE_FORM = {"key": "leave", "version": 1, "title": "Leave request", "fields": [
    {"key": "leave_period", "type": "daterange", "label": {"en": "Leave period", "zh_CN": "请假时间"}, "required": True},
    {"key": "kind", "type": "select", "label": {"en": "Leave type", "zh_CN": "假别"}, "required": True,
     "options": [{"value": "annual", "label": {"en": "Annual leave", "zh_CN": "年假"}},
                 {"value": "sick", "label": {"en": "Sick leave", "zh_CN": "病假"}}]}]}
LONG = {"$gt": {"leave_period.days": 3}}
LEAVE_FLOW = {"key": "leave", "form": "leave", "version": 1, "title": "Leave", "steps": [
    {"id": "long", "kind": "branch", "title": {"en": "Long leave?", "zh_CN": "长假？"},
     "branches": [{"label": {"en": "More than 3 days", "zh_CN": "超过3天"}, "when": LONG, "steps": []}],
     "else": []}]}


def leave_defs() -> Definitions:
    return Definitions(Flow.from_dict(LEAVE_FLOW), Form.from_dict(LEAVE_FORM), {})


def decided(**inputs: Any) -> dict[str, Any]:
    return {"action": "decide", "step": "long", "branch": 0, "inputs": inputs}


def test_the_record_says_why_a_branch_was_taken_by_the_subjects_words_in_english():
    with reading_in("en"):
        chosen, why = decision_words(decided(**{"leave_period.days": 5}), leave_defs())
    assert chosen == "More than 3 days"
    assert why == "because Leave period: days 5 > 3", why


def test_the_record_says_it_in_chinese_too():
    with reading_in("zh_CN"):
        chosen, why = decision_words(decided(**{"leave_period.days": 5}), leave_defs())
    assert chosen == "超过3天"
    assert "请假时间：天数 5 > 3" in why and "leave_period" not in why, why


def leave_checks() -> list[Any]:
    """The flow checks' problems with the leave flow (its branch has an empty "otherwise")."""
    workflow = open_workflow(MemoryRepository(), demo=True)
    return flow_checks(LEAVE_FLOW, form=Form.from_dict(LEAVE_FORM), rulesets={}, org=workflow.org,
                       processes=workflow)


def test_the_checks_name_what_no_branch_covers_by_its_words_in_the_readers_language():
    (gap,) = leave_checks()
    assert gap.path == "steps[0]"
    assert str(gap.message).startswith("Leave period: days ≤ 3 takes no branch"), gap.message
    assert str(gap.message).endswith("(e.g. Leave period: days = 3)"), gap.message
    with reading_in("zh_CN"):
        shown = gap.message.localized()
    assert shown.startswith("请假时间：天数 ≤ 3") and "leave_period" not in shown, shown


def test_the_simulator_says_what_it_read_by_the_subjects_words():
    from runtime.simulation import simulate

    workflow = open_workflow(MemoryRepository(), demo=True)
    data = {"leave_period": {"start": "2026-12-07", "end": "2026-12-11"}, "kind": "annual"}
    with reading_in("en"):
        (branch,) = simulate(workflow, leave_defs(), "wang.fang", data).path
    assert branch.outcome == "branch 1"
    assert "Leave period: days = 5" in branch.because and "leave_period" not in branch.because, branch.because
    with reading_in("zh_CN"):
        (branch,) = simulate(workflow, leave_defs(), "wang.fang", data).path
    assert "请假时间：天数 = 5" in branch.because, branch.because


def test_the_checks_name_an_option_by_its_label():
    import copy

    flow = copy.deepcopy(LEAVE_FLOW)
    flow["steps"][0]["branches"][0]["when"] = {"kind": "annual"}
    workflow = open_workflow(MemoryRepository(), demo=True)
    (gap,) = flow_checks(flow, form=Form.from_dict(LEAVE_FORM), rulesets={}, org=workflow.org, processes=workflow)
    assert str(gap.message).startswith("Leave type = Sick leave takes no branch"), gap.message
    with reading_in("zh_CN"):
        assert gap.message.localized().startswith("假别 = 病假"), gap.message.localized()
