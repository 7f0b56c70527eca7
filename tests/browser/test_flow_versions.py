"""An admin opens the contract process while a contract is running: the publish panel says the
request waits at the department head and which form version the process runs; the finance review
is deleted, the change published with a note, and the versions page reads it in words.
Screenshots go to tests/browser/artifacts/."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.actions import shot, sign_in
from tests.runtime.test_demo_processes import contract


def test_publish_a_change_seeing_its_impact_then_read_the_versions_page(page: Page, server: str) -> None:
    token = page.request.post(f"{server}/api/login", data={"username": "liu.yang", "password": "demo"}).json()["token"]
    started = page.request.post(f"{server}/api/instances", data={"process": "contract", "data": contract()},
                                headers={"Authorization": f"Bearer {token}"})
    assert started.status == 201, started.text()

    page.set_viewport_size({"width": 1500, "height": 1000})
    sign_in(page, server, "admin")
    page.goto(f"{server}/designer/flows/contract")
    expect(page.locator("#flow-exchange a")).to_have_count(3)  # JSON, BPMN, DMN
    expect(page.locator("#impact-running")).to_contain_text("1 request of this process is running")
    expect(page.locator("#impact-steps")).to_contain_text("Department head review: 1 request")
    expect(page.locator("#pinned-form")).to_contain_text("Contract approval form, its latest version (v1)")
    expect(page.locator("#publish-changes-title")).to_contain_text("The draft is the same as version 1")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#delete-finance").click()
    expect(page.locator("#step-finance")).to_have_count(0)
    # the publish panel redraws after the change and says it before the button is pressed
    expect(page.locator("#publish-changes")).to_contain_text('Step "Finance review" removed')
    page.locator("#publish").scroll_into_view_if_needed()
    shot(page, "flow-versions-1-impact")
    page.locator("#publish-note").fill("Finance no longer reviews contracts (board decision 3/2026)")
    page.locator("#publish-button").click()
    expect(page.locator("#published")).to_contain_text("Version 2 is published")
    expect(page.locator("#pinned-form")).to_contain_text("Contract approval form v1")

    page.locator("#flow-versions").click()
    expect(page.locator("h1")).to_contain_text("Versions of")
    latest = page.locator("#version-2")
    expect(latest).to_contain_text("in use")
    expect(latest).to_contain_text("Finance no longer reviews contracts")
    expect(latest).to_contain_text('Step "Finance review" removed')
    expect(latest).to_contain_text("form: Contract approval form v1")
    expect(page.locator("#version-1")).to_contain_text("its latest version")
    shot(page, "flow-versions-2-page")
