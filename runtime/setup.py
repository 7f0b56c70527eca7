"""Opening a data directory and loading the demo into it: the I/O before the server starts."""
from __future__ import annotations

import json
from pathlib import Path

from rules.evaluation import Evaluator, default_evaluator
from runtime.auth import purge_expired_sessions
from runtime.org import Organisation, User
from runtime.service import Workflow
from runtime.settings import DEMO_DIR
from runtime.store.repository import Repository

INSTALLER = User("installer", "installer", "", ("admin",))


def load_demo(repo: Repository, demo_dir: Path = DEMO_DIR) -> None:
    """Load the demo organisation and publish every demo process (idempotent)."""
    org_doc = json.loads((demo_dir / "org.json").read_text(encoding="utf-8"))
    Organisation(org_doc)  # refuse a broken file before storing it
    if repo.get_org() != org_doc:
        repo.put_org(org_doc)


def publish_demo_processes(workflow: Workflow, demo_dir: Path = DEMO_DIR) -> None:
    for path in sorted((demo_dir / "processes").glob("*.json")):
        workflow.import_bundle(INSTALLER, json.loads(path.read_text(encoding="utf-8")))


def open_workflow(repo: Repository, *, demo: bool, evaluator: Evaluator | None = None,
                  timezone: str = "Asia/Shanghai") -> Workflow:
    if demo:
        load_demo(repo)
    purge_expired_sessions(repo)
    workflow = Workflow(repo, evaluator or default_evaluator(), timezone=timezone)
    if demo:
        publish_demo_processes(workflow)
    workflow.save_checkpoint()
    return workflow

