"""The outbox as the server's settings ask for it: email through `--smtp` when given, webhooks
always, the delivery log beside the event log (in memory for an in-memory store)."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from runtime.outbox.center import Notifications
from runtime.outbox.dispatcher import Delivery, Dispatcher
from runtime.outbox.log import FILE, DeliveryLog
from runtime.outbox.mail import Composer, SmtpServer, sender as mail_sender
from runtime.outbox.prefs import quiet_until
from runtime.outbox.retry import RetryPolicy
from runtime.outbox.routing import plan
from runtime.outbox.webhooks import sender as hook_sender
from runtime.settings import Settings
from runtime.web.rendering import make_templates


def base_url(settings: Settings) -> str:
    return settings.base_url or f"http://{settings.host}:{settings.port}"


def open_notifications(workflow: Any, settings: Settings, policy: RetryPolicy = RetryPolicy()) -> Notifications:
    center = Notifications(workflow)
    data_dir = getattr(workflow.repo, "data_dir", None)
    book = DeliveryLog(data_dir / FILE if data_dir is not None else None, start=workflow.state.last_seq)
    server = SmtpServer.from_url(settings.smtp) if settings.smtp else None
    url = base_url(settings)
    composer = Composer(center, make_templates(settings.timezone), url,
                        settings.mail_from or f"formflow <formflow@{settings.host}>")

    def process_of(instance_id: str) -> str:
        found = workflow.state.instances.get(instance_id)
        return found.process if found else ""

    def senders(channel: str) -> Any:
        if channel == "email":
            assert server is not None  # planned only with a server
            return mail_sender(composer, server)
        return hook_sender(center.hooks, process_of)

    def defer(delivery: Delivery) -> float | None:
        if delivery.channel != "email":
            return None
        until = quiet_until(center.prefs(delivery.payload.recipient), datetime.now(UTC), workflow.calendar.zone)
        return until.timestamp() if until else None

    center.dispatcher = Dispatcher(
        book, lambda batch, notices: plan(batch, notices, email=server is not None, user=workflow.org.users.get,
                                          prefs=center.prefs, hooks=center.hooks.all()),
        senders, policy, defer)
    return center
