"""Opening a data directory and loading the demo into it: the I/O before the server starts."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from rules.evaluation import Evaluator, default_evaluator
from runtime.auth import purge_expired_sessions
from runtime.calendar import BusinessCalendar
from runtime.deadlines import CALENDAR_FILE, open_calendar
from runtime.org import Organisation, User
from runtime.service import Workflow
from runtime.settings import DEMO_DIR, Settings
from runtime.store.repository import Repository

INSTALLER = User("installer", "installer", "", ("admin",))
DEMO_CALENDAR = DEMO_DIR / "calendar-cn-2026.json"


def load_demo(repo: Repository, demo_dir: Path = DEMO_DIR) -> None:
    """Load the demo organisation and publish every demo process (idempotent)."""
    org_doc = json.loads((demo_dir / "org.json").read_text(encoding="utf-8"))
    Organisation(org_doc)  # refuse a broken file before storing it
    if repo.get_org() != org_doc:
        repo.put_org(org_doc)


def publish_demo_processes(workflow: Workflow, demo_dir: Path = DEMO_DIR) -> None:
    for path in sorted((demo_dir / "processes").glob("*.json")):
        workflow.import_bundle(INSTALLER, json.loads(path.read_text(encoding="utf-8")))


def calendar_file(settings: Settings) -> Path | None:
    """Where the business calendar is read from: the file named in the settings, else
    `calendar.json` in the data directory (the admin edits it there; the demo puts the 2026
    mainland China calendar there once, keeping any edits after). In memory, the demo's file."""
    if settings.calendar is not None:
        return settings.calendar
    if settings.data_dir is None:
        return DEMO_CALENDAR if settings.demo else None
    path = settings.data_dir / CALENDAR_FILE
    if settings.demo and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DEMO_CALENDAR, path)
    return path


def load_business_calendar(settings: Settings) -> BusinessCalendar:
    """The configured calendar (a DefinitionError lists a broken file's problems), or weekdays only."""
    return open_calendar(calendar_file(settings), timezone=settings.timezone)


def open_workflow(repo: Repository, *, demo: bool, evaluator: Evaluator | None = None,
                  timezone: str = "Asia/Shanghai", calendar: BusinessCalendar | None = None) -> Workflow:
    if demo:
        load_demo(repo)
    purge_expired_sessions(repo)
    workflow = Workflow(repo, evaluator or default_evaluator(), timezone=timezone, calendar=calendar)
    if demo:
        publish_demo_processes(workflow)
    workflow.save_checkpoint()
    return workflow

