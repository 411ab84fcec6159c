"""Queue mail with the change that causes it; deliver after the commit.

``queue`` adds a row to the caller's transaction, so a mail exists exactly
when its change does. ``deliver_pending`` sends what is due; a failed send is
retried later with back-off and never undoes the change that queued it. One
bad message never holds up the others: whatever goes wrong with it is written
on its row, and after ``MAX_ATTEMPTS`` (or at once, when the message itself
cannot be built) it is marked failed and left for an operator.
"""
from __future__ import annotations

import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from flask import current_app, g, has_request_context, render_template
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from venture.core import l10n, text
from venture.core.timeutil import is_zone, utcnow
from venture.mail.models import OutboxMail

MAX_ATTEMPTS = 8


def queue(session: Session, recipient: str, template: str, locale: str | None = None,
          recipient_zone: str | None = None, **context: Any) -> OutboxMail:
    """Render ``templates/mail/<template>.txt`` in the recipient's language and
    time zone, never the sender's: subject, body, dates and every label passed
    lazily (``lazy_gettext``) are written here, inside ``force_locale``.
    Without a known zone of the recipient's, dates are in the site's zone.

    The template's first line is the subject; the rest is the body.
    """
    zone = recipient_zone if recipient_zone and is_zone(recipient_zone) else current_app.config["DEFAULT_TIMEZONE"]
    with force_locale(locale or current_app.config["DEFAULT_LOCALE"]), l10n.force_timezone(zone):
        rendered = render_template(f"mail/{template}.txt", **context)
    subject, _, body = rendered.strip().partition("\n")
    mail = OutboxMail(recipient=recipient, subject=text.one_line(subject)[:200], body_text=body.strip() + "\n")
    session.add(mail)
    if has_request_context():  # delivered once the request's transaction has committed
        g.setdefault("mail_to_deliver", []).append(mail)
    return mail


def build_message(mail: OutboxMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.recipient
    # Cleaned again: a name stored before input was cleaned may still hold a line break.
    message["Subject"] = text.one_line(mail.subject)
    message["Message-ID"] = make_msgid(domain="venture.local")
    message.set_content(mail.body_text)
    return message


def _send(message: EmailMessage, mail: OutboxMail) -> None:
    config = current_app.config
    if config["MAIL_BACKEND"] == "outbox":
        folder = Path(config["MAIL_OUTBOX_FOLDER"])
        folder.mkdir(parents=True, exist_ok=True)
        stamp = (mail.created_at or utcnow()).strftime("%Y%m%dT%H%M%S")
        (folder / f"{stamp}-{mail.id:06d}.eml").write_bytes(bytes(message))
        return
    context = ssl.create_default_context()
    with smtplib.SMTP(config["MAIL_SMTP_HOST"], config["MAIL_SMTP_PORT"],
                      timeout=config["MAIL_SMTP_TIMEOUT"]) as smtp:
        if config["MAIL_SMTP_STARTTLS"]:
            smtp.starttls(context=context)
        if config["MAIL_SMTP_USER"]:
            smtp.login(config["MAIL_SMTP_USER"], config["MAIL_SMTP_PASSWORD"])
        smtp.send_message(message)


def deliver_pending(session: Session, limit: int = 100, ids: list[int] | None = None) -> tuple[int, int]:
    """Send due mail; return (sent, failed). Commits after each message."""
    now = utcnow()
    query = select(OutboxMail).where(
        OutboxMail.sent_at.is_(None),
        OutboxMail.failed_at.is_(None),
        OutboxMail.attempts < MAX_ATTEMPTS,
        OutboxMail.next_attempt_at <= now,
    ).order_by(OutboxMail.id).limit(limit)
    if ids is not None:
        query = query.where(OutboxMail.id.in_(ids))
    sent = failed = 0
    for mail in session.execute(query).scalars().all():
        mail.attempts += 1
        try:
            message = build_message(mail, current_app.config["MAIL_FROM"])
        except Exception as error:  # noqa: BLE001 - a message that cannot be built never will be
            _failed(mail, error, give_up=True)
            failed += 1
        else:
            try:
                _send(message, mail)
            except Exception as error:  # noqa: BLE001 - whatever the server or the disk says, try later
                _failed(mail, error, give_up=mail.attempts >= MAX_ATTEMPTS)
                failed += 1
            else:
                mail.sent_at = utcnow()
                sent += 1
        session.commit()
    return sent, failed


def _failed(mail: OutboxMail, error: Exception, give_up: bool) -> None:
    mail.last_error = f"{type(error).__name__}: {error}"[:500]
    if give_up:
        mail.failed_at = utcnow()
    else:
        mail.next_attempt_at = utcnow() + timedelta(minutes=2 ** mail.attempts)
    current_app.logger.warning("mail %s not sent%s: %s", mail.id, " (given up)" if give_up else "",
                               type(error).__name__)
