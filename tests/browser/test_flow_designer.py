"""An admin builds a small approval flow in the flow designer, from a blank page, by clicking: a
branch with two conditions, approvals inside it, a notify in its otherwise, a parallel step with
two lanes; moves steps by drag, by keyboard and with the panel's "move to"; deletes with
confirmation; sees a problem on a card and in the list, fixes it, looks at it in Chinese and
publishes. Screenshots go to tests/browser/artifacts/."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.actions import drag, shot, sign_in
from tests.browser.flow_actions import insert, role, select, steps_in, wait_saved


def condition(page: Page, branch: int, subject: str, op: str, value: str, *, typed: bool) -> None:
    prefix = f"#w{branch}-g0-c0"
    page.locator(f"#w{branch}-add-group").click()
    expect(page.locator(f"{prefix}-subject")).to_be_visible()
    page.locator(f"{prefix}-subject").select_option(subject)
    expect(page.locator(f"input[name=w{branch}-g0-c0-was]")).to_have_value(subject)  # the clause follows its field
    page.locator(f"{prefix}-op").select_option(op)
    if typed:
        page.locator(f"{prefix}-value").fill(value)
    else:
        page.locator(f"{prefix}-value").select_option(value)
    wait_saved(page)


def test_build_a_flow_by_clicking_moving_deleting_fixing_and_publishing(page: Page, server: str) -> None:
    page.set_viewport_size({"width": 1500, "height": 1000})
    sign_in(page, server, "admin")
    page.locator("#nav-flows").click()
    page.locator("#new-flow").click()
    page.get_by_label("Title (Chinese)").fill("采购申请")
    page.get_by_label("Title (English)").fill("Purchase request")
    expect(page.locator("#flow-key")).to_have_attribute("placeholder", "purchase-request")
    page.locator("#flow-form").select_option("contract-approval")  # chosen from the published forms
    page.locator("#create-flow").click()
    expect(page).to_have_url(re.compile(r"/designer/flows/purchase-request$"))
    assert steps_in(page, "root") == ["dept_head"]
    expect(page.locator("#step-start")).to_contain_text("Contract approval form")

    # A branch after the first approval: its first branch has no condition yet, so a problem shows
    # on its card and in the list at the top, and publishing is blocked.
    insert(page, "root-1", "branch")
    expect(page.locator("#warn-branch")).to_have_text("⚠ 1")
    expect(page.locator("#problem-list")).to_contain_text("Branch")
    expect(page.locator("#publish-button")).to_be_disabled()
    expect(page.locator("#properties-title")).to_contain_text("Branch")  # the new step is selected
    expect(page).to_have_url(re.compile(r"\?step=branch$"))  # and the address says so (a reload keeps it)
    shot(page, "flow-designer-1-problem")

    # Two conditions: amount > 1,000,000 first, high risk second. What takes no branch goes straight
    # on past it while "otherwise" is empty: the department head decided it before, so no problem.
    condition(page, 0, "amount", "$gt", "1000000", typed=True)
    expect(page.locator("#case-branch--b0")).to_have_text("Contract amount > 1,000,000")
    page.locator("#add-branch-branch").click()
    wait_saved(page)
    condition(page, 1, "risk", "=", "high", typed=False)
    expect(page.locator("#case-branch--b1")).to_have_text("Risk level is High")
    expect(page.locator("#warn-branch")).to_have_count(0)
    expect(page.locator("#problems")).to_contain_text("No problems")

    # The GM approves big contracts; everyone else's are copied to the department head.
    insert(page, "branch--b0-0", "approval")
    role(page, "approval", "gm")
    expect(page.locator("#step-approval .ff-who")).to_have_text("General manager")
    insert(page, "branch--else-0", "notify")
    expect(page.locator("#step-notify .ff-who")).to_have_text("head of the submitter's department")
    expect(page.locator("#warn-branch")).to_have_count(0)
    expect(page.locator("#problems")).to_contain_text("No problems")
    expect(page.locator("#publish-button")).to_be_enabled()
    page.locator("#assignee-kind").select_option("user")  # copied to a named person, picked from the organisation
    wait_saved(page)
    page.locator("#assignee-user").fill("zhao")
    page.locator("#choices-assignee-user .pick[data-value='zhao.min']").click()
    wait_saved(page)
    expect(page.locator("#step-notify .ff-who")).to_have_text("Zhao Min")
    expect(page.locator("#chips-assignee-user")).to_contain_text("Zhao Min")

    # Legal and finance in parallel after the branch.
    insert(page, "root-2", "parallel")
    assert steps_in(page, "parallel--l0") == ["approval_2"] and steps_in(page, "parallel--l1") == ["approval_3"]
    role(page, "approval_2", "legal")
    role(page, "approval_3", "finance")
    select(page, "approval_3")
    page.locator("#approval-mode").select_option("all")
    wait_saved(page)
    expect(page.locator("#step-approval_3 .ff-who")).to_have_text("Finance (all must approve)")
    page.locator("#deadline-amount").fill("3")
    wait_saved(page)
    expect(page.locator("#step-approval_3 .ff-limit")).to_contain_text("3 working days")

    # Moving: by drag into the other branch, back by the panel's "move to", by keyboard in the column.
    page.locator("#lanes-branch").scroll_into_view_if_needed()  # the mouse moves within the window
    drag(page, page.locator("#step-approval .ff-handle"), page.locator("#steps-branch--b1"))
    expect(page.locator("#steps-branch--b1 > li")).to_have_count(1)
    wait_saved(page)
    assert steps_in(page, "branch--b1") == ["approval"] and steps_in(page, "branch--b0") == []
    select(page, "approval")
    page.locator("#move-to").select_option("branch/b0")
    page.locator("#move-to-button").click()
    wait_saved(page)
    assert steps_in(page, "branch--b0") == ["approval"]
    insert(page, "root-3", "task")
    assert steps_in(page, "root") == ["dept_head", "branch", "parallel", "task"]
    up = page.locator("#up-task")
    up.focus()
    page.keyboard.press("Enter")
    wait_saved(page)
    assert steps_in(page, "root") == ["dept_head", "branch", "task", "parallel"]
    expect(page.locator("#up-task")).to_be_focused()  # focus stays on the button pressed

    # Copy, then delete the copy: cancelling the confirmation keeps it, accepting deletes it.
    page.locator("#copy-task").click()
    wait_saved(page)
    expect(page.locator("#step-task_2")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#delete-task_2").click()
    page.wait_for_timeout(300)
    expect(page.locator("#step-task_2")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#delete-task_2").click()
    expect(page.locator("#step-task_2")).to_have_count(0)
    wait_saved(page)

    # A problem made on the panel shows on its card and in the list; selecting it there fixes it.
    select(page, "approval_2")
    page.locator("#assignee-role").select_option("")
    wait_saved(page)
    expect(page.locator("#warn-approval_2")).to_be_visible()
    expect(page.locator("#step-approval_2 .ff-who")).to_have_text("no role chosen yet")
    expect(page.locator("#publish-button")).to_be_disabled()
    select(page, "notify")
    page.locator("#problem-list a[data-step=approval_2]").click()
    expect(page.locator("#properties-title code")).to_have_text("approval_2")
    expect(page.locator("#assignee-kind")).to_have_value("role")  # the panel shows this step's choices, not the last one's
    page.locator("#assignee-role").select_option("legal")
    wait_saved(page)
    expect(page.locator("#warn-approval_2")).to_have_count(0)
    expect(page.locator("#publish-button")).to_be_enabled()
    select(page, "branch")
    wait_saved(page)
    shot(page, "flow-designer-2-built")
    boxes = [page.locator(f"#lane-branch--{lane} .ff-lane-head").bounding_box() for lane in ("b0", "b1", "else")]
    assert all(boxes) and boxes[0]["x"] + boxes[0]["width"] <= boxes[1]["x"] <= boxes[2]["x"]  # side by side
    assert len({round(b["y"]) for b in boxes}) == 1

    # The same page in Chinese.
    page.locator("form.lang button[value=zh_CN]").click()
    expect(page.locator("#case-branch--b0")).to_have_text("合同金额 > 1,000,000")
    expect(page.locator("#lane-branch--else .ff-priority")).to_have_text("其他情况")
    shot(page, "flow-designer-3-chinese")
    page.locator("form.lang button[value=en]").click()
    expect(page.locator("#case-branch--b0")).to_have_text("Contract amount > 1,000,000")

    # Publish with a change note.
    page.locator("#publish-note").fill("First version of the purchase request")
    page.locator("#publish-button").click()
    expect(page.locator("#published")).to_contain_text("Version 1 is published")
    shot(page, "flow-designer-4-published")
