"""The seeds' contract approval built from a blank page in the flow designer, as an admin would:
the published contract form; the department head; legal and finance in parallel; "Major contract?"
decided by the demo's ruleset, a major one to the VP then the GM, otherwise to the VP; the cashier
pays. Three contracts simulated (small, major by amount, major because foreign-related) take their
three routes with the people named; they are saved as scenarios, the flow published, and a
contract filed by staff goes the way the simulation said, to the people it said.
Screenshots go to tests/browser/artifacts/ (contract-1-blank … contract-8-routed)."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.actions import shot, sign_in, submit
from tests.browser.flow_actions import fill_contract, insert, rename, role, select, simulate, steps_in, wait_saved

KEY = "contract-signing"
ORDINARY = ["dept_head", "parallel", "approval", "approval_2", "branch", "approval_5", "task"]
MAJOR = ["dept_head", "parallel", "approval", "approval_2", "branch", "approval_3", "approval_4", "task"]
PEOPLE = {"dept_head": "Wang Fang", "approval": "Zhou Jie", "approval_2": "Zhao Min", "approval_3": "Chen Gang",
          "approval_4": "Yang Hua", "approval_5": "Chen Gang", "task": "Sun Li"}


def build(page: Page, server: str) -> None:
    page.locator("#nav-flows").click()
    page.locator("#new-flow").click()
    page.get_by_label("Title (Chinese)").fill("合同签订审批（新）")
    page.get_by_label("Title (English)").fill("Contract signing")
    expect(page.locator("#flow-key")).to_have_attribute("placeholder", KEY)
    page.locator("#flow-form").select_option("contract-approval")  # chosen from the published forms
    page.locator("#create-flow").click()
    expect(page).to_have_url(re.compile(f"/designer/flows/{KEY}$"))
    assert steps_in(page, "root") == ["dept_head"]
    expect(page.locator("#step-start")).to_contain_text("Contract approval form")
    shot(page, "contract-1-blank")

    rename(page, "dept_head", "Department head", "部门负责人审核")
    expect(page.locator("#step-dept_head .ff-who")).to_have_text("head of the submitter's department")

    insert(page, "root-1", "parallel")
    assert steps_in(page, "parallel--l0") == ["approval"] and steps_in(page, "parallel--l1") == ["approval_2"]
    role(page, "approval", "legal")
    rename(page, "approval", "Legal review", "法务审核")
    role(page, "approval_2", "finance")
    rename(page, "approval_2", "Finance review", "财务审核")
    expect(page.locator("#step-approval .ff-who")).to_have_text("Legal")
    expect(page.locator("#step-approval_2 .ff-who")).to_have_text("Finance")

    insert(page, "root-2", "branch")
    rename(page, "branch", "Major contract?", "是否重大合同")
    page.locator("#branch-ruleset").select_option("contract-major")
    wait_saved(page)
    page.locator("#branch-0-outcome-grade").select_option(label="major")
    wait_saved(page)
    page.locator("#branch-0-label-en").fill("Major contract")
    expect(page.locator("#lane-branch--b0 .ff-lane-label")).to_have_text("Major contract")
    wait_saved(page)
    expect(page.locator("#case-branch--b0")).to_have_text("Contract grade is major")
    insert(page, "branch--b0-0", "approval")
    role(page, "approval_3", "vp")
    rename(page, "approval_3", "VP approval", "分管副总审批")
    insert(page, "branch--b0-1", "approval")
    role(page, "approval_4", "gm")
    rename(page, "approval_4", "GM approval", "总经理审批")
    insert(page, "branch--else-0", "approval")
    role(page, "approval_5", "vp")
    rename(page, "approval_5", "VP approval", "分管副总审批")
    assert steps_in(page, "branch--b0") == ["approval_3", "approval_4"] and steps_in(page, "branch--else") == ["approval_5"]

    insert(page, "root-3", "task")
    role(page, "task", "cashier")
    rename(page, "task", "Cashier pays", "出纳付款")
    assert steps_in(page, "root") == ["dept_head", "parallel", "branch", "task"]
    expect(page.locator("#problems")).to_contain_text("No problems")
    expect(page.locator("#publish-button")).to_be_enabled()
    shot(page, "contract-2-built")


def on_the_tree(page: Page, route: list[str]) -> None:
    """The simulated route drawn on the tree: its steps taken with their people, the others greyed."""
    for step, person in PEOPLE.items():
        card = page.locator(f"#step-{step}")
        if step in route:
            expect(card).to_have_class(re.compile(r"\bff-taken\b"))
            expect(page.locator(f"#sim-{step}")).to_contain_text(person)
        else:
            expect(card).to_have_class(re.compile(r"\bff-not-taken\b"))


def what_if(page: Page, name: str, route: list[str], picture: str, **contract: object) -> None:
    """Simulate a contract filed by Liu Yang (sales), see its route, save it as a scenario."""
    fill_contract(page, submitter="liu.yang", **contract)  # type: ignore[arg-type]
    simulate(page, route)
    on_the_tree(page, route)
    page.locator("#whatif").scroll_into_view_if_needed()
    shot(page, picture)
    page.locator("#scenario-name").fill(name)
    page.locator("#save-scenario").click()
    expect(page.locator("#scenario-saved")).to_contain_text(name)
    wait_saved(page)


def simulate_three(page: Page) -> None:
    what_if(page, "Small purchase", ORDINARY, "contract-3-small", amount="50000")
    expect(page.locator("#step-branch")).to_contain_text("otherwise")
    what_if(page, "Major by amount", MAJOR, "contract-4-major-amount", amount="2000000")
    expect(page.locator("#step-branch")).to_contain_text("Major contract")
    expect(page.locator("#sim-branch")).to_contain_text("Amount above 1,000,000")
    what_if(page, "Foreign-related", MAJOR, "contract-5-major-foreign", amount="50000", foreign=True)
    expect(page.locator("#sim-branch")).to_contain_text("Foreign-related")
    expect(page.locator("#scenarios > li")).to_have_count(3)
    expect(page.locator("#scenario-route-0")).not_to_contain_text("GM approval")
    expect(page.locator("#scenario-route-2")).to_contain_text("GM approval")


def publish(page: Page) -> None:
    page.locator("#publish-note").fill("Contract approval after policy 001 §7: legal and finance in parallel")
    page.locator("#publish-button").click()
    expect(page.locator("#published")).to_contain_text("Version 1 is published")
    shot(page, "contract-6-published")


def file_foreign_contract(page: Page, server: str) -> str:
    """Liu Yang (sales) files the foreign-related contract the simulation sent via the GM; its record's URL."""
    sign_in(page, server, "liu.yang")
    page.goto(f"{server}/start/{KEY}")
    page.get_by_label("Contract title").fill("Printers")
    page.get_by_label("Counterparty").fill("Acme Ltd. (Hong Kong)")
    page.get_by_label("Contract type").select_option("purchase")
    page.get_by_label("Contract amount").fill("50000")
    page.get_by_label("Foreign-related contract").check()
    page.get_by_label("Risk level").select_option("low")
    page.get_by_label("Term from").fill("2026-01-01")
    page.get_by_label("Term until").fill("2026-12-31")
    page.get_by_label("Payment and settlement terms").fill("30 days after delivery")
    page.get_by_label("Main terms").fill("Ten printers with three years of service")
    return submit(page)


def waits_for(page: Page, record: str, people: list[str]) -> None:
    """The submitter's record says whom it waits for."""
    sign_in(page, server_of(record), "liu.yang")
    page.goto(record)
    expect(page.locator("#waiting > form")).to_have_count(len(people))
    for person in people:
        expect(page.locator("#waiting")).to_contain_text(f"Waiting for {person}")


def server_of(record: str) -> str:
    return record.split("/instances/")[0]


def approve(page: Page, record: str, username: str, step_title: str) -> None:
    """`username` finds the step in their inbox and approves it."""
    sign_in(page, server_of(record), username)
    page.goto(f"{server_of(record)}/inbox")
    row = page.locator("#inbox li", has_text=step_title)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Liu Yang")
    row.locator("a").click()
    expect(page.locator("#actions h2")).to_have_text(step_title)
    page.locator("#approve-form textarea").fill(f"{step_title}: fine")
    page.locator("#approve").click()
    expect(page).to_have_url(re.compile(r"/instances/"))


def test_build_the_contract_approval_from_blank_simulate_publish_and_file_one(page: Page, server: str) -> None:
    page.set_viewport_size({"width": 1500, "height": 1000})
    sign_in(page, server, "admin")
    build(page, server)
    simulate_three(page)
    publish(page)

    record = file_foreign_contract(page, server)
    expect(page.locator("#waiting")).to_contain_text("Waiting for Wang Fang")  # as simulated: the department head
    shot(page, "contract-7-filed")
    approve(page, record, "wang.fang", "Department head")
    waits_for(page, record, ["Zhou Jie", "Zhao Min"])  # legal and finance at once
    approve(page, record, "zhou.jie", "Legal review")
    approve(page, record, "zhao.min", "Finance review")
    waits_for(page, record, ["Chen Gang"])
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Foreign-related contract = Yes")  # the major route, for the simulated reason
    approve(page, record, "chen.gang", "VP approval")
    waits_for(page, record, ["Yang Hua"])  # the GM: only the major route has this step
    approve(page, record, "yang.hua", "GM approval")
    waits_for(page, record, ["Sun Li"])
    expect(timeline).to_contain_text("approved GM approval")
    shot(page, "contract-8-routed")
