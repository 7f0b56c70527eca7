"""Who may write to the record: comments only by people involved in the request, never by admins
or auditors who merely read it; flow export for designers, admins and auditors only. The demo's
auditor (`audit.li`) reads every record, the post-hoc report and `audit verify` at /audit, and can
act on nothing. Through HTTP (Starlette's TestClient), pages asserted by template and context."""
from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.errors import Forbidden
from runtime.settings import Settings
from runtime.store.repository import MemoryRepository
from tests.runtime.flows import approval, open_task, publish, user
from tests.runtime.test_pages import sign_in
from tests.support import bearer, claim

AUDITOR = "audit.li"


@pytest.fixture
def client():
    with TestClient(create_app(Settings(demo=True), MemoryRepository()), follow_redirects=False) as web:
        yield web


def _filed(wf):
    publish(wf, "claim", approval("dept_head", "li.na", fields={"reason": "hidden"}),
            approval("finance", "zhao.min"))
    return wf.start(user(wf, "zhang.wei"), "claim", claim([100], reason="Confidential"))


def test_the_demo_has_an_auditor_who_reads_every_field(client):
    wf = client.app.state.workflow
    auditor = wf.org.user(AUDITOR)
    assert auditor.has_role("auditor") and not auditor.has_role("admin")
    instance = _filed(wf)
    assert wf.hidden_for(auditor, wf.instance_for(auditor, instance.id)) == frozenset()
    body = client.get(f"/api/instances/{instance.id}", headers=bearer(client, AUDITOR)).json()
    assert body["data"]["reason"] == "Confidential"


def test_only_people_involved_comment_not_admins_or_auditors_who_read(client):
    wf = client.app.state.workflow
    instance = _filed(wf)
    for reader in (AUDITOR, "admin"):
        r = client.post(f"/api/instances/{instance.id}/comment", json={"comment": "Noted"},
                        headers=bearer(client, reader))
        assert r.status_code == 403, reader
        with pytest.raises(Forbidden):
            wf.comment(wf.org.user(reader), instance.id, "Noted")
    r = client.post(f"/api/instances/{instance.id}/comment", json={"comment": "Which client?"},
                    headers=bearer(client, "li.na"))
    assert r.status_code == 200
    assert [e["actor"] for e in wf.state.instances[instance.id].events if e["action"] == "comment"] == ["li.na"]


def test_the_auditor_acts_on_nothing(client):
    wf = client.app.state.workflow
    instance = _filed(wf)
    task = open_task(wf, instance)
    auditor = bearer(client, AUDITOR)
    before = wf.state.instances[instance.id].events
    refused = {
        "approve": client.post(f"/api/tasks/{task.id}/approve", json={}, headers=auditor),
        "reject": client.post(f"/api/tasks/{task.id}/reject", json={"reason": "No"}, headers=auditor),
        "return": client.post(f"/api/tasks/{task.id}/return", json={"to": "submitter", "reason": "x"},
                              headers=auditor),
        "urge": client.post(f"/api/tasks/{task.id}/urge", json={}, headers=auditor),
        "withdraw": client.post(f"/api/instances/{instance.id}/withdraw", json={}, headers=auditor),
        "comment": client.post(f"/api/instances/{instance.id}/comment", json={"comment": "x"}, headers=auditor),
        "import": client.post("/api/flows/import", json=wf.export("claim"), headers=auditor),
        "edit flow": client.put("/api/flows/claim", json=wf.export("claim")["flow"], headers=auditor),
        "publish flow": client.post("/api/flows/claim/publish", json={}, headers=auditor),
        "edit form": client.put("/api/forms/expense-claim", json=wf.export("claim")["form"], headers=auditor),
        "publish rules": client.post("/api/rulesets/expense-approval-tier/publish", json={}, headers=auditor),
        "file a request": client.post("/api/instances", json={"process": "claim", "data": claim([100])},
                                      headers=auditor),
        "upload": client.post("/api/uploads", files={"file": ("a.txt", b"hello", "text/plain")}, headers=auditor),
    }
    assert {name: r.status_code for name, r in refused.items()} == {name: 403 for name in refused}
    sign_in(client, AUDITOR)
    assert client.get("/designer/flows").status_code == 403
    assert client.get("/start/claim").status_code == 403
    home = client.get("/", follow_redirects=False)  # nothing to start, no inbox: the audit is their page
    assert (home.status_code, home.headers["location"]) == (303, "/audit")
    assert client.get("/audit").context["user"].reads_only
    assert wf.state.instances[instance.id].events == before  # nothing written to the record


def test_nobody_can_hand_the_auditor_a_task_and_one_given_anyway_stays_undone(client):
    """Transferring to the auditor, adding them as a signer, delegating to them or choosing them at
    the start is refused at the field; a flow that names them outright gets a task they cannot act
    on (nor delegate, nor comment on what it made them part of)."""
    wf = client.app.state.workflow
    instance = _filed(wf)
    task = open_task(wf, instance)
    head, staff = bearer(client, "li.na"), bearer(client, "zhao.min")
    handed = {
        "transfer": client.post(f"/api/tasks/{task.id}/transfer", json={"to": AUDITOR}, headers=head),
        "add signer": client.post(f"/api/tasks/{task.id}/add-signer", json={"user": AUDITOR, "position": "before"},
                                  headers=head),
        "delegate": client.put("/api/me/delegation", json={"to": AUDITOR, "start": "2026-01-01", "end": "2027-12-31"},
                               headers=staff),
    }
    assert {name: r.status_code for name, r in handed.items()} == {name: 422 for name in handed}
    assert all(AUDITOR in str(r.json()["errors"]) for r in handed.values())
    assert wf.delegation(user(wf, "zhao.min")) is None

    publish(wf, "audited", approval("look", AUDITOR))
    given = wf.start(user(wf, "zhang.wei"), "audited", claim([100]))
    stuck = open_task(wf, given)
    auditor = bearer(client, AUDITOR)
    before = wf.state.instances[given.id].events
    assert client.post(f"/api/tasks/{stuck.id}/approve", json={}, headers=auditor).status_code == 403
    assert client.post(f"/api/instances/{given.id}/comment", json={"comment": "x"}, headers=auditor).status_code == 403
    assert client.put("/api/me/delegation", json={"to": "li.na", "start": "2026-01-01", "end": "2027-12-31"},
                      headers=auditor).status_code == 403
    assert wf.state.instances[given.id].events == before


def test_flow_export_is_for_designers_admins_and_auditors(client):
    assert client.get("/api/flows/expense/export", headers=bearer(client, AUDITOR)).status_code == 200
    assert client.get("/api/flows/expense/export", headers=bearer(client, "admin")).status_code == 200
    assert client.get("/api/flows/expense/export", headers=bearer(client, "li.na")).status_code == 403


def test_the_audit_page_lists_every_record_and_the_post_hoc_report(client):
    wf = client.app.state.workflow
    instance = _filed(wf)
    sign_in(client, AUDITOR)
    r = client.get("/audit")
    assert r.status_code == 200 and r.template.name == "audit.html"
    assert instance.id in [i.id for i in r.context["instances"]] and r.context["verified"] is None
    assert r.context["rows"] == []
    (first,) = r.context["org_history"]  # the demo's organisation, as the start found it
    assert first[1] is True and first[2] == []
    assert client.get(f"/instances/{instance.id}").status_code == 200  # the record, with every field
    sign_in(client, "zhang.wei")
    assert client.get("/audit").status_code == 403


def test_the_audit_page_runs_audit_verify_on_demand(tmp_path: Path):
    settings = Settings(demo=True, data_dir=tmp_path / "data")
    with TestClient(create_app(settings), follow_redirects=False) as web:
        wf = web.app.state.workflow
        _filed(wf)
        sign_in(web, AUDITOR)
        r = web.get("/audit", params={"verify": "1"})
        assert r.status_code == 200 and r.context["verified"].ok, r.context["verified"]
    with TestClient(create_app(Settings(demo=True), MemoryRepository()), follow_redirects=False) as memory:
        sign_in(memory, AUDITOR)
        memory.cookies.set("formflow_lang", "en")
        verified = memory.get("/audit", params={"verify": "1"}).context["verified"]
        assert not verified.ok and "memory" in verified.message
