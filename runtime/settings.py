"""Server settings, gathered from the command line in one frozen value."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parents[1] / "demo"


@dataclass(frozen=True)
class Settings:
    data_dir: Path | None = None  # None keeps everything in memory (tests)
    demo: bool = False            # load demo/org.json and demo/processes/*.json at start-up
    host: str = "127.0.0.1"
    port: int = 8000
    timezone: str = "Asia/Shanghai"  # how times are shown; events are always stored in UTC
    calendar: Path | None = None  # the business calendar file; default: calendar.json in the data dir
    escalate_every: float = 60.0  # seconds between deadline checks (escalation); 0 turns them off
    max_upload: int = 20 * 1024 * 1024  # bytes per uploaded file unless the form field sets its own max_size
    max_json: int = 1024 * 1024  # bytes per request body (JSON, form posts), uploads aside
    password_workers: int = 1  # threads that check passwords (Argon2), apart from those running commands
    trusted_origins: tuple[str, ...] = ()  # origins besides the server's own that may post (a proxy's https://…)
    audit_key: Path | None = None  # the key file of the event log's chain (default: runtime.store.audit_key)
    smtp: str = ""  # smtp://user:pass@host:port, smtps://…, ?starttls=1: where notification emails go ("" none)
    base_url: str = ""  # the address links in emails point at (default http://host:port/)
    mail_from: str = ""  # the From of notification emails (default formflow <formflow@host>)
    courier_cpu: int | None = None  # a CPU of the webhook courier's own (the server keeps the others); None: any
    anchor_file: Path | None = None  # where the server appends an anchor (the chain's head) at start and daily
