"""The step panel's escalation ladder through TestClient on the demo contract flow: a row per
rung, rungs added, changed, moved and removed over htmx and by a plain post, a bad amount refused
on its row (422, nothing saved, what was typed kept), the checks' findings on the rung, the card
and the list, the ladder in the card's words, and the change in the publish panel's and the
versions page's words. Template and context asserted, not HTML (ids parsed where the row's
controls are the point)."""
from __future__ import annotations

from typing import Any

from tests.runtime.test_designer_pages import sign_in
from tests.runtime.test_flow_designer_pages import (PAGE, TEMPLATE, admin, app, csrf, flow, post,  # noqa: F401
                                                    seeded, step, web)
from tests.runtime.test_form_designer_pages import elements

HX = {"HX-Request": "true", "Accept-Language": "en"}


def change(web, csrf: str, name: str, value: str = "1", selected: str = "legal"):  # noqa: F811
    return post(web, csrf, f"/steps/{selected}", _changed=name, **{name: value})


def rungs(app, step_id: str = "legal") -> list[tuple[int, str, str]]:  # noqa: F811
    return [(r["after"]["amount"], r["after"]["unit"], r["action"]) for r in step(flow(app), step_id).get("escalation", [])]


def rows(r: Any) -> list[tuple[str, str, str]]:
    return [(row.amount, row.unit, row.action) for row in r.context["panel"].rungs]


def test_the_panel_shows_a_row_per_rung_and_the_actions_the_step_may_take(web, csrf):  # noqa: F811
    r = web.get(PAGE + "?step=legal", headers=HX)
    assert r.status_code == 200 and r.template.name == TEMPLATE
    assert rows(r) == [("2", "days", "remind")]
    assert [c.value for c in r.context["panel"].actions] == ["remind", "urge", "transfer_superior", "auto_approve",
                                                             "auto_reject"]
    page = elements(r.text)
    for part in ("amount", "unit", "action", "up", "down", "remove"):
        assert f"rung-0-{part}" in page, part
    assert page["rung-0-amount"]["name"] == "s.escalation.0.amount" and page["rung-add"]["name"] == "s.escalation.add"
    assert page["rung-0-unit"]["aria-label"] == "Escalation step 1: unit"
    assert "disabled" in page["rung-0-up"] and "disabled" in page["rung-0-down"]  # one rung: nowhere to move
    r = web.get(PAGE + "?step=sign", headers=HX)  # a task is completed, never decided
    assert [c.value for c in r.context["panel"].actions] == ["remind", "urge", "transfer_superior"]
    assert rows(r) == [] and "rung-add" in elements(r.text)


def test_rungs_are_added_changed_moved_and_removed_and_the_card_says_the_ladder(app, web, csrf):  # noqa: F811
    r = change(web, csrf, "s.escalation.add")
    assert r.status_code == 200 and rungs(app) == [(2, "days", "remind"), (3, "days", "urge")]
    assert rows(r) == [("2", "days", "remind"), ("3", "days", "urge")]
    assert r.context["tree"].by_id["legal"].limit == "3 working days, after 2 working days reminds; then urges"
    change(web, csrf, "s.escalation.1.action", "transfer_superior")
    r = change(web, csrf, "s.escalation.1.amount", "4")
    assert rungs(app) == [(2, "days", "remind"), (4, "days", "transfer_superior")]
    assert r.context["tree"].by_id["legal"].limit == \
        "3 working days, after 2 working days reminds; after 4 working days goes to the superior"
    change(web, csrf, "s.escalation.add")
    change(web, csrf, "s.escalation.2.action", "auto_approve")
    r = change(web, csrf, "s.escalation.0.unit", "hours")
    assert rungs(app) == [(2, "hours", "remind"), (4, "days", "transfer_superior"), (5, "days", "auto_approve")]
    assert not r.context["tree"].by_id["legal"].problems
    r = change(web, csrf, "s.escalation.2.up")
    assert [a for _, _, a in rungs(app)] == ["remind", "auto_approve", "transfer_superior"]
    assert r.context["panel"].rungs[1].problems == ("auto_approve ends the task, so it must be the last rung",)
    r = change(web, csrf, "s.escalation.1.down")
    assert [a for _, _, a in rungs(app)] == ["remind", "transfer_superior", "auto_approve"]
    r = change(web, csrf, "s.escalation.0.remove")
    assert rungs(app) == [(4, "days", "transfer_superior"), (5, "days", "auto_approve")]
    assert r.context["tree"].by_id["legal"].limit == \
        "3 working days, after 4 working days goes to the superior; after 5 working days is approved automatically"
    change(web, csrf, "s.escalation.0.remove")
    r = change(web, csrf, "s.escalation.0.remove")
    assert "escalation" not in step(flow(app), "legal") and rows(r) == []
    assert r.context["tree"].by_id["legal"].limit == "3 working days"


def test_a_bad_amount_is_refused_on_its_row_with_what_was_typed(app, web, csrf):  # noqa: F811
    change(web, csrf, "s.escalation.add")
    before = flow(app)
    r = change(web, csrf, "s.escalation.1.amount", "3x")
    assert r.status_code == 422 and r.template.name == TEMPLATE and flow(app) == before
    assert r.context["refused"].at("s.escalation.1.amount") == ['must be a whole number from 1 to 1000, got "3x"']
    page = elements(r.text)
    assert page["rung-1-amount"]["value"] == "3x" and page["rung-1-amount"]["aria-invalid"] == "true"
    assert "hidden" not in page["error-rung-1-amount"] and "hidden" in page["error-rung-0-amount"]
    assert page["rung-0-amount"]["value"] == "2" and "aria-invalid" not in page["rung-0-amount"]
    r = change(web, csrf, "s.escalation.1.amount", "6")
    assert r.status_code == 200 and rungs(app)[1] == (6, "days", "urge")
    assert "hidden" in elements(r.text)["error-rung-1-amount"]


def test_a_rung_out_of_order_is_saved_and_shown_on_its_row_card_and_list_and_blocks_publishing(app, web, csrf):  # noqa: F811
    change(web, csrf, "s.escalation.add")
    r = change(web, csrf, "s.escalation.1.amount", "1")
    assert r.status_code == 200 and rungs(app)[1] == (1, "days", "urge")
    message = "must be later than the rung before it (2 days)"
    assert r.context["panel"].rungs[1].problems == (message,) and r.context["panel"].rungs[0].problems == ()
    assert message in r.context["tree"].by_id["legal"].problems
    assert [(p.step, p.message) for p in r.context["tree"].problems] == [("legal", message)]
    page = elements(r.text)
    assert "problems-rung-1" in page and "problems-rung-1" in page["rung-1-amount"]["aria-describedby"]
    assert "warn-legal" in page
    assert web.get(PAGE + "/publish", headers=HX).context["blocking"] == 1
    r = change(web, csrf, "s.escalation.1.up")  # in order now: the check is satisfied
    assert r.context["tree"].problems == [] and rungs(app) == [(1, "days", "urge"), (2, "days", "remind")]


def test_a_plain_post_applies_the_rows_before_removing_a_rung(app, web, csrf):  # noqa: F811
    change(web, csrf, "s.escalation.add")
    r = post(web, csrf, "/steps/legal", hx=False, **{
        "s.escalation.0.amount": "1", "s.escalation.0.unit": "days", "s.escalation.0.action": "remind",
        "s.escalation.0.remove": "1",
        "s.escalation.1.amount": "5", "s.escalation.1.unit": "days", "s.escalation.1.action": "transfer_superior"})
    assert r.status_code == 303 and r.headers["location"] == PAGE + "?step=legal"
    assert rungs(app) == [(5, "days", "transfer_superior")]
    r = post(web, csrf, "/steps/legal", hx=False, **{"s.escalation.0.amount": "5", "s.escalation.add": "1"})
    assert r.status_code == 303 and rungs(app) == [(5, "days", "transfer_superior"), (6, "days", "transfer_superior")]


def test_the_publish_panel_and_the_versions_page_say_the_ladder_change(app, web, csrf):  # noqa: F811
    change(web, csrf, "s.escalation.add")
    change(web, csrf, "s.escalation.1.action", "transfer_superior")
    changes = web.get(PAGE + "/publish", headers=HX).context["impact"].changes
    said = ('Step "Legal review": escalation: after 2 working days reminds → '
            "after 2 working days reminds; after 3 working days goes to the superior")
    assert changes == (said,)
    app.state.flow_authoring.publish(admin(app), "contract", "Legal escalates to the superior")
    assert web.get(PAGE + "/versions", headers=HX).context["versions"][0]["diff"] == [said]
    sign_in(web, "admin")
    r = web.get(PAGE + "/versions", headers={"Accept-Language": "zh-CN"})
    assert r.context["versions"][0]["diff"] == [
        "步骤“法务审核”：超时升级：2 个工作日后提醒 → 2 个工作日后提醒；3 个工作日后转交上级"]
