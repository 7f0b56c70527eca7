"""An admin gives the contract's department-head review a time limit and an escalation ladder in
the step panel: two rungs added, one's action changed, a bad amount typed and shown on its row,
fixed, a third rung added and removed, one moved out of order and back by keyboard (the checks
marking it meanwhile), the card reading the ladder; then publishes. A contract
filed afterwards is escalated by the scheduler's job on a clock moved past the rungs: reminded,
then handed to the head's superior. Screenshots go to tests/browser/artifacts/."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from runtime.app import create_app
from runtime.clock import from_stamp
from runtime.settings import Settings
from tests.browser.actions import ARTIFACTS, shot, sign_in
from tests.browser.test_flow_designer import select, wait_saved
from tests.runtime.test_demo_processes import contract
from tests.support import FakeClock, served


@pytest.fixture(scope="module")
def served_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """The real server, with its app at hand: the test moves the engine's clock afterwards."""
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("data"), demo=True, escalate_every=0))
    with served(app) as url:
        yield url, app


@pytest.fixture(scope="module")
def server(served_app: tuple[str, Any]) -> str:
    return served_app[0]


def test_build_a_ladder_in_the_panel_publish_it_and_see_the_scheduler_fire_it(page: Page, served_app) -> None:
    server, app = served_app
    page.set_viewport_size({"width": 1500, "height": 1100})
    sign_in(page, server, "admin")
    page.goto(f"{server}/designer/flows/contract")
    select(page, "dept_head")
    expect(page.locator("#rungs")).to_have_count(0)  # no ladder yet

    page.locator("#deadline-amount").fill("3")
    wait_saved(page)
    page.locator("#rung-add").click()
    wait_saved(page)
    expect(page.locator("#rung-0-amount")).to_have_value("3")  # at the time limit
    expect(page.locator("#rung-0-action")).to_have_value("remind")
    expect(page.locator("#rung-0-amount")).to_be_focused()  # "add" moves focus to the new row
    page.locator("#rung-add").press("Enter")
    wait_saved(page)
    expect(page.locator("#rung-1-amount")).to_have_value("4")
    expect(page.locator("#rung-1-action")).to_have_value("urge")
    expect(page.locator("#rung-1-amount")).to_be_focused()
    page.locator("#rung-1-action").select_option("transfer_superior")
    wait_saved(page)

    # A bad amount: refused on its own row, what was typed kept, the focus where it was.
    page.locator("#rung-1-amount").fill("5d")
    expect(page.locator("#error-rung-1-amount")).to_have_text('must be a whole number from 1 to 1000, got "5d"')
    expect(page.locator("#rung-1-amount")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#rung-1-amount")).to_have_value("5d")
    expect(page.locator("#rung-1-amount")).to_be_focused()
    expect(page.locator("#error-rung-0-amount")).to_be_hidden()
    page.locator("#ladder-editor").scroll_into_view_if_needed()
    shot(page, "flow-escalation-1-bad-amount")
    page.locator("#ladder-editor").screenshot(path=str(ARTIFACTS / "flow-escalation-1-bad-amount-panel.png"))
    page.locator("#rung-1-amount").fill("5")
    wait_saved(page)
    expect(page.locator("#error-rung-1-amount")).to_be_hidden()

    # A third rung, then removed by keyboard; focus goes back to "add".
    page.locator("#rung-add").click()
    wait_saved(page)
    expect(page.locator("#rung-2-action")).to_have_value("transfer_superior")
    page.locator("#rung-2-remove").focus()
    page.keyboard.press("Enter")
    wait_saved(page)
    expect(page.locator("#rung-2")).to_have_count(0)
    expect(page.locator("#rung-add")).to_be_focused()

    # Out of order by keyboard: the checks mark the rung, the card and the list; back in order, gone.
    page.locator("#rung-0-down").focus()
    page.keyboard.press("Enter")
    wait_saved(page)
    expect(page.locator("#rung-1-action")).to_have_value("remind")
    expect(page.locator("#rung-1-up")).to_be_focused()  # focus follows the rung moved
    expect(page.locator("#problems-rung-1")).to_have_text("must be later than the rung before it (5 days)")
    expect(page.locator("#warn-dept_head")).to_be_visible()
    expect(page.locator("#publish-button")).to_be_disabled()
    page.keyboard.press("Enter")
    wait_saved(page)
    expect(page.locator("#rung-0-action")).to_have_value("remind")
    expect(page.locator("#rung-0-down")).to_be_focused()
    expect(page.locator("#problems-rung-1")).to_have_count(0)

    said = "3 working days, then reminds; after 5 working days goes to the superior"
    expect(page.locator("#step-dept_head .ff-limit")).to_contain_text(said)
    expect(page.locator("#warn-dept_head")).to_have_count(0)
    expect(page.locator("#publish-changes")).to_contain_text("escalation: (none) → after 3 working days reminds")
    page.locator("#ladder-editor").scroll_into_view_if_needed()
    shot(page, "flow-escalation-2-ladder")
    page.locator("#ladder-editor").screenshot(path=str(ARTIFACTS / "flow-escalation-2-ladder-panel.png"))

    page.locator("#publish-note").fill("Department heads are reminded, then their superior takes over")
    page.locator("#publish-button").click()
    expect(page.locator("#published")).to_contain_text("Version 2 is published")

    # A contract filed now waits at the department head; the scheduler's job, on a clock a month
    # on, fires the reminder and then hands the task to the head's superior, once each.
    # (escalate_every=0: the server's own scheduler stays off, so only this run fires.)
    token = page.request.post(f"{server}/api/login", data={"username": "liu.yang", "password": "demo"}).json()["token"]
    started = page.request.post(f"{server}/api/instances", data={"process": "contract", "data": contract()},
                                headers={"Authorization": f"Bearer {token}"})
    assert started.status == 201, started.text()
    workflow = app.state.workflow
    instance = workflow.state.instances[started.json()["id"]]
    assert instance.flow_version == 2
    (task,) = [workflow.state.tasks[t] for t in instance.task_ids]
    head = task.assignee
    workflow.engine.now = FakeClock(from_stamp(task.created) + timedelta(days=30))
    fired = [(e["action"], e.get("do") or e.get("to", "")) for e in workflow.escalate_due()]
    superior = workflow.org.superior(head)
    # the reminder is due with the deadline: the task is marked overdue first, then reminded
    assert fired == [("overdue", ""), ("escalate", "remind"), ("escalate", "transfer_superior"), ("transfer", superior)]
    assert workflow.state.tasks[task.id].assignee == superior and superior != head
    assert workflow.escalate_due() == []  # each rung once
