"""`notify` steps (抄送, CC): nobody acts, the flow goes straight on, and the people copied may read
the request and find it under "Copied to me". The tiny flow: copy HR, then the cashier pays."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.errors import Forbidden
from runtime.settings import Settings
from tests.runtime.flows import open_tasks, publish, task
from tests.runtime.test_designer_pages import sign_in
from tests.support import assert_reloads, claim, definitions_copy, demo_with_auditor

CC = {"id": "cc", "kind": "notify", "title": "Copy HR", "assignee": {"kind": "role", "role": "hr"}}
PAY = task("pay", assignee={"kind": "role", "role": "cashier"})


def test_cc_needs_no_action_and_lets_them_read(workflow):
    publish(workflow, "review", CC, PAY)
    instance = workflow.start(workflow.org.user("zhang.wei"), "review", claim([100])).id
    assert [t.step for t in open_tasks(workflow, instance)] == ["pay"]
    assert workflow.state.instances[instance].copied == ("wu.qiang",)
    assert workflow.instance_for(workflow.org.user("wu.qiang"), instance).id == instance
    with pytest.raises(Forbidden):
        workflow.instance_for(workflow.org.user("liu.yang"), instance)
    assert_reloads(workflow)


def test_the_people_copied_in_find_the_request_under_copied_to_me(workflow):
    publish(workflow, "review", CC, PAY)
    first = workflow.start(workflow.org.user("zhang.wei"), "review", claim([100])).id
    second = workflow.start(workflow.org.user("liu.yang"), "review", claim([200])).id
    hr = workflow.org.user("wu.qiang")
    assert [i.id for i in workflow.copied_to(hr)] == [second, first]  # the latest copy first
    assert workflow.copied_to(workflow.org.user("zhang.wei")) == []
    assert_reloads(workflow)


def test_my_requests_lists_what_i_was_copied_in_on():
    """The inbox's tabs: CC'd to me (抄送我的) and filed by me (我发起的); /requests leads there."""
    app = create_app(Settings(), definitions_copy(demo_with_auditor()))
    with TestClient(app, follow_redirects=False) as web:
        workflow = app.state.workflow
        publish(workflow, "review", CC, PAY)
        filed = workflow.start(workflow.org.user("zhang.wei"), "review", claim([100])).id
        sign_in(web, "wu.qiang")
        assert web.get("/requests").headers["location"] == "/inbox?tab=mine"
        r = web.get("/inbox?tab=cc", headers={"Accept-Language": "en"})
        assert r.status_code == 200 and r.template.name == "inbox.html"
        assert [line.instance.id for line in r.context["lines"]] == [filed]
        assert r.context["counts"]["cc"] == 1 and r.context["counts"]["mine"] == 0
        assert web.get(f"/instances/{filed}").status_code == 200
        sign_in(web, "zhang.wei")
        r = web.get("/inbox?tab=mine", headers={"Accept-Language": "en"})
        assert [line.instance.id for line in r.context["lines"]] == [filed] and r.context["counts"]["cc"] == 0