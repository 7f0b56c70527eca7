"""Email: the SMTP server from its URL, a notice as a message (plain text and HTML, in the
recipient's language, with a working link), and sending it with the standard library.

`smtp://user:pass@host:port` (plain, or `?starttls=1`), `smtps://…` (TLS from the start). The
Message-ID is derived from the delivery (`<seq>.email.<username>`), so a message sent again after
a crash is the same message to the receiving side, which drops the repeat.
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from builder.text import localize
from runtime import i18n
from runtime.outbox.dispatcher import Delivery, Outcome
from runtime.outbox.notices import Notice
from runtime.web import values

SMTP_TIMEOUT = 10.0
MAX_FIELDS = 8  # the summary in an email: the first fields the recipient may see


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    username: str = ""
    password: str = ""
    tls: bool = False       # smtps: TLS from the first byte
    starttls: bool = False  # smtp with STARTTLS

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"--smtp must look like smtp://user:pass@host:port or smtps://…, not {url!r}")
        flags = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return cls(parts.hostname, parts.port or (465 if parts.scheme == "smtps" else 25),
                   unquote(parts.username or ""), unquote(parts.password or ""), parts.scheme == "smtps",
                   flags.get("starttls", "0") in ("1", "true", "yes"))

    def send(self, message: EmailMessage) -> Outcome:
        try:
            if self.tls:
                client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=SMTP_TIMEOUT,
                                                        context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT)
            with client:
                if self.starttls:
                    client.starttls(context=ssl.create_default_context())
                if self.username:
                    client.login(self.username, self.password)
                refused = client.send_message(message)
            return Outcome(not refused, 250, "; ".join(f"{k}: {v}" for k, v in refused.items()))
        except smtplib.SMTPResponseException as answer:
            return Outcome(False, answer.smtp_code, str(answer.smtp_error)[:300])
        except (OSError, smtplib.SMTPException) as failed:
            return Outcome(False, None, str(failed) or failed.__class__.__name__)


def message_id(delivery_id: str, domain: str) -> str:
    return f"<formflow.{delivery_id}@{domain}>"


class Composer:
    """A notice as the email its recipient reads."""

    def __init__(self, center: Any, templates: Any, base_url: str, mail_from: str) -> None:
        self.center, self.env = center, templates.env
        self.base_url, self.mail_from = base_url.rstrip("/"), mail_from
        self.domain = urlsplit(self.base_url).hostname or "formflow.local"

    def compose(self, delivery: Delivery) -> EmailMessage | None:
        notice: Notice = delivery.payload
        workflow = self.center.workflow
        user = workflow.org.users.get(notice.recipient)
        if user is None or not user.email:
            return None
        locale = self.center.language(user.username)
        token = i18n.current_locale.set(locale)
        try:
            sentence = self.center.sentence(notice, locale).localized()
            context = {"sentence": sentence, "link": self.base_url + notice.link,
                       "name": workflow.org.name_of(user.username, locale),
                       "fields": self._fields(user, notice.instance), "locale": locale,
                       "title": self.center.process_title(notice.process, locale)}
            text = self.env.get_template("email/notice.txt").render(context)
            html = self.env.get_template("email/notice.html").render(context)
        finally:
            i18n.current_locale.reset(token)
        message = EmailMessage()
        message["Subject"] = sentence
        message["From"] = self.mail_from
        message["To"] = formataddr((context["name"], user.email))
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id(delivery.id, self.domain)
        message["Content-Language"] = locale.replace("_", "-")
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        return message

    def _fields(self, user: Any, instance_id: str) -> list[tuple[str, str]]:
        """The first fields the recipient may see, as label and value (hidden ones never)."""
        workflow = self.center.workflow
        instance = workflow.state.instances.get(instance_id)
        if instance is None:
            return []
        shown = workflow.view(user, instance)
        form = workflow.pinned(instance).form
        locale = i18n.current_locale.get()
        rows = [(localize(f.label, locale), values.shown(f, shown.data.get(f.key), workflow.org, workflow.calendar))
                for f in form.fields if f.key in shown.data and f.type not in ("table", "attachment")]
        return rows[:MAX_FIELDS]


def sender(composer: Composer, server: SmtpServer) -> Any:
    def send(delivery: Delivery) -> Outcome:
        message = composer.compose(delivery)
        if message is None:
            return Outcome(False, None, "no email address for this person", drop=True)
        return server.send(message)
    return send
