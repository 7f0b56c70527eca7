"""The demo processes as definitions, and a flow with every step kind, for the BPMN export tests."""
from __future__ import annotations

import copy
import json
from typing import Any

from builder.flows import Flow
from builder.forms import Form
from rules.ruleset import Ruleset
from tests.support import DEMO

PROCESSES = sorted(path.stem for path in (DEMO / "processes").glob("*.json"))


def bundle(process: str) -> dict[str, Any]:
    return json.loads((DEMO / "processes" / f"{process}.json").read_text(encoding="utf-8"))


def definitions(doc: dict[str, Any]) -> tuple[Flow, Form, dict[str, Ruleset]]:
    return (Flow.from_dict(doc["flow"]), Form.from_dict(doc["form"]),
            {r["key"]: Ruleset.from_dict(r) for r in doc["rulesets"]})


INPUTS = {"category": "category", "reason": "reason", "items": "items"}


def on_expense_form(key: str, steps: list[dict[str, Any]], **flow: Any) -> dict[str, Any]:
    """An export bundle of process `key` on the demo's expense form."""
    doc = copy.deepcopy(bundle("expense"))
    doc["rulesets"] = [r for r in doc["rulesets"] if r["key"] in flow.get("rulesets", ())]
    doc["flow"] = {"key": key, "version": 1, "title": {"zh_CN": key, "en": key}, "form": "expense-claim",
                   "steps": steps, **flow}
    return doc


def child(key: str = "purchase") -> dict[str, Any]:
    """A sub-process for `every_kind`: one approval on the same form."""
    return on_expense_form(key, [{"id": "buyer", "kind": "approval", "title": {"zh_CN": "采购审批"},
                                  "assignee": {"kind": "user", "user": "zhao.min"}}])


def every_kind(key: str = "every-kind", subflow: str = "purchase") -> dict[str, Any]:
    """An export bundle on the expense form whose flow has each step kind and approval mode: a
    copy, a branch on conditions with an empty `otherwise`, parallel lanes (one with an approval
    by all, one by any), heads in turn, a sub-process, and a ruleset-decided branch."""
    user = {"kind": "user", "user": "zhao.min"}
    return on_expense_form(key, rulesets=["expense-approval-tier"], steps=[
            {"id": "cc", "kind": "notify", "title": {"zh_CN": "抄送财务"},
             "assignee": {"kind": "role", "role": "finance"}},
            {"id": "kind", "kind": "branch", "title": {"zh_CN": "费用类别"}, "branches": [
                {"label": {"zh_CN": "差旅"}, "when": {"category": "travel"}, "steps": [
                    {"id": "review", "kind": "parallel", "title": {"zh_CN": "并行审核"}, "branches": [
                        {"label": {"zh_CN": "财务"}, "steps": [
                            {"id": "finance_all", "kind": "approval", "mode": "all",
                             "title": {"zh_CN": "财务会签"}, "assignee": {"kind": "role", "role": "finance"}}]},
                        {"label": {"zh_CN": "领导"}, "steps": [
                            {"id": "leaders_any", "kind": "approval", "mode": "any",
                             "title": {"zh_CN": "领导或签"}, "assignee": {"kind": "role", "role": "vp"}}]}]}]},
                {"label": {"zh_CN": "大额"}, "when": {"$gt": {"total": 5000}}, "steps": [
                    {"id": "heads", "kind": "approval", "title": {"zh_CN": "逐级主管"},
                     "assignee": {"kind": "dept_heads", "levels": 2}}]}],
             "else": []},
            {"id": "tier", "kind": "branch", "ruleset": "expense-approval-tier", "title": {"zh_CN": "审批层级"},
             "branches": [{"label": {"zh_CN": "超过 5,000"}, "outcome": {"tier": "vp"},
                           "steps": [{"id": "vp", "kind": "approval", "title": {"zh_CN": "分管副总审批"},
                                      "assignee": {"kind": "role", "role": "vp"}}]}],
             "else": [{"id": "hire", "kind": "subflow", "title": {"zh_CN": "招聘"}, "process": subflow,
                       "inputs": INPUTS}]},
            {"id": "pay", "kind": "task", "title": {"zh_CN": "出纳付款"}, "assignee": user,
             "deadline": {"amount": 2, "unit": "days"},
             "escalation": [{"after": {"amount": 1, "unit": "days"}, "action": "remind"}],
             "fields": {"reason": "readonly"}},
    ])
