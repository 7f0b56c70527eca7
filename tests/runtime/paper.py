"""Requests to print and export: the demo, with the job-offer process whose salary the submitter
and the cashier never see (tests/runtime/test_field_permissions.py), expense claims filed through
the JSON API with an invoice attached, and a decision or two on them."""
from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from tests.runtime.test_field_permissions import OFFER, publish
from tests.support import PDF
from tests.support import bearer as sign_in_api

_TOKENS: dict[tuple[int, str], dict[str, str]] = {}


def bearer(client: TestClient, who: str) -> dict[str, str]:
    """`who`'s API headers, signed in once per app (a sign-in hashes a password: slow on purpose)."""
    key = (id(client.app), who)
    if key not in _TOKENS:
        _TOKENS[key] = sign_in_api(client, who)
    return _TOKENS[key]


def demo_app() -> Any:
    return create_app(Settings(demo=True), MemoryRepository())


def prepared(client: TestClient) -> None:
    publish(client.app.state.workflow)  # type: ignore[attr-defined]


def invoice(client: TestClient, who: str, name: str = "发票.pdf") -> str:
    r = client.post("/api/uploads", headers=bearer(client, who), params={"form": "expense-claim", "field": "invoices"},
                    files={"file": (name, PDF, "application/pdf")})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def file_expense(client: TestClient, who: str = "zhang.wei", amounts: tuple[float, ...] = (7000, 5000),
                 reason: str = "客户拜访 Client visit", category: str = "travel",
                 attach: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {"category": category, "reason": reason,
                            "items": [{"description": f"行程 {i + 1}", "invoice_no": f"INV-{i + 1}", "amount": a}
                                      for i, a in enumerate(amounts)]}
    if attach:
        data["invoices"] = [invoice(client, who)]
    r = client.post("/api/instances", headers=bearer(client, who), json={"process": "expense", "data": data})
    assert r.status_code == 201, r.text
    return client.get(f"/api/instances/{r.json()['id']}", headers=bearer(client, who)).json()


def act(client: TestClient, who: str, instance: dict[str, Any], action: str = "approve", **body: Any) -> dict[str, Any]:
    task = next(t for t in client.get(f"/api/instances/{instance['id']}", headers=bearer(client, who)).json()["tasks"]
                if t["status"] == "open" and t["assignee"] == who)
    r = client.post(f"/api/tasks/{task['id']}/{action}", headers=bearer(client, who), json=body)
    assert r.status_code == 200, r.text
    return r.json()


def offer_through_hr(client: TestClient, salary: int = 18000) -> dict[str, Any]:
    """zhang.wei files a job offer, HR sets the salary, finance approves: the cashier's onboarding waits."""
    one = client.post("/api/instances", json={"process": "offer", "data": OFFER},
                      headers=bearer(client, "zhang.wei")).json()
    act(client, "wu.qiang", one, "complete", data={"salary": salary})
    act(client, "zhao.min", one)
    return one
