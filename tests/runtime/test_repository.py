"""The repository: every case runs on the memory and the file implementation; then what only files do."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.store import (
    DataDirLock,
    DataDirLocked,
    DefinitionConflict,
    FileRepository,
    MemoryRepository,
    Repository,
    StoreError,
    open_repository,
    verify,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["memory", "file"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Repository]:
    repository = MemoryRepository() if request.param == "memory" else FileRepository(tmp_path / "data")
    yield repository
    repository.close()


def form(key: str, version: int, **extra: Any) -> dict[str, Any]:
    return {"key": key, "version": version, "title": f"{key} v{version}", "fields": [], **extra}


def fill(repo: Repository) -> None:
    for key, version in [("travel", 1), ("expense", 2), ("expense", 1), ("expense", 3), ("leave", 1)]:
        repo.put_definition("form", form(key, version))
    repo.put_definition("flow", {"key": "expense", "version": 1, "steps": [{"kind": "approval"}]})
    repo.put_definition("ruleset", {"key": "limits", "version": 1, "rows": [{"when": {"$gt": {"amount": 5}}}]})
    repo.put_org({"users": [{"id": "u1", "name": "张三"}], "departments": []})
    repo.put_session("tok-1", {"user": "u1", "expires": 100})
    repo.put_session("tok-2", {"user": "u2", "expires": 200})
    repo.put_setting("site_name", "审批")
    repo.append_events([{"type": "started", "instance": "i1"}, {"type": "assigned", "instance": "i1"}])
    repo.append_events([{"type": "approved", "instance": "i1"}])


def snapshot(repo: Repository) -> dict[str, Any]:
    return {
        "definitions": {
            kind: [repo.definition_versions(kind, d["key"]) for d in repo.list_definitions(kind)]
            for kind in ("form", "flow", "ruleset")
        },
        "org": repo.get_org(),
        "sessions": [repo.get_session("tok-1"), repo.get_session("tok-2")],
        "settings": repo.get_setting("site_name"),
        "events": list(repo.read_events()),
    }


def test_both_implementations_satisfy_the_protocol(repo: Repository) -> None:
    assert isinstance(repo, Repository)


# definitions


def test_get_definition_gives_the_highest_version_or_the_one_asked_for(repo: Repository) -> None:
    fill(repo)
    assert repo.get_definition("form", "expense") == form("expense", 3)
    assert repo.get_definition("form", "expense", 1) == form("expense", 1)
    assert repo.get_definition("form", "expense", 9) is None
    assert repo.get_definition("form", "nope") is None
    assert repo.get_definition("flow", "travel") is None


def test_list_definitions_gives_the_latest_of_each_key_sorted_by_key(repo: Repository) -> None:
    fill(repo)
    assert [(d["key"], d["version"]) for d in repo.list_definitions("form")] == [
        ("expense", 3), ("leave", 1), ("travel", 1)
    ]
    assert repo.list_definitions("ruleset") == [
        {"key": "limits", "version": 1, "rows": [{"when": {"$gt": {"amount": 5}}}]}
    ]


def test_definition_versions_are_ascending(repo: Repository) -> None:
    fill(repo)
    assert [d["version"] for d in repo.definition_versions("form", "expense")] == [1, 2, 3]
    assert repo.definition_versions("form", "nope") == []


def test_publishing_the_same_version_again_with_the_same_content_is_a_no_op(repo: Repository) -> None:
    repo.put_definition("form", form("expense", 1))
    repo.put_definition("form", form("expense", 1))
    assert repo.definition_versions("form", "expense") == [form("expense", 1)]


def test_a_published_version_cannot_change(repo: Repository) -> None:
    repo.put_definition("form", form("expense", 1))
    with pytest.raises(DefinitionConflict, match="form 'expense' version 1 is already published") as caught:
        repo.put_definition("form", form("expense", 1, title="changed"))
    assert (caught.value.kind, caught.value.key, caught.value.version) == ("form", "expense", 1)
    assert repo.get_definition("form", "expense") == form("expense", 1)


def test_the_same_key_in_different_kinds_is_independent(repo: Repository) -> None:
    repo.put_definition("form", form("expense", 1))
    repo.put_definition("flow", {"key": "expense", "version": 1, "title": "other"})
    assert repo.get_definition("form", "expense") == form("expense", 1)


@pytest.mark.parametrize(
    ("kind", "doc", "message"),
    [
        ("widget", form("a", 1), "unknown definition kind 'widget'"),
        ("form", {"version": 1}, "non-empty string 'key'"),
        ("form", {"key": "a"}, "integer 'version'"),
        ("form", {"key": "a", "version": "2"}, "integer 'version'"),
        ("form", {"key": "a", "version": True}, "integer 'version'"),
        ("form", {"key": "a", "version": 0}, "at least 1"),
    ],
)
def test_a_definition_needs_a_known_kind_a_key_and_a_version(
    repo: Repository, kind: str, doc: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        repo.put_definition(kind, doc)


def test_definitions_go_in_and_come_out_as_copies(repo: Repository) -> None:
    doc = form("expense", 1, fields=[{"key": "amount", "options": ["a"]}])
    repo.put_definition("form", doc)
    doc["fields"][0]["options"].append("changed by the caller")
    got = repo.get_definition("form", "expense")
    assert got is not None
    got["fields"][0]["options"].append("changed again")
    repo.list_definitions("form")[0]["title"] = "x"
    repo.definition_versions("form", "expense")[0]["fields"].clear()
    assert repo.get_definition("form", "expense", 1) == form("expense", 1, fields=[{"key": "amount", "options": ["a"]}])


def test_documents_read_back_as_json_would_give_them(repo: Repository) -> None:
    repo.put_definition("form", form("expense", 1, sizes=(1, 2)))
    assert repo.get_definition("form", "expense") == form("expense", 1, sizes=[1, 2])


# organisation, sessions, settings


def test_the_organisation_is_one_document_replaced_whole(repo: Repository) -> None:
    assert repo.get_org() is None
    repo.put_org({"users": [{"id": "u1"}], "departments": [{"id": "d1"}]})
    repo.put_org({"users": [{"id": "u2"}]})
    org = repo.get_org()
    assert org == {"users": [{"id": "u2"}]}
    org["users"].clear()
    assert repo.get_org() == {"users": [{"id": "u2"}]}


def test_sessions_are_put_got_and_deleted(repo: Repository) -> None:
    assert repo.get_session("tok") is None
    repo.put_session("tok", {"user": "u1", "csrf": "c1"})
    repo.put_session("tok", {"user": "u1", "csrf": "c2"})
    record = repo.get_session("tok")
    assert record == {"user": "u1", "csrf": "c2"}
    record["user"] = "admin"
    assert repo.get_session("tok") == {"user": "u1", "csrf": "c2"}
    repo.delete_session("tok")
    repo.delete_session("tok")
    assert repo.get_session("tok") is None


def test_delete_sessions_where_removes_the_matching_ones(repo: Repository) -> None:
    for n in range(5):
        repo.put_session(f"tok-{n}", {"user": f"u{n}", "expires": n * 100})
    assert repo.delete_sessions_where(lambda record: record["expires"] < 250) == 3
    assert repo.delete_sessions_where(lambda record: False) == 0
    assert [repo.get_session(f"tok-{n}") is not None for n in range(5)] == [False, False, False, True, True]


def test_settings_have_defaults_and_are_overwritten(repo: Repository) -> None:
    assert repo.get_setting("theme") is None
    assert repo.get_setting("theme", "light") == "light"
    repo.put_setting("theme", "dark")
    repo.put_setting("theme", {"name": "dark", "accent": ["#000"]})
    value = repo.get_setting("theme", "light")
    value["accent"].append("#fff")
    assert repo.get_setting("theme") == {"name": "dark", "accent": ["#000"]}
    repo.put_setting("zero", 0)
    assert repo.get_setting("zero", 5) == 0


# events and life cycle


def test_events_are_appended_and_read_back(repo: Repository) -> None:
    stored = repo.append_events([{"type": "started"}, {"type": "assigned"}])
    stored += repo.append_events([{"type": "approved", "comment": "好"}])
    assert [e["seq"] for e in stored] == [1, 2, 3]
    assert list(repo.read_events()) == stored


def test_a_closed_repository_refuses_work(repo: Repository) -> None:
    repo.close()
    repo.close()
    with pytest.raises(StoreError, match="closed"):
        repo.get_org()
    with pytest.raises(StoreError, match="closed"):
        repo.append_events([{"type": "late"}])


def test_open_repository_picks_the_implementation(tmp_path: Path) -> None:
    memory = open_repository(None)
    assert isinstance(memory, MemoryRepository)
    memory.close()
    with open_repository(tmp_path / "data") as files:
        assert isinstance(files, FileRepository)
        assert files.recovered_torn_tail is None


# what only the file repository does


def test_a_restart_gives_back_everything(tmp_path: Path) -> None:
    with FileRepository(tmp_path / "data") as repo:
        fill(repo)
        before = snapshot(repo)
    with FileRepository(tmp_path / "data") as repo:
        assert snapshot(repo) == before
        assert repo.append_events([{"type": "completed"}])[0]["seq"] == 4
        repo.put_definition("form", form("expense", 4))
        assert repo.get_definition("form", "expense")["version"] == 4
        key = repo.audit_key.key
    assert verify(tmp_path / "data" / "events.jsonl", key).ok


def test_the_memory_and_file_repositories_agree(tmp_path: Path) -> None:
    with FileRepository(tmp_path / "data") as files:
        memory = MemoryRepository(files.audit_key.key)
        fill(memory)
        fill(files)
        assert snapshot(files) == snapshot(memory)


def test_the_data_directory_holds_one_file_per_document_set(tmp_path: Path) -> None:
    with FileRepository(tmp_path / "data") as repo:
        fill(repo)
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [
        "definitions.json", "events.jsonl", "formflow.lock", "org.json", "sessions.json", "settings.json"
    ]


def test_a_login_does_not_rewrite_the_definitions(tmp_path: Path) -> None:
    with FileRepository(tmp_path / "data") as repo:
        repo.put_definition("form", form("expense", 1))
        definitions = (tmp_path / "data" / "definitions.json").stat()
        repo.put_session("tok", {"user": "u1"})
        repo.delete_session("tok")
        repo.put_setting("k", "v")
        assert (tmp_path / "data" / "definitions.json").stat().st_ino == definitions.st_ino


def test_session_tokens_are_not_stored_in_clear(tmp_path: Path) -> None:
    with FileRepository(tmp_path / "data") as repo:
        repo.put_session("s3cret-token", {"user": "u1"})
    assert "s3cret-token" not in (tmp_path / "data" / "sessions.json").read_text()


def test_a_torn_event_tail_is_reported_by_the_repository(tmp_path: Path) -> None:
    with FileRepository(tmp_path / "data") as repo:
        repo.append_events([{"type": "started"}])
    with (tmp_path / "data" / "events.jsonl").open("ab") as handle:
        handle.write(b'{"type":"appr')
    with FileRepository(tmp_path / "data") as repo:
        assert repo.recovered_torn_tail is not None
        assert repo.recovered_torn_tail.path.read_bytes() == b'{"type":"appr'
        assert [e["type"] for e in repo.read_events()] == ["started"]


# one process owns a data directory

LOCK_HOLDER = (
    "import sys\n"
    "from runtime.store import FileRepository\n"
    "repo = FileRepository(sys.argv[1])\n"
    "print('locked', flush=True)\n"
    "sys.stdin.read()\n"
    "repo.close()\n"
)


def python(code: str, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, **kwargs,
    )


def test_a_second_process_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with FileRepository(data):
        result = subprocess.run(
            [sys.executable, "-c", "import sys\nfrom runtime.store import FileRepository\nFileRepository(sys.argv[1])", str(data)],
            cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    assert result.returncode != 0
    assert (
        f"DataDirLocked: data directory {data} is in use by another formflow process (pid {os.getpid()}); "
        "stop it or use --data to choose another directory"
    ) in result.stderr


def test_the_lock_is_refused_while_another_process_holds_it_and_free_after(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with python(LOCK_HOLDER, str(data), stdin=subprocess.PIPE, stdout=subprocess.PIPE) as holder:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline() == "locked\n"
        with pytest.raises(DataDirLocked, match=rf"in use by another formflow process \(pid {holder.pid}\)") as caught:
            FileRepository(data)
        assert caught.value.pid == holder.pid
        holder.stdin.close()
        assert holder.wait() == 0
    with FileRepository(data) as repo:
        assert repo.get_org() is None


def test_the_lock_dies_with_its_process(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with python(LOCK_HOLDER, str(data), stdin=subprocess.PIPE, stdout=subprocess.PIPE) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "locked\n"
        holder.kill()
    with FileRepository(data):
        assert (data / "formflow.lock").read_text() == f"{os.getpid()}\n"


def test_one_process_cannot_open_a_directory_twice(tmp_path: Path) -> None:
    with FileRepository(tmp_path / "data"):
        with pytest.raises(DataDirLocked):
            FileRepository(tmp_path / "data")


def test_the_lock_works_on_its_own(tmp_path: Path) -> None:
    with DataDirLock(tmp_path) as lock:
        assert lock.held
        with pytest.raises(StoreError, match="already held"):
            lock.acquire()
    assert not lock.held
    with DataDirLock(tmp_path):
        pass


def test_drafts_and_change_records_round_trip(repo: Repository) -> None:
    repository = repo
    assert repository.get_draft("ruleset", "tier") is None
    repository.put_draft("ruleset", "tier", {"ruleset": {"key": "tier"}, "tests": [(1, 2)]})
    assert repository.get_draft("ruleset", "tier") == {"ruleset": {"key": "tier"}, "tests": [[1, 2]]}
    repository.put_change("ruleset", "tier", 2, {"by": "admin", "note": "raise to 8,000"})
    repository.put_change("ruleset", "tier", 1, {"by": "installer", "note": "first"})
    repository.put_change("ruleset", "other", 1, {"by": "x", "note": "y"})
    assert [c["version"] for c in repository.list_changes("ruleset", "tier")] == [1, 2]
    assert repository.list_changes("ruleset", "tier")[1] == {"version": 2, "by": "admin", "note": "raise to 8,000"}
    repository.delete_draft("ruleset", "tier")
    assert repository.get_draft("ruleset", "tier") is None
