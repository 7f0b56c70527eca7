"""Notification emails through a real SMTP server (aiosmtpd, started here): plain text and HTML,
in the recipient's language, with a link that opens the task once signed in, no hidden field;
and across a crash, no email lost and none sent twice for a delivery the log has as sent."""
from __future__ import annotations

from pathlib import Path

import orjson
from starlette.testclient import TestClient

from runtime.app import create_app
from runtime.outbox.log import FILE
from runtime.outbox.prefs import Preferences
from runtime.outbox.setup import open_notifications
from runtime.settings import Settings
from runtime.setup import open_workflow
from runtime.store.repository import FileRepository, MemoryRepository
from tests.runtime.mail_server import smtp_server
from tests.runtime.test_pages import expense_form
from tests.support import claim, page_sign_in, signed_in


def test_the_approver_gets_an_email_in_chinese_with_a_link_that_opens_the_task():
    with smtp_server() as (url, inbox):
        app = create_app(Settings(demo=True, smtp=url, base_url="http://testserver"), MemoryRepository())
        with TestClient(app, follow_redirects=False) as web:
            csrf = signed_in(web, "zhang.wei")
            assert web.post("/start/expense", data=expense_form(csrf)).status_code == 303
            [message] = inbox.wait(1)
            assert message["To"] == "Li Na <li.na@example.com>" or "li.na@example.com" in message["To"]
            assert message["Subject"] == "张伟的费用报销等待你处理"
            assert message["Message-ID"].startswith("<formflow.") and message.get_content_type() == "multipart/alternative"
            plain = message.get_body(("plain",)).get_content()
            html = message.get_body(("html",)).get_content()
            assert "张伟的费用报销等待你处理" in plain and "张伟的费用报销等待你处理" in html
            link = next(word for word in plain.split() if word.startswith("http://testserver/tasks/"))
            assert f'href="{link}"' in html
            web.cookies.clear()
            path = link.removeprefix("http://testserver")
            assert web.get(path).headers["location"] == f"/login?next={path}"
            signed = page_sign_in(web, "li.na", next=path)
            assert signed.headers["location"] == path
            page = web.get(path)
            assert page.status_code == 200 and page.context["task"].id == path.rsplit("/", 1)[1]


def test_a_person_who_chose_english_is_written_to_in_english_and_nobody_without_email_preference():
    with smtp_server() as (url, inbox):
        repo = MemoryRepository()
        app = create_app(Settings(demo=True, smtp=url, base_url="https://flow.example.com"), repo)
        with TestClient(app, follow_redirects=False) as web:
            center = app.state.notifications
            center.set_prefs("li.na", Preferences(language="en"))
            workflow = app.state.workflow
            zhang, li = workflow.org.user("zhang.wei"), workflow.org.user("li.na")
            workflow.start(zhang, "expense", claim([700]))
            [message] = inbox.wait(1)
            assert message["Subject"] == "Expense reimbursement from Zhang Wei is waiting for you"
            plain = message.get_body(("plain",)).get_content()
            assert "https://flow.example.com/tasks/" in plain
            center.set_prefs("zhang.wei", Preferences(channels={"returns": frozenset({"inapp"})}))
            workflow.send_back(li, workflow.inbox(li)[0].id, "submitter", "Add the invoice")
            workflow.start(zhang, "expense", claim([800]))
            assert len(inbox.wait(2)) == 2  # the second claim's, not the return zhang.wei wants in the app only
            assert all("zhang.wei" not in m["To"] for m in inbox.messages)
            assert center.items("zhang.wei")[0][0].kind == "returned"


def deliveries(data_dir: Path) -> list[dict]:
    return [orjson.loads(line) for line in (data_dir / FILE).read_bytes().splitlines()]


def test_after_a_crash_no_email_is_lost_and_none_logged_as_sent_goes_twice(tmp_path):
    data_dir = tmp_path / "data"
    with smtp_server() as (url, inbox):
        settings = Settings(demo=True, smtp=url, data_dir=data_dir)

        def run(work) -> None:
            repo = FileRepository(data_dir)
            workflow = open_workflow(repo, demo=True)
            center = open_notifications(workflow, settings)
            center.start()
            try:
                work(workflow, center)
            finally:
                center.stop()
                repo.close()

        def first(workflow, center) -> None:
            workflow.start(workflow.org.user("zhang.wei"), "expense", claim([700]))
            inbox.wait(1)
            assert center.wait_idle()
        run(first)
        assert len(inbox.messages) == 1
        # Commands committed while no outbox ran: as if the server died right after they were written.
        repo = FileRepository(data_dir)
        workflow = open_workflow(repo, demo=True)
        workflow.start(workflow.org.user("liu.yang"), "expense", claim([300]))
        repo.close()
        # The watermark lines are not synced: without them the log's "sent" lines alone must hold.
        lines = deliveries(data_dir)
        begun = next(line for line in lines if "watermark" in line)  # where the log began: the demo's set-up
        kept = [line for line in lines if "watermark" not in line or line is begun]
        assert len(kept) < len(lines)
        (data_dir / FILE).write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in kept))

        def second(workflow, center) -> None:
            inbox.wait(2)
            assert center.wait_idle()
        run(second)
        received = [m["To"] for m in inbox.messages]
        assert len(received) == 2 and any("li.na" in to for to in received) and any("wang.fang" in to for to in received)
        assert len({m["Message-ID"] for m in inbox.messages}) == 2
        sent = [line["id"] for line in deliveries(data_dir) if line.get("ok")]
        assert len(sent) == len(set(sent)) == 2


def test_an_email_shows_the_fields_its_reader_may_see_and_never_a_hidden_one():
    from tests.runtime.test_field_permissions import OFFER, open_task, publish

    with smtp_server() as (url, inbox):
        app = create_app(Settings(demo=True, smtp=url), MemoryRepository())
        with TestClient(app):
            workflow = publish(app.state.workflow)
            for person in ("zhao.min", "sun.li"):
                app.state.notifications.set_prefs(person, Preferences(language="en"))
            instance = workflow.start(workflow.org.user("zhang.wei"), "offer", OFFER).id
            workflow.act(workflow.org.user("wu.qiang"), open_task(workflow, instance).id, "complete",
                         data={"salary": 18000})
            workflow.act(workflow.org.user("zhao.min"), open_task(workflow, instance).id, "approve", "ok")
            inbox.wait(3)
            assert app.state.notifications.wait_idle()
            finance = inbox.to("zhao.min@example.com")[0].get_body(("plain",)).get_content()
            cashier = inbox.to("sun.li@example.com")[0].get_body(("plain",)).get_content()
            assert "Candidate: Ada" in finance and "Monthly salary" in finance and "18,000" in finance
            assert "Candidate: Ada" in cashier and "Monthly salary" not in cashier and "18,000" not in cashier
