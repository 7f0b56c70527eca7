"""The htmx pages through TestClient: sign-in, CSRF, the generated form, inbox and task actions."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from tests.support import page_sign_in, signed_in

HX = {"HX-Request": "true"}


@pytest.fixture(scope="module")
def app():
    return create_app(Settings(demo=True), MemoryRepository())


@pytest.fixture
def web(app) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as c:
        yield c


def sign_in(client: TestClient, username: str) -> str:
    return signed_in(client, username)


def expense_form(csrf: str, **extra: str) -> dict[str, str]:
    form = {"csrf_token": csrf, "category": "travel", "reason": "Client visit",
            "items-0-description": "Train", "items-0-invoice_no": "A1", "items-0-amount": "7000",
            "items-1-description": "Hotel", "items-1-invoice_no": "A2", "items-1-amount": "5000"}
    form.update(extra)
    return form


def test_pages_need_a_session(web):
    r = web.get("/inbox")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/inbox"


def test_a_wrong_password_shows_the_form_again(web):
    r = page_sign_in(web, "li.na", "x", headers=HX)
    assert r.status_code == 401 and 'id="login-form"' in r.text and "<html" not in r.text


def test_the_next_parameter_cannot_leave_the_site(web):
    r = page_sign_in(web, "li.na", "demo", "//evil.example/")
    assert r.headers["location"] == "/"


def test_writes_without_the_csrf_token_are_refused(web):
    sign_in(web, "zhang.wei")
    r = web.post("/start/expense", data=expense_form("wrong"))
    assert r.status_code == 403 and "CSRF" in r.text


def test_the_start_form_is_generated_from_the_definition(web):
    sign_in(web, "zhang.wei")
    page = web.get("/start/expense", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    for name in ("category", "items-0-description", "items-0-invoice_no", "items-0-amount", "reason"):
        assert f'name="{name}"' in page.text
    assert 'name="total"' not in page.text  # computed, never posted


def test_as_you_type_errors_come_back_as_a_422_fragment(web):
    csrf = sign_in(web, "zhang.wei")
    r = web.post("/start/expense/preview", data=expense_form(csrf, **{"items-1-amount": "abc"}), headers=HX)
    assert r.status_code == 422
    assert r.text.lstrip().startswith('<div id="form-body"')
    assert 'aria-invalid="true"' in r.text


def test_the_preview_recomputes_the_total_and_adds_rows(web):
    csrf = sign_in(web, "zhang.wei")
    r = web.post("/start/expense/preview", data=expense_form(csrf, _op="add:items"),
                     headers={**HX, "Accept-Language": "en"})
    assert r.status_code == 200
    assert re.search(r'<output id="field-total"[^>]*>\s*12,000.00', r.text)
    assert 'name="items-2-amount"' in r.text
    removed = web.post("/start/expense/preview", data=expense_form(csrf, _op="remove:items:0"), headers=HX)
    assert 'name="items-1-amount"' not in removed.text and 'value="Hotel"' in removed.text


def test_submit_inbox_approve_and_an_empty_rejection_reason(app):
    with TestClient(app, follow_redirects=False) as staff, TestClient(app, follow_redirects=False) as head:
        csrf = sign_in(staff, "zhang.wei")
        r = staff.post("/start/expense", data=expense_form(csrf), headers=HX)
        assert r.status_code == 200 and r.headers["HX-Redirect"].startswith("/instances/")
        instance_url = r.headers["HX-Redirect"].split("?")[0]
        head_csrf = sign_in(head, "li.na")
        inbox = head.get("/inbox")
        task_url = re.findall(r'href="(/tasks/[0-9a-f]+)"', inbox.text)[-1]
        empty = head.post(task_url + "/reject", data={"csrf_token": head_csrf, "reason": " "}, headers=HX)
        assert empty.status_code == 422 and 'id="error-reason"' in empty.text
        assert "<html" not in empty.text
        ok = head.post(task_url + "/approve", data={"csrf_token": head_csrf, "comment": "fine"}, headers=HX)
        assert ok.headers["HX-Redirect"] == instance_url + "?done=approve"
        record = staff.get(instance_url, headers={"Accept-Language": "en"})
        assert "approved Department head review" in record.text
        assert 'id="approve"' not in staff.get(task_url).text  # the submitter sees the task, not its buttons


def test_a_stranger_cannot_read_someone_elses_request(app):
    with TestClient(app, follow_redirects=False) as staff, TestClient(app, follow_redirects=False) as other:
        csrf = sign_in(staff, "liu.yang")
        url = staff.post("/start/expense", data=expense_form(csrf), headers=HX).headers["HX-Redirect"].split("?")[0]
        sign_in(other, "zhang.wei")
        assert other.get(url).status_code == 403


def test_the_language_switch_changes_the_ui(web):
    sign_in(web, "zhang.wei")
    web.post("/lang", data={"locale": "zh_CN", "next": "/inbox"})
    assert "待办" in web.get("/inbox").text
    web.post("/lang", data={"locale": "en", "next": "/inbox"})
    assert "Nothing waits for you." in web.get("/inbox").text


@pytest.mark.parametrize("target", ["/\\evil.example", "//evil.example", "/x\r\nSet-Cookie: a=b", "https://evil.example"])
def test_sign_in_never_sends_people_to_another_site(web, target):
    r = page_sign_in(web, "li.na", "demo", target, headers=HX)
    assert r.headers["HX-Redirect"] == "/"


def test_a_non_ascii_next_page_is_encoded_not_a_crash(web):
    r = page_sign_in(web, "li.na", "demo", "/requests?q=报销", headers=HX)
    assert r.headers["HX-Redirect"] == "/requests?q=%E6%8A%A5%E9%94%80"


def test_htmx_errors_go_to_the_flash_area_not_into_the_form(web):
    sign_in(web, "zhang.wei")
    r = web.post("/start/expense/preview", data={"csrf_token": "stale"}, headers=HX)
    assert r.status_code == 403
    assert (r.headers["HX-Retarget"], r.headers["HX-Reswap"]) == ("#flash", "innerHTML")


def test_an_expired_session_on_htmx_returns_to_the_page_not_the_endpoint(web):
    r = web.post("/start/expense/preview", data={}, headers={**HX, "HX-Current-URL": "http://testserver/start/expense"})
    assert r.headers["HX-Redirect"] == "/login?next=/start/expense"


def test_an_unknown_task_action_is_404(web):
    csrf = sign_in(web, "li.na")
    assert web.post("/tasks/whatever/frobnicate", data={"csrf_token": csrf}).status_code == 404


def test_signing_in_again_ends_the_previous_session(app, web):
    sign_in(web, "zhang.wei")
    old = web.cookies.get("formflow_session")
    sign_in(web, "li.na")
    with TestClient(app, follow_redirects=False, cookies={"formflow_session": old}) as replay:
        assert replay.get("/inbox").status_code == 303


def test_fields_appear_and_become_required_as_conditions_hold(app, web):
    import copy
    import json

    from runtime.setup import INSTALLER
    from tests.support import DEMO

    bundle = json.loads((DEMO / "processes" / "expense.json").read_text(encoding="utf-8"))
    trip = copy.deepcopy(bundle)
    trip["flow"]["key"], trip["form"]["key"], trip["flow"]["form"] = "trip", "trip-claim", "trip-claim"
    trip["form"]["fields"] += [
        {"key": "abroad", "type": "select", "label": "Abroad",
         "options": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}]},
        {"key": "passport", "type": "text", "label": "Passport no.", "visible_when": {"abroad": "yes"},
         "required_when": {"$gt": {"total": 10000}}},
    ]
    trip["form"]["validations"] = [{"when": {"$lte": {"total": 100000}}, "message": "Claims above 100,000 need a contract"}]
    app.state.workflow.import_bundle(INSTALLER, trip)
    csrf = sign_in(web, "zhang.wei")
    assert 'name="passport"' not in web.get("/start/trip", headers={"Accept-Language": "en"}).text
    shown = web.post("/start/trip/preview", data=expense_form(csrf, abroad="yes"), headers={**HX, "Accept-Language": "en"})
    assert 'name="passport"' in shown.text
    assert re.search(r'for="field-passport">Passport no\. <span class="required"', shown.text)  # 12,000 > 10,000
    huge = web.post("/start/trip", data=expense_form(csrf, **{"abroad": "no", "items-0-amount": "200000"}),
                    headers={**HX, "Accept-Language": "en"})
    assert huge.status_code == 422 and "Claims above 100,000 need a contract" in huge.text
