"""The `formflow` command: serve, export, import; audit verify / anchor, backup, restore (`cli_trust`)."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import orjson

from builder.bpmn import flow_to_bpmn
from builder.dmn import rulesets_to_dmn
from builder.exchange import dumps
from rules.errors import FormflowError
from runtime.cli_trust import KEY_HELP, add_commands
from runtime.errors import BadRequest
from runtime.settings import Settings

DEFAULT_DATA = Path("formflow-data")
DEMO_LOGINS = """Demo sign-ins (password "demo" for all):
  admin (admin, designer) · zhang.wei (R&D staff) · li.na (R&D head) · liu.yang (Sales staff)
  wang.fang (Sales head) · zhao.min (finance) · sun.li (cashier) · zhou.jie (legal) · wu.qiang (hr)
  chen.gang (vp) · yang.hua (gm) · xu.jing (Sales, contract desk) · he.ming (Technology head)
  ma.li (Quality head) · guo.qing (Logistics head) · lin.tao (Production head) · qian.hui (documents)
  audit.li (auditor: reads every record at /audit, acts on nothing)"""


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from runtime.app import create_app

    settings = Settings(data_dir=args.data, demo=args.demo, host=args.host, port=args.port,
                        calendar=args.calendar, escalate_every=args.escalate_every, max_upload=args.max_upload,
                        max_json=args.max_json, audit_key=args.audit_key, anchor_file=args.anchor_file,
                        trusted_origins=tuple(args.trusted_origin), password_workers=args.password_workers,
                        smtp=args.smtp, base_url=args.base_url, mail_from=args.mail_from,
                        courier_cpu=args.courier_cpu)
    from runtime.outbox.mail import SmtpServer
    from runtime.store.audit_key import provide_key

    if args.smtp:
        try:
            SmtpServer.from_url(args.smtp)
        except ValueError as wrong:
            print(f"formflow: {wrong}", file=sys.stderr)
            return 2

    if args.courier_cpu is not None:
        cpus = os.sched_getaffinity(0)
        if args.courier_cpu not in cpus or len(cpus) < 2:
            print(f"formflow: --courier-cpu {args.courier_cpu}: choose one of CPUs {sorted(cpus)}, "
                  "leaving the server at least one", file=sys.stderr)
            return 2
        os.sched_setaffinity(0, cpus - {args.courier_cpu})  # the courier's CPU is its own

    provide_key(args.data, args.audit_key, announce=lambda message: print(message, flush=True))  # says where, once
    print(f"formflow on http://{args.host}:{args.port}/  (data: {args.data.resolve()})", flush=True)
    if args.demo:
        print(DEMO_LOGINS, flush=True)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


def _open(args: argparse.Namespace, *, demo: bool = False):  # noqa: ANN202
    from runtime.setup import open_workflow
    from runtime.store.repository import open_repository

    repo = open_repository(args.data, getattr(args, "audit_key", None))
    return repo, open_workflow(repo, demo=demo)


def _export(args: argparse.Namespace) -> int:
    repo, workflow = _open(args)
    try:
        if args.bpmn or args.dmn:
            defs = workflow.latest(args.key)
            sys.stdout.write(flow_to_bpmn(defs.flow, defs.form, defs.rulesets) if args.bpmn
                             else rulesets_to_dmn(defs.rulesets.values()))
        else:
            sys.stdout.write(dumps(workflow.export(args.key)))
    finally:
        repo.close()
    return 0


def _import(args: argparse.Namespace) -> int:
    from runtime.setup import INSTALLER

    try:
        doc = orjson.loads(Path(args.file).read_bytes())
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"{args.file} is not valid JSON: {exc}") from None
    repo, workflow = _open(args)
    try:
        flow = workflow.import_bundle(INSTALLER, doc)
    finally:
        repo.close()
    print(f"imported {flow.key} version {flow.version}")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="formflow", description="Rule-driven forms and approval flows.")
    sub = root.add_subparsers(dest="command", required=True)

    def with_data(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--data", type=Path, default=DEFAULT_DATA,
                       help=f"data directory (default: ./{DEFAULT_DATA})")
        return p

    serve = with_data(sub.add_parser("serve", help="run the web server"))
    serve.add_argument("--demo", action="store_true", help="load the demo organisation and processes")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--calendar", type=Path, default=None,
                       help="business calendar file (default: calendar.json in the data directory)")
    serve.add_argument("--escalate-every", type=float, default=60.0, metavar="SECONDS",
                       help="how often deadlines are checked and escalated (default 60; 0 turns it off)")
    serve.add_argument("--max-upload", type=int, default=Settings.max_upload, metavar="BYTES",
                       help="largest uploaded file unless its form field sets max_size (default 20 MiB)")
    serve.add_argument("--max-json", type=int, default=Settings.max_json, metavar="BYTES",
                       help="largest request body besides uploads: JSON or a form post (default 1 MiB)")
    serve.add_argument("--audit-key", type=Path, default=None, metavar="FILE", help=KEY_HELP)
    serve.add_argument("--anchor-file", type=Path, default=None, metavar="FILE",
                       help="append the chain's head (an anchor) to this file at start and daily; keep it "
                            "outside the data directory")
    serve.add_argument("--trusted-origin", action="append", default=[], metavar="ORIGIN",
                       help="another origin (https://flow.example.com) whose pages may post here, e.g. a proxy's; "
                            "repeatable (default: only the server's own)")
    serve.add_argument("--password-workers", type=int, default=Settings.password_workers, metavar="N",
                       help="threads that check passwords, apart from those running commands (default 1)")
    serve.add_argument("--smtp", default=os.environ.get("FORMFLOW_SMTP", ""), metavar="URL",
                       help="send notification emails through this server: smtp://user:pass@host:port, "
                            "smtps://..., ?starttls=1 (default: $FORMFLOW_SMTP; none: in-app only)")
    serve.add_argument("--base-url", default="", metavar="URL",
                       help="the address links in emails point at (default: the one printed at start)")
    serve.add_argument("--mail-from", default="", metavar="ADDRESS",
                       help='the From of notification emails (default "formflow <formflow@HOST>")')
    serve.add_argument("--courier-cpu", type=int, default=None, metavar="N",
                       help="give the webhook courier CPU N of its own and keep the server off it "
                            "(on a small machine under heavy load, so sending never slows commands)")
    serve.set_defaults(run=_serve)
    export = with_data(sub.add_parser("export", help="print a process as one JSON document"))
    export.add_argument("key")
    as_xml = export.add_mutually_exclusive_group()
    as_xml.add_argument("--bpmn", action="store_true", help="print it as BPMN 2.0 XML instead")
    as_xml.add_argument("--dmn", action="store_true", help="print its rulesets as DMN 1.3 XML instead")
    export.set_defaults(run=_export)
    imp = with_data(sub.add_parser("import", help="publish a process from an exported JSON document"))
    imp.add_argument("file")
    imp.set_defaults(run=_import)
    add_commands(sub, with_data)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except FormflowError as exc:
        print(f"formflow: {exc}", file=sys.stderr)
        for problem in getattr(exc, "problems", []):
            print(f"  {problem}", file=sys.stderr)
        return 2
    except (OSError, json.JSONDecodeError) as exc:
        print(f"formflow: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
