"""File again (再次发起): a new request started from an earlier one's data, for the person who filed
it. The start page (`GET /start/{process}?from=<id>`) through HTTP; what it holds through its
context."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from tests.support import bearer, claim, signed_in


@pytest.fixture
def web() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(demo=True), MemoryRepository()), follow_redirects=False) as c:
        yield c


def filed(web: TestClient, who: str = "zhang.wei") -> str:
    r = web.post("/api/instances", json={"process": "expense", "data": claim([120, 80.5], reason="Trade fair")},
                 headers=bearer(web, who))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_the_start_form_comes_filled_with_what_was_typed_not_what_was_made(web: TestClient) -> None:
    earlier = filed(web)
    signed_in(web, "zhang.wei")
    record = web.get(f"/instances/{earlier}")
    assert record.context["instance"].submitter == "zhang.wei"  # whose page offers "File again"
    r = web.get("/start/expense", params={"from": earlier})
    assert r.status_code == 200 and r.template.name == "start.html" and r.context["copied_from"] == earlier
    raw = r.context["state"].raw
    assert (raw["category"], raw["reason"]) == ("travel", "Trade fair")
    assert [row["amount"] for row in raw["items"]] == ["120", "80.5"]
    assert "number" not in raw and "invoices" not in raw  # the serial is made anew; files are attached again
    assert r.context["state"].computed["total"] == 200.5
    assert not r.context["state"].errors


def test_only_the_person_who_filed_it_may_file_it_again(web: TestClient) -> None:
    earlier = filed(web)
    signed_in(web, "li.na")  # she reads it (his head), but it is not hers to file
    assert web.get("/start/expense", params={"from": earlier}).status_code == 403
    signed_in(web, "liu.yang")  # a stranger does not learn it exists
    assert web.get("/start/expense", params={"from": earlier}).status_code in (403, 404)
    signed_in(web, "zhang.wei")
    assert web.get("/start/contract", params={"from": earlier}).status_code == 403  # another process
    assert web.get("/start/expense", params={"from": "nope"}).status_code == 404
