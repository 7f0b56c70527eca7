"""The route before and during (issue 11 item 3): the start form's route panel, found by the
engine's own simulation as the person types, gains the VP (and GM) steps as the total crosses a
tier; the request page's step-progress diagram shows each step done / current / to come /
skipped or not reached, the parallel review of a non-regular order as lanes."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from runtime.web.progress import CURRENT, DONE, NOT_REACHED, UPCOMING
from tests.runtime.test_pages import HX, expense_form
from tests.support import signed_in


@pytest.fixture(scope="module")
def app():
    return create_app(Settings(demo=True), MemoryRepository())


@pytest.fixture
def staff(app):
    with TestClient(app, follow_redirects=False) as client:
        yield client, signed_in(client, "zhang.wei")


def route_of(response) -> list[tuple[str, tuple[str, ...]]]:
    route = response.context["route"]
    return [(s.step, s.people) for s in route.steps] if route else []


def claim_of(csrf: str, amount: str) -> dict[str, str]:
    form = expense_form(csrf, **{"items-0-amount": amount})
    return {k: v for k, v in form.items() if not k.startswith("items-1-")}


def test_the_route_panel_follows_the_amount_across_the_tiers(staff):
    client, csrf = staff
    blank = client.get("/start/expense")
    assert blank.template.name == "start.html"
    assert [s for s, _ in route_of(blank)] == ["dept_head", "finance", "pay"]
    small = client.post("/start/expense/preview", data=claim_of(csrf, "300"), headers=HX)
    assert small.status_code == 200
    assert route_of(small) == [("dept_head", ("li.na",)), ("finance", ("zhao.min",)), ("pay", ("sun.li",))]
    above_vp = client.post("/start/expense/preview", data=claim_of(csrf, "7000"), headers=HX)
    assert route_of(above_vp) == [("dept_head", ("li.na",)), ("finance", ("zhao.min",)), ("vp", ("chen.gang",)),
                                  ("pay", ("sun.li",))]
    above_gm = client.post("/start/expense/preview", data=claim_of(csrf, "60000"), headers=HX)
    assert [s for s, _ in route_of(above_gm)] == ["dept_head", "finance", "vp_major", "gm", "pay"]
    back = client.post("/start/expense/preview", data=claim_of(csrf, "4000"), headers=HX)
    assert "vp" not in [s for s, _ in route_of(back)]


def test_a_half_filled_form_still_has_a_route(staff):
    client, csrf = staff
    r = client.post("/start/expense/preview", data={"csrf_token": csrf, "category": "travel",
                                                     "items-0-amount": "9000"}, headers=HX)
    assert r.template.name == "start.html"  # as far as it is filled in: the total decides the tier
    assert [s for s, _ in route_of(r)] == ["dept_head", "finance", "vp", "pay"]


def states(nodes) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(n.step, n.state, n.people) for n in nodes]


def test_the_progress_of_a_claim_done_current_and_to_come(app, staff):
    client, csrf = staff
    url = client.post("/start/expense", data=expense_form(csrf), headers=HX).headers["HX-Redirect"].split("?")[0]
    workflow = app.state.workflow
    instance = workflow.state.instances[url.rsplit("/", 1)[1]]
    workflow.act(workflow.org.user("li.na"), instance.task_ids[-1], "approve")
    page = client.get(url)
    assert states(page.context["progress"]) == [("dept_head", DONE, ("li.na",)), ("finance", CURRENT, ("zhao.min",)),
                                                ("vp", UPCOMING, ("chen.gang",)), ("pay", UPCOMING, ("sun.li",))]
    assert page.context["progress"][0].verb == "approve"
    finance = workflow.state.instances[instance.id].task_ids[-1]
    workflow.act(workflow.org.user("zhao.min"), finance, "reject", "Not a business expense")
    ended = client.get(url).context["progress"]
    assert states(ended) == [("dept_head", DONE, ("li.na",)), ("finance", DONE, ("zhao.min",)),
                             ("pay", NOT_REACHED, ())]  # the tier was never decided: no VP step to show
    assert ended[1].verb == "reject"


ORDER = {"customer": "Jiangnan Power Supply Co.", "product": "Switchgear set", "model": "KYN28-12", "quantity": 6,
         "amount": 1860000, "delivery_date": "2026-06-30", "order_type": "non_regular",
         "non_regular_reason": "new_design", "requirements": "IEC 62271-200"}


def test_the_progress_of_a_non_regular_order_shows_its_parallel_review_as_lanes(app):
    workflow = app.state.workflow
    instance = workflow.start(workflow.org.user("liu.yang"), "order-review", ORDER)
    tech = next(t for t in instance.task_ids if workflow.state.tasks[t].step == "tech_review")
    workflow.act(workflow.org.user(workflow.state.tasks[tech].assignee), tech, "approve")
    with TestClient(app, follow_redirects=False) as client:
        signed_in(client, "liu.yang")
        nodes = client.get(f"/instances/{instance.id}").context["progress"]
    review, gm = nodes[0], nodes[1]
    assert (review.step, review.state, review.kind) == ("review", CURRENT, "parallel")
    lanes = [[(n.step, n.state) for n in lane] for lane in review.lanes]
    assert lanes == [[("tech_review", DONE)], [("quality_review", CURRENT)], [("logistics_review", CURRENT)],
                     [("production_review", CURRENT)]]
    assert review.lanes[1][0].people == ("ma.li",)
    assert (gm.step, gm.state, gm.people) == ("gm_decision", UPCOMING, ("yang.hua",))
    assert [n.state for n in nodes[2:]] == [UPCOMING, UPCOMING]  # quote and production order, after the GM's data
