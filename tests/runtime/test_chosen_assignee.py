"""发起人自选: steps whose people the submitter chooses when filing — one, or several, among a
role's holders when the step names one — through the API, the engine and the simulator."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from tests.runtime.test_demo_processes import contract
from tests.runtime.test_designer_pages import sign_in
from tests.support import FakeClock, bearer, definitions_copy, demo_with_auditor

FLOW = {"key": "contract-chosen", "version": 1, "title": {"en": "Contract, reviewers chosen", "zh_CN": "合同（自选审核人）"},
        "form": "contract-approval",
        "steps": [{"id": "counsel", "kind": "approval", "title": {"en": "Counsel", "zh_CN": "法务"},
                   "assignee": {"kind": "chosen", "role": "legal", "multiple": False}},
                  {"id": "reviewers", "kind": "approval", "title": {"en": "Reviewers", "zh_CN": "评审人"}, "mode": "all",
                   "assignee": {"kind": "chosen", "role": "", "multiple": True}}]}


@pytest.fixture
def client() -> Iterator[TestClient]:
    seeded = demo_with_auditor()
    repo = definitions_copy(seeded)
    with TestClient(create_app(Settings(), repo)) as c:
        c.app.state.workflow.engine.now = FakeClock()
        admin = bearer(c, "admin")
        assert c.put("/api/flows/contract-chosen", json=FLOW, headers=admin).status_code == 200
        assert c.post("/api/flows/contract-chosen/publish", json={"note": "chosen"}, headers=admin).status_code == 201
        yield c


def start(client, chosen):
    return client.post("/api/instances", json={"process": "contract-chosen", "data": contract(), "chosen": chosen},
                       headers=bearer(client, "liu.yang"))


def test_the_steps_go_to_the_people_the_submitter_chose(client):
    r = start(client, {"counsel": "zhou.jie", "reviewers": ["zhao.min", "chen.gang"]})
    assert r.status_code == 201, r.text
    assert [(t["step"], t["assignee"]) for t in r.json()["tasks"]] == [("counsel", "zhou.jie")]
    legal = bearer(client, "zhou.jie")
    task = client.get("/api/tasks", headers=legal).json()[0]
    client.post(f"/api/tasks/{task['id']}/approve", json={}, headers=legal)
    instance = client.get(f"/api/instances/{r.json()['id']}", headers=bearer(client, "liu.yang")).json()
    assert sorted(t["assignee"] for t in instance["tasks"] if t["status"] == "open") == ["chen.gang", "zhao.min"]


@pytest.mark.parametrize(("chosen", "where"), [
    ({"reviewers": ["zhao.min"]}, "chosen.counsel"),                               # nobody chosen
    ({"counsel": "zhao.min", "reviewers": ["zhao.min"]}, "chosen.counsel"),         # not legal
    ({"counsel": ["zhou.jie", "admin"], "reviewers": ["zhao.min"]}, "chosen.counsel"),  # one only
    ({"counsel": "zhou.jie", "reviewers": ["ghost"]}, "chosen.reviewers"),          # no such user
    ({"counsel": "zhou.jie", "reviewers": ["zhao.min", "audit.gu"]}, "chosen.reviewers"),  # an auditor acts on nothing
])
def test_a_missing_or_wrong_choice_is_refused_at_its_step(client, chosen, where):
    r = start(client, chosen)
    assert r.status_code == 422 and where in r.json()["errors"], r.text


def test_the_simulator_shows_the_chosen_people_and_the_flow_validates_the_assignee(client):
    admin = bearer(client, "admin")
    r = client.post("/api/flows/contract-chosen/simulate",
                    json={"data": contract(), "submitter": "liu.yang",
                          "chosen": {"counsel": "zhou.jie", "reviewers": ["zhao.min", "chen.gang"]}}, headers=admin)
    assert [(p["step"], [q["username"] for q in p["people"]]) for p in r.json()["path"]] == [
        ("counsel", ["zhou.jie"]), ("reviewers", ["zhao.min", "chen.gang"])]
    broken = {**FLOW, "steps": [{**FLOW["steps"][0], "assignee": {"kind": "chosen", "role": "astronaut", "multiple": "yes"}}]}
    r = client.put("/api/flows/contract-chosen", json=broken, headers=admin)
    assert r.status_code == 422 and set(r.json()["errors"]) == {"steps[0].assignee.role", "steps[0].assignee.multiple"}


def test_the_start_page_asks_who_acts_and_a_missing_choice_is_shown_at_its_step(client):
    client = TestClient(client.app, follow_redirects=False)  # the same app, as a browser session
    csrf = sign_in(client, "liu.yang")
    page = client.get("/start/contract-chosen", headers={"Accept-Language": "en"})
    rows = page.context["choosing"]
    assert [r["step"].id for r in rows] == ["counsel", "reviewers"]
    assert [u for u, _ in rows[0]["options"]] == ["zhou.jie"] and rows[1]["multiple"]  # legal's holders; anyone
    form = {"csrf_token": csrf, "request_id": "r1", **contract(), "_chosen.reviewers": "zhao.min"}
    r = client.post("/start/contract-chosen", data=form, headers={"HX-Request": "true", "Accept-Language": "en"})
    assert r.status_code == 422
    assert [row["error"] for row in r.context["choosing"]] == ["choose who acts at this step", ""]
    assert r.context["choosing"][1]["selected"] == ["zhao.min"]  # kept as chosen
    r = client.post("/start/contract-chosen", data={**form, "_chosen.counsel": "zhou.jie"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and r.headers["hx-redirect"].startswith("/instances/")
