"""The outbox as the server's settings ask for it: email through `--smtp` when given, webhooks
through their courier, the delivery logs beside the event log (in memory for an in-memory store)."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from runtime.outbox.audience import batches
from runtime.outbox.center import Notifications
from runtime.outbox.dispatcher import Delivery, Dispatcher
from runtime.outbox.log import FILE, HOOKS_FILE, DeliveryLog
from runtime.outbox.mail import Composer, SmtpServer, sender as mail_sender
from runtime.outbox.prefs import quiet_until
from runtime.outbox.relay import HookRelay
from runtime.outbox.retry import RetryPolicy
from runtime.outbox.routing import plan
from runtime.settings import Settings
from runtime.web.rendering import make_templates


def base_url(settings: Settings) -> str:
    return settings.base_url or f"http://{settings.host}:{settings.port}"


def open_notifications(workflow: Any, settings: Settings, policy: RetryPolicy = RetryPolicy()) -> Notifications:
    center = Notifications(workflow)
    data_dir = getattr(workflow.repo, "data_dir", None)

    def process_of(instance_id: str) -> str:
        found = workflow.state.instances.get(instance_id)
        return found.process if found else ""

    center.relay = HookRelay(center.hooks, process_of, data_dir / HOOKS_FILE if data_dir is not None else None,
                             workflow.state.last_seq, lambda: batches(workflow.repo.read_events()), policy,
                             cpu=settings.courier_cpu)
    mail_log = data_dir / FILE if data_dir is not None else None
    if not settings.smtp:
        if mail_log is not None and mail_log.exists():  # so turning SMTP on later mails no backlog
            center.mail_off = lambda seq: _settle(mail_log, seq)
        return center
    server = SmtpServer.from_url(settings.smtp)
    composer = Composer(center, make_templates(settings.timezone), base_url(settings),
                        settings.mail_from or f"formflow <formflow@{settings.host}>")

    def defer(delivery: Delivery) -> float | None:
        until = quiet_until(center.prefs(delivery.payload.recipient), datetime.now(UTC), workflow.calendar.zone)
        return until.timestamp() if until else None

    center.dispatcher = Dispatcher(
        DeliveryLog(mail_log, start=workflow.state.last_seq),
        lambda batch, notices: plan(notices, user=workflow.org.users.get, prefs=center.prefs),
        lambda channel: mail_sender(composer, server), policy, defer)
    return center


def _settle(path: Any, seq: int) -> None:
    book = DeliveryLog(path)
    book.set_watermark(seq)
    book.close()
