"""The condition builder inside the designers' narrow panels, in a real browser, on a leave request
(a date range `leave_period`): '+ Add a condition' adds a clause that counts for nothing until it is
chosen (the branch keeps its 'no condition' problem); a half-finished clause stays as typed, with
its problem, while the rest of the panel saves; and every select of a clause shows its whole text
("Leave period: days", "is filled in") in the branch panel and the cross-field checks, at 1366 px
and on a phone. Screenshots go to tests/browser/artifacts/."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from runtime.app import create_app
from runtime.settings import Settings
from runtime.setup import INSTALLER
from tests.browser.actions import shot, sign_in
from tests.browser.actions import wait_saved as wait_form_saved
from tests.browser.flow_actions import insert, wait_saved
from tests.support import served

LEAVE: dict[str, Any] = {
    "format": 1, "rulesets": [],
    "form": {"key": "leave-request", "version": 1, "title": {"en": "Leave request", "zh_CN": "请假申请"}, "fields": [
        {"key": "leave_period", "type": "daterange", "label": {"en": "Leave period", "zh_CN": "请假时间"},
         "required": True, "working_days": True},
        {"key": "leave_type", "type": "select", "label": {"en": "Leave type", "zh_CN": "假别"}, "required": True,
         "options": [{"value": "annual", "label": {"en": "Annual leave", "zh_CN": "年假"}},
                     {"value": "sick", "label": {"en": "Sick leave", "zh_CN": "病假"}}]},
        {"key": "reason", "type": "textarea", "label": {"en": "Reason", "zh_CN": "事由"}, "required": True}]},
    "flow": {"key": "leave", "version": 1, "title": {"en": "Leave request", "zh_CN": "请假"}, "form": "leave-request",
             "steps": [{"id": "dept_head", "kind": "approval", "title": {"en": "Department head approval"},
                        "assignee": {"kind": "dept_head", "levels": 1}}]},
}
PHONE = {"width": 390, "height": 844}

CUT_SELECTS = """scope => {
  const ctx = document.createElement('canvas').getContext('2d');
  return [...document.querySelectorAll(scope + ' select')].filter(s => s.offsetParent).flatMap(s => {
    const style = getComputedStyle(s);
    ctx.font = style.font;
    const text = s.selectedOptions.length ? s.selectedOptions[0].text : '';
    const room = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 16;
    return ctx.measureText(text).width > room ? [`${s.id}: ${text}`] : [];
  });
}"""


@pytest.fixture(scope="module")
def leave_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server with the demo and a published leave request (form and a one-step flow)."""
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("data"), demo=True))
    with served(app) as url:
        app.state.workflow.import_bundle(INSTALLER, LEAVE)
        yield url


def cut_selects(page: Page, scope: str) -> list[str]:
    """The selects under `scope` whose chosen text does not fit them (id: text)."""
    result: list[str] = page.evaluate(CUT_SELECTS, scope)
    return result


def test_a_branch_condition_is_only_what_was_chosen_and_its_selects_show_their_text(
        page: Page, leave_server: str) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, leave_server, "admin")
    page.goto(f"{leave_server}/designer/flows/leave")
    insert(page, "root-1", "branch")
    expect(page.locator("#problems")).to_contain_text("Branch")  # its first branch has no condition

    page.locator("#w0-add-group").click()
    wait_saved(page)
    expect(page.locator("#w0-g0-c0-pending")).to_be_visible()  # shown, not counted
    expect(page.locator("#w0-g0-c0-subject")).to_have_value("")
    expect(page.locator("#lane-branch--b0")).to_contain_text("no condition yet")
    expect(page.locator("#problems")).to_contain_text("Branch")  # the problem stays

    page.locator("#w0-g0-c0-subject").select_option("leave_period.days")
    wait_saved(page)
    expect(page.locator("#w0-g0-c0-op")).to_have_value("")  # how it compares is chosen next, not assumed
    expect(page.locator("#lane-branch--b0")).to_contain_text("no condition yet")

    page.locator("#w0-g0-c0-op").select_option("$gt")
    expect(page.locator("#w0-g0-c0-problem")).to_have_text("Enter a value.")
    page.locator("#branch-0-label-en").fill("More than 3 days")  # the rest of the panel saves meanwhile
    wait_saved(page)
    expect(page.locator("#lane-branch--b0")).to_contain_text("More than 3 days")
    expect(page.locator("#w0-g0-c0-subject")).to_have_value("leave_period.days")  # still as typed
    expect(page.locator("#w0-g0-c0-op")).to_have_value("$gt")
    expect(page.locator("#w0-g0-c0-problem")).to_have_text("Enter a value.")
    assert cut_selects(page, "#w0-builder") == []
    shot(page, "condition-panels-1-branch-half-finished")

    page.locator("#w0-g0-c0-value").fill("3")
    wait_saved(page)
    expect(page.locator("#lane-branch--b0")).to_contain_text("Leave period: days > 3")
    expect(page.locator("#w0-g0-c0-problem")).to_have_count(0)
    assert cut_selects(page, "#w0-builder") == []
    shot(page, "condition-panels-2-branch-1366")

    page.set_viewport_size(PHONE)
    page.goto(f"{leave_server}/designer/flows/leave?step=branch")
    expect(page.locator("#w0-g0-c0-subject")).to_have_value("leave_period.days")
    page.locator("#w0-g0-c0-subject").scroll_into_view_if_needed()
    assert cut_selects(page, "#w0-builder") == []
    shot(page, "condition-panels-3-branch-phone")


def test_a_cross_field_check_starts_with_nothing_chosen_and_its_selects_show_their_text(
        page: Page, leave_server: str) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, leave_server, "admin")
    page.goto(f"{leave_server}/designer/forms/leave-request")
    page.locator("#select-form").click()
    page.locator("#vc-add-check").click()
    expect(page.locator("#vc-v0-when-g0-c0-pending")).to_be_visible()
    page.locator("#vc-v0-when-g0-c0-subject").select_option("leave_period")
    page.locator("#vc-v0-when-g0-c0-op").select_option("$ex")
    expect(page.locator("#vc-v0-when-g0-c0-op")).to_have_value("$ex")
    assert cut_selects(page, "#vc-v0-when-builder") == []
    shot(page, "condition-panels-4-check-1366")

    page.set_viewport_size(PHONE)
    page.locator("#vc-v0-when-g0-c0-subject").scroll_into_view_if_needed()
    assert cut_selects(page, "#vc-v0-when-builder") == []
    shot(page, "condition-panels-5-check-phone")


def test_a_fields_visible_when_adds_a_clause_nobody_chose_without_saving_it(page: Page, leave_server: str) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, leave_server, "admin")
    page.goto(f"{leave_server}/designer/forms/leave-request")
    page.locator("#select-card-reason").click()
    page.locator("#vw-add-group").click()
    wait_form_saved(page)
    expect(page.locator("#vw-g0-c0-pending")).to_be_visible()
    expect(page.locator("#card-reason .fd-cond")).to_have_count(0)  # the field is not made conditional
    page.locator("#vw-g0-c0-subject").select_option("leave_type")
    page.locator("#vw-g0-c0-op").select_option("=")
    page.locator("#vw-g0-c0-value").select_option("sick")
    wait_form_saved(page)
    expect(page.locator("#card-reason .fd-cond")).to_contain_text("Leave type is Sick leave")
    assert cut_selects(page, "#vw-builder") == []
    shot(page, "condition-panels-6-visible-when")
