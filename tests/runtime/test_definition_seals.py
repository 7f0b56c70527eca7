"""The definitions requests run on are sealed into the record (runtime/definition_seals.py): a flow
changed in the store, or one put there outside formflow, stops start-up and fails `audit verify`,
naming it. Through the repository, `open_workflow` and the `formflow` command."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.cli import main
from runtime.errors import UnsealedDefinitions
from runtime.setup import open_workflow
from runtime.store.repository import FileRepository, MemoryRepository
from tests.support import claim, definitions_copy


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A stopped server's data directory: the demo and one claim."""
    directory = tmp_path / "data"
    with FileRepository(directory) as repo:
        workflow = open_workflow(repo, demo=True)
        workflow.start(workflow.org.user("zhang.wei"), "expense", claim([900]))
    return directory


def edit_definitions(data_dir: Path, change) -> None:
    path = data_dir / "definitions.json"
    tables = json.loads(path.read_text(encoding="utf-8"))
    change(tables)
    path.write_text(json.dumps(tables), encoding="utf-8")


def without_finance(tables) -> None:
    flow = next(doc for doc in tables["flow"].values() if doc["key"] == "expense")
    flow["steps"] = [step for step in flow["steps"] if step["id"] != "finance"]


def test_every_published_definition_is_sealed_in_the_record(data_dir: Path, capsys) -> None:
    with FileRepository(data_dir) as repo:
        sealed = {(e["kind"], e["key"], e["version"]) for e in repo.read_events() if e["action"] == "publish"}
        stored = {(kind, d["key"], d["version"]) for kind in ("flow", "form", "ruleset")
                  for d in repo.list_definitions(kind)}
    assert stored and sealed == stored
    assert main(["audit", "verify", "--data", str(data_dir)]) == 0
    assert f"{len(stored)} definitions as sealed" in capsys.readouterr().out


def test_a_flow_changed_in_the_store_stops_start_up_and_fails_the_audit(data_dir: Path, capsys) -> None:
    edit_definitions(data_dir, without_finance)  # requests would go from the head straight to payment
    assert main(["audit", "verify", "--data", str(data_dir)]) == 1
    said = capsys.readouterr().out
    assert "flow expense version 1 differs from what the record sealed" in said
    with FileRepository(data_dir) as repo, pytest.raises(UnsealedDefinitions, match="flow expense version 1"):
        open_workflow(repo, demo=False)


def test_a_definition_put_in_the_store_outside_formflow_is_refused(data_dir: Path, capsys) -> None:
    def add_version(tables) -> None:
        flow = next(doc for doc in tables["flow"].values() if doc["key"] == "expense")
        tables["flow"][str(len(tables["flow"]) + 1)] = {**flow, "version": 2}
    edit_definitions(data_dir, add_version)
    assert main(["audit", "verify", "--data", str(data_dir)]) == 1
    assert "flow expense version 2 is stored but the record never published it" in capsys.readouterr().out
    with FileRepository(data_dir) as repo, pytest.raises(UnsealedDefinitions, match="never published"):
        open_workflow(repo, demo=False)


def test_publishing_a_new_version_seals_it_too(data_dir: Path, capsys) -> None:
    with FileRepository(data_dir) as repo:
        workflow = open_workflow(repo, demo=False)
        document = workflow.export("expense")
        document["flow"]["title"] = {"en": "Expense claims", "zh_CN": "费用报销"}
        workflow.import_bundle(workflow.org.user("admin"), document)
        assert workflow.state.sealed[("flow", "expense", 2)]
    assert main(["audit", "verify", "--data", str(data_dir)]) == 0


def test_definitions_from_before_seals_are_sealed_as_found_at_the_first_start() -> None:
    seeded = MemoryRepository()
    open_workflow(seeded, demo=True)
    repo = definitions_copy(seeded)  # definitions, no events: as a store from before seals
    assert not list(repo.read_events())
    workflow = open_workflow(repo, demo=False)
    adopted = [e for e in repo.read_events() if e["action"] == "publish"]
    assert adopted and all(e["adopted"] and e["instance"] == "" for e in adopted)
    assert set(workflow.state.sealed) == {(e["kind"], e["key"], e["version"]) for e in adopted}
    open_workflow(repo, demo=False)  # and the next start holds them to it
    assert len([e for e in repo.read_events() if e["action"] == "publish"]) == len(adopted)


def test_a_change_of_roles_is_recorded_at_the_next_start_and_the_audit_says_who_got_what(data_dir: Path,
                                                                                           capsys) -> None:
    """The organisation has no publishing: an operator edits it. Edited while the server is stopped,
    the audit refuses it, naming the change; the next start records it, and the record says so."""
    with FileRepository(data_dir) as repo:
        first = [e for e in repo.read_events() if e["action"] == "org"]
    assert len(first) == 1 and first[0]["adopted"] and first[0]["roles"]["admin"] == ["admin", "designer"]

    path = data_dir / "org.json"
    tables = json.loads(path.read_text(encoding="utf-8"))
    person = next(u for u in tables["org"]["1"]["users"] if u["username"] == "zhang.wei")
    person["roles"] = [*person["roles"], "admin"]
    path.write_text(json.dumps(tables), encoding="utf-8")
    assert main(["audit", "verify", "--data", str(data_dir)]) == 1
    assert "the organisation was changed since the server last recorded it" in (said := capsys.readouterr().out)
    assert "zhang.wei: + admin" in said

    with FileRepository(data_dir) as repo:
        workflow = open_workflow(repo, demo=False)
        assert seals_changes(workflow) == ["zhang.wei: + admin"]
    assert main(["audit", "verify", "--data", str(data_dir)]) == 0


def seals_changes(workflow) -> list[str]:
    from runtime.definition_seals import role_changes

    before, after = workflow.state.orgs[-2:]
    return role_changes(before["roles"], after["roles"])


def test_the_audit_page_shows_the_roles_over_time(data_dir: Path) -> None:
    from starlette.testclient import TestClient

    from runtime.app import create_app
    from runtime.settings import Settings
    from tests.support import signed_in

    path = data_dir / "org.json"
    tables = json.loads(path.read_text(encoding="utf-8"))
    person = next(u for u in tables["org"]["1"]["users"] if u["username"] == "li.na")
    person["roles"] = [r for r in person["roles"] if r != "dept_head"] + ["admin"]
    path.write_text(json.dumps(tables), encoding="utf-8")
    with TestClient(create_app(Settings(data_dir=data_dir))) as web:
        signed_in(web, "audit.li")
        history = web.get("/audit").context["org_history"]
    (_, latest_is_first, changes), *_, (_, oldest_is_first, _) = history  # the latest first
    assert not latest_is_first and changes[0].startswith("li.na: + admin")
    assert oldest_is_first
