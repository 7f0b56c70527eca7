"""Delegate (委托) while away: a dated rule per user sends their new tasks to someone else; engine,
API and page. The tiny flow: li.na approves (then sun.li pays)."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.errors import ValidationFailed
from runtime.settings import Settings
from tests.runtime.flows import approval, open_tasks, publish, task
from tests.support import assert_reloads, bearer, claim

HEAD, PAY = approval("head", "li.na"), task("pay", "sun.li")
# FakeClock starts on Monday 2026-03-02 at 09:00 UTC (17:00 in Shanghai).


def test_a_task_goes_to_the_delegate_while_the_person_is_away(workflow):
    publish(workflow, "away", HEAD, PAY)
    workflow.set_delegation(workflow.org.user("li.na"), {"to": "chen.gang", "start": "2026-03-01",
                                                          "end": "2026-03-06", "note": "Trade fair"})
    instance = workflow.start(workflow.org.user("zhang.wei"), "away", claim([100])).id
    (head,) = open_tasks(workflow, instance)
    assert head.assignee == "chen.gang"
    assert head.note == "li.na is away until 2026-03-06; delegated to chen.gang"
    assert workflow.instance_for(workflow.org.user("li.na"), instance).id == instance  # it was meant for her
    assert_reloads(workflow)


def test_a_delegate_never_approves_their_own_request(workflow):
    publish(workflow, "away", HEAD)
    workflow.set_delegation(workflow.org.user("li.na"), {"to": "zhang.wei", "start": "2026-03-01", "end": "2026-03-06"})
    instance = workflow.start(workflow.org.user("zhang.wei"), "away", claim([100])).id
    assert [t.assignee for t in open_tasks(workflow, instance)] == ["li.na"]
    assert_reloads(workflow)


def test_outside_the_dates_the_task_stays_with_the_person(workflow):
    publish(workflow, "away", HEAD)
    workflow.set_delegation(workflow.org.user("li.na"), {"to": "chen.gang", "start": "2026-03-03", "end": "2026-03-04"})
    instance = workflow.start(workflow.org.user("zhang.wei"), "away", claim([100])).id
    assert [t.assignee for t in open_tasks(workflow, instance)] == ["li.na"]
    workflow.clear_delegation(workflow.org.user("li.na"))
    assert workflow.delegation(workflow.org.user("li.na")) is None
    assert_reloads(workflow)


@pytest.mark.parametrize(("body", "field"), [
    ({"to": "li.na", "start": "2026-03-01", "end": "2026-03-02"}, "to"),
    ({"to": "nobody", "start": "2026-03-01", "end": "2026-03-02"}, "to"),
    ({"to": "chen.gang", "start": "2026-3-1", "end": "2026-03-02"}, "start"),
    ({"to": "chen.gang", "start": "2026-03-05", "end": "2026-03-02"}, "end"),
])
def test_a_bad_rule_names_the_field_and_changes_nothing(workflow, body, field):
    with pytest.raises(ValidationFailed) as refused:
        workflow.set_delegation(workflow.org.user("li.na"), body)
    assert field in refused.value.errors
    assert workflow.delegation(workflow.org.user("li.na")) is None


def test_the_api_sets_reads_and_clears_ones_own_rule(repo):
    with TestClient(create_app(Settings(demo=True), repo)) as client:
        li_na = bearer(client, "li.na")
        rule = {"to": "chen.gang", "start": "2026-12-01", "end": "2026-12-05", "note": "Leave"}
        assert client.put("/api/me/delegation", json=rule, headers=li_na).json() == {"delegation": rule}
        assert client.get("/api/me/delegation", headers=li_na).json() == {"delegation": rule}
        assert client.get("/api/me/delegation", headers=bearer(client, "zhang.wei")).json() == {"delegation": None}
        bad = client.put("/api/me/delegation", json={**rule, "to": "li.na"}, headers=li_na)
        assert bad.status_code == 422 and "to" in bad.text
        assert client.delete("/api/me/delegation", headers=li_na).json() == {"delegation": None}
        assert_reloads(client.app.state.workflow)


def test_the_away_page_sets_shows_and_clears_the_rule(repo):
    from tests.runtime.test_pages import HX, sign_in

    with TestClient(create_app(Settings(demo=True), repo), follow_redirects=False) as web:
        csrf = sign_in(web, "li.na")
        assert 'id="away-form"' in web.get("/me/away").text
        bad = web.post("/me/away", data={"csrf_token": csrf, "to": "chen.gang", "start": "2026-12-05",
                                         "end": "2026-12-01"}, headers={**HX, "Accept-Language": "en"})
        assert bad.status_code == 422 and "must not be before the start" in bad.text and "<html" not in bad.text
        saved = web.post("/me/away", data={"csrf_token": csrf, "to": "chen.gang", "start": "2026-12-01",
                                           "end": "2026-12-05", "note": "Leave"}, headers=HX)
        assert saved.status_code == 200 and 'id="away-active"' in saved.text
        assert web.app.state.workflow.delegation(web.app.state.workflow.org.user("li.na")).to == "chen.gang"
        cleared = web.post("/me/away/clear", data={"csrf_token": csrf}, headers=HX)
        assert 'id="away-active"' not in cleared.text
        assert_reloads(web.app.state.workflow)
