"""The seven seed processes of the demo, each run end to end with the demo organisation: a
realistic submitter files it, every assignee acts in turn, and the path taken is the one the
policy describes. Every demo bundle also survives export -> import -> export byte for byte."""
from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from builder.exchange import dumps, export_bundle, import_bundle
from builder.flows import HumanStep
from runtime.app import create_app
from runtime.errors import ValidationFailed
from runtime.settings import Settings
from runtime.state import InstanceStatus, TaskStatus
from runtime.store.repository import MemoryRepository
from tests.support import DEMO, page_sign_in

PROCESSES = ("expense", "contract", "appointment", "order-review", "initiation", "recruitment",
             "document-access")


# ---------------------------------------------------------------------------------------------
# Helpers: act as whoever holds the open task, and read back the path taken


class Run:
    """One instance driven through the workflow by the people its tasks go to."""

    def __init__(self, workflow: Any, submitter: str, process: str, data: dict[str, Any],
                 **start: Any) -> None:
        self.wf = workflow
        self.instance = workflow.start(workflow.org.user(submitter), process, data, **start)

    @property
    def id(self) -> str:
        return self.instance.id

    @property
    def status(self) -> InstanceStatus:
        return self.wf.state.instances[self.id].status

    def tasks(self) -> list[Any]:
        return [self.wf.state.tasks[t] for t in self.wf.state.instances[self.id].task_ids]

    def waiting(self) -> list[tuple[str, str]]:
        """(step, assignee) of every open task, in the order they were created."""
        return [(t.step, t.assignee) for t in self.tasks() if t.status is TaskStatus.OPEN]

    def task_of(self, username: str) -> Any:
        (task,) = [t for t in self.tasks() if t.status is TaskStatus.OPEN and t.assignee == username]
        return task

    def act(self, username: str, action: str = "approve", text: str = "", **kwargs: Any) -> None:
        self.wf.act(self.wf.org.user(username), self.task_of(username).id, action, text, **kwargs)

    def send_back(self, username: str, to: str, reason: str) -> None:
        self.wf.send_back(self.wf.org.user(username), self.task_of(username).id, to, reason)

    def path(self) -> list[tuple[str, str, str]]:
        """(step, assignee, outcome) of every task so far."""
        return [(t.step, t.assignee, str(t.status)) for t in self.tasks()]

    def branches(self) -> dict[str, Any]:
        """Which branch each branch step took (None: its else)."""
        events = self.wf.state.instances[self.id].events
        return {e["step"]: e["branch"] for e in events if e["action"] == "decide"}


def bundle(process: str) -> dict[str, Any]:
    return json.loads((DEMO / "processes" / f"{process}.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# Contract approval (001 §7.2)


def contract(**changes: Any) -> dict[str, Any]:
    return {"title": "Control cabinet supply 2026", "counterparty": "Huadian Equipment Co.",
            "type": "purchase", "amount": "380,000", "risk": "low", "start_date": "2026-04-01",
            "end_date": "2027-03-31", "payment_terms": "30% advance, 70% within 30 days of acceptance",
            "summary": "Supply of 12 control cabinets, delivery in May", **changes}


CONTRACT_CHAIN = [("dept_head", "wang.fang"), ("legal", "zhou.jie"), ("finance", "zhao.min"),
                  ("vp", "chen.gang")]


def test_an_ordinary_contract_goes_head_legal_finance_vp_then_signing(workflow):
    run = Run(workflow, "liu.yang", "contract", contract())
    assert run.instance.data["foreign"] is False and run.instance.data["amount"] == 380000
    for _, who in CONTRACT_CHAIN:
        run.act(who)
    assert run.branches() == {"major": None}
    assert run.waiting() == [("sign", "wang.fang")]
    run.act("wang.fang", "complete", "Signed on 2026-03-20")
    assert run.status is InstanceStatus.COMPLETED
    assert [s for s, _, _ in run.path()] == ["dept_head", "legal", "finance", "vp", "sign"]


@pytest.mark.parametrize("changes", [
    {"amount": "1500000"},
    {"foreign": "on"},
    {"risk": "high", "risk_measures": "Letter of credit; penalty clause"},
], ids=["amount", "foreign", "risk"])
def test_a_major_contract_also_needs_the_gm(workflow, changes):
    run = Run(workflow, "liu.yang", "contract", contract(**changes))
    for _, who in CONTRACT_CHAIN:
        run.act(who)
    assert run.branches() == {"major": 0}
    assert run.waiting() == [("gm", "yang.hua")]
    run.act("yang.hua")
    run.act("wang.fang", "complete")
    assert [s for s, _, _ in run.path()] == ["dept_head", "legal", "finance", "vp", "gm", "sign"]
    assert run.status is InstanceStatus.COMPLETED


def test_a_contract_is_checked_on_filing_and_legal_rejects_with_a_reason_code(workflow):
    with pytest.raises(ValidationFailed) as failed:
        Run(workflow, "liu.yang", "contract", contract(risk="high", end_date="2026-01-01"))
    assert set(failed.value.errors) == {"risk_measures", "end_date"}
    run = Run(workflow, "liu.yang", "contract", contract())
    run.act("wang.fang")
    with pytest.raises(ValidationFailed):
        run.act("zhou.jie", "reject", "Governing law clause missing")  # no code chosen
    run.act("zhou.jie", "reject", "Governing law clause missing", code="legality")
    assert run.status is InstanceStatus.REJECTED


# ---------------------------------------------------------------------------------------------
# Personnel appointment (001 §7.3)


def appointment(level: str) -> dict[str, Any]:
    return {"kind": "promote", "employee": "Zhang Wei", "employee_no": "RD-0042",
            "current_position": "Engineer", "new_position": "Team lead", "level": level,
            "effective_date": "2026-04-01", "reason": "Led the metering project to delivery"}


@pytest.mark.parametrize("level, chain", [
    ("supervisor", ["hr_review", "vp", "announce"]),
    ("manager", ["hr_review", "vp", "gm", "announce"]),
])
def test_the_hiring_department_proposes_hr_and_leaders_approve_hr_announces(workflow, level, chain):
    run = Run(workflow, "li.na", "appointment", appointment(level))
    for step in chain:
        ((waiting, who),) = run.waiting()
        assert waiting == step
        run.act(who, "complete" if step == "announce" else "approve")
    assert [(s, who) for s, who, _ in run.path()] == [
        (s, {"hr_review": "wu.qiang", "vp": "chen.gang", "gm": "yang.hua", "announce": "wu.qiang"}[s])
        for s in chain]
    assert run.status is InstanceStatus.COMPLETED


def test_a_removal_names_the_current_position_and_no_new_one(workflow):
    data = {**appointment("staff"), "kind": "dismiss"}
    del data["current_position"]
    with pytest.raises(ValidationFailed) as failed:
        Run(workflow, "li.na", "appointment", data)
    assert failed.value.errors == {"current_position": "required"}
    run = Run(workflow, "li.na", "appointment", {**data, "current_position": "Engineer"})
    assert "new_position" not in run.instance.data  # hidden for a removal, so dropped


# ---------------------------------------------------------------------------------------------
# Document access request (003 §三)


def access(scope: str = "read", **changes: Any) -> dict[str, Any]:
    return {"document": "Acceptance report, metering project", "doc_class": "acceptance",
            "purpose": "Prepare the follow-up project", "scope": scope, "date_from": "2026-03-03",
            "date_until": "2026-03-06", "confidentiality": True, **changes}


def test_reading_a_document_is_approved_by_the_head_and_the_access_is_logged(workflow):
    run = Run(workflow, "zhang.wei", "document-access", access())
    run.act("li.na")
    assert run.waiting() == [("grant", "qian.hui")]
    run.act("qian.hui", "complete", "Read in the archive room, 2026-03-04 10:00-11:30")
    assert run.status is InstanceStatus.COMPLETED
    assert [(s, who) for s, who, _ in run.path()] == [("dept_head", "li.na"), ("grant", "qian.hui")]
    logged = [e for e in run.wf.state.instances[run.id].events if e["action"] == "complete"]
    assert logged[0]["comment"].startswith("Read in the archive room")


def test_providing_a_document_outside_also_needs_the_vp(workflow):
    with pytest.raises(ValidationFailed) as failed:
        Run(workflow, "zhang.wei", "document-access", access("external", confidentiality=False))
    assert failed.value.errors == {"recipient": "required", "confidentiality": "required"}
    run = Run(workflow, "zhang.wei", "document-access", access("external", recipient="State Grid audit team"))
    run.act("li.na")
    run.act("chen.gang")
    run.act("qian.hui", "complete")
    assert [s for s, _, _ in run.path()] == ["dept_head", "vp", "grant"]
    assert run.status is InstanceStatus.COMPLETED


# ---------------------------------------------------------------------------------------------
# Business initiation -> approval by tier -> execution -> acceptance with rectification (003 §二)


def initiation(**changes: Any) -> dict[str, Any]:
    return {"name": "Smart meter field trial", "department": "R&D", "owner": "Li Na",
            "nature": "project", "budget": "120000", "risk": "medium", "start_date": "2026-04-01",
            "end_date": "2026-06-30", "background": "Validate the new meter in 50 households",
            "acceptance_criteria": "Error below 0.5% in 95% of readings", **changes}


def test_ordinary_business_needs_only_the_head_and_acceptance_loops_until_it_passes(workflow):
    run = Run(workflow, "zhang.wei", "initiation", initiation())
    run.act("li.na")
    assert run.branches() == {"tier": None}
    assert run.waiting() == [("execute", "li.na")]
    run.act("li.na", "complete", "Installed 50 meters; readings collected for 4 weeks")
    for round_ in (1, 2):
        assert run.waiting() == [("acceptance", "ma.li")]
        run.send_back("ma.li", "execute", f"Round {round_}: 7% of readings above 0.5% error; recalibrate")
        assert run.waiting() == [("execute", "li.na")]
        assert run.status is InstanceStatus.RUNNING
        run.act("li.na", "complete", f"Recalibrated, round {round_}")
    assert run.waiting() == [("acceptance", "ma.li")]
    run.act("ma.li", "approve", "Passed: 97% of readings within 0.5%")
    assert run.status is InstanceStatus.COMPLETED
    assert [(s, outcome) for s, _, outcome in run.path()] == [
        ("dept_head", "approved"), ("execute", "completed"),
        ("acceptance", "returned"), ("execute", "completed"),
        ("acceptance", "returned"), ("execute", "completed"),
        ("acceptance", "approved")]


@pytest.mark.parametrize("changes", [
    {"budget": "800000"},
    {"risk": "high", "risk_measures": "Pilot in two districts first"},
    {"nature": "new_business"},
], ids=["amount", "risk", "nature"])
def test_important_business_also_goes_to_the_vp_and_the_gm(workflow, changes):
    run = Run(workflow, "zhang.wei", "initiation", initiation(**changes))
    run.act("li.na")
    assert run.branches() == {"tier": 0}
    run.act("chen.gang")
    run.act("yang.hua")
    run.act("li.na", "complete")
    run.act("ma.li")
    assert [s for s, _, _ in run.path()] == ["dept_head", "vp", "gm", "execute", "acceptance"]
    assert run.status is InstanceStatus.COMPLETED


def test_urgent_business_goes_straight_to_execution_and_owes_its_approvals_afterwards(workflow):
    """003 §二(二)3: 特事特办，事后补齐审批手续."""
    run = Run(workflow, "zhang.wei", "initiation", initiation(budget="800000"),
              urgent={"reason": "Grid operator's deadline is Friday"})
    main = [(t.step, t.assignee) for t in run.tasks() if not t.post_hoc and t.status is TaskStatus.OPEN]
    owed = {t.step: t for t in run.tasks() if t.post_hoc}
    assert main == [("execute", "li.na")]
    assert {s: t.assignee for s, t in owed.items()} == {"dept_head": "li.na", "vp": "chen.gang",
                                                       "gm": "yang.hua"}
    assert all(t.due for t in owed.values())
    (execute,) = [t for t in run.tasks() if t.step == "execute"]
    workflow.act(workflow.org.user("li.na"), execute.id, "complete", "Trial started")
    run.act("ma.li")  # acceptance
    assert run.status is InstanceStatus.COMPLETED
    assert workflow.state.instances[run.id].post_hoc_open == 3  # marked until the approvals are done
    for step, who in (("dept_head", "li.na"), ("vp", "chen.gang"), ("gm", "yang.hua")):
        workflow.act(workflow.org.user(who), owed[step].id, "approve", "Agreed afterwards")
    assert workflow.state.instances[run.id].post_hoc_open == 0


# ---------------------------------------------------------------------------------------------
# Order review (002 订单管理办法): regular orders by two, non-regular by four in parallel, then the GM


def order(order_type: str = "non_regular", **changes: Any) -> dict[str, Any]:
    data = {"customer": "Jiangnan Power Supply Co.", "project": "110 kV substation upgrade",
            "product": "Switchgear set", "model": "KYN28-12", "quantity": "6", "amount": "1,860,000",
            "delivery_date": "2026-06-30", "order_type": order_type,
            "requirements": "IEC 62271-200; five-prevention interlocks", "penalty": "on"}
    if order_type == "non_regular":
        data["non_regular_reason"] = "new_design"
    return {**data, **changes}


REVIEWERS = {"tech_review": "he.ming", "quality_review": "ma.li", "logistics_review": "guo.qing",
             "production_review": "lin.tao"}


def test_a_regular_order_is_checked_by_the_contract_desk_and_the_production_manager(workflow):
    run = Run(workflow, "liu.yang", "order-review", order("regular"))
    assert run.branches() == {"order_type": 0}
    run.act("xu.jing", "approve", "Specs match the 2025 supply")
    assert run.waiting() == [("production_check", "lin.tao")]
    run.act("lin.tao", "approve", "Fits the June plan")
    run.act("xu.jing", "complete", "Quoted and signed")
    run.act("lin.tao", "complete", "Production order PO-2026-031")
    assert run.status is InstanceStatus.COMPLETED
    assert [(s, who) for s, who, _ in run.path()] == [
        ("desk_check", "xu.jing"), ("production_check", "lin.tao"), ("quote", "xu.jing"),
        ("production_order", "lin.tao")]


def test_a_non_regular_order_is_reviewed_by_four_departments_in_parallel_then_the_gm(workflow):
    run = Run(workflow, "liu.yang", "order-review", order())
    assert run.branches() == {"order_type": 1}
    assert sorted(run.waiting()) == sorted(REVIEWERS.items())  # all four at once
    for step in ("logistics_review", "tech_review", "production_review"):
        run.act(REVIEWERS[step])
        assert ("gm_decision", "yang.hua") not in run.waiting()
    run.act("ma.li", "approve", "Type tests on file")
    assert run.waiting() == [("gm_decision", "yang.hua")]
    events = [e["action"] for e in run.wf.state.instances[run.id].events]
    assert events.count("join") == 1
    run.act("yang.hua", data={"decision": "accept"})
    run.act("xu.jing", "complete")
    run.act("lin.tao", "complete")
    assert run.status is InstanceStatus.COMPLETED
    assert run.wf.state.instances[run.id].data["decision"] == "accept"
    assert [s for s, _, _ in run.path()][4:] == ["gm_decision", "quote", "production_order"]


def test_the_gm_must_decide_and_conditions_come_with_a_conditional_acceptance(workflow):
    with pytest.raises(ValidationFailed) as failed:
        Run(workflow, "liu.yang", "order-review", order(decision="accept"))
    assert failed.value.errors == {"decision": "cannot be filled in here"}
    run = Run(workflow, "liu.yang", "order-review", order())
    for who in REVIEWERS.values():
        run.act(who)
    with pytest.raises(ValidationFailed) as failed:
        run.act("yang.hua")
    assert failed.value.errors == {"decision": "required"}
    with pytest.raises(ValidationFailed) as failed:
        run.act("yang.hua", data={"decision": "accept_with_conditions"})
    assert failed.value.errors == {"conditions": "required"}
    run.act("yang.hua", "approve", "Only with the later date",
            data={"decision": "accept_with_conditions", "conditions": "Delivery moved to 2026-07-31"})
    decided = [e for e in run.wf.state.instances[run.id].events if e["action"] == "approve"][-1]
    assert decided["changes"] == {
        "conditions": {"from": None, "to": "Delivery moved to 2026-07-31"},
        "decision": {"from": None, "to": "accept_with_conditions"}}
    assert run.waiting() == [("quote", "xu.jing")]
    seller = run.wf.org.user("liu.yang")  # read-only at the start: not asked then, read once decided
    assert run.wf.view(seller, run.wf.state.instances[run.id]).data["decision"] == "accept_with_conditions"


def test_the_gm_declines_a_non_regular_order_with_a_reason_code(workflow):
    run = Run(workflow, "liu.yang", "order-review", order())
    for who in REVIEWERS.values():
        run.act(who)
    run.act("yang.hua", "reject", "Cannot make June with the new design", code="delivery")
    assert run.status is InstanceStatus.REJECTED
    assert run.waiting() == []


def test_one_department_refusing_in_the_review_declines_the_order_at_once(workflow):
    run = Run(workflow, "liu.yang", "order-review", order())
    run.act("guo.qing", "reject", "Vacuum breakers: 20 weeks lead time", code="materials")
    assert run.status is InstanceStatus.REJECTED
    assert run.waiting() == []


# ---------------------------------------------------------------------------------------------
# Recruitment (002, BPM section): department -> leader -> HR computes the salary -> department


def candidate(**changes: Any) -> dict[str, Any]:
    return {"candidate": "Zhou Xin", "position": "Embedded engineer", "level": "staff",
            "interviewers": "Zhang Wei, Li Na", "interview_result": "Strong on RTOS; two rounds passed",
            "expected_salary": "18000", "start_date": "2026-04-13", **changes}


def test_the_department_proposes_the_leader_approves_hr_sets_the_salary_the_department_tells(workflow):
    with pytest.raises(ValidationFailed) as failed:
        Run(workflow, "zhang.wei", "recruitment", candidate(base_salary="30000"))
    assert failed.value.errors == {"base_salary": "cannot be filled in here"}  # HR's, not the department's
    run = Run(workflow, "zhang.wei", "recruitment", candidate())
    with pytest.raises(ValidationFailed):
        run.act("li.na", "approve", data={"base_salary": 30000})
    run.act("li.na", "approve", "Agreed, within headcount")
    assert run.waiting() == [("salary", "wu.qiang")]
    with pytest.raises(ValidationFailed) as failed:
        run.act("wu.qiang", "complete")
    assert failed.value.errors == {"base_salary": "required", "probation_months": "required"}
    run.act("wu.qiang", "complete", "Band E3",
            data={"base_salary": "16,000", "allowance": "2000", "probation_months": "3"})
    data = run.wf.state.instances[run.id].data
    assert (data["base_salary"], data["allowance"], data["monthly_total"], data["probation_months"]) == (
        16000, 2000, 18000, 3)
    assert run.waiting() == [("notify_candidate", "li.na")]
    run.act("li.na", "complete", "Offer accepted by phone")
    assert run.status is InstanceStatus.COMPLETED
    assert [(s, who) for s, who, _ in run.path()] == [
        ("leader", "li.na"), ("salary", "wu.qiang"), ("notify_candidate", "li.na")]


# ---------------------------------------------------------------------------------------------
# Every demo process: published, its start page renders, its bundle round-trips


def test_every_human_step_of_the_seed_processes_has_a_time_limit(workflow):
    for process in PROCESSES[1:]:  # the expense demo predates deadlines
        flow = workflow.latest(process).flow
        assert all(s.deadline is not None for s in flow.walk() if isinstance(s, HumanStep)), process


@pytest.mark.parametrize("process", PROCESSES)
def test_every_bundle_exports_imports_and_exports_byte_identically(workflow, process):
    org = workflow.org
    exported = dumps(workflow.export(process))
    assert exported == (DEMO / "processes" / f"{process}.json").read_text(encoding="utf-8")
    again = dumps(export_bundle(*import_bundle(json.loads(exported), roles=set(org.roles),
                                               users=set(org.users))))
    assert again == exported


def test_every_process_is_published_and_its_start_page_renders():
    with TestClient(create_app(Settings(demo=True), MemoryRepository())) as client:
        page_sign_in(client, "zhang.wei", "demo")
        home = client.get("/")
        for process in PROCESSES:
            assert f'href="/start/{process}"' in home.text
            page = client.get(f"/start/{process}", headers={"Accept-Language": "en"})
            assert page.status_code == 200, process
            assert 'id="start-form"' in page.text
        contract_page = client.get("/start/contract").text
        assert 'type="checkbox"' in contract_page and 'name="foreign"' in contract_page
