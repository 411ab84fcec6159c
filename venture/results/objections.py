"""Objections (异议) to a proposed result, and the organizers' answers.

During the public notice any verified user may object to the result as a
whole or to one line of it, with an optional PDF or image. The organizers of
the call's body answer each objection, upholding it or not, until they
finalise. Objections and answers are public; the objector never is: the
public sees "Objection 1, 2, …" and the date, and the audit log keeps only
fingerprints, never the text or a name.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from venture.accounts.models import User
from venture.audit import services as audit
from venture.calls.models import Call, Phase
from venture.core.errors import DomainError, NotAllowed
from venture.core.l10n import lazy_gettext as _l
from venture.core.ratelimit import TooManyAttempts, limiter
from venture.core.timeutil import utcnow
from venture.proposals import cleaning, files, storage
from venture.results import public
from venture.results.models import Objection, ObjectionStatus, ResultRecord
from venture.showcase import visibility

MIN_TEXT_CHARS = 20
MAX_TEXT_CHARS = 5000
MAX_ANSWER_CHARS = 5000
ATTACHMENT_KINDS = frozenset({files.FileKind.PDF, files.FileKind.JPEG, files.FileKind.PNG})

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _plain(text: str | None) -> str:
    return _CONTROL.sub("", text or "").strip()


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Rules ------------------------------------------------------------------------------------

def notice_running(call: Call, now: datetime | None = None) -> bool:
    """Objections are lodged during the notice, up to its end (server clock)."""
    now = now or utcnow()
    return call.phase is Phase.NOTICE and call.notice_ends_at is not None and now < call.notice_ends_at


def clean_text(text: str | None) -> str:
    body = _plain(text)
    if len(body) < MIN_TEXT_CHARS:
        raise DomainError(_l("Explain your objection in at least %(min)d characters.", min=MIN_TEXT_CHARS), "text")
    if len(body) > MAX_TEXT_CHARS:
        raise DomainError(_l("An objection has at most %(max)d characters; this one has %(n)d.",
                             max=MAX_TEXT_CHARS, n=len(body)), "text")
    return body


def clean_answer(text: str | None) -> str:
    body = _plain(text)
    if not body:
        raise DomainError(_l("Write the answer."), "answer")
    if len(body) > MAX_ANSWER_CHARS:
        raise DomainError(_l("An answer has at most %(max)d characters; this one has %(n)d.",
                             max=MAX_ANSWER_CHARS, n=len(body)), "answer")
    return body


def check_rate(user: User, address: str) -> None:
    """Count one objection for the user and the address; raise
    ``TooManyAttempts`` when either has lodged too many in the window."""
    config = current_app.config
    window = int(config.get("OBJECTION_WINDOW", 3600))
    by_user = limiter().hit(f"objection:user:{user.id}", int(config.get("OBJECTION_LIMIT_PER_USER", 5)), window)
    if not by_user.allowed:
        raise TooManyAttempts(by_user.retry_after)
    by_address = limiter().hit(f"objection:addr:{address}", int(config.get("OBJECTION_LIMIT_PER_ADDRESS", 20)),
                               window)
    if not by_address.allowed:
        raise TooManyAttempts(by_address.retry_after)


def line_choices(record: ResultRecord | None) -> list[tuple[str, str]]:
    """(receipt number, "number – title") for each line of the record."""
    if record is None:
        return []
    return [(str(line["number"]), f"{line['number']} – {line.get('title') or ''}")
            for line in public.public_content(record)["lines"] if line.get("number")]


# Changes ------------------------------------------------------------------------------------

def lodge(session: Session, actor: User, call: Call, text: str | None, line: str | None = None,
          filename: str | None = None, data: bytes | None = None, now: datetime | None = None) -> Objection:
    """An objection to the proposed result (``line``: a proposal's receipt
    number from the record, or nothing for the result as a whole)."""
    now = now or utcnow()
    if not actor.is_verified:
        raise NotAllowed(_l("Confirm your e-mail address before you lodge an objection."))
    if not notice_running(call, now):
        raise DomainError(_l("Objections can only be lodged while the public notice runs."))
    record = public.record_for(session, call)
    if record is None:
        raise DomainError(_l("There is no proposed result to object to."))
    body = clean_text(text)
    proposal_id = None
    if line:
        found = next((item for item in public.public_content(record)["lines"] if str(item.get("number")) == line),
                     None)
        if found is None:
            raise DomainError(_l("Choose a line of the result, or the result as a whole."), "line")
        proposal_id = found.get("proposal")
    objection = Objection(call_id=call.id, proposal_id=proposal_id, author_id=actor.id, text=body,
                          created_at=now, status=ObjectionStatus.OPEN)
    attachment_sha256 = ""
    if data:
        try:
            kind = files.check_upload(filename or "", data, current_app.config["ATTACHMENT_MAX_BYTES"])
            if kind not in ATTACHMENT_KINDS:
                raise files.UploadRejected(_l("Attach a PDF document or a JPEG or PNG image."))
            # Kept without the properties that may name its author: it will be public.
            cleaned = cleaning.clean(kind, data)
        except files.UploadRejected as rejected:
            raise DomainError(rejected.message, "attachment") from None
        objection.attachment_name = files.safe_filename(filename or "")
        objection.attachment_kind = kind.value
        objection.attachment_stored = storage.store(cleaned)
        attachment_sha256 = hashlib.sha256(cleaned).hexdigest()
    session.add(objection)
    session.flush()
    audit.record(session, actor, "objection.lodged", objection, call=call.id, proposal=proposal_id,
                 text_sha256=_sha256(body), attachment_sha256=attachment_sha256)
    return objection


def answer(session: Session, actor: User, objection: Objection, text: str | None, upheld: bool,
           now: datetime | None = None) -> Objection:
    """The organizers' public answer; it may be revised until they finalise."""
    now = now or utcnow()
    call = objection.call
    if call.phase is not Phase.NOTICE:
        raise DomainError(_l("Objections can only be answered until the result is finalised."))
    body = clean_answer(text)
    again = objection.status is not ObjectionStatus.OPEN
    objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.REJECTED
    objection.answer = body
    objection.answered_at = now
    objection.answered_by_id = actor.id
    session.flush()
    audit.record(session, actor, "objection.answered", objection, call=call.id, status=objection.status.value,
                 revised=again, answer_sha256=_sha256(body))
    return objection


# Reading ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PublicObjection:
    """An objection as the public sees it: numbered, never named."""

    id: int
    number: int
    created_at: datetime
    line_number: str | None
    line_title: str | None
    text: str
    status: ObjectionStatus
    answer: str
    answered_at: datetime | None
    attachment_name: str
    attachment_kind: str

    @property
    def has_attachment(self) -> bool:
        return bool(self.attachment_name)


def of_call(session: Session, call: Call) -> list[Objection]:
    """A call's objections in the order they were lodged."""
    return list(session.scalars(select(Objection).where(Objection.call_id == call.id)
                                .order_by(Objection.created_at, Objection.id)))


def public_list(session: Session, call: Call) -> list[PublicObjection]:
    """The objections of a released call, numbered from 1; none before the notice."""
    if not public.is_released(call):
        return []
    record = public.record_for(session, call)
    lines: dict[Any, dict[str, Any]] = {}
    if record is not None:
        lines = {line.get("proposal"): line for line in public.public_content(record)["lines"]}
    out = []
    for number, objection in enumerate(of_call(session, call), start=1):
        line = lines.get(objection.proposal_id) if objection.proposal_id is not None else None
        number_text = title = None
        if line is not None:
            number_text, title = line.get("number"), line.get("title")
        elif objection.proposal is not None:
            number_text = objection.proposal.number
            # The proposal's public face: its contact data is never public.
            title = (visibility.face_of(objection.proposal) or {}).get("title")
        out.append(PublicObjection(
            id=objection.id, number=number, created_at=objection.created_at, line_number=number_text,
            line_title=title, text=objection.text, status=objection.status, answer=objection.answer,
            answered_at=objection.answered_at, attachment_name=objection.attachment_name,
            attachment_kind=objection.attachment_kind))
    return out


def number_of(session: Session, objection: Objection) -> int:
    return next(i for i, item in enumerate(of_call(session, objection.call), start=1) if item.id == objection.id)
