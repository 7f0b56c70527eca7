"""The one vocabulary of events (runtime/events.py): every kind round-trips through the log, a
line of an unknown kind or shape stops start-up naming its seq, an old line migrates on read,
and no module outside runtime/events.py spells an event as a dict literal."""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from runtime import events
from runtime.app import create_app
from runtime.cli import main
from runtime.errors import UnreadableEvent
from runtime.service import Workflow
from runtime.settings import Settings
from runtime.setup import open_workflow
from runtime.state import InstanceStatus, evolve
from runtime.store.repository import FileRepository, MemoryRepository, Repository
from tests.support import ROOT, FakeClock, claim

SAMPLE: dict[type, Any] = {str: "x", int: 1, bool: True, list: ["a", 2], dict: {"k": [1, "b"]}, type(None): None}


def every_field(kind: events.Kind, *, optional: bool = True) -> events.Event:
    """An event of `kind` with each field it declares set (or only the required ones)."""
    declared = {**kind.required, **kind.optional} if optional else kind.required
    fields = {name: SAMPLE[types[0]] for name, types in declared.items()}
    return events.new(kind.name, "i1", "2026-03-02T09:00:00.000Z", "zhang.wei", **fields)


@pytest.mark.parametrize("kind", sorted(events.KINDS))
def test_every_kind_round_trips_through_the_log(kind, tmp_path):
    written = [every_field(events.KINDS[kind]), every_field(events.KINDS[kind], optional=False)]
    assert [events.problem(e) for e in written] == [None, None]
    with FileRepository(tmp_path / "data") as repo:
        stored = repo.append_events(written)
    with FileRepository(tmp_path / "data") as repo:
        read = [events.read(line) for line in repo.read_events()]
    assert read == stored
    assert [{k: v for k, v in e.items() if k not in events.LOG_FIELDS} for e in read] == written
    assert {e[events.VERSION] for e in read} == {events.SCHEMA_VERSION}


def test_a_command_writes_only_declared_events_and_a_restart_reads_them_all(tmp_path):
    with FileRepository(tmp_path / "data") as repo:
        workflow = at_the_head(repo)
        task = next(t for t in workflow.state.tasks.values() if t.status == "open")
        workflow.comment(workflow.org.user("zhang.wei"), task.instance, "Receipts attached")
        workflow.send_back(workflow.org.user(task.assignee), task.id, "submitter", "Invoice 2 is a copy")
        held = workflow.state.instances
    with FileRepository(tmp_path / "data") as repo:
        lines = list(repo.read_events())
        assert {line["action"] for line in lines} >= {"start", "task", "comment", "return"}
        assert all(events.problem(line) is None for line in lines)
        assert Workflow(repo, workflow.engine.evaluator).state.instances == held


def test_an_event_that_could_not_be_read_back_is_never_written(workflow):
    instance = workflow.start(workflow.org.user("zhang.wei"), "expense", claim([900]))
    before = list(workflow.repo.read_events())
    workflow.engine.comment = lambda inst, actor, text: [events.new("comment", inst.id, "t", actor.username,
                                                                    comment=text, mood="grumpy")]
    with pytest.raises(ValueError, match="refusing to write a 'comment' event .* no field 'mood'"):
        workflow.comment(workflow.org.user("zhang.wei"), instance.id, "Hm")
    assert list(workflow.repo.read_events()) == before


def test_an_undeclared_kind_cannot_be_made():
    with pytest.raises(ValueError, match="no event kind 'approved' is declared"):
        events.new("approved", "i1", "2026-03-02T09:00:00.000Z", "li.na")


def at_the_head(repo: Repository) -> Workflow:
    """The demo on `repo` with one expense claim waiting for the department head."""
    workflow = open_workflow(repo, demo=True)
    workflow.engine.now = FakeClock()
    workflow.start(workflow.org.user("zhang.wei"), "expense", claim([900]))
    return workflow


def first_line(kind: str, repo: Repository) -> dict[str, Any]:
    return next({k: v for k, v in line.items() if k not in events.LOG_FIELDS}
                for line in repo.read_events() if line["action"] == kind)


BAD_LINES = {
    "an unknown kind": (lambda task: {**task, "action": "escalate_to_ceo"}, "unknown kind 'escalate_to_ceo'"),
    "a kind that is not text": (lambda task: {**task, "action": ["task"]}, "its kind (action) is a list, not text"),
    "a missing field": (lambda task: {k: v for k, v in task.items() if k != "assignee"},
                        "a 'task' event lacks 'assignee'"),
    "a field of the wrong type": (lambda task: {**task, "assignee": 42},
                                  "field 'assignee' of a 'task' event is a whole number, not text"),
    "an undeclared field": (lambda task: {**task, "assigne": "li.na"}, "a 'task' event has no field 'assigne'"),
    "a newer version": (lambda task: {**task, "v": events.SCHEMA_VERSION + 1},
                        f"its version {events.SCHEMA_VERSION + 1} is not one this server reads"),
}


@pytest.fixture(params=sorted(BAD_LINES))
def bad_log(request, tmp_path) -> tuple[Path, int, str]:
    """A data directory whose log's last line (its seq returned) is bad in one way; its chain is intact."""
    spoil, said = BAD_LINES[request.param]
    with FileRepository(tmp_path / "data") as repo:
        at_the_head(repo)
        (stored,) = repo.append_events([spoil(first_line("task", repo))])
    return tmp_path / "data", stored["seq"], said


def test_a_line_of_an_unknown_kind_or_shape_stops_start_up_naming_its_seq(bad_log):
    data_dir, seq, said = bad_log
    with FileRepository(data_dir) as repo:
        refusal = re.escape(f"event {seq} of the log cannot be read: {said}")
        with pytest.raises(UnreadableEvent, match=refusal) as refused:
            open_workflow(repo, demo=False)
    assert refused.value.seq == seq


def test_the_server_refuses_to_start_on_it(bad_log):
    data_dir, seq, _ = bad_log
    with pytest.raises(UnreadableEvent, match=f"event {seq} "):
        with TestClient(create_app(Settings(data_dir=data_dir, escalate_every=0))):
            pass  # pragma: no cover - the lifespan never lets the app serve


def test_audit_verify_reports_it(bad_log, capsys):
    data_dir, seq, said = bad_log
    assert main(["audit", "verify", "--data", str(data_dir)]) == 1
    assert f"event {seq} of the log cannot be read: {said}" in capsys.readouterr().out


def test_the_other_commands_refuse_it_too(bad_log, capsys):
    data_dir, seq, said = bad_log
    assert main(["export", "expense", "--data", str(data_dir)]) == 2
    assert f"formflow: event {seq} of the log cannot be read: {said}" in capsys.readouterr().err


def as_version_1(line: dict[str, Any]) -> dict[str, Any]:
    """A line as the first logs wrote it: no version, and a return without where it resumes."""
    return {k: v for k, v in line.items() if k != "v" and not (line["action"] == "return" and k == "resume")}


def test_an_old_version_log_migrates_on_read_into_the_same_state():
    now = at_the_head(MemoryRepository())
    task = next(t for t in now.state.tasks.values() if t.status == "open")
    now.send_back(now.org.user(task.assignee), task.id, "submitter", "Invoice 2 is a copy")
    old = MemoryRepository()
    open_workflow(old, demo=True)
    batch: list[dict[str, Any]] = []
    for line in now.repo.read_events():
        if line["action"] in ("publish", "org"):  # the demo's definitions and org: `old` recorded its own, the same
            continue
        batch.append(as_version_1({k: v for k, v in line.items() if k not in events.LOG_FIELDS}))
        if line.get("commit"):
            old.append_events(batch)
            batch = []
    returned = next(line for line in old.read_events() if line["action"] == "return")
    assert "v" not in returned and "resume" not in returned

    assert events.read(returned) == {**returned, "resume": task.step, "v": events.SCHEMA_VERSION}
    reread = Workflow(old, now.engine.evaluator)
    assert unchained(reread) == unchained(now)  # the lines' bytes differ, so do their digests
    assert reread.state.instances[task.instance].status is InstanceStatus.RETURNED
    assert reread.state.instances[task.instance].resume_at == task.step


def unchained(workflow: Workflow) -> dict[str, Any]:
    """The workflow's instances with their events as read, less the chain's digests (`prev`, `mac`)."""
    return {i: evolve(inst, events=tuple({k: v for k, v in e.items() if k not in ("prev", "mac")} for e in inst.events))
            for i, inst in workflow.state.instances.items()}


@pytest.mark.parametrize("kind", sorted(events.KINDS))
def test_a_version_1_line_of_every_kind_reads_in_the_current_shape(kind):
    current = {**every_field(events.KINDS[kind]), "seq": 3, "prev": "0" * 64}
    assert events.read(as_version_1(current)) == current


def test_every_migration_leads_to_the_current_version():
    assert sorted(events.MIGRATIONS) == list(range(1, events.SCHEMA_VERSION))


# --- written only through runtime/events.py ----------------------------------------------------------

ENVELOPE = {"instance", "at", "actor"}


def event_literals(source: str) -> list[int]:
    """The lines of dict displays in a module's source that spell an event: one naming an
    `action`, or carrying the envelope (instance, at, actor) that only `runtime.events.new` puts
    together; and `dict(action=...)` calls."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if "action" in keys or ENVELOPE <= keys:
                found.append(node.lineno)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "dict":
            if any(k.arg == "action" for k in node.keywords):
                found.append(node.lineno)
    return found


def test_no_module_but_runtime_events_spells_an_event_as_a_dict_literal():
    modules = [p for p in sorted((ROOT / "runtime").rglob("*.py")) if p != ROOT / "runtime" / "events.py"]
    found = [f"{p.relative_to(ROOT)}:{line}" for p in modules for line in event_literals(p.read_text(encoding="utf-8"))]
    assert found == []


@pytest.mark.parametrize("source", [
    'def f(i, at):\n    return {"action": "urge", "instance": i, "at": at}\n',
    'def f(base):\n    return {**base, "instance": "i1", "at": "now", "actor": "system"}\n',
    'def f():\n    return dict(action="comment", comment="hi")\n',
])
def test_the_check_finds_an_event_literal(source):
    assert event_literals(source) == [2]
