"""The flow designer's "What if…" panel through TestClient, on the demo contract process: an
ordinary and a major contract take their routes with the people the organisation gives them,
the tree marked taken / not taken; bad sample data and a draft with problems answer 422 with
nothing saved; staff are refused; saving, running again and deleting a scenario change the draft."""
from __future__ import annotations

from typing import Any

import pytest

from runtime.scenarios import changed_routes
from runtime.simulation import simulate
from tests.runtime.test_designer_pages import sign_in
from tests.runtime.test_flow_designer_pages import EN, HX, PAGE, admin, post
from tests.runtime.test_flow_designer_pages import app, csrf, seeded, web  # noqa: F401 (its fixtures)
from tests.runtime.test_form_designer_pages import elements

CONTRACT = {"title": "Printers", "counterparty": "Acme", "type": "purchase", "amount": "50000", "risk": "low",
            "start_date": "2026-01-01", "end_date": "2026-12-31", "payment_terms": "30 days", "summary": "Ten printers"}
ORDINARY = ["dept_head", "legal", "finance", "vp", "major", "sign"]
MAJOR = ["dept_head", "legal", "finance", "vp", "major", "gm", "sign"]


def stored_draft(app) -> Any:
    return app.state.workflow.repo.get_draft("flow", "contract")


def sample(submitter: str = "wang.fang", **changes: str) -> dict[str, str]:
    return {"submitter": submitter, **{f"sample.{k}": v for k, v in {**CONTRACT, **changes}.items()}}


def classes(html: str, dom_id: str) -> set[str]:
    return set((elements(html)[dom_id]["class"] or "").split())


def test_the_panel_asks_who_files_and_the_start_fields_as_staff_see_them(app, web, csrf):
    r = web.get(PAGE, headers=EN)
    found = elements(r.text)
    assert {"whatif", "whatif-form", "simulate", "save-scenario", "scenario-name", "scenarios"} <= set(found)
    assert found["whatif-submitter"]["name"] == "submitter"
    panel = r.context["whatif"]
    assert ("wang.fang", "Wang Fang") in panel.people and len(panel.people) == len(app.state.workflow.org.users)
    assert found["field-amount"]["name"] == "sample.amount"  # never mixed with the designer's own inputs
    assert found["field-title"]["name"] == "sample.title"
    assert panel.ready and not panel.path and not r.context["marks"]
    assert not any("ff-taken" in classes(r.text, f"step-{s}") for s in MAJOR)


def test_an_ordinary_contract_goes_to_the_vp_and_not_the_gm(app, web, csrf):
    r = post(web, csrf, "/simulate", **sample())
    assert r.status_code == 200 and r.template.name == "designer/flow.html"
    panel = r.context["whatif"]
    assert [row.step for row in panel.path] == ORDINARY
    people = {row.step: row.people for row in panel.path}
    assert people["legal"] == "Zhou Jie" and people["finance"] == "Zhao Min" and people["vp"] == "Chen Gang"
    assert not r.context["marks"]["gm"].taken and r.context["marks"]["vp"].taken
    assert panel.marks["major"].because == \
        "otherwise: no rule row matched, so the default applies — Major contract v1"
    assert "ff-not-taken" in classes(r.text, "step-gm") and "ff-taken" in classes(r.text, "step-vp")
    assert "ff-lane-taken" in classes(r.text, "lane-major--else")
    assert "ff-lane-not-taken" in classes(r.text, "lane-major--b0")
    assert elements(r.text)["sim-gm"]["class"] == "visually-hidden"  # screen readers hear it is not taken
    assert app.state.workflow.state.instances == {}  # nothing filed
    assert stored_draft(app) is None  # nothing saved


def test_a_major_contract_also_goes_to_the_gm_with_the_rule_that_decided_it(app, web, csrf):
    r = post(web, csrf, "/simulate", **sample(amount="2000000"))
    assert r.status_code == 200
    panel = r.context["whatif"]
    assert [row.step for row in panel.path] == MAJOR
    gm = panel.marks["gm"]
    assert gm.taken and gm.people == "Yang Hua" and gm.due
    because = panel.marks["major"].because  # the branch taken and the rule row that decided it, in words
    assert because.startswith("priority 1 Major contract (Amount above 1,000,000)")
    assert "Contract amount 2,000,000 > 1,000,000" in because and because.endswith("Major contract v1, row 1")
    assert "ff-taken" in classes(r.text, "step-gm") and "ff-lane-taken" in classes(r.text, "lane-major--b0")
    assert "Yang Hua" in r.text.split('id="sim-gm"')[1].split("</span>\n    </span>")[0]
    path = r.text.split('id="whatif-path"')[1].split("</ol>")[0]
    assert [line.split('"')[1] for line in path.split("<li data-step=")[1:]] == MAJOR
    # the same path and people as the engine's simulator on the draft
    defs = app.state.flow_authoring.definitions(admin(app), "contract")
    engine = simulate(app.state.workflow, defs, "wang.fang", {**CONTRACT, "amount": "2000000"})
    org = app.state.workflow.org
    assert [row.people for row in panel.path] == [", ".join(org.name_of(p["username"], "en") for p in s.people)
                                                  for s in engine.path]


def test_the_rule_that_decided_reads_a_box_and_an_option_as_the_form_shows_them(app, web, csrf):
    r = post(web, csrf, "/simulate", **sample(foreign="on"))
    because = r.context["whatif"].marks["major"].because
    assert "Foreign-related contract = Yes" in because and "True" not in because, because
    r = post(web, csrf, "/simulate", **sample(risk="high", risk_measures="Escrow"))
    because = r.context["whatif"].marks["major"].because
    assert "Risk level = High" in because and because.endswith("Major contract v1, row 3"), because


def test_bad_sample_data_shows_the_errors_at_the_inputs_and_saves_nothing(app, web, csrf):
    r = post(web, csrf, "/simulate", **sample(amount="lots", title=""))
    assert r.status_code == 422
    state = r.context["whatif"].state
    assert set(state.errors) == {"amount", "title"}
    found = elements(r.text)
    assert "invalid" in found["wrap-amount"]["class"] and found["field-amount"]["aria-invalid"] == "true"
    assert "hidden" not in found["error-amount"] and "whatif-errors" in found
    assert found["field-amount"]["value"] == "lots"  # what was typed stays
    assert not r.context["whatif"].path
    r = post(web, csrf, "/simulate", **sample(submitter=""))
    assert r.status_code == 422 and r.context["whatif"].submitter_error
    assert "hidden" not in elements(r.text)["error-whatif-submitter"]
    r = post(web, csrf, "/scenarios", scenario_name="broken", **sample(amount="lots"))
    assert r.status_code == 422 and stored_draft(app) is None


def test_a_draft_with_problems_is_not_simulated(app, web, csrf):
    post(web, csrf, "/steps", container="", index="0", kind="branch")  # a branch with no condition yet
    r = post(web, csrf, "/simulate", **sample())
    assert r.status_code == 422
    assert "Fix the problems" in r.context["whatif"].sample.message and "whatif-message" in elements(r.text)
    assert not r.context["whatif"].path and not r.context["marks"]


@pytest.mark.parametrize("username", ["zhang.wei", "audit.gu"])
def test_staff_and_auditors_cannot_simulate_or_touch_scenarios(app, web, username):
    token = sign_in(web, username)
    for url in ("/simulate", "/scenarios", "/scenarios/0/run", "/scenarios/0/delete"):
        assert post(web, token, url, scenario_name="x", **sample()).status_code == 403, url
    assert stored_draft(app) is None


def test_a_simulation_without_the_csrf_token_is_refused(web, csrf):
    assert web.post(PAGE + "/simulate", data=sample(), headers=HX).status_code == 403


def test_a_plain_post_answers_the_whole_page_with_the_path(web, csrf):
    r = post(web, csrf, "/simulate", hx=False, **sample(amount="2000000"))
    assert r.status_code == 200 and "publish" in elements(r.text)
    assert [row.step for row in r.context["whatif"].path] == MAJOR


def test_saving_running_again_and_deleting_scenarios_change_the_draft(app, web, csrf):
    r = post(web, csrf, "/scenarios", scenario_name="", **sample())
    assert r.status_code == 422 and r.context["whatif"].sample.name_error and stored_draft(app) is None

    r = post(web, csrf, "/scenarios", scenario_name="ordinary", **sample())
    assert r.status_code == 200 and r.headers["HX-Trigger"] == "flow-draft-changed"
    assert r.context["whatif"].sample.saved == "ordinary" and "scenario-saved" in elements(r.text)
    post(web, csrf, "/scenarios", scenario_name="major", **sample(amount="2000000"))
    saved = stored_draft(app)["flow"]["scenarios"]
    assert [(s["name"], s["submitter"], s["data"]["amount"], s["route"]) for s in saved] == [
        ("ordinary", "wang.fang", "50000", ORDINARY), ("major", "wang.fang", "2000000", MAJOR)]
    rows = web.get(PAGE, headers=EN).context["whatif"].scenarios
    assert [(s.name, s.submitter) for s in rows] == [("ordinary", "Wang Fang"), ("major", "Wang Fang")]
    assert rows[1].route.endswith("VP approval → Major contract? → GM approval → Sign the contract")

    r = post(web, csrf, "/scenarios", scenario_name="ordinary", **sample(submitter="zhang.wei"))  # same name: updated
    assert [s["submitter"] for s in stored_draft(app)["flow"]["scenarios"]] == ["zhang.wei", "wang.fang"]

    r = post(web, csrf, "/scenarios/1/run")  # fills the panel and simulates
    assert r.status_code == 200
    panel = r.context["whatif"]
    assert panel.sample.submitter == "wang.fang" and panel.state.value("amount") == "2000000"
    assert [row.step for row in panel.path] == MAJOR
    assert "selected" in elements(r.text.replace('value="wang.fang" selected', 'id="picked" selected'))["picked"]

    r = post(web, csrf, "/scenarios/0/delete")
    assert r.status_code == 200 and [s["name"] for s in stored_draft(app)["flow"]["scenarios"]] == ["major"]
    assert [s.name for s in r.context["whatif"].scenarios] == ["major"]
    assert post(web, csrf, "/scenarios/5/run").status_code == 404


def test_the_submitter_chooses_people_in_the_panel_as_on_the_start_page(app, web, csrf):
    def change(name: str, value: str):
        return web.post(PAGE + "/steps/legal", data={"csrf_token": csrf, "_changed": name, name: value}, headers=HX)

    change("s.assignee.kind", "chosen")
    r = change("s.assignee.role", "legal")
    assert "chosen-legal" in elements(r.text)
    r = post(web, csrf, "/simulate", **sample())
    assert r.status_code == 422 and "hidden" not in elements(r.text)["error-chosen-legal"]
    r = post(web, csrf, "/simulate", **{**sample(), "_chosen.legal": "zhou.jie"})
    assert r.status_code == 200
    assert {row.step: row.people for row in r.context["whatif"].path}["legal"] == "Zhou Jie"


def test_a_scenario_keeps_the_people_the_submitter_chose_and_runs_again_with_them(app, web, csrf):
    for name, value in (("s.assignee.kind", "chosen"), ("s.assignee.role", "legal")):
        web.post(PAGE + "/steps/legal", data={"csrf_token": csrf, "_changed": name, name: value}, headers=HX)
    r = post(web, csrf, "/scenarios", scenario_name="chosen legal", **{**sample(), "_chosen.legal": "zhou.jie"})
    assert r.status_code == 200
    assert stored_draft(app)["flow"]["scenarios"][0]["chosen"] == {"legal": ["zhou.jie"]}

    r = post(web, csrf, "/scenarios/0/run")
    panel = r.context["whatif"]
    assert r.status_code == 200 and {row.step: row.people for row in panel.path}["legal"] == "Zhou Jie"
    assert [row["selected"] for row in panel.choosing] == [["zhou.jie"]]
    draft = app.state.flow_authoring.definitions(admin(app), "contract")
    assert changed_routes(app.state.workflow, draft) == []  # publishing re-runs it with its people


def test_each_step_is_due_after_the_one_before_and_the_panel_says_how_that_is_counted(app, web, csrf):
    """Not every due date from now (the review saw the department head due after HR): each step's
    is the latest it would be due if every step before it took its full time, and the panel says so."""
    r = post(web, csrf, "/simulate", **sample(amount="2000000"))
    assert r.status_code == 200 and r.template.name == "designer/flow.html"
    panel = r.context["whatif"]
    dues = [row.due for row in panel.path if row.due]
    assert len(dues) == 6 and dues == sorted(dues) and len(set(dues)) == len(dues)
    assert [panel.marks[row.step].due for row in panel.path if row.due] == dues  # the cards say the same
    assert elements(r.text)["whatif-due-hint"]["class"] == "hint"
    zh = web.post(PAGE + "/simulate", data={"csrf_token": csrf, **sample(amount="2000000")},
                  headers={**HX, "Accept-Language": "zh-CN"})
    assert [row.due for row in zh.context["whatif"].path if row.due] == dues
    hint = zh.text.split('id="whatif-due-hint">')[1].split("</p>")[0]
    assert hint == "每个到期时间是假设之前每个步骤都用满时限时，该步骤最晚的到期时间，按工作日历计算。"


def test_without_time_limits_no_due_date_and_no_word_on_them(app, web, csrf):
    doc = app.state.flow_authoring.draft(admin(app), "contract").flow
    for step in doc["steps"]:
        step.pop("deadline", None)
        step.pop("escalation", None)
    app.state.flow_authoring.save(admin(app), "contract", doc)
    r = post(web, csrf, "/simulate", **sample())
    assert r.status_code == 200 and [row.due for row in r.context["whatif"].path] == [""] * len(ORDINARY)
    assert "whatif-due-hint" not in elements(r.text)
