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
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from venture.core import text
from venture.core.timeutil import utcnow
from venture.mail.models import OutboxMail

MAX_ATTEMPTS = 8


def queue(session: Session, recipient: str, template: str, locale: str | None = None,
          **context: Any) -> OutboxMail:
    """Render ``templates/mail/<template>.txt`` in the recipient's language.

    The template's first line is the subject; the rest is the body.
    """
    with force_locale(locale or current_app.config["DEFAULT_LOCALE"]):
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


# How long a claimed message stays invisible to other workers while it is sent.
CLAIM_LEASE = timedelta(minutes=10)


def _due(now: Any) -> Any:
    return (OutboxMail.sent_at.is_(None), OutboxMail.failed_at.is_(None),
            OutboxMail.attempts < MAX_ATTEMPTS, OutboxMail.next_attempt_at <= now)


def claim(session: Session, limit: int = 100, ids: list[int] | None = None) -> list[int]:
    """Claim up to ``limit`` due messages for this process and commit.

    A claim counts the attempt and moves the message's next attempt a lease
    ahead, with a conditional update: of several workers (or a worker and a
    web request) only one changes the row, so no message is sent twice. On
    PostgreSQL the candidates are picked ``FOR UPDATE SKIP LOCKED``, so
    workers never wait for each other's rows. A worker that dies after its
    claim leaves the message to be tried again once the lease has passed.
    """
    now = utcnow()
    query = select(OutboxMail.id).where(*_due(now)).order_by(OutboxMail.id).limit(limit)
    if ids is not None:
        query = query.where(OutboxMail.id.in_(ids))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed = []
    for mail_id in session.scalars(query).all():
        result = session.execute(
            update(OutboxMail).where(OutboxMail.id == mail_id, *_due(now))
            .values(attempts=OutboxMail.attempts + 1, next_attempt_at=now + CLAIM_LEASE)
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            claimed.append(mail_id)
    session.commit()
    return claimed


def deliver_pending(session: Session, limit: int = 100, ids: list[int] | None = None) -> tuple[int, int]:
    """Claim and send due mail; return (sent, failed). Commits after each message."""
    sent = failed = 0
    for mail_id in claim(session, limit, ids):
        mail = session.get(OutboxMail, mail_id, populate_existing=True)
        if mail is None:
            continue
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


def pending_counts(session: Session) -> dict[str, Any]:
    """What ``worker status`` shows of the outbox: queued, failed, oldest queued."""
    queued = (OutboxMail.sent_at.is_(None), OutboxMail.failed_at.is_(None))
    return {
        "queued": session.scalar(select(func.count()).select_from(OutboxMail).where(*queued)) or 0,
        "failed": session.scalar(select(func.count()).select_from(OutboxMail)
                                 .where(OutboxMail.failed_at.is_not(None))) or 0,
        "oldest": session.scalar(select(func.min(OutboxMail.created_at)).where(*queued)),
    }


def _failed(mail: OutboxMail, error: Exception, give_up: bool) -> None:
    mail.last_error = f"{type(error).__name__}: {error}"[:500]
    if give_up:
        mail.failed_at = utcnow()
    else:
        mail.next_attempt_at = utcnow() + timedelta(minutes=2 ** mail.attempts)
    current_app.logger.warning("mail %s not sent%s: %s", mail.id, " (given up)" if give_up else "",
                               type(error).__name__)
