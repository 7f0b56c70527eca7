"""The `formflow` command: export, import and audit verify on a real data directory."""
from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from runtime.cli import main
from runtime.setup import open_workflow
from runtime.store.repository import FileRepository
from tests.support import DEMO, claim


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory as `formflow serve --demo` leaves it, with one approved step recorded."""
    directory = tmp_path / "data"
    with FileRepository(directory) as repo:
        workflow = open_workflow(repo, demo=True)
        instance = workflow.start(workflow.org.user("zhang.wei"), "expense", claim([900]))
        task = workflow.state.tasks[instance.task_ids[0]]
        workflow.act(workflow.org.user(task.assignee), task.id, "approve")
    return directory


def test_export_prints_the_canonical_document(data_dir, capsys):
    assert main(["export", "expense", "--data", str(data_dir)]) == 0
    assert capsys.readouterr().out == (DEMO / "processes" / "expense.json").read_text(encoding="utf-8")


def test_export_prints_the_process_as_bpmn_or_its_rulesets_as_dmn(data_dir, capsys):
    assert main(["export", "expense", "--bpmn", "--data", str(data_dir)]) == 0
    bpmn = ElementTree.fromstring(capsys.readouterr().out)
    assert bpmn.find("{http://www.omg.org/spec/BPMN/20100524/MODEL}process").get("id") == "expense"
    assert main(["export", "expense", "--dmn", "--data", str(data_dir)]) == 0
    dmn = ElementTree.fromstring(capsys.readouterr().out)
    assert dmn.find("{https://www.omg.org/spec/DMN/20191111/MODEL/}decision").get("id") == "expense-approval-tier"


def test_import_publishes_a_changed_process_as_a_new_version(data_dir, tmp_path, capsys):
    bundle = json.loads((DEMO / "processes" / "expense.json").read_text(encoding="utf-8"))
    bundle["flow"]["title"] = "Expense claims"
    changed = tmp_path / "expense.json"
    changed.write_text(json.dumps(bundle), encoding="utf-8")
    assert main(["import", str(changed), "--data", str(data_dir)]) == 0
    assert capsys.readouterr().out.strip() == "imported expense version 2"
    assert main(["import", str(changed), "--data", str(data_dir)]) == 0
    assert capsys.readouterr().out.strip() == "imported expense version 2"  # same content: nothing new


def test_import_reports_every_problem_and_changes_nothing(data_dir, tmp_path, capsys):
    bundle = json.loads((DEMO / "processes" / "expense.json").read_text(encoding="utf-8"))
    bundle["flow"]["steps"][0]["assignee"] = {"kind": "role", "role": "cfo"}
    bundle["rulesets"][0]["hit_policy"] = "sometimes"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(bundle), encoding="utf-8")
    before = (data_dir / "definitions.json").read_bytes()
    assert main(["import", str(broken), "--data", str(data_dir)]) == 2
    err = capsys.readouterr().err
    assert 'flow.steps[0].assignee.role: unknown role "cfo"' in err
    assert "rulesets[0].hit_policy" in err
    assert (data_dir / "definitions.json").read_bytes() == before


def test_a_second_process_on_the_same_data_directory_is_refused(data_dir, capsys):
    with FileRepository(data_dir):
        assert main(["export", "expense", "--data", str(data_dir)]) == 2
    assert "in use by another formflow process" in capsys.readouterr().err


def test_audit_verify_passes_and_then_catches_an_edited_record(data_dir, capsys):
    assert main(["audit", "verify", "--data", str(data_dir)]) == 0
    assert "ok" in capsys.readouterr().out
    log = data_dir / "events.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    edited = next(i for i, line in enumerate(lines) if b'"li.na"' in line)
    lines[edited] = lines[edited].replace(b'"li.na"', b'"yang.hua"')
    log.write_bytes(b"".join(lines))
    assert main(["audit", "verify", "--data", str(data_dir)]) == 1
    assert f"line {edited + 1}" in capsys.readouterr().out


def test_audit_verify_checks_replay_rebuilds_the_state_the_server_held(data_dir, capsys):
    with FileRepository(data_dir) as repo:
        workflow = open_workflow(repo, demo=False)  # start-up writes a checkpoint of the replayed state
        (instance_id,) = workflow.state.instances
        task = next(t for t in workflow.state.tasks.values() if t.status == "open")
        workflow.act(workflow.org.user(task.assignee), task.id, "approve")
        workflow.save_checkpoint()  # as the server does when it stops
    assert main(["audit", "verify", "--data", str(data_dir)]) == 0
    assert "replay rebuilds exactly the state stored at event" in capsys.readouterr().out

    settings = data_dir / "settings.json"
    doc = json.loads(settings.read_text(encoding="utf-8"))
    for table in doc.values():
        for record in table.values():
            if record.get("key") == "checkpoint":
                record["value"]["instances"][instance_id] = "0" * 64
                record["value"]["state"] = "0" * 64
    settings.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["audit", "verify", "--data", str(data_dir)]) == 1
    out = capsys.readouterr().out
    assert "does not rebuild the stored state" in out and instance_id in out
