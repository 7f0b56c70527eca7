"""`/api/openapi.json` against the app it describes: a valid OpenAPI 3.1 document, every JSON route
in it and nothing that is not routed, and real answers of a whole working day valid against the
shapes it promises (success and failure alike)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from starlette.routing import Route
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from tests.support import bearer, claim


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(demo=True), MemoryRepository())) as c:
        yield c


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    answer = client.get("/api/openapi.json")
    assert answer.status_code == 200
    return answer.json()


def test_it_is_a_valid_openapi_3_1_document(document):
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises, naming the part that is wrong


def test_every_json_route_is_documented_and_nothing_unrouted_is(client, document):
    routed = {(route.path, method.lower()) for route in client.app.routes
              if isinstance(route, Route) and route.path.startswith("/api/")
              for method in (route.methods or ()) if method != "HEAD"}
    documented = {(path, method) for path, item in document["paths"].items()
                  for method in item if method != "parameters"}
    assert routed - documented == set(), "routes without a description"
    assert documented - routed == set(), "descriptions of routes that do not exist"


class Checked:
    """Calls the API and checks each JSON answer against the document's shape for that path,
    method and status (an undocumented status is a failure too)."""

    def __init__(self, client: TestClient, document: dict[str, Any]) -> None:
        self.client, self.document = client, document
        self.templates = [(re.compile("^" + re.sub(r"{\w+}", "[^/]+", p) + "$"), p) for p in document["paths"]]
        self.seen: set[tuple[str, str, int]] = set()

    def __call__(self, method: str, url: str, who: str | None = None, status: int = 200, **kwargs: Any) -> Any:
        headers = bearer(self.client, who) if who else {}
        answer = self.client.request(method, url, headers=headers, **kwargs)
        assert answer.status_code == status, answer.text
        path = next(p for pattern, p in self.templates if pattern.match(url.split("?")[0]))
        responses = self.document["paths"][path][method.lower()]["responses"]
        assert str(status) in responses, f"{method} {path} answered {status}, which it does not document"
        self.seen.add((method, path, status))
        content = responses[str(status)].get("content", {})
        if "application/json" in content:
            schema = {**content["application/json"]["schema"], "components": self.document["components"]}
            errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                      for e in Draft202012Validator(schema).iter_errors(answer.json())]
            assert errors == [], f"{method} {url} answered outside its shape"
            return answer.json()
        return answer


def test_a_working_day_answers_in_the_shapes_described(client, document):
    call = Checked(client, document)
    call("POST", "/api/login", json={"username": "zhang.wei", "password": "demo"})
    call("POST", "/api/login", status=401, json={"username": "zhang.wei", "password": "wrong"})
    call("GET", "/api/processes?locale=zh_CN", "zhang.wei")
    started = call("POST", "/api/instances", "zhang.wei", 201, json={"process": "expense", "data": claim([1200.0])})
    call("POST", "/api/instances", "zhang.wei", 422, json={"process": "expense", "data": {"category": "x"}})
    call("GET", "/api/instances/nobody-has-this", "zhang.wei", 404)
    task = call("GET", "/api/tasks", "li.na")[0]
    call("POST", f"/api/tasks/{task['id']}/urge", "zhang.wei", json={})
    call("POST", f"/api/instances/{started['id']}/comment", "zhang.wei", json={"comment": "the receipts are attached"})
    call("GET", "/api/inbox?tab=todo&q=zhang&sort=amount", "li.na")
    call("GET", "/api/inbox?tab=mine", "zhang.wei")
    call("GET", "/api/inbox?from=someday", "zhang.wei", 422)
    call("POST", "/api/tasks/batch-approve", "li.na", json={"tasks": [task["id"]], "comment": "ok"})
    call("POST", f"/api/tasks/{task['id']}/approve", "li.na", 409, json={})
    call("GET", "/api/inbox?tab=done", "li.na")
    call("GET", f"/api/instances/{started['id']}", "zhang.wei")
    call("PUT", "/api/me/delegation", "li.na", json={"to": "wang.fang", "start": "2026-03-02", "end": "2026-03-06"})
    call("GET", "/api/me/delegation", "li.na")
    call("DELETE", "/api/me/delegation", "li.na")
    call("GET", "/api/reports/post-hoc", "admin")
    call("GET", "/api/reports/post-hoc", "zhang.wei", 403)
    call("GET", "/api/org/search?kind=user&q=li", "zhang.wei")
    call("GET", "/api/org/search?kind=planet", "zhang.wei", 400)
    for kind in ("rulesets", "forms", "flows"):
        call("GET", f"/api/{kind}", "admin")
    call("GET", "/api/rulesets/expense-approval-tier", "admin")
    call("GET", "/api/rulesets/expense-approval-tier/lint", "admin")
    call("GET", "/api/rulesets/expense-approval-tier/versions", "admin")
    call("POST", "/api/rulesets/expense-approval-tier/evaluate", "admin", json={"data": {"total": 60000}})
    call("GET", "/api/forms/expense-claim", "admin")
    call("GET", "/api/forms/expense-claim/versions", "admin")
    call("GET", "/api/flows/expense", "admin")
    call("GET", "/api/flows/expense/problems", "admin")
    call("GET", "/api/flows/expense/impact", "admin")
    call("POST", "/api/flows/expense/simulate", "admin", json={"data": claim([60000.0]), "submitter": "zhang.wei"})
    call("GET", "/api/flows/expense/export", "admin")
    call("GET", "/api/flows/expense/export", "zhang.wei", 403)
    call("GET", "/api/notifications", "li.na")
    hook = call("POST", "/api/webhooks", "admin", 201, json={"url": "http://127.0.0.1:9/hook", "events": ["all"]})
    call("POST", "/api/webhooks", "admin", 422, json={"url": "ftp://example.com/"})
    call("GET", "/api/webhooks", "admin")
    call("GET", "/api/webhooks", "zhang.wei", 403)
    call("GET", f"/api/webhooks/{hook['id']}/deliveries", "admin")
    call("POST", "/api/deliveries/0.hook.none/retry", "admin", 404)
    call("DELETE", f"/api/webhooks/{hook['id']}", "admin", 204)
    call("GET", "/api/openapi.json")
    assert len(call.seen) >= 30
