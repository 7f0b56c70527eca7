"""The `formflow` commands about trusting the record: audit verify / anchor, backup, restore.

None of them takes the data directory's lock: they read beside a running server (the log up to
its last committed line) and write only elsewhere (`restore` into a new directory).
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from runtime.clock import utc_now
from runtime.store.anchors import Anchor, read_anchors
from runtime.audit import key_checks
from runtime.store.audit_key import ENV
from runtime.store.errors import StoreError

KEY_HELP = f"the audit key file (default: ${ENV}, else <data dir>.audit-key next to the data directory)"


def _verify(args: argparse.Namespace) -> int:
    from runtime.audit import verify_record

    report = verify_record(args.data, args.audit_key, read_anchors(args.anchors) if args.anchors else ())
    print(report.message)
    return 0 if report.ok else 1


def _anchor(args: argparse.Namespace) -> int:
    from runtime.store.anchors import check_anchors
    from runtime.store.eventlog import committed_size, verify

    log = args.data / "events.jsonl"
    checks = key_checks(args.data, args.audit_key, log)
    limit = committed_size(log) if log.is_file() else None
    report = check_anchors(verify(log, checks.key, limit=limit, heads_at=[a.seq for a in checks.anchors],
                                  keyed_after=checks.keyed_after), checks.anchors)
    if not report.ok:
        print(f"formflow: no anchor for a record that does not verify: {report}")
        return 1
    print(Anchor(report.events, report.head, utc_now()).line())
    return 0


def _backup(args: argparse.Namespace) -> int:
    from runtime.store.backup import backup

    key = key_checks(args.data, args.audit_key, args.data / "events.jsonl").key
    if key is None:
        raise StoreError(f"there is no audit key for {args.data}: start the server on it once (it makes one), "
                         "or give it with --audit-key FILE; a backup's manifest is sealed with it")
    manifest = backup(args.data, args.dest, key, now=utc_now())
    print(f"backed up {args.data} to {args.dest}: {len(manifest['files'])} files, event log to event "
          f"{manifest['log']['seq']} ({manifest['log']['digest']})")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from runtime.store.backup import restore

    from runtime.store.audit_key import default_key_path, key_path
    from runtime.store.eventlog import is_keyed

    checks = key_checks(args.data, args.audit_key, args.src / "events.jsonl")
    anchors = [*checks.anchors, *(read_anchors(args.anchors) if args.anchors else ())]
    manifest = restore(args.src, args.data, checks.key, anchors, checks.keyed_after)
    print(f"restored {args.src} to {args.data}: {len(manifest['files'])} files verified, event log to event "
          f"{manifest['log']['seq']}")
    used = key_path(args.data, args.audit_key)
    if is_keyed(args.data / "events.jsonl") and used != default_key_path(args.data):
        print(f"its log is keyed with {used}: serve it with --audit-key {used} (or FORMFLOW_AUDIT_KEY_FILE)")
    return 0


WithData = Callable[[argparse.ArgumentParser], argparse.ArgumentParser]


def add_commands(sub: argparse._SubParsersAction, with_data: WithData) -> None:  # type: ignore[type-arg]
    """Add `audit verify`, `audit anchor`, `backup` and `restore` to the `formflow` command."""
    audit = sub.add_parser("audit", help="check the record")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = with_data(audit_sub.add_parser("verify", help="check the event log's keyed chain, anchors and replay"))
    verify.add_argument("--audit-key", type=Path, default=None, metavar="FILE", help=KEY_HELP)
    verify.add_argument("--anchors", type=Path, default=None, metavar="FILE",
                        help="anchors to hold the log against (lines printed by `formflow audit anchor`)")
    verify.set_defaults(run=_verify)
    anchor = with_data(audit_sub.add_parser("anchor",
                                            help="print the chain's head (seq, digest, time) to keep elsewhere"))
    anchor.add_argument("--audit-key", type=Path, default=None, metavar="FILE", help=KEY_HELP)
    anchor.set_defaults(run=_anchor)
    backup = with_data(sub.add_parser("backup", help="write a consistent copy of a (running) data directory"))
    backup.add_argument("dest", type=Path, help="a new or empty directory for the copy")
    backup.add_argument("--audit-key", type=Path, default=None, metavar="FILE", help=KEY_HELP)
    backup.set_defaults(run=_backup)
    restore = sub.add_parser("restore", help="verify a backup, then copy it into a new data directory")
    restore.add_argument("src", type=Path, help="the backup directory")
    restore.add_argument("--data", type=Path, required=True, help="the data directory to make (new or empty)")
    restore.add_argument("--audit-key", type=Path, default=None, metavar="FILE", help=KEY_HELP)
    restore.add_argument("--anchors", type=Path, default=None, metavar="FILE",
                         help="anchors the backup's log must bear out (those up to its head)")
    restore.set_defaults(run=_restore)
