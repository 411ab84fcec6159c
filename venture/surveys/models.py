"""A satisfaction survey of a funded project, its questions and its answers.

A ``Survey`` belongs to a project; its ``token`` is the short link printed
on the QR poster. Questions lock when the first answer arrives
(``locked_at``). A ``SurveyResponse`` is one person's answers, online or on
paper (entered by staff, ``entered_by_id``); an online one carries digests
only (``device_digest`` of the browser's cookie, ``address_digest`` of the
network address, both salted with the survey's own salt), never the address.
Contact details, when the person leaves them, are seen only by the
organizers. A text answer is shown in public only once approved.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from venture.core.l10n import lazy_gettext as _l
from venture.core.models import Base
from venture.core.timeutil import utcnow
from venture.projects.models import Project


def _enum(cls: type[enum.Enum], length: int) -> Enum:
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class _Labelled(enum.StrEnum):
    @property
    def label(self) -> str:
        return str(LABELS[self])


class SurveyStatus(_Labelled):
    DRAFT = "draft"          # being written; a group's draft waits for an organizer's approval
    OPEN = "open"            # taking answers
    CLOSED = "closed"        # no more answers


class QuestionKind(_Labelled):
    LIKERT = "likert"        # 1 (very dissatisfied) to 5 (very satisfied)
    SINGLE = "single"
    MULTIPLE = "multiple"
    SHORT = "short"
    LONG = "long"

    @property
    def is_text(self) -> bool:
        return self in (QuestionKind.SHORT, QuestionKind.LONG)

    @property
    def has_options(self) -> bool:
        return self in (QuestionKind.SINGLE, QuestionKind.MULTIPLE)


class Channel(_Labelled):
    ONLINE = "online"
    PAPER = "paper"


class TextStatus(_Labelled):
    PENDING = "pending"
    APPROVED = "approved"
    HIDDEN = "hidden"


class Survey(Base):
    __tablename__ = "surveys"
    __table_args__ = (
        CheckConstraint("status = 'draft' OR approved_at IS NOT NULL", name="approved_before_open"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(16), unique=True)
    salt: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[SurveyStatus] = mapped_column(_enum(SurveyStatus, 10), default=SurveyStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    locked_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    project: Mapped[Project] = relationship()
    questions: Mapped[list[SurveyQuestion]] = relationship(
        back_populates="survey", order_by="SurveyQuestion.position", cascade="all, delete-orphan")
    responses: Mapped[list[SurveyResponse]] = relationship(
        back_populates="survey", order_by="SurveyResponse.id", cascade="all, delete-orphan")

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @property
    def is_open(self) -> bool:
        return self.status is SurveyStatus.OPEN


class SurveyQuestion(Base):
    __tablename__ = "survey_questions"
    __table_args__ = (UniqueConstraint("survey_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    position: Mapped[int]
    # "overall" marks the question whose answers make the satisfaction result.
    key: Mapped[str] = mapped_column(String(20), default="")
    kind: Mapped[QuestionKind] = mapped_column(_enum(QuestionKind, 10))
    prompt: Mapped[str] = mapped_column(String(300))
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(default=False)

    survey: Mapped[Survey] = relationship(back_populates="questions")


class SurveyResponse(Base):
    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("survey_id", "device_digest"),
        CheckConstraint("channel != 'paper' OR entered_by_id IS NOT NULL", name="paper_has_clerk"),
        CheckConstraint("channel != 'online' OR device_digest IS NOT NULL", name="online_has_device"),
        Index("ix_survey_responses_address", "survey_id", "address_digest"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    channel: Mapped[Channel] = mapped_column(_enum(Channel, 10))
    device_digest: Mapped[str | None] = mapped_column(String(64))
    address_digest: Mapped[str | None] = mapped_column(String(64))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Left by the person if they chose to; only the organizers read it.
    contact: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    survey: Mapped[Survey] = relationship(back_populates="responses")
    answers: Mapped[list[SurveyAnswer]] = relationship(
        back_populates="response", order_by="SurveyAnswer.id", cascade="all, delete-orphan")


class SurveyAnswer(Base):
    """One question's answer: ``value`` is an int (Likert), a list of option
    indexes (choice questions) or text; ``text_status`` moderates text."""

    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id", ondelete="CASCADE"), index=True)
    value: Mapped[Any] = mapped_column(JSON)
    text_status: Mapped[TextStatus | None] = mapped_column(_enum(TextStatus, 10))
    moderated_at: Mapped[datetime | None]
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    response: Mapped[SurveyResponse] = relationship(back_populates="answers")
    question: Mapped[SurveyQuestion] = relationship()


LABELS: dict[Any, Any] = {
    SurveyStatus.DRAFT: _l("Draft"),
    SurveyStatus.OPEN: _l("Open for answers"),
    SurveyStatus.CLOSED: _l("Closed"),
    QuestionKind.LIKERT: _l("Scale of 1 to 5"),
    QuestionKind.SINGLE: _l("One choice"),
    QuestionKind.MULTIPLE: _l("Several choices"),
    QuestionKind.SHORT: _l("Short text"),
    QuestionKind.LONG: _l("Long text"),
    Channel.ONLINE: _l("Online"),
    Channel.PAPER: _l("Paper"),
    TextStatus.PENDING: _l("Awaiting moderation"),
    TextStatus.APPROVED: _l("Shown in public"),
    TextStatus.HIDDEN: _l("Not shown"),
}
