"""A step's special cases and rejection rule in the flow designer's panel, and the process's own
special cases on its properties page, through TestClient: what the panel offers (the empty
choice naming what the process says), what each change stores, the card's words, the change
log, and a refused choice that changes nothing."""
from __future__ import annotations

from builder.flow_diff import flow_changes
from runtime import i18n
from runtime.flow_changes import change_words
from tests.runtime.test_flow_designer_pages import TEMPLATE, app, csrf, flow, post, seeded, step, web  # noqa: F401
from tests.runtime.test_flow_properties_page import PAGE as PROPERTIES, posted


def change(web, csrf: str, selected: str, name: str, value: str):
    return post(web, csrf, f"/steps/{selected}", _changed=name, **{name: value})


def test_an_approval_offers_its_special_cases_as_the_process_says_first(web, csrf):
    r = web.get("/designer/flows/contract?step=finance", headers={"Accept-Language": "en"})
    assert r.status_code == 200 and r.template.name == TEMPLATE
    panel = r.context["panel"]
    assert [p.key for p in panel.policies] == ["no_assignee", "submitter_approver", "repeat_approver"]
    nobody = panel.policies[0]
    assert (nobody.name, nobody.question, nobody.chosen) == ("s.policies.no_assignee", "When nobody fits", "")
    assert [(c.value, c.label) for c in nobody.choices] == [
        ("", "as the process says (hand it to the process admin)"), ("admin", "hand it to the process admin"),
        ("skip", "skip the step"), ("auto_approve", "approve it automatically")]
    reject = panel.reject
    assert [(c.value, c.label) for c in reject.places] == [
        ("end", "the request ends"), ("submitter", "back to the submitter"),
        ("dept_head", "back to “Department head review”"), ("legal", "back to “Legal review”")]
    assert (reject.to, reject.resume) == ("end", "here")


def test_a_task_has_no_approver_to_repeat_and_no_rejection(web, csrf):
    r = web.get("/designer/flows/contract?step=sign", headers={"Accept-Language": "en"})
    panel = r.context["panel"]
    assert [p.key for p in panel.policies] == ["no_assignee", "submitter_approver"] and panel.reject is None
    r = web.get("/designer/flows/contract?step=major", headers={"Accept-Language": "en"})
    assert r.context["panel"].policies == () and r.context["panel"].reject is None


def test_a_rejection_sent_back_to_the_submitter_to_start_over_is_stored_and_read_on_the_card(app, web, csrf):
    r = change(web, csrf, "finance", "s.on_reject.to", "submitter")
    assert r.status_code == 200 and step(flow(app), "finance")["on_reject"] == {"to": "submitter"}
    assert (r.context["panel"].reject.to, r.context["panel"].reject.resume) == ("submitter", "here")
    r = change(web, csrf, "finance", "s.on_reject.resume", "start")
    assert step(flow(app), "finance")["on_reject"] == {"to": "submitter", "resume": "start"}
    assert r.context["tree"].by_id["finance"].rules == ("rejected → back to the submitter, starts over",)
    r = change(web, csrf, "finance", "s.on_reject.to", "legal")
    assert r.context["tree"].by_id["finance"].rules == ("rejected → back to “Legal review”, starts over",)
    assert not r.context["tree"].by_id["finance"].problems


def test_a_step_whose_rejections_end_the_request_may_still_send_its_returns_through_again(app, web, csrf):
    r = change(web, csrf, "finance", "s.on_reject.resume", "start")
    assert r.status_code == 200 and step(flow(app), "finance")["on_reject"] == {"resume": "start"}
    assert (r.context["panel"].reject.to, r.context["panel"].reject.resume) == ("end", "start")
    assert r.context["tree"].by_id["finance"].rules == (
        "rejected → the request ends; sent back by a return, it starts over",)
    r = change(web, csrf, "finance", "s.on_reject.resume", "here")
    assert "on_reject" not in step(flow(app), "finance") and r.context["tree"].by_id["finance"].rules == ()


def test_a_policy_of_the_steps_own_is_stored_and_read_on_the_card_and_empty_follows_the_process(app, web, csrf):
    r = change(web, csrf, "legal", "s.policies.no_assignee", "skip")
    assert step(flow(app), "legal")["policies"] == {"no_assignee": "skip"}
    assert r.context["tree"].by_id["legal"].rules == ("When nobody fits: skip the step",)
    assert r.context["panel"].policies[0].chosen == "skip"
    r = change(web, csrf, "legal", "s.policies.no_assignee", "")
    assert "policies" not in step(flow(app), "legal") and r.context["tree"].by_id["legal"].rules == ()


def test_a_choice_that_is_not_one_is_refused_in_place_and_nothing_changes(app, web, csrf):
    before = flow(app)
    r = change(web, csrf, "finance", "s.on_reject.to", "gm")
    assert r.status_code == 422 and r.template.name == TEMPLATE
    assert r.context["refused"].at("s.on_reject.to") == ['must be one of end, submitter, dept_head, legal, got "gm"']
    r = change(web, csrf, "finance", "s.policies.repeat_approver", "never")
    assert r.status_code == 422 and r.context["refused"].at("s.policies.repeat_approver")
    assert flow(app) == before


def test_the_panel_reads_in_chinese(web, csrf):
    change(web, csrf, "finance", "s.on_reject.to", "submitter")
    r = web.get("/designer/flows/contract?step=finance", headers={"Accept-Language": "zh-CN"})
    panel = r.context["panel"]
    assert panel.policies[0].question == "找不到审批人时" and panel.policies[0].choices[0].label == "按流程设置（转交流程管理员）"
    assert r.context["tree"].by_id["finance"].rules == ("驳回 → 退回发起人，再直接回到本步骤",)


def test_the_process_sets_its_special_cases_on_its_properties_page_and_the_panel_names_them(app, web, csrf):
    r = web.post(PROPERTIES, data=posted(csrf, policy_no_assignee="skip", policy_submitter_approver="superior",
                                         policy_repeat_approver="auto_approve"), headers={"HX-Request": "true"})
    assert r.status_code == 200 and r.context["saved"]
    assert flow(app)["policies"] == {"no_assignee": "skip", "repeat_approver": "auto_approve"}
    assert [(c["key"], c["chosen"]) for c in r.context["policies"]] == [
        ("no_assignee", "skip"), ("submitter_approver", "superior"), ("repeat_approver", "auto_approve")]
    r = web.get("/designer/flows/contract?step=finance", headers={"Accept-Language": "en"})
    assert r.context["panel"].policies[0].choices[0].label == "as the process says (skip the step)"
    r = web.post(PROPERTIES, data=posted(csrf, policy_no_assignee="admin"), headers={"HX-Request": "true"})
    assert "policies" not in flow(app)


def test_a_process_policy_that_is_not_one_is_refused_on_its_input(app, web, csrf):
    before = flow(app)
    r = web.post(PROPERTIES, data=posted(csrf, policy_no_assignee="shrug"), headers={"HX-Request": "true"})
    assert r.status_code == 422 and "policies.no_assignee" in r.context["errors"]
    assert flow(app) == before


def test_the_change_log_says_what_a_step_does_its_own_way(app, web, csrf):
    before = flow(app)
    change(web, csrf, "finance", "s.on_reject.to", "submitter")
    change(web, csrf, "finance", "s.on_reject.resume", "start")
    change(web, csrf, "finance", "s.policies.no_assignee", "auto_approve")
    i18n.current_locale.set("en")
    assert change_words(flow_changes(before, flow(app))) == [
        'Step "Finance review": nobody fits: as the process says → approve it automatically',
        'Step "Finance review": when rejected: the request ends → back to the submitter, starts over']
