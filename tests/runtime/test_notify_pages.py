"""The in-app notifications over HTTP: the bell's count after someone acts, the list in the
reader's language linking to the task, read marks kept, "mark all read", the preferences page,
and `GET /api/notifications`."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from tests.runtime.test_pages import HX, expense_form
from tests.support import bearer, signed_in


@pytest.fixture
def web() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(demo=True), MemoryRepository()), follow_redirects=False) as c:
        yield c


def file_claim(web: TestClient) -> str:
    csrf = signed_in(web, "zhang.wei")
    r = web.post("/start/expense", data=expense_form(csrf))
    assert r.status_code == 303, r.text
    return r.headers["location"].split("/")[2].split("?")[0]


def test_the_bell_counts_what_came_in_and_the_list_leads_to_the_task(web):
    claim_id = file_claim(web)
    signed_in(web, "li.na")
    bell = web.get("/me/notifications/bell", headers=HX)
    assert bell.template.name == "partials/bell.html" and bell.context["unread"] == 1
    web.cookies.set("formflow_lang", "zh_CN")
    page = web.get("/me/notifications")
    assert page.template.name == "notifications.html" and page.context["unread"] == 1
    [row] = page.context["rows"]
    assert row["unread"] and row["sentence"] == "张伟的费用报销等待你处理"
    opened = web.get(f"/me/notifications/open/{row['notice'].id}")
    assert opened.status_code == 303 and opened.headers["location"] == row["notice"].link
    assert web.get(opened.headers["location"]).context["instance"].id == claim_id
    assert web.get("/me/notifications/bell", headers=HX).context["unread"] == 0
    assert not web.get("/me/notifications").context["rows"][0]["unread"]


def test_mark_all_read_needs_the_csrf_token_and_clears_the_count(web):
    file_claim(web)
    file_claim(web)
    csrf = signed_in(web, "li.na")
    assert web.post("/me/notifications/read-all", data={"csrf_token": "x"}).status_code == 403
    assert web.post("/me/notifications/read-all", data={"csrf_token": csrf}).status_code == 303
    assert web.get("/me/notifications").context["unread"] == 0


def test_the_api_lists_notices_in_english_with_the_unread_count(web):
    claim_id = file_claim(web)
    body = web.get("/api/notifications", headers=bearer(web, "li.na")).json()
    assert body["unread"] == 1
    [item] = body["items"]
    assert (item["kind"], item["group"], item["instance"], item["unread"]) == ("assigned", "tasks", claim_id, True)
    assert item["text"] == "Expense reimbursement from Zhang Wei is waiting for you"
    assert item["link"] == f"/tasks/{item['task']}"
    web.cookies.clear()
    assert web.get("/api/notifications").status_code == 401


def test_preferences_choose_channels_per_group_and_quiet_hours(web):
    file_claim(web)
    csrf = signed_in(web, "li.na")
    page = web.get("/me/notifications/settings")
    assert page.template.name == "notification_settings.html"
    assert page.context["prefs"].wants("tasks", "email") and not page.context["prefs"].wants("comments", "email")
    wrong = web.post("/me/notifications/settings", data={"csrf_token": csrf, "quiet_from": "25:00"}, headers=HX)
    assert wrong.status_code == 422 and set(wrong.context["errors"]) == {"quiet_from", "quiet_to"}
    saved = web.post("/me/notifications/settings", headers=HX, data={
        "csrf_token": csrf, "returns.inapp": "on", "returns.email": "on", "quiet_from": "22:00",
        "quiet_to": "08:00", "language": "en"})
    assert saved.status_code == 200 and saved.context["saved"]
    prefs = web.get("/me/notifications/settings").context["prefs"]
    assert (prefs.wants("tasks", "inapp"), prefs.wants("returns", "email")) == (False, True)
    assert (prefs.quiet_from, prefs.quiet_to, prefs.language) == ("22:00", "08:00", "en")
    assert web.get("/me/notifications").context["rows"] == []  # tasks are no longer shown in the app
    assert web.get("/me/notifications/bell", headers=HX).context["unread"] == 0
