"""Transfer, add a signer and urge from the task and request pages (htmx forms, TestClient)."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from tests.runtime.test_pages import HX, expense_form, sign_in


@pytest.fixture
def app():
    return create_app(Settings(demo=True), MemoryRepository())


@pytest.fixture
def filed(app) -> Iterator[tuple[TestClient, str, str]]:
    """zhang.wei's signed-in client, CSRF token and the URL of the claim he just filed."""
    with TestClient(app, follow_redirects=False) as staff:
        csrf = sign_in(staff, "zhang.wei")
        url = staff.post("/start/expense", data=expense_form(csrf), headers=HX).headers["HX-Redirect"].split("?")[0]
        yield staff, csrf, url


def open_task(app, instance_url: str) -> str:
    return app.state.workflow.state.instances[instance_url.rsplit("/", 1)[1]].task_ids[-1]


def test_transfer_from_the_task_page_moves_the_task_and_shows_in_the_record(app, filed):
    staff, _, url = filed
    with TestClient(app, follow_redirects=False) as head:
        csrf = sign_in(head, "li.na")
        task_id = open_task(app, url)
        page = head.get(f"/tasks/{task_id}")
        assert 'id="transfer-form"' in page.text and 'id="add-signer-form"' in page.text
        bad = head.post(f"/tasks/{task_id}/transfer", data={"csrf_token": csrf, "to": "zhang.wei"},
                        headers={**HX, "Accept-Language": "en"})
        assert bad.status_code == 422 and "cannot transfer the task to the person who filed" in bad.text
        ok = head.post(f"/tasks/{task_id}/transfer", data={"csrf_token": csrf, "to": "chen.gang",
                                                           "comment": "On leave"}, headers=HX)
        assert ok.headers["HX-Redirect"] == url + "?done=transfer"
    assert app.state.workflow.state.tasks[task_id].assignee == "chen.gang"
    assert "transferred Department head review to" in staff.get(url, headers={"Accept-Language": "en"}).text


def test_a_signer_added_after_leaves_the_task_page_open_to_approve(app, filed):
    _, _, url = filed
    with TestClient(app, follow_redirects=False) as head:
        csrf = sign_in(head, "li.na")
        task_id = open_task(app, url)
        ok = head.post(f"/tasks/{task_id}/add-signer", data={"csrf_token": csrf, "user": "zhou.jie",
                                                             "position": "after"}, headers=HX)
        assert ok.headers["HX-Redirect"] == f"/tasks/{task_id}?done=add-signer"


def test_add_a_signer_before_oneself(app, filed):
    staff, _, url = filed
    with TestClient(app, follow_redirects=False) as head:
        csrf = sign_in(head, "li.na")
        task_id = open_task(app, url)
        ok = head.post(f"/tasks/{task_id}/add-signer", data={"csrf_token": csrf, "user": "zhou.jie",
                                                             "position": "before"}, headers=HX)
        assert ok.status_code == 200
    task = app.state.workflow.state.tasks[task_id]
    assert (task.assignee, task.queue) == ("zhou.jie", ("li.na",))


def test_the_submitter_urges_once_an_hour(filed):
    staff, csrf, url = filed
    page = staff.get(url)
    (urge_url,) = re.findall(r'action="(/tasks/[0-9a-f]+/urge)"', page.text)
    assert staff.post(urge_url, data={"csrf_token": csrf}, headers=HX).status_code == 200
    again = staff.post(urge_url, data={"csrf_token": csrf}, headers={**HX, "Accept-Language": "en"})
    assert again.status_code == 409 and "once an hour" in again.text
    assert again.headers.get("HX-Retarget") == "#flash"
