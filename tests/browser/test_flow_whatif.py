"""An admin opens the contract process in the flow designer and asks "what if…": an ordinary
contract goes to the VP and not the GM, a major one (2,000,000) to the GM too, each step shown
with the person who would act; the major one is saved as a scenario and run again; what was typed
in the panel outlives an edit of the tree.
Screenshots go to tests/browser/artifacts/."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.actions import shot, sign_in
from tests.browser.flow_actions import fill_contract, simulate

ORDINARY = ["dept_head", "legal", "finance", "vp", "major", "sign"]
MAJOR = ["dept_head", "legal", "finance", "vp", "major", "gm", "sign"]


def test_simulate_an_ordinary_and_a_major_contract_and_save_one(page: Page, server: str) -> None:
    page.set_viewport_size({"width": 1500, "height": 1000})
    sign_in(page, server, "admin")
    page.goto(f"{server}/designer/flows/contract")
    expect(page.locator("#whatif")).to_be_visible()
    expect(page.locator("#field-amount")).to_have_attribute("name", "sample.amount")

    page.locator("#simulate").click()  # nothing typed: the start page's errors, at the inputs
    expect(page.locator("#whatif-errors")).to_be_visible()
    expect(page.locator("#error-amount")).to_be_visible()
    expect(page.locator("#error-whatif-submitter")).to_be_visible()

    fill_contract(page, "50000")
    simulate(page, ORDINARY)
    expect(page.locator("#step-gm")).to_have_class("ff-card ff-kind-approval ff-not-taken")
    expect(page.locator("#step-vp")).to_contain_text("Chen Gang")
    expect(page.locator("#step-major")).to_contain_text("otherwise")
    expect(page.locator("#error-amount")).to_be_hidden()
    shot(page, "flow-whatif-1-ordinary")

    page.locator("#field-amount").fill("2000000")
    simulate(page, MAJOR)
    expect(page.locator("#step-gm")).to_have_class("ff-card ff-kind-approval ff-taken")
    expect(page.locator("#sim-gm")).to_contain_text("Yang Hua")
    expect(page.locator("#sim-gm")).to_contain_text("due ")
    expect(page.locator("#whatif-due-hint")).to_contain_text("if every step before it took its full time limit")
    expect(page.locator("#step-major")).to_contain_text("Major contract")
    expect(page.locator("#whatif-path > li[data-step=gm]")).to_contain_text("Yang Hua")
    shot(page, "flow-whatif-2-major")

    page.locator("#scenario-name").fill("Major purchase from sales")
    page.locator("#save-scenario").click()
    expect(page.locator("#scenario-saved")).to_contain_text("Major purchase from sales")
    expect(page.locator("#scenario-route-0")).to_contain_text("GM approval")
    expect(page.locator("#undo")).to_be_enabled()  # the scenario is a change of the draft

    page.locator("#field-amount").fill("1000")  # the panel changed, then the scenario run again
    page.locator("#run-scenario-0").click()
    expect(page.locator("#field-amount")).to_have_value("2000000")
    expect(page.locator("#whatif-path > li")).to_have_count(len(MAJOR))
    shot(page, "flow-whatif-3-scenario")

    # An edit elsewhere redraws the workspace: the path goes (the draft may have changed), what
    # was typed in the panel stays, to simulate again.
    page.locator("#select-legal").click()
    expect(page.locator("#properties-title code")).to_have_text("legal")
    expect(page.locator("#whatif-path")).to_have_count(0)
    expect(page.locator("#field-amount")).to_have_value("2000000")
    expect(page.locator("#whatif-submitter")).to_have_value("wang.fang")
    expect(page.locator("#field-risk")).to_have_value("low")
    simulate(page, MAJOR)


def test_a_person_picker_in_the_sample_keeps_what_was_typed_around_it(page: Page, server: str) -> None:
    """The process-change form asks for a person (the process owner): searching and choosing one in
    the what-if panel leaves the submitter and the other sample fields as typed, and Simulate
    finds the person chosen. (The picker's answer used to make the designer put every field of the
    panel back to blank, as if the whole workspace had been redrawn.)"""
    page.set_viewport_size({"width": 1500, "height": 1000})
    sign_in(page, server, "admin")
    page.goto(f"{server}/designer/flows/process-change")
    page.locator("#whatif-submitter").select_option("wang.fang")
    typed = {"#whatif-submitter": "wang.fang", "#field-process": "contract", "#field-version": "3",
             "#field-note": "Major contracts also go to the GM"}
    for selector, value in list(typed.items())[1:]:
        page.locator(selector).fill(value)

    page.locator("#field-owner").click()  # the search asks as it gets focus
    expect(page.locator("#choices-owner [role=option]").first).to_be_visible()
    page.locator("#field-owner").press_sequentially("Li Na", delay=50)
    expect(page.locator("#choices-owner [role=option]")).to_have_count(1)
    for selector, value in typed.items():
        expect(page.locator(selector)).to_have_value(value)
    page.locator("#choices-owner [role=option]").click()
    expect(page.locator("#chips-owner")).to_contain_text("Li Na")
    for selector, value in typed.items():
        expect(page.locator(selector)).to_have_value(value)
    shot(page, "flow-whatif-4-picker")

    simulate(page, ["owner"])
    expect(page.locator("#whatif-errors")).to_have_count(0)
    expect(page.locator("#whatif-path > li[data-step=owner]")).to_contain_text("Li Na")
    for selector, value in typed.items():
        expect(page.locator(selector)).to_have_value(value)
    expect(page.locator("#chips-owner")).to_contain_text("Li Na")
    shot(page, "flow-whatif-5-picker-simulated")
