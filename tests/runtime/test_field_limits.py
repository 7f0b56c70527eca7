"""Field values at their limits through HTTP: what a hostile reviewer sent must be a 422 at the
field (never a 500, never a frozen server), and odd stored numbers must still render."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from runtime.setup import INSTALLER, open_workflow
from runtime.store.repository import FileRepository, MemoryRepository
from runtime.web import values
from tests.runtime.flows import approval
from tests.support import FakeClock, bearer

FIELDS = [
    {"key": "qty", "type": "number", "label": "Qty"},
    {"key": "price", "type": "money", "label": "Price"},
    {"key": "total", "type": "money", "label": "Total", "computed": "qty * price"},
    {"key": "trip", "type": "daterange", "label": "Trip", "working_days": True},
    {"key": "note", "type": "text", "label": "Note"},
]
BUNDLE = {"format": 1, "rulesets": [],
          "form": {"key": "order", "version": 1, "title": "Order", "fields": FIELDS},
          "flow": {"key": "order", "version": 1, "title": "Order", "form": "order",
                   "steps": [approval("check", "li.na")]}}


@pytest.fixture
def client() -> Iterator[TestClient]:
    app = create_app(Settings(demo=True), MemoryRepository())
    with TestClient(app, follow_redirects=False) as c:
        app.state.workflow.import_bundle(INSTALLER, BUNDLE)
        yield c


def start(client: TestClient, data: dict, user: str = "zhang.wei"):
    return client.post("/api/instances", json={"process": "order", "data": data},
                       headers=bearer(client, user))


# ------------------------------------------------------------------ computed fields


def test_a_computed_total_beyond_the_limits_is_a_422_at_the_field(client):
    r = start(client, {"qty": 10 ** 12, "price": 10 ** 9})
    assert r.status_code == 422
    assert r.json()["errors"] == {"total": "is too large"}
    ok = start(client, {"qty": 3, "price": "1.5"})
    assert ok.status_code == 201
    stored = client.get(f"/api/instances/{ok.json()['id']}", headers=bearer(client, "zhang.wei"))
    assert stored.json()["data"]["total"] == 4.5


@pytest.mark.parametrize("expression, problem", [
    ("1 / 0", "division by zero in expression '1 / 0'"),
    ("round(qty, 100000000)", "round: the number of digits must be a whole number from 0 to 10"),
    ("abs(-1e308) * 1e308", "always gives a value the field refuses: is too large"),
])
def test_an_expression_that_always_fails_is_not_saved(client, expression, problem):
    admin = bearer(client, "admin")
    doc = client.get("/api/forms/order", headers=admin).json()
    doc["fields"][2]["computed"] = expression
    r = client.put("/api/forms/order", json=doc, headers=admin)
    assert r.status_code == 422
    assert r.json()["errors"] == {"fields[2].computed": problem}


@pytest.mark.parametrize("value, as_number, as_money", [
    (1234.5, "1,234.5", "1,234.50"),
    (float("inf"), "inf", "inf"),
    (float("nan"), "nan", "nan"),
    (10 ** 616, str(10 ** 616), str(10 ** 616)),
    ("abc", "abc", "abc"),
    (None, "", ""),
])
def test_odd_stored_numbers_render_as_text_instead_of_failing_the_page(value, as_number, as_money):
    assert (values.number(value), values.amount(value)) == (as_number, as_money)


# ------------------------------------------------------------------ dates and text


@pytest.mark.parametrize("data, errors", [
    ({"trip": {"start": "0001-01-01", "end": "9999-12-31"}},
     {"trip": "start and end must be between the years 1900 and 2200"}),
    ({"trip": {"start": "2026-01-01", "end": "2036-01-01"}}, {"trip": "must span at most 10 years"}),
    ({"note": "x" * 201}, {"note": "must be at most 200 characters"}),
    ({"note": "a\x00b"}, {"note": "must not contain control characters"}),
])
def test_what_the_review_sent_is_a_422_at_the_field(client, data, errors):
    r = start(client, {"qty": 1, **data})
    assert r.status_code == 422
    assert r.json()["errors"] == errors


def test_a_decade_in_working_days_is_accepted(client):
    r = start(client, {"trip": {"start": "2026-01-01", "end": "2035-12-31"}, "note": "x" * 200})
    assert r.status_code == 201


# ------------------------------------------------------------------ serial numbers


def serial_bundle(pattern: str) -> dict:
    fields = [{"key": "no", "type": "serial", "label": "No.", "pattern": pattern},
              {"key": "qty", "type": "number", "label": "Qty"}]
    return {"format": 1, "rulesets": [],
            "form": {"key": "box", "version": 1, "title": "Box", "fields": fields},
            "flow": {"key": "box", "version": 1, "title": "Box", "form": "box",
                     "steps": [approval("check", "li.na")]}}


def test_a_changed_serial_pattern_never_gives_a_number_twice_even_after_a_restart(tmp_path):
    def opened():
        repo = FileRepository(tmp_path / "data")
        wf = open_workflow(repo, demo=True)
        wf.engine.now = FakeClock()
        return repo, wf

    def file(wf, times):
        return [wf.start(wf.org.user("zhang.wei"), "box", {"qty": 1}).data["no"] for _ in range(times)]

    repo, wf = opened()
    wf.import_bundle(INSTALLER, serial_bundle("S-1{seq:1}"))
    given = file(wf, 2)
    assert given == ["S-11", "S-12"]
    wf.import_bundle(INSTALLER, serial_bundle("S-{seq:1}"))
    given += file(wf, 11)
    repo.close()
    repo, wf = opened()
    given += file(wf, 2)
    repo.close()
    assert given[2:] == ["S-1", "S-2", "S-3", "S-4", "S-5", "S-6", "S-7", "S-8", "S-9", "S-10", "S-13",
                         "S-14", "S-15"]
    assert len(set(given)) == len(given)
