"""Shared fixtures: the demo organisation and expense process on a memory or file store."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.store.repository import FileRepository, MemoryRepository, Repository
from tests.support import DEMO, FakeClock


@pytest.fixture(params=["memory", "file"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Repository]:
    store: Repository = MemoryRepository() if request.param == "memory" else FileRepository(tmp_path / "data")
    yield store
    store.close()


@pytest.fixture
def workflow(repo: Repository):
    from runtime.setup import open_workflow  # imported late: the store's own tests must not need it

    wf = open_workflow(repo, demo=True)
    wf.engine.now = FakeClock()
    return wf


@pytest.fixture
def demo_bundle() -> dict[str, Any]:
    return json.loads((DEMO / "processes" / "expense.json").read_text(encoding="utf-8"))
